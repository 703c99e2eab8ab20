"""One row of the bench table per model and thread count: what it holds and how it is filled."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class BenchRow:
    format: str
    file: str
    size_mb: float | None
    threads: int | None = None
    init_ms: float | None = None
    first_ms: float | None = None
    p50_ms: float | None = None
    p90_ms: float | None = None
    fps: float | None = None
    peak_rss_mb: float | None = None
    official_p50_ms: float | None = None
    frame_accuracy: float | None = None
    label_agreement: float | None = None
    set_f1_50: float | None = None
    flips_per_min: float | None = None
    rep_mae: float | None = None  # RepCount MAE over the true sets with a reps count (a missed set counts 0)
    rep_obo: float | None = None  # off-by-one accuracy over the same sets
    rep_agreement: float | None = None  # % of those sets counted exactly as the Keras model counts them
    status: str = "ok"


def size_mb(path: Path) -> float | None:
    from gymnos_edge.export.artifacts import size_of

    return size_of(path) / 1e6 if path.exists() else None


def measured_row(fmt: str, path: Path, threads: int, latency: dict, official: float | None, figures: dict) -> BenchRow:
    """A model that ran: the latency worker's figures, LiteRT's cross-check and the accuracy pass's columns."""
    return BenchRow(
        format=fmt,
        file=path.name,
        size_mb=size_mb(path),
        threads=threads,
        init_ms=latency["init_ms"],
        first_ms=latency["first_ms"],
        p50_ms=latency["p50_ms"],
        p90_ms=latency["p90_ms"],
        fps=latency["fps"],
        peak_rss_mb=latency["peak_rss_mb"],
        official_p50_ms=official,
        **figures,
    )


def estimator_row(timings: list[float], estimator) -> BenchRow:
    """The estimator's own row: measured on the split's frames, one at a time, in their order (tracking as set)."""
    from gymnos_edge.common.contract import POSE_JOINTS

    files = estimator.files
    size = sum(p.stat().st_size for p in (files.detector, files.landmark)) / 1e6
    p50, p90 = float(np.percentile(timings, 50)), float(np.percentile(timings, 90))
    seen = f"{len(POSE_JOINTS)} joints"
    return BenchRow("blazepose", f"{files.detector.name} + {files.landmark.name} ({seen})", size, threads=1,
                    p50_ms=p50, p90_ms=p90, fps=1000.0 / p50)  # fmt: skip
