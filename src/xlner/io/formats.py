"""Pick a reader/writer by explicit format name or file extension; stream either way."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import IO

from xlner.data import Sentence
from xlner.errors import XlnerError
from xlner.io.atomic import atomic_open
from xlner.io.conll import conll_lines, iter_conll
from xlner.io.jsonl import iter_jsonl, jsonl_line
from xlner.io.text import iter_text

FORMATS = ("conll", "jsonl", "text")
_EXTENSIONS = {".jsonl": "jsonl", ".json": "jsonl", ".ndjson": "jsonl", ".txt": "auto-text"}


def detect_format(path: str | Path, fmt: str | None = None) -> str:
    """``fmt`` when given (checked); else by extension: ``.jsonl/.json`` -> jsonl, ``.txt`` ->
    conll when its lines have consistent columns ending in a tag (:func:`_looks_like_conll`),
    else text; anything else -> conll."""
    if fmt is not None and fmt != "auto":
        if fmt not in FORMATS:
            raise XlnerError(f"unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}")
        return fmt
    found = _EXTENSIONS.get(Path(path).suffix.lower(), "conll")
    if found == "auto-text":
        return "conll" if _looks_like_conll(Path(path)) else "text"
    return found


#: Token lines :func:`_looks_like_conll` reads; of them, at least this share must agree on the
#: column count and carry a tag in the tag column for a ``.txt`` file to be read as CoNLL.
_SAMPLE_LINES = 200
_AGREE = 0.5


def _looks_like_conll(path: Path) -> bool:
    """Whether a ``.txt`` file is a column file: at least half of its first token lines
    (``-DOCSTART-`` and blank lines skipped) have one column count (two or more) and a tag in
    the last column (or the one before a score column). ``token POS CHUNK TAG`` (CoNLL-2003)
    counts; plain text, whose lines have any number of words, does not. The lines that
    disagree are left to the CoNLL reader, which names them."""
    from collections import Counter

    from xlner.data import is_valid_tag
    from xlner.io.conll import iter_lines

    widths: Counter[int] = Counter()
    tagged = 0
    try:
        for line in iter_lines(path):
            cols = line.split("\t") if "\t" in line else line.split()
            cols = [c.strip() for c in cols]
            if not any(cols) or cols[0] == "-DOCSTART-":
                continue
            widths[len(cols)] += 1
            tagged += len(cols) >= 2 and (
                is_valid_tag(cols[-1]) or (len(cols) >= 3 and is_valid_tag(cols[-2]))
            )
            if widths.total() >= _SAMPLE_LINES:
                break
    except XlnerError:
        return True  # let the CoNLL reader report the problem
    if not widths:
        return True
    width, same = widths.most_common(1)[0]
    n = widths.total()
    return width >= 2 and same >= _AGREE * n and tagged >= _AGREE * n


def iter_sentences(
    path: str | Path, fmt: str | None = None, lang: str | None = None
) -> Iterator[Sentence]:
    """Stream sentences from a CoNLL, JSONL or plain-text file."""
    fmt = detect_format(path, fmt)
    if fmt == "jsonl":
        for s in iter_jsonl(path):
            s.lang = s.lang or lang
            yield s
    elif fmt == "text":
        yield from iter_text(path, lang)
    else:
        yield from iter_conll(path, lang)


def read_sentences(
    path: str | Path, fmt: str | None = None, lang: str | None = None
) -> list[Sentence]:
    return list(iter_sentences(path, fmt, lang))


def output_format(path: str | Path, fmt: str | None = None) -> str:
    fmt = detect_format(path, fmt) if fmt not in (None, "auto") else None
    if fmt is None:
        fmt = "jsonl" if _EXTENSIONS.get(Path(path).suffix.lower()) == "jsonl" else "conll"
    if fmt == "text":
        raise XlnerError("plain text is an input format only; write 'conll' or 'jsonl'")
    return fmt


class SentenceWriter:
    """Write sentences one by one to a CoNLL or JSONL file, atomically: the file appears, whole,
    when the writer is closed without error (``with SentenceWriter(...) as w: w.write(s)``)."""

    def __init__(self, path: str | Path, fmt: str | None = None, scores: bool = False) -> None:
        self.path = Path(path)
        self.fmt = output_format(path, fmt)
        self.scores = scores
        self.count = 0
        self._ctx = atomic_open(self.path)
        self._fh: IO[str] | None = None

    def __enter__(self) -> SentenceWriter:
        self._fh = self._ctx.__enter__()
        return self

    def write(self, sent: Sentence) -> None:
        assert self._fh is not None, "use SentenceWriter as a context manager"
        if self.fmt == "jsonl":
            self._fh.write(jsonl_line(sent) + "\n")
        else:
            self._fh.write("\n".join(conll_lines(sent, scores=self.scores)) + "\n\n")
        self.count += 1

    def write_all(self, sents: Iterable[Sentence]) -> None:
        for s in sents:
            self.write(s)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._ctx.__exit__(exc_type, exc, tb)


def write_sentences(
    sentences: Iterable[Sentence], path: str | Path, fmt: str | None = None, scores: bool = False
) -> None:
    with SentenceWriter(path, fmt, scores) as w:
        w.write_all(sentences)
