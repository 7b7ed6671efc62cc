"""The pipeline benchmark in a small mode (tiny models, few sentences): its JSON has every
stage and method. Timings are not asserted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from xlner.cli import main


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
        "--translation-cache",
        str(tmp_path / "t.sqlite"),
        "--out",
        str(out),
        "--format",
        "json",
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
