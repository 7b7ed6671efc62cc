"""Plain text input: one sentence per line, split into words with :func:`xlner.text.tokenize`
(punctuation split off, as the translation side is); each sentence keeps its text and every
word's character offsets, so entities can be rendered back onto the text (JSONL output has
``text`` and each span's ``char_start``/``char_end``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from xlner.data import Sentence
from xlner.io.conll import iter_lines
from xlner.text import tokenize


def iter_text(path: str | Path, lang: str | None = None) -> Iterator[Sentence]:
    """Stream untagged sentences; blank lines are skipped."""
    i = 0
    for line in iter_lines(Path(path)):
        if not line.strip():
            continue
        words, offsets = tokenize(line, lang)
        yield Sentence(words, None, lang, str(i), text=line, offsets=offsets)
        i += 1


def read_text(path: str | Path, lang: str | None = None) -> list[Sentence]:
    return list(iter_text(path, lang))
