"""``xlner datasets``: data sets, their languages and local availability."""

from __future__ import annotations

import argparse
from typing import Any

from xlner.cli._common import add_command, data_dir_option


def register(sub: Any) -> None:
    sp = add_command(sub, "datasets", main, "list datasets, their languages and local availability")
    sp.add_argument("action", nargs="?", choices=("list",), default="list")
    data_dir_option(sp)


def main(args: argparse.Namespace) -> int:
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
