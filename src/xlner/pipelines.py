"""The three transfer methods as plain functions over backend objects (the Python API).

* :func:`model_transfer` — tag the target words directly with a multilingual tagger.
* :func:`translate_test` — translate the target sentence to English, tag it, align the English
  words with the ORIGINAL target tokens (or, with back-translation, the original tokens with a
  marked back-translation) and project the English entities onto them. Predictions are always
  on the input's own tokens, so scoring is exact.
* :func:`translate_train` — translate labelled English sentences into the target language and
  project the gold labels: silver training data.

Each is a :class:`~xlner.steps.Plan` run by the in-process executor — the same steps, in the
same order, that ``xlner run``, ``xlner tag``, ``xlner project-train`` and the benchmark run
(:mod:`xlner.steps`). Here everything is held in memory; the commands stream.
"""

from __future__ import annotations

from collections.abc import Container, Sequence
from dataclasses import dataclass, field
from typing import Any

from xlner.batch import Batch
from xlner.data import Sentence, Span
from xlner.execute import GivenBackends, Source, execute
from xlner.memo import StageMemo
from xlner.methods import MODEL_TRANSFER, Method
from xlner.project.base import LostReason, Projector
from xlner.steps import Context, Plan
from xlner.translate.cache import CachedTranslator


@dataclass
class PipelineResult:
    predictions: list[list[Span]]
    seconds: dict[str, float] = field(default_factory=dict)  # per stage
    lost: list[dict[int, LostReason]] | None = None  # per sentence: source entity -> reason
    translations: list[str] | None = None
    source_spans: list[list[Span]] | None = None  # the entities projected (translate-test)

    def sentences(self, source: Sequence[Sentence]) -> list[Sentence]:
        return [s.with_spans(p) for s, p in zip(source, self.predictions)]


class CollectSink:
    """Keeps every finished batch of one language (in memory: for the Python API)."""

    def __init__(self) -> None:
        self.batches: list[Batch] = []
        self.seconds: dict[str, float] = {}

    def start(self, lang: str) -> None:
        pass

    def add(self, batch: Batch) -> None:
        self.batches.append(batch)
        self.add_seconds(batch.lang, batch.seconds)

    def add_seconds(self, lang: str, seconds: dict[str, float]) -> None:
        for k, v in seconds.items():
            self.seconds[k] = self.seconds.get(k, 0.0) + v

    def finish(self, lang: str) -> None:
        pass

    def result(self, method: Method) -> PipelineResult:
        def cat(name: str) -> Any:
            rows = [getattr(b, name) for b in self.batches]
            return None if any(r is None for r in rows) else [x for r in rows for x in r]

        preds = [x for b in self.batches for x in b.outputs[method.name]]
        lost = [x for b in self.batches for x in b.lost.get(method.name, [])]
        return PipelineResult(
            preds,
            self.seconds,
            lost if method.is_projection else None,
            cat("translations"),
            cat("src_spans"),
        )


def _run(
    sentences: Sequence[Sentence],
    lang: str,
    plan: Plan,
    backends: GivenBackends,
    memo: StageMemo | None,
    min_score: float,
) -> CollectSink:
    if backends.translator is not None:
        backends.translator = CachedTranslator.wrap(backends.translator)
    sink = CollectSink()
    execute([Source.of(lang, sentences)], plan, backends, Context(memo, min_score), sink)
    return sink


def _method(method: Method | str) -> Method:
    return method if isinstance(method, Method) else Method.parse(method)


def model_transfer(
    sentences: Sequence[Sentence],
    tagger: Any,
    *,
    memo: StageMemo | None = None,
    min_score: float = 0.0,
) -> PipelineResult:
    """Tag the target-language words directly."""
    m = Method(MODEL_TRANSFER)
    backends = GivenBackends(mt_tagger=tagger, projectors={m: None})
    lang = (sentences[0].lang if sentences else None) or "und"
    return _run(sentences, lang, Plan((m,)), backends, memo, min_score).result(m)


def translate_test(
    sentences: Sequence[Sentence],
    lang: str,
    translator: Any,
    tagger: Any,
    aligner: Any,
    method: Method | str = "heuristic",
    *,
    projector: Projector | None = None,
    candidate_tagger: Any = None,
    memo: StageMemo | None = None,
    min_score: float = 0.0,
) -> PipelineResult:
    """Translate-test with ``method`` (``heuristic``, ``ngram:exact``, ``ner+bt``, ...)."""
    from xlner.project import PROJECTORS

    m = _method(method)
    translator.check_languages(lang, "en")
    backends = GivenBackends(
        translator=translator,
        source_tagger=tagger,
        candidate_tagger=candidate_tagger or tagger,
        aligner=aligner,
        projectors={m: projector or PROJECTORS.create(m.projector)},
    )
    return _run(sentences, lang, Plan((m,)), backends, memo, min_score).result(m)


def translate_train(
    english: Sequence[Sentence],
    tgt_lang: str,
    translator: Any,
    aligner: Any,
    method: Method | str = "heuristic",
    *,
    projector: Projector | None = None,
    candidate_tagger: Any = None,
    memo: StageMemo | None = None,
    min_score: float = 0.0,
) -> list[Sentence]:
    """Silver target-language data: translate gold English sentences into ``tgt_lang`` and
    project their gold spans onto the translations' words (sentences whose translation is
    empty are left out)."""
    from xlner.errors import XlnerError
    from xlner.project import PROJECTORS

    m = _method(method)
    if m.backtranslate or not m.is_projection:
        raise XlnerError(f"translate-train projects gold labels: {m.name} is not a projection")
    if m.needs_candidates and candidate_tagger is None:
        raise XlnerError("ner projection needs a candidate tagger for the target language")
    translator.check_languages("en", tgt_lang)
    backends = GivenBackends(
        translator=translator,
        candidate_tagger=candidate_tagger,
        aligner=aligner,
        projectors={m: projector or PROJECTORS.create(m.projector)},
    )
    sink = _run(english, tgt_lang, Plan((m,), "train"), backends, memo, min_score)
    return [s for b in sink.batches for s in silver_sentences(b, m)]


def silver_sentences(batch: Batch, method: Method, skip: Container[int] = ()) -> list[Sentence]:
    """The translate-train output of a batch: translated words with projected labels
    (sentences whose translation is empty, and those at the indices in ``skip``, left out)."""
    return [
        Sentence(words, spans, batch.lang, f"{s.id}-{batch.lang}" if s.id else None)
        for i, (s, words, spans) in enumerate(
            zip(batch.sentences, batch.tgt_words or [], batch.outputs[method.name])
        )
        if words and i not in skip
    ]
