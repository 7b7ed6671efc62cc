"""The tables of a run: ``results.csv``, ``results.md`` (the paper's figure beside ours, the
signature on top, lost entities per reason) and ``scores.json``."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING

from xlner.io.atomic import atomic_write_text
from xlner.methods import Method
from xlner.project.base import LOST_REASONS
from xlner.reference import CITATION, reference_table

if TYPE_CHECKING:
    from xlner.runner import RunConfig, UnitResult


def _fmt(x: float | None) -> str:
    return "" if x is None else f"{100 * x:.1f}"


def write_tables(
    cfg: RunConfig,
    langs: Sequence[str],
    methods: Sequence[Method],
    results: Sequence[UnitResult],
    signature: str,
) -> None:
    by = {(r.lang, r.method): r for r in results}
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["lang", *[m.name for m in methods]])
    sums: dict[str, list[float]] = {m.name: [] for m in methods}
    for lang in langs:
        row = [lang]
        for m in methods:
            r = by.get((lang, m.name))
            if r is not None and r.f1 is not None:
                sums[m.name].append(r.f1)
                row.append(f"{r.f1:.6f}")
            else:
                row.append(r.status if r else "")
        writer.writerow(row)
    writer.writerow(["avg", *[f"{sum(v) / len(v):.6f}" if v else "" for v in sums.values()]])
    atomic_write_text(cfg.out / "results.csv", buf.getvalue())
    atomic_write_text(
        cfg.out / "results.md", results_markdown(cfg, langs, methods, results, signature)
    )
    scores = {lang: {r.method: asdict(r) for r in results if r.lang == lang} for lang in langs}
    atomic_write_text(
        cfg.out / "scores.json", json.dumps({"signature": signature, "scores": scores}, indent=1)
    )


def _stages_line(cfg: RunConfig) -> str:
    st = cfg.stages
    layer = f" (layer {st.layer})" if st.layer is not None else ""
    return (
        f"Stages: translator `{st.translator}`, English tagger `{st.tagger}`, "
        f"model-transfer tagger `{st.mt_tagger}`, candidate tagger "
        f"`{st.candidate_tagger}`, aligner `{st.aligner}`{layer}."
    )


def results_markdown(
    cfg: RunConfig,
    langs: Sequence[str],
    methods: Sequence[Method],
    results: Sequence[UnitResult],
    signature: str,
) -> str:
    """F1 x 100 per language and method, the paper's figure beside ours where it exists."""
    ref = reference_table(cfg.dataset)
    by = {(r.lang, r.method): r for r in results}
    cols: list[tuple[str, Method, str | None]] = []
    for m in methods:
        cols.append((m.name, m, None))
        col = m.paper_column(cfg.stages.aligner or "")
        if col and ref:
            cols.append((f"paper {col}", m, col))
    header = ["lang", *[c[0] for c in cols]]
    lines = [
        f"Signature: `{signature}`",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" + "---:|" * len(cols),
    ]
    sums: dict[str, list[float]] = {c[0]: [] for c in cols}
    # the same average over only the languages the paper reports (a like-for-like comparison)
    paper_langs = {lang for lang in langs if ref.get(lang)}
    shared: dict[str, list[float]] = {c[0]: [] for c in cols}
    for lang in langs:
        cells = [lang]
        for title, m, col in cols:
            r = by.get((lang, m.name))
            done = r is not None and r.f1 is not None
            if col is not None:
                val = ref.get(lang, {}).get(col)
                if val is not None and done:
                    sums[title].append(val)
                    shared[title].append(val)
                cells.append(_fmt(val) if val is not None else "–")
                continue
            if r is None:
                cells.append("")
            elif r.f1 is not None:
                sums[title].append(r.f1)
                if lang in paper_langs:
                    shared[title].append(r.f1)
                cells.append(_fmt(r.f1))
            else:
                cells.append(r.status)
        lines.append("| " + " | ".join(cells) + " |")

    def avg_row(label: str, table: dict[str, list[float]]) -> str:
        vals = (table[c[0]] for c in cols)
        return (
            f"| **{label}** | "
            + " | ".join(f"**{_fmt(sum(v) / len(v))}**" if v else "" for v in vals)
            + " |"
        )

    lines.append(avg_row("avg", sums))
    if any(c[2] for c in cols):
        n = len(
            {
                lang
                for lang in paper_langs
                if any(
                    (r := by.get((lang, m.name))) is not None and r.f1 is not None for m in methods
                )
            }
        )
        lines.append(avg_row(f"avg, {n} languages the paper reports", shared))
    scored = ", ".join(cfg.labels) if cfg.labels else "all labels"
    notes = [
        "",
        f"Entity-level F1 × 100 (seqeval, {scored}), {cfg.dataset} {cfg.split}"
        + (f", first {cfg.limit} sentences per language" if cfg.limit else "")
        + (f", entities scoring below {cfg.min_score:g} dropped" if cfg.min_score else "")
        + ".",
        _stages_line(cfg),
    ]
    if any(c[2] for c in cols):
        notes.append(
            f"'paper' columns: {CITATION} (released per-language results; averages "
            "over the languages scored here)."
        )
    notes += lost_table(langs, methods, by)
    for r in results:
        if r.status in ("unsupported", "missing"):
            notes.append(f"- {r.lang} / {r.method}: {r.status}: {r.reason}")
    return "\n".join(lines + notes) + "\n"


def lost_table(
    langs: Sequence[str], methods: Sequence[Method], by: dict[tuple[str, str], UnitResult]
) -> list[str]:
    """Source entities not projected, per reason (sums over the languages)."""
    rows = []
    for m in methods:
        units = [r for lang in langs if (r := by.get((lang, m.name))) and r.f1 is not None]
        if not m.is_projection or not units:
            continue
        total = sum(r.source_entities or 0 for r in units)
        counts = {why: sum(r.lost.get(why, 0) for r in units) for why in LOST_REASONS}
        lost = sum(counts.values())
        share = f"{100 * lost / total:.1f}%" if total else "–"
        rows.append(
            f"| {m.name} | {total} | {lost} ({share}) | "
            + " | ".join(str(counts[w]) for w in LOST_REASONS)
            + " |"
        )
    if not rows:
        return []
    return [
        "",
        "Source entities not projected, by reason (the entities themselves are in "
        "`lost/<lang>/<method>.jsonl`):",
        "",
        "| method | source entities | lost | " + " | ".join(LOST_REASONS) + " |",
        "|---|---:|---:|" + "---:|" * len(LOST_REASONS),
        *rows,
    ]
