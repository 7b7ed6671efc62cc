"""A :class:`Batch` is one chunk of one language's sentences on its way through the stages.

Every stage reads some fields and fills others (see :mod:`xlner.steps`); the batch also carries
the seconds each stage took on it. A batch is plain data: it converts to and from JSON
(:meth:`Batch.to_json`) to travel between Ray workers, and the same codecs store stage outputs
in the on-disk memo (:mod:`xlner.memo`) — nothing read back from disk is ever unpickled.

Projection always maps ``src_spans`` on ``src_words`` onto ``tgt_words`` through
``alignments`` (source word, target word). In translate-test the source side is the English
translation and the target side the input sentence; in translate-train the source side is the
labelled English sentence and the target side its translation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import Any, Literal

import numpy as np

from xlner.data import Alignment, Sentence, Span
from xlner.project.base import LostReason

Direction = Literal["test", "train"]

# --------------------------------------------------------------------------- codecs

SpanRow = list[Any]  # [start, end, label, score]


def spans_to_json(spans: list[list[Span]]) -> list[list[SpanRow]]:
    return [[[s.start, s.end, s.label, s.score] for s in row] for row in spans]


def spans_from_json(rows: list[list[SpanRow]]) -> list[list[Span]]:
    return [
        [Span(int(a), int(b), str(c), None if d is None else float(d)) for a, b, c, d in row]
        for row in rows
    ]


def alignments_to_json(alignments: list[Alignment]) -> list[dict[str, Any]]:
    return [
        {
            "pairs": a.pairs.reshape(-1).tolist(),
            "scores": None if a.scores is None else [float(x) for x in a.scores],
        }
        for a in alignments
    ]


def alignments_from_json(rows: list[dict[str, Any]]) -> list[Alignment]:
    return [
        Alignment(
            np.asarray(r["pairs"], dtype=np.int64).reshape(-1, 2),
            None if r["scores"] is None else np.asarray(r["scores"], dtype=np.float64),
        )
        for r in rows
    ]


def lost_to_json(lost: list[dict[int, LostReason]]) -> list[dict[str, str]]:
    return [{str(k): v for k, v in row.items()} for row in lost]


def lost_from_json(rows: list[dict[str, str]]) -> list[dict[int, LostReason]]:
    return [{int(k): v for k, v in row.items()} for row in rows]  # type: ignore[misc]


def sentences_to_json(sents: list[Sentence]) -> list[dict[str, Any]]:
    return [
        {
            "tokens": s.tokens,
            "spans": None if s.spans is None else spans_to_json([s.spans])[0],
            "lang": s.lang,
            "id": s.id,
            **({"text": s.text} if s.text is not None else {}),
            **({"offsets": [[a, b] for a, b in s.offsets]} if s.offsets is not None else {}),
            **({"parallel": sentences_to_json([s.parallel])[0]} if s.parallel else {}),
        }
        for s in sents
    ]


def sentences_from_json(rows: list[dict[str, Any]]) -> list[Sentence]:
    return [
        Sentence(
            list(r["tokens"]),
            None if r["spans"] is None else spans_from_json([r["spans"]])[0],
            r["lang"],
            r["id"],
            text=r.get("text"),
            offsets=[(int(a), int(b)) for a, b in r["offsets"]] if "offsets" in r else None,
            parallel=sentences_from_json([r["parallel"]])[0] if r.get("parallel") else None,
        )
        for r in rows
    ]


# --------------------------------------------------------------------------- the batch


@dataclass
class Backtranslation:
    """Labelled segments of a marked back-translation (see :mod:`xlner.project.backtranslate`)."""

    words: list[list[str]]  # marker-free back-translated words
    spans: list[list[Span]]  # labelled segments (score: similarity x source confidence)
    sources: list[list[int]]  # source entity of each segment
    lost: list[dict[int, LostReason]]  # source entities whose markers were lost

    def to_json(self) -> dict[str, Any]:
        return {
            "words": self.words,
            "spans": spans_to_json(self.spans),
            "sources": self.sources,
            "lost": lost_to_json(self.lost),
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Backtranslation:
        return cls(d["words"], spans_from_json(d["spans"]), d["sources"], lost_from_json(d["lost"]))


@dataclass
class Batch:
    lang: str  # the target language
    start: int  # index of the first sentence in its language's corpus
    sentences: list[Sentence]
    direction: Direction = "test"
    source: int = 0  # index of its corpus among the run's sources (languages)
    translations: list[str] | None = None  # raw MT output
    src_words: list[list[str]] | None = None
    src_spans: list[list[Span]] | None = None
    tgt_words: list[list[str]] | None = None
    tgt_tags: list[list[Span]] | None = None  # the model-transfer tagger on the target words
    tgt_tags_en: list[list[Span]] | None = None  # the English tagger on the target words
    candidates: list[list[Span]] | None = None  # the candidate tagger on the target words
    alignments: list[Alignment] | None = None
    bt: Backtranslation | None = None
    bt_alignments: list[Alignment] | None = None
    outputs: dict[str, list[list[Span]]] = field(default_factory=dict)  # method -> spans
    lost: dict[str, list[dict[int, LostReason]]] = field(default_factory=dict)
    # aligner stage -> sentences too long for the aligner (left unaligned)
    too_long: dict[str, list[int]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.sentences)

    @property
    def key(self) -> tuple[str, int]:
        return (self.lang, self.start)

    def to_json(self) -> str:
        encode: dict[str, Any] = {
            "sentences": sentences_to_json,
            "src_spans": spans_to_json,
            "tgt_tags": spans_to_json,
            "tgt_tags_en": spans_to_json,
            "candidates": spans_to_json,
            "alignments": alignments_to_json,
            "bt_alignments": alignments_to_json,
            "bt": Backtranslation.to_json,
            "outputs": lambda v: {k: spans_to_json(x) for k, x in v.items()},
            "lost": lambda v: {k: lost_to_json(x) for k, x in v.items()},
        }
        d: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            d[f.name] = v if v is None or f.name not in encode else encode[f.name](v)
        return json.dumps(d, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Batch:
        d = json.loads(text)

        def opt(name: str, decode: Any) -> Any:
            return None if d.get(name) is None else decode(d[name])

        return cls(
            lang=d["lang"],
            start=d["start"],
            sentences=sentences_from_json(d["sentences"]),
            direction=d["direction"],
            source=d.get("source", 0),
            translations=d.get("translations"),
            src_words=d.get("src_words"),
            src_spans=opt("src_spans", spans_from_json),
            tgt_words=d.get("tgt_words"),
            tgt_tags=opt("tgt_tags", spans_from_json),
            tgt_tags_en=opt("tgt_tags_en", spans_from_json),
            candidates=opt("candidates", spans_from_json),
            alignments=opt("alignments", alignments_from_json),
            bt=opt("bt", Backtranslation.from_json),
            bt_alignments=opt("bt_alignments", alignments_from_json),
            outputs={k: spans_from_json(v) for k, v in d.get("outputs", {}).items()},
            lost={k: lost_from_json(v) for k, v in d.get("lost", {}).items()},
            too_long=d.get("too_long", {}),
            seconds=d.get("seconds", {}),
        )
