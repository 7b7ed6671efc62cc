"""Markdown and plots of ``xlner bench pipeline`` results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from xlner.plots import pyplot, save


def format_markdown(r: dict[str, Any]) -> str:
    lines = [
        f"{r['sentences']} sentences ({r['words']} words; after translation {r['english_words']} "
        f"English words, {r['source_entities']} English entities); stages: "
        f"translator `{r['stages']['translator']}`, tagger `{r['stages']['tagger']}`, "
        f"aligner `{r['stages']['aligner']}`.",
        "",
        "| method | s / 1,000 sent. | sent./s | × model transfer | projection share | "
        "$ / M sent. | stages (s / 1,000 sent.) |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for m, row in r["methods"].items():
        stages = ", ".join(f"{k} {v:.1f}" for k, v in row["stages_per_1000"].items())
        share = row.get("projection_share")
        usd = row.get("usd_per_million")
        lines.append(
            f"| {m} | {row['seconds_per_1000']:.1f} | {row['sentences_per_s'] or 0:.2f} | "
            f"{row['cost_vs_model_transfer'] or 0:.2f} | "
            f"{'' if share is None else f'{100 * share:.2f}%'} | "
            f"{'' if usd is None else f'{usd:.2f}'} | {stages} |"
        )
    lines += [
        "",
        f"Model load (s): {r['load_seconds']}; peak RSS {r['peak_rss_mb']:.0f} MB"
        + (f"; peak CUDA {r['peak_cuda_mb']:.0f} MB" if r.get("peak_cuda_mb") else "")
        + ".",
    ]
    if r.get("stage_rates"):
        lines.append(
            "Subword tokens/s: " + ", ".join(f"{k} {v:.0f}" for k, v in r["stage_rates"].items())
        )
    if "scaling_languages" in r:
        s = r["scaling_languages"]
        lines += ["", "| languages | sentences | seconds |", "|---:|---:|---:|"]
        lines += [
            f"| {x['languages']} | {x['sentences']} | {x['seconds']:.2f} |" for x in s["rows"]
        ]
        lines.append(
            f"Fit: {s['fit']['slope']:.2f} s per language + "
            f"{s['fit']['intercept']:.2f} s (R² {s['fit']['r2']:.3f}); "
            f"{s['models_loaded']} models, each loaded once for all languages."
        )
    if "scaling_sentences" in r:
        f = r["scaling_sentences"]["fit"]
        lines.append(
            f"Sentences: {f['slope']:.3f} s per sentence + {f['intercept']:.2f} s "
            f"(R² {f['r2']:.3f})."
        )
    tb = r.get("translation_backends") or {}
    for name in ("hf", "ct2_int8"):
        for x in tb.get(name, []):
            order = "" if x["sorted"] else " unsorted"
            lines.append(
                f"- translate {name} batch {x['batch_size']}{order}: "
                f"{x['sentences_per_s']:.2f} sent./s"
            )
    if "ct2_int8_vs_hf_fp32" in tb:
        lines.append(
            f"CTranslate2 int8 / HF fp32 translation throughput: {tb['ct2_int8_vs_hf_fp32']:.2f}×"
        )
    c = r["cached_rerun"]
    lines.append(
        f"Cached re-run of translate-test: {c['rerun_s']:.3f} s vs {c['first_s']:.2f} s "
        f"first run ({100 * c['ratio']:.2f}%)."
    )
    if "cost_points" in r:
        lines += ["", *format_cost_model(r)]
    return "\n".join(lines) + "\n"


def format_cost_model(r: dict[str, Any]) -> list[str]:
    """The fitted cost of every method, translate-train's one-time part, the check on the
    held-back runs and the break-even points (one language)."""
    from xlner.bench.breakeven import break_even, counterpart
    from xlner.bench.costmodel import TRANSLATE_TEST, TRANSLATE_TRAIN, duration, fit_bench
    from xlner.bench.schema import as_bench

    b = as_bench(r)
    model = fit_bench(b)
    lines = [
        "Cost model (fitted on every run; per language: fixed + per sentence + √n part):",
        "",
        "| method | load (s) | one-time per language | fixed per language (s) | "
        "s / 1,000 sent. (at 1,000) |",
        "|---|---:|---:|---:|---:|",
    ]
    for m in model.methods:
        fixed = sum(s.per_language for s in m.stages.values())
        per_1000 = m.tagging_seconds(1000) - fixed
        lines.append(
            f"| {m.label} | {m.load:.2f} | {duration(m.once_seconds) if m.once else '–'} | "
            f"{fixed:.2f} | {per_1000:.1f} |"
        )
    trt = model.family(TRANSLATE_TRAIN)
    if trt:
        lines += ["", f"translate-train one-time work per language ({trt[0].name}):", ""]
        lines += [f"- {k}: {duration(v)}" for k, v in trt[0].once.items()]
        lines += ["", *model.notes]
    if b.translate_train_skipped:
        lines += ["", f"translate-train skipped: {b.translate_train_skipped}"]
    v = b.validation
    if v is not None and v.rows:
        lines += [
            "",
            "Held-back runs predicted by the model fitted without them:",
            "",
            "| run | method | measured (s) | predicted (s) | error |",
            "|---|---|---:|---:|---:|",
        ]
        for x in v.rows:
            err = "" if x.error is None else f"{100 * x.error:+.1f}%"
            lines.append(
                f"| {x.run} | {x.method} | {x.measured_s:.2f} | {x.predicted_s:.2f} | {err} |"
            )
        lines.append(
            f"Largest error: {100 * (v.max_abs_error or 0.0):.1f}% (floor {100 * v.floor:.0f}%)."
        )
    pairs = [(t, counterpart(t, trt)) for t in model.family(TRANSLATE_TEST)] if trt else []
    if pairs:
        lines += [
            "",
            "Break-even (one language): translate-train is cheaper than translate-test above",
            "",
        ]
        for t, other in pairs:
            if other is not None:
                n = break_even(other, t, 1)
                when = "never (up to 10^12)" if n is None else f"{n:,.0f} sentences"
                lines.append(f"- {t.name} vs translate-train {other.name}: {when}")
    return lines


def write_plots(r: dict[str, Any], out: Path) -> list[Path]:
    plt = pyplot()
    paths = []
    methods = list(r["methods"])
    stages = sorted({k for m in methods for k in r["methods"][m]["stages_per_1000"]})
    fig, ax = plt.subplots(figsize=(9, 4.5))
    bottom = np.zeros(len(methods))
    for st in stages:
        vals = np.array([r["methods"][m]["stages_per_1000"].get(st, 0.0) for m in methods])
        ax.bar(methods, vals, bottom=bottom, label=st)
        bottom += vals
    ax.set_ylabel("seconds per 1,000 sentences")
    ax.set_title("Cost per stage and method")
    ax.legend(fontsize=8)
    plt.xticks(rotation=30, ha="right")
    fig.tight_layout()
    paths.append(save(fig, out / "stages.png"))
    if "scaling_languages" in r:
        rows = r["scaling_languages"]["rows"]
        fit = r["scaling_languages"]["fit"]
        x = np.array([row["languages"] for row in rows])
        fig, ax = plt.subplots(figsize=(5, 4))
        ax.plot(x, [row["seconds"] for row in rows], "o-", label="measured")
        ax.plot(x, fit["slope"] * x + fit["intercept"], "--", label="linear fit")
        ax.set_xlabel("languages")
        ax.set_ylabel("seconds")
        ax.set_title("translate-test time vs languages")
        ax.legend()
        fig.tight_layout()
        paths.append(save(fig, out / "languages.png"))
    tb = r.get("translation_backends") or {}
    if any(tb.get(k) for k in ("hf", "ct2_int8")):
        fig, ax = plt.subplots(figsize=(5, 4))
        for name in ("hf", "ct2_int8"):
            rows = [x for x in tb.get(name, []) if x["sorted"] or name == "ct2_int8"]
            if rows:
                ax.plot(
                    [x["batch_size"] for x in rows],
                    [x["sentences_per_s"] for x in rows],
                    "o-",
                    label=name,
                )
        ax.set_xlabel("batch size")
        ax.set_ylabel("sentences / s (translation)")
        ax.set_title("Translation throughput")
        ax.legend()
        fig.tight_layout()
        paths.append(save(fig, out / "batch.png"))
    return paths
