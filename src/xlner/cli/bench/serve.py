"""``xlner bench serve``: latency under open-loop load against `xlner serve`."""

from __future__ import annotations

import argparse
import json
import shlex
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
        "serve",
        help="latency under load of `xlner serve`: p50/p95/p99, throughput, errors per rate",
        description="An open-loop load generator (Poisson arrivals, seeded) at increasing rates "
        "per method, against a running server (--url) or against servers started here on "
        "127.0.0.1, one per --max-batches value. Each request is one dataset sentence, never "
        "repeated. Reports p50/p95/p99 latency, throughput, answers by status (checked against "
        "the server's /metrics), the highest rate with p95 under --slo, and the batch "
        "throughput of the same methods and stages; writes bench-serve.json, bench-serve.md "
        "and bench-serve.png to --out.",
        formatter_class=HelpFormatter,
    )
    sp.set_defaults(func=main)
    sp.add_argument("--out", default="runs/bench-serve", help="output folder")
    sp.add_argument("--url", help="a running server, e.g. http://127.0.0.1:8000")
    sp.add_argument(
        "--serve-args",
        default="--methods heuristic --langs es",
        help="without --url: the options of the `xlner serve` started here",
    )
    sp.add_argument(
        "--max-batches", default="1,32", help="without --url: one server per max batch size"
    )
    sp.add_argument("--methods", help="methods to load (default: every method served)")
    sp.add_argument("--lang", default="es")
    sp.add_argument("--dataset", default="conll02-es")
    sp.add_argument("--split", default="train", help="sentences sent (each once)")
    data_dir_option(sp)
    sp.add_argument(
        "--rates",
        default="auto",
        help="requests per second, in turn; auto: 0.1, 0.25, 0.5, 0.7, 0.85, 1, 1.25 x the "
        "method's batch throughput",
    )
    sp.add_argument("--duration", type=float, default=10.0, help="seconds of arrivals per rate")
    sp.add_argument("--slo", type=float, default=2.0, help="p95 latency objective (seconds)")
    sp.add_argument("--timeout", type=float, default=60.0, help="per request (seconds)")
    sp.add_argument("--seed", type=int, default=0)
    sp.add_argument("--max-requests", type=int, default=2000, help="per rate, at most")
    sp.add_argument(
        "--refine",
        type=int,
        default=2,
        help="bisections between the highest sustained rate and the next rate tried",
    )
    sp.add_argument(
        "--reference-sentences",
        type=int,
        default=128,
        help="sentences of the batch-throughput reference, a seeded random sample of the "
        "split (0: none)",
    )
    sp.add_argument("--no-plots", action="store_true")
    format_option(sp)


def main(args: argparse.Namespace) -> int:
    from xlner.bench.serve import LoadConfig
    from xlner.bench.serve_report import format_markdown, write_plot
    from xlner.bench.serving import ServeBenchConfig, run_serve_bench
    from xlner.errors import XlnerError
    from xlner.io.atomic import atomic_write_text, check_writable

    check_writable(args.out, folder=True)
    if args.url and not args.url.startswith(("http://127.0.0.1", "http://localhost")):
        raise XlnerError("--url: this benchmark only loads a server on this machine (127.0.0.1)")
    try:
        rates = None if args.rates == "auto" else [float(x) for x in names(args.rates)]
    except ValueError:
        raise XlnerError(f"--rates: expected numbers or auto, got {args.rates!r}") from None
    cfg = ServeBenchConfig(
        out=Path(args.out),
        url=args.url.rstrip("/") if args.url else None,
        serve_args=shlex.split(args.serve_args),
        max_batches=ints(args.max_batches),
        methods=names(args.methods) if args.methods else None,
        lang=args.lang,
        dataset=args.dataset,
        split=args.split,
        data_dir=args.data_dir,
        reference_sentences=args.reference_sentences,
        rates=rates,
        load=LoadConfig(
            duration=args.duration,
            slo=args.slo,
            timeout=args.timeout,
            seed=args.seed,
            max_requests=args.max_requests,
            refine=args.refine,
        ),
        plots=not args.no_plots,
        command=getattr(args, "command_line", ""),
    )
    out = Path(args.out)
    with report_written(out):
        result = run_serve_bench(cfg)
        atomic_write_text(out / "bench-serve.json", json.dumps(result, indent=1, default=float))
        text = format_markdown(result)
        atomic_write_text(out / "bench-serve.md", text)
        if cfg.plots:
            write_plot(result, out / "bench-serve.png")
    print(json.dumps(result, indent=1, default=float) if args.format == "json" else text)
    return 0
