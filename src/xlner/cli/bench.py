"""``xlner bench``: projection throughput, pipeline cost per stage, alignment quality."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from xlner.cli._common import HelpFormatter, add_command, ints, stage_config, stage_options


def register(sub: Any) -> None:
    bench = add_command(
        sub,
        "bench",
        lambda a: (a.bench_parser.print_help(), 0)[1],
        "benchmarks: projection throughput; pipeline cost per stage; alignment quality",
    )
    bench.set_defaults(bench_parser=bench)
    bsub = bench.add_subparsers(dest="bench_command", metavar="BENCH")

    sp = bsub.add_parser(
        "projection",
        help="projection methods on synthetic sentence pairs",
        description="Sentences/s of every projection method on 10,000 "
        "MasakhaNER-like synthetic pairs (~25 words, 2 entities) and on long "
        "pairs (100 words, 5 entities, dense alignments), and the speed-up over "
        "the naive dense reference.",
        formatter_class=HelpFormatter,
    )
    sp.set_defaults(func=projection)
    sp.add_argument("--sentences", type=int, default=10_000, help="MasakhaNER-like pairs")
    sp.add_argument("--long-sentences", type=int, default=1_000, help="long pairs")
    sp.add_argument(
        "--naive-sentences",
        type=int,
        default=5,
        help="long pairs timed with the naive reference (slow)",
    )
    sp.add_argument("--seed", type=int, default=0)
    sp.add_argument("--format", choices=("markdown", "json"), default="markdown")

    sp = bsub.add_parser(
        "pipeline",
        help="cost per stage of model transfer vs every translate-test variant",
        description="Time every stage (translate, tag, align, project, back-translate) of model "
        "transfer and translate-test (heuristic/ngram/ner, with and without back-translation) "
        "on real or synthetic sentences, through the same executor as `xlner run`; scaling "
        "with languages and sentences; translation backends and batch sizes; cached re-run. "
        "Writes bench.json, bench.md and PNG plots to --out.",
        formatter_class=HelpFormatter,
    )
    sp.set_defaults(func=pipeline)
    sp.add_argument("--out", default="runs/bench", help="output folder")
    sp.add_argument(
        "--arch-only",
        action="store_true",
        help="random weights in the reference architectures (NLLB, XLM-R-large, "
        "mBERT), generated length = source length",
    )
    sp.add_argument(
        "--translator-arch",
        default="nllb-200-distilled-600M",
        choices=("nllb-200-distilled-600M", "nllb-200-1.3B", "nllb-200-3.3B"),
    )
    sp.add_argument("--dataset", default="masakhaner2")
    sp.add_argument(
        "--synthetic",
        action="store_true",
        help="synthetic sentences of MasakhaNER-like length instead of a dataset",
    )
    sp.add_argument("--langs", default="hau")
    sp.add_argument("--split", default="test")
    sp.add_argument("--data-dir", default=None)
    sp.add_argument("--methods", default="model-transfer,heuristic,ngram,ner", help="methods timed")
    sp.add_argument("--sentences", type=int, default=32, help="sentences per language")
    sp.add_argument("--scaling-langs", default="1,2,4,8,16")
    sp.add_argument("--scaling-sentences-per-lang", type=int, default=4)
    sp.add_argument("--growth-sentences", default="8,16,32")
    sp.add_argument("--batch-sizes", default="", help="translation batch sizes to sweep")
    sp.add_argument(
        "--ct2",
        action="store_true",
        help="also convert the translator to CTranslate2 int8 and compare",
    )
    sp.add_argument("--no-backtranslation", action="store_true")
    sp.add_argument(
        "--usd-per-hour",
        type=float,
        default=0.0,
        help="machine price, for a $ per million sentences column",
    )
    sp.add_argument("--no-plots", action="store_true")
    sp.add_argument("--format", choices=("markdown", "json"), default="markdown")
    stage_options(sp)

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
    sp.add_argument("--data-dir", default=None)
    sp.add_argument("--format", choices=("markdown", "json"), default="markdown")

    sp = bsub.add_parser(
        "alignment",
        help="alignment precision/recall/AER per layer and method",
        description="Align xlner's hand-checked gold pairs (en-es, en-sw, en-de) "
        "with an encoder at several layers and every extraction method.",
        formatter_class=HelpFormatter,
    )
    sp.set_defaults(func=alignment)
    sp.add_argument("--model", default="e5-small", help="encoder: hub name, path or e5-small")
    sp.add_argument("--layers", default="4,6,8,10,12")
    sp.add_argument("--methods", default="argmax,itermax,match,awesome")
    sp.add_argument("--langs", default=None, help="es,sw,de (default: all)")
    sp.add_argument("--device", default="cpu")
    sp.add_argument("--format", choices=("markdown", "json"), default="markdown")


def projection(args: argparse.Namespace) -> int:
    from xlner.bench.projection import format_markdown, run_projection_bench

    result = run_projection_bench(
        args.sentences, args.long_sentences, args.naive_sentences, args.seed
    )
    print(json.dumps(result, indent=2) if args.format == "json" else format_markdown(result))
    return 0


def pipeline(args: argparse.Namespace) -> int:
    from xlner.bench.pipeline import BenchConfig, run_pipeline_bench
    from xlner.bench.report import format_markdown
    from xlner.io.atomic import check_writable

    check_writable(args.out, folder=True)
    cfg = BenchConfig(
        out=Path(args.out),
        stages=stage_config(args),
        methods=args.methods,
        arch_only=args.arch_only,
        translator_arch=args.translator_arch,
        dataset=None if args.synthetic else args.dataset,
        langs=[x for x in args.langs.split(",") if x],
        split=args.split,
        data_dir=args.data_dir,
        sentences=args.sentences,
        scaling_langs=ints(args.scaling_langs),
        scaling_sentences_per_lang=args.scaling_sentences_per_lang,
        growth_sentences=ints(args.growth_sentences),
        batch_sizes=ints(args.batch_sizes),
        ct2=args.ct2,
        with_backtranslation=not args.no_backtranslation,
        usd_per_hour=args.usd_per_hour,
        device=args.device,
        plots=not args.no_plots,
    )
    result = run_pipeline_bench(cfg)
    print(
        json.dumps(result, indent=1, default=float)
        if args.format == "json"
        else format_markdown(result)
    )
    return 0


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
        executors=[x for x in args.executors.split(",") if x],
        chunk_size=args.chunk_size,
        scaling_langs=ints(args.scaling_langs),
        scaling_sentences_per_lang=args.scaling_sentences_per_lang,
        data_dir=args.data_dir,
    )
    result = run_scale_bench(cfg, [x for x in args.parts.split(",") if x])
    atomic_write_text(cfg.out / "scale.json", json.dumps(result, indent=1))
    atomic_write_text(cfg.out / "scale.md", format_markdown(result))
    write_plot(result, cfg.out)
    print(json.dumps(result, indent=1) if args.format == "json" else format_markdown(result))
    return 0


def alignment(args: argparse.Namespace) -> int:
    from xlner.bench.alignment import format_markdown, sweep

    layers = ints(args.layers)
    methods = [x for x in args.methods.split(",") if x]
    langs = [x for x in args.langs.split(",") if x] if args.langs else None
    rows = sweep(args.model, layers, methods, langs, args.device)
    print(json.dumps(rows, indent=2) if args.format == "json" else format_markdown(rows))
    return 0
