"""``xlner languages``: language codes and their NLLB-200 codes."""

from __future__ import annotations

import argparse
from typing import Any

from xlner.cli._common import add_command


def register(sub: Any) -> None:
    sp = add_command(sub, "languages", main, "show language codes and their NLLB-200 codes")
    sp.add_argument("codes", nargs="*", help="codes to look up (ISO 639-1/639-3 or NLLB)")
    sp.add_argument(
        "--require-nllb", action="store_true", help="fail for a language NLLB-200 does not cover"
    )


def main(args: argparse.Namespace) -> int:
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
