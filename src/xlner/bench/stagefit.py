"""One stage's cost, fitted from timed runs (pure numpy): the part of
:mod:`xlner.bench.costmodel` that knows nothing of methods or bench JSONs.

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

A neural encoder's work grows with its *subwords*, and languages split words differently
(e5-small: Basque 2.1 subwords per word, Spanish 1.4); where the bench counted its tokenizer's
subwords (``subwords_per_language``), the encoder's stage is fitted per subword: ``d_s`` is then
seconds per subword and ``w`` counts subwords (``subwords_per_word`` × words where a language's
subwords are not given).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import combinations

import numpy as np

from xlner.errors import XlnerError


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
    subwords_per_word: float = 0.0  # fitted per subword: per_word is per subword (w × this)

    def seconds(self, n: float, words: float | None = None, squares: float | None = None) -> float:
        """Seconds for ``n`` sentences of ``words`` words (subwords for a per-subword fit)."""
        if n <= 0:
            return 0.0
        w = self.units_per_sentence * n if words is None else words
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

    @property
    def units_per_sentence(self) -> float:
        """What ``per_word`` is paid for per sentence: words, or subwords of a subword fit."""
        return self.words_per_sentence * (self.subwords_per_word or 1.0)

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
        if self.subwords_per_word:
            out |= {
                "per_subword_s": self.per_word,
                "subwords_over_sqrt_sentences_s": self.sqrt_word,
                "words_per_sentence": self.words_per_sentence,
                "subwords_per_word": self.subwords_per_word,
            }
        elif self.words_per_sentence:
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
        sum(f.per_sentence + f.per_word * f.units_per_sentence for f in fits) / k,
        sum(f.sqrt + f.sqrt_word * (f.squares_per_sentence or f.units_per_sentence) for f in fits)
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
    subwords: Sequence[Sequence[float]] | None = None,
) -> StageFit:
    """Fit one stage from runs (each: the sentences of every language in it) and their
    seconds; with ``words`` (and ``squares``: Σ words²), each run's per language, on words
    (:func:`_features`), else per sentence; with ``subwords`` too, on subwords instead of
    words and squares. One run gives a per-sentence (per-word) cost only; the sub-linear term
    needs four runs with at least three sentence counts and must win leave-one-out."""
    if subwords is not None and words is not None:
        fit = fit_stage(runs, seconds, subwords)  # its words_per_sentence: subwords
        n_words = sum(float(w) for ws in words for w in ws)
        if not n_words or not fit.words_per_sentence:
            return fit
        per_sentence = n_words / sum(float(n) for r in runs for n in r)
        return replace(
            fit,
            words_per_sentence=per_sentence,
            subwords_per_word=fit.words_per_sentence / per_sentence,
        )
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
