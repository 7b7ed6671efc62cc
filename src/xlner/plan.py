"""``xlner plan``: for a user's languages, sentences per language and hardware (a bench JSON
measured on it), each method's total time and price, the break-even volume at which
translate-train becomes cheaper than translate-test, and the quality each method reached.

Reads a bench JSON only: no model loads and no torch import (numpy, and matplotlib for the
PNG), so it answers in well under a second. The costs come from
:mod:`xlner.bench.costmodel`; the quality from the paper's released figures
(:mod:`xlner.reference`) and xlner's own measured runs (``resources/measured_f1.csv``, copied
from docs/results.md).
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from xlner.bench.costmodel import (
    MODEL_TRANSFER,
    TRANSLATE_TEST,
    TRANSLATE_TRAIN,
    CostModel,
    MethodCost,
    bench_languages,
    break_even,
    counterpart,
    duration,
    fit_bench,
    fit_languages,
    mix,
    validate,
)
from xlner.errors import XlnerError

#: Bench JSONs shipped with xlner, measured on its development machine (2 CPU cores).
EXAMPLES = {
    "cpu-2core-offline": "bench-cpu-2core-offline.json",
    "cpu-2core-arch": "bench-cpu-2core-arch.json",
    "cpu-2core-langs": "bench-cpu-2core-langs.json",
}
#: Where the paper's figures come from, in order of preference for a language.
PAPER_DATASETS = ("masakhaner2", "panx", "europarl")
PAPER_ALIGNER = "simalign"  # the paper's figures shown are those with SimAlign (mBERT)
SETUPS = ("e5-small", "offline")


# --------------------------------------------------------------------------- inputs


def load_bench(spec: str) -> tuple[dict[str, Any], str]:
    """A bench JSON from a path or the name of a shipped example; and its display name."""
    if spec in EXAMPLES:
        text = resources.files("xlner.resources").joinpath(EXAMPLES[spec]).read_text("utf-8")
        where = f"{spec} (shipped example)"
    else:
        path = Path(spec)
        if not path.is_file():
            names = ", ".join(EXAMPLES)
            raise XlnerError(
                f"bench JSON {spec} not found; give the bench.json written by `xlner bench "
                f"pipeline --out DIR`, or a shipped example: {names}"
            )
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise XlnerError(f"cannot read {spec}: {e}") from None
        where = str(path)
    try:
        bench = json.loads(text)
    except json.JSONDecodeError as e:
        raise XlnerError(f"{where}: not a JSON file ({e.msg}, line {e.lineno})") from None
    if not isinstance(bench, dict) or "cost_points" not in bench:
        raise XlnerError(
            f"{where}: not a bench JSON with the cost model's runs (no 'cost_points'); make one "
            "with `xlner bench pipeline` (this xlner version)"
        )
    return bench, where


def parse_languages(text: str) -> tuple[int, list[str]]:
    """``40`` -> (40, []); ``hau,yor`` -> (2, ["hau", "yor"]) (checked ISO/NLLB codes)."""
    from xlner.languages import get_language

    text = text.strip()
    if text.lstrip("+-").isdigit():
        n = int(text)
        if n < 1:
            raise XlnerError(f"--langs: the number of languages must be at least 1, got {n}")
        return n, []
    codes = [c.strip() for c in text.split(",") if c.strip()]
    if not codes:
        raise XlnerError("--langs: give a number of languages or comma-separated codes")
    for c in codes:
        get_language(c, require_nllb=True)
    if len(set(codes)) != len(codes):
        raise XlnerError(f"--langs lists a language twice: {text}")
    return len(codes), codes


# --------------------------------------------------------------------------- quality


@dataclass(frozen=True)
class Quality:
    f1: float  # x 100, averaged over ``langs``
    langs: tuple[str, ...]
    dataset: str

    def cell(self) -> str:
        where = self.langs[0] if len(self.langs) == 1 else f"{len(self.langs)} langs"
        return f"{self.f1:.1f} ({where})"


def _iso3(code: str) -> str:
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
        iso = _iso3(code)
        for ds in PAPER_DATASETS:
            row = next((v for k, v in reference_table(ds).items() if _iso3(k) == iso), None)
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
        isos = {_iso3(c): c for c in codes}
        rows = [r for r in rows if _iso3(r["lang"]) in isos]
    elif any(r["dataset"] == "masakhaner2" for r in rows):
        rows = [r for r in rows if r["dataset"] == "masakhaner2"]
    vals = {r["lang"]: float(r["f1"]) / 100 for r in rows}
    return _quality(vals, "+".join(sorted({r["dataset"] for r in rows})))


def _quality(values: dict[str, float], dataset: str) -> Quality | None:
    if not values:
        return None
    return Quality(100 * sum(values.values()) / len(values), tuple(sorted(values)), dataset)


# --------------------------------------------------------------------------- languages


@dataclass(frozen=True)
class LanguageCost:
    """Where one requested language's cost comes from."""

    code: str
    measured: str | None  # the bench language whose own runs give its cost; None: extrapolated
    model: CostModel

    @property
    def words_per_sentence(self) -> float:
        return self.model.words_per_sentence


def language_costs(
    bench: dict[str, Any], pooled: CostModel, codes: Sequence[str]
) -> list[LanguageCost]:
    """Each code's cost model: the bench language's own fit where the bench timed that
    language (matched by ISO 639-3), else ``pooled`` (the fit over all its languages)."""
    own = fit_languages(bench)
    by_iso: dict[str, str] = {}
    for name in own:
        with contextlib.suppress(XlnerError):
            by_iso[_iso3(name)] = name
    out = []
    for code in codes:
        lang = by_iso.get(_iso3(code))
        out.append(LanguageCost(code, lang, own[lang] if lang else pooled))
    return out


def _pooled(bench: dict[str, Any], words_per_sentence: float | None) -> CostModel:
    model = fit_bench(bench)
    if words_per_sentence is None:
        return model
    if words_per_sentence <= 0:
        raise XlnerError(f"--words-per-sentence must be positive, got {words_per_sentence}")
    return model.with_length(words_per_sentence)


# --------------------------------------------------------------------------- the plan


@dataclass
class MethodPlan:
    method: MethodCost
    seconds: float
    usd: float | None
    once_s: float  # per language
    per_1000_s: float  # tagging, per 1,000 sentences at the requested volume
    paper: Quality | None
    ours: Quality | None


@dataclass
class CostPlan:
    languages: int
    codes: list[str]
    sentences: int
    usd_per_hour: float
    bench_name: str
    bench: dict[str, Any]
    model: CostModel
    rows: list[MethodPlan]
    #: (translate-test method, translate-train method, break-even sentences per language)
    break_even: list[tuple[MethodCost, MethodCost, float | None]]
    validation: dict[str, Any]
    setup: str
    notes: list[str] = field(default_factory=list)
    #: per requested code, measured or extrapolated (empty for a count of languages)
    per_language: list[LanguageCost] = field(default_factory=list)
    pooled: CostModel | None = None  # what unmeasured languages cost
    bench_languages: list[str] = field(default_factory=list)

    @property
    def extrapolated(self) -> list[str]:
        return [x.code for x in self.per_language if x.measured is None]

    def cheapest(self) -> MethodPlan:
        return min(self.rows, key=lambda r: r.seconds)


def make_plan(
    bench: dict[str, Any],
    bench_name: str,
    langs: str,
    sentences: int,
    usd_per_hour: float | None = None,
    setup: str = "e5-small",
    words_per_sentence: float | None = None,
) -> CostPlan:
    """Each method's cost for ``langs`` (a count or codes) of ``sentences`` sentences: a
    language the bench timed costs what its own runs say, any other what the fit over all
    the bench's runs says (at ``words_per_sentence`` words per sentence, when fitted per
    word; default: the bench's mean)."""
    if sentences < 1:
        raise XlnerError(f"--sentences must be at least 1, got {sentences}")
    if usd_per_hour is not None and usd_per_hour < 0:
        raise XlnerError(f"--usd-per-hour must not be negative, got {usd_per_hour}")
    if setup not in SETUPS:
        raise XlnerError(f"unknown setup {setup!r}; choose one of: {', '.join(SETUPS)}")
    n_langs, codes = parse_languages(langs)
    try:
        pooled = _pooled(bench, words_per_sentence)
        per_language = language_costs(bench, pooled, codes)
        model = mix([x.model for x in per_language]) if per_language else pooled
        validation = bench.get("validation") or validate(bench)
    except (KeyError, TypeError, ValueError, IndexError) as e:
        raise XlnerError(f"{bench_name}: malformed bench JSON ({type(e).__name__}: {e})") from None
    price = model.usd_per_hour if usd_per_hour is None else usd_per_hour
    rows = []
    for m in model.methods:
        total = m.seconds(n_langs, sentences)
        tagging = m.tagging_seconds(sentences)
        rows.append(
            MethodPlan(
                m,
                total,
                price * total / 3600 if price else None,
                m.once_seconds,
                1000 * tagging / sentences,
                paper_quality(m, codes),
                our_quality(m, codes, setup),
            )
        )
    trt = model.family(TRANSLATE_TRAIN)
    pairs = []
    for tt in model.family(TRANSLATE_TEST):
        other = counterpart(tt, trt)
        if other is not None:
            pairs.append((tt, other, break_even(other, tt, n_langs)))
    return CostPlan(
        n_langs,
        codes,
        sentences,
        price,
        bench_name,
        bench,
        model,
        rows,
        pairs,
        validation,
        setup,
        list(model.notes),
        per_language,
        pooled,
        bench_languages(bench),
    )


# --------------------------------------------------------------------------- output


def to_json(p: CostPlan) -> dict[str, Any]:
    def quality(q: Quality | None) -> dict[str, Any] | None:
        return None if q is None else {"f1": q.f1, "langs": list(q.langs), "dataset": q.dataset}

    return {
        "languages": p.languages,
        "codes": p.codes,
        "sentences_per_language": p.sentences,
        "usd_per_hour": p.usd_per_hour,
        "bench": p.bench_name,
        "methods": [
            {
                "method": r.method.label,
                "total_s": r.seconds,
                "usd": r.usd,
                "once_per_language_s": r.once_s,
                "tagging_per_1000_s": r.per_1000_s,
                "paper_f1": quality(r.paper),
                "our_f1": quality(r.ours),
                "cost": r.method.to_json(),
            }
            for r in p.rows
        ],
        "break_even": [
            {"translate_test": tt.name, "translate_train": trt.name, "sentences_per_language": n}
            for tt, trt, n in p.break_even
        ],
        "cheapest": p.cheapest().method.label,
        "per_language": [
            {
                "code": x.code,
                "measured": x.measured,
                "words_per_sentence": x.words_per_sentence or None,
                "tagging_per_1000_s": _per_1000(x.model, p.sentences),
            }
            for x in p.per_language
        ],
        "extrapolated": p.extrapolated,
        "validation": p.validation,
        "validation_languages": p.bench.get("validation_languages"),
        "notes": p.notes,
    }


def _per_1000(model: CostModel, sentences: int) -> dict[str, float]:
    return {m.label: 1000 * m.tagging_seconds(sentences) / sentences for m in model.methods}


def _pooled_source(p: CostPlan) -> str:
    """What an unmeasured language's cost comes from, in words."""
    langs = p.bench_languages or list(p.bench.get("config", {}).get("langs") or [])
    what = "the pooled fit of " + (", ".join(langs) if langs else "all the bench's runs")
    wps = p.pooled.words_per_sentence if p.pooled else 0.0
    return what + (f", at {wps:.1f} words per sentence" if wps else "")


def language_lines(p: CostPlan) -> list[str]:
    """Which languages cost what the bench measured on them and which are extrapolated; per
    language each method's tagging cost."""
    if not p.per_language:
        if not p.bench_languages:
            return []
        return ["", f"Languages: all {p.languages} extrapolated from {_pooled_source(p)}."]
    measured = [x.code for x in p.per_language if x.measured]
    extra = p.extrapolated
    lines = [
        "",
        f"Languages: measured {', '.join(measured) or 'none'} (each from its own runs in the "
        f"bench); extrapolated {', '.join(extra) or 'none'}"
        + (f" (from {_pooled_source(p)})" if extra else "")
        + ".",
    ]
    if not measured:
        return lines
    labels = [m.label for m in p.model.methods]
    lines += [
        "",
        f"| language | costs | words / sent. | {' | '.join(labels)} |",
        "|---|---|---:|" + "---:|" * len(labels),
    ]
    for x in p.per_language:
        costs = f"measured ({x.measured})" if x.measured else "extrapolated"
        wps = f"{x.words_per_sentence:.1f}" if x.words_per_sentence else "–"
        cells = [duration(v) for v in _per_1000(x.model, p.sentences).values()]
        lines.append(f"| {x.code} | {costs} | {wps} | {' | '.join(cells)} |")
    lines.append(f"(tagging per 1,000 sentences at {p.sentences:,} sentences per language)")
    return lines


def _count(n: float | None) -> str:
    if n is None:
        return "never (up to 10^12)"
    return f"{n:,.0f}"


def _usd(x: float | None) -> str:
    if x is None:
        return "–"
    return f"${x:,.2f}" if x >= 0.01 else f"${x:.4f}"


def format_plan(p: CostPlan) -> str:
    b = p.bench
    machine = b.get("machine", {})
    where = ", ".join(
        str(x)
        for x in (
            machine.get("cpu"),
            f"{machine['cores']} cores" if machine.get("cores") else None,
            machine.get("gpu"),
        )
        if x
    )
    langs = ", ".join(p.codes) if p.codes else f"{p.languages} languages"
    st = b.get("stages", {})
    lines = [
        f"{langs} × {p.sentences:,} sentences each = {p.languages * p.sentences:,} sentences; "
        f"price {_usd(p.usd_per_hour) if p.usd_per_hour else 'not given'} per hour.",
        f"Costs: {p.bench_name}"
        + (f", measured {b['date']}" if b.get("date") else "")
        + (f" on {where}" if where else "")
        + f"; translator `{st.get('translator')}`, tagger `{st.get('tagger')}`, aligner "
        f"`{st.get('aligner')}`.",
    ]
    if b.get("command"):
        lines.append(f"Measured with: {b['command']}")
    lines += [
        "",
        "| method | one-time per language | tagging per 1,000 sent. | total time | total $ "
        f"| F1 paper | F1 ours ({p.setup}) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in p.rows:
        lines.append(
            f"| {r.method.label} | {duration(r.once_s) if r.once_s else '–'} | "
            f"{duration(r.per_1000_s)} | {duration(r.seconds)} | {_usd(r.usd)} | "
            f"{r.paper.cell() if r.paper else '–'} | {r.ours.cell() if r.ours else '–'} |"
        )
    lines += language_lines(p)
    best = p.cheapest()
    lines += ["", f"Cheapest here: **{best.method.label}** ({duration(best.seconds)})."]
    if p.break_even:
        lines += [
            "",
            f"Break-even: sentences per language above which translate-train costs less than "
            f"translate-test ({p.languages} language(s), models loaded once):",
            "",
            "| translate-test | translate-train | break-even sent. / language |",
            "|---|---|---:|",
        ]
        for tt, trt, n in p.break_even:
            lines.append(f"| {tt.name} | {trt.name} | {_count(n)} |")
        mt = [m for m in p.model.methods if m.family == MODEL_TRANSFER]
        trt_all = p.model.family(TRANSLATE_TRAIN)
        if mt and trt_all and break_even(trt_all[0], mt[0], p.languages) is None:
            lines += [
                "",
                "Model transfer stays cheaper than translate-train at every volume: both tag a "
                "sentence with one tagger pass, and translate-train first pays its one-time "
                "work; translate-train is a choice for quality, not cost.",
            ]
    v = p.validation
    if v.get("max_abs_error") is not None:
        lines += [
            "",
            f"Cost model check: held-back runs predicted within {100 * v['max_abs_error']:.1f}% "
            f"({len(v['rows'])} predictions; floor {100 * v['floor']:.0f}%).",
        ]
    loo = b.get("validation_languages") or {}
    if loo.get("max_abs_error") is not None:
        lines.append(
            f"Each of {', '.join(loo['languages'])} held back and predicted from the others' "
            f"fit: within {100 * loo['max_abs_error']:.1f}% ({len(loo['rows'])} predictions; "
            f"floor {100 * loo['floor']:.0f}%)."
        )
    lines += ["", *p.notes] if p.notes else []
    paper_note = (
        "F1 paper: Politov et al. (2025), XLM-R-large / NLLB-200-3.3B / SimAlign mBERT, test "
        "F1 averaged over the languages in brackets (MasakhaNER 2.0 when only a count is "
        "given); the paper ran no translate-train. F1 ours: docs/results.md."
    )
    lines += ["", paper_note]
    return "\n".join(lines) + "\n"


def _short(v: float) -> str:
    """1000 -> 1k, 1e6 -> 1M, 0.01 -> 0.01 (tick labels)."""
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if v >= div:
            return f"{v / div:g}{suffix}"
    return f"{v:g}"


def plot_plan(p: CostPlan, path: Path, points: int = 121) -> Path:
    """Total cost (or time, without a price) against sentences per language, one line per
    method, the requested volume and the break-even points marked."""
    import numpy as np

    from xlner.io.atomic import atomic_open

    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
    except ImportError:
        from xlner.errors import MissingDependencyError

        raise MissingDependencyError("matplotlib", "plot", "the plan's PNG") from None
    lo = max(1.0, p.sentences / 1e3)
    xs = np.logspace(math.log10(lo), math.log10(p.sentences * 1e3), points)
    scale = p.usd_per_hour / 3600 if p.usd_per_hour else 1 / 3600
    fig = Figure(figsize=(8, 5))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    styles = {MODEL_TRANSFER: "-", TRANSLATE_TEST: "--", TRANSLATE_TRAIN: "-."}
    for r in p.rows:
        m = r.method
        ys = [m.seconds(p.languages, float(x)) * scale for x in xs]
        ax.plot(xs, ys, styles.get(m.family, "-"), lw=1.6, label=m.label)
    for _, trt, n in p.break_even:
        if n is not None and lo <= n <= xs[-1]:
            ax.plot([n], [trt.seconds(p.languages, n) * scale], "ko", ms=4)
    ax.axvline(p.sentences, color="grey", lw=1, ls=":")
    ax.set_xscale("log")
    ax.set_yscale("log")
    for axis in (ax.xaxis, ax.yaxis):  # plain labels: no mathtext (slow to start)
        axis.set_major_locator(LogLocator(base=10))
        axis.set_major_formatter(FuncFormatter(lambda v, _: _short(v)))
        axis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("sentences per language")
    unit = "US$" if p.usd_per_hour else "hours"
    ax.set_ylabel(f"total cost ({unit}), {p.languages} language(s)")
    ax.set_title(f"Cost per method ({p.bench_name}); dots: break-even; dotted: your volume")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", ncol=2)
    fig.subplots_adjust(left=0.1, right=0.97, top=0.92, bottom=0.11)
    with atomic_open(path, "wb") as fh:
        fig.savefig(fh, dpi=100, format="png")
    return path
