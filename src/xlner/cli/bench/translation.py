"""``xlner bench translation``: CTranslate2 int8 vs HF fp32, batches by sentences or tokens."""

from __future__ import annotations

import argparse
import json
from typing import Any

from xlner.cli._common import HelpFormatter, data_dir_option, format_option, ints


def register(bsub: Any) -> None:
    sp = bsub.add_parser(
        "translation",
        help="CTranslate2 int8 vs HF fp32 translation throughput, batching side by side",
        description="Translate the same sentences with HF fp32 and CTranslate2 int8, with "
        "today's batches (a fixed number of sentences) and token-budget batches. The reference "
        "architecture is built with random weights and every output forced to the length of "
        "its batch's longest source: cost only.",
        formatter_class=HelpFormatter,
    )
    sp.set_defaults(func=translation)
    sp.add_argument(
        "--arch",
        default="nllb-200-distilled-600M",
        choices=("nllb-200-distilled-600M", "nllb-200-1.3B", "nllb-200-3.3B"),
    )
    sp.add_argument("--sentences", type=int, default=200)
    sp.add_argument("--dataset", default="masakhaner2")
    sp.add_argument("--lang", default="hau")
    sp.add_argument("--budgets", default="2048", help="token budgets per batch")
    sp.add_argument("--no-hf", action="store_true", help="CTranslate2 only")
    sp.add_argument("--repeats", type=int, default=1)
    data_dir_option(sp)
    format_option(sp)


def translation(args: argparse.Namespace) -> int:
    from xlner.bench.translation import format_translation, run_translation

    result = run_translation(
        args.arch,
        args.sentences,
        args.dataset,
        args.lang,
        ints(args.budgets),
        hf=not args.no_hf,
        repeats=args.repeats,
        data_dir=args.data_dir,
    )
    print(json.dumps(result, indent=2) if args.format == "json" else format_translation(result))
    return 0
