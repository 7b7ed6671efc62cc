"""``xlner run``: datasets x languages x methods, resumable, with paper-style tables.

For each language x method the runner writes ``predictions/<lang>/<method>.conll`` and
``scores/<lang>/<method>.json`` (written last: its presence marks the unit done, so a re-run
skips it and a killed run loses at most the unit in progress). Translations are cached in
SQLite and English tags / alignments / candidates per stage (:mod:`xlner.memo`), so methods
sharing stages compute them once. At the end ``results.csv``, ``results.md`` and
``scores.json`` are rebuilt from every finished unit.
"""

from __future__ import annotations

import csv
import io
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from xlner.data import REFERENCE_LABELS, Sentence
from xlner.datasets import get_dataset, load_dataset, resolve_languages
from xlner.errors import UnsupportedLanguageError, XlnerError
from xlner.evaluate import evaluate
from xlner.io.atomic import atomic_write_text
from xlner.io.conll import write_conll
from xlner.memo import StageMemo
from xlner.reference import CITATION, reference_table
from xlner.stages import MODEL_TRANSFER, MethodSpec, StageConfig, Stages


@dataclass
class RunConfig:
    dataset: str
    langs: list[str] | str
    methods: list[str]
    out: Path
    stages: StageConfig = field(default_factory=StageConfig)
    split: str = "test"
    matching: str = "greedy"
    data_dir: str | None = None
    limit: int | None = None
    labels: list[str] | None = field(default_factory=lambda: list(REFERENCE_LABELS))  # None: all
    show_progress: bool = True

    def __post_init__(self) -> None:
        self.out = Path(self.out)

    def identity(self) -> dict[str, Any]:
        """What must match for a re-run in the same folder to resume it."""
        return {
            "dataset": self.dataset,
            "split": self.split,
            "limit": self.limit,
            "labels": None if self.labels is None else list(self.labels),
            **self.stages.identity(),
        }


@dataclass
class UnitResult:
    lang: str
    method: str
    status: str  # done | unsupported | missing | failed
    reason: str = ""
    scores: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    n_sentences: int = 0


def _say(cfg: RunConfig, text: str) -> None:
    if cfg.show_progress:
        print(text, file=sys.stderr, flush=True)


def run_unit(
    cfg: RunConfig,
    stages: Stages,
    memo: StageMemo,
    lang: str,
    method: MethodSpec,
    gold: list[Sentence],
) -> UnitResult:
    from xlner import pipelines
    from xlner.timing import Timer

    timer = Timer()
    if method.kind == MODEL_TRANSFER:
        res = pipelines.model_transfer(gold, stages.mt_tagger, timer=timer, memo=memo)
    else:
        res = pipelines.translate_test(
            gold,
            lang,
            stages.translator,
            stages.source_tagger,
            stages.aligner,
            stages.projector(method),
            backtranslate=method.backtranslate,
            candidate_tagger=stages.candidate_tagger,
            timer=timer,
            memo=memo,
        )
    pred = res.sentences(gold)
    scores = evaluate(gold, pred, labels=cfg.labels)
    write_conll(pred, cfg.out / "predictions" / lang / f"{_file_name(method.name)}.conll")
    result = UnitResult(
        lang,
        method.name,
        "done",
        scores=scores.to_dict(),
        seconds={k: round(v, 4) for k, v in timer.seconds.items()},
        n_sentences=len(gold),
    )
    if "lost_entities" in res.info:
        result.scores["lost_entities"] = res.info["lost_entities"]
    atomic_write_text(_unit_path(cfg, lang, method.name), json.dumps(asdict(result), indent=1))
    return result


def _file_name(method: str) -> str:
    return method.replace(":", "-")


def _unit_path(cfg: RunConfig, lang: str, method: str) -> Path:
    return cfg.out / "scores" / lang / f"{_file_name(method)}.json"


def _check_identity(cfg: RunConfig) -> None:
    path = cfg.out / "run.json"
    ident = cfg.identity()
    if path.is_file():
        old = json.loads(path.read_text(encoding="utf-8"))
        if old != ident:
            diff = ", ".join(
                f"{k}: {old.get(k)!r} -> {ident[k]!r}" for k in ident if old.get(k) != ident[k]
            )
            raise XlnerError(
                f"{cfg.out} holds a run with another configuration ({diff}); "
                "use a new --out folder to start a different run"
            )
    else:
        atomic_write_text(path, json.dumps(ident, indent=1))


def run_experiment(cfg: RunConfig) -> list[UnitResult]:
    spec = get_dataset(cfg.dataset)
    langs = resolve_languages(spec, cfg.langs)
    methods = [MethodSpec.parse(m, cfg.matching) for m in cfg.methods]
    if len({m.name for m in methods}) != len(methods):
        raise XlnerError("a method is listed twice in --methods")
    cfg.out.mkdir(parents=True, exist_ok=True)
    _check_identity(cfg)
    stages = Stages(cfg.stages)
    memo = StageMemo(cfg.out / "cache")
    results: list[UnitResult] = []
    for lang in langs:
        gold: list[Sentence] | None = None
        for method in methods:
            done = _unit_path(cfg, lang, method.name)
            if done.is_file():
                results.append(UnitResult(**json.loads(done.read_text(encoding="utf-8"))))
                _say(cfg, f"[{lang}] {method.name}: done earlier, skipped")
                continue
            try:
                if gold is None:
                    gold = load_dataset(cfg.dataset, lang, cfg.split, cfg.data_dir)
                    if cfg.limit:
                        gold = gold[: cfg.limit]
                if method.kind != MODEL_TRANSFER:
                    stages.translator.check_languages(lang, "en")
                start = time.perf_counter()
                unit = run_unit(cfg, stages, memo, lang, method, gold)
                f1 = unit.scores["overall"]["f1"]
                _say(
                    cfg,
                    f"[{lang}] {method.name}: F1 {f1:.4f} "
                    f"({time.perf_counter() - start:.1f} s, {len(gold)} sentences)",
                )
            except UnsupportedLanguageError as e:
                unit = UnitResult(lang, method.name, "unsupported", str(e))
                _say(cfg, f"[{lang}] {method.name}: unsupported: {e}")
            except XlnerError as e:
                if "not found; looked in" not in str(e):
                    raise
                unit = UnitResult(lang, method.name, "missing", str(e))
                _say(cfg, f"[{lang}] {method.name}: data missing: {e}")
            results.append(unit)
    write_tables(cfg, langs, methods, results)
    return results


# --------------------------------------------------------------------------- tables


def _fmt(x: float | None) -> str:
    return "" if x is None else f"{100 * x:.1f}"


def results_rows(
    cfg: RunConfig,
    langs: Sequence[str],
    methods: Sequence[MethodSpec],
    results: Sequence[UnitResult],
) -> list[dict[str, Any]]:
    by = {(r.lang, r.method): r for r in results}
    rows = []
    for lang in langs:
        row: dict[str, Any] = {"lang": lang}
        for m in methods:
            r = by.get((lang, m.name))
            row[m.name] = (
                r.scores["overall"]["f1"] if r and r.status == "done" else (r.status if r else "")
            )
        rows.append(row)
    avg: dict[str, Any] = {"lang": "avg"}
    for m in methods:
        vals = [row[m.name] for row in rows if isinstance(row[m.name], float)]
        avg[m.name] = sum(vals) / len(vals) if vals else ""
    rows.append(avg)
    return rows


def write_tables(
    cfg: RunConfig,
    langs: Sequence[str],
    methods: Sequence[MethodSpec],
    results: Sequence[UnitResult],
) -> None:
    rows = results_rows(cfg, langs, methods, results)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["lang", *[m.name for m in methods]])
    for row in rows:
        writer.writerow(
            [
                row["lang"],
                *[
                    f"{row[m.name]:.6f}" if isinstance(row[m.name], float) else row[m.name]
                    for m in methods
                ],
            ]
        )
    atomic_write_text(cfg.out / "results.csv", buf.getvalue())
    atomic_write_text(cfg.out / "results.md", results_markdown(cfg, langs, methods, results))
    scores = {lang: {r.method: asdict(r) for r in results if r.lang == lang} for lang in langs}
    atomic_write_text(cfg.out / "scores.json", json.dumps(scores, indent=1))


def _stages_line(st: StageConfig) -> str:
    layer = f" (layer {st.layer})" if st.layer is not None else ""
    return (
        f"Stages: translator `{st.translator}`, English tagger `{st.tagger}`, "
        f"model-transfer tagger `{st.mt_tagger}`, candidate tagger "
        f"`{st.candidate_tagger}`, aligner `{st.aligner}`{layer}."
    )


def results_markdown(
    cfg: RunConfig,
    langs: Sequence[str],
    methods: Sequence[MethodSpec],
    results: Sequence[UnitResult],
) -> str:
    """F1 x 100 per language and method, the paper's figure beside ours where it exists."""
    ref = reference_table(cfg.dataset)
    by = {(r.lang, r.method): r for r in results}
    cols: list[tuple[str, MethodSpec, str | None]] = []
    for m in methods:
        cols.append((m.name, m, None))
        col = m.paper_column(cfg.stages.aligner or "")
        if col and ref:
            cols.append((f"paper {col}", m, col))
    header = ["lang", *[c[0] for c in cols]]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" + "---:|" * len(cols)]
    sums: dict[str, list[float]] = {c[0]: [] for c in cols}
    # the same average over only the languages the paper reports (a like-for-like comparison)
    paper_langs = {lang for lang in langs if ref.get(lang)}
    shared: dict[str, list[float]] = {c[0]: [] for c in cols}
    for lang in langs:
        cells = [lang]
        for title, m, col in cols:
            r = by.get((lang, m.name))
            done = r is not None and r.status == "done"
            if col is not None:
                val = ref.get(lang, {}).get(col)
                if val is not None and done:
                    sums[title].append(val)
                    shared[title].append(val)
                cells.append(_fmt(val) if val is not None else "–")
                continue
            if r is None:
                cells.append("")
            elif done:
                f1 = r.scores["overall"]["f1"]
                sums[title].append(f1)
                if lang in paper_langs:
                    shared[title].append(f1)
                cells.append(_fmt(f1))
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
                    (r := by.get((lang, m.name))) is not None and r.status == "done"
                    for m in methods
                )
            }
        )
        lines.append(avg_row(f"avg, {n} languages the paper reports", shared))
    scored = ", ".join(cfg.labels) if cfg.labels else "all labels"
    notes = [
        "",
        f"Entity-level F1 × 100 (seqeval, {scored}), {cfg.dataset} {cfg.split}"
        + (f", first {cfg.limit} sentences per language" if cfg.limit else "")
        + ".",
        _stages_line(cfg.stages),
    ]
    if any(c[2] for c in cols):
        notes.append(
            f"'paper' columns: {CITATION} (released per-language results; averages "
            "over the languages scored here)."
        )
    unsupported = [r for r in results if r.status in ("unsupported", "missing")]
    for r in unsupported:
        notes.append(f"- {r.lang} / {r.method}: {r.status}: {r.reason}")
    return "\n".join(lines + notes) + "\n"
