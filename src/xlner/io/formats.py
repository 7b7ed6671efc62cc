"""Pick a reader/writer by explicit format name or file extension."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from xlner.data import Sentence
from xlner.errors import XlnerError
from xlner.io.conll import read_conll, write_conll
from xlner.io.jsonl import read_jsonl, write_jsonl
from xlner.io.text import read_text

FORMATS = ("conll", "jsonl", "text")
_EXTENSIONS = {".jsonl": "jsonl", ".json": "jsonl", ".ndjson": "jsonl"}


def detect_format(path: str | Path, fmt: str | None = None) -> str:
    """``fmt`` when given (checked), else ``jsonl`` for ``.jsonl/.json``, else ``conll``."""
    if fmt is not None and fmt != "auto":
        if fmt not in FORMATS:
            raise XlnerError(f"unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}")
        return fmt
    return _EXTENSIONS.get(Path(path).suffix.lower(), "conll")


def read_sentences(
    path: str | Path, fmt: str | None = None, lang: str | None = None
) -> list[Sentence]:
    fmt = detect_format(path, fmt)
    if fmt == "jsonl":
        sents = read_jsonl(path)
        if lang is not None:
            for s in sents:
                s.lang = s.lang or lang
        return sents
    if fmt == "text":
        return read_text(path, lang)
    return read_conll(path, lang)


def write_sentences(
    sentences: Iterable[Sentence], path: str | Path, fmt: str | None = None
) -> None:
    fmt = detect_format(path, fmt)
    if fmt == "jsonl":
        write_jsonl(sentences, path)
    elif fmt == "conll":
        write_conll(sentences, path)
    else:
        raise XlnerError("plain text is an input format only; write 'conll' or 'jsonl'")
