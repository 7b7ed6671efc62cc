"""The Ray executor gives the local executor's results: on a local Ray instance (2 CPUs) with
tiny models, with the real offline systems, with an actor killed mid-run, and (slow) on a
two-node cluster started with ``ray start`` on this machine."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.slow  # a Ray instance takes seconds to start

from xlner.cli import main  # noqa: E402
from xlner.data import Sentence, Span  # noqa: E402
from xlner.io import write_conll  # noqa: E402

needs_offline = pytest.mark.skipif(
    shutil.which("apertium") is None, reason="Apertium not installed (apt-get install apertium)"
)


@pytest.fixture(scope="module")
def ray_env(plugin: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A local Ray instance with 2 CPUs; workers see the test plugin and the test cache."""
    env = {
        "PYTHONPATH": os.environ["PYTHONPATH"],
        "XLNER_CACHE": os.environ["XLNER_CACHE"],
        "XLNER_CRASH_DIR": str(tmp_path_factory.mktemp("crash")),
    }
    if ray.is_initialized():
        ray.shutdown()
    ray.init(num_cpus=2, include_dashboard=False, runtime_env={"env_vars": env})
    yield env
    ray.shutdown()


def _outputs(out: Path) -> dict[str, str]:
    files = sorted((out / "predictions").rglob("*.conll")) + sorted((out / "lost").rglob("*.jsonl"))
    tables = {"results.csv": (out / "results.csv").read_text()}
    return tables | {str(p.relative_to(out)): p.read_text() for p in files}


def _both(args: list[str], tmp_path: Path) -> tuple[dict[str, str], dict[str, str]]:
    assert main([*args, "--out", str(tmp_path / "local"), "--quiet"]) == 0
    argv = [*args, "--out", str(tmp_path / "ray"), "--quiet", "--executor", "ray"]
    assert main(argv) == 0
    return _outputs(tmp_path / "local"), _outputs(tmp_path / "ray")


def test_tiny_models_on_ray_equal_local(
    ray_env: dict[str, str], tiny: dict[str, Path], tmp_path: Path
) -> None:
    gold = [
        Sentence(["Bola", "Tinubu", "ya", "ziyarci", "Abuja", "."], [Span(0, 2, "PER")], "hau"),
        Sentence(["Hukumar", "INEC", "ta", "sanar", "."], [Span(0, 2, "ORG")], "hau"),
    ] * 5
    write_conll(gold, tmp_path / "data" / "masakhaner2" / "hau" / "test.txt")
    args = [
        "run",
        "--dataset",
        "masakhaner2",
        "--langs",
        "hau",
        "--data-dir",
        str(tmp_path / "data"),
    ]
    args += ["--methods", "model-transfer,heuristic,ner:exact+bt", "--chunk-size", "3"]
    args += ["--translator", f"hf:{tiny['nllb']}", "--tagger", f"hf:{tiny['tagger']}"]
    args += ["--aligner", f"simalign:{tiny['xlmr']}", "--layer", "2", "--device", "cpu"]
    args += ["--translation-cache", str(tmp_path / "t.sqlite")]
    local, on_ray = _both(args, tmp_path)
    assert local == on_ray and len(local) == 6


@needs_offline
def test_offline_preset_on_ray_equals_local(ray_env: dict[str, str], tmp_path: Path) -> None:
    """200 Spanish sentences, every kind of step (eflomal: the corpus-level pass)."""
    args = ["run", "--dataset", "conll02-es", "--limit", "200", "--chunk-size", "64"]
    args += ["--methods", "model-transfer,heuristic,ngram,ner,heuristic+bt", "--aligner", "eflomal"]
    local, on_ray = _both(args, tmp_path)
    assert local == on_ray
    assert (
        local["results.csv"].splitlines()[0]
        == "lang,data,model-transfer,heuristic,ngram,ner,heuristic+bt"
    )


def test_actor_killed_mid_run_is_retried(ray_env: dict[str, str], tmp_path: Path) -> None:
    """The translator's process dies once on the chunk holding 'Abuja'; Ray restarts the actor
    and retries the chunk: same results as the local run, nothing lost or counted twice."""
    gold = [
        Sentence(["Bola", "Tinubu", "ya", "ziyarci", f"Gari{i}", "."], [Span(0, 2, "PER")], "hau")
        for i in range(20)
    ]
    gold[13] = Sentence(["Ya", "tafi", "Abuja", "."], [Span(2, 3, "LOC")], "hau")
    write_conll(gold, tmp_path / "data" / "masakhaner2" / "hau" / "test.txt")
    args = [
        "run",
        "--dataset",
        "masakhaner2",
        "--langs",
        "hau",
        "--data-dir",
        str(tmp_path / "data"),
    ]
    args += ["--methods", "model-transfer,ngram", "--chunk-size", "4", "--tagger", "caps"]
    args += ["--translator", "crash-once:Abuja", "--aligner", "diag"]
    args += ["--translation-cache", str(tmp_path / "t.sqlite")]
    marker = Path(ray_env["XLNER_CRASH_DIR"]) / "crashed"
    assert main([*args, "--out", str(tmp_path / "ray"), "--quiet", "--executor", "ray"]) == 0
    assert marker.is_file()  # the actor did die
    assert main([*args, "--out", str(tmp_path / "local"), "--quiet"]) == 0
    assert _outputs(tmp_path / "local") == _outputs(tmp_path / "ray")
    unit = json.loads((tmp_path / "ray" / "scores" / "hau" / "ngram.json").read_text())
    assert unit["n_sentences"] == 20 and unit["scores"]["n_sentences"] == 20


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@needs_offline
def test_two_node_cluster(plugin: Path, tmp_path: Path) -> None:
    """`ray start --head` plus a second raylet with its own resources; `xlner run --executor
    ray --address` against it gives the local results; both raylets are stopped."""
    if ray.is_initialized():
        ray.shutdown()
    ray_bin = str(Path(sys.executable).parent / "ray")
    port = _free_port()
    # a throw-away cluster on loopback: no auth token to distribute between the raylets
    env = {**os.environ, "RAY_AUTH_MODE": "disabled"}
    head = [
        ray_bin,
        "start",
        "--head",
        f"--port={port}",
        "--num-cpus=1",
        "--include-dashboard=false",
    ]
    second = [ray_bin, "start", f"--address=127.0.0.1:{port}", "--num-cpus=1"]
    second += ['--resources={"second_node": 1}']
    try:
        subprocess.run(head, check=True, capture_output=True, env=env, timeout=120)
        subprocess.run(second, check=True, capture_output=True, env=env, timeout=120)
        for _ in range(60):  # the autoscaler's view lags the raylets by a few seconds
            status = subprocess.run(
                [ray_bin, "status", f"--address=127.0.0.1:{port}"],
                capture_output=True,
                text=True,
                env=env,
                timeout=60,
            )
            if "second_node" in status.stdout:
                break
            time.sleep(1)
        assert "second_node" in status.stdout
        args = [
            sys.executable,
            "-m",
            "xlner.cli",
            "run",
            "--dataset",
            "conll02-es",
            "--limit",
            "120",
        ]
        args += ["--methods", "model-transfer,heuristic,ngram", "--chunk-size", "40", "--quiet"]
        ray_run = [*args, "--out", str(tmp_path / "ray"), "--executor", "ray"]
        ray_run += ["--address", f"127.0.0.1:{port}", "--ray-workers", "2"]
        ray_run += ["--ray-stage", "tagger:second_node=0.5"]  # the taggers on the second raylet
        proc = subprocess.run(ray_run, capture_output=True, text=True, env=env, timeout=900)
        assert proc.returncode == 0, proc.stderr[-2000:]
        proc = subprocess.run(
            [*args, "--out", str(tmp_path / "local")],
            capture_output=True,
            text=True,
            env=env,
            timeout=900,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert _outputs(tmp_path / "local") == _outputs(tmp_path / "ray")
    finally:
        subprocess.run([ray_bin, "stop", "--force"], capture_output=True, env=env, timeout=120)
