"""Plots a person would rather look at than read (matplotlib, imported on use)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xlner.errors import MissingDependencyError
from xlner.io.atomic import atomic_open

if TYPE_CHECKING:
    from xlner.plan import CostPlan


def pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise MissingDependencyError("matplotlib", "plot", "plots") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig: Any, path: Path) -> Path:
    with atomic_open(path, "wb") as fh:
        fig.savefig(fh, dpi=110, format="png")
    pyplot().close(fig)
    return path


def confidence_plot(result: dict[str, Any], path: Path) -> Path:
    """P/R/F1 over thresholds (left) and the reliability diagram (right), as available."""
    plt = pyplot()
    panels = [k for k in ("curve", "reliability") if k in result]
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4), squeeze=False)
    for ax, panel in zip(axes[0], panels):
        if panel == "curve":
            xs = [p["threshold"] for p in result["curve"]]
            for key in ("precision", "recall", "f1"):
                ax.plot(xs, [p[key] for p in result["curve"]], "o-", ms=3, label=key)
            if result.get("best_threshold") is not None:  # None: no scores, a flat curve
                ax.axvline(result["best_threshold"], ls="--", c="grey", lw=1, label="best F1")
            ax.set_xlabel("--min-score threshold")
            ax.set_title("Entities kept above a confidence threshold")
        else:
            bins = [b for b in result["reliability"] if b["predicted"]]
            ax.plot([0, 1], [0, 1], ls="--", c="grey", lw=1, label="perfect calibration")
            ax.plot(
                [b["mean_score"] for b in bins],
                [b["precision"] for b in bins],
                "o-",
                label="measured",
            )
            ece = result["expected_calibration_error"]
            ax.set_xlabel("confidence (mean in bin)")
            ax.set_ylabel("precision")
            ax.set_title(f"Reliability (ECE {ece:.3f})")
        ax.set_ylim(0, 1.02)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return save(fig, path)


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

    from xlner.bench.costmodel import MODEL_TRANSFER, TRANSLATE_TEST, TRANSLATE_TRAIN

    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
    except ImportError:
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
