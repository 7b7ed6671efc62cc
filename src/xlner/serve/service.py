"""What the server serves: the stages (built once), the methods and languages, documents in,
answers out. Documents become sentences exactly as ``xlner tag`` reads plain text (one
sentence per non-blank line, :func:`xlner.text.tokenize`); a batch runs through the method's
plan with :func:`xlner.execute.base.run_steps`, as ``xlner tag`` runs it; the answer of each
sentence is read off the finished :class:`~xlner.batch.Batch`."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from xlner import __version__
from xlner.batch import Batch
from xlner.data import Sentence, Span
from xlner.errors import XlnerError
from xlner.execute.base import Backends, run_steps
from xlner.languages import PIVOT, get_language
from xlner.methods import Method
from xlner.signature import format_signature, method_signature
from xlner.stages import StageConfig, Stages
from xlner.steps import Context, Plan
from xlner.text import tokenize

#: Aligners that align one sentence at a time, named when a corpus-level one is refused.
PER_SENTENCE_ALIGNERS = "simalign:e5-small (or simalign:MODEL, awesome:MODEL)"
DEFAULT_ALIGNER = "simalign:e5-small"
_LINE = re.compile(r"[^\r\n]+")

#: A batch is keyed by (language, method name, min_score): one plan, one threshold.
Key = tuple[str, str, float]


class RequestError(XlnerError):
    """A request the server refuses, with the HTTP status to answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Document:
    """One document of a request: its sentences, and where each sentence's line starts in
    the text (``None`` for pre-tokenised input, which has no text)."""

    lang: str
    method: Method
    min_score: float
    text: str | None
    sentences: list[Sentence]
    starts: list[int] = field(default_factory=list)

    @property
    def key(self) -> Key:
        return (self.lang, self.method.name, self.min_score)


def serve_stage_config(cfg: StageConfig, aligner_given: bool) -> StageConfig:
    """The server's aligner is :data:`DEFAULT_ALIGNER` unless one was given."""
    if not aligner_given:
        cfg.aligner = DEFAULT_ALIGNER
    return cfg


class Service:
    """The stages and plans of one server process."""

    def __init__(
        self,
        stages: Backends,
        methods: Sequence[Method],
        langs: Sequence[str] | None,
        specs: dict[str, str],
        signatures: dict[str, str],
        max_words: int = 1000,
    ) -> None:
        if not methods:
            raise XlnerError("serve at least one method")
        self.stages = stages
        self.methods = {m.name: m for m in methods}
        self.plans = {m.name: Plan((m,)) for m in methods}
        self.steps = {name: plan.steps() for name, plan in self.plans.items()}
        self.langs = list(langs) if langs else None
        self.specs = specs
        self.signatures = signatures
        self.max_words = max_words
        self.options: dict[str, Any] = {}  # the stages' run options (device, batch size, ..)
        self.config: StageConfig | None = None  # what the stages were built from
        self._checked: dict[str, str | None] = {}  # language -> why it is refused (None: ok)
        self._signatures: dict[tuple[str, float], str] = {}

    @classmethod
    def build(
        cls,
        cfg: StageConfig,
        methods: Sequence[Method],
        langs: Sequence[str] | None,
        max_words: int = 1000,
        load: bool = True,
    ) -> Service:
        """Build every backend once (and, with ``load``, load its model now, before the first
        request); refuse a corpus-level aligner and unsupported languages."""
        from xlner.align.corpus import is_corpus_level

        stages = Stages(cfg)
        roles = Plan(tuple(methods)).roles()
        sigs = stages.signatures(roles)
        projection = any(m.is_projection for m in methods)
        if projection and is_corpus_level(stages.aligner):
            raise XlnerError(
                f"the aligner {cfg.aligner} learns from the whole corpus it aligns and cannot "
                f"align one request's sentences; serve with a per-sentence aligner: --aligner "
                f"{PER_SENTENCE_ALIGNERS}"
            )
        service = cls(stages, methods, langs, {r: cfg.spec(r) for r in roles}, sigs, max_words)
        service.options = {k: v for k, v in cfg.options().items() if k != "show_progress"}
        service.config = cfg
        for lang in langs or []:
            why = service.language_problem(lang)
            if why is not None:
                raise XlnerError(why)
        if load:
            from xlner.bench.experiments import role_load_seconds

            role_load_seconds(stages, roles)
        return service

    def replicas(self, n: int) -> list[Backends]:
        """``n`` more sets of this service's models, loaded now (``xlner serve --replicas``):
        new backends for every role but the translator, which they share (Apertium runs a
        process per call; a model translator too is shared, one batch at a time, as is its
        translation cache)."""
        if n <= 0:
            return []
        if self.config is None:
            raise XlnerError("replicas need a service built from a stage config")
        from xlner.bench.experiments import role_load_seconds

        roles = Plan(tuple(self.methods.values())).roles()
        out: list[Backends] = []
        shared = self.stages.backend("translator") if "translator" in roles else None
        for _ in range(n):
            copy = Stages(self.config, shared)
            role_load_seconds(copy, roles)
            out.append(copy)
        return out

    # ------------------------------------------------------------------ requests in

    def language_problem(self, lang: str) -> str | None:
        """Why ``lang`` cannot be served (``None``: it can), checked once per code."""
        if lang not in self._checked:
            why = None
            try:
                get_language(lang)
                if any(m.is_projection for m in self.methods.values()):
                    self.stages.backend("translator").check_languages(lang, PIVOT)
            except XlnerError as e:
                why = str(e)
            self._checked[lang] = why
        return self._checked[lang]

    def method(self, name: str | None) -> Method:
        if name is None:
            return next(iter(self.methods.values()))
        served = ", ".join(self.methods)
        try:
            method = Method.parse(name)
        except XlnerError as e:
            raise RequestError(400, f"{e}; this server serves: {served}") from None
        if method.name not in self.methods:
            raise RequestError(400, f"method {method.name} is not served here; choose {served}")
        return method

    def document(
        self,
        lang: str,
        method: str | None,
        text: str | None = None,
        tokens: list[str] | None = None,
        min_score: float = 0.0,
    ) -> Document:
        """A request's document as sentences; :class:`RequestError` when it cannot be served."""
        m = self.method(method)
        lang = lang.strip()
        if self.langs is not None and lang not in self.langs:
            raise RequestError(400, f"language {lang!r} is not served; choose {self.langs}")
        why = self.language_problem(lang)
        if why is not None:
            raise RequestError(400, why)
        if (text is None) == (tokens is None):
            raise RequestError(422, "give either 'text' or 'tokens'")
        doc = Document(lang, m, float(min_score), text, [])
        if tokens is not None:
            if not tokens or not all(t.strip() and not any(c.isspace() for c in t) for t in tokens):
                raise RequestError(422, "'tokens' must be a non-empty list of words without spaces")
            doc.sentences.append(Sentence(list(tokens), None, lang, "0"))
            doc.starts.append(0)
        else:
            for i, line in enumerate(m for m in _LINE.finditer(text or "") if m.group().strip()):
                words, offsets = tokenize(line.group(), lang)
                doc.sentences.append(Sentence(words, None, lang, str(i), line.group(), offsets))
                doc.starts.append(line.start())
        n = sum(len(s) for s in doc.sentences)
        if n == 0:
            raise RequestError(422, "empty text: nothing to tag")
        if n > self.max_words:
            raise RequestError(413, f"{n} words in one document; at most {self.max_words}")
        return doc

    # ------------------------------------------------------------------ the batch

    @staticmethod
    def batch(key: Key, sentences: list[Sentence]) -> Batch:
        """The batch that carries one key's sentences through the steps."""
        return Batch(key[0], 0, sentences, "test")

    def run_steps(
        self, batch: Batch, method: str, min_score: float, only: Sequence[str] | None = None
    ) -> Batch:
        """``batch`` through method ``method``'s steps (``only``: those named, in the plan's
        order; a Ray Serve stage pool runs its own)."""
        steps = self.steps[method]
        if only is not None:
            steps = [s for s in steps if s.name in only]
        return run_steps(batch, steps, self.stages, self.plans[method], Context(None, min_score))

    # ------------------------------------------------------------------ answers out

    def signature(self, method: Method, min_score: float) -> str:
        """The signature of a method's answers at a threshold (built once per pair)."""
        key = (method.name, min_score)
        if key not in self._signatures:
            base = {"xlner": __version__, "min_score": f"{min_score:g}"}
            plan = self.plans[method.name]
            self._signatures[key] = format_signature(
                method_signature(base, self.signatures, plan, method)
            )
        return self._signatures[key]

    def answer(
        self, doc: Document, rows: Sequence[tuple[Batch, int]], wall: float
    ) -> dict[str, Any]:
        """The answer to one document: each sentence read off the batch it rode in, the
        seconds per stage of those batches, and the signature."""
        seconds: dict[str, float] = {}
        batches = {id(b): b for b, _ in rows}
        for b in batches.values():
            for k, v in b.seconds.items():
                seconds[k] = seconds.get(k, 0.0) + v
        sentences = [
            sentence_answer(b, i, doc.method, doc.starts[n]) for n, (b, i) in enumerate(rows)
        ]
        return {
            "lang": doc.lang,
            "method": doc.method.name,
            "text": doc.text,
            "sentences": sentences,
            "seconds": {k: round(v, 6) for k, v in seconds.items()},
            "wall_seconds": round(wall, 6),
            "batch_sentences": [len(b) for b in batches.values()],
            "signature": self.signature(doc.method, doc.min_score),
        }

    def info(self) -> dict[str, Any]:
        return {
            "version": __version__,
            "methods": list(self.methods),
            "languages": self.langs,
            "stages": self.specs,
            "signatures": self.signatures,
            "options": self.options,
            "signature": {m: self.signature(self.methods[m], 0.0) for m in self.methods},
            "started": time.time(),
        }


def entity(
    span: Span, words: Sequence[str], text: str | None = None, offsets: Any = None, start: int = 0
) -> dict[str, Any]:
    """A span as the API shows it: words ``[start, end)``, label, score, text and (when the
    sentence came from text) character offsets into the document."""
    out: dict[str, Any] = {
        "start": span.start,
        "end": span.end,
        "label": span.label,
        "score": None if span.score is None else round(float(span.score), 6),
        "text": " ".join(words[span.start : span.end]),
    }
    if text is not None and offsets is not None:
        a, b = offsets[span.start][0], offsets[span.end - 1][1]
        out.update(text=text[a:b], char_start=start + a, char_end=start + b)
    return out


def sentence_answer(b: Batch, i: int, method: Method, start: int) -> dict[str, Any]:
    """Sentence ``i`` of a finished batch: tokens with document offsets, the method's
    entities, and for a projection the English side, the links and the lost entities."""
    s = b.sentences[i]
    out: dict[str, Any] = {
        "tokens": s.tokens,
        "offsets": None if s.offsets is None else [[start + a, start + e] for a, e in s.offsets],
        "entities": [
            entity(sp, s.tokens, s.text, s.offsets, start) for sp in b.outputs[method.name][i]
        ],
    }
    if not method.is_projection:
        return out
    en = (b.src_words or [])[i]
    links = b.bt_alignments if method.backtranslate else b.alignments
    lost = b.lost.get(method.name, [])
    src_spans = (b.src_spans or [])[i]
    out.update(
        translation=(b.translations or [""])[i] if b.translations else None,
        translation_tokens=en,
        translation_entities=[entity(sp, en) for sp in src_spans],
        links=[] if links is None else links[i].pairs.tolist(),
        lost=[
            {**entity(src_spans[k], en), "entity": k, "reason": why}
            for k, why in sorted((lost[i] if lost else {}).items())
        ],
    )
    return out
