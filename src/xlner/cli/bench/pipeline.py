"""``xlner bench pipeline``: cost per stage of every method, the cost model's runs and
translate-train."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from xlner.cli._common import (
    HelpFormatter,
    data_dir_option,
    format_option,
    ints,
    names,
    report_written,
    stage_config,
    stage_options,
)
from xlner.errors import XlnerError


def register(bsub: Any) -> None:
    sp = bsub.add_parser(
        "pipeline",
        help="cost per stage of model transfer vs every translate-test variant",
        description="Time every stage (translate, tag, align, project, back-translate) of model "
        "transfer and translate-test (heuristic/ngram/ner, with and without back-translation) "
        "on real or synthetic sentences, through the same executor as `xlner run`; scaling "
        "with languages and sentences; translation backends and batch sizes; cached re-run. "
        "Writes bench.json, bench.md and PNG plots to --out.",
        formatter_class=HelpFormatter,
    )
    sp.set_defaults(func=pipeline)
    sp.add_argument("--out", default="runs/bench", help="output folder")
    sp.add_argument(
        "--arch-only",
        action="store_true",
        help="random weights in the reference architectures (NLLB, XLM-R-large, "
        "mBERT), generated length = source length",
    )
    sp.add_argument(
        "--translator-arch",
        default="nllb-200-distilled-600M",
        choices=("nllb-200-distilled-600M", "nllb-200-1.3B", "nllb-200-3.3B"),
    )
    sp.add_argument("--dataset", default="masakhaner2")
    sp.add_argument(
        "--synthetic",
        action="store_true",
        help="synthetic sentences of MasakhaNER-like length instead of a dataset",
    )
    sp.add_argument("--langs", default="hau")
    sp.add_argument(
        "--datasets",
        default="",
        help="real languages, each from its own dataset: DATASET:LANG items such as "
        "conll02-es,panx:eu,sli-nerc:gl,uner:hr (replaces --dataset/--langs; each needs a "
        "translator pair into English; with --split auto PAN-X uses dev). Cost points 1xN then "
        "run every language alone, LxN the first L languages together",
    )
    sp.add_argument("--split", default="test")
    data_dir_option(sp)
    sp.add_argument("--methods", default="model-transfer,heuristic,ngram,ner", help="methods timed")
    sp.add_argument("--sentences", type=int, default=32, help="sentences per language")
    sp.add_argument("--scaling-langs", default="1,2,4,8,16")
    sp.add_argument("--scaling-sentences-per-lang", type=int, default=4)
    sp.add_argument("--growth-sentences", default="8,16,32")
    sp.add_argument("--batch-sizes", default="", help="translation batch sizes to sweep")
    sp.add_argument(
        "--ct2",
        action="store_true",
        help="also convert the translator to CTranslate2 int8 and compare",
    )
    sp.add_argument("--no-backtranslation", action="store_true")
    sp.add_argument(
        "--usd-per-hour",
        type=float,
        default=0.0,
        help="machine price, for a $ per million sentences column",
    )
    sp.add_argument("--no-plots", action="store_true")
    format_option(sp)
    _cost_model_options(sp)
    _translate_train_options(sp)
    stage_options(sp)


def _cost_model_options(sp: argparse.ArgumentParser) -> None:
    g = sp.add_argument_group(
        "cost model (`xlner plan`)",
        "Every method again at LANGUAGESxSENTENCES points, uncached; the main run (--sentences) "
        "and --cost-holdout points are held back to check the model's predictions.",
    )
    g.add_argument(
        "--cost-points",
        default="auto",
        help="e.g. 1x100,1x200,2x100 (auto: 1xS/4, 1xS/2, 2xS/4 for S = --sentences; '' none)",
    )
    g.add_argument(
        "--cost-holdout",
        default="auto",
        help="points measured but not fitted, to check the predictions (auto: 1xS, 4xS/4)",
    )
    g.add_argument(
        "--repeats",
        type=int,
        default=1,
        help="round-robin repeats of every cost-model and translate-train run, keeping the "
        "fastest (use 2-3 on a machine shared with other jobs)",
    )


def _translate_train_options(sp: argparse.ArgumentParser) -> None:
    g = sp.add_argument_group(
        "translate-train",
        "One-time cost per language: translate the English training set, tag candidates "
        "(ner), align, project (timed on --train-slices), fine-tune (timed at --train-steps); "
        "then the tuned tagger's cost per sentence. Extrapolated to --train-size by the cost "
        "model.",
    )
    g.add_argument("--no-translate-train", action="store_true", help="skip translate-train")
    g.add_argument(
        "--train-methods", default="", help="projections (default: those of --methods, no +bt)"
    )
    g.add_argument("--train-dataset", default="conll03-en", help="labelled English data")
    g.add_argument(
        "--train-size", type=int, help="English training sentences (default: the dataset's)"
    )
    g.add_argument("--train-slices", default="100,200,400", help="English sentences timed")
    g.add_argument("--train-holdout", default="", help="slices measured but not fitted")
    g.add_argument("--train-steps", default="5,10", help="fine-tuning steps timed")
    g.add_argument("--train-holdout-steps", default="", help="step counts measured, not fitted")
    g.add_argument(
        "--train-base-model",
        default="",
        help="model fine-tuned (default: the XLM-R-large architecture with --arch-only, else "
        "e5-small)",
    )
    g.add_argument("--train-epochs", type=float, default=1.0)
    g.add_argument("--train-batch-size", type=int, default=16)
    g.add_argument("--train-max-length", type=int, default=128)
    g.add_argument("--train-lr", type=float, default=1e-4)
    g.add_argument(
        "--no-freeze-embeddings", action="store_true", help="also train the word embeddings"
    )


def points(text: str) -> list[tuple[int, int]]:
    """``1x100,2x50`` -> ``[(1, 100), (2, 50)]`` (languages x sentences per language)."""
    out = []
    for item in (x.strip() for x in text.split(",")):
        if not item:
            continue
        langs, _, sents = item.lower().partition("x")
        if not (langs.isdigit() and sents.isdigit()) or int(langs) < 1 or int(sents) < 1:
            raise XlnerError(
                f"expected LANGUAGESxSENTENCES such as 2x100 (both at least 1), got {item!r}"
            )
        out.append((int(langs), int(sents)))
    return out


def pipeline(args: argparse.Namespace) -> int:
    from xlner.bench.languages import format_languages, parse_datasets
    from xlner.bench.pipeline import BenchConfig, run_pipeline_bench
    from xlner.bench.report import format_markdown
    from xlner.bench.translate_train import TrainBenchConfig
    from xlner.io.atomic import check_writable

    check_writable(args.out, folder=True)
    if args.repeats < 1:
        raise XlnerError(f"--repeats must be at least 1, got {args.repeats}")
    train = None
    if not args.no_translate_train:
        train = TrainBenchConfig(
            methods=args.train_methods,
            dataset=args.train_dataset,
            data_dir=args.data_dir,
            train_size=args.train_size,
            slices=ints(args.train_slices),
            holdout=ints(args.train_holdout),
            steps=ints(args.train_steps),
            holdout_steps=ints(args.train_holdout_steps),
            base_model=args.train_base_model,
            epochs=args.train_epochs,
            batch_size=args.train_batch_size,
            max_length=args.train_max_length,
            learning_rate=args.train_lr,
            freeze_embeddings=not args.no_freeze_embeddings,
        )
        train.check()
    cfg = BenchConfig(
        out=Path(args.out),
        stages=stage_config(args),
        methods=args.methods,
        arch_only=args.arch_only,
        translator_arch=args.translator_arch,
        dataset=None if args.synthetic else args.dataset,
        langs=names(args.langs),
        datasets=parse_datasets(args.datasets, args.data_dir) if args.datasets.strip() else [],
        split=args.split,
        data_dir=args.data_dir,
        sentences=args.sentences,
        scaling_langs=ints(args.scaling_langs),
        scaling_sentences_per_lang=args.scaling_sentences_per_lang,
        growth_sentences=ints(args.growth_sentences),
        batch_sizes=ints(args.batch_sizes),
        ct2=args.ct2,
        with_backtranslation=not args.no_backtranslation,
        usd_per_hour=args.usd_per_hour,
        device=args.device,
        plots=not args.no_plots,
        cost_points=None if args.cost_points == "auto" else points(args.cost_points),
        cost_holdout=None if args.cost_holdout == "auto" else points(args.cost_holdout),
        repeats=args.repeats,
        translate_train=train,
        command=getattr(args, "command_line", ""),
    )
    with report_written(cfg.out):
        result = run_pipeline_bench(cfg)
    if args.format == "json":
        print(json.dumps(result, indent=1, default=float))
    else:
        print("\n".join([format_markdown(result), *format_languages(result)]))
    return 0
