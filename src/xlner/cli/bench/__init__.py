"""``xlner bench``: one module per benchmark, its options next to its handler."""

from __future__ import annotations

from typing import Any

from xlner.cli._common import add_command
from xlner.cli.bench import (
    apertium,
    batching,
    encoders,
    europarl,
    pipeline,
    projection,
    scale,
    serve,
    translation,
)


def register(sub: Any) -> None:
    bench = add_command(
        sub,
        "bench",
        lambda a: (a.bench_parser.print_help(), 0)[1],
        "benchmarks: projection, pipeline cost and cost model, scale, encoders, translation, "
        "apertium, batching, serving, europarl (aligner study)",
    )
    bench.set_defaults(bench_parser=bench)
    bsub = bench.add_subparsers(dest="bench_command", metavar="BENCH")
    for module in (
        projection,
        pipeline,
        scale,
        encoders,
        translation,
        apertium,
        batching,
        serve,
        europarl,
    ):
        module.register(bsub)
