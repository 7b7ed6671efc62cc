"""The stages of every transfer method, as steps over a :class:`~xlner.batch.Batch`.

A :class:`Plan` (the methods to run, in which direction) lists its steps; each step uses one
backend, named by its role, and fills some fields of the batch. Every executor — in-process
(:mod:`xlner.execute.local`) or on Ray (:mod:`xlner.execute.ray`) — runs these same functions:

translate-test (and model transfer) on target-language sentences::

    translate       translator  target text -> English words         (src_words)
    tag_source      tagger      English words -> English entities    (src_spans)
    tag_target      mt tagger   target words -> tgt_tags            (model transfer's output)
    tag_target_en   tagger      target words -> tgt_tags_en         (model-transfer:en baseline)
    tag_candidates  tagger      target words -> NER candidates       (ner only)
    bt_translate    translator  marked English -> labelled segments  (+bt only)
    align           aligner     English words <-> target words
    bt_align        aligner     back-translation <-> target words    (+bt only)
    project         -           entities -> target spans, per method, with confidences

translate-train on labelled English sentences: ``translate`` (English -> target words; the
source side is the gold English), ``tag_candidates`` (ner), ``align``, ``project``.

projection of gold entities on a parallel dataset (``Plan(source="gold")``, Europarl-NER):
``read_parallel`` takes the words and gold entities of each target sentence's English
counterpart (:attr:`~xlner.data.Sentence.parallel`) in place of ``translate`` and
``tag_source``; the other steps are unchanged.

:meth:`Context.step` times a step and, with a memo, caches its output by content (backend
signature + inputs), so methods sharing stages compute them once and a re-run recomputes
nothing. Translations are cached once, in the translator's SQLite cache.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from xlner.batch import (
    Batch,
    Direction,
    alignments_from_json,
    alignments_to_json,
    spans_from_json,
    spans_to_json,
)
from xlner.data import Alignment, Span
from xlner.errors import XlnerError
from xlner.languages import PIVOT
from xlner.memo import Codec, StageMemo, fingerprint
from xlner.methods import MODEL_TRANSFER, Method
from xlner.project.backtranslate import backtranslate, project_backtranslation
from xlner.project.base import LostReason, Projector, project_batch
from xlner.text import detokenize, split_words

T = TypeVar("T")

Role = Literal[
    "translator", "source_tagger", "mt_tagger", "candidate_tagger", "aligner", "projectors", "data"
]
#: Where the English side of a projection comes from: machine translation of the target
#: sentence tagged by the English tagger, or the gold parallel sentence (no backend).
SourceSide = Literal["mt", "gold"]
SOURCE_SIDES: tuple[SourceSide, ...] = ("mt", "gold")

SPANS: Codec[list[list[Span]]] = Codec("spans", spans_to_json, spans_from_json)
ALIGNMENTS: Codec[list[Alignment]] = Codec("alignments", alignments_to_json, alignments_from_json)


@dataclass
class Context:
    """What every step needs besides its backend: the memo, the confidence threshold, and the
    corpus alignments of a corpus-level aligner (keyed by ``(stage, source index)``)."""

    memo: StageMemo | None = None
    min_score: float = 0.0
    corpus: dict[tuple[str, int], str] = field(default_factory=dict)  # -> links file path

    @contextmanager
    def timed(self, batch: Batch, stage: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            batch.seconds[stage] = batch.seconds.get(stage, 0.0) + time.perf_counter() - start

    def step(
        self,
        batch: Batch,
        stage: str,
        backend: Any,
        codec: Codec[T],
        compute: Callable[[], T],
        *inputs: Any,
    ) -> T:
        """``compute()``, timed as ``stage`` and memoised by ``backend.signature`` + inputs
        (in the memo's folder of the codec: the same tagger on the same words is one entry,
        whether it tagged for model transfer or for candidates)."""
        with self.timed(batch, stage):
            if self.memo is None:
                return compute()
            key = fingerprint(backend.signature, *inputs)
            return self.memo.get_or_compute(codec.name, key, codec, compute)

    def align(
        self,
        batch: Batch,
        stage: str,
        aligner: Any,
        src: Sequence[Sequence[str]],
        tgt: Sequence[Sequence[str]],
    ) -> list[Alignment]:
        path = self.corpus.get((stage, batch.source))
        if path is not None:  # aligned with the whole corpus beforehand: read by position
            from xlner.align.corpus import LinksFile

            with self.timed(batch, stage):
                return LinksFile(path).read(batch.start, len(batch))
        return self.step(
            batch, stage, aligner, ALIGNMENTS, lambda: aligner.align(src, tgt), src, tgt
        )


# --------------------------------------------------------------------------- the steps


def translate_to_pivot(b: Batch, translator: Any, ctx: Context) -> None:
    """translate-test: the target sentence, detokenised, into English words."""
    b.tgt_words = [list(s.tokens) for s in b.sentences]
    texts = [detokenize(w, b.lang) for w in b.tgt_words]
    with ctx.timed(b, "translate"):
        b.translations = translator.translate(texts, b.lang, PIVOT)
        b.src_words = [split_words(t, PIVOT) for t in b.translations]


def translate_from_pivot(b: Batch, translator: Any, ctx: Context) -> None:
    """translate-train: the labelled English sentence into target-language words."""
    b.src_words = [list(s.tokens) for s in b.sentences]
    b.src_spans = [list(s.spans or []) for s in b.sentences]
    texts = [detokenize(w, PIVOT) for w in b.src_words]
    with ctx.timed(b, "translate"):
        b.translations = translator.translate(texts, PIVOT, b.lang)
        b.tgt_words = [split_words(t, b.lang) for t in b.translations]


def read_parallel(b: Batch, _: Any, ctx: Context) -> None:
    """gold source: the parallel English sentence and its gold entities, as the source side."""
    b.tgt_words = [list(s.tokens) for s in b.sentences]
    with ctx.timed(b, "read_parallel"):
        missing = next((s for s in b.sentences if s.parallel is None), None)
        if missing is not None:
            raise XlnerError(
                f"sentence {missing.id} has no parallel English sentence: the gold source "
                "needs a parallel dataset (europarl)"
            )
        b.src_words = [list(s.parallel.tokens) for s in b.sentences if s.parallel]
        b.src_spans = [list(s.parallel.spans or []) for s in b.sentences if s.parallel]


def tag_target(b: Batch, tagger: Any, ctx: Context) -> None:
    words = [list(s.tokens) for s in b.sentences]
    b.tgt_tags = ctx.step(b, "tag_target", tagger, SPANS, lambda: tagger.tag(words), words)


def tag_target_en(b: Batch, tagger: Any, ctx: Context) -> None:
    words = [list(s.tokens) for s in b.sentences]
    b.tgt_tags_en = ctx.step(b, "tag_target_en", tagger, SPANS, lambda: tagger.tag(words), words)


def tag_source(b: Batch, tagger: Any, ctx: Context) -> None:
    words = b.src_words or []
    b.src_spans = ctx.step(b, "tag_source", tagger, SPANS, lambda: tagger.tag(words), words)


def tag_candidates(b: Batch, tagger: Any, ctx: Context) -> None:
    words = b.tgt_words or []
    b.candidates = ctx.step(b, "tag_candidates", tagger, SPANS, lambda: tagger.tag(words), words)


def bt_translate(b: Batch, translator: Any, ctx: Context) -> None:
    with ctx.timed(b, "bt_translate"):
        b.bt = backtranslate(b.src_words or [], b.src_spans or [], translator, b.lang)


def too_long(aligner: Any, src: Sequence[Sequence[str]], tgt: Sequence[Sequence[str]]) -> list[int]:
    """The pairs longer than the aligner aligns (its ``max_words``, when it has one)."""
    limit = getattr(aligner, "max_words", None)
    if limit is None:
        return []
    return [i for i, (s, t) in enumerate(zip(src, tgt)) if max(len(s), len(t)) > limit]


def align(b: Batch, aligner: Any, ctx: Context) -> None:
    src, tgt = b.src_words or [], b.tgt_words or []
    b.alignments = ctx.align(b, "align", aligner, src, tgt)
    b.too_long["align"] = too_long(aligner, src, tgt)


def bt_align(b: Batch, aligner: Any, ctx: Context) -> None:
    assert b.bt is not None
    b.bt_alignments = ctx.align(b, "bt_align", aligner, b.bt.words, b.tgt_words or [])
    b.too_long["bt_align"] = too_long(aligner, b.bt.words, b.tgt_words or [])


def mark_too_long(lost: list[dict[int, LostReason]], rows: Sequence[int]) -> None:
    """Every lost entity of a sentence the aligner left unaligned is lost as ``too_long``."""
    for i in rows:
        lost[i] = {k: "too_long" for k in lost[i]}


def threshold(spans: list[list[Span]], min_score: float) -> list[list[Span]]:
    """Spans scoring at least ``min_score`` (a span without a score counts as 1)."""
    if min_score <= 0:
        return spans
    return [[s for s in row if (1.0 if s.score is None else s.score) >= min_score] for row in spans]


def align_stage(method: Method) -> str:
    """The aligner step whose links ``method`` projects through."""
    return "bt_align" if method.backtranslate else "align"


def project_stage(method: Method) -> str:
    """The timer's name for ``method``'s projection (``project:ngram``, ``bt_project:ner``)."""
    base = method.name.removesuffix("+bt")
    return f"bt_project:{base}" if method.backtranslate else f"project:{base}"


def project(b: Batch, projectors: Mapping[Method, Projector], ctx: Context) -> None:
    """Every method's output: model transfer's tags, and each projection's spans (with the
    confidence of :func:`xlner.project.base.with_confidence` and the lost entities)."""
    for method, projector in projectors.items():
        if method.kind == MODEL_TRANSFER:
            tags = b.tgt_tags_en if method.is_english_baseline else b.tgt_tags
            b.outputs[method.name] = threshold(tags or [], ctx.min_score)
            continue
        with ctx.timed(b, project_stage(method)):
            cands = b.candidates if method.needs_candidates else None
            if method.backtranslate:
                assert b.bt is not None and b.bt_alignments is not None
                res = project_backtranslation(
                    projector, b.bt, b.tgt_words or [], b.bt_alignments, cands, ctx.min_score
                )
            else:
                res = project_batch(
                    projector,
                    b.src_spans or [],
                    b.alignments or [],
                    [len(w) for w in b.src_words or []],
                    b.tgt_words or [],
                    cands,
                    ctx.min_score,
                )
        b.outputs[method.name] = [p.spans for p in res]
        b.lost[method.name] = [p.lost for p in res]
        mark_too_long(b.lost[method.name], b.too_long.get(align_stage(method), []))


# --------------------------------------------------------------------------- plans

StepFn = Callable[[Batch, Any, Context], None]


@dataclass(frozen=True)
class Step:
    name: str
    role: Role
    run: StepFn


@dataclass(frozen=True)
class Plan:
    """The methods run together on one corpus, and the steps that serves them."""

    methods: tuple[Method, ...]
    direction: Direction = "test"
    source: SourceSide = "mt"

    def __post_init__(self) -> None:
        if self.source not in SOURCE_SIDES:
            raise XlnerError(f"unknown source {self.source!r}; choose {' or '.join(SOURCE_SIDES)}")
        if self.source == "gold":
            if self.direction != "test":
                raise XlnerError("the gold source projects onto test sentences, not training ones")
            bt = [m.name for m in self.methods if m.backtranslate]
            if bt:
                raise XlnerError(
                    f"{', '.join(bt)}: back-translation needs a translator, and the gold source "
                    "runs none; drop +bt"
                )

    def steps(self) -> list[Step]:
        proj = [m for m in self.methods if m.is_projection]
        steps: list[Step] = []
        # ordered so that steps of one kind of backend are adjacent (one Ray pool each)
        if self.direction == "train":
            steps.append(Step("translate", "translator", translate_from_pivot))
        elif proj and self.source == "gold":
            steps.append(Step("read_parallel", "data", read_parallel))
        elif proj:
            steps.append(Step("translate", "translator", translate_to_pivot))
            steps.append(Step("tag_source", "source_tagger", tag_source))
        if any(m.is_english_baseline for m in self.methods):
            steps.append(Step("tag_target_en", "source_tagger", tag_target_en))
        if any(m.kind == MODEL_TRANSFER and not m.is_english_baseline for m in self.methods):
            steps.append(Step("tag_target", "mt_tagger", tag_target))
        if any(m.needs_candidates for m in proj):
            steps.append(Step("tag_candidates", "candidate_tagger", tag_candidates))
        if any(m.backtranslate for m in proj):
            steps.append(Step("bt_translate", "translator", bt_translate))
        if any(not m.backtranslate for m in proj):
            steps.append(Step("align", "aligner", align))
        if any(m.backtranslate for m in proj):
            steps.append(Step("bt_align", "aligner", bt_align))
        steps.append(Step("project", "projectors", project))
        return steps

    def method_stages(self, method: Method) -> list[str]:
        """The stages whose seconds make up ``method``'s cost (shared stages in each)."""
        if method.kind == MODEL_TRANSFER:
            return ["tag_target_en" if method.is_english_baseline else "tag_target"]
        names = ["translate", "tag_source"]
        if self.direction == "train":
            names = ["translate"]
        elif self.source == "gold":
            names = ["read_parallel"]
        if method.needs_candidates:
            names.append("tag_candidates")
        if method.backtranslate:
            return [*names, "bt_translate", "bt_align", project_stage(method)]
        return [*names, "align", project_stage(method)]
