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
from xlner.reference import CITATION, paper_source, reference_table

if TYPE_CHECKING:
    from xlner.runner import RunConfig
    from xlner.units import Target, UnitResult


def _fmt(x: float | None) -> str:
    return "" if x is None else f"{100 * x:.1f}"


def write_tables(
    cfg: RunConfig,
    targets: Sequence[Target],
    methods: Sequence[Method],
    results: Sequence[UnitResult],
    signature: str,
) -> str:
    """Write results.csv, results.md and scores.json; returns results.md's text."""
    langs = [t.lang for t in targets]
    by = {(r.lang, r.method): r for r in results}
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["lang", "data", *[m.name for m in methods]])
    sums: dict[str, list[float]] = {m.name: [] for m in methods}
    for t in targets:
        row = [t.lang, t.data]
        for m in methods:
            r = by.get((t.lang, m.name))
            if r is not None and r.f1 is not None:
                sums[m.name].append(r.f1)
                row.append(f"{r.f1:.6f}")
            else:
                row.append(r.status if r else "")
        writer.writerow(row)
    writer.writerow(["avg", "", *[f"{sum(v) / len(v):.6f}" if v else "" for v in sums.values()]])
    atomic_write_text(cfg.out / "results.csv", buf.getvalue())
    text = results_markdown(cfg, targets, methods, results, signature)
    atomic_write_text(cfg.out / "results.md", text)
    scores = {lang: {r.method: asdict(r) for r in results if r.lang == lang} for lang in langs}
    atomic_write_text(
        cfg.out / "scores.json", json.dumps({"signature": signature, "scores": scores}, indent=1)
    )
    return text


def _stages_line(cfg: RunConfig, methods: Sequence[Method]) -> str:
    st = cfg.stages
    layer = f" (layer {st.aligner_layer})" if st.aligner_layer is not None else ""
    if cfg.source == "gold":
        return (
            "Source: the gold entities of the parallel English sentences (no translator, no "
            f"English tagger). Stages: aligner `{st.aligner}`{layer}, model-transfer tagger "
            f"`{st.mt_tagger}`, candidate tagger `{st.candidate_tagger}`."
        )
    line = (
        f"Stages: translator `{st.translator}`, English tagger `{st.tagger}`, "
        f"model-transfer tagger `{st.mt_tagger}`, candidate tagger "
        f"`{st.candidate_tagger}`, aligner `{st.aligner}`{layer}."
    )
    if any(m.is_english_baseline for m in methods):
        line += (
            " `model-transfer:en` is a baseline: the English tagger applied to the target "
            "text as it is (no multilingual model)."
        )
    return line


def _paper_cell(ref: dict[str, dict[str, float]], t: Target, col: str) -> tuple[str, float | None]:
    val = ref.get(t.lang, {}).get(col)
    if val is None:
        return "–", None
    return _fmt(val) + ("†" if t.split != "test" else ""), val


def _comparable(cfg: RunConfig, m: Method, t: Target) -> bool:
    """Whether the paper's figure for ``m`` on ``t``'s dataset compares with this run: its
    projections started from the same source side (gold English entities on Europarl-NER)."""
    return not m.is_projection or paper_source(t.dataset) == cfg.source


def results_markdown(
    cfg: RunConfig,
    targets: Sequence[Target],
    methods: Sequence[Method],
    results: Sequence[UnitResult],
    signature: str,
) -> str:
    """F1 x 100 per language and method, the paper's figure beside ours where it exists, the
    seconds per 1,000 sentences, lost entities, and an answer written from these numbers."""
    table = _F1Table(cfg, targets, methods, results)
    return "\n".join([f"Signature: `{signature}`", "", *table.lines(), *table.notes()]) + "\n"


#: A column of results.md: its title, the method, and the paper's column (None: ours).
_Column = tuple[str, Method, str | None]


class _F1Table:
    """results.md's table: a row per language, a column per method and per paper figure,
    the averages (over every language, and over those the paper reports), and its notes."""

    def __init__(
        self,
        cfg: RunConfig,
        targets: Sequence[Target],
        methods: Sequence[Method],
        results: Sequence[UnitResult],
    ) -> None:
        self.cfg, self.targets, self.methods, self.results = cfg, targets, methods, results
        self.refs = {t.dataset: reference_table(t.dataset) for t in targets}
        self.by = {(r.lang, r.method): r for r in results}
        aligner = cfg.stages.aligner or ""
        self.cols: list[_Column] = []
        for m in methods:
            self.cols.append((m.label, m, None))
            col = m.paper_column(aligner)
            if col and any(self.refs[t.dataset] for t in targets if _comparable(cfg, m, t)):
                self.cols.append((f"paper {col}", m, col))
        self.mixed = len({t.data for t in targets}) > 1
        # the average over only the languages the paper reports (a like-for-like comparison)
        self.paper_langs = {t.lang for t in targets if self.refs[t.dataset].get(t.lang)}
        self.sums: dict[str, list[float]] = {c[0]: [] for c in self.cols}
        self.shared: dict[str, list[float]] = {c[0]: [] for c in self.cols}

    @property
    def with_paper(self) -> bool:
        return any(c[2] for c in self.cols) and bool(self.paper_langs)

    def lines(self) -> list[str]:
        header = ["lang", *(["data"] if self.mixed else []), *[c[0] for c in self.cols]]
        lines = [
            "| " + " | ".join(header) + " |",
            "|" + "---|" * (2 if self.mixed else 1) + "---:|" * len(self.cols),
        ]
        lines += [self._row(t) for t in self.targets]
        lines.append(self._avg_row("avg", self.sums))
        if self.with_paper:
            n = len(
                {
                    lang
                    for lang in self.paper_langs
                    if any(
                        (r := self.by.get((lang, m.name))) is not None and r.f1 is not None
                        for m in self.methods
                    )
                }
            )
            label = f"avg, {n} language{'s' * (n != 1)} the paper reports"
            lines.append(self._avg_row(label, self.shared))
        return lines

    def _row(self, t: Target) -> str:
        """A language's row; its figures added to the averages."""
        cells = [t.lang, *([t.data] if self.mixed else [])]
        for title, m, col in self.cols:
            r = self.by.get((t.lang, m.name))
            done = r is not None and r.f1 is not None
            if col is not None:
                ref = self.refs[t.dataset] if _comparable(self.cfg, m, t) else {}
                cell, val = _paper_cell(ref, t, col)
                if val is not None and done:
                    self.sums[title].append(val)
                    self.shared[title].append(val)
                cells.append(cell)
                continue
            if r is None:
                cells.append("")
            elif r.f1 is not None:
                self.sums[title].append(r.f1)
                if t.lang in self.paper_langs:
                    self.shared[title].append(r.f1)
                cells.append(_fmt(r.f1))
            else:
                cells.append(r.status)
        return "| " + " | ".join(cells) + " |"

    def _avg_row(self, label: str, table: dict[str, list[float]]) -> str:
        pad = [""] if self.mixed else []
        vals = (table[c[0]] for c in self.cols)
        cells = [f"**{label}**", *pad] + [f"**{_fmt(sum(v) / len(v))}**" if v else "" for v in vals]
        return "| " + " | ".join(cells) + " |"

    def notes(self) -> list[str]:
        cfg, targets, methods = self.cfg, self.targets, self.methods
        scored = ", ".join(cfg.labels) if cfg.labels else "all labels"
        data = "" if self.mixed else f", {targets[0].data}" if targets else ""
        notes = [
            "",
            f"Entity-level F1 × 100 (seqeval, {scored}){data}"
            + (f", first {cfg.limit} sentences per language" if cfg.limit else "")
            + (f", entities scoring below {cfg.min_score:g} dropped" if cfg.min_score else "")
            + ".",
            _stages_line(cfg, methods),
        ]
        if self.with_paper:
            notes.append(
                f"'paper' columns: {CITATION} (released per-language results, on the test "
                "split; averages over the languages scored here)."
            )
            if any(t.split != "test" and t.lang in self.paper_langs for t in targets):
                notes.append(
                    "† the paper's figure is on the test split, ours on the split named in "
                    "`data` (PAN-X has labels for dev only offline): compare with care."
                )
        no_paper = sorted({t.dataset for t in targets if not self.refs[t.dataset]})
        if no_paper:
            empty = " (their 'paper' cells show –)" if any(c[2] for c in self.cols) else ""
            notes.append(f"The paper reports no figures for {', '.join(no_paper)}{empty}.")
        notes += cost_table(targets, methods, self.by)
        notes += lost_table([t.lang for t in targets], methods, self.by)
        for r in self.results:
            if r.status in ("unsupported", "missing"):
                notes.append(f"- {r.lang} / {r.method}: {r.status}: {r.reason}")
        answer = answer_paragraph(targets, methods, self.by)
        if answer:
            notes += ["", "**What this run says.** " + answer]
        return notes


def per_1k(r: UnitResult) -> float | None:
    """Seconds per 1,000 sentences of a finished unit (the sum of its stages)."""
    if r.f1 is None or not r.n_sentences:
        return None
    return 1000 * sum(r.seconds.values()) / r.n_sentences


def cost_table(
    targets: Sequence[Target], methods: Sequence[Method], by: dict[tuple[str, str], UnitResult]
) -> list[str]:
    """Seconds per 1,000 sentences per language and method (each method's stages, shared
    stages counted in every method that uses them; cached stages cost ~0 on a re-run)."""
    rows = []
    for t in targets:
        cells = []
        for m in methods:
            r = by.get((t.lang, m.name))
            cost = per_1k(r) if r is not None else None
            cells.append("" if cost is None else f"{cost:.1f}")
        if any(cells):
            rows.append(f"| {t.lang} | " + " | ".join(cells) + " |")
    if not rows:
        return []
    return [
        "",
        "Seconds per 1,000 sentences (the method's stages as timed in this run; a stage that "
        "several methods share counts in each):",
        "",
        "| lang | " + " | ".join(m.name for m in methods) + " |",
        "|---|" + "---:|" * len(methods),
        *rows,
    ]


def answer_paragraph(
    targets: Sequence[Target], methods: Sequence[Method], by: dict[tuple[str, str], UnitResult]
) -> str:
    """Model transfer against the best projection, language by language, in F1 and seconds —
    written from the run's own results; empty when the run lacks either side."""
    mt = next(
        (m for m in methods if m.kind == "model-transfer" and not m.is_english_baseline), None
    )
    proj = [m for m in methods if m.is_projection]
    if mt is None or not proj:
        return ""
    wins: list[str] = []
    losses: list[str] = []
    gaps: list[float] = []
    ratios: list[float] = []
    for t in targets:
        base = by.get((t.lang, mt.name))
        done = [(r, m) for m in proj if (r := by.get((t.lang, m.name))) and r.f1 is not None]
        if base is None or base.f1 is None or not done:
            continue
        best, m = max(done, key=lambda x: x[0].f1 or 0.0)
        assert best.f1 is not None
        gap = 100 * (best.f1 - base.f1)
        gaps.append(gap)
        (wins if gap > 0 else losses).append(f"{t.lang} ({m.name} {gap:+.1f})")
        c_best, c_base = per_1k(best), per_1k(base)
        if c_best and c_base:
            ratios.append(c_best / c_base)
    if not gaps:
        return ""
    n, mean = len(gaps), sum(gaps) / len(gaps)
    text = (
        f"On {n} language(s), the best projection method per language "
        f"{'beats' if mean > 0 else 'trails'} model transfer by {abs(mean):.1f} F1 on average. "
    )
    if wins:
        text += f"Projection wins on {', '.join(wins)}. "
    if losses:
        text += f"Model transfer wins on {', '.join(losses)}. "
    if ratios:
        lo, hi = min(ratios), max(ratios)
        span = f"{lo:.1f}×" if abs(hi - lo) < 0.05 else f"{lo:.1f}–{hi:.1f}×"
        text += f"That projection costs {span} model transfer's time per sentence. "
    lost = _main_loss(targets, proj, by)
    if lost:
        text += lost
    return text.strip()


def _main_loss(
    targets: Sequence[Target], proj: Sequence[Method], by: dict[tuple[str, str], UnitResult]
) -> str:
    total, counts = 0, {why: 0 for why in LOST_REASONS}
    for t in targets:
        for m in proj:
            r = by.get((t.lang, m.name))
            if r is None or r.f1 is None:
                continue
            total += r.source_entities or 0
            for why in LOST_REASONS:
                counts[why] += r.lost.get(why, 0)
    if not total or not any(counts.values()):
        return ""
    why, n = max(counts.items(), key=lambda x: x[1])
    return (
        f"Of the English entities found, {100 * sum(counts.values()) / total:.0f}% were not "
        f"projected, most for `{why}` ({100 * n / total:.0f}% of all)."
    )


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
