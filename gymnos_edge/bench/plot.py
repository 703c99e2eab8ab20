"""bench.png: latency against size, one marker per format, set F1@50 written beside each."""

from __future__ import annotations

from pathlib import Path

from gymnos_edge.bench.result import BenchResult


def plot_bench(result: BenchResult, target: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    from gymnos_edge.training.plots import save_figure

    threads = min((r.threads for r in result.rows if r.threads), default=None)
    rows = [r for r in result.rows if r.threads == threads and r.p50_ms is not None and r.size_mb is not None]
    figure, axis = plt.subplots(figsize=(7, 4.5))
    markers = "osD^vP*Xh"
    for index, row in enumerate(rows):
        axis.scatter(row.size_mb, row.p50_ms, s=70, marker=markers[index % len(markers)], label=row.format)
        f1 = "—" if row.set_f1_50 is None else f"{row.set_f1_50:.0f}"
        axis.annotate(f"{row.format}: set F1@50 {f1}", (row.size_mb, row.p50_ms), textcoords="offset points",
                      xytext=(6, 6 if index % 2 == 0 else -12), fontsize=8)  # alternate: equal-size models overlap
    axis.set_xscale("log")
    axis.xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
    axis.xaxis.set_minor_formatter(matplotlib.ticker.ScalarFormatter())
    axis.set_xlabel("file size (MB, log scale)")
    axis.set_ylabel(f"p50 latency per frame (ms, {threads} thread{'s' if threads != 1 else ''})")
    axis.set_title(f"Size vs speed on {result.machine.get('processor', '')} — split {result.split!r}", fontsize=10)
    axis.grid(True, alpha=0.3)
    if rows:
        axis.legend(fontsize=8)
    save_figure(figure, target)
