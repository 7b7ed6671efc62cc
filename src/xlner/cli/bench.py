"""``xlner bench``: projection throughput, pipeline cost per stage, alignment quality."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from xlner.cli._common import HelpFormatter, add_command, ints, stage_config, stage_options
from xlner.errors import XlnerError


def register(sub: Any) -> None:
    bench = add_command(
        sub,
        "bench",
        lambda a: (a.bench_parser.print_help(), 0)[1],
        "benchmarks: projection throughput; pipeline cost per stage; alignment quality",
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
        formatter_class=HelpFormatter,
    )
    sp.set_defaults(func=projection)
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
    sp.add_argument("--split", default="test")
    sp.add_argument("--data-dir", default=None)
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
    sp.add_argument("--format", choices=("markdown", "json"), default="markdown")
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
    stage_options(sp)

    sp = bsub.add_parser(
        "scale",
        help="memory vs corpus size; Ray vs local; time vs languages",
        description="Peak RSS of `xlner project-train` on corpora of growing size (English "
        "CoNLL-03 train repeated), `xlner run` with the local executor and with Ray at 1 and "
        "2 workers per pool (wall time, same results), and time vs number of languages under "
        "both executors. Writes scale.json, scale.md and a PNG to --out.",
        formatter_class=HelpFormatter,
    )
    sp.set_defaults(func=scale)
    sp.add_argument("--out", default="runs/bench-scale", help="output folder")
    sp.add_argument("--parts", default="memory,executors,languages", help="what to measure")
    sp.add_argument("--preset", default="offline")
    sp.add_argument("--memory-sentences", default="10000,100000", help="corpus sizes")
    sp.add_argument("--projection", default="heuristic", help="project-train projection")
    sp.add_argument("--tgt-lang", default="es", help="project-train target language")
    sp.add_argument("--dataset", default="conll02-es", help="dataset of the executor runs")
    sp.add_argument("--methods", default="model-transfer,heuristic,ngram,ner")
    sp.add_argument("--executors", default="local,ray:1,ray:2", help="local, ray:WORKERS")
    sp.add_argument("--chunk-size", type=int, default=250)
    sp.add_argument("--scaling-langs", default="1,2,4,8,16")
    sp.add_argument("--scaling-sentences-per-lang", type=int, default=100)
    sp.add_argument("--data-dir", default=None)
    sp.add_argument("--format", choices=("markdown", "json"), default="markdown")

    sp = bsub.add_parser(
        "alignment",
        help="alignment precision/recall/AER per layer and method; runtimes vs peers",
        description="Align xlner's hand-checked gold pairs (en-es, en-sw, en-de) "
        "with an encoder at several layers and every extraction method. With --runtimes, "
        "also time SimAlign on each runtime side by side with today's path (fp32 PyTorch, all "
        "hidden states) and the simalign library on the same encoder, layer and Spanish-English "
        "pairs (CoNLL-2002 test, Apertium translations): pairs/s, share of today's links kept "
        "(gold pairs and --agreement-pairs Spanish pairs), gold AER.",
        formatter_class=HelpFormatter,
    )
    sp.set_defaults(func=alignment)
    sp.add_argument("--model", default="e5-small", help="encoder: hub name, path or e5-small")
    sp.add_argument("--layers", default="4,6,8,10,12", help="quality sweep ('' to skip it)")
    sp.add_argument("--methods", default="argmax,itermax,match,awesome")
    sp.add_argument("--langs", default=None, help="es,sw,de (default: all)")
    sp.add_argument("--device", default="cpu")
    sp.add_argument(
        "--runtimes",
        default="",
        help="runtimes to time side by side, e.g. auto,torch,onnx,onnx-int8,ct2,ct2-int8",
    )
    sp.add_argument("--peers", default="simalign", help="peer libraries: simalign ('' for none)")
    sp.add_argument("--layer", type=int, default=8, help="layer of the runtime comparison")
    sp.add_argument("--method", default="itermax", help="extraction of the runtime comparison")
    sp.add_argument("--pairs", type=int, default=300, help="Spanish-English pairs timed")
    sp.add_argument(
        "--agreement-pairs", type=int, default=1000, help="Spanish-English pairs compared"
    )
    sp.add_argument("--repeats", type=int, default=2, help="timed rounds (best kept)")
    sp.add_argument("--data-dir", default=None)
    sp.add_argument("--format", choices=("markdown", "json"), default="markdown")

    sp = bsub.add_parser(
        "tagger",
        help="an HF tagger on each runtime vs today's path: sentences/s and F1",
        description="Tag the first test set (default: CoNLL-2002 Spanish, 1,516 sentences) with "
        "today's path (fp32 PyTorch, 32-sentence batches) and each runtime, side by side: "
        "sentences/s; entity F1 (PER/ORG/LOC) on every set (model transfer).",
        formatter_class=HelpFormatter,
    )
    sp.set_defaults(func=tagger)
    sp.add_argument("--model", required=True, help="token-classification model (path or name)")
    sp.add_argument("--runtimes", default="auto,torch,onnx,onnx-int8,ct2,ct2-int8")
    sp.add_argument(
        "--sets",
        default="conll02-es/es,masakhaner2/hau,masakhaner2/swa,masakhaner2/yor",
        help="DATASET/LANG test sets; the first one is timed",
    )
    sp.add_argument("--speed-sentences", type=int, default=None, help="default: the whole set")
    sp.add_argument("--repeats", type=int, default=2, help="timed rounds (best kept)")
    sp.add_argument("--data-dir", default=None)
    sp.add_argument("--format", choices=("markdown", "json"), default="markdown")

    sp = bsub.add_parser(
        "memory",
        help="peak RSS of one tagging/aligning call of 1k vs 10k sentences",
        description="Run one tag() or align() call of each size in a fresh process (after an "
        "8-sentence warm-up that loads the model) on CoNLL-2002 Spanish training sentences "
        "(aligned to CoNLL-2003 English ones), and report the peak RSS.",
        formatter_class=HelpFormatter,
    )
    sp.set_defaults(func=memory)
    sp.add_argument("--tagger", default="", help="e.g. hf:/path/to/tagger")
    sp.add_argument("--aligner", default="simalign:e5-small", help="e.g. simalign:e5-small")
    sp.add_argument("--runtimes", default="auto", help="comma-separated; auto = the default")
    sp.add_argument("--sizes", default="1000,10000")
    sp.add_argument("--data-dir", default=None)
    sp.add_argument("--format", choices=("markdown", "json"), default="markdown")

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
    sp.add_argument("--data-dir", default=None)
    sp.add_argument("--format", choices=("markdown", "json"), default="markdown")


def projection(args: argparse.Namespace) -> int:
    from xlner.bench.projection import format_markdown, run_projection_bench

    result = run_projection_bench(
        args.sentences, args.long_sentences, args.naive_sentences, args.seed
    )
    print(json.dumps(result, indent=2) if args.format == "json" else format_markdown(result))
    return 0


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
        langs=[x for x in args.langs.split(",") if x],
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
    result = run_pipeline_bench(cfg)
    print(
        json.dumps(result, indent=1, default=float)
        if args.format == "json"
        else format_markdown(result)
    )
    return 0


def scale(args: argparse.Namespace) -> int:
    from xlner.bench.scale import ScaleConfig, format_markdown, run_scale_bench, write_plot
    from xlner.io.atomic import atomic_write_text, check_writable

    check_writable(args.out, folder=True)
    cfg = ScaleConfig(
        out=Path(args.out),
        preset=args.preset,
        memory_sentences=ints(args.memory_sentences),
        projection=args.projection,
        tgt_lang=args.tgt_lang,
        dataset=args.dataset,
        methods=args.methods,
        executors=[x for x in args.executors.split(",") if x],
        chunk_size=args.chunk_size,
        scaling_langs=ints(args.scaling_langs),
        scaling_sentences_per_lang=args.scaling_sentences_per_lang,
        data_dir=args.data_dir,
    )
    result = run_scale_bench(cfg, [x for x in args.parts.split(",") if x])
    atomic_write_text(cfg.out / "scale.json", json.dumps(result, indent=1))
    atomic_write_text(cfg.out / "scale.md", format_markdown(result))
    write_plot(result, cfg.out)
    print(json.dumps(result, indent=1) if args.format == "json" else format_markdown(result))
    return 0


def _names(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


def alignment(args: argparse.Namespace) -> int:
    from xlner.bench.alignment import format_markdown, sweep

    layers = ints(args.layers)
    methods = _names(args.methods)
    langs = _names(args.langs) if args.langs else None
    out: dict[str, Any] = {}
    if layers:
        out["sweep"] = sweep(args.model, layers, methods, langs, args.device)
    if args.runtimes:
        from xlner.bench.encoders import run_aligners

        out["runtimes"] = run_aligners(
            args.model,
            args.layer,
            args.method,
            _names(args.runtimes),
            _names(args.peers),
            args.pairs,
            args.agreement_pairs,
            args.repeats,
            args.data_dir,
        )
    if args.format == "json":
        print(json.dumps(out, indent=2))
        return 0
    if "sweep" in out:
        print(format_markdown(out["sweep"]))
    if "runtimes" in out:
        from xlner.bench.encoders import format_aligners

        r = out["runtimes"]
        print(
            f"\nSimAlign {r['method']}, {r['model']} layer {r['layer']}: {r['speed_pairs']} pairs "
            f"timed, {r['agreement_pairs']} + {r['gold_pairs']} gold pairs compared\n"
        )
        print(format_aligners(r))
    return 0


def tagger(args: argparse.Namespace) -> int:
    from xlner.bench.encoders import format_taggers, run_taggers
    from xlner.errors import XlnerError

    sets = []
    for item in _names(args.sets):
        dataset, _, lang = item.partition("/")
        if not lang:
            raise XlnerError(f"--sets takes DATASET/LANG items, got {item!r}")
        sets.append((dataset, lang))
    result = run_taggers(
        args.model,
        _names(args.runtimes),
        sets,
        args.speed_sentences,
        args.repeats,
        args.data_dir,
    )
    print(json.dumps(result, indent=2) if args.format == "json" else format_taggers(result))
    return 0


def memory(args: argparse.Namespace) -> int:
    from xlner.bench.encoders import format_memory, peak_rss

    results = []
    for runtime in _names(args.runtimes) or ["auto"]:
        for kind, spec in (("tagger", args.tagger), ("aligner", args.aligner)):
            if spec:
                rt = None if runtime == "auto" else runtime
                results.append(peak_rss(kind, spec, ints(args.sizes), rt, args.data_dir))
    print(json.dumps(results, indent=2) if args.format == "json" else format_memory(results))
    return 0


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
