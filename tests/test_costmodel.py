"""The cost model on synthetic bench JSONs whose costs are known exactly: exact fits, exact
predictions of held-back runs, exact break-even points; and its errors on bad input."""

from __future__ import annotations

import math
import sys
from typing import Any

import pytest

from xlner.bench.breakeven import break_even
from xlner.bench.costcheck import FLOOR, validate
from xlner.bench.costmodel import MethodCost, finetune_steps, fit_bench
from xlner.bench.schema import bench_from_json
from xlner.bench.stagefit import StageFit, fit_stage, fit_steps
from xlner.errors import XlnerError

# per language: (fixed s, s per sentence, s per sqrt(sentence))
TEST_STAGES = {
    "tag_target": (0.0, 0.004, 0.0),
    "translate": (0.5, 0.001, 0.0),
    "tag_source": (0.0, 0.004, 0.0),
    "align": (2.0, 0.002, 0.05),  # eflomal-like: start-up, linear part, sqrt part
    "project:heuristic": (0.0, 0.0001, 0.0),
}
TRAIN_STAGES = {
    "translate": (0.2, 0.001, 0.0),
    "align": (3.0, 0.001, 0.08),
    "project:heuristic": (0.0, 0.0002, 0.0),
}
LOADS = {"translator": 1.0, "source_tagger": 2.0, "mt_tagger": 2.0, "aligner": 0.5}
BACKENDS = {"translator": "mt", "source_tagger": "tag", "mt_tagger": "tag", "aligner": "al"}
FT_FIXED, FT_STEP = 10.0, 1.5
INFERENCE = (0.3, 0.004)  # the tuned tagger: fixed per language, per sentence
TRAIN_SIZE = 14_041
ITEMS_PER_SENTENCE = 1.02


def t(stage: tuple[float, float, float], n: float) -> float:
    a, b, c = stage
    return a + b * n + c * math.sqrt(n)


def make_run(sentences: list[int], holdout: bool = False) -> dict[str, Any]:
    return {
        "sentences_per_language": sentences,
        "stage_seconds": {s: sum(t(v, n) for n in sentences) for s, v in TEST_STAGES.items()},
        "holdout": holdout,
    }


def synthetic_bench() -> dict[str, Any]:
    """A bench JSON whose every timing follows the costs above exactly."""
    fit_points = [[100], [200], [400], [800], [100, 100], [100, 100, 100, 100]]
    rows = [make_run(p) for p in fit_points] + [make_run([1516], True), make_run([100] * 8, True)]
    slices = [
        {
            "sentences": n,
            "stage_seconds": {s: t(v, n) for s, v in TRAIN_STAGES.items()},
            "holdout": n == TRAIN_SIZE,
        }
        for n in (500, 1000, 2000, 4000, TRAIN_SIZE)
    ]
    return {
        "config": {"usd_per_hour": 0.36},
        "role_load_seconds": LOADS,
        "role_backends": BACKENDS,
        "cost_points": {
            "methods": {
                "model-transfer": {"stages": ["tag_target"], "roles": ["mt_tagger"]},
                "heuristic": {
                    "stages": ["translate", "tag_source", "align", "project:heuristic"],
                    "roles": ["translator", "source_tagger", "aligner"],
                },
            },
            "rows": rows,
        },
        "translate_train": {
            "lang": "es",
            "train_size": TRAIN_SIZE,
            "methods": {
                "heuristic": {
                    "stages": ["translate", "align", "project:heuristic"],
                    "roles": ["translator", "aligner"],
                }
            },
            "slices": slices,
            "finetune": {
                "epochs": 1.0,
                "batch_size": 16,
                "items_per_sentence": ITEMS_PER_SENTENCE,
                "runs": [
                    {"steps": s, "seconds": FT_FIXED + FT_STEP * s, "holdout": s == 40}
                    for s in (5, 10, 20, 40)
                ],
            },
            "inference": {
                "load_seconds": 0.7,
                "rows": [
                    {"sentences": n, "seconds": INFERENCE[0] + INFERENCE[1] * n, "holdout": h}
                    for n, h in ((100, False), (400, False), (1516, True))
                ],
            },
        },
    }


def test_fit_stage_recovers_exact_linear_costs() -> None:
    runs = [[100], [300], [100, 100], [50, 50, 50]]
    secs = [sum(2.0 + 0.01 * n for n in r) for r in runs]
    fit = fit_stage(runs, secs)
    assert fit.per_language == pytest.approx(2.0, rel=1e-9)
    assert fit.per_sentence == pytest.approx(0.01, rel=1e-9)
    assert fit.sqrt == 0.0  # straight-line data: no sub-linear term
    assert fit.total([1000, 10]) == pytest.approx(2 * 2.0 + 0.01 * 1010, rel=1e-9)


def test_fit_stage_finds_the_sqrt_part() -> None:
    runs = [[n] for n in (100, 200, 400, 800, 1600)]
    secs = [t((3.0, 0.001, 0.08), r[0]) for r in runs]
    fit = fit_stage(runs, secs)
    assert fit.sqrt == pytest.approx(0.08, rel=1e-6)
    assert fit.seconds(14_041) == pytest.approx(t((3.0, 0.001, 0.08), 14_041), rel=1e-6)
    linear = fit_stage(runs[:3], secs[:3])  # too few runs for the sqrt term: a line
    assert linear.sqrt == 0.0


def test_fit_stage_edge_cases() -> None:
    one = fit_stage([[200]], [4.0])
    assert (one.per_language, one.per_sentence) == (0.0, 0.02)
    assert fit_stage([[10], [20]], [0.0, 0.0]) == StageFit(runs=2)
    assert fit_stage([], []).seconds(100) == 0.0
    assert StageFit(1.0, 1.0).seconds(0) == 0.0  # a language with no sentences runs nothing
    with pytest.raises(XlnerError):
        fit_stage([[1]], [1.0, 2.0])


def test_fit_steps_exact() -> None:
    assert fit_steps([5, 10, 20], [FT_FIXED + FT_STEP * s for s in (5, 10, 20)]) == (
        pytest.approx(FT_FIXED),
        pytest.approx(FT_STEP),
    )
    assert fit_steps([4, 4], [8.0, 8.0]) == (0.0, 2.0)
    with pytest.raises(XlnerError):
        fit_steps([], [])


def expected_tt(langs: int, m: float) -> float:
    load = LOADS["translator"] + LOADS["source_tagger"] + LOADS["aligner"]
    return load + langs * sum(t(TEST_STAGES[s], m) for s in TEST_STAGES if s != "tag_target")


def expected_trt(langs: int, m: float) -> float:
    steps = math.ceil(ITEMS_PER_SENTENCE * TRAIN_SIZE / 16)
    once = sum(t(v, TRAIN_SIZE) for v in TRAIN_STAGES.values()) + FT_FIXED + FT_STEP * steps
    once += 0.7  # the tuned tagger's load
    load = LOADS["translator"] + LOADS["aligner"]
    return load + langs * (once + INFERENCE[0] + INFERENCE[1] * m)


@pytest.mark.parametrize("held_back", [True, False])
def test_fit_bench_predicts_totals_exactly(held_back: bool) -> None:
    model = fit_bench(synthetic_bench(), held_back=held_back)
    assert [m.label for m in model.methods] == [
        "model-transfer",
        "translate-test heuristic",
        "translate-train heuristic",
    ]
    mt, tt, trt = model.methods
    for langs, m in ((1, 1000), (40, 50_000), (3, 7)):
        assert mt.seconds(langs, m) == pytest.approx(2.0 + langs * 0.004 * m, rel=1e-6)
        assert tt.seconds(langs, m) == pytest.approx(expected_tt(langs, m), rel=1e-6)
        assert trt.seconds(langs, m) == pytest.approx(expected_trt(langs, m), rel=1e-6)
    assert model.usd_per_hour == 0.36
    assert "extrapolated" in model.notes[0] and "14,041" in model.notes[0]


def test_finetune_steps() -> None:
    bench = synthetic_bench()
    tt = bench_from_json(bench).translate_train
    assert tt is not None
    assert finetune_steps(tt, TRAIN_SIZE) == math.ceil(ITEMS_PER_SENTENCE * TRAIN_SIZE / 16)
    bench["translate_train"]["finetune"]["epochs"] = 3
    tt = bench_from_json(bench).translate_train
    assert tt is not None and finetune_steps(tt, 160) == 3 * math.ceil(
        ITEMS_PER_SENTENCE * 160 / 16
    )


def test_validate_predicts_held_back_runs() -> None:
    v = validate(synthetic_bench())
    runs = {r.run for r in v.rows}
    assert {"1 language(s) × 1,516 sentences", "8 language(s) × 100 sentences"} <= runs
    assert "English training data, 14,041 sentences" in runs
    assert "fine-tuning, 40 steps" in runs and "tuned tagger, 1,516 sentences" in runs
    assert v.max_abs_error is not None and v.max_abs_error < 1e-6 and v.floor == FLOOR


def test_validate_reports_a_wrong_prediction() -> None:
    bench = synthetic_bench()
    held = bench["cost_points"]["rows"][-2]  # 1 x 1516, held back
    held["stage_seconds"] = {k: 2 * v for k, v in held["stage_seconds"].items()}
    v = validate(bench)
    errs = [r.error for r in v.rows if r.run == "1 language(s) × 1,516 sentences"]
    assert errs and all(e == pytest.approx(-0.5, rel=1e-6) for e in errs)
    assert v.max_abs_error == pytest.approx(0.5, rel=1e-6)


def test_break_even_exact() -> None:
    model = fit_bench(synthetic_bench())
    tt, trt = model.get("heuristic"), model.get("translate-train heuristic")
    for langs in (1, 40):
        n = break_even(trt, tt, langs)
        assert n is not None
        # the first whole number of sentences at which translate-train is no dearer
        assert expected_trt(langs, n) <= expected_tt(langs, n) * (1 + 1e-9)
        assert expected_trt(langs, n - 1) > expected_tt(langs, n - 1)
    # model transfer tags at the tuned tagger's price without the one-time work: never beaten
    assert break_even(trt, model.get("model-transfer"), 1) is None


def test_break_even_bounds() -> None:
    cheap = MethodCost("translate-train", "x", {"tag": StageFit(0.0, 0.001)})
    dear = MethodCost("translate-test", "y", {"tag": StageFit(0.0, 0.002)})
    assert break_even(cheap, dear) == 0.0  # never dearer
    assert break_even(dear, cheap) is None  # never cheaper
    once = MethodCost("translate-train", "z", {"tag": StageFit(0.0, 0.001)}, 0.0, {"x": 10.0})
    assert break_even(once, dear) == 10_000  # 10 s once / 1 ms saved per sentence


def test_fit_bench_errors() -> None:
    with pytest.raises(XlnerError, match="cost_points"):
        fit_bench({"methods": {}})
    bench = synthetic_bench()
    bench["cost_points"]["rows"] = [r for r in bench["cost_points"]["rows"] if r["holdout"]]
    with pytest.raises(XlnerError, match="no timed runs"):
        fit_bench(bench, held_back=False)
    with pytest.raises(XlnerError, match="no method"):
        fit_bench(synthetic_bench()).get("nope")


def test_cost_model_imports_no_torch() -> None:
    import subprocess

    code = (
        "import sys, xlner.bench.costmodel, xlner.bench.costcheck, xlner.bench.breakeven; "
        "print(sorted(m for m in ('torch', 'transformers', 'scipy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
