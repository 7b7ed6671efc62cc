"""Scale measurements (``xlner bench scale``): memory against corpus size, the Ray executor
against the local one, and time against the number of languages.

* **memory** — peak RSS of ``xlner project-train`` (offline preset by default) on corpora of
  several sizes (English CoNLL-03 train repeated), each in a fresh child process; the xlner
  process's own peak and its children's (Apertium, eflomal: the corpus-level aligner holds
  the corpus by design) are reported apart.
* **executors** — ``xlner run`` on a dataset with ``--executor local`` and with ``--executor
  ray`` at 1 and 2 workers per pool, each a fresh child process with empty caches: the wall
  time a user sees, with Ray's start-up measured on its own (against a cluster started with
  ``ray start`` beforehand, start-up is not paid per run).
* **languages** — 1 → N "languages" (copies of one corpus, as the offline translator covers
  one pair) through one executor call, local and on Ray.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from xlner.bench.experiments import fit_line, peak_rss_mb
from xlner.errors import XlnerError


@dataclass
class ScaleConfig:
    out: Path
    preset: str = "offline"
    memory_sentences: list[int] = field(default_factory=lambda: [10_000, 100_000])
    projection: str = "heuristic"
    tgt_lang: str = "es"
    dataset: str = "conll02-es"
    methods: str = "model-transfer,heuristic,ngram,ner"
    executors: list[str] = field(default_factory=lambda: ["local", "ray:1", "ray:2"])
    chunk_size: int = 250
    scaling_langs: list[int] = field(default_factory=lambda: [1, 2, 4, 8, 16])
    scaling_sentences_per_lang: int = 100
    data_dir: str | None = None


# --------------------------------------------------------------------------- memory


def repeated_corpus(n: int, folder: Path, data_dir: str | None) -> Path:
    """A data folder whose ``conll03-en/train.txt`` is CoNLL-03 train repeated to ``n``
    sentences (written streaming)."""
    from xlner.datasets import dataset_reader
    from xlner.io.conll import conll_lines

    path = folder / "conll03-en" / "train.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    read = dataset_reader("conll03-en", None, "train", data_dir)
    written = 0
    with path.open("w", encoding="utf-8") as fh:
        while written < n:
            for s in read():
                fh.write("\n".join(conll_lines(s)) + "\n\n")
                written += 1
                if written == n:
                    break
    return folder


def child_silver(args: Sequence[str]) -> dict[str, Any]:
    """In a child process: make silver data from the corpus in ``args[0]`` (data folder) with
    projection ``args[1]`` into ``args[2]`` (language), preset ``args[3]``; work in ``args[4]``."""
    from xlner.methods import Method
    from xlner.stages import StageConfig
    from xlner.tagging import RunOptions, SilverConfig, make_silver

    data, projection, lang, preset, work = args
    start = time.perf_counter()
    cfg = SilverConfig(
        tgt_lang=lang,
        output=Path(work) / "silver.conll",
        method=Method.parse(projection),
        data_dir=data,
        stages=StageConfig(preset=preset, translation_cache=Path(work) / "t.sqlite"),
        run=RunOptions(memo=Path(work) / "memo"),
    )
    sink = make_silver(cfg)
    return {
        "sentences": sink.sentences,
        "seconds": time.perf_counter() - start,
        "peak_rss_mb": peak_rss_mb(),
        "children_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


def memory(cfg: ScaleConfig) -> dict[str, Any]:
    rows = []
    for n in cfg.memory_sentences:
        with tempfile.TemporaryDirectory(prefix="xlner-mem-") as tmp:
            data = repeated_corpus(n, Path(tmp) / "data", cfg.data_dir)
            work = Path(tmp) / "work"
            work.mkdir()
            env = {**os.environ, "XLNER_CACHE": str(Path(tmp) / "cache")}
            cmd = [sys.executable, "-m", "xlner.bench.scale", "child-silver", str(data)]
            cmd += [cfg.projection, cfg.tgt_lang, cfg.preset, str(work)]
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
            if proc.returncode != 0:
                raise XlnerError(f"project-train on {n} sentences failed: {proc.stderr[-500:]}")
            rows.append({"corpus_sentences": n, **json.loads(proc.stdout.splitlines()[-1])})
    first, last = rows[0], rows[-1]
    return {
        "rows": rows,
        "rss_ratio": last["peak_rss_mb"] / first["peak_rss_mb"],
        "command": "xlner project-train --preset "
        f"{cfg.preset} --projection {cfg.projection} --tgt-lang {cfg.tgt_lang}",
    }


# --------------------------------------------------------------------------- executors


def _run_cli(args: list[str], tmp: Path) -> float:
    env = {**os.environ, "XLNER_CACHE": str(tmp / "cache")}
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "xlner.cli", *args], capture_output=True, text=True, env=env
    )
    if proc.returncode != 0:
        raise XlnerError(f"xlner {' '.join(args[:3])} failed: {proc.stderr[-800:]}")
    return time.perf_counter() - start


def executors(cfg: ScaleConfig) -> dict[str, Any]:
    """Wall time of the same ``xlner run`` per executor (fresh caches each time)."""
    rows: list[dict[str, Any]] = []
    for spec in cfg.executors:
        name, _, workers = spec.partition(":")
        with tempfile.TemporaryDirectory(prefix="xlner-exec-") as tmp:
            args = [
                "run",
                "--dataset",
                cfg.dataset,
                "--methods",
                cfg.methods,
                "--preset",
                cfg.preset,
            ]
            args += [
                "--out",
                str(Path(tmp) / "run"),
                "--quiet",
                "--chunk-size",
                str(cfg.chunk_size),
            ]
            args += ["--translation-cache", str(Path(tmp) / "t.sqlite")]
            if cfg.data_dir:
                args += ["--data-dir", cfg.data_dir]
            if name == "ray":
                args += ["--executor", "ray", "--ray-workers", workers or "1"]
            seconds = _run_cli(args, Path(tmp))
            results = (Path(tmp) / "run" / "results.csv").read_text(encoding="utf-8")
        rows.append({"executor": spec, "seconds": seconds, "results_csv": results})
    local = next((r for r in rows if r["executor"] == "local"), None)
    out: dict[str, Any] = {"rows": rows}
    if local is not None:
        for r in rows:
            r["vs_local"] = r["seconds"] / local["seconds"]
            r["same_results"] = r["results_csv"] == local["results_csv"]
    out["ray_startup_seconds"] = ray_startup()
    return out


def ray_startup() -> float | None:
    """Seconds to start (and stop) a local Ray instance in a fresh process."""
    code = (
        "import time,ray;t=time.perf_counter();ray.init(address='local',include_dashboard=False,"
        "logging_level='ERROR');print(time.perf_counter()-t);ray.shutdown()"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if proc.returncode != 0:
        return None
    return float(proc.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- languages


def languages(cfg: ScaleConfig) -> dict[str, Any]:
    """1 -> N copies of the first sentences of ``cfg.dataset`` through one executor call."""
    from xlner.bench.experiments import TimingSink
    from xlner.datasets import get_dataset, load_dataset
    from xlner.execute import Source, execute
    from xlner.execute.ray_options import RayOptions
    from xlner.memo import StageMemo
    from xlner.methods import parse_methods
    from xlner.stages import StageConfig, Stages
    from xlner.steps import Context, Plan

    spec = get_dataset(cfg.dataset)
    lang = spec.languages[0]
    k = cfg.scaling_sentences_per_lang
    sents = load_dataset(cfg.dataset, lang, "test", cfg.data_dir)[:k]
    plan = Plan(tuple(parse_methods(cfg.methods)))
    out: dict[str, Any] = {}
    for executor in ("local", "ray"):
        rows = []
        if executor == "ray":  # one instance for the whole curve: start-up is not per point
            import ray

            ray.init(address="local", include_dashboard=False, logging_level=logging.ERROR)
        for n in cfg.scaling_langs:
            with tempfile.TemporaryDirectory(prefix="xlner-langs-") as tmp:
                stages = Stages(
                    StageConfig(preset=cfg.preset, translation_cache=Path(tmp) / "t.sqlite")
                )
                sources = [Source.of(lang, sents) for _ in range(n)]
                start = time.perf_counter()
                execute(
                    sources,
                    plan,
                    stages,
                    Context(StageMemo(Path(tmp) / "memo")),
                    TimingSink(),
                    executor=executor,
                    chunk_size=cfg.chunk_size,
                    ray_options=RayOptions() if executor == "ray" else None,
                )
                rows.append(
                    {"languages": n, "sentences": n * k, "seconds": time.perf_counter() - start}
                )
        if executor == "ray":
            ray.shutdown()
        out[executor] = {
            "rows": rows,
            "fit": fit_line([r["languages"] for r in rows], [r["seconds"] for r in rows]),
        }
    return out


def run_scale_bench(cfg: ScaleConfig, parts: Sequence[str]) -> dict[str, Any]:
    result: dict[str, Any] = {
        "config": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(cfg).items()}
    }
    if shutil.which("apertium") is None and cfg.preset == "offline":
        raise XlnerError(
            "the offline preset needs Apertium: apt-get install apertium apertium-eng-spa"
        )
    if "memory" in parts:
        result["memory"] = memory(cfg)
    if "executors" in parts:
        result["executors"] = executors(cfg)
    if "languages" in parts:
        result["languages"] = languages(cfg)
    return result


def format_markdown(r: dict[str, Any]) -> str:
    lines: list[str] = []
    if "memory" in r:
        m = r["memory"]
        lines += ["| corpus sentences | seconds | peak RSS (MB) | children's peak RSS (MB) |"]
        lines += ["|---:|---:|---:|---:|"]
        for row in m["rows"]:
            lines.append(
                f"| {row['corpus_sentences']:,} | {row['seconds']:.0f} | {row['peak_rss_mb']:.0f} "
                f"| {row['children_peak_rss_mb']:.0f} |"
            )
        lines += [f"Peak RSS ratio (largest / smallest corpus): {m['rss_ratio']:.2f}", ""]
    if "executors" in r:
        e = r["executors"]
        lines += ["| executor | seconds | × local | same results |", "|---|---:|---:|---|"]
        for row in e["rows"]:
            lines.append(
                f"| {row['executor']} | {row['seconds']:.1f} | {row.get('vs_local', 0):.2f} | "
                f"{row.get('same_results', '')} |"
            )
        if e.get("ray_startup_seconds") is not None:
            lines.append(f"Ray start-up (a local instance): {e['ray_startup_seconds']:.1f} s")
        lines.append("")
    if "languages" in r:
        lines += ["| languages | local (s) | ray (s) |", "|---:|---:|---:|"]
        loc, ray_rows = r["languages"]["local"]["rows"], r["languages"]["ray"]["rows"]
        for a, b in zip(loc, ray_rows):
            lines.append(f"| {a['languages']} | {a['seconds']:.1f} | {b['seconds']:.1f} |")
        for name in ("local", "ray"):
            f = r["languages"][name]["fit"]
            slope, icpt, r2 = f["slope"], f["intercept"], f["r2"]
            lines.append(f"{name}: {slope:.2f} s per language + {icpt:.2f} s (R² {r2:.3f})")
    return "\n".join(lines) + "\n"


def write_plot(r: dict[str, Any], out: Path) -> Path | None:
    if "languages" not in r:
        return None
    from xlner.plots import pyplot, save

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5, 4))
    for name in ("local", "ray"):
        rows = r["languages"][name]["rows"]
        ax.plot([x["languages"] for x in rows], [x["seconds"] for x in rows], "o-", label=name)
    ax.set_xlabel("languages")
    ax.set_ylabel("seconds")
    ax.set_title("translate-test time vs languages")
    ax.legend()
    fig.tight_layout()
    return save(fig, out / "languages-executors.png")


if __name__ == "__main__":  # child entry points of the measurements above
    if sys.argv[1] == "child-silver":
        print(json.dumps(child_silver(sys.argv[2:])))
