"""``xlner plan``'s output: the plan as JSON and as Markdown (its PNG:
:func:`xlner.plots.plot_plan`)."""

from __future__ import annotations

from typing import Any

from xlner.bench.breakeven import break_even
from xlner.bench.costmodel import MODEL_TRANSFER, TRANSLATE_TRAIN, CostModel, duration
from xlner.plan import CostPlan
from xlner.quality import Quality


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
        "validation": p.validation.to_json(),
        "validation_languages": loo.to_json() if (loo := p.validation_languages) else None,
        "notes": p.notes,
    }


def _per_1000(model: CostModel, sentences: int) -> dict[str, float]:
    return {m.label: 1000 * m.tagging_seconds(sentences) / sentences for m in model.methods}


def _pooled_source(p: CostPlan) -> str:
    """What an unmeasured language's cost comes from, in words."""
    langs = p.bench_languages or p.bench.config.langs
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
    """The plan as Markdown: what was asked and where the costs come from, a row per method,
    the languages, the break-even volumes, the cost model's checks and the notes."""
    lines = _header_lines(p)
    for r in p.rows:
        lines.append(
            f"| {r.method.label} | {duration(r.once_s) if r.once_s else '–'} | "
            f"{duration(r.per_1000_s)} | {duration(r.seconds)} | {_usd(r.usd)} | "
            f"{r.paper.cell() if r.paper else '–'} | {r.ours.cell() if r.ours else '–'} |"
        )
    lines += language_lines(p)
    best = p.cheapest()
    lines += ["", f"Cheapest here: **{best.method.label}** ({duration(best.seconds)})."]
    lines += _break_even_lines(p)
    lines += _check_lines(p)
    lines += ["", *p.notes] if p.notes else []
    paper_note = (
        "F1 paper: Politov et al. (2025), XLM-R-large / NLLB-200-3.3B / SimAlign mBERT, test "
        "F1 averaged over the languages in brackets (MasakhaNER 2.0 when only a count is "
        "given); the paper ran no translate-train. F1 ours: docs/results.md."
    )
    lines += ["", paper_note]
    return "\n".join(lines) + "\n"


def _header_lines(p: CostPlan) -> list[str]:
    """The volume and price asked about, the bench the costs come from, the table's head."""
    b = p.bench
    machine = b.machine
    where = ", ".join(
        str(x)
        for x in (machine.cpu, f"{machine.cores} cores" if machine.cores else None, machine.gpu)
        if x
    )
    langs = ", ".join(p.codes) if p.codes else f"{p.languages} languages"
    st = b.stages
    lines = [
        f"{langs} × {p.sentences:,} sentences each = {p.languages * p.sentences:,} sentences; "
        f"price {_usd(p.usd_per_hour) if p.usd_per_hour else 'not given'} per hour.",
        f"Costs: {p.bench_name}"
        + (f", measured {b.date}" if b.date else "")
        + (f" on {where}" if where else "")
        + f"; translator `{st.translator}`, tagger `{st.tagger}`, aligner `{st.aligner}`.",
    ]
    if b.command:
        lines.append(f"Measured with: {b.command}")
    return [
        *lines,
        "",
        "| method | one-time per language | tagging per 1,000 sent. | total time | total $ "
        f"| F1 paper | F1 ours ({p.setup}) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]


def _break_even_lines(p: CostPlan) -> list[str]:
    """The break-even volume of each translate-train method against translate-test."""
    if not p.break_even:
        return []
    lines = [
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
    return lines


def _check_lines(p: CostPlan) -> list[str]:
    """How well the cost model predicted the runs the bench held back (and, for a bench of
    several languages, each language held back)."""
    lines = []
    v = p.validation
    if v.max_abs_error is not None:
        lines += [
            "",
            f"Cost model check: held-back runs predicted within {100 * v.max_abs_error:.1f}% "
            f"({len(v.rows)} predictions; floor {100 * v.floor:.0f}%).",
        ]
    loo = p.validation_languages
    if loo is not None and loo.max_abs_error is not None:
        lines.append(
            f"Each of {', '.join(loo.languages or [])} held back and predicted from the "
            f"others' fit: within {100 * loo.max_abs_error:.1f}% ({len(loo.rows)} predictions; "
            f"floor {100 * loo.floor:.0f}%)."
        )
        paired = [abs(r.own_pair_error) for r in loo.rows if r.own_pair_error is not None]
        if paired:
            lines.append(
                f"With each language's own MT pair timed (its translation cost is its own "
                f"system's; the rest from the others): within {100 * max(paired):.1f}%."
            )
    return lines
