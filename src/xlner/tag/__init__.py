"""Taggers: HF token classification (XLM-R CoNLL-03 by default) and spaCy pipelines."""

from __future__ import annotations

from xlner.tag.base import TAGGERS, Tagger

__all__ = ["TAGGERS", "Tagger"]
