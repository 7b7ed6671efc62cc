"""The report of ``xlner bench serve``: a Markdown table per method and server, the floors,
and a plot of p95 latency against the offered rate."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _s(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def format_markdown(result: dict[str, Any]) -> str:
    slo = result["floors"]["slo_seconds"]
    m = result["machine"]
    load = m.get("load_average")
    busy = f"load average {load} when it started; " if load is not None else ""
    lines = [
        f"Machine: {m.get('cpu')}, {m.get('cores')} cores ({busy}the load generator runs on the "
        "same machine; ratios below come from one run).",
        f"Command: `{result['command']}`",
        "",
    ]
    if result["reference"]:
        ref = ", ".join(f"{k} {v:.2f}" for k, v in result["reference"].items())
        lines += [
            f"Batch throughput (sentences/s, as `xlner bench pipeline` sums stages): {ref}",
            "",
        ]
    lines += [
        "| method | max batch | offered /s | sent | by status | counted | p50 s | p95 s | p99 s "
        "| answered /s | p95 ≤ SLO |",
        "|---|---:|---:|---:|---|---|---:|---:|---:|---:|---|",
    ]
    for run in result["runs"]:
        for r in sorted(run["rows"], key=lambda r: r["rate"]):
            status = " ".join(f"{k}:{v}" for k, v in r["by_status"].items())
            lines.append(
                f"| {run['method']} | {run['max_batch']} | {r['rate']:g} | {r['sent']} | {status} "
                f"| {'yes' if r['all_counted'] else 'NO'} | {_s(r['p50'])} | {_s(r['p95'])} "
                f"| {_s(r['p99'])} | {r['throughput']:.2f} | {'yes' if r['sustained'] else 'no'} |"
            )
    lines += ["", f"Highest sustained rate (p95 ≤ {slo:g} s, ≤ 1% refused), and the floors:", ""]
    for name, row in result["floors"].items():
        if not isinstance(row, dict):
            continue
        parts = [
            f"max batch {k}: {v:g}/s sustained, {row['peak_throughput'][k]:.2f}/s peak answered"
            for k, v in row["sustained"].items()
        ]
        if "batching_x" in row:
            peak = row.get("batching_peak_x")
            x = row["batching_x"]
            what = (
                "batch size 1 sustains no rate, batching does"
                if x == float("inf")
                else f"batching {x:.1f}x the sustained rate of batch size 1"
            )
            parts.append(
                f"{what} ({'met' if row['batching_ok'] else 'MISSED'}: floor 3x)"
                + (f", {peak:.1f}x its peak throughput" if peak else "")
            )
        if "slo_share" in row:
            parts.append(
                f"{100 * row['slo_share']:.0f}% of the batch throughput "
                f"({'met' if row['slo_ok'] else 'MISSED'}: floor 70%)"
            )
        lines.append(f"- {name}: " + "; ".join(parts))
    counted = result["floors"]["all_counted"]
    lines.append(
        f"- every request sent counted back (2xx + 503 = sent): {'yes' if counted else 'NO'}"
    )
    return "\n".join(lines) + "\n"


def write_plot(result: dict[str, Any], path: Path) -> Path:
    from xlner.plots import pyplot, save

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for run in result["runs"]:
        rows = sorted((r for r in run["rows"] if r["p95"] is not None), key=lambda r: r["rate"])
        label = f"{run['method']}, max batch {run['max_batch']}"
        ax.plot([r["rate"] for r in rows], [r["p95"] for r in rows], "o-", ms=4, label=label)
    ax.axhline(result["floors"]["slo_seconds"], ls="--", c="grey", lw=1, label="SLO")
    ax.set_xlabel("offered rate (requests/s, Poisson)")
    ax.set_ylabel("p95 latency (s)")
    ax.set_yscale("log")
    ax.legend(fontsize=8)
    ax.set_title("xlner serve: p95 latency under open-loop load")
    fig.tight_layout()
    return save(fig, path)
