"""Readers and writers: CoNLL column files, JSONL, plain text. No torch."""

from __future__ import annotations

from xlner.io.conll import read_conll, write_conll
from xlner.io.formats import detect_format, read_sentences, write_sentences
from xlner.io.jsonl import read_jsonl, write_jsonl
from xlner.io.text import read_text

__all__ = [
    "detect_format",
    "read_conll",
    "read_jsonl",
    "read_sentences",
    "read_text",
    "write_conll",
    "write_jsonl",
    "write_sentences",
]
