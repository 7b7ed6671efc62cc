"""Candidate matching ("formalised projection", Politov et al. 2025).

Candidates are target spans: ``ngram`` — every contiguous span up to ``max_len`` words without
``!`` or ``?``; ``ner`` — the spans an NER model predicts on the target sentence (labels
discarded). Each source entity is scored against each candidate by the Dice score of their
alignment links (:mod:`xlner.project.scores`) and entities are matched to candidates without
overlaps, greedily or exactly (:mod:`xlner.project.matching`).

N-gram candidates of an entity are restricted to the window between the leftmost and rightmost
target word aligned to it. This loses nothing: trimming a candidate to the window removes only
words without links to the entity, which raises its Dice score and cannot create an overlap,
so neither matching ever prefers a candidate outside the window.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from xlner.data import Alignment, Span
from xlner.errors import XlnerError
from xlner.project.base import LostReason, Projection, unmatched
from xlner.project.matching import exact_match, greedy_match
from xlner.project.scores import dice_from_prefix, link_prefix

#: Tokens no n-gram candidate may contain (the reference drops n-grams holding a token that
#: *is* one of these; a token such as "Yahoo!" stays usable).
_EXCLUDED = frozenset(("!", "?"))


def ngram_candidates(
    tgt_tokens: Sequence[str], max_len: int | None = None, window: tuple[int, int] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Starts and ends of all n-grams (inside ``window`` = half-open ``[lo, hi)`` if given)
    of at most ``max_len`` words that contain no token ``!`` or ``?``."""
    lo, hi = window if window is not None else (0, len(tgt_tokens))
    width = hi - lo
    if width <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    i, j = np.triu_indices(width + 1, k=1)
    starts, ends = i + lo, j + lo
    if max_len is not None:
        keep = (ends - starts) <= max_len
        starts, ends = starts[keep], ends[keep]
    bad = np.array([t in _EXCLUDED for t in tgt_tokens[lo:hi]], dtype=np.int64)
    if bad.any():
        pre = np.concatenate(([0], np.cumsum(bad)))
        keep = pre[ends - lo] == pre[starts - lo]
        starts, ends = starts[keep], ends[keep]
    return starts, ends


@dataclass
class CandidateProjector:
    candidates: Literal["ngram", "ner"] = "ngram"
    matching: Literal["greedy", "exact"] = "greedy"
    max_len: int | None = None
    min_score: float = 0.0

    def __post_init__(self) -> None:
        if self.candidates not in ("ngram", "ner"):
            raise XlnerError(f"unknown candidates {self.candidates!r}; choose ngram or ner")
        if self.matching not in ("greedy", "exact"):
            raise XlnerError(f"unknown matching {self.matching!r}; choose greedy or exact")

    @property
    def needs_candidates(self) -> bool:
        return self.candidates == "ner"

    def candidate_spans(
        self,
        prefix: np.ndarray,
        tgt_tokens: Sequence[str],
        candidates: Sequence[Span] | None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Candidate starts/ends, and a ``(k, m)`` mask of the pairs allowed (None = all).

        ``prefix`` is the entities' :func:`~xlner.project.scores.link_prefix`."""
        if self.candidates == "ner":
            if candidates is None:
                raise XlnerError("ner candidates need target spans from an NER model")
            cands = sorted({(c.start, c.end) for c in candidates})
            arr = np.array(cands, dtype=np.int64).reshape(-1, 2)
            return arr[:, 0], arr[:, 1], None
        # ngram: windows between the leftmost and rightmost aligned target word per entity
        windows = []
        for row in np.diff(prefix, axis=1):
            nz = np.flatnonzero(row)
            windows.append((int(nz[0]), int(nz[-1]) + 1) if len(nz) else (0, 0))
        parts = [ngram_candidates(tgt_tokens, self.max_len, w) for w in windows]
        st = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int64)
        en = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.int64)
        if len(st) == 0:
            return st, en, None
        uniq = np.unique(np.stack([st, en], axis=1), axis=0)
        st, en = uniq[:, 0], uniq[:, 1]
        lo = np.array([w[0] for w in windows])[:, None]
        hi = np.array([w[1] for w in windows])[:, None]
        mask = (st[None, :] >= lo) & (en[None, :] <= hi)
        return st, en, mask

    def project(
        self,
        src_spans: Sequence[Span],
        alignment: Alignment,
        src_len: int,
        tgt_tokens: Sequence[str],
        candidates: Sequence[Span] | None = None,
    ) -> Projection:
        k = len(src_spans)
        if not src_spans or not tgt_tokens:
            return Projection(lost=unmatched(k, [], "no_link"))
        ent_starts = np.array([s.start for s in src_spans])
        ent_ends = np.array([s.end for s in src_spans])
        prefix = link_prefix(alignment, ent_starts, ent_ends, len(tgt_tokens))  # computed once
        linked = prefix[:, -1] > 0
        starts, ends, mask = self.candidate_spans(prefix, tgt_tokens, candidates)
        if len(starts):
            scores = dice_from_prefix(prefix, ent_ends - ent_starts, starts, ends)
            if mask is not None:
                scores = np.where(mask, scores, 0.0)
        else:
            scores = np.zeros((k, 0))
        match = greedy_match if self.matching == "greedy" else exact_match
        chosen = match(scores, starts, ends, self.min_score) if len(starts) else []
        spans = [  # the confidence evidence: Dice capped at 1 (several links per word count)
            Span(int(starts[q]), int(ends[q]), src_spans[p].label, min(1.0, sc))
            for p, q, sc in chosen
        ]
        sources = [p for p, _, _ in chosen]
        best = scores.max(axis=1) if scores.shape[1] else np.zeros(k)
        lost: dict[int, LostReason] = {}
        for p in unmatched(k, sources, "conflict"):
            if not linked[p]:
                lost[p] = "no_link"
            elif best[p] <= 0:
                lost[p] = "no_candidate"
            elif best[p] <= self.min_score:
                lost[p] = "below_threshold"
            else:
                lost[p] = "conflict"
        return Projection(spans, sources, lost)


def _make(candidates: str, model: str | None, options: dict[str, object]) -> CandidateProjector:
    if model:
        options = {**options, "matching": model}
    return CandidateProjector(**{**options, "candidates": candidates})  # type: ignore[arg-type]


def make_ngram(model: str | None = None, **options: object) -> CandidateProjector:
    """Registry factory: ``ngram``, ``ngram:greedy`` or ``ngram:exact``."""
    return _make("ngram", model, options)


def make_ner(model: str | None = None, **options: object) -> CandidateProjector:
    """Registry factory: ``ner``, ``ner:greedy`` or ``ner:exact``."""
    return _make("ner", model, options)
