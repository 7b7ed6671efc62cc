"""``xlner convert``: between CoNLL, JSONL and plain text."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from xlner.cli._common import FORMAT_HELP, add_command, labels


def register(sub: Any) -> None:
    sp = add_command(sub, "convert", main, "convert between CoNLL, JSONL and plain text")
    sp.add_argument("--input", required=True)
    sp.add_argument("--output", required=True)
    sp.add_argument("--input-format", default="auto", help=FORMAT_HELP)
    sp.add_argument("--output-format", default="auto", help="conll or jsonl (auto: by extension)")
    sp.add_argument("--lang", default=None, help="language to record on the sentences")
    sp.add_argument(
        "--labels", default=None, help="keep only these labels (e.g. PER,ORG,LOC); others become O"
    )


def main(args: argparse.Namespace) -> int:
    from xlner.data import filter_spans
    from xlner.io import SentenceWriter, iter_sentences
    from xlner.io.atomic import check_writable

    check_writable(args.output)
    keep = labels(args.labels) if args.labels is not None else None
    with SentenceWriter(args.output, args.output_format) as w:
        for s in iter_sentences(args.input, args.input_format, lang=args.lang):
            w.write(
                s if keep is None or s.spans is None else s.with_spans(filter_spans(s.spans, keep))
            )
    print(f"wrote {w.count} sentences to {args.output}", file=sys.stderr)
    return 0
