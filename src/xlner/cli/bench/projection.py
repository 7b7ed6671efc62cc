"""``xlner bench projection``: projection methods on synthetic sentence pairs."""

from __future__ import annotations

import argparse
import json
from typing import Any

from xlner.cli._common import HelpFormatter, format_option


def register(bsub: Any) -> None:
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
    format_option(sp)


def projection(args: argparse.Namespace) -> int:
    from xlner.bench.projection import format_markdown, run_projection_bench

    result = run_projection_bench(
        args.sentences, args.long_sentences, args.naive_sentences, args.seed
    )
    print(json.dumps(result, indent=2) if args.format == "json" else format_markdown(result))
    return 0
