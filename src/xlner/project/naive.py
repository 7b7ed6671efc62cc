"""The dense reference: all n-grams of the whole sentence, Dice scores by a double loop over
links, greedy matching in Python. Slow by design; kept as the test oracle and the benchmark
baseline for :class:`~xlner.project.candidates.CandidateProjector`."""

from __future__ import annotations

from collections.abc import Sequence

from xlner.data import Alignment, Span


def naive_ngram_greedy(
    src_spans: Sequence[Span],
    alignment: Alignment,
    tgt_tokens: Sequence[str],
    max_len: int | None = None,
) -> list[Span]:
    n = len(tgt_tokens)
    cands = [
        (i, j)
        for i in range(n)
        for j in range(i + 1, n + 1)
        if (max_len is None or j - i <= max_len)
        and not any(t in ("!", "?") for t in tgt_tokens[i:j])
    ]
    links = list(alignment)
    pairs = []
    for p, ent in enumerate(src_spans):
        for q, (i, j) in enumerate(cands):
            k = sum(1 for s, t in links if ent.start <= s < ent.end and i <= t < j)
            if k:
                pairs.append((2 * k / (len(ent) + j - i), p, q))
    # highest score first; ties: lower entity, then lower candidate index
    pairs.sort(key=lambda x: (-x[0], x[1], x[2]))
    used_e: set[int] = set()
    taken: list[tuple[int, int]] = []
    out = []
    for score, p, q in pairs:
        i, j = cands[q]
        if p in used_e or any(i < b and a < j for a, b in taken):
            continue
        used_e.add(p)
        taken.append((i, j))
        out.append(Span(i, j, src_spans[p].label, score))
    return sorted(out)
