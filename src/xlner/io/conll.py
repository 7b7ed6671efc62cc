"""CoNLL column files.

Read: ``token TAG`` (MasakhaNER), ``token POS CHUNK TAG`` (CoNLL-2003; the tag is the last
column), and XTREME PAN-X ``lang:token<TAB>TAG`` (the ``lang:`` prefix is stripped and becomes
the sentence language). Tab or space separators, ``-DOCSTART-`` lines skipped, UTF-8 with or
without BOM, CRLF tolerated. Blank lines separate sentences.

Write: ``token TAG`` per line, a blank line after each sentence; optionally a third column
with the entity's confidence (``-`` outside entities), which the reader reads back.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from xlner.data import Sentence, Span, is_valid_tag, spans_to_tags, tags_to_spans
from xlner.errors import DataFormatError
from xlner.io.atomic import atomic_open

_PANX_RE = re.compile(r"^([a-z]{2,3}):(.+)$")


def iter_lines(path: Path) -> Iterator[str]:
    """Lines of a UTF-8 file, streamed (BOM and CRLF tolerated, no line ends), with
    :class:`DataFormatError` naming the file (and the line, for bad UTF-8)."""
    lineno = 0
    try:
        with path.open("r", encoding="utf-8-sig", newline=None) as fh:
            for line in fh:
                lineno += 1
                yield line.rstrip("\n")
    except FileNotFoundError:
        raise DataFormatError(path, None, "file not found") from None
    except IsADirectoryError:
        raise DataFormatError(path, None, "is a directory, expected a file") from None
    except PermissionError:
        raise DataFormatError(path, None, "permission denied") from None
    except UnicodeDecodeError as e:  # the decoder reads ahead: find the line in the bytes
        raw = path.read_bytes()
        try:
            raw.decode("utf-8-sig")
            at, why = lineno + 1, str(e.reason)
        except UnicodeDecodeError as exact:
            at, why = raw[: exact.start].count(b"\n") + 1, str(exact.reason)
        raise DataFormatError(path, at, f"not valid UTF-8 ({why})") from None


def _detect_panx(lines: Iterable[str], sample: int = 50) -> str | None:
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


def _score(text: str) -> float | None:
    """The value of a score column (``-`` for none); ``ValueError`` if it is not one."""
    if text == "-":
        return None
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise ValueError(text)
    return value


def iter_conll(
    path: str | Path, lang: str | None = None, id_prefix: str | None = None
) -> Iterator[Sentence]:
    """Stream a CoNLL column file as sentences with gold spans (see :func:`read_conll`)."""
    path = Path(path)
    panx = _detect_panx(iter_lines(path))
    prefix = f"{id_prefix}-" if id_prefix else ""
    n = 0
    tokens: list[str] = []
    tags: list[str] = []
    scores: list[float | None] = []
    for lineno, line in enumerate(iter_lines(path), start=1):
        cols = line.split("\t") if "\t" in line else line.split()
        cols = [c.strip() for c in cols]
        if not cols or all(not c for c in cols) or cols[0] == "-DOCSTART-":
            if tokens:
                yield _sentence(tokens, tags, scores, panx or lang, f"{prefix}{n}")
                n += 1
                tokens, tags, scores = [], [], []
            continue
        if len(cols) < 2 or not cols[0] or not cols[-1]:
            raise DataFormatError(
                path, lineno, f"expected 'token TAG' (2 or more columns), got {line.strip()!r}"
            )
        token, tag, score = cols[0], cols[-1], None
        if len(cols) >= 3 and not is_valid_tag(tag) and is_valid_tag(cols[-2]):
            with contextlib.suppress(ValueError):  # a trailing confidence column: token TAG score
                tag, score = cols[-2], _score(cols[-1])
        if not is_valid_tag(tag):
            hint = ""
            if len(cols) > 2 or (tag[:1].isupper() and tag[1:2] != "-"):
                hint = "; is this plain text? pass --input-format text"
            raise DataFormatError(
                path,
                lineno,
                f"unknown tag {tag!r}: expected O or B-/I-/E-/S- followed by a label{hint}",
            )
        if panx:
            m = _PANX_RE.match(token)
            if m and m.group(1) == panx:
                token = m.group(2)
        tokens.append(token)
        tags.append(tag)
        scores.append(score)
    if tokens:
        yield _sentence(tokens, tags, scores, panx or lang, f"{prefix}{n}")


def _sentence(
    tokens: list[str], tags: list[str], scores: list[float | None], lang: str | None, sid: str
) -> Sentence:
    spans = tags_to_spans(tags)
    if any(x is not None for x in scores):
        spans = [Span(s.start, s.end, s.label, scores[s.start]) for s in spans]
    return Sentence(tokens, spans, lang, sid)


def read_conll(
    path: str | Path, lang: str | None = None, id_prefix: str | None = None
) -> list[Sentence]:
    """Read a CoNLL column file into sentences with gold spans.

    Raises :class:`~xlner.errors.DataFormatError` naming the file and line for a line with a
    single column, an unknown tag shape (``X-PER``) or bad UTF-8. A trailing score column
    (``token TAG 0.93``, as xlner writes with ``scores=True``) becomes the spans' scores.
    """
    return list(iter_conll(path, lang, id_prefix))


def conll_lines(sent: Sentence, sep: str = " ", scores: bool = False) -> list[str]:
    """``token<sep>TAG`` lines of one sentence (``token TAG score`` with ``scores``)."""
    for tok in sent.tokens:
        if not tok or any(ch.isspace() for ch in tok):
            raise ValueError(
                f"sentence {sent.id}: token {tok!r} is empty or contains whitespace, "
                "which CoNLL cannot represent (write JSONL instead)"
            )
    tags = spans_to_tags(sent.spans or [], len(sent.tokens))
    if not scores:
        return [f"{tok}{sep}{tag}" for tok, tag in zip(sent.tokens, tags)]
    col = ["-"] * len(sent.tokens)
    for s in sent.spans or []:
        if s.score is not None:
            col[s.start : s.end] = [f"{s.score:.4f}"] * len(s)
    return [f"{tok}{sep}{tag}{sep}{c}" for tok, tag, c in zip(sent.tokens, tags, col)]


def format_conll(sentences: Iterable[Sentence], sep: str = " ", scores: bool = False) -> str:
    """CoNLL text for ``sentences``: ``token<sep>TAG`` lines, a blank line after each sentence."""
    out: list[str] = []
    for sent in sentences:
        out.extend(conll_lines(sent, sep, scores))
        out.append("")
    return "\n".join(out) + ("\n" if out else "")


def write_conll(
    sentences: Iterable[Sentence], path: str | Path, sep: str = " ", scores: bool = False
) -> None:
    """Write sentences atomically as ``token TAG`` lines (``token TAG score`` with ``scores``)."""
    text = format_conll(sentences, sep, scores)
    with atomic_open(path) as fh:
        fh.write(text)
