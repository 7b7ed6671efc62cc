"""`xlner run` over several datasets: targets, splits, the English-tagger baseline, the
answer written from the run's numbers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from xlner.cli import main
from xlner.errors import XlnerError
from xlner.methods import Method, parse_methods
from xlner.runner import RunConfig, parse_targets
from xlner.steps import Plan
from xlner.units import Target, UnitResult


def test_targets_from_several_datasets(data_dir: Path, tmp_path: Path) -> None:
    cfg = RunConfig("conll02-es,panx:eu+de,uner:hr", "all", ["heuristic"], tmp_path)
    assert parse_targets(cfg) == [
        ("conll02-es", "es"),
        ("panx", "eu"),
        ("panx", "de"),
        ("uner", "hr"),
    ]
    with pytest.raises(XlnerError, match="'es' comes from both conll02-es and panx"):
        parse_targets(RunConfig("conll02-es,panx:es", "all", ["heuristic"], tmp_path))
    with pytest.raises(XlnerError, match="has no language 'xx'"):
        parse_targets(RunConfig("panx:xx", "all", ["heuristic"], tmp_path))


def test_a_split_the_dataset_lacks_is_one_line(data_dir: Path, tmp_path: Path, capsys) -> None:
    argv = ["run", "--dataset", "sli-nerc", "--split", "dev", "--methods", "model-transfer:en"]
    assert main([*argv, "--out", str(tmp_path / "o"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "has no dev split; its splits: train, test" in err


def test_english_baseline_is_its_own_method() -> None:
    (m,) = parse_methods("model-transfer:en")
    assert m.name == "model-transfer:en" and m.slug == "model-transfer-en"
    assert m.is_english_baseline and not m.is_projection
    assert m.paper_column("simalign") is None  # the paper's model transfer is XLM-R
    mt = Method.parse("model-transfer")
    plan = Plan((m, mt))
    assert plan.method_roles(m) == ["source_tagger"] and plan.method_roles(mt) == ["mt_tagger"]
    assert [s.name for s in plan.steps()] == ["tag_target_en", "tag_target", "project"]
    assert plan.method_stages(m) == ["tag_target_en"]
    with pytest.raises(XlnerError, match="unknown method"):
        Method.parse("model-transfer:xx")


def _unit(lang: str, method: str, f1: float, seconds: float, n: int = 100) -> UnitResult:
    lost = {"no_link": 10} if method != "model-transfer" else {}
    return UnitResult(
        lang,
        method,
        "done",
        scores={"overall": {"f1": f1}},
        seconds={"stage": seconds},
        n_sentences=n,
        source_entities=40 if lost else None,
        lost=lost,
    )


def test_answer_is_written_from_the_numbers() -> None:
    from xlner.report import answer_paragraph

    methods = parse_methods("model-transfer,heuristic,ner")
    targets = [Target("d", "aa", "test"), Target("d", "bb", "dev")]
    results = [
        _unit("aa", "model-transfer", 0.50, 1.0),
        _unit("aa", "heuristic", 0.60, 3.0),
        _unit("aa", "ner", 0.55, 4.0),
        _unit("bb", "model-transfer", 0.70, 1.0),
        _unit("bb", "heuristic", 0.65, 3.0),
        _unit("bb", "ner", 0.66, 4.0),
    ]
    by = {(r.lang, r.method): r for r in results}
    text = answer_paragraph(targets, methods, by)
    # best projection: aa heuristic +10.0, bb ner -4.0 -> mean +3.0; cost 3x and 4x
    assert "On 2 language(s)" in text and "beats model transfer by 3.0 F1" in text
    assert "Projection wins on aa (heuristic +10.0)" in text
    assert "Model transfer wins on bb (ner -4.0)" in text
    assert "3.0–4.0×" in text
    # 4 projection units x 10 of 40 entities lost for no_link
    assert "25% were not projected, most for `no_link` (25% of all)" in text
    assert answer_paragraph(targets, methods[:1], by) == ""
    # projection behind on average: "trails ... by 2.0", never "by -2.0"
    behind = {**by, ("aa", "heuristic"): _unit("aa", "heuristic", 0.50, 3.0)}
    behind[("aa", "ner")] = _unit("aa", "ner", 0.50, 4.0)
    text = answer_paragraph(targets, methods, behind)
    assert "trails model transfer by 2.0 F1 on average" in text


@pytest.mark.slow
def test_translate_test_on_50_croatian_sentences(data_dir: Path, tmp_path: Path) -> None:
    """Real systems end to end on UNER Croatian: Apertium hbs-eng, spaCy, eflomal."""
    pytest.importorskip("spacy")
    pytest.importorskip("eflomal")
    from xlner.translate.apertium import ApertiumTranslator, resolve_mode

    if (
        shutil.which("apertium") is None
        or resolve_mode(ApertiumTranslator().modes, "hr", "en") is None
    ):
        pytest.skip("no Apertium pair for hr->en (apt-get install apertium apertium-hbs-eng)")
    out = tmp_path / "hr"
    argv = ["run", "--dataset", "uner", "--langs", "hr", "--limit", "50", "--preset", "offline"]
    argv += ["--methods", "heuristic,ngram", "--aligner", "eflomal", "--out", str(out), "--quiet"]
    assert main(argv) == 0
    scores = json.loads((out / "scores.json").read_text())["scores"]["hr"]
    for method in ("heuristic", "ngram"):
        unit = scores[method]
        assert unit["status"] == "done" and unit["n_sentences"] == 50
        assert unit["data"] == "uner/test"
        assert "apertium-hbs-eng=" in unit["signature"]["translator"]
        assert unit["scores"]["overall"]["f1"] > 0.3  # real MT + alignment, not noise
        assert unit["source_entities"] > 0
    pred = (out / "predictions" / "hr" / "heuristic.conll").read_text().split("\n\n")
    assert len([p for p in pred if p.strip()]) == 50
