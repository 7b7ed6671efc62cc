"""The F1 each method reached, for ``xlner plan``: the paper's released per-language figures
(:mod:`xlner.reference`) and xlner's own measured runs (``resources/measured_f1.csv``, copied
from docs/results.md), averaged over the languages asked about.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

from xlner.bench.costmodel import MODEL_TRANSFER, TRANSLATE_TEST, MethodCost

#: Where the paper's figures come from, in order of preference for a language.
PAPER_DATASETS = ("masakhaner2", "panx", "europarl")
PAPER_ALIGNER = "simalign"  # the paper's figures shown are those with SimAlign (mBERT)
#: The setups of xlner's own measured F1 (resources/measured_f1.csv).
SETUPS = ("e5-small", "offline")


@dataclass(frozen=True)
class Quality:
    f1: float  # x 100, averaged over ``langs``
    langs: tuple[str, ...]
    dataset: str

    def cell(self) -> str:
        where = self.langs[0] if len(self.langs) == 1 else f"{len(self.langs)} langs"
        return f"{self.f1:.1f} ({where})"


def iso3(code: str) -> str:
    """A language code's ISO 639-3 form (how a bench's and a table's languages are matched)."""
    from xlner.languages import get_language

    return get_language(code).iso3


@cache
def _measured() -> list[dict[str, str]]:
    text = resources.files("xlner.resources").joinpath("measured_f1.csv").read_text("utf-8")
    return list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))


def paper_column(m: MethodCost) -> str | None:
    """The paper's column for a method (the paper ran no translate-train)."""
    from xlner.methods import Method

    if m.family == MODEL_TRANSFER:
        return "model_transfer"
    if m.family != TRANSLATE_TEST:
        return None
    return Method.parse(m.name).paper_column(PAPER_ALIGNER)


def paper_quality(m: MethodCost, codes: Sequence[str]) -> Quality | None:
    """The paper's F1 for ``m``, averaged over ``codes`` (each from the first dataset that has
    it), or over all MasakhaNER 2.0 languages when no codes are given."""
    from xlner.reference import reference_table

    col = paper_column(m)
    if col is None:
        return None
    if not codes:
        table = reference_table("masakhaner2")
        vals = {k: v[col] for k, v in table.items() if col in v}
        return _quality(vals, "masakhaner2")
    found: dict[str, float] = {}
    datasets = set()
    for code in codes:
        iso = iso3(code)
        for ds in PAPER_DATASETS:
            row = next((v for k, v in reference_table(ds).items() if iso3(k) == iso), None)
            if row is not None and col in row:
                found[code] = row[col]
                datasets.add(ds)
                break
    return _quality(found, "+".join(sorted(datasets)))


def our_quality(m: MethodCost, codes: Sequence[str], setup: str) -> Quality | None:
    """xlner's own measured F1 for ``m`` in ``setup``, averaged over ``codes`` (none given:
    over MasakhaNER 2.0 where measured there, else wherever it was measured)."""
    rows = [
        r
        for r in _measured()
        if r["family"] == m.family and r["method"] == m.name and r["setup"] == setup
    ]
    if codes:
        isos = {iso3(c): c for c in codes}
        rows = [r for r in rows if iso3(r["lang"]) in isos]
    elif any(r["dataset"] == "masakhaner2" for r in rows):
        rows = [r for r in rows if r["dataset"] == "masakhaner2"]
    vals = {r["lang"]: float(r["f1"]) / 100 for r in rows}
    return _quality(vals, "+".join(sorted({r["dataset"] for r in rows})))


def _quality(values: dict[str, float], dataset: str) -> Quality | None:
    if not values:
        return None
    return Quality(100 * sum(values.values()) / len(values), tuple(sorted(values)), dataset)
