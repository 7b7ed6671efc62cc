"""``xlner run``: methods over a dataset's languages, resumable, paper-style tables."""

from __future__ import annotations

import argparse
import sys
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
from xlner.methods import MATCHINGS, SYNTAX


def register(sub: Any) -> None:
    sp = add_command(
        sub,
        "run",
        main,
        "run methods over a dataset's languages; paper-style tables",
        "For each language x method: predictions (CoNLL), lost entities (JSONL), scores with "
        "per-stage seconds; results.csv / results.md / scores.json in --out, with the paper's "
        "figures beside ours and the signature of what produced them. Streams chunk by chunk; "
        "resumable: finished units are skipped on re-run.",
    )
    sp.add_argument(
        "--dataset",
        required=True,
        help="a dataset (masakhaner2, panx, uner, sli-nerc, europarl, conll02-es, ...), or "
        "several with their languages: conll02-es,panx:eu,sli-nerc:gl,uner:hr (LANG+LANG for "
        "more than one); `xlner datasets` lists what is here",
    )
    sp.add_argument("--langs", default="all", help="comma-separated languages, or all")
    sp.add_argument(
        "--split",
        default="auto",
        choices=("auto", "train", "dev", "test"),
        help="auto: each language's test split, else dev (PAN-X offline)",
    )
    sp.add_argument(
        "--source",
        choices=("mt", "gold"),
        default="mt",
        help="English side of the projections: mt (translate the target sentence, tag the "
        "English) or gold (a parallel dataset such as europarl: the English sentence's gold "
        "entities; no translator, no English tagger)",
    )
    sp.add_argument(
        "--methods", default="model-transfer,heuristic,ngram,ner", help=f"comma-separated: {SYNTAX}"
    )
    sp.add_argument(
        "--matching",
        choices=MATCHINGS,
        default="greedy",
        help="matching of ngram/ner given without :greedy/:exact",
    )
    sp.add_argument("--out", required=True, help="output folder (resumed when it exists)")
    data_dir_option(sp)
    sp.add_argument("--limit", type=int, help="only the first N sentences per language")
    sp.add_argument("--labels", default=DEFAULT_LABELS, help="labels scored, or 'all'")
    sp.add_argument(
        "--min-score",
        type=score,
        default=0.0,
        help="drop output entities whose confidence is below this (pick it with "
        "`xlner evaluate --curve` on dev data)",
    )
    sp.add_argument(
        "--scores", action="store_true", help="write a confidence column in predictions/*.conll"
    )
    stage_options(sp)
    executor_options(sp)


def main(args: argparse.Namespace) -> int:
    from xlner.runner import RunConfig, run_experiment

    cfg = RunConfig(
        dataset=args.dataset,
        langs=args.langs,
        methods=[m for m in args.methods.split(",") if m],
        out=args.out,
        stages=stage_config(args),
        split=args.split,
        matching=args.matching,
        data_dir=args.data_dir,
        limit=args.limit,
        labels=labels(args.labels),
        min_score=args.min_score,
        scores_column=args.scores,
        executor=args.executor,
        chunk_size=args.chunk_size,
        ray=ray_options(args),
        show_progress=not args.quiet,
        source=args.source,
    )
    results = run_experiment(cfg)
    print(results.markdown)
    out = Path(cfg.out)
    for name in ("results.md", "results.csv", "scores.json"):
        print(f"wrote {out / name}", file=sys.stderr)
    print(
        f"each language and method: {out / 'predictions'}/LANG/METHOD.conll, "
        f"{out / 'scores'}/LANG/METHOD.json, lost entities in {out / 'lost'}/LANG/METHOD.jsonl",
        file=sys.stderr,
    )
    return 0
