"""The cost model on a synthetic bench of real languages (``bench pipeline --datasets``) whose
costs follow a known law per word: each language's own fit, the pooled fit, and the
leave-one-language-out check, with expected values computed here from the law."""

from __future__ import annotations

import math
from typing import Any

import pytest

from xlner.bench.costcheck import leave_one_language_out, validate
from xlner.bench.costmodel import bench_languages, fit_bench, fit_languages
from xlner.errors import XlnerError

#: words per sentence of each language (exact, so w = length × n)
LENGTHS = {"es": 34, "eu": 9, "hr": 21, "de": 15}
#: Σ words² per sentence: lengths vary around the mean, more in some languages
SQUARES = {"es": 1.2 * 34**2, "eu": 1.5 * 9**2, "hr": 1.1 * 21**2, "de": 1.3 * 15**2}
#: per stage: (seconds per language, per word, per (Σ words²)/√sentences)
LAW = {
    "tag_target": (0.5, 1e-4, 0.0),
    "translate": (0.3, 2e-5, 0.0),
    "tag_source": (0.5, 1e-4, 0.0),
    "align": (3.0, 5e-5, 1e-4),  # eflomal-like: iterations ∝ 1/√n, each over all word pairs
    "project:heuristic": (0.0, 2e-6, 0.0),
}
SIZES = (100, 200, 400, 800)
LOADS = {"translator": 0.0, "source_tagger": 1.5, "mt_tagger": 1.5, "aligner": 0.0}
BACKENDS = {"translator": "ap", "source_tagger": "sp", "mt_tagger": "sp", "aligner": "ef"}
HEURISTIC = ("translate", "tag_source", "align", "project:heuristic")


def law(stage: tuple[float, float, float], n: float, length: float, squares: float) -> float:
    """Seconds of one language of ``n`` sentences of ``length`` words (``squares``: Σ words²
    per sentence)."""
    a, d, e = stage
    return a + d * length * n + e * squares * n / math.sqrt(n)


def run(langs: list[str], n: int, law_of: dict[str, Any], holdout: bool = False) -> dict[str, Any]:
    return {
        "languages": len(langs),
        "langs": langs,
        "sentences_per_language": [n] * len(langs),
        "words_per_language": [LENGTHS[x] * n for x in langs],
        "squared_words_per_language": [SQUARES[x] * n for x in langs],
        "stage_seconds": {
            s: sum(law(law_of[x][s], n, LENGTHS[x], SQUARES[x]) for x in langs) for s in LAW
        },
        "holdout": holdout,
    }


def languages_bench(law_of: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every language alone at SIZES, and all four together (held back)."""
    law_of = law_of or {x: LAW for x in LENGTHS}
    rows = [run([x], n, law_of) for n in SIZES for x in LENGTHS]
    rows.append(run(list(LENGTHS), 200, law_of, holdout=True))
    return {
        "command": "xlner bench pipeline --datasets ...",
        "config": {"usd_per_hour": 0.0},
        "role_load_seconds": LOADS,
        "role_backends": BACKENDS,
        "languages": {x: {"words_per_sentence": float(v)} for x, v in LENGTHS.items()},
        "cost_points": {
            "methods": {
                "model-transfer": {"stages": ["tag_target"], "roles": ["mt_tagger"]},
                "heuristic": {
                    "stages": list(HEURISTIC),
                    "roles": ["translator", "source_tagger", "aligner"],
                },
            },
            "rows": rows,
        },
    }


def expected_mt(n: float, length: float, squares: float) -> float:
    """Tagging seconds of one language of ``n`` sentences of ``length`` words, by the law."""
    return law(LAW["tag_target"], n, length, squares)


def expected_tt(n: float, length: float, squares: float) -> float:
    return sum(law(LAW[s], n, length, squares) for s in HEURISTIC)


def test_bench_languages() -> None:
    assert bench_languages(languages_bench()) == ["es", "eu", "hr", "de"]
    one = {"sentences_per_language": [5], "stage_seconds": {}}
    assert bench_languages({"cost_points": {"methods": {}, "rows": [one]}}) == []


def test_each_language_fits_its_own_runs() -> None:
    models = fit_languages(languages_bench())
    assert list(models) == list(LENGTHS)
    for lang, model in models.items():
        mt, tt = model.get("model-transfer"), model.get("heuristic")
        assert model.words_per_sentence == pytest.approx(LENGTHS[lang])
        shape = (LENGTHS[lang], SQUARES[lang])
        for n in (50, 1000, 50_000):
            assert mt.tagging_seconds(n) == pytest.approx(expected_mt(n, *shape), rel=1e-6)
            assert tt.tagging_seconds(n) == pytest.approx(expected_tt(n, *shape), rel=1e-6)
        assert tt.load == 1.5  # spaCy once, Apertium and eflomal load nothing


def test_pooled_fit_is_per_word_at_the_mean_length() -> None:
    model = fit_bench(languages_bench())
    mean, squares = mean_shape()
    assert model.words_per_sentence == pytest.approx(mean)
    assert model.get("heuristic").tagging_seconds(3000) == pytest.approx(
        expected_tt(3000, mean, squares), rel=1e-6
    )
    # shorter sentences: squared words scale as the square of the length
    at_12 = model.with_length(12.0).get("heuristic")
    short = expected_tt(3000, 12.0, squares * (12.0 / mean) ** 2)
    assert at_12.tagging_seconds(3000) == pytest.approx(short, rel=1e-6)
    # the four languages run together, held back: predicted from the single-language runs
    v = validate(languages_bench())
    assert {r.run for r in v.rows} == {"4 language(s) × 200 sentences (es, eu, hr, de)"}
    assert v.max_abs_error < 1e-6


def mean_shape() -> tuple[float, float]:
    """The pooled language: mean words and squared words per sentence (equal sentences)."""
    return sum(LENGTHS.values()) / len(LENGTHS), sum(SQUARES.values()) / len(SQUARES)


def test_leave_one_language_out_on_one_law() -> None:
    v = leave_one_language_out(languages_bench())
    assert (v.languages or {})["eu"] == ["es", "hr", "de"]
    assert len(v.rows) == len(LENGTHS) * len(SIZES) * 2  # runs x methods
    assert v.max_abs_error < 1e-6 and v.floor == 0.15
    # per sentence, eu's short sentences (9 words; the others 15-34) are over-predicted
    eu = [r for r in v.rows if r.language == "eu"]
    assert all(r.per_sentence_error > 0 for r in eu)
    assert max(r.per_sentence_error for r in eu) > 0.15
    # without the squared words, eflomal's part is taken as w/√n: mispredicted where
    # lengths vary more or less than in the fitted languages
    bench = languages_bench()
    for row in bench["cost_points"]["rows"]:
        del row["squared_words_per_language"]
    assert (leave_one_language_out(bench).max_abs_error or 0.0) > 0.01


def test_leave_one_language_out_reports_a_language_that_differs() -> None:
    dearer = {**LAW, "tag_target": (0.5, 2e-4, 0.0)}  # eu's tagger: twice the cost per word
    v = leave_one_language_out(languages_bench({**{x: LAW for x in LENGTHS}, "eu": dearer}))
    rows = [r for r in v.rows if r.language == "eu" and r.method == "model-transfer"]
    assert [r.run for r in rows] == [f"{n} sentences" for n in SIZES]
    for r, n in zip(rows, SIZES):
        words = LENGTHS["eu"] * n
        measured = 0.5 + 2e-4 * words
        assert r.measured_s == pytest.approx(measured)
        assert r.error == pytest.approx((0.5 + 1e-4 * words) / measured - 1, rel=1e-6)
    assert v.max_abs_error >= abs(rows[-1].error)


def test_a_dearer_mt_pair_is_predicted_from_the_languages_own_pair() -> None:
    """hr's MT pair costs 5x per word (as Apertium's hbs-eng does against spa-eng): every
    stage from the other languages misses it; with the MT stage from hr's own runs (its pair
    timed) and the rest from the others, hr's runs are predicted exactly."""
    dear = {**LAW, "translate": (0.3, 1e-4, 0.0)}
    v = leave_one_language_out(languages_bench({**{x: LAW for x in LENGTHS}, "hr": dear}))
    hr = [r for r in v.rows if r.language == "hr" and r.method == "translate-test heuristic"]
    assert len(hr) == len(SIZES) and all(r.error < 0 for r in hr) and hr[-1].error < -0.1
    assert all(abs(r.own_pair_error) < 1e-6 for r in hr)
    mt = [r for r in v.rows if r.language == "hr" and r.method == "model-transfer"]
    assert all(r.own_pair_error == r.error for r in mt)  # no MT stage: the same prediction
    from xlner.bench.languages import format_loo

    text = "\n".join(format_loo(v))
    assert "with each language's own MT pair: " in text and "/ +0.0%" in text


def test_language_errors() -> None:
    with pytest.raises(XlnerError, match="at least two languages"):
        leave_one_language_out(fit_one_language())
    with pytest.raises(XlnerError, match="no timed runs of xx"):
        fit_bench(languages_bench(), langs={"xx"})


def fit_one_language() -> dict[str, Any]:
    bench = languages_bench()
    rows = bench["cost_points"]["rows"]
    bench["cost_points"]["rows"] = [r for r in rows if r["langs"] == ["es"]]
    return bench


#: subwords per word of each language (the tagger's tokenizer)
SUBWORDS = {"es": 1.4, "eu": 2.1, "hr": 1.7, "de": 1.6}


def subword_bench() -> dict[str, Any]:
    """The bench above with its subwords counted and the tagger costing 0.5 s per language +
    0.1 ms per subword (so its cost per word differs by language)."""
    bench = languages_bench()
    for r in bench["cost_points"]["rows"]:
        units = [
            SUBWORDS[x] * LENGTHS[x] * n for x, n in zip(r["langs"], r["sentences_per_language"])
        ]
        r["subwords_per_language"] = units
        r["stage_seconds"]["tag_target"] = sum(0.5 + 1e-4 * u for u in units)
    return bench


def test_the_tagger_is_fitted_per_subword_where_the_bench_counted_them() -> None:
    mt = [r for r in leave_one_language_out(subword_bench()).rows if r.method == "model-transfer"]
    assert len(mt) == 16 and max(abs(r.error or 0) for r in mt) < 1e-6
    # the same runs without their subwords: per word, the other languages' rate mispredicts
    bench = subword_bench()
    for r in bench["cost_points"]["rows"]:
        del r["subwords_per_language"]
    per_word = [r for r in leave_one_language_out(bench).rows if r.method == "model-transfer"]
    assert max(abs(r.error or 0) for r in per_word) > 0.05
    # the pooled fit keeps the pooled subwords per word at another sentence length
    fit = fit_bench(subword_bench()).get("model-transfer").stages["tag_target"]
    ratio = sum(SUBWORDS[x] * LENGTHS[x] for x in LENGTHS) / sum(LENGTHS.values())
    assert fit.subwords_per_word == pytest.approx(ratio)
    assert fit.words_per_sentence == pytest.approx(sum(LENGTHS.values()) / len(LENGTHS))
    assert fit.with_length(10.0).seconds(1000) == pytest.approx(0.5 + 1e-4 * ratio * 10 * 1000)
    assert fit.to_json()["per_subword_s"] == pytest.approx(1e-4)
    # and the held-back run of all four is predicted from each language's subwords
    assert validate(subword_bench()).max_abs_error < 1e-6
    # a language's mean cost per sentence counts its subwords, not its words
    from xlner.bench.stagefit import average

    one = fit_languages(subword_bench())["eu"].get("model-transfer").stages["tag_target"]
    assert average([one]).seconds(100) == pytest.approx(0.5 + 1e-4 * 2.1 * 9 * 100)
