"""The alignment heuristic (re-implementation of García-Ferrero et al. 2022, as in the
reference code of Politov et al. 2025).

For each source entity ``[s, e)`` labelled L:

1. collect the target words aligned to any of its words; group them into maximal runs;
2. merge neighbouring runs separated by at most ``merge_distance`` words;
3. keep each run whose ``length / entity length > length_ratio``;
4. (``top_k``) keep only the k longest runs;
5. label the kept runs L. Collisions: ``overwrite`` writes tags in entity order, later
   entities winning, and decodes the tags (exactly what the reference code does);
   ``keep_longer`` keeps the longer of two overlapping projections.

``drop_punct`` ignores punctuation-only target words (the original García-Ferrero variant,
which also keeps only the largest group: ``heuristic:original``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from xlner.data import Alignment, Span, tags_to_spans
from xlner.errors import XlnerError
from xlner.project.base import LostReason, Projection, unmatched
from xlner.project.scores import dice_scores


def is_punct(token: str) -> bool:
    return bool(token) and all(unicodedata.category(ch).startswith("P") for ch in token)


def aligned_runs(cols: np.ndarray, merge_distance: int) -> list[tuple[int, int]]:
    """Group sorted unique target indices into half-open runs, merging gaps of at most
    ``merge_distance`` words."""
    if len(cols) == 0:
        return []
    breaks = np.flatnonzero(np.diff(cols) > max(merge_distance, 0) + 1)
    starts = np.concatenate(([cols[0]], cols[breaks + 1]))
    ends = np.concatenate((cols[breaks], [cols[-1]])) + 1
    return list(zip(starts.tolist(), ends.tolist()))


@dataclass
class HeuristicProjector:
    merge_distance: int = 1
    length_ratio: float = 0.8
    top_k: int | None = None
    collision: Literal["overwrite", "keep_longer"] = "overwrite"
    drop_punct: bool = False
    needs_candidates = False

    def __post_init__(self) -> None:
        if self.collision not in ("overwrite", "keep_longer"):
            raise XlnerError(
                f"unknown collision policy {self.collision!r}; choose overwrite or keep_longer"
            )
        if self.top_k is not None and self.top_k < 1:
            raise XlnerError("top_k must be >= 1 (or None for all runs)")

    def runs(
        self, span: Span, matrix: np.ndarray, punct: np.ndarray | None = None
    ) -> tuple[list[tuple[int, int]], LostReason | None]:
        """The kept target runs of one source entity, and why there are none when empty."""
        aligned = matrix[span.start : span.end].any(axis=0)
        if punct is not None:
            aligned &= ~punct
        runs = aligned_runs(np.flatnonzero(aligned), self.merge_distance)
        if not runs:
            return [], "no_link"
        n = len(span)
        runs = [r for r in runs if (r[1] - r[0]) / n > self.length_ratio]
        if self.top_k is not None:
            runs = sorted(runs, key=lambda r: (r[0] - r[1], r[0]))[: self.top_k]
        return sorted(runs), (None if runs else "ratio_filter")

    def project(
        self,
        src_spans: Sequence[Span],
        alignment: Alignment,
        src_len: int,
        tgt_tokens: Sequence[str],
        candidates: Sequence[Span] | None = None,
    ) -> Projection:
        tgt_len = len(tgt_tokens)
        if not src_spans or tgt_len == 0:
            return Projection(lost=unmatched(len(src_spans), [], "no_link"))
        matrix = alignment.to_matrix(src_len, tgt_len)
        punct = np.array([is_punct(t) for t in tgt_tokens]) if self.drop_punct else None
        lost: dict[int, LostReason] = {}
        runs: list[list[tuple[int, int]]] = []
        for idx, span in enumerate(src_spans):
            kept, why = self.runs(span, matrix, punct)
            runs.append(kept)
            if why is not None:
                lost[idx] = why
        if self.collision == "overwrite":
            labels = ["O"] * tgt_len
            owner = np.full(tgt_len, -1)
            for idx, span in enumerate(src_spans):
                for a, b in runs[idx]:
                    labels[a:b] = [f"B-{span.label}"] + [f"I-{span.label}"] * (b - a - 1)
                    owner[a:b] = idx
            spans = tags_to_spans(labels)
            sources = [int(owner[s.start]) for s in spans]
        else:
            chosen: list[tuple[Span, int]] = []  # (projected, source index)
            for idx, span in enumerate(src_spans):
                for a, b in runs[idx]:
                    new = Span(a, b, span.label)
                    clashes = [c for c in chosen if c[0].overlaps(new)]
                    if all(len(new) > len(c[0]) for c in clashes):
                        chosen = [c for c in chosen if c not in clashes] + [(new, idx)]
            spans = [c[0] for c in chosen]
            sources = [c[1] for c in chosen]
        conflicts = unmatched(len(src_spans), sources, "conflict")
        lost.update({i: why for i, why in conflicts.items() if i not in lost})
        return Projection(
            _with_scores(spans, sources, src_spans, alignment, tgt_len), sources, lost
        )


def _with_scores(
    spans: list[Span],
    sources: list[int],
    src_spans: Sequence[Span],
    alignment: Alignment,
    tgt_len: int,
) -> list[Span]:
    """Each span scored by the Dice score of its source entity and itself, capped at 1 (a
    word with several links can count more links than words)."""
    if not spans:
        return []
    src = [src_spans[i] for i in sources]
    scores = dice_scores(
        alignment,
        np.array([s.start for s in src]),
        np.array([s.end for s in src]),
        np.array([s.start for s in spans]),
        np.array([s.end for s in spans]),
        tgt_len,
    )
    return [
        Span(s.start, s.end, s.label, min(1.0, float(scores[i, i]))) for i, s in enumerate(spans)
    ]


def make_heuristic(model: str | None = None, **options: object) -> HeuristicProjector:
    """Registry factory: ``heuristic`` or ``heuristic:original`` (drop punctuation, keep the
    largest group, keep the longer projection on collisions)."""
    if model == "original":
        defaults: dict[str, object] = {"drop_punct": True, "top_k": 1, "collision": "keep_longer"}
        defaults.update(options)
        return HeuristicProjector(**defaults)  # type: ignore[arg-type]
    if model not in (None, "", "reference"):
        raise XlnerError(f"unknown heuristic variant {model!r}; choose reference or original")
    return HeuristicProjector(**options)  # type: ignore[arg-type]
