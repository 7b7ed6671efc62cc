"""CoNLL column files.

Read: ``token TAG`` (MasakhaNER), ``token POS CHUNK TAG`` (CoNLL-2003; the tag is the last
column), and XTREME PAN-X ``lang:token<TAB>TAG`` (the ``lang:`` prefix is stripped and becomes
the sentence language). Tab or space separators, ``-DOCSTART-`` lines skipped, UTF-8 with or
without BOM, CRLF tolerated. Blank lines separate sentences.

Write: ``token TAG`` per line, a blank line after each sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from xlner.data import Sentence, spans_to_tags, tags_to_spans
from xlner.errors import DataFormatError
from xlner.io.atomic import atomic_open

_PANX_RE = re.compile(r"^([a-z]{2,3}):(.+)$")


def read_lines(path: Path) -> list[str]:
    """Lines of a UTF-8 file (BOM and CRLF tolerated); shared by every reader, with
    :class:`DataFormatError` naming the file (and line, for bad UTF-8)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataFormatError(path, None, "file not found") from None
    except IsADirectoryError:
        raise DataFormatError(path, None, "is a directory, expected a file") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise DataFormatError(path, line, f"not valid UTF-8 ({e.reason})") from None
    return text.splitlines()


def _detect_panx(lines: list[str], sample: int = 50) -> str | None:
    """The PAN-X language when the first ``sample`` token lines are tab-separated and all start
    with the same ``lang:`` prefix (XTREME's layout); else ``None``."""
    prefixes: set[str] = set()
    seen = 0
    for line in lines:
        cols = line.split("\t")
        if not line.strip() or cols[0].strip() == "-DOCSTART-":
            continue
        m = _PANX_RE.match(cols[0].strip())
        if len(cols) < 2 or not m:
            return None
        prefixes.add(m.group(1))
        seen += 1
        if len(prefixes) > 1:
            return None
        if seen >= sample:
            break
    return prefixes.pop() if prefixes else None


def read_conll(
    path: str | Path, lang: str | None = None, id_prefix: str | None = None
) -> list[Sentence]:
    """Read a CoNLL column file into sentences with gold spans.

    Raises :class:`~xlner.errors.DataFormatError` naming the file and line for a line with a
    single column, an unknown tag shape (``X-PER``) or bad UTF-8.
    """
    path = Path(path)
    lines = read_lines(path)
    panx = _detect_panx(lines)
    prefix = f"{id_prefix}-" if id_prefix else ""
    sentences: list[Sentence] = []
    tokens: list[str] = []
    tags: list[str] = []
    first_line = 0

    def flush() -> None:
        if tokens:
            try:
                spans = tags_to_spans(tags)
            except ValueError as e:  # pragma: no cover - tags are validated per line
                raise DataFormatError(path, first_line, str(e)) from None
            sent_lang = panx or lang
            sentences.append(Sentence(list(tokens), spans, sent_lang, f"{prefix}{len(sentences)}"))
            tokens.clear()
            tags.clear()

    for lineno, line in enumerate(lines, start=1):
        cols = line.split("\t") if "\t" in line else line.split()
        cols = [c.strip() for c in cols]
        if not cols or all(not c for c in cols):
            flush()
            continue
        if cols[0] == "-DOCSTART-":
            flush()
            continue
        if len(cols) < 2 or not cols[0] or not cols[-1]:
            raise DataFormatError(
                path, lineno, f"expected 'token TAG' (2 or more columns), got {line.strip()!r}"
            )
        token, tag = cols[0], cols[-1]
        if tag != "O" and not re.match(r"^[BIES]-\S+$", tag):
            raise DataFormatError(
                path, lineno, f"unknown tag {tag!r}: expected O or B-/I-/E-/S- followed by a label"
            )
        if panx:
            m = _PANX_RE.match(token)
            if m and m.group(1) == panx:
                token = m.group(2)
        if not tokens:
            first_line = lineno
        tokens.append(token)
        tags.append(tag)
    flush()
    return sentences


def format_conll(sentences: Iterable[Sentence], sep: str = " ") -> str:
    """CoNLL text for ``sentences``: ``token<sep>TAG`` lines, a blank line after each sentence."""
    out: list[str] = []
    for i, sent in enumerate(sentences):
        for tok in sent.tokens:
            if not tok or any(ch.isspace() for ch in tok):
                raise ValueError(
                    f"sentence {sent.id or i}: token {tok!r} is empty or contains whitespace, "
                    "which CoNLL cannot represent (write JSONL instead)"
                )
        tags = spans_to_tags(sent.spans or [], len(sent.tokens))
        out.extend(f"{tok}{sep}{tag}" for tok, tag in zip(sent.tokens, tags))
        out.append("")
    return "\n".join(out) + ("\n" if out else "")


def write_conll(sentences: Iterable[Sentence], path: str | Path, sep: str = " ") -> None:
    """Write sentences atomically as ``token TAG`` lines."""
    text = format_conll(sentences, sep)
    with atomic_open(path) as fh:
        fh.write(text)
