"""The break-even volume: sentences per language above which translate-train, which pays a
one-time cost per language, costs less in total than translate-test."""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise

import numpy as np

from xlner.bench.costmodel import MethodCost


def counterpart(tt: MethodCost, trt: Sequence[MethodCost]) -> MethodCost | None:
    """translate-train with ``tt``'s projection (the same name without +bt, else the same
    kind, else the first)."""
    base = tt.name.removesuffix("+bt")
    for cond in (
        lambda m: m.name == base,
        lambda m: m.name.split(":")[0] == base.split(":")[0],
        lambda m: True,
    ):
        found = [m for m in trt if cond(m)]
        if found:
            return found[0]
    return None


def break_even(
    a: MethodCost, b: MethodCost, languages: int = 1, limit: float = 1e12
) -> float | None:
    """The fewest sentences per language at which ``a`` costs no more than ``b`` in total
    (``languages`` languages, models loaded once); ``None`` when ``a`` stays dearer up to
    ``limit``; 0 when it is never dearer."""

    def diff(m: float) -> float:
        return a.seconds(languages, m) - b.seconds(languages, m)

    if diff(1.0) <= 0:
        return 0.0
    grid = np.logspace(0, math.log10(limit), 481)
    for lo, hi in pairwise(grid):
        if diff(float(hi)) > 0:
            continue
        lo, hi = float(lo), float(hi)  # diff(lo) > 0 >= diff(hi)
        while hi - lo > 0.5:
            mid = (lo + hi) / 2
            lo, hi = (lo, mid) if diff(mid) <= 0 else (mid, hi)
        n = math.floor(lo)
        while diff(n) > 0:  # the first whole number of sentences
            n += 1
        return float(n)
    return None
