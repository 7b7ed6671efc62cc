"""``xlner train``: fine-tune a token classifier (HF Trainer)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from xlner.cli._common import DEFAULT_LABELS, add_command, labels


def register(sub: Any) -> None:
    sp = add_command(
        sub,
        "train",
        main,
        "fine-tune a token classifier (HF Trainer)",
        "Fine-tune NAME_OR_PATH for token classification on a CoNLL/JSONL file; selects the "
        "best epoch on --dev entity F1; resumes from the last checkpoint in --out.",
    )
    sp.add_argument("--train", required=True, help="labelled CoNLL/JSONL file (gold or silver)")
    sp.add_argument("--dev", help="labelled file to pick the best epoch on (entity F1)")
    sp.add_argument("--base-model", required=True, help="hub name, local path or e5-small")
    sp.add_argument("--out", required=True, help="model folder (resumed when it has checkpoints)")
    sp.add_argument("--labels", default=DEFAULT_LABELS)
    sp.add_argument("--epochs", type=float, default=3.0)
    sp.add_argument("--max-steps", type=int, default=-1, help="overrides --epochs when > 0")
    sp.add_argument("--lr", type=float, default=5e-5, help="learning rate")
    sp.add_argument("--batch-size", type=int, default=16)
    sp.add_argument("--max-length", type=int, default=256)
    sp.add_argument(
        "--freeze-embeddings",
        action="store_true",
        help="freeze the word embeddings (about 2x faster on CPU)",
    )
    sp.add_argument("--save-steps", type=int, help="checkpoint every N steps (default: epoch)")
    sp.add_argument("--limit", type=int, help="only the first N training sentences")
    sp.add_argument("--seed", type=int, default=42)
    sp.add_argument("--device", default="auto")
    sp.add_argument("--quiet", action="store_true")


def main(args: argparse.Namespace) -> int:
    from xlner.io.atomic import check_writable
    from xlner.train import TrainConfig, train_tagger

    check_writable(args.out, folder=True)
    cfg = TrainConfig(
        train=Path(args.train),
        dev=Path(args.dev) if args.dev else None,
        base_model=args.base_model,
        out=Path(args.out),
        labels=labels(args.labels),
        epochs=args.epochs,
        max_steps=args.max_steps,
        learning_rate=args.lr,
        batch_size=args.batch_size,
        max_length=args.max_length,
        freeze_embeddings=args.freeze_embeddings,
        save_steps=args.save_steps,
        limit=args.limit,
        seed=args.seed,
        device=args.device,
        show_progress=not args.quiet,
    )
    metrics = train_tagger(cfg)
    print(json.dumps(metrics, indent=2, default=str))
    print(f"wrote {cfg.out} (the model; its training record: xlner_train.json)", file=sys.stderr)
    return 0
