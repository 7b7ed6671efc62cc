"""Where to cut length-sorted rows into batches (``xlner bench batching``): an encoder tagging
the first N sentences of each language with the greedy cut (each batch filled up to the token
budget) and with the cheapest cut for each per-batch cost
(:func:`~xlner.models.subwords.token_batches`), side by side on the same sentences: seconds
(fastest of the repeats, interleaved), padded tokens over real ones, and how many sentences'
entities differ from the greedy cut's (int8 runtimes' results depend on a batch's other rows).

The per-batch cost of :data:`~xlner.models.runtime.DEFAULT_BATCH_COST` was chosen with it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from xlner.bench.languages import load_pools, parse_datasets


@dataclass
class CutRow:
    """One language, number of sentences and cut: tagging time and padding."""

    lang: str
    sentences: int
    cut: str  # "greedy" or "cost N"
    seconds: float
    padded: float  # padded tokens / real tokens
    batches: int
    x_greedy: float  # greedy seconds / these seconds
    same_entities: int  # sentences tagged with the greedy cut's entities


def _cut_name(cost: int | None) -> str:
    return "greedy" if cost is None else f"cost {cost}"


def _padding(tagger: Any, words: Sequence[Sequence[str]]) -> tuple[float, int]:
    """Padded over real subwords (special tokens included) of the tagger's batches, and how
    many batches (of one call: sizes up to the tagger's block, 1,024 sentences, are cut as
    ``tag`` cuts them)."""
    padded = real = batches = 0
    for _, enc in tagger.batches(words):
        padded += enc.attention_mask.size
        real += int(enc.attention_mask.sum())
        batches += 1
    return padded / max(real, 1), batches


def run_batching(
    model: str,
    datasets: str = "conll02-es,panx:eu,uner:hr",
    sizes: Sequence[int] = (20, 100, 800),
    costs: Sequence[int | None] = (None, 0, 16, 64, 256),
    repeats: int = 3,
    runtime: str = "auto",
    split: str = "auto",
    data_dir: str | None = None,
) -> list[CutRow]:
    """Time ``model`` tagging each language's first ``sizes`` sentences with each cut."""
    from xlner.tag.hf import HFTagger

    pools = load_pools(parse_datasets(datasets, data_dir), split, data_dir)
    tagger = HFTagger(model, device="cpu", runtime=runtime)
    cuts = list(dict.fromkeys([None, *(c for c in costs if c is not None)]))
    rows: list[CutRow] = []
    for lang, sents in pools.items():
        for n in sizes:
            words = [s.tokens for s in sents if s.tokens][:n]
            tagger.tag(words[:8])  # load, warm
            best = dict.fromkeys(cuts, float("inf"))
            spans: dict[int | None, list[Any]] = {}
            for _ in range(repeats):
                for cost in cuts:
                    tagger.batch_cost = cost
                    start = time.perf_counter()
                    spans[cost] = tagger.tag(words)
                    best[cost] = min(best[cost], time.perf_counter() - start)
            for cost in cuts:
                tagger.batch_cost = cost
                padded, batches = _padding(tagger, words)
                same = sum(a == b for a, b in zip(spans[cost], spans[None]))
                rows.append(
                    CutRow(
                        lang,
                        len(words),
                        _cut_name(cost),
                        best[cost],
                        padded,
                        batches,
                        best[None] / best[cost],
                        same,
                    )
                )
    return rows


def to_dict(rows: Sequence[CutRow], model: str, repeats: int) -> dict[str, object]:
    return {"model": model, "repeats": repeats, "rows": [asdict(r) for r in rows]}


def format_batching(rows: Sequence[CutRow]) -> str:
    lines = [
        "| lang | sentences | cut | seconds | × greedy | padded / real | batches | same entities |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.lang} | {r.sentences} | {r.cut} | {r.seconds:.2f} | {r.x_greedy:.2f} | "
            f"{r.padded:.2f} | {r.batches} | {r.same_entities}/{r.sentences} |"
        )
    return "\n".join(lines)
