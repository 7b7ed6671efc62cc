"""Readers and writers: CoNLL column files, JSONL, plain text; streamed. No torch."""

from __future__ import annotations

from xlner.io.conll import iter_conll, read_conll, write_conll
from xlner.io.formats import (
    SentenceWriter,
    detect_format,
    iter_sentences,
    read_sentences,
    write_sentences,
)
from xlner.io.jsonl import iter_jsonl, read_jsonl, write_jsonl
from xlner.io.text import iter_text, read_text

__all__ = [
    "SentenceWriter",
    "detect_format",
    "iter_conll",
    "iter_jsonl",
    "iter_sentences",
    "iter_text",
    "read_conll",
    "read_jsonl",
    "read_sentences",
    "read_text",
    "write_conll",
    "write_jsonl",
    "write_sentences",
]
