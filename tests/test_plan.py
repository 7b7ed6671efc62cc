"""``xlner plan``: totals, break-even and quality from a bench JSON; the CLI on the shipped
examples (output, PNG, under a second of CPU, no torch); one-line errors on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_costmodel import expected_trt, expected_tt, synthetic_bench
from tests.test_costmodel_languages import (
    LENGTHS,
    SQUARES,
    expected_mt,
    languages_bench,
    mean_shape,
)
from tests.test_costmodel_languages import expected_tt as expected_tt_words
from xlner.bench.costmodel import bench_languages
from xlner.bench.schema import SCHEMA_VERSION
from xlner.cli import main
from xlner.errors import XlnerError
from xlner.plan import EXAMPLES, load_bench, make_plan, parse_languages
from xlner.plan_output import format_plan
from xlner.reference import reference_table


def test_parse_languages() -> None:
    assert parse_languages("40") == (40, [])
    assert parse_languages(" hau, yor ,swa") == (3, ["hau", "yor", "swa"])
    for bad, msg in (
        ("0", "at least 1"),
        ("-3", "at least 1"),
        ("", "give a number"),
        ("hau,qqq", "not supported"),
        ("hau,hau", "twice"),
    ):
        with pytest.raises(XlnerError, match=msg):
            parse_languages(bad)


def test_make_plan_totals_and_break_even() -> None:
    p = make_plan(synthetic_bench(), "synthetic", "40", 50_000)
    rows = {r.method.label: r for r in p.rows}
    tt = rows["translate-test heuristic"]
    assert tt.seconds == pytest.approx(expected_tt(40, 50_000), rel=1e-6)
    assert tt.usd == pytest.approx(0.36 * tt.seconds / 3600, rel=1e-9)
    trt = rows["translate-train heuristic"]
    assert trt.seconds == pytest.approx(expected_trt(40, 50_000), rel=1e-6)
    assert p.cheapest().method.label == "model-transfer"
    ((a, b, n),) = p.break_even
    assert (a.name, b.name) == ("heuristic", "heuristic") and n is not None
    assert expected_trt(40, n) <= expected_tt(40, n) * (1 + 1e-9)
    assert expected_trt(40, n - 1) > expected_tt(40, n - 1)
    # a price given to plan overrides the bench's
    assert make_plan(synthetic_bench(), "s", "1", 10, usd_per_hour=3.6).rows[0].usd == (
        pytest.approx(3.6 * p.model.methods[0].seconds(1, 10) / 3600)
    )


def test_quality_side_by_side(monkeypatch: pytest.MonkeyPatch) -> None:
    """The plan's quality columns from the paper's table and from a measured table given here
    (not the shipped one), so the expected figures are the test's own."""
    from xlner import quality

    mine = [
        {
            "dataset": "masakhaner2",
            "lang": "hau",
            "family": "model-transfer",
            "method": "",
            "setup": "e5-small",
            "f1": "50.0",
        },
        {
            "dataset": "conll02-es",
            "lang": "es",
            "family": "model-transfer",
            "method": "",
            "setup": "e5-small",
            "f1": "70.0",
        },
        {
            "dataset": "conll02-es",
            "lang": "es",
            "family": "translate-test",
            "method": "heuristic",
            "setup": "e5-small",
            "f1": "61.5",
        },
        {
            "dataset": "conll02-es",
            "lang": "es",
            "family": "translate-train",
            "method": "heuristic",
            "setup": "e5-small",
            "f1": "64.0",
        },
        {
            "dataset": "conll02-es",
            "lang": "es",
            "family": "model-transfer",
            "method": "",
            "setup": "offline",
            "f1": "12.5",
        },
    ]
    monkeypatch.setattr(quality, "_measured", lambda: mine)
    p = make_plan(synthetic_bench(), "synthetic", "hau,es", 1000)
    rows = {r.method.label: r for r in p.rows}
    mt = rows["model-transfer"]
    assert mt.paper is not None and mt.ours is not None
    hau = reference_table("masakhaner2")["hau"]["model_transfer"]
    es = reference_table("panx")["es"]["model_transfer"]
    assert mt.paper.f1 == pytest.approx(100 * (hau + es) / 2)
    assert mt.ours.f1 == pytest.approx((50.0 + 70.0) / 2)
    tt = rows["translate-test heuristic"]
    assert tt.paper is not None and tt.paper.langs == ("es", "hau")
    assert tt.ours is not None and tt.ours.cell() == "61.5 (es)"
    trt = rows["translate-train heuristic"]
    assert trt.paper is None  # the paper ran no translate-train
    assert trt.ours is not None and trt.ours.f1 == pytest.approx(64.0)
    offline = make_plan(synthetic_bench(), "s", "es", 1000, setup="offline")
    assert offline.rows[0].ours is not None and offline.rows[0].ours.f1 == pytest.approx(12.5)
    # a count of languages: the paper's average over MasakhaNER 2.0
    count = make_plan(synthetic_bench(), "s", "5", 1000).rows[0]
    assert count.paper is not None and len(count.paper.langs) == len(reference_table("masakhaner2"))


def test_plan_cli_on_a_bench_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bench = tmp_path / "bench.json"
    bench.write_text(json.dumps(synthetic_bench()))
    png = tmp_path / "out" / "plan.png"
    argv = ["plan", "--bench", str(bench), "--langs", "hau,yor", "--sentences", "20000"]
    assert main([*argv, "--png", str(png)]) == 0
    out = capsys.readouterr().out
    assert "| translate-train heuristic |" in out and "Break-even" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main([*argv, "--png", "", "--format", "json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["languages"] == 2 and r["codes"] == ["hau", "yor"]
    assert r["break_even"][0]["sentences_per_language"] > 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bench", "missing.json"], "not found"),
        (["--bench", "{bad}"], "not a JSON file"),
        (["--bench", "{}"], "no 'cost_points'"),
        (["--sentences", "-5"], "at least 1"),
        (["--langs", "xx1"], "not supported"),
        (["--usd-per-hour", "-1"], "negative"),
    ],
)
def test_plan_cli_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    bench = tmp_path / "bench.json"
    bench.write_text(json.dumps(synthetic_bench()))
    opts = {"--bench": str(bench), "--langs": "3", "--sentences": "100", "--png": ""}
    for k, v in zip(args[::2], args[1::2]):
        if k == "--bench" and v.startswith("{"):
            (tmp_path / "x.json").write_text(v)
            v = str(tmp_path / "x.json")
        elif k == "--bench":
            v = str(tmp_path / v)
        opts[k] = v
    assert main(["plan", *[x for kv in opts.items() for x in kv]]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("xlner: error:") and message in err and "\n" not in err


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_shipped_examples(example: str) -> None:
    bench, name = load_bench(example)
    assert bench.command and bench.command.startswith("xlner bench pipeline")
    assert bench.schema_version == SCHEMA_VERSION  # none inside: version 1
    families = {"model-transfer", "translate-test"}
    if bench.translate_train is not None:  # the languages bench times inference only
        assert bench.translate_train.finetune.runs
        families.add("translate-train")
    p = make_plan(bench, name, "40", 50_000)
    assert {r.method.family for r in p.rows} == families
    assert all(r.seconds > 0 for r in p.rows)


def test_shipped_languages_bench() -> None:
    bench, name = load_bench("cpu-2core-langs")
    assert bench_languages(bench) == ["es", "eu", "gl", "hr"]
    assert {x["dataset"] for x in bench.data["languages"].values()} == {
        "conll02-es",
        "panx",
        "sli-nerc",
        "uner",
    }
    loo = bench.validation_languages
    assert loo is not None and set(loo.languages or {}) == {"es", "eu", "gl", "hr"} and loo.rows
    p = make_plan(bench, name, "eu,gl,hr", 10_000)
    assert [x.measured for x in p.per_language] == ["eu", "gl", "hr"] and not p.extrapolated


def test_plan_uses_each_measured_language_and_extrapolates_the_rest() -> None:
    bench = languages_bench()  # es, eu, hr, de timed; gl not
    m = 10_000
    p = make_plan(bench, "langs", "eu,gl,hr", m)
    assert [(x.code, x.measured) for x in p.per_language] == [
        ("eu", "eu"),
        ("gl", None),
        ("hr", "hr"),
    ]
    assert p.extrapolated == ["gl"]
    mean, squares = mean_shape()  # what an unmeasured language is taken to be
    shapes = [(LENGTHS["eu"], SQUARES["eu"]), (mean, squares), (LENGTHS["hr"], SQUARES["hr"])]
    rows = {r.method.label: r for r in p.rows}
    assert rows["model-transfer"].seconds == pytest.approx(
        1.5 + sum(expected_mt(m, *x) for x in shapes), rel=1e-6
    )
    assert rows["translate-test heuristic"].seconds == pytest.approx(
        1.5 + sum(expected_tt_words(m, *x) for x in shapes), rel=1e-6
    )
    text = format_plan(p)
    assert "Languages: measured eu, hr (each from its own runs in the bench); extrapolated gl" in (
        text
    )
    assert "the pooled fit of es, eu, hr, de, at 19.8 words per sentence" in text
    assert "| gl | extrapolated | 19.8 |" in text and "| eu | measured (eu) | 9.0 |" in text
    # a sentence length for the unmeasured languages changes those only
    short = make_plan(bench, "langs", "eu,gl,hr", m, words_per_sentence=12.0)
    shapes[1] = (12.0, squares * (12.0 / mean) ** 2)
    assert {r.method.label: r for r in short.rows}["translate-test heuristic"].seconds == (
        pytest.approx(1.5 + sum(expected_tt_words(m, *x) for x in shapes), rel=1e-6)
    )
    # a count of languages: every one extrapolated, and said so
    count = make_plan(bench, "langs", "3", m)
    assert count.rows[0].seconds == pytest.approx(1.5 + 3 * expected_mt(m, mean, squares), rel=1e-6)
    assert "Languages: all 3 extrapolated from the pooled fit of es, eu, hr, de" in format_plan(
        count
    )
    with pytest.raises(XlnerError, match="must be positive"):
        make_plan(bench, "langs", "eu", m, words_per_sentence=0)


def test_plan_cli_per_language_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bench = tmp_path / "bench.json"
    bench.write_text(json.dumps(languages_bench()))
    argv = ["plan", "--bench", str(bench), "--langs", "eus,gl", "--sentences", "500"]
    assert main([*argv, "--png", "", "--format", "json", "--words-per-sentence", "30"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert [(x["code"], x["measured"]) for x in r["per_language"]] == [("eus", "eu"), ("gl", None)]
    assert r["extrapolated"] == ["gl"]
    assert [x["words_per_sentence"] for x in r["per_language"]] == [pytest.approx(9), 30]


def test_plan_cli_loads_no_model(tmp_path: Path) -> None:
    """The shipped example, in a fresh interpreter: output, PNG, and no torch/transformers/spaCy
    imported (what keeps `xlner plan` instant; its time is not asserted here, since CPU time on a
    shared CI machine is not a property of the code)."""
    png = tmp_path / "plan.png"
    code = (
        "import sys\n"
        "from xlner.cli import main\n"
        f"rc = main(['plan', '--bench', 'cpu-2core-offline', '--langs', '40', "
        f"'--sentences', '50000', '--png', {str(png)!r}])\n"
        "heavy = sorted(m for m in ('torch', 'transformers', 'spacy') if m in sys.modules)\n"
        "print('RESULT', rc, heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "RESULT 0 []"
    assert "Break-even" in out.stdout and "translate-train" in out.stdout
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_shipped_measured_f1_is_what_docs_results_say() -> None:
    """Every F1 of resources/measured_f1.csv appears in docs/results.md (where the commands
    that measured it are): the shipped table is a copy, checked against its source."""
    from xlner.quality import _measured

    results = (Path(__file__).resolve().parents[1] / "docs" / "results.md").read_text("utf-8")
    missing = [r for r in _measured() if f"{float(r['f1']):.1f}" not in results]
    assert not missing, missing


def test_plan_checks_the_bench_with_this_xlners_cost_model() -> None:
    """The checks a plan prints are those of the model it plans with, not the ones stored by
    the xlner that wrote the bench (a cost-model change would otherwise go unseen)."""
    from xlner.bench.costcheck import leave_one_language_out, validate

    bench, name = load_bench("cpu-2core-langs")
    p = make_plan(bench, name, "eu,gl,hr", 10_000)
    assert p.validation == validate(bench)
    assert p.validation_languages == leave_one_language_out(bench, per_sentence=False)
    assert p.validation_languages is not None
    assert all(r.per_sentence_error is None for r in p.validation_languages.rows)
    assert f"within {100 * p.validation.max_abs_error:.1f}%" in format_plan(p)
