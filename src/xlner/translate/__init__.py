"""Translators: HF seq2seq (NLLB-200, M2M100, Marian), CTranslate2, Apertium; SQLite cache."""

from __future__ import annotations

from xlner.translate.base import TRANSLATORS, Translator

__all__ = ["TRANSLATORS", "Translator"]
