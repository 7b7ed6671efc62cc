"""The cost model checked on runs it did not see: :func:`validate` fits without the runs the
bench held back and predicts them; :func:`leave_one_language_out` fits on all languages but
one and predicts that one's runs (benches of real languages, ``--datasets``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from xlner.bench.costmodel import (
    TRANSLATE_TRAIN,
    CostModel,
    bench_languages,
    fit_bench,
    need,
    of_languages,
    train_fits,
)
from xlner.errors import XlnerError

#: The validation floor of issue 16: held-back offline runs predicted within 15%.
FLOOR = 0.15


def _error(predicted: float, measured: float) -> float | None:
    return predicted / measured - 1 if measured > 0 else None


def validate(bench: Mapping[str, Any]) -> dict[str, Any]:
    """Fit without the held-back runs and predict them: per method and part, the measured and
    predicted seconds and the relative error."""
    model = fit_bench(bench, held_back=False)
    out: list[dict[str, Any]] = []
    points = need(bench, "cost_points")
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
        f = train_fits(tt, held_back=False)
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
        for run in of_languages(points["rows"], {lang}):
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
