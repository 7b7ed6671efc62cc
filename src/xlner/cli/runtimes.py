"""``xlner runtimes``: what ``--runtime auto`` chose on this machine, and why; measure again."""

from __future__ import annotations

import argparse
import json
from typing import Any

from xlner.cli._common import add_command

TASKS = {"aligner": "hidden", "tagger": "logits"}


def register(sub: Any) -> None:
    sp = add_command(
        sub,
        "runtimes",
        main,
        "list the runtimes `--runtime auto` chose on this machine (measured), or measure again",
        "The first time an encoder runs with --runtime auto on a device, xlner times every "
        "runtime it can use (PyTorch fp32/bf16, CTranslate2 fp32/int8, ONNX Runtime fp32/int8) "
        "on a small calibration set, checks each against fp32 (aligners: gold AER within 0.005 "
        "and the same projected entities on >= 99%% of sentences; taggers: entity F1 within 0.3) "
        "and keeps the fastest that passes. `xlner runtimes` lists those choices with the "
        "timings and checks behind them; `xlner runtimes measure MODEL` measures again "
        "(e.g. after changing the machine's load or threads).",
    )
    sp.add_argument(
        "action",
        nargs="?",
        choices=("list", "measure", "clear"),
        default="list",
        help="list the cached choices (default); measure MODEL again; clear the cache",
    )
    sp.add_argument("model", nargs="?", help="measure: the model (hub name, folder or e5-small)")
    sp.add_argument(
        "--as",
        dest="task",
        choices=tuple(TASKS),
        default="aligner",
        help="measure: the model as an aligner (hidden states of --layer) or as a tagger",
    )
    sp.add_argument("--layer", type=int, default=6, help="measure: the aligner's layer")
    sp.add_argument("--device", default="cpu", help="measure: cpu, cuda, cuda:1 ...")
    sp.add_argument("--format", choices=("text", "json"), default="text")


def main(args: argparse.Namespace) -> int:
    from xlner.errors import XlnerError
    from xlner.models.autoruntime import ChoiceStore, chosen_runtime

    store = ChoiceStore()
    if args.action == "clear":
        store.path.unlink(missing_ok=True)
        print(f"removed {store.path}")
        return 0
    if args.action == "measure":
        if not args.model:
            raise XlnerError("xlner runtimes measure needs a MODEL, e.g. e5-small")
        from xlner.models.loading import pick_device
        from xlner.models.runtime import load_config

        task = TASKS[args.task]
        family = load_config(args.model).model_type
        layer = args.layer if task == "hidden" else None
        device = pick_device(args.device)
        choices = [chosen_runtime(task, args.model, device, layer, family, force=True)]  # type: ignore[arg-type]
    else:
        choices = list(store.load().values())
    if args.format == "json":
        print(json.dumps([c.to_dict() for c in choices], indent=1))
        return 0
    if not choices:
        print(f"no runtime measured yet ({store.path}); `--runtime auto` measures on first use")
        return 0
    for c in choices:
        print(render(c))
    print(f"cache: {store.path}")
    return 0


def render(c: Any) -> str:
    """One choice as a short table: every runtime's time, speed-up and checks."""
    what = f"aligner, layer {c.layer}" if c.task == "hidden" else "tagger"
    lines = [
        f"{c.model} ({what}) on {c.device}: {c.runtime}",
        f"  measured {c.measured_at} on calibration {c.calibration}",
        "  | runtime | seconds | x fp32 | checks | quality |",
        "  |---|---:|---:|---|---|",
    ]
    ref = c.trials[0].seconds or 0.0
    for t in c.trials:
        speed = f"{ref / t.seconds:.2f}" if t.seconds else "–"
        secs = f"{t.seconds:.3f}" if t.seconds is not None else "–"
        quality = ", ".join(f"{k} {v}" for k, v in t.quality.items())
        mark = " **chosen**" if t.runtime == c.runtime else ""
        lines.append(f"  | {t.runtime}{mark} | {secs} | {speed} | {t.why} | {quality} |")
    return "\n".join(lines)
