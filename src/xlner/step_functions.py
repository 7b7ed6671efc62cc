"""What each step does to a :class:`~xlner.batch.Batch`, one function per step; each takes its
backend (the stage protocol of its role), the batch and the :class:`~xlner.context.Context`.
What a step is — role, fields, timers, methods, direction — is declared in
:data:`xlner.steps.STEPS`.

In translate-test the source side is the English translation of the target sentence; in
translate-train the labelled English sentence, the target side its translation; with the gold
source (``Plan(source="gold")``, Europarl-NER) the parallel English sentence and its gold
entities (:attr:`~xlner.data.Sentence.parallel`), read in place of ``translate`` and
``tag_source``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from xlner.align.base import Aligner
from xlner.batch import Batch
from xlner.context import SPANS, Context
from xlner.data import Span
from xlner.errors import XlnerError
from xlner.languages import PIVOT
from xlner.methods import MODEL_TRANSFER, Method
from xlner.project.backtranslate import backtranslate, project_backtranslation
from xlner.project.base import LostReason, Projector, project_batch
from xlner.tag.base import Tagger
from xlner.text import detokenize, split_words
from xlner.translate.base import Translator

#: The word sequences an aligner step aligns: (source side, target side).
WordPairs = tuple[list[list[str]], list[list[str]]]
#: The projectors of a plan's methods (``None`` for model transfer: no projection).
Projectors = Mapping[Method, Projector | None]
#: What a step runs with (:data:`xlner.steps.Role`): a backend, the projectors, or nothing.
Backend = Translator | Tagger | Aligner | Projectors | None


def translate_to_pivot(b: Batch, translator: Translator, ctx: Context) -> None:
    """translate-test: the target sentence, detokenised, into English words."""
    b.tgt_words = [list(s.tokens) for s in b.sentences]
    texts = [detokenize(w, b.lang) for w in b.tgt_words]
    with ctx.timed(b, "translate"):
        b.translations = translator.translate(texts, b.lang, PIVOT)
        b.src_words = [split_words(t, PIVOT) for t in b.translations]


def translate_from_pivot(b: Batch, translator: Translator, ctx: Context) -> None:
    """translate-train: the labelled English sentence into target-language words."""
    b.src_words = [list(s.tokens) for s in b.sentences]
    b.src_spans = [list(s.spans or []) for s in b.sentences]
    texts = [detokenize(w, PIVOT) for w in b.src_words]
    with ctx.timed(b, "translate"):
        b.translations = translator.translate(texts, PIVOT, b.lang)
        b.tgt_words = [split_words(t, b.lang) for t in b.translations]


def read_parallel(b: Batch, _: None, ctx: Context) -> None:
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


def _tag(
    b: Batch, stage: str, tagger: Tagger, ctx: Context, words: list[list[str]]
) -> list[list[Span]]:
    return ctx.step(b, stage, tagger, SPANS, lambda: tagger.tag(words), words)


def tag_target(b: Batch, tagger: Tagger, ctx: Context) -> None:
    b.tgt_tags = _tag(b, "tag_target", tagger, ctx, [list(s.tokens) for s in b.sentences])


def tag_target_en(b: Batch, tagger: Tagger, ctx: Context) -> None:
    b.tgt_tags_en = _tag(b, "tag_target_en", tagger, ctx, [list(s.tokens) for s in b.sentences])


def tag_source(b: Batch, tagger: Tagger, ctx: Context) -> None:
    b.src_spans = _tag(b, "tag_source", tagger, ctx, b.src_words or [])


def tag_candidates(b: Batch, tagger: Tagger, ctx: Context) -> None:
    b.candidates = _tag(b, "tag_candidates", tagger, ctx, b.tgt_words or [])


def bt_translate(b: Batch, translator: Translator, ctx: Context) -> None:
    with ctx.timed(b, "bt_translate"):
        b.bt = backtranslate(b.src_words or [], b.src_spans or [], translator, b.lang)


def too_long(
    aligner: Aligner, src: Sequence[Sequence[str]], tgt: Sequence[Sequence[str]]
) -> list[int]:
    """The pairs longer than the aligner aligns (its ``max_words``, when it has one)."""
    limit = getattr(aligner, "max_words", None)
    if limit is None:
        return []
    return [i for i, (s, t) in enumerate(zip(src, tgt)) if max(len(s), len(t)) > limit]


def src_pairs(b: Batch) -> WordPairs:
    """What ``align`` aligns: the source words with the target words."""
    return b.src_words or [], b.tgt_words or []


def bt_pairs(b: Batch) -> WordPairs:
    """What ``bt_align`` aligns: the back-translated words with the target words."""
    return (b.bt.words if b.bt else []), b.tgt_words or []


def align(b: Batch, aligner: Aligner, ctx: Context) -> None:
    src, tgt = src_pairs(b)
    b.alignments = ctx.align(b, "align", aligner, src, tgt)
    b.too_long["align"] = too_long(aligner, src, tgt)


def bt_align(b: Batch, aligner: Aligner, ctx: Context) -> None:
    assert b.bt is not None
    src, tgt = bt_pairs(b)
    b.bt_alignments = ctx.align(b, "bt_align", aligner, src, tgt)
    b.too_long["bt_align"] = too_long(aligner, src, tgt)


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


def project(b: Batch, projectors: Projectors, ctx: Context) -> None:
    """Every method's output: model transfer's tags, and each projection's spans (with the
    confidence of :func:`xlner.project.base.with_confidence` and the lost entities)."""
    for method, projector in projectors.items():
        if method.kind == MODEL_TRANSFER:
            tags = b.tgt_tags_en if method.is_english_baseline else b.tgt_tags
            b.outputs[method.name] = threshold(tags or [], ctx.min_score)
            continue
        if projector is None:
            raise XlnerError(f"{method.name} has no projector")
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
