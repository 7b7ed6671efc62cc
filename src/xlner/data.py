"""Plain data types shared by every stage: :class:`Span`, :class:`Sentence`, :class:`Alignment`.

Spans use half-open *word* offsets ``[start, end)``. Tags are IOB2 (``B-PER I-PER O``); IOB1,
IOE and IOBES input is decoded with seqeval's default (non-strict) chunking rules, so
``I-PER I-PER`` opens a PER entity exactly as seqeval does. This module imports no torch.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

#: Labels the reference protocol scores; everything else (DATE, MISC, ...) is mapped to O.
REFERENCE_LABELS: tuple[str, ...] = ("PER", "ORG", "LOC")

_TAG_RE = re.compile(r"^(?:O|[BIES]-\S+)$")


@dataclass(frozen=True, order=True)
class Span:
    """An entity: words ``[start, end)`` labelled ``label``; ``score`` is an optional confidence."""

    start: int
    end: int
    label: str
    score: float | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not (0 <= self.start < self.end):
            raise ValueError(f"invalid span [{self.start}, {self.end}): need 0 <= start < end")

    def __len__(self) -> int:
        return self.end - self.start

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end

    def with_label(self, label: str) -> Span:
        return Span(self.start, self.end, label, self.score)

    def text(self, tokens: Sequence[str], sep: str = " ") -> str:
        return sep.join(tokens[self.start : self.end])


@dataclass
class Sentence:
    """A tokenised sentence with optional entity spans (gold or predicted); sentences read
    from plain text also keep the ``text`` and each token's character ``offsets`` in it."""

    tokens: list[str]
    spans: list[Span] | None = None
    lang: str | None = None
    id: str | None = None
    text: str | None = field(default=None, compare=False)
    offsets: list[tuple[int, int]] | None = field(default=None, compare=False)
    #: the same sentence in the pivot language, annotated separately (a parallel dataset)
    parallel: Sentence | None = field(default=None, compare=False, repr=False)

    def __len__(self) -> int:
        return len(self.tokens)

    def tags(self) -> list[str]:
        """IOB2 tags for the tokens (all ``O`` when there are no spans)."""
        return spans_to_tags(self.spans or [], len(self.tokens))

    def with_spans(self, spans: list[Span] | None) -> Sentence:
        return Sentence(
            list(self.tokens), spans, self.lang, self.id, self.text, self.offsets, self.parallel
        )


@dataclass(frozen=True)
class Alignment:
    """Word alignment: an ``(n, 2)`` int array of ``(src_word, tgt_word)`` links, sorted, unique.

    ``scores`` (optional, one per link) keeps the aligner's confidence, e.g. a probability.
    """

    pairs: np.ndarray
    scores: np.ndarray | None = None

    def __post_init__(self) -> None:
        pairs = np.asarray(self.pairs, dtype=np.int64).reshape(-1, 2)
        if len(pairs) and pairs.min() < 0:
            raise ValueError("alignment indices must be >= 0")
        order = np.lexsort((pairs[:, 1], pairs[:, 0])) if len(pairs) else np.arange(0)
        pairs = pairs[order]
        scores = None if self.scores is None else np.asarray(self.scores, dtype=np.float64)[order]
        if len(pairs) > 1:
            keep = np.ones(len(pairs), dtype=bool)
            keep[1:] = np.any(pairs[1:] != pairs[:-1], axis=1)
            pairs = pairs[keep]
            scores = None if scores is None else scores[keep]
        object.__setattr__(self, "pairs", pairs)
        object.__setattr__(self, "scores", scores)

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[int, int]]) -> Alignment:
        return cls(np.array(list(pairs), dtype=np.int64).reshape(-1, 2))

    @classmethod
    def from_matrix(cls, matrix: np.ndarray) -> Alignment:
        """Links where a boolean ``(src_len, tgt_len)`` matrix is true."""
        return cls(np.argwhere(np.asarray(matrix, dtype=bool)))

    @classmethod
    def from_pharaoh(cls, text: str) -> Alignment:
        """Parse ``"0-0 1-2 ..."`` (Pharaoh/Moses format)."""
        pairs = []
        for item in text.split():
            s, sep, t = item.partition("-")
            if not sep or not s.isdigit() or not t.isdigit():
                raise ValueError(f"bad alignment link {item!r}: expected 'i-j'")
            pairs.append((int(s), int(t)))
        return cls.from_pairs(pairs)

    def to_pharaoh(self) -> str:
        return " ".join(f"{s}-{t}" for s, t in self.pairs.tolist())

    def to_matrix(self, src_len: int, tgt_len: int) -> np.ndarray:
        """Boolean ``(src_len, tgt_len)`` matrix; links outside it raise ``ValueError``."""
        m = np.zeros((src_len, tgt_len), dtype=bool)
        if len(self.pairs):
            if self.pairs[:, 0].max() >= src_len or self.pairs[:, 1].max() >= tgt_len:
                raise ValueError(f"alignment link outside a {src_len}x{tgt_len} sentence pair")
            m[self.pairs[:, 0], self.pairs[:, 1]] = True
        return m

    def reversed(self) -> Alignment:
        return Alignment(self.pairs[:, ::-1], self.scores)

    def as_set(self) -> set[tuple[int, int]]:
        return {(int(s), int(t)) for s, t in self.pairs}

    def __len__(self) -> int:
        return len(self.pairs)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return iter((int(s), int(t)) for s, t in self.pairs)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Alignment) and np.array_equal(self.pairs, other.pairs)

    def __hash__(self) -> int:
        return hash(self.pairs.tobytes())


def is_valid_tag(tag: str) -> bool:
    """``O`` or ``B-/I-/E-/S-`` followed by a label."""
    return bool(_TAG_RE.match(tag))


def _split_tag(tag: str) -> tuple[str, str]:
    if tag == "O":
        return "O", ""
    if not _TAG_RE.match(tag):
        raise ValueError(f"unknown tag {tag!r}: expected O or B-/I-/E-/S- followed by a label")
    return tag[0], tag[2:]


def tags_to_spans(tags: Sequence[str]) -> list[Span]:
    """Decode tags into spans with seqeval's default (non-strict) chunking rules.

    Accepts IOB2, IOB1 (an ``I-`` after ``O`` or after another type opens an entity), IOE and
    IOBES. Raises ``ValueError`` for a tag that is not ``O`` or ``[BIES]-LABEL``.
    """
    spans: list[Span] = []
    prev_tag, prev_type = "O", ""
    start = -1
    for i, raw in enumerate([*tags, "O"]):
        tag, type_ = _split_tag(raw)
        # end of chunk (seqeval.metrics.sequence_labeling.end_of_chunk)
        if start >= 0 and (
            prev_tag in ("E", "S")
            or (prev_tag in ("B", "I") and tag in ("B", "S", "O"))
            or (prev_tag != "O" and prev_type != type_)
        ):
            spans.append(Span(start, i, prev_type))
            start = -1
        # start of chunk (seqeval.metrics.sequence_labeling.start_of_chunk)
        if (
            tag in ("B", "S")
            or (prev_tag in ("E", "S", "O") and tag in ("E", "I"))
            or (tag != "O" and prev_type != type_)
        ):
            start = i
        prev_tag, prev_type = tag, type_
    return spans


def spans_to_tags(spans: Iterable[Span], length: int) -> list[str]:
    """Encode non-overlapping spans as IOB2 tags; overlapping or out-of-range spans raise."""
    tags = ["O"] * length
    for span in sorted(spans):
        if span.end > length:
            raise ValueError(f"span [{span.start}, {span.end}) outside a {length}-word sentence")
        if any(t != "O" for t in tags[span.start : span.end]):
            raise ValueError(f"span [{span.start}, {span.end}) {span.label} overlaps another span")
        tags[span.start] = f"B-{span.label}"
        for j in range(span.start + 1, span.end):
            tags[j] = f"I-{span.label}"
    return tags


def filter_spans(spans: Iterable[Span], keep: Iterable[str] | None) -> list[Span]:
    """Keep spans whose label is in ``keep`` (``None`` keeps all); others become O.

    Span-level filtering equals mapping the tags to O before decoding, because a change of
    type always closes a chunk.
    """
    if keep is None:
        return list(spans)
    keep = set(keep)
    return [s for s in spans if s.label in keep]


def map_labels(spans: Iterable[Span], mapping: dict[str, str | None]) -> list[Span]:
    """Rename labels; a label mapped to ``None`` or ``"O"`` is dropped, unmapped ones stay."""
    out = []
    for s in spans:
        new = mapping.get(s.label, s.label)
        if new is not None and new != "O":
            out.append(s if new == s.label else s.with_label(new))
    return out


def filter_sentences(sentences: Iterable[Sentence], keep: Iterable[str] | None) -> list[Sentence]:
    """Apply :func:`filter_spans` to every sentence (sentences without spans stay as they are)."""
    keep = None if keep is None else set(keep)
    return [s if s.spans is None else s.with_spans(filter_spans(s.spans, keep)) for s in sentences]
