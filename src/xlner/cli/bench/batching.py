"""``xlner bench batching``: where to cut length-sorted rows into batches."""

from __future__ import annotations

import argparse
from typing import Any

from xlner.cli._common import HelpFormatter, data_dir_option, emit, format_option, ints, json_option


def register(bsub: Any) -> None:
    sp = bsub.add_parser(
        "batching",
        help="greedy vs cheapest cut of length-sorted rows into batches, per batch cost",
        description="Tag each language's first sentences with the greedy cut (each batch "
        "filled up to the token budget) and with the cheapest cut for each per-batch cost "
        "(padded tokens + COST per batch), side by side: seconds (fastest of --repeats, "
        "interleaved), padded over real tokens, batches, and sentences whose entities differ "
        "from the greedy cut's.",
        formatter_class=HelpFormatter,
    )
    sp.set_defaults(func=batching)
    sp.add_argument("--model", default="e5-small-ner-en", help="tagger (path or name)")
    sp.add_argument("--runtime", default="auto", help="encoder runtime")
    sp.add_argument("--datasets", default="conll02-es,panx:eu,uner:hr", help="DATASET[:LANG],...")
    sp.add_argument("--split", default="auto", help="split of each dataset (auto: test, else dev)")
    sp.add_argument("--sizes", default="20,100,800", help="sentences per call")
    sp.add_argument("--costs", default="0,16,64,256", help="per-batch costs in tokens")
    sp.add_argument("--repeats", type=int, default=3)
    json_option(sp)
    data_dir_option(sp)
    format_option(sp)


def batching(args: argparse.Namespace) -> int:
    from xlner.bench.batching import format_batching, run_batching, to_dict

    rows = run_batching(
        args.model,
        args.datasets,
        ints(args.sizes),
        [None, *ints(args.costs)],
        args.repeats,
        args.runtime,
        args.split,
        args.data_dir,
    )
    result = to_dict(rows, args.model, args.repeats)
    emit(args, result, format_batching(rows))
    return 0
