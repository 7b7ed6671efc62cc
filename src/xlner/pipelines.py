"""The three transfer methods as plain functions over Translator/Tagger/Aligner/Projector.

* :func:`model_transfer` — tag the target words directly with a multilingual tagger.
* :func:`translate_test` — detokenise the target sentence, translate it to English, split the
  English into words, tag them, align the English words with the ORIGINAL target tokens (or,
  with back-translation, align the original tokens with a marked back-translation) and project
  the English entities onto the original tokens. Predictions are always on the dataset's own
  tokens, so scoring is exact.
* :func:`translate_train` — translate labelled English sentences into the target language and
  project the gold labels: silver training data.

Every stage is timed (:class:`~xlner.timing.Timer`) and, given a :class:`~xlner.memo.StageMemo`,
cached on disk so methods sharing stages (heuristic / ngram / ner on the same translations)
compute them once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from xlner.align.base import Aligner
from xlner.data import Alignment, Sentence, Span
from xlner.memo import StageMemo, fingerprint
from xlner.project.backtranslate import backtranslate_project
from xlner.project.base import Projector, project_batch
from xlner.tag.base import Tagger
from xlner.text import detokenize, split_words
from xlner.timing import Timer
from xlner.translate.base import Translator

T = TypeVar("T")
PIVOT = "en"


@dataclass
class PipelineResult:
    predictions: list[list[Span]]
    timer: Timer = field(default_factory=Timer)
    info: dict[str, Any] = field(default_factory=dict)

    def sentences(self, source: Sequence[Sentence]) -> list[Sentence]:
        return [s.with_spans(p) for s, p in zip(source, self.predictions)]


def _run(stage: str, timer: Timer, memo: StageMemo | None, key: str, compute: Callable[[], T]) -> T:
    with timer.stage(stage):
        return compute() if memo is None else memo.get_or_compute(stage, key, compute)


def _translate_words(
    words: list[list[str]],
    src_lang: str,
    tgt_lang: str,
    translator: Translator,
    timer: Timer,
    memo: StageMemo | None,
) -> tuple[list[str], list[list[str]]]:
    """Detokenise, translate (cached), and split the translations into words."""
    texts = [detokenize(w, src_lang) for w in words]
    translated = _run(
        "translate",
        timer,
        memo,
        # the target language is part of the key: the same texts go to several languages
        fingerprint(translator.signature, src_lang, tgt_lang, texts),
        lambda: translator.translate(texts, src_lang, tgt_lang),
    )
    with timer.stage("split_words"):
        split = [split_words(t, tgt_lang) for t in translated]
    return translated, split


def model_transfer(
    sentences: Sequence[Sentence],
    tagger: Tagger,
    *,
    timer: Timer | None = None,
    memo: StageMemo | None = None,
) -> PipelineResult:
    """Tag the target-language words directly."""
    timer = timer or Timer()
    words = [s.tokens for s in sentences]
    preds = _run(
        "tag_target", timer, memo, fingerprint(tagger.signature, words), lambda: tagger.tag(words)
    )
    return PipelineResult(preds, timer)


def translate_test(
    sentences: Sequence[Sentence],
    lang: str,
    translator: Translator,
    tagger: Tagger,
    aligner: Aligner,
    projector: Projector,
    *,
    backtranslate: bool = False,
    candidate_tagger: Tagger | None = None,
    timer: Timer | None = None,
    memo: StageMemo | None = None,
) -> PipelineResult:
    """Translate-test: translate to English, tag, align, project onto the original tokens."""
    timer = timer or Timer()
    translator.check_languages(lang, PIVOT)
    tgt = [list(s.tokens) for s in sentences]
    english, en_words = _translate_words(tgt, lang, PIVOT, translator, timer, memo)
    en_spans = _run(
        "tag_source",
        timer,
        memo,
        fingerprint(tagger.signature, en_words),
        lambda: tagger.tag(en_words),
    )
    candidates = None
    if projector.needs_candidates:
        ctagger = candidate_tagger or tagger
        candidates = _run(
            "tag_candidates",
            timer,
            memo,
            fingerprint(ctagger.signature, tgt),
            lambda: ctagger.tag(tgt),
        )
    info: dict[str, Any] = {"translations": english, "source_entities": sum(map(len, en_spans))}
    if backtranslate:
        bt = backtranslate_project(
            en_words,
            en_spans,
            tgt,
            translator,
            aligner,
            projector,
            tgt_lang=lang,
            src_lang=PIVOT,
            candidates=candidates,
            timer=timer,
        )
        info["lost_entities"] = bt.lost_entities
        return PipelineResult(bt.spans, timer, info)
    alignments: list[Alignment] = _run(
        "align",
        timer,
        memo,
        fingerprint(aligner.signature, en_words, tgt),
        lambda: aligner.align(en_words, tgt),
    )
    with timer.stage("project"):
        preds = project_batch(
            projector, en_spans, alignments, [len(w) for w in en_words], tgt, candidates
        )
    return PipelineResult(preds, timer, info)


def translate_train(
    english: Sequence[Sentence],
    tgt_lang: str,
    translator: Translator,
    aligner: Aligner,
    projector: Projector,
    *,
    candidate_tagger: Tagger | None = None,
    timer: Timer | None = None,
    memo: StageMemo | None = None,
) -> list[Sentence]:
    """Silver target-language data: translate gold English sentences into ``tgt_lang`` and
    project their gold spans onto the translations' words."""
    timer = timer or Timer()
    translator.check_languages(PIVOT, tgt_lang)
    src = [list(s.tokens) for s in english]
    _, tgt_words = _translate_words(src, PIVOT, tgt_lang, translator, timer, memo)
    candidates = None
    if projector.needs_candidates:
        if candidate_tagger is None:
            from xlner.errors import XlnerError

            raise XlnerError("ner projection needs a candidate tagger for the target language")
        candidates = _run(
            "tag_candidates",
            timer,
            memo,
            fingerprint(candidate_tagger.signature, tgt_words),
            lambda: candidate_tagger.tag(tgt_words),
        )
    alignments = _run(
        "align",
        timer,
        memo,
        fingerprint(aligner.signature, src, tgt_words),
        lambda: aligner.align(src, tgt_words),
    )
    with timer.stage("project"):
        spans = project_batch(
            projector,
            [s.spans or [] for s in english],
            alignments,
            [len(s) for s in src],
            tgt_words,
            candidates,
        )
    return [
        Sentence(words, sp, tgt_lang, f"{s.id}-{tgt_lang}" if s.id else None)
        for s, words, sp in zip(english, tgt_words, spans)
        if words
    ]
