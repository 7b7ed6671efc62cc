"""JSONL: one sentence per line,
``{"id": .., "lang": .., "tokens": [..], "spans": [{"start": 0, "end": 2, "label": "PER"}]}``.

``spans`` may be absent or ``null`` (an untagged sentence); a span may carry a ``score``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

from xlner.data import Sentence, Span
from xlner.errors import DataFormatError
from xlner.io.atomic import atomic_open
from xlner.io.conll import iter_lines


def _parse_span(obj: Any, n_tokens: int) -> Span:
    if not isinstance(obj, dict):
        raise ValueError(f"a span must be an object, got {obj!r}")
    try:
        start, end, label = obj["start"], obj["end"], obj["label"]
    except KeyError as e:
        raise ValueError(f"span {obj!r} lacks the key {e.args[0]!r}") from None
    if not (isinstance(start, int) and isinstance(end, int) and isinstance(label, str) and label):
        raise ValueError(f"span {obj!r}: start/end must be integers and label a non-empty string")
    if not (0 <= start < end <= n_tokens):
        raise ValueError(f"span [{start}, {end}) outside a {n_tokens}-token sentence")
    score = obj.get("score")
    return Span(start, end, label, None if score is None else float(score))


def sentence_from_dict(obj: Any) -> Sentence:
    """Build a :class:`Sentence` from a decoded JSON object; ``ValueError`` when malformed."""
    if not isinstance(obj, dict):
        raise ValueError("expected a JSON object per line")
    tokens = obj.get("tokens")
    if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
        raise ValueError("'tokens' must be a list of strings")
    raw_spans = obj.get("spans")
    spans = None
    if raw_spans is not None:
        if not isinstance(raw_spans, list):
            raise ValueError("'spans' must be a list")
        spans = sorted(_parse_span(s, len(tokens)) for s in raw_spans)
        for a, b in pairwise(spans):
            if a.overlaps(b):
                raise ValueError(f"spans {a.start}-{a.end} and {b.start}-{b.end} overlap")
    sid, lang = obj.get("id"), obj.get("lang")
    return Sentence(
        list(tokens), spans, None if lang is None else str(lang), None if sid is None else str(sid)
    )


def sentence_to_dict(sent: Sentence) -> dict[str, Any]:
    """The JSONL object of a sentence; with the text it was read from (plain-text input) also
    ``text`` and each span's ``char_start``/``char_end`` and ``text``."""
    spans = None
    if sent.spans is not None:
        spans = []
        for s in sorted(sent.spans):
            d: dict[str, Any] = {"start": s.start, "end": s.end, "label": s.label}
            if s.score is not None:
                d["score"] = round(float(s.score), 6)
            if sent.text is not None and sent.offsets is not None:
                a, b = sent.offsets[s.start][0], sent.offsets[s.end - 1][1]
                d.update(char_start=a, char_end=b, text=sent.text[a:b])
            spans.append(d)
    out: dict[str, Any] = {"id": sent.id, "lang": sent.lang, "tokens": sent.tokens, "spans": spans}
    if sent.text is not None:
        out["text"] = sent.text
    return out


def iter_jsonl(path: str | Path) -> Iterator[Sentence]:
    """Stream JSONL sentences; a malformed line raises ``DataFormatError`` naming file and line."""
    path = Path(path)
    for lineno, line in enumerate(iter_lines(path), start=1):
        if not line.strip():
            continue
        try:
            yield sentence_from_dict(json.loads(line))
        except json.JSONDecodeError as e:
            raise DataFormatError(path, lineno, f"invalid JSON ({e.msg})") from None
        except ValueError as e:
            raise DataFormatError(path, lineno, str(e)) from None


def read_jsonl(path: str | Path) -> list[Sentence]:
    """Read JSONL sentences (see :func:`iter_jsonl`)."""
    return list(iter_jsonl(path))


def jsonl_line(sent: Sentence) -> str:
    return json.dumps(sentence_to_dict(sent), ensure_ascii=False)


def format_jsonl(sentences: Iterable[Sentence]) -> str:
    return "".join(jsonl_line(s) + "\n" for s in sentences)


def write_jsonl(sentences: Iterable[Sentence], path: str | Path) -> None:
    text = format_jsonl(sentences)
    with atomic_open(path) as fh:
        fh.write(text)
