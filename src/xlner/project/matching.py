"""Matching source entities to target candidates under no-overlap constraints.

Both solve: maximise sum c[p, q] * x[p, q] subject to each entity projected at most once and no
two chosen candidates overlapping (which also forbids one candidate for two entities).

* :func:`greedy_match` — repeatedly take the highest-scoring pair, drop that entity and every
  candidate overlapping the chosen one (the reference method).
* :func:`exact_match` — the optimum of the integer programme: when every entity's best
  candidate is free of conflicts that is already optimal (the upper bound is reached);
  otherwise scipy's ``milp`` (HiGHS) solves it.
"""

from __future__ import annotations

import numpy as np

Match = tuple[int, int, float]  # (entity index, candidate index, score)


def overlap_matrix(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """``(m, m)`` boolean: candidate i overlaps candidate j (a candidate overlaps itself)."""
    return (starts[:, None] < ends[None, :]) & (starts[None, :] < ends[:, None])


def greedy_match(
    scores: np.ndarray, starts: np.ndarray, ends: np.ndarray, min_score: float = 0.0
) -> list[Match]:
    """Greedy matching; pairs with score <= ``min_score`` are never chosen. Ties go to the
    lower entity index, then the lower candidate index."""
    s = np.array(scores, dtype=np.float64, copy=True)
    if s.size == 0:
        return []
    overlaps = overlap_matrix(starts, ends)
    out: list[Match] = []
    for _ in range(s.shape[0]):
        flat = int(np.argmax(s))
        p, q = divmod(flat, s.shape[1])
        best = s[p, q]
        if not best > min_score:
            break
        out.append((p, q, float(best)))
        s[p, :] = -np.inf
        s[:, overlaps[q]] = -np.inf
    return out


def objective(matches: list[Match]) -> float:
    return float(sum(m[2] for m in matches))


def exact_match(
    scores: np.ndarray, starts: np.ndarray, ends: np.ndarray, min_score: float = 0.0
) -> list[Match]:
    """Optimal matching (see module docstring); never worse than greedy in objective."""
    s = np.asarray(scores, dtype=np.float64)
    if s.size == 0:
        return []
    valid = s > min_score
    if not valid.any():
        return []
    # Fast path: every entity takes its own best candidate and none of them conflict.
    best_q = np.where(valid.any(axis=1), np.argmax(np.where(valid, s, -np.inf), axis=1), -1)
    chosen = [(p, int(q)) for p, q in enumerate(best_q) if q >= 0]
    qs = np.array([q for _, q in chosen])
    ov = overlap_matrix(starts[qs], ends[qs])
    if ov.sum() == len(qs):  # only self-overlaps
        return [(p, q, float(s[p, q])) for p, q in chosen]
    return _milp_match(s, valid, starts, ends)


def _milp_match(
    s: np.ndarray, valid: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> list[Match]:
    # imported here: scipy.optimize takes ~0.5 s to import, and only conflicts need it
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import csr_matrix

    ps, qs = np.nonzero(valid)
    n_var = len(ps)
    k = s.shape[0]
    n_words = int(ends.max())
    # rows 0..k-1: each entity at most once; rows k..k+n_words-1: each target word covered once
    rows = [ps]
    cols = [np.arange(n_var)]
    cand_len = ends[qs] - starts[qs]
    word_rows = np.repeat(starts[qs], cand_len) + _ranges(cand_len)
    rows.append(k + word_rows)
    cols.append(np.repeat(np.arange(n_var), cand_len))
    r = np.concatenate(rows)
    c = np.concatenate(cols)
    a = csr_matrix((np.ones(len(r)), (r, c)), shape=(k + n_words, n_var))
    res = milp(
        -s[ps, qs],
        constraints=LinearConstraint(a, -np.inf, 1.0),
        integrality=np.ones(n_var),
        bounds=Bounds(0, 1),
    )
    if res.x is None:  # pragma: no cover - the programme is always feasible (x = 0)
        raise RuntimeError(f"milp failed: {res.message}")
    pick = np.flatnonzero(res.x > 0.5)
    return sorted((int(ps[i]), int(qs[i]), float(s[ps[i], qs[i]])) for i in pick)


def _ranges(lengths: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(n)`` for each n in ``lengths``."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(np.cumsum(lengths) - lengths, lengths)
    out: np.ndarray = np.arange(total) - offsets
    return out
