"""``xlner datasets``: data sets, their languages and the sentences found locally."""

from __future__ import annotations

import argparse
from typing import Any

from xlner.cli._common import add_command, data_dir_option


def register(sub: Any) -> None:
    sp = add_command(
        sub,
        "datasets",
        main,
        "list datasets, their languages and the sentences per split found locally",
        "Every language folder present in the data folder is listed (also languages xlner does "
        "not know of: they run the same way), with its sentences per split.",
    )
    sp.add_argument("action", nargs="?", choices=("list",), default="list")
    sp.add_argument("--dataset", help="only this dataset")
    data_dir_option(sp)


def main(args: argparse.Namespace) -> int:
    from xlner.datasets import DATASETS, SPLITS, count_sentences, get_dataset, resolve_data_dir

    root = resolve_data_dir(args.data_dir)
    print(f"data folder: {root if root is not None else '(none: set --data-dir or XLNER_DATA)'}")
    specs = [get_dataset(args.dataset)] if args.dataset else list(DATASETS.values())
    for spec in specs:
        local = spec.present_languages(root)
        print(f"\n{spec.name}: {spec.description}")
        print(
            f"  labels: {', '.join(spec.labels)}; splits: {', '.join(spec.splits)}; "
            f"{len(local)} language(s) found locally"
        )
        if not local:
            print(f"  known languages (none local): {' '.join(spec.languages)}")
            continue
        print(f"  {'lang':<6}" + "".join(f"{s:>9}" for s in SPLITS))
        for lang in local:
            assert root is not None
            cells = []
            for split in SPLITS:
                path = spec.local_path(root, lang, split)
                cells.append(f"{count_sentences(path):>9,}" if path.is_file() else f"{'–':>9}")
            print(f"  {lang:<6}" + "".join(cells))
        missing = [x for x in spec.languages if x not in local]
        if missing and spec.per_language:
            print(f"  known but not here: {' '.join(missing)}")
    return 0
