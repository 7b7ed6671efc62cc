"""``xlner plan``: each method's time and price for your languages and volume, and the
break-even point of translate-train vs translate-test, from a bench JSON (no model loads)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from xlner.cli._common import add_command, format_option


def register(sub: Any) -> None:
    from xlner.plan import EXAMPLES

    sp = add_command(
        sub,
        "plan",
        main,
        "which method, and what it costs, for N languages x M sentences on your hardware",
        "From a bench JSON measured on your hardware (`xlner bench pipeline`), print each "
        "method's total time and price for --langs languages of --sentences sentences each, "
        "the number of sentences per language above which translate-train becomes cheaper "
        "than translate-test, the quality each method reached (the paper's figures and "
        "xlner's own runs), and a PNG of total cost against sentences per language. A language "
        "the bench timed (`--datasets`) costs what its own runs say; the others are "
        "extrapolated from the fit over all its runs, and the output says which. Loads no "
        f"model. Shipped examples, measured on a 2-core CPU: {', '.join(EXAMPLES)}.",
    )
    sp.add_argument(
        "--bench",
        required=True,
        help=f"bench.json of `xlner bench pipeline`, or a shipped example ({', '.join(EXAMPLES)})",
    )
    sp.add_argument(
        "--langs", required=True, help="number of languages (40) or ISO codes (hau,yor,swa)"
    )
    sp.add_argument("--sentences", type=int, required=True, help="sentences to tag per language")
    sp.add_argument(
        "--usd-per-hour", type=float, help="machine price (default: the one the bench recorded)"
    )
    sp.add_argument(
        "--setup",
        choices=("e5-small", "offline"),
        default="e5-small",
        help="which of xlner's own measured runs the 'F1 ours' column shows",
    )
    sp.add_argument(
        "--words-per-sentence",
        type=float,
        help="sentence length of the languages the bench did not time, for a bench fitted per "
        "word (default: the mean of the bench's languages)",
    )
    sp.add_argument(
        "--png",
        help="the plot ('' for none; default: plan.png in the current folder, or in the "
        "system's temporary folder where the current one is not writable)",
    )
    format_option(sp)


def main(args: argparse.Namespace) -> int:
    from xlner.plan import load_bench, make_plan
    from xlner.plan_output import format_plan, to_json
    from xlner.plots import plot_plan

    bench, name = load_bench(args.bench)
    plan = make_plan(
        bench,
        name,
        args.langs,
        args.sentences,
        args.usd_per_hour,
        args.setup,
        args.words_per_sentence,
    )
    png = default_png() if args.png is None else Path(args.png) if args.png else None
    if png is not None:
        from xlner.errors import XlnerError
        from xlner.io.atomic import check_writable

        try:
            check_writable(png)
        except XlnerError as e:
            raise XlnerError(
                f"{e} (the plot; choose another --png PATH, or --png '' for none)"
            ) from None
    print(json.dumps(to_json(plan), indent=1) if args.format == "json" else format_plan(plan))
    if png is not None:
        plot_plan(plan, png)
        print(f"wrote {png}", file=sys.stderr)
    return 0


def default_png() -> Path:
    """``plan.png`` in the current folder, or in the temporary folder when that one is not
    writable (a read-only checkout, a container's root)."""
    here = Path("plan.png")
    if os.access(".", os.W_OK | os.X_OK) and not here.is_dir():
        return here
    return Path(tempfile.gettempdir()) / "plan.png"
