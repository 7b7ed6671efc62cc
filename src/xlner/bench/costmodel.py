"""What each transfer method costs for L languages of M sentences, fitted from the JSON of
``xlner bench pipeline`` — pure numpy, so ``xlner plan`` imports no torch and loads no model.

Each stage ``s`` of a method costs, for one language with ``n`` sentences::

    t_s(n) = a_s + b_s·n + c_s·√n       a: per language, b: per sentence, c: sub-linear part

fitted by non-negative least squares on *relative* errors over the bench's timed runs (a run
of L languages with n_l sentences each gives ``L·a + b·Σn_l + c·Σ√n_l``). The √n term is
kept only where it predicts left-out runs better (leave-one-out) than the straight line:
eflomal learns from the corpus it aligns with ``5000/√n`` iterations, so its work grows as √n;
the neural and rule-based stages are linear.

Where the bench recorded each language's words (``words_per_language``), a stage is fitted
on what its work grows with instead, for ``n`` sentences of ``w`` words::

    t_s(n, w, q) = a_s + b_s·n + d_s·w + e_s·q/√n        q = Σ (words of a sentence)²

Languages' sentences differ in length (PAN-X: 9 words, CoNLL-2002: 34), so a cost per
sentence fitted on some languages mispredicts another. Taggers and rule-based MT cost per
word (plus a little per sentence); eflomal samples each word's link over the whole other
sentence, ``5000/√n`` iterations, so its work grows as ``q/√n`` (``w/√n`` where the bench
recorded no ``squared_words_per_language``). ``seconds(n)`` uses the fit's words and squared
words per sentence (a language's own, or the mean of the fitted languages).

Benches of real languages (``--datasets``) name each run's languages (``langs``):
:func:`fit_languages` fits each language on its own runs, :func:`leave_one_language_out` fits
on all languages but one and predicts that one's runs.

A method's total time, models loaded once per run::

    model transfer    load + L·t_tag(M)
    translate-test    load + L·Σ_s t_s(M)
    translate-train   load + L·(once + t_tag'(M))        t_tag': the tuned tagger's pass
        once = Σ_s t_s(N)   translate the N English training sentences, tag candidates (ner),
                            align, project — each stage fitted on slices of the English set
             + f + g·steps  fine-tuning, fitted on runs of a few steps;
                            steps = ceil(items per sentence · N / batch) · epochs
             + the tuned tagger's load

:func:`validate` fits without the runs the bench held back and predicts them.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import combinations, pairwise
from typing import Any

import numpy as np

from xlner.errors import XlnerError

MODEL_TRANSFER = "model-transfer"
TRANSLATE_TEST = "translate-test"
TRANSLATE_TRAIN = "translate-train"
FAMILIES = (MODEL_TRANSFER, TRANSLATE_TEST, TRANSLATE_TRAIN)
#: The validation floor of issue 16: held-back offline runs predicted within 15%.
FLOOR = 0.15


# --------------------------------------------------------------------------- one stage


def _nnls(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted least squares with non-negative coefficients, by trying every subset of
    columns (at most three here) and keeping the best feasible one; fewer columns win ties."""
    k = x.shape[1]
    best: tuple[float, tuple[int, ...], np.ndarray] | None = None
    for size in range(1, k + 1):
        for cols in combinations(range(k), size):
            a = x[:, cols] * w[:, None]
            sol = np.linalg.lstsq(a, y * w, rcond=None)[0]
            if (sol < 0).any():
                continue
            err = float(((a @ sol - y * w) ** 2).sum())
            if best is None or err < best[0] * (1 - 1e-9) - 1e-18:
                best = (err, cols, sol)
    coef = np.zeros(k)
    if best is not None:
        coef[list(best[1])] = best[2]
    return coef


def _features(
    sentences: Sequence[float],
    words: Sequence[float] | None = None,
    squares: Sequence[float] | None = None,
) -> list[float]:
    """A run's columns (sums over its languages): languages, sentences, √n; with ``words``
    (per language): languages, sentences, words, and the sub-linear ``q/√n`` (``squares``:
    Σ words² per language; without, ``w/√n``)."""
    if words is None:
        ns = [float(n) for n in sentences if n > 0]
        return [float(len(ns)), sum(ns), sum(math.sqrt(n) for n in ns)]
    qs = words if squares is None else squares
    parts = [(float(n), float(w), float(q)) for n, w, q in zip(sentences, words, qs) if n > 0]
    return [
        float(len(parts)),
        sum(n for n, _, _ in parts),
        sum(w for _, w, _ in parts),
        sum(q / math.sqrt(n) for n, _, q in parts),
    ]


@dataclass(frozen=True)
class StageFit:
    """``t(n) = per_language + per_sentence·n + sqrt·√n`` seconds for one language of ``n``
    sentences (0 for none)."""

    per_language: float = 0.0
    per_sentence: float = 0.0
    sqrt: float = 0.0
    runs: int = 0
    rel_rmse: float = 0.0  # on the runs it was fitted on
    per_word: float = 0.0  # fitted per word: + per_word·w + sqrt_word·q/√n
    sqrt_word: float = 0.0
    words_per_sentence: float = 0.0  # w = this × n where the words are not given
    squares_per_sentence: float = 0.0  # q = this × n (0: q is w, the sub-linear part w/√n)

    def seconds(self, n: float, words: float | None = None, squares: float | None = None) -> float:
        if n <= 0:
            return 0.0
        w = self.words_per_sentence * n if words is None else words
        q = w
        if self.squares_per_sentence:
            q = self.squares_per_sentence * n if squares is None else squares
        return (
            self.per_language
            + self.per_sentence * n
            + self.sqrt * math.sqrt(n)
            + self.per_word * w
            + self.sqrt_word * q / math.sqrt(n)
        )

    def total(
        self,
        sentences: Sequence[float],
        words: Sequence[float] | None = None,
        squares: Sequence[float] | None = None,
    ) -> float:
        """Seconds for languages with ``sentences[i]`` sentences (``words[i]`` words, Σ words²
        ``squares[i]``) each."""
        ws: Sequence[float | None] = [None] * len(sentences) if words is None else words
        qs: Sequence[float | None] = [None] * len(sentences) if squares is None else squares
        return sum(self.seconds(n, w, q) for n, w, q in zip(sentences, ws, qs, strict=True))

    def with_length(self, words_per_sentence: float) -> StageFit:
        """The same fit for sentences of another length, their squared words scaled alike
        (a per-sentence fit is unchanged)."""
        if not self.words_per_sentence:
            return self
        ratio = words_per_sentence / self.words_per_sentence
        return replace(
            self,
            words_per_sentence=words_per_sentence,
            squares_per_sentence=self.squares_per_sentence * ratio**2,
        )

    def to_json(self) -> dict[str, float]:
        out = {
            "per_language_s": self.per_language,
            "per_sentence_s": self.per_sentence,
            "sqrt_s": self.sqrt,
            "runs": self.runs,
            "rel_rmse": self.rel_rmse,
        }
        if self.words_per_sentence:
            out |= {
                "per_word_s": self.per_word,
                "squared_words_over_sqrt_sentences_s": self.sqrt_word,
                "words_per_sentence": self.words_per_sentence,
                "squared_words_per_sentence": self.squares_per_sentence,
            }
        return out


def average(fits: Sequence[StageFit]) -> StageFit:
    """One language's mean cost over languages of these fits, each at its own words per
    sentence (a per-sentence fit: the mean of ``seconds(n)`` for every ``n``)."""
    k = len(fits)
    return StageFit(
        sum(f.per_language for f in fits) / k,
        sum(f.per_sentence + f.per_word * f.words_per_sentence for f in fits) / k,
        sum(f.sqrt + f.sqrt_word * (f.squares_per_sentence or f.words_per_sentence) for f in fits)
        / k,
        sum(f.runs for f in fits),
        max(f.rel_rmse for f in fits),
    )


def _solve(x: np.ndarray, y: np.ndarray, cols: int) -> np.ndarray:
    w = 1.0 / np.maximum(y, 1e-3 * max(float(y.max()), 1e-12))
    coef = np.zeros(x.shape[1])
    coef[:cols] = _nnls(x[:, :cols], y, w)
    return coef


def _rel_errors(x: np.ndarray, y: np.ndarray, coef: np.ndarray) -> np.ndarray:
    return (x @ coef - y) / np.maximum(y, 1e-12)


def fit_stage(
    runs: Sequence[Sequence[float]],
    seconds: Sequence[float],
    words: Sequence[Sequence[float]] | None = None,
    squares: Sequence[Sequence[float]] | None = None,
) -> StageFit:
    """Fit one stage from runs (each: the sentences of every language in it) and their
    seconds; with ``words`` (and ``squares``: Σ words²), each run's per language, on words
    (:func:`_features`), else per sentence. One run gives a per-sentence (per-word) cost
    only; the sub-linear term needs four runs with at least three sentence counts and must
    win leave-one-out."""
    n_runs = len(runs)
    if n_runs != len(seconds) or any(x is not None and len(x) != n_runs for x in (words, squares)):
        raise XlnerError(f"{n_runs} runs but {len(seconds)} timings")
    ws = [None] * n_runs if words is None else list(words)
    qs = [None] * n_runs if squares is None else list(squares)
    keep = [(r, w, q, float(s)) for r, w, q, s in zip(runs, ws, qs, seconds) if sum(r) > 0]
    if not keep or max(k[3] for k in keep) <= 0:
        return StageFit(runs=len(keep))
    x = np.array([_features(r, w, q) for r, w, q, _ in keep])
    y = np.array([k[3] for k in keep])
    coef, rmse = _fit_columns(x, y, {n for r, *_ in keep for n in r if n > 0})
    if words is None:
        return StageFit(float(coef[0]), float(coef[1]), float(coef[2]), len(keep), rmse)
    n_total = float(x[:, 1].sum())
    sq = sum(float(sum(q or [])) for _, _, q, _ in keep) / n_total if squares else 0.0
    a, b, d, e = (float(c) for c in coef)
    return StageFit(a, b, 0.0, len(keep), rmse, d, e, float(x[:, 2].sum()) / n_total, sq)


def _fit_columns(x: np.ndarray, y: np.ndarray, counts: set[float]) -> tuple[np.ndarray, float]:
    """Coefficients of the columns (fixed, linear ones, sub-linear last) and the relative
    RMSE; the sub-linear column only where it wins leave-one-out."""
    k = x.shape[1]
    if len(x) == 1:
        coef = np.zeros(k)
        coef[k - 2] = y[0] / x[0, k - 2]  # sentences, or words
    else:
        coef = _solve(x, y, k - 1)
        if len(x) >= 4 and len(counts) >= 3:
            loo = {k - 1: 0.0, k: 0.0}
            for i in range(len(x)):
                rest = np.arange(len(x)) != i
                for cols in loo:
                    c = _solve(x[rest], y[rest], cols)
                    loo[cols] += float(_rel_errors(x[i : i + 1], y[i : i + 1], c)[0] ** 2)
            if loo[k] < loo[k - 1]:
                coef = _solve(x, y, k)
    return coef, float(np.sqrt((_rel_errors(x, y, coef) ** 2).mean()))


def fit_steps(steps: Sequence[float], seconds: Sequence[float]) -> tuple[float, float]:
    """Fine-tuning ``(fixed seconds, seconds per step)`` from runs of a few steps."""
    if not steps:
        raise XlnerError("no fine-tuning runs to fit")
    y = np.asarray(seconds, float)
    if len(set(steps)) == 1:
        return 0.0, float(y.mean() / steps[0])
    x = np.column_stack([np.ones(len(steps)), np.asarray(steps, float)])
    fixed, per_step = _nnls(x, y, 1.0 / np.maximum(y, 1e-12))
    return float(fixed), float(per_step)


# --------------------------------------------------------------------------- methods


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


def _runs(rows: Iterable[Mapping[str, Any]], held_back: bool) -> list[Mapping[str, Any]]:
    """The runs to fit on: all of them, or (``held_back=False``) those not held back."""
    return [r for r in rows if held_back or not r.get("holdout")]


def _one_language(rows: Iterable[Mapping[str, Any]], key: str = "") -> list[dict[str, Any]]:
    """Runs of one language each (``sentences``), as stage runs; ``key``: the run's seconds
    are ``row[key]``, for a stage of that name."""
    out = []
    for r in rows:
        row = {**r, "sentences_per_language": [r["sentences"]]}
        if key:
            row["stage_seconds"] = {key: r[key]}
        out.append(row)
    return out


def _per_word(rows: Iterable[Mapping[str, Any]]) -> bool:
    """Whether every run recorded its words per language (then stages are fitted per word)."""
    return all("words_per_language" in r for r in rows)


def _fit_stages(
    rows: Sequence[Mapping[str, Any]], names: Iterable[str], per_word: bool = False
) -> dict[str, StageFit]:
    runs = [r["sentences_per_language"] for r in rows]
    words = [r["words_per_language"] for r in rows] if per_word else None
    squares = None
    if per_word and all("squared_words_per_language" in r for r in rows):
        squares = [r["squared_words_per_language"] for r in rows]
    return {
        s: fit_stage(runs, [r["stage_seconds"].get(s, 0.0) for r in rows], words, squares)
        for s in sorted(set(names))
    }


def bench_languages(bench: Mapping[str, Any]) -> list[str]:
    """The languages a bench of real languages (``--datasets``) timed on their own."""
    rows = bench.get("cost_points", {}).get("rows", [])
    langs = [r["langs"][0] for r in rows if len(set(r.get("langs") or [])) == 1]
    return list(dict.fromkeys(langs))


def _of_languages(
    rows: Iterable[Mapping[str, Any]], langs: Collection[str] | None
) -> list[Mapping[str, Any]]:
    """The runs of only these languages (``None``: every run)."""
    if langs is None:
        return list(rows)
    return [r for r in rows if r.get("langs") and set(r["langs"]) <= set(langs)]


def _load(roles: Iterable[str], loads: Mapping[str, float], backends: Mapping[str, str]) -> float:
    """A method's model loads: each distinct backend of its roles once."""
    seen: dict[str, float] = {}
    for role in roles:
        seen.setdefault(backends.get(role, role), float(loads.get(role, 0.0)))
    return sum(seen.values())


def _need(bench: Mapping[str, Any], key: str, where: str = "the bench JSON") -> Any:
    if key not in bench:
        raise XlnerError(
            f"{where} has no {key!r}: re-run `xlner bench pipeline` with this xlner version"
        )
    return bench[key]


def fit_bench(
    bench: Mapping[str, Any],
    *,
    held_back: bool = True,
    langs: Collection[str] | None = None,
    per_word: bool | None = None,
) -> CostModel:
    """The cost model of a bench JSON, fitted on all its runs; ``held_back=False`` leaves out
    the runs the bench held back (to predict them: :func:`validate`); ``langs``: only the
    runs of these languages; ``per_word``: per word or per sentence (default: per word where
    every run recorded its words)."""
    points = _need(bench, "cost_points")
    methods_info: Mapping[str, Mapping[str, Any]] = points["methods"]
    rows = _of_languages(_runs(points["rows"], held_back), langs)
    if not rows:
        which = f" of {', '.join(sorted(langs))}" if langs is not None else ""
        raise XlnerError(f"the bench JSON has no timed runs{which} to fit")
    stage_names = [s for info in methods_info.values() for s in info["stages"]]
    fits = _fit_stages(rows, stage_names, _per_word(rows) if per_word is None else per_word)
    loads = bench.get("role_load_seconds", {})
    backends = bench.get("role_backends", {})
    methods: list[MethodCost] = []
    for name, info in methods_info.items():
        family = MODEL_TRANSFER if name == MODEL_TRANSFER else TRANSLATE_TEST
        methods.append(
            MethodCost(
                family,
                "" if family == MODEL_TRANSFER else name,
                {s: fits[s] for s in info["stages"]},
                _load(info["roles"], loads, backends),
            )
        )
    notes: list[str] = []
    tt = bench.get("translate_train")
    if tt and not tt.get("skipped"):
        trt, notes = _translate_train(tt, loads, backends, held_back)
        methods += trt
    usd = float(bench.get("config", {}).get("usd_per_hour", 0.0))
    return CostModel(tuple(methods), usd, tuple(notes))


def finetune_steps(tt: Mapping[str, Any], sentences: float) -> int:
    """Optimiser steps of fine-tuning on the silver data of ``sentences`` English sentences
    (the Trainer's count: batches per epoch, rounded up, times the epochs)."""
    ft = tt["finetune"]
    per_epoch = math.ceil(ft["items_per_sentence"] * sentences / ft["batch_size"])
    return math.ceil(ft["epochs"] * per_epoch)


@dataclass(frozen=True)
class _TrainFits:
    data: dict[str, StageFit]  # translate-train's data stages, per English sentence count
    fixed: float  # fine-tuning: seconds + seconds per step
    per_step: float
    tag: StageFit  # the tuned tagger's pass


def _train_fits(tt: Mapping[str, Any], held_back: bool) -> _TrainFits:
    names = [s for info in tt["methods"].values() for s in info["stages"]]
    data = _fit_stages(_one_language(_runs(tt["slices"], held_back)), names)
    runs = _runs(tt["finetune"]["runs"], held_back)
    fixed, per_step = fit_steps([r["steps"] for r in runs], [r["seconds"] for r in runs])
    inf = _one_language(_runs(tt["inference"]["rows"], held_back), "seconds")
    tag = _fit_stages(inf, ["seconds"])["seconds"]
    return _TrainFits(data, fixed, per_step, tag)


def _translate_train(
    tt: Mapping[str, Any], loads: Mapping[str, float], backends: Mapping[str, str], held_back: bool
) -> tuple[list[MethodCost], list[str]]:
    n_train = float(tt["train_size"])
    f = _train_fits(tt, held_back)
    steps = finetune_steps(tt, n_train)
    ft = tt["finetune"]
    out = []
    for name, info in tt["methods"].items():
        once = {f"{s} ({n_train:,.0f} sent.)": f.data[s].seconds(n_train) for s in info["stages"]}
        once[f"fine-tune ({steps:,} steps)"] = f.fixed + f.per_step * steps
        once["load tuned tagger"] = float(tt["inference"].get("load_seconds", 0.0))
        tagging = {"tag (tuned model)": f.tag}
        out.append(
            MethodCost(TRANSLATE_TRAIN, name, tagging, _load(info["roles"], loads, backends), once)
        )
    sizes = sorted({int(r["sentences"]) for r in _runs(tt["slices"], held_back)})
    step_runs = sorted({int(r["steps"]) for r in _runs(ft["runs"], held_back)})
    notes = [
        f"translate-train's one-time cost per language is extrapolated: its data stages were "
        f"timed on {_series(sizes)} English sentences and fitted per stage, then evaluated at "
        f"the {n_train:,.0f} sentences of the training set; fine-tuning was timed at "
        f"{_series(step_runs)} steps ({f.per_step:.3g} s per step + {f.fixed:.3g} s) and "
        f"evaluated at {steps:,} steps ({ft['epochs']:g} epoch(s) of "
        f"{ft['items_per_sentence'] * n_train:,.0f} items, batch {ft['batch_size']})."
    ]
    return out, notes


def _series(xs: Sequence[int]) -> str:
    return ", ".join(f"{x:,}" for x in xs) if xs else "no"


# --------------------------------------------------------------------------- validation


def _error(predicted: float, measured: float) -> float | None:
    return predicted / measured - 1 if measured > 0 else None


def validate(bench: Mapping[str, Any]) -> dict[str, Any]:
    """Fit without the held-back runs and predict them: per method and part, the measured and
    predicted seconds and the relative error."""
    model = fit_bench(bench, held_back=False)
    out: list[dict[str, Any]] = []
    points = _need(bench, "cost_points")
    for row in points["rows"]:
        if not row.get("holdout"):
            continue
        ns = row["sentences_per_language"]
        what = f"{len(ns)} language(s) × {_count(ns)} sentences"
        if row.get("langs"):
            what += f" ({', '.join(row['langs'])})"
        for name, info in points["methods"].items():
            measured = sum(row["stage_seconds"].get(s, 0.0) for s in info["stages"])
            predicted = _predict(model, row, info["stages"], name)
            out.append(_row(what, model.get(name).label, measured, predicted))
    tt = bench.get("translate_train")
    if tt and not tt.get("skipped"):
        f = _train_fits(tt, held_back=False)
        for row in tt["slices"]:
            if row.get("holdout"):
                n = row["sentences"]
                for name, info in tt["methods"].items():
                    measured = sum(row["stage_seconds"].get(s, 0.0) for s in info["stages"])
                    predicted = sum(f.data[s].seconds(n) for s in info["stages"])
                    what = f"English training data, {n:,} sentences"
                    out.append(_row(what, f"{TRANSLATE_TRAIN} {name}", measured, predicted))
        for r in tt["finetune"]["runs"]:
            if r.get("holdout"):
                pred = f.fixed + f.per_step * r["steps"]
                what = f"fine-tuning, {r['steps']:,} steps"
                out.append(_row(what, TRANSLATE_TRAIN, r["seconds"], pred))
        for r in tt["inference"]["rows"]:
            if r.get("holdout"):
                what = f"tuned tagger, {r['sentences']:,} sentences"
                out.append(_row(what, TRANSLATE_TRAIN, r["seconds"], f.tag.seconds(r["sentences"])))
    errors = [abs(r["error"]) for r in out if r["error"] is not None]
    return {"rows": out, "max_abs_error": max(errors) if errors else None, "floor": FLOOR}


def _predict(model: CostModel, row: Mapping[str, Any], stages: Iterable[str], name: str) -> float:
    """A run's predicted seconds for a method's stages (per word where the model is)."""
    m = model.get(name)
    ws = qs = None
    if model.words_per_sentence:
        ws, qs = row.get("words_per_language"), row.get("squared_words_per_language")
    return sum(m.stages[s].total(row["sentences_per_language"], ws, qs) for s in stages)


def fit_languages(bench: Mapping[str, Any]) -> dict[str, CostModel]:
    """Each language's own cost model, fitted on its own runs (benches of real languages)."""
    return {lang: fit_bench(bench, langs={lang}) for lang in bench_languages(bench)}


def leave_one_language_out(bench: Mapping[str, Any]) -> dict[str, Any]:
    """Each language held back in turn: the model fitted on every other language's runs (one
    pooled "language") predicts each of its runs, per method; per word and, for comparison,
    per sentence."""
    langs = bench_languages(bench)
    if len(langs) < 2:
        raise XlnerError("leave-one-language-out needs a bench of at least two languages")
    points = bench["cost_points"]
    rows: list[dict[str, Any]] = []
    for lang in langs:
        others = [x for x in langs if x != lang]
        model = fit_bench(bench, langs=others)
        by_sentence = fit_bench(bench, langs=others, per_word=False)
        for run in _of_languages(points["rows"], {lang}):
            what = f"{_count(run['sentences_per_language'])} sentences"
            for name, info in points["methods"].items():
                measured = sum(run["stage_seconds"].get(s, 0.0) for s in info["stages"])
                got = _row(
                    what,
                    model.get(name).label,
                    measured,
                    _predict(model, run, info["stages"], name),
                )
                plain = _predict(by_sentence, run, info["stages"], name)
                got |= {"language": lang, "per_sentence_error": _error(plain, measured)}
                rows.append(got)
    errors = [abs(r["error"]) for r in rows if r["error"] is not None]
    return {
        "languages": {x: [y for y in langs if y != x] for x in langs},
        "rows": rows,
        "max_abs_error": max(errors) if errors else None,
        "floor": FLOOR,
    }


def _count(ns: Sequence[float]) -> str:
    return f"{int(ns[0]):,}" if len(set(ns)) == 1 else "/".join(f"{int(n):,}" for n in ns)


def _row(what: str, method: str, measured: float, predicted: float) -> dict[str, Any]:
    return {
        "run": what,
        "method": method,
        "measured_s": measured,
        "predicted_s": predicted,
        "error": _error(predicted, measured),
    }


# --------------------------------------------------------------------------- break-even


def counterpart(tt: MethodCost, trt: Sequence[MethodCost]) -> MethodCost | None:
    """translate-train with ``tt``'s projection (the same name without +bt, else the same
    kind, else the first)."""
    base = tt.name.removesuffix("+bt")
    for cond in (
        lambda m: m.name == base,
        lambda m: m.name.split(":")[0] == base.split(":")[0],
        lambda m: True,
    ):
        found = [m for m in trt if cond(m)]
        if found:
            return found[0]
    return None


def duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.1f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    if seconds < 3 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def break_even(
    a: MethodCost, b: MethodCost, languages: int = 1, limit: float = 1e12
) -> float | None:
    """The fewest sentences per language at which ``a`` costs no more than ``b`` in total
    (``languages`` languages, models loaded once); ``None`` when ``a`` stays dearer up to
    ``limit``; 0 when it is never dearer."""

    def diff(m: float) -> float:
        return a.seconds(languages, m) - b.seconds(languages, m)

    if diff(1.0) <= 0:
        return 0.0
    grid = np.logspace(0, math.log10(limit), 481)
    for lo, hi in pairwise(grid):
        if diff(float(hi)) > 0:
            continue
        lo, hi = float(lo), float(hi)  # diff(lo) > 0 >= diff(hi)
        while hi - lo > 0.5:
            mid = (lo + hi) / 2
            lo, hi = (lo, mid) if diff(mid) <= 0 else (mid, hi)
        n = math.floor(lo)
        while diff(n) > 0:  # the first whole number of sentences
            n += 1
        return float(n)
    return None
