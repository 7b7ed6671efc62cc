"""What each transfer method costs for L languages of M sentences, fitted from the JSON of
``xlner bench pipeline`` — pure numpy, so ``xlner plan`` imports no torch and loads no model.

Each stage of a method is fitted on its own (:mod:`xlner.bench.stagefit`: fixed per language
+ per sentence or per word + a sub-linear part where leave-one-out prefers it). Benches of
real languages (``--datasets``) name each run's languages (``langs``): :func:`fit_languages`
fits each language on its own runs.

A method's total time, models loaded once per run::

    model transfer    load + L·t_tag(M)
    translate-test    load + L·Σ_s t_s(M)
    translate-train   load + L·(once + t_tag'(M))        t_tag': the tuned tagger's pass
        once = Σ_s t_s(N)   translate the N English training sentences, tag candidates (ner),
                            align, project — each stage fitted on slices of the English set
             + f + g·steps  fine-tuning, fitted on runs of a few steps;
                            steps = ceil(items per sentence · N / batch) · epochs
             + the tuned tagger's load

The checks of the fit on runs it did not see are in :mod:`xlner.bench.costcheck`; the
break-even volumes in :mod:`xlner.bench.breakeven`.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, TypeVar

from xlner.bench.schema import BenchReport, Run, TranslateTrain, as_bench
from xlner.bench.stagefit import StageFit, average, fit_stage, fit_steps
from xlner.errors import XlnerError

MODEL_TRANSFER = "model-transfer"
TRANSLATE_TEST = "translate-test"
TRANSLATE_TRAIN = "translate-train"


@dataclass(frozen=True)
class MethodCost:
    """One method's cost: ``load`` once per run; per language ``once`` (translate-train's
    one-time work, by part) and its tagging ``stages``, functions of the sentences tagged."""

    family: str
    name: str = ""
    stages: Mapping[str, StageFit] = field(default_factory=dict)
    load: float = 0.0
    once: Mapping[str, float] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.family} {self.name}" if self.name else self.family

    @property
    def once_seconds(self) -> float:
        return float(sum(self.once.values()))

    def tagging_seconds(self, n: float) -> float:
        """Seconds to tag ``n`` sentences of one language (without the one-time part)."""
        return sum(s.seconds(n) for s in self.stages.values())

    def language_seconds(self, n: float) -> float:
        return self.once_seconds + self.tagging_seconds(n) if n > 0 else 0.0

    def seconds(self, languages: int, sentences: float) -> float:
        """Total seconds for ``languages`` languages of ``sentences`` sentences each."""
        if languages <= 0 or sentences <= 0:
            return 0.0
        return self.load + languages * self.language_seconds(sentences)

    def to_json(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "name": self.name,
            "load_s": self.load,
            "once_s": dict(self.once),
            "stages": {k: v.to_json() for k, v in self.stages.items()},
        }


@dataclass(frozen=True)
class CostModel:
    methods: tuple[MethodCost, ...]
    usd_per_hour: float = 0.0
    notes: tuple[str, ...] = ()  # how the one-time cost was extrapolated

    def get(self, label: str) -> MethodCost:
        for m in self.methods:
            if label in (m.label, m.name or m.family):
                return m
        raise XlnerError(f"no method {label!r} in the cost model; known: {self.labels()}")

    def labels(self) -> str:
        return ", ".join(m.label for m in self.methods)

    def family(self, family: str) -> list[MethodCost]:
        return [m for m in self.methods if m.family == family]

    def with_length(self, words_per_sentence: float) -> CostModel:
        """The model for sentences of ``words_per_sentence`` words (per-word fits only)."""
        methods = tuple(
            replace(m, stages={k: f.with_length(words_per_sentence) for k, f in m.stages.items()})
            for m in self.methods
        )
        return replace(self, methods=methods)

    @property
    def words_per_sentence(self) -> float:
        """The words per sentence its per-word fits assume (0: fitted per sentence)."""
        return max(
            (f.words_per_sentence for m in self.methods for f in m.stages.values()), default=0.0
        )


def mix(models: Sequence[CostModel]) -> CostModel:
    """One "average language" of several models of the same bench (e.g. each language's own
    fit): a method's cost for L languages is then its load plus L × the mean per language,
    i.e. the sum over the languages."""
    if len(models) == 1:
        return models[0]
    methods = []
    for i, m in enumerate(models[0].methods):
        parts = [model.methods[i] for model in models]
        stages = {s: average([p.stages[s] for p in parts]) for s in m.stages}
        once = {k: sum(p.once.get(k, 0.0) for p in parts) / len(parts) for k in m.once}
        methods.append(replace(m, stages=stages, once=once))
    return replace(models[0], methods=tuple(methods))


class _Timed(Protocol):
    @property
    def holdout(self) -> bool: ...


R = TypeVar("R", bound=_Timed)


def runs_of(rows: Iterable[R], held_back: bool) -> list[R]:
    """The runs to fit on: all of them, or (``held_back=False``) those not held back."""
    return [r for r in rows if held_back or not r.holdout]


def _per_word(rows: Iterable[Run]) -> bool:
    """Whether every run recorded its words per language (then stages are fitted per word)."""
    return all(r.words_per_language is not None for r in rows)


#: The stage whose model's subwords the bench counts (``subwords_per_language``: the
#: model-transfer tagger's tokenizer): fitted per subword where every run has them. Its cost per
#: subword is the same in every language (e5-small: 0.217-0.222 ms on 2 cores for es, eu, gl,
#: hr), its cost per word is not (Basque splits a word into 2.1 subwords, Spanish into 1.4).
SUBWORD_STAGES = frozenset({"tag_target"})


def _fit_stages(
    rows: Sequence[Run], names: Iterable[str], per_word: bool = False
) -> dict[str, StageFit]:
    runs = [r.sentences_per_language for r in rows]
    words = [r.words_per_language or [] for r in rows] if per_word else None
    squares = None
    if per_word and all(r.squared_words_per_language is not None for r in rows):
        squares = [r.squared_words_per_language or [] for r in rows]
    subwords = None
    if per_word and all(r.subwords_per_language is not None for r in rows):
        subwords = [r.subwords_per_language or [] for r in rows]
    return {
        s: fit_stage(
            runs,
            [r.stage_seconds.get(s, 0.0) for r in rows],
            words,
            squares,
            subwords if s in SUBWORD_STAGES else None,
        )
        for s in sorted(set(names))
    }


def bench_languages(bench: BenchReport | Mapping[str, Any]) -> list[str]:
    """The languages a bench of real languages (``--datasets``) timed on their own."""
    rows = as_bench(bench).cost_points.rows
    return list(dict.fromkeys(r.langs[0] for r in rows if len(set(r.langs)) == 1))


def of_languages(rows: Iterable[Run], langs: Collection[str] | None) -> list[Run]:
    """The runs of only these languages (``None``: every run)."""
    if langs is None:
        return list(rows)
    return [r for r in rows if r.langs and set(r.langs) <= set(langs)]


def _load(roles: Iterable[str], loads: Mapping[str, float], backends: Mapping[str, str]) -> float:
    """A method's model loads: each distinct backend of its roles once."""
    seen: dict[str, float] = {}
    for role in roles:
        seen.setdefault(backends.get(role, role), float(loads.get(role, 0.0)))
    return sum(seen.values())


def fit_bench(
    bench: BenchReport | Mapping[str, Any],
    *,
    held_back: bool = True,
    langs: Collection[str] | None = None,
    per_word: bool | None = None,
) -> CostModel:
    """The cost model of a bench JSON, fitted on all its runs; ``held_back=False`` leaves out
    the runs the bench held back (to predict them: :func:`validate`); ``langs``: only the
    runs of these languages; ``per_word``: per word or per sentence (default: per word where
    every run recorded its words)."""
    b = as_bench(bench)
    methods_info = b.cost_points.methods
    rows = of_languages(runs_of(b.cost_points.rows, held_back), langs)
    if not rows:
        which = f" of {', '.join(sorted(langs))}" if langs is not None else ""
        raise XlnerError(f"the bench JSON has no timed runs{which} to fit")
    stage_names = [s for info in methods_info.values() for s in info.stages]
    fits = _fit_stages(rows, stage_names, _per_word(rows) if per_word is None else per_word)
    loads, backends = b.role_load_seconds, b.role_backends
    methods: list[MethodCost] = []
    for name, info in methods_info.items():
        family = MODEL_TRANSFER if name == MODEL_TRANSFER else TRANSLATE_TEST
        methods.append(
            MethodCost(
                family,
                "" if family == MODEL_TRANSFER else name,
                {s: fits[s] for s in info.stages},
                _load(info.roles, loads, backends),
            )
        )
    notes: list[str] = []
    if b.translate_train is not None:
        trt, notes = _translate_train(b.translate_train, loads, backends, held_back)
        methods += trt
    return CostModel(tuple(methods), b.config.usd_per_hour, tuple(notes))


def finetune_steps(tt: TranslateTrain, sentences: float) -> int:
    """Optimiser steps of fine-tuning on the silver data of ``sentences`` English sentences
    (the Trainer's count: batches per epoch, rounded up, times the epochs)."""
    ft = tt.finetune
    per_epoch = math.ceil(ft.items_per_sentence * sentences / ft.batch_size)
    return math.ceil(ft.epochs * per_epoch)


@dataclass(frozen=True)
class TrainFits:
    data: dict[str, StageFit]  # translate-train's data stages, per English sentence count
    fixed: float  # fine-tuning: seconds + seconds per step
    per_step: float
    tag: StageFit  # the tuned tagger's pass


def train_fits(tt: TranslateTrain, held_back: bool) -> TrainFits:
    names = [s for info in tt.methods.values() for s in info.stages]
    slices = [Run([r.sentences], r.stage_seconds) for r in runs_of(tt.slices, held_back)]
    data = _fit_stages(slices, names)
    runs = runs_of(tt.finetune.runs, held_back)
    fixed, per_step = fit_steps([r.steps for r in runs], [r.seconds for r in runs])
    inf = runs_of(tt.inference.rows, held_back)
    tag = _fit_stages([Run([r.sentences], {"seconds": r.seconds}) for r in inf], ["seconds"])
    return TrainFits(data, fixed, per_step, tag["seconds"])


def _translate_train(
    tt: TranslateTrain, loads: Mapping[str, float], backends: Mapping[str, str], held_back: bool
) -> tuple[list[MethodCost], list[str]]:
    n_train = float(tt.train_size)
    f = train_fits(tt, held_back)
    steps = finetune_steps(tt, n_train)
    ft = tt.finetune
    out = []
    for name, info in tt.methods.items():
        once = {f"{s} ({n_train:,.0f} sent.)": f.data[s].seconds(n_train) for s in info.stages}
        once[f"fine-tune ({steps:,} steps)"] = f.fixed + f.per_step * steps
        once["load tuned tagger"] = tt.inference.load_seconds
        tagging = {"tag (tuned model)": f.tag}
        out.append(
            MethodCost(TRANSLATE_TRAIN, name, tagging, _load(info.roles, loads, backends), once)
        )
    sizes = sorted({int(r.sentences) for r in runs_of(tt.slices, held_back)})
    step_runs = sorted({int(r.steps) for r in runs_of(ft.runs, held_back)})
    notes = [
        f"translate-train's one-time cost per language is extrapolated: its data stages were "
        f"timed on {_series(sizes)} English sentences and fitted per stage, then evaluated at "
        f"the {n_train:,.0f} sentences of the training set; fine-tuning was timed at "
        f"{_series(step_runs)} steps ({f.per_step:.3g} s per step + {f.fixed:.3g} s) and "
        f"evaluated at {steps:,} steps ({ft.epochs:g} epoch(s) of "
        f"{ft.items_per_sentence * n_train:,.0f} items, batch {ft.batch_size})."
    ]
    return out, notes


def _series(xs: Sequence[int]) -> str:
    return ", ".join(f"{x:,}" for x in xs) if xs else "no"


def fit_languages(bench: BenchReport | Mapping[str, Any]) -> dict[str, CostModel]:
    """Each language's own cost model, fitted on its own runs (benches of real languages)."""
    b = as_bench(bench)
    return {lang: fit_bench(b, langs={lang}) for lang in bench_languages(b)}


def duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.1f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    if seconds < 3 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"
