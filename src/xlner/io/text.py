"""Plain text input: one sentence per line, tokens separated by whitespace."""

from __future__ import annotations

from pathlib import Path

from xlner.data import Sentence
from xlner.io.conll import read_lines


def read_text(path: str | Path, lang: str | None = None) -> list[Sentence]:
    """Read untagged sentences; blank lines are skipped."""
    return [
        Sentence(line.split(), None, lang, str(i))
        for i, line in enumerate(x for x in read_lines(Path(path)) if x.strip())
    ]
