"""The reference paper's released per-language F1 (see README.md in this folder)."""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources

CITATION = (
    "Politov et al. (2025), Revisiting Projection-based Data Transfer for Cross-Lingual NER "
    "in Low-Resource Languages, NoDaLiDa 2025"
)

_FILES = {
    "masakhaner2": "paper_masakhaner2_f1.csv",
    "panx": "paper_panx_f1.csv",
    "europarl": "paper_europarl_f1.csv",
}
#: Datasets whose paper projections start from gold English entities of parallel sentences
#: (no translation): their projection columns compare only with ``xlner run --source gold``.
GOLD_SOURCE = ("europarl",)


def paper_source(dataset: str) -> str:
    """``gold`` where the paper projected gold English entities, else ``mt``."""
    return "gold" if dataset in GOLD_SOURCE else "mt"


@cache
def reference_table(dataset: str) -> dict[str, dict[str, float]]:
    """``{lang: {column: f1}}`` for a dataset, or ``{}`` when the paper has no table for it."""
    name = _FILES.get(dataset)
    if name is None:
        return {}
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    rows = csv.DictReader(text.splitlines())
    return {
        r["lang"]: {k: float(v) for k, v in r.items() if k != "lang" and v not in ("", None)}
        for r in rows
    }
