"""``xlner bench alignment|tagger|memory``: alignment quality and encoder runtimes vs peers,
tagger runtimes with F1, peak memory of one call."""

from __future__ import annotations

import argparse
import json
from typing import Any

from xlner.cli._common import HelpFormatter, data_dir_option, format_option, ints, names
from xlner.errors import XlnerError


def register(bsub: Any) -> None:
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
    data_dir_option(sp)
    format_option(sp)

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
    data_dir_option(sp)
    format_option(sp)

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
    data_dir_option(sp)
    format_option(sp)


def alignment(args: argparse.Namespace) -> int:
    from xlner.bench.alignment import format_markdown, sweep

    layers = ints(args.layers)
    methods = names(args.methods)
    langs = names(args.langs) if args.langs else None
    out: dict[str, Any] = {}
    if layers:
        out["sweep"] = sweep(args.model, layers, methods, langs, args.device)
    if args.runtimes:
        from xlner.bench.encoders import run_aligners

        out["runtimes"] = run_aligners(
            args.model,
            args.layer,
            args.method,
            names(args.runtimes),
            names(args.peers),
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

    sets = []
    for item in names(args.sets):
        dataset, _, lang = item.partition("/")
        if not lang:
            raise XlnerError(f"--sets takes DATASET/LANG items, got {item!r}")
        sets.append((dataset, lang))
    result = run_taggers(
        args.model,
        names(args.runtimes),
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
    for runtime in names(args.runtimes) or ["auto"]:
        for kind, spec in (("tagger", args.tagger), ("aligner", args.aligner)):
            if spec:
                rt = None if runtime == "auto" else runtime
                results.append(peak_rss(kind, spec, ints(args.sizes), rt, args.data_dir))
    print(json.dumps(results, indent=2) if args.format == "json" else format_memory(results))
    return 0
