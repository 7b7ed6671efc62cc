"""``xlner evaluate``: entity-level P/R/F1, and how they move with a confidence threshold."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from xlner.cli._common import DEFAULT_LABELS, FORMAT_HELP, add_command, labels


def register(sub: Any) -> None:
    sp = add_command(
        sub,
        "evaluate",
        main,
        "score predictions against gold (entity-level P/R/F1)",
        "Entity-level micro precision/recall/F1 with seqeval semantics, per label, and "
        "proj_ratio. By default only PER, ORG and LOC are scored (DATE and MISC -> O), as in "
        "the reference protocol. With --curve: P/R/F1 at every confidence threshold (predictions "
        "with scores: JSONL, or CoNLL written with a score column) and the best one — pick "
        "--min-score on dev data this way; with --reliability: precision per confidence bin.",
    )
    sp.add_argument("--gold", required=True, help="gold file (CoNLL or JSONL)")
    sp.add_argument("--pred", required=True, help="prediction file with the same sentences")
    sp.add_argument("--labels", default=DEFAULT_LABELS, help="labels to score, or 'all'")
    sp.add_argument("--format", choices=("table", "json"), default="table")
    sp.add_argument("--gold-format", default="auto", help=FORMAT_HELP)
    sp.add_argument("--pred-format", default="auto", help=FORMAT_HELP)
    sp.add_argument(
        "--curve", action="store_true", help="P/R/F1 over confidence thresholds 0, 0.05, .., 0.95"
    )
    sp.add_argument(
        "--reliability", action="store_true", help="precision per confidence bin (calibration)"
    )
    sp.add_argument("--plot", help="PNG for --curve / --reliability (needs matplotlib)")


def main(args: argparse.Namespace) -> int:
    from xlner.errors import XlnerError
    from xlner.evaluate import evaluate, format_table
    from xlner.io import iter_sentences

    keep = labels(args.labels)
    names = (args.gold, args.pred)

    def gold() -> Any:
        return iter_sentences(args.gold, args.gold_format)

    def pred() -> Any:
        return iter_sentences(args.pred, args.pred_format)

    if next(iter(gold()), None) is None:
        raise XlnerError(f"{args.gold}: no sentences (empty file?)")
    if args.plot and not (args.curve or args.reliability):
        raise XlnerError("--plot needs --curve or --reliability")
    if args.curve or args.reliability:
        return _confidence(args, gold, pred, keep, names)
    scores = evaluate(gold(), pred(), labels=keep, names=names)
    if args.format == "json":
        print(json.dumps(scores.to_dict(), indent=2))
    else:
        print(format_table(scores))
    return 0


def _confidence(
    args: argparse.Namespace,
    gold: Any,
    pred: Any,
    keep: list[str] | None,
    names: tuple[str, str],
) -> int:
    import sys

    seen = {"entities": 0, "scored": 0}

    def scored_pred() -> Any:  # counts the predicted entities that carry a score, as read
        for s in pred():
            for span in s.spans or []:
                seen["entities"] += 1
                seen["scored"] += span.score is not None
            yield s

    out: dict[str, Any] = {}
    lines: list[str] = []
    if args.curve:
        lines += _curve(out, gold(), scored_pred(), keep, names, seen)
    if args.reliability:
        lines += _reliability(out, gold(), scored_pred(), keep, names)
    if seen["entities"] and not seen["scored"]:
        print(
            f"xlner: warning: {args.pred} carries no confidence scores (write JSONL, or CoNLL "
            "with --scores), so every entity counts as 1.0 and the curve is flat",
            file=sys.stderr,
        )
    print(json.dumps(out, indent=2) if args.format == "json" else "\n".join(lines).strip())
    if args.plot:
        from xlner.plots import confidence_plot

        confidence_plot(out, Path(args.plot))
        print(f"wrote {args.plot}", file=sys.stderr)
    return 0


def _curve(
    out: dict[str, Any],
    gold: Any,
    pred: Any,
    keep: list[str] | None,
    names: tuple[str, str],
    seen: dict[str, int],
) -> list[str]:
    """P/R/F1 per threshold into ``out``; the table's lines. Predictions without scores
    (``seen`` counts them as ``pred`` is read) give a flat curve and no best threshold."""
    from xlner.evaluate import best_threshold, threshold_curve

    curve = threshold_curve(gold, pred, labels=keep, names=names)
    best = best_threshold(curve)
    flat = seen["entities"] > 0 and not seen["scored"]
    keys = ("precision", "recall", "f1", "predicted")
    out["curve"] = [
        {"threshold": p.threshold, **{k: getattr(p.scores.overall, k) for k in keys}} for p in curve
    ]
    out["best_threshold"] = None if flat else best.threshold
    lines = ["| threshold | precision | recall | F1 | predicted |", "|---:|---:|---:|---:|---:|"]
    for p in curve:
        o = p.scores.overall
        mark = " **best**" if p is best and not flat else ""
        lines.append(
            f"| {p.threshold:.2f}{mark} | {100 * o.precision:.1f} | {100 * o.recall:.1f} | "
            f"{100 * o.f1:.1f} | {o.predicted} |"
        )
    if flat:
        lines.append("\nbest threshold: none (the predictions carry no confidence scores)")
    else:
        lines.append(f"\nbest threshold (highest F1): --min-score {best.threshold:g}")
    return lines


def _reliability(
    out: dict[str, Any], gold: Any, pred: Any, keep: list[str] | None, names: tuple[str, str]
) -> list[str]:
    """Precision per confidence bin into ``out``; the table's lines."""
    from xlner.evaluate import reliability

    bins, ece = reliability(gold, pred, labels=keep, names=names)
    out["reliability"] = [b.to_dict() for b in bins]
    out["expected_calibration_error"] = ece
    lines = ["", "| confidence | entities | precision | mean score |", "|---|---:|---:|---:|"]
    for b in bins:
        prec = "" if b.precision is None else f"{100 * b.precision:.1f}"
        mean = "" if b.mean_score is None else f"{b.mean_score:.3f}"
        lines.append(f"| {b.low:.1f}–{b.high:.1f} | {b.predicted} | {prec} | {mean} |")
    lines.append(f"\nexpected calibration error: {ece:.3f}")
    return lines
