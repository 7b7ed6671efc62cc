"""``xlner project-train``: translate-train data (translated English with projected labels)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from xlner.cli._common import (
    DEFAULT_LABELS,
    add_command,
    data_dir_option,
    executor_options,
    labels,
    ray_options,
    score,
    stage_config,
    stage_options,
)
from xlner.methods import MATCHINGS


def register(sub: Any) -> None:
    sp = add_command(
        sub,
        "project-train",
        main,
        "translate-train data: translate labelled English, project the gold labels",
        "Translate a labelled English dataset into --tgt-lang and project its gold entities "
        "onto the translations: silver training data for `xlner train`. Streams chunk by "
        "chunk (memory bounded by --chunk-size); source entities that were not projected are "
        "listed with the reason in OUT.lost.jsonl.",
    )
    sp.add_argument("--dataset", default="conll03-en")
    sp.add_argument("--split", default="train", choices=("train", "dev", "test"))
    sp.add_argument("--tgt-lang", required=True, help="the language to make data for (ISO code)")
    sp.add_argument("--projection", default="heuristic", help="heuristic[:original], ngram, ner")
    sp.add_argument("--matching", choices=MATCHINGS, default="greedy")
    sp.add_argument("--out", required=True, help="silver output file (.conll or .jsonl)")
    sp.add_argument("--output-format", default="auto", help="conll or jsonl (auto: by extension)")
    sp.add_argument("--labels", default=DEFAULT_LABELS, help="labels projected, or 'all'")
    sp.add_argument("--limit", type=int, help="only the first N English sentences")
    data_dir_option(sp)
    sp.add_argument(
        "--min-score", type=score, default=0.0, help="drop projected entities below this confidence"
    )
    sp.add_argument(
        "--on-threshold",
        choices=("drop-sentence", "keep"),
        default="drop-sentence",
        help="a sentence that lost an entity to --min-score: drop it whole, or keep its other "
        "entities (a kept sentence would teach that entity is O)",
    )
    sp.add_argument("--scores", action="store_true", help="CoNLL output: add a confidence column")
    sp.add_argument(
        "--memo",
        help="stage cache folder (default: $XLNER_CACHE/stage-memo; alignments are shared "
        "across projections)",
    )
    stage_options(sp)
    executor_options(sp)


def main(args: argparse.Namespace) -> int:
    from xlner.methods import Method
    from xlner.models.loading import cache_dir
    from xlner.tagging import RunOptions, SilverConfig, make_silver, summary

    cfg = SilverConfig(
        tgt_lang=args.tgt_lang,
        output=Path(args.out),
        method=Method.parse(args.projection, args.matching),
        dataset=args.dataset,
        split=args.split,
        data_dir=args.data_dir,
        labels=labels(args.labels),
        limit=args.limit,
        output_format=args.output_format,
        stages=stage_config(args),
        min_score=args.min_score,
        on_threshold=args.on_threshold,
        scores_column=args.scores,
        run=RunOptions(
            args.executor,
            args.chunk_size,
            ray_options(args),
            Path(args.memo) if args.memo else cache_dir() / "stage-memo",
            not args.quiet,
        ),
    )
    sink = make_silver(cfg)
    summary(sink, f"silver {cfg.tgt_lang} data ({cfg.method.name})", cfg.output)
    return 0
