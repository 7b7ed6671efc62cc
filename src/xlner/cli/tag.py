"""``xlner tag``: tag a file by model transfer or translate-test."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from xlner.cli._common import (
    FORMAT_HELP,
    add_command,
    executor_options,
    ray_options,
    score,
    stage_config,
    stage_options,
)
from xlner.methods import MATCHINGS, SYNTAX


def register(sub: Any) -> None:
    sp = add_command(
        sub,
        "tag",
        main,
        "tag a file by model transfer or translate-test",
        "Tag a CoNLL, JSONL or plain-text file (one sentence a line; words and punctuation are "
        "split, and JSONL output keeps character offsets). Every entity gets a confidence "
        "score; with projection, source entities that were not projected are listed, with the "
        "reason, in OUTPUT.lost.jsonl.",
    )
    sp.add_argument("--input", required=True, help="CoNLL, JSONL, or text (one sentence a line)")
    sp.add_argument(
        "--output",
        required=True,
        help="output file: .jsonl -> JSONL, .conll -> CoNLL, other names: JSONL for plain-text "
        "input, else CoNLL",
    )
    sp.add_argument("--lang", help="language of the input (ISO code); needed for translate-test")
    sp.add_argument(
        "--method",
        default="translate-test",
        help=f"{SYNTAX}; 'translate-test' means the --projection given",
    )
    sp.add_argument(
        "--projection",
        default="heuristic",
        help="for --method translate-test: heuristic, heuristic:original, ngram, ner",
    )
    sp.add_argument("--matching", choices=MATCHINGS, default="greedy")
    sp.add_argument(
        "--backtranslate",
        action="store_true",
        help="refine with a marked back-translation (EasyProject style)",
    )
    sp.add_argument("--input-format", default="auto", help=FORMAT_HELP)
    sp.add_argument("--output-format", default="auto", help="conll or jsonl")
    sp.add_argument(
        "--min-score", type=score, default=0.0, help="drop entities below this confidence"
    )
    sp.add_argument("--scores", action="store_true", help="CoNLL output: add a confidence column")
    stage_options(sp)
    executor_options(sp)


def main(args: argparse.Namespace) -> int:
    from xlner.methods import Method
    from xlner.tagging import RunOptions, TagConfig, summary, tag_file

    text = args.projection if args.method == "translate-test" else args.method
    if args.backtranslate and not text.endswith("+bt"):
        text += "+bt"
    cfg = TagConfig(
        input=Path(args.input),
        output=Path(args.output),
        method=Method.parse(text, args.matching),
        lang=args.lang,
        input_format=args.input_format,
        output_format=args.output_format,
        stages=stage_config(args),
        min_score=args.min_score,
        scores_column=args.scores,
        run=RunOptions(args.executor, args.chunk_size, ray_options(args), None, not args.quiet),
    )
    sink = tag_file(cfg)
    summary(sink, f"tagged ({cfg.method.name})", cfg.output)
    return 0
