"""Alignment quality against hand-aligned gold: precision, recall, F1 and AER
(Och & Ney 2003; with sure links only, AER = 1 - 2|A∩S| / (|A| + |S|)).

``xlner`` ships a small hand-checked gold set (``resources/align_gold.tsv``: en-es, en-sw,
en-de) written for its tests and for choosing an encoder layer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

from xlner.data import Alignment


@dataclass
class GoldPair:
    lang: str
    src: list[str]
    tgt: list[str]
    links: Alignment


def load_gold_alignments(langs: Sequence[str] | None = None) -> list[GoldPair]:
    text = resources.files("xlner.resources").joinpath("align_gold.tsv").read_text("utf-8")
    out = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        lang, src, tgt, links = line.split("\t")
        if langs is None or lang in langs:
            out.append(GoldPair(lang, src.split(), tgt.split(), Alignment.from_pharaoh(links)))
    return out


def alignment_scores(pred: Sequence[Alignment], gold: Sequence[Alignment]) -> dict[str, float]:
    """Micro precision / recall / F1 / AER over all pairs."""
    a = s = both = 0
    for p, g in zip(pred, gold):
        ps, gs = p.as_set(), g.as_set()
        a += len(ps)
        s += len(gs)
        both += len(ps & gs)
    precision = both / a if a else 0.0
    recall = both / s if s else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    aer = 1.0 - 2 * both / (a + s) if a + s else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "aer": aer, "links": a}
