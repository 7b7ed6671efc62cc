"""Plots a person would rather look at than read (matplotlib, imported on use)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from xlner.errors import MissingDependencyError
from xlner.io.atomic import atomic_open


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
