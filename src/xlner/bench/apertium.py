"""Apertium kept running vs one process per call (``xlner bench apertium``): per language pair
and call size, milliseconds per sentence of :class:`~xlner.translate.apertium.ApertiumTranslator`
with ``keep_alive="always"`` (each mode's programs started once, each sentence sent as if
alone) and ``"never"`` (``apertium -u`` per call, the call's sentences in one stream), side by
side on the same sentences; and how many sentences each way translates differently from the
same sentence translated alone — how a pair is found stateless or not (the default keeps
alive only the modes measured stateless).

Calls of a few sentences are what ``xlner serve`` makes (a micro-batch per stage); calls of
hundreds what ``xlner run`` makes (chunks of the translation cache).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from xlner.bench.languages import load_pools, parse_datasets
from xlner.errors import UnsupportedLanguageError
from xlner.languages import PIVOT

if TYPE_CHECKING:
    from xlner.translate.apertium import ApertiumTranslator

Translate = Callable[[Sequence[str], str, str], list[str]]


@dataclass
class PairRow:
    """One pair and call size: ms per sentence each way (fastest of the repeats)."""

    pair: str  # "eu->en"
    mode: str  # the Apertium mode
    kept_alive: bool  # whether xlner runs this mode kept alive by default (measured stateless)
    call_size: int
    sentences: int
    once_ms: float
    kept_ms: float

    @property
    def speedup(self) -> float:
        return self.once_ms / self.kept_ms if self.kept_ms > 0 else float("nan")


@dataclass
class Agreement:
    """Of ``checked`` sentences, how many a call of ``call_size`` translates unlike alone."""

    pair: str
    checked: int
    call_size: int
    once_differs: int
    kept_differs: int


@dataclass
class ApertiumBench:
    rows: list[PairRow]
    agreement: list[Agreement]
    repeats: int
    no_pair_back: list[str]  # with ``back``: languages English is not translated into

    def to_dict(self) -> dict[str, object]:
        rows = [asdict(r) | {"speedup": r.speedup} for r in self.rows]
        return {
            "repeats": self.repeats,
            "rows": rows,
            "agreement": list(map(asdict, self.agreement)),
            "no_pair_back": self.no_pair_back,
        }


def _texts(datasets: str, split: str, data_dir: str | None, n: int) -> dict[str, list[str]]:
    pools = load_pools(parse_datasets(datasets, data_dir), split, data_dir)
    return {
        lang: [" ".join(s.tokens) for s in sents if s.tokens][:n] for lang, sents in pools.items()
    }


def _ms_per_sentence(
    translate: Translate, texts: Sequence[str], size: int, src: str, tgt: str
) -> float:
    start = time.perf_counter()
    for i in range(0, len(texts), size):
        translate(texts[i : i + size], src, tgt)
    return 1000 * (time.perf_counter() - start) / len(texts)


def run_apertium(
    datasets: str = "conll02-es,panx:eu,sli-nerc:gl,uner:hr",
    call_sizes: Sequence[int] = (1, 4, 32, 512),
    sentences: int = 512,
    repeats: int = 3,
    back: bool = False,
    check: int = 30,
    split: str = "auto",
    data_dir: str | None = None,
) -> ApertiumBench:
    """Each language into English (and back from English on its own sentences' translations
    with ``back``): every call size both ways, interleaved, fastest of ``repeats``. Small call
    sizes time the first ``min(sentences, 16 × size)`` sentences (a process per call is slow)."""
    from xlner.translate.apertium import ApertiumTranslator

    once = ApertiumTranslator(keep_alive="never")
    kept = ApertiumTranslator(keep_alive="always")  # measures every mode, stateless or not
    default = ApertiumTranslator()
    work: list[tuple[str, str, list[str]]] = []
    no_pair_back: list[str] = []
    for lang, texts in _texts(datasets, split, data_dir, sentences).items():
        kept.check_languages(lang, PIVOT)
        work.append((lang, PIVOT, texts))
        if back:
            try:
                kept.check_languages(PIVOT, lang)
            except UnsupportedLanguageError:
                no_pair_back.append(lang)
                continue
            work.append((PIVOT, lang, kept.translate(texts, lang, PIVOT)))
    rows: list[PairRow] = []
    agreement: list[Agreement] = []
    for src, tgt, texts in work:
        mode = kept.mode_of(src, tgt)
        kept.translate(texts[:2], src, tgt)  # start the pipeline
        for size in call_sizes:
            part = texts[: min(len(texts), 16 * size)]
            best = {"once": float("inf"), "kept": float("inf")}
            for _ in range(repeats):
                for name, tr in (("once", once), ("kept", kept)):
                    best[name] = min(
                        best[name], _ms_per_sentence(tr.translate, part, size, src, tgt)
                    )
            rows.append(
                PairRow(
                    f"{src}->{tgt}",
                    mode,
                    default.keeps_alive(mode),
                    size,
                    len(part),
                    best["once"],
                    best["kept"],
                )
            )
        agreement.append(_agreement(once, kept, texts, src, tgt, check, max(call_sizes)))
    return ApertiumBench(rows, agreement, repeats, no_pair_back)


def _agreement(
    once: ApertiumTranslator,
    kept: ApertiumTranslator,
    texts: Sequence[str],
    src: str,
    tgt: str,
    check: int,
    size: int,
) -> Agreement:
    """The first ``check`` sentences translated alone vs inside one call of ``size``."""
    call = list(texts[:size])
    alone = [once.translate([t], src, tgt)[0] for t in call[:check]]
    in_once = once.translate(call, src, tgt)[:check]
    in_kept = kept.translate(call, src, tgt)[:check]
    return Agreement(
        f"{src}->{tgt}",
        len(alone),
        len(call),
        sum(a != b for a, b in zip(alone, in_once)),
        sum(a != b for a, b in zip(alone, in_kept)),
    )


def format_apertium(bench: ApertiumBench) -> str:
    lines = [
        "| pair | mode | sentences per call | sentences | one process per call (ms/sent.) "
        "| kept running (ms/sent.) | speed-up |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in bench.rows:
        kept = f"{r.kept_ms:.2f}" if r.kept_alive else f"{r.kept_ms:.2f} (default: per call)"
        lines.append(
            f"| {r.pair} | {r.mode} | {r.call_size} | {r.sentences} | {r.once_ms:.2f} | {kept} "
            f"| {r.speedup:.1f}× |"
        )
    lines += [
        "",
        "Sentences translated unlike the same sentence alone, inside one call:",
        "",
        "| pair | checked | call of | one process per call | kept running |",
        "|---|---:|---:|---:|---:|",
    ]
    for a in bench.agreement:
        lines.append(
            f"| {a.pair} | {a.checked} | {a.call_size} | {a.once_differs} | {a.kept_differs} |"
        )
    if bench.no_pair_back:
        lines += ["", f"No Apertium pair from English into: {', '.join(bench.no_pair_back)}."]
    return "\n".join(lines)
