"""JSONL: one sentence per line,
``{"id": .., "lang": .., "tokens": [..], "spans": [{"start": 0, "end": 2, "label": "PER"}]}``.

``spans`` may be absent or ``null`` (an untagged sentence); a span may carry a ``score``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from itertools import pairwise
from pathlib import Path
from typing import Any

from xlner.data import Sentence, Span
from xlner.errors import DataFormatError
from xlner.io.atomic import atomic_open
from xlner.io.conll import read_lines


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
    spans = None
    if sent.spans is not None:
        spans = []
        for s in sorted(sent.spans):
            d: dict[str, Any] = {"start": s.start, "end": s.end, "label": s.label}
            if s.score is not None:
                d["score"] = round(float(s.score), 6)
            spans.append(d)
    return {"id": sent.id, "lang": sent.lang, "tokens": sent.tokens, "spans": spans}


def read_jsonl(path: str | Path) -> list[Sentence]:
    """Read JSONL sentences; a malformed line raises ``DataFormatError`` naming file and line."""
    path = Path(path)
    out = []
    for lineno, line in enumerate(read_lines(path), start=1):
        if not line.strip():
            continue
        try:
            out.append(sentence_from_dict(json.loads(line)))
        except json.JSONDecodeError as e:
            raise DataFormatError(path, lineno, f"invalid JSON ({e.msg})") from None
        except ValueError as e:
            raise DataFormatError(path, lineno, str(e)) from None
    return out


def format_jsonl(sentences: Iterable[Sentence]) -> str:
    return "".join(json.dumps(sentence_to_dict(s), ensure_ascii=False) + "\n" for s in sentences)


def write_jsonl(sentences: Iterable[Sentence], path: str | Path) -> None:
    text = format_jsonl(sentences)
    with atomic_open(path) as fh:
        fh.write(text)
