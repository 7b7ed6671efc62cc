"""Word aligners: SimAlign- and AWESoME-style (own batched implementations), eflomal."""

from __future__ import annotations

from xlner.align.base import ALIGNERS, Aligner

__all__ = ["ALIGNERS", "Aligner"]
