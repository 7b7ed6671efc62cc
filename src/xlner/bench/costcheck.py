"""The cost model checked on runs it did not see: :func:`validate` fits without the runs the
bench held back and predicts them; :func:`leave_one_language_out` fits on all languages but
one and predicts that one's runs (benches of real languages, ``--datasets``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from xlner.bench.costmodel import (
    TRANSLATE_TRAIN,
    CostModel,
    bench_languages,
    fit_bench,
    of_languages,
    train_fits,
)
from xlner.bench.schema import BenchReport, Check, Run, TranslateTrain, Validation, as_bench
from xlner.errors import XlnerError

#: The validation floor of issue 16: held-back offline runs predicted within 15%.
FLOOR = 0.15
#: The stages a language's own MT system runs (its Apertium pair, say): their cost per word
#: differs from pair to pair, so another language's pair does not predict it.
MT_STAGES = frozenset({"translate", "bt_translate"})


def _error(predicted: float, measured: float) -> float | None:
    return predicted / measured - 1 if measured > 0 else None


def validate(bench: BenchReport | Mapping[str, Any]) -> Validation:
    """Fit without the held-back runs and predict them: per method and part, the measured and
    predicted seconds and the relative error."""
    b = as_bench(bench)
    model = fit_bench(b, held_back=False)
    out: list[Check] = []
    points = b.cost_points
    for row in points.rows:
        if not row.holdout:
            continue
        ns = row.sentences_per_language
        what = f"{len(ns)} language(s) × {_count(ns)} sentences"
        if row.langs:
            what += f" ({', '.join(row.langs)})"
        for name, info in points.methods.items():
            measured = sum(row.stage_seconds.get(s, 0.0) for s in info.stages)
            predicted = _predict(model, row, info.stages, name)
            out.append(_row(what, model.get(name).label, measured, predicted))
    if b.translate_train is not None:
        out += _train_checks(b.translate_train)
    errors = [abs(r.error) for r in out if r.error is not None]
    return Validation(out, max(errors) if errors else None, FLOOR)


def _train_checks(tt: TranslateTrain) -> list[Check]:
    """translate-train's held-back runs: data stages, fine-tuning, the tuned tagger."""
    f = train_fits(tt, held_back=False)
    out = []
    for row in tt.slices:
        if row.holdout:
            n = row.sentences
            for name, info in tt.methods.items():
                measured = sum(row.stage_seconds.get(s, 0.0) for s in info.stages)
                predicted = sum(f.data[s].seconds(n) for s in info.stages)
                what = f"English training data, {n:,} sentences"
                out.append(_row(what, f"{TRANSLATE_TRAIN} {name}", measured, predicted))
    for r in tt.finetune.runs:
        if r.holdout:
            pred = f.fixed + f.per_step * r.steps
            out.append(_row(f"fine-tuning, {r.steps:,} steps", TRANSLATE_TRAIN, r.seconds, pred))
    for x in tt.inference.rows:
        if x.holdout:
            what = f"tuned tagger, {x.sentences:,} sentences"
            out.append(_row(what, TRANSLATE_TRAIN, x.seconds, f.tag.seconds(x.sentences)))
    return out


def _predict(
    model: CostModel,
    row: Run,
    stages: Iterable[str],
    name: str,
    own: CostModel | None = None,
) -> float:
    """A run's predicted seconds for a method's stages (per word or subword where the model
    is); with ``own``, the MT stages (:data:`MT_STAGES`) from that model instead."""
    total = 0.0
    for s in stages:
        fitted = own if own is not None and s in MT_STAGES else model
        fit = fitted.get(name).stages[s]
        ws = qs = None
        if fit.subwords_per_word and row.subwords_per_language is not None:
            ws = row.subwords_per_language
        elif fit.subwords_per_word and row.words_per_language is not None:
            ws = [w * fit.subwords_per_word for w in row.words_per_language]  # not counted
        elif fitted.words_per_sentence:
            ws, qs = row.words_per_language, row.squared_words_per_language
        total += fit.total(row.sentences_per_language, ws, qs)
    return total


def leave_one_language_out(
    bench: BenchReport | Mapping[str, Any], per_sentence: bool = True
) -> Validation:
    """Each language held back in turn: the model fitted on every other language's runs (one
    pooled "language") predicts each of its runs, per method; per word and, for comparison
    (``per_sentence``), per sentence."""
    b = as_bench(bench)
    langs = bench_languages(b)
    if len(langs) < 2:
        raise XlnerError("leave-one-language-out needs a bench of at least two languages")
    points = b.cost_points
    rows: list[Check] = []
    for lang in langs:
        others = [x for x in langs if x != lang]
        model = fit_bench(b, langs=others)
        by_sentence = fit_bench(b, langs=others, per_word=False) if per_sentence else None
        own = fit_bench(b, langs=[lang])  # its MT pair, as a plan that timed it would know
        for run in of_languages(points.rows, {lang}):
            what = f"{_count(run.sentences_per_language)} sentences"
            for name, info in points.methods.items():
                measured = sum(run.stage_seconds.get(s, 0.0) for s in info.stages)
                got = _row(
                    what,
                    model.get(name).label,
                    measured,
                    _predict(model, run, info.stages, name),
                )
                plain = (
                    None if by_sentence is None else _predict(by_sentence, run, info.stages, name)
                )
                paired = _predict(model, run, info.stages, name, own)
                rows.append(
                    replace(
                        got,
                        language=lang,
                        per_sentence_error=None if plain is None else _error(plain, measured),
                        own_pair_error=_error(paired, measured),
                    )
                )
    errors = [abs(r.error) for r in rows if r.error is not None]
    languages = {x: [y for y in langs if y != x] for x in langs}
    return Validation(rows, max(errors) if errors else None, FLOOR, languages)


def _count(ns: Sequence[float]) -> str:
    return f"{int(ns[0]):,}" if len(set(ns)) == 1 else "/".join(f"{int(n):,}" for n in ns)


def _row(what: str, method: str, measured: float, predicted: float) -> Check:
    return Check(what, method, measured, predicted, _error(predicted, measured))
