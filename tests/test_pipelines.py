"""End-to-end pipelines on tiny local models (numbers meaningless), resume, CLI errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from xlner import pipelines
from xlner.cli import main
from xlner.data import Sentence, Span
from xlner.io import read_conll, write_conll
from xlner.stages import MethodSpec, StageConfig, Stages

GOLD = [
    Sentence(
        ["Shugaban", "Najeriya", "Bola", "Tinubu", "ya", "ziyarci", "Abuja", "."],
        [Span(1, 2, "LOC"), Span(2, 4, "PER"), Span(6, 7, "LOC")],
        "hau",
        "0",
    ),
    Sentence(
        ["Hukumar", "INEC", "ta", "sanar", "ranar", "Litinin", "."],
        [Span(0, 2, "ORG"), Span(4, 6, "DATE")],
        "hau",
        "1",
    ),
    Sentence(["Ààrẹ", "wa", "ní", "Èkó", "."], [Span(3, 4, "LOC")], "hau", "2"),
]


@pytest.fixture()
def data(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    for lang in ("hau", "pcm"):
        write_conll(GOLD, root / "masakhaner2" / lang / "test.txt")
    return root


@pytest.fixture()
def stage_cfg(tiny: dict[str, Path], tmp_path: Path) -> StageConfig:
    return StageConfig(
        translator=f"hf:{tiny['nllb']}",
        tagger=f"hf:{tiny['tagger']}",
        aligner=f"simalign:{tiny['xlmr']}",
        layer=2,
        device="cpu",
        batch_size=2,
        translation_cache=tmp_path / "tr.sqlite",
    )


ALL = [
    "heuristic",
    "heuristic:original",
    "ngram",
    "ngram:exact",
    "ner",
    "ner:exact",
    "heuristic+bt",
    "ngram+bt",
    "ner:exact+bt",
]


@pytest.mark.parametrize("name", ALL)
def test_translate_test_every_method(stage_cfg: StageConfig, name: str) -> None:
    st = Stages(stage_cfg)
    method = MethodSpec.parse(name)
    res = pipelines.translate_test(
        GOLD,
        "hau",
        st.translator,
        st.source_tagger,
        st.aligner,
        st.projector(method),
        backtranslate=method.backtranslate,
        candidate_tagger=st.candidate_tagger,
    )
    assert len(res.predictions) == len(GOLD)
    for sent, spans in zip(GOLD, res.predictions):
        assert all(0 <= s.start < s.end <= len(sent.tokens) for s in spans)
    expected = {"translate", "tag_source"} | (
        {"bt_translate", "bt_align", "bt_project"} if method.backtranslate else {"align", "project"}
    )
    assert expected <= set(res.timer.seconds)
    if method.kind == "ner":
        assert "tag_candidates" in res.timer.seconds


def test_model_transfer_and_memo(stage_cfg: StageConfig, tmp_path: Path) -> None:
    from xlner.memo import StageMemo

    st = Stages(stage_cfg)
    memo = StageMemo(tmp_path / "memo")
    a = pipelines.model_transfer(GOLD, st.mt_tagger, memo=memo)
    b = pipelines.model_transfer(GOLD, st.mt_tagger, memo=memo)
    assert a.predictions == b.predictions and memo.hits == 1 and memo.misses == 1


def test_translate_train_and_train_one_step(
    stage_cfg: StageConfig, tiny: dict[str, Path], tmp_path: Path
) -> None:
    st = Stages(stage_cfg)
    english = [
        Sentence(
            ["John", "Smith", "visited", "Berlin", "."],
            [Span(0, 2, "PER"), Span(3, 4, "LOC")],
            "en",
            "e0",
        ),
        Sentence(["The", "UN", "met", "."], [Span(1, 2, "ORG")], "en", "e1"),
    ] * 4
    silver = pipelines.translate_train(
        english, "hau", st.translator, st.aligner, st.projector(MethodSpec.parse("ngram"))
    )
    assert silver and all(s.lang == "hau" for s in silver)
    silver_path = tmp_path / "silver.conll"
    write_conll(silver, silver_path)
    train_path = tmp_path / "train.conll"
    write_conll(english, train_path)
    out = tmp_path / "model"
    assert (
        main(
            [
                "train",
                "--train",
                str(train_path),
                "--dev",
                str(train_path),
                "--base-model",
                str(tiny["xlmr"]),
                "--out",
                str(out),
                "--max-steps",
                "1",
                "--batch-size",
                "4",
                "--device",
                "cpu",
                "--quiet",
            ]
        )
        == 0
    )
    assert (out / "config.json").is_file() and (out / "xlner_train.json").is_file()
    # the trained model tags through the same path users take
    from xlner.tag import TAGGERS

    tagger = TAGGERS.create(f"hf:{out}", device="cpu")
    assert tagger.labels == ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]
    assert len(tagger.tag([["John", "Smith"]])) == 1


def _run_args(
    stage_cfg: StageConfig, data: Path, out: Path, methods: str, langs: str = "hau"
) -> list[str]:
    return [
        "run",
        "--dataset",
        "masakhaner2",
        "--langs",
        langs,
        "--methods",
        methods,
        "--out",
        str(out),
        "--data-dir",
        str(data),
        "--translator",
        stage_cfg.translator,
        "--tagger",
        stage_cfg.tagger,
        "--aligner",
        stage_cfg.aligner,
        "--layer",
        "2",
        "--device",
        "cpu",
        "--translation-cache",
        str(stage_cfg.translation_cache),
    ]


def test_run_tables_resume_and_unsupported(
    stage_cfg: StageConfig, data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    args = _run_args(stage_cfg, data, out, "model-transfer,heuristic,ngram:exact", "hau,pcm")
    assert main(args) == 0
    capsys.readouterr()
    rows = (out / "results.csv").read_text().splitlines()
    assert rows[0] == "lang,model-transfer,heuristic,ngram:exact"
    assert rows[2].startswith("pcm,") and "unsupported" in rows[2]
    assert rows[-1].startswith("avg,")
    md = (out / "results.md").read_text()
    assert "paper model_transfer" in md and "73.7" in md  # the paper's hau model-transfer F1
    assert "pcm / heuristic: unsupported" in md
    scores = json.loads((out / "scores.json").read_text())
    unit = scores["hau"]["heuristic"]
    assert unit["status"] == "done" and "translate" in unit["seconds"]
    assert set(unit["scores"]["per_label"]) == {"PER", "ORG", "LOC"}
    pred = read_conll(out / "predictions" / "hau" / "ngram-exact.conll")
    assert [s.tokens for s in pred] == [s.tokens for s in GOLD]
    # an interrupted run: one unit lost; the re-run recomputes only that unit
    (out / "scores" / "hau" / "heuristic.json").unlink()
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "[hau] model-transfer: done earlier, skipped" in err
    assert "[hau] heuristic: F1" in err
    assert "[hau] ngram:exact: done earlier, skipped" in err
    # the same folder with another configuration is refused
    other = [*args[:-2], "--translation-cache", str(tmp_path / "x.sqlite"), "--limit", "1"]
    assert main(other) == 2
    assert "another configuration" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "--dataset", "nope", "--out", "x"], "unknown dataset 'nope'"),
        (
            ["run", "--dataset", "masakhaner2", "--langs", "xx", "--out", "x"],
            "has no language 'xx'",
        ),
        (
            ["run", "--dataset", "masakhaner2", "--methods", "magic", "--out", "x"],
            "unknown method 'magic'",
        ),
        (
            [
                "tag",
                "--lang",
                "pcm",
                "--input",
                "IN",
                "--output",
                "OUT",
                "--translator",
                "hf:/nonexistent/model",
            ],
            "does not exist",
        ),
    ],
)
def test_cli_errors_exit_2_one_line(
    argv: list[str],
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XLNER_CACHE", str(tmp_path / "cache"))
    Path("IN").write_text("Bola Tinubu ya ziyarci Abuja .\n")
    if argv[0] == "tag":
        argv += ["--input-format", "text"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err


def test_tag_command_model_transfer(stage_cfg: StageConfig, tmp_path: Path) -> None:
    src = tmp_path / "in.txt"
    src.write_text("Bola Tinubu ya ziyarci Abuja .\nHukumar INEC ta sanar .\n")
    out = tmp_path / "out.jsonl"
    assert (
        main(
            [
                "tag",
                "--method",
                "model-transfer",
                "--input",
                str(src),
                "--input-format",
                "text",
                "--output",
                str(out),
                "--tagger",
                stage_cfg.tagger,
                "--device",
                "cpu",
            ]
        )
        == 0
    )
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert [x["tokens"][0] for x in lines] == ["Bola", "Hukumar"]


def test_unsupported_language_names_nearest(
    stage_cfg: StageConfig, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "in.txt"
    src.write_text("Bola Tinubu ya ziyarci Abuja .\n")
    assert (
        main(
            [
                "tag",
                "--lang",
                "pcm",
                "--input",
                str(src),
                "--input-format",
                "text",
                "--output",
                str(tmp_path / "o.conll"),
                "--translator",
                stage_cfg.translator,
                "--tagger",
                stage_cfg.tagger,
                "--aligner",
                stage_cfg.aligner,
                "--device",
                "cpu",
            ]
        )
        == 2
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "'pcm' is not supported by NLLB-200; nearest" in err[0]
