"""``xlner bench apertium``: Apertium kept running vs one process per call."""

from __future__ import annotations

import argparse
from typing import Any

from xlner.cli._common import HelpFormatter, data_dir_option, emit, format_option, ints, json_option


def register(bsub: Any) -> None:
    sp = bsub.add_parser(
        "apertium",
        help="Apertium kept running vs one process per call, per pair and call size",
        description="Translate each language's sentences into English (and back with --back) "
        "with Apertium's programs kept running (the default) and with one `apertium -u` "
        "process per call, for each number of sentences per call: milliseconds per sentence "
        "side by side (fastest of --repeats, interleaved), and how many sentences each way "
        "translates unlike the same sentence alone.",
        formatter_class=HelpFormatter,
    )
    sp.set_defaults(func=apertium)
    sp.add_argument(
        "--datasets",
        default="conll02-es,panx:eu,sli-nerc:gl,uner:hr",
        help="DATASET[:LANG],... (each language with an installed pair into English)",
    )
    sp.add_argument("--split", default="auto", help="split of each dataset (auto: test, else dev)")
    sp.add_argument("--call-sizes", default="1,4,32,512", help="sentences per call")
    sp.add_argument("--sentences", type=int, default=512, help="sentences per language")
    sp.add_argument("--repeats", type=int, default=3)
    sp.add_argument("--check", type=int, default=30, help="sentences compared with alone")
    sp.add_argument("--back", action="store_true", help="also English into each language")
    json_option(sp)
    data_dir_option(sp)
    format_option(sp)


def apertium(args: argparse.Namespace) -> int:
    from xlner.bench.apertium import format_apertium, run_apertium

    bench = run_apertium(
        args.datasets,
        ints(args.call_sizes),
        args.sentences,
        args.repeats,
        args.back,
        args.check,
        args.split,
        args.data_dir,
    )
    result = bench.to_dict()
    emit(args, result, format_apertium(bench))
    return 0
