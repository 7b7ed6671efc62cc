"""Third-party backends: a small plugin package, installed with pip, is found through its
entry points and runs end to end from the command line, receiving the run options its
constructor declares."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from xlner.registry import accepted_options


def _xlner(args: list[str], site: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run(
        [sys.executable, "-m", "xlner.cli", *args], capture_output=True, text=True, env=env, cwd=cwd
    )


def test_plugin_backends_run_from_the_cli(plugin: Path, tmp_path: Path) -> None:
    (tmp_path / "in.txt").write_text("Bola Tinubu ya ziyarci Abuja .\n")
    args = ["tag", "--lang", "hau", "--input", "in.txt", "--output", "out.jsonl", "--quiet"]
    args += ["--translator", "echo", "--tagger", "caps", "--aligner", "diag", "--layer", "5"]
    proc = _xlner([*args, "--method", "ngram"], plugin, tmp_path)
    assert proc.returncode == 0, proc.stderr
    (line,) = (tmp_path / "out.jsonl").read_text().splitlines()
    spans = json.loads(line)["spans"]
    assert [(s["start"], s["end"], s["label"], s["score"]) for s in spans] == [
        (0, 2, "PER", 0.8),
        (4, 5, "PER", 0.4),
    ]
    # the plugins are listed among the built-ins, with where they come from
    proc = _xlner([*args[:8], "--aligner", "nope"], plugin, tmp_path)
    assert proc.returncode == 2 and "choose one of: awesome, diag, eflomal" in proc.stderr


def test_options_reach_backends_that_declare_them() -> None:
    from xlner_fakes import CapsTagger, DiagonalAligner

    opts = {"device": "cpu", "layer": 5, "batch_size": 7}
    assert accepted_options(DiagonalAligner, opts) == {"layer": 5}
    assert accepted_options(CapsTagger, opts) == {"batch_size": 7}
