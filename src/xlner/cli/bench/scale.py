"""``xlner bench scale``: memory vs corpus size, local vs Ray, time vs languages."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from xlner.cli._common import (
    HelpFormatter,
    data_dir_option,
    format_option,
    ints,
    names,
    report_written,
)


def register(bsub: Any) -> None:
    sp = bsub.add_parser(
        "scale",
        help="memory vs corpus size; Ray vs local; time vs languages",
        description="Peak RSS of `xlner project-train` on corpora of growing size (English "
        "CoNLL-03 train repeated), `xlner run` with the local executor and with Ray at 1 and "
        "2 workers per pool (wall time, same results), and time vs number of languages under "
        "both executors. Writes scale.json, scale.md and a PNG to --out.",
        formatter_class=HelpFormatter,
    )
    sp.set_defaults(func=scale)
    sp.add_argument("--out", default="runs/bench-scale", help="output folder")
    sp.add_argument("--parts", default="memory,executors,languages", help="what to measure")
    sp.add_argument("--preset", default="offline")
    sp.add_argument("--memory-sentences", default="10000,100000", help="corpus sizes")
    sp.add_argument("--projection", default="heuristic", help="project-train projection")
    sp.add_argument("--tgt-lang", default="es", help="project-train target language")
    sp.add_argument("--dataset", default="conll02-es", help="dataset of the executor runs")
    sp.add_argument("--methods", default="model-transfer,heuristic,ngram,ner")
    sp.add_argument("--executors", default="local,ray:1,ray:2", help="local, ray:WORKERS")
    sp.add_argument("--chunk-size", type=int, default=250)
    sp.add_argument("--scaling-langs", default="1,2,4,8,16")
    sp.add_argument("--scaling-sentences-per-lang", type=int, default=100)
    data_dir_option(sp)
    format_option(sp)


def scale(args: argparse.Namespace) -> int:
    from xlner.bench.scale import ScaleConfig, format_markdown, run_scale_bench, write_plot
    from xlner.io.atomic import atomic_write_text, check_writable

    check_writable(args.out, folder=True)
    cfg = ScaleConfig(
        out=Path(args.out),
        preset=args.preset,
        memory_sentences=ints(args.memory_sentences),
        projection=args.projection,
        tgt_lang=args.tgt_lang,
        dataset=args.dataset,
        methods=args.methods,
        executors=names(args.executors),
        chunk_size=args.chunk_size,
        scaling_langs=ints(args.scaling_langs),
        scaling_sentences_per_lang=args.scaling_sentences_per_lang,
        data_dir=args.data_dir,
    )
    with report_written(cfg.out):
        result = run_scale_bench(cfg, names(args.parts))
        atomic_write_text(cfg.out / "scale.json", json.dumps(result, indent=1))
        atomic_write_text(cfg.out / "scale.md", format_markdown(result))
        write_plot(result, cfg.out)
    print(json.dumps(result, indent=1) if args.format == "json" else format_markdown(result))
    return 0
