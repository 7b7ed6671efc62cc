"""Combinations of two word alignments of the same sentence pair: ``intersection``, ``union``
and ``fill`` (the first alignment's links, plus the second's links between two words the
first leaves both unaligned — the "final-and" step of grow-diag-final-and)."""

from __future__ import annotations

import numpy as np

from xlner.data import Alignment
from xlner.errors import XlnerError

COMBINATIONS = ("intersection", "union", "fill")


def _pairs(links: set[tuple[int, int]]) -> Alignment:
    return Alignment(np.array(sorted(links), dtype=np.int64).reshape(-1, 2))


def combine(a: Alignment, b: Alignment, how: str) -> Alignment:
    """``a`` and ``b`` combined ``how`` (one of :data:`COMBINATIONS`); scores are dropped."""
    sa, sb = a.as_set(), b.as_set()
    if how == "intersection":
        return _pairs(sa & sb)
    if how == "union":
        return _pairs(sa | sb)
    if how == "fill":
        src = {i for i, _ in sa}
        tgt = {j for _, j in sa}
        return _pairs(sa | {(i, j) for i, j in sb if i not in src and j not in tgt})
    raise XlnerError(f"unknown combination {how!r}; choose one of: {', '.join(COMBINATIONS)}")
