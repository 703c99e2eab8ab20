"""Per-set labels on the demo data: raw argmax vs the smoothing state machine, and what smoothing costs.

    .venv/bin/python benchmarks/set_labels.py                       # demo data + a fresh model, in a temp folder
    .venv/bin/python benchmarks/set_labels.py --run runs/demo --manifest demo_data/manifest.csv

Goal: smoothing cuts label flips per minute by at least 10× without losing set
F1@50, for a small fraction of the model's cost per frame. Scores cover every
video (split "all", training videos included), so they show what smoothing
adds, not how well the model generalises; `gymnos-edge evaluate` does that.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runnable from a plain checkout

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from timing import best_seconds  # noqa: E402  (benchmarks/timing.py)
from gymnos_edge.common.errors import UserError  # noqa: E402
from gymnos_edge.evaluation.evaluate import Evaluation, predict_split, score  # noqa: E402
from gymnos_edge.inference.open_model import KerasFrameModel  # noqa: E402
from gymnos_edge.evaluation.set_metrics import count_flips  # noqa: E402
from gymnos_edge.training.run_folder import Run, load_run  # noqa: E402
from gymnos_edge.sets.smoothing import initial_state, step  # noqa: E402

FLIP_GOAL = 10.0
console = Console()


def train_demo_run(folder: Path) -> tuple[Run, Path]:
    """Demo data (default config) and a model trained on it as `make demo` does, all inside `folder`."""
    from gymnos_edge.data.demo import make_demo_data
    from gymnos_edge.data.sampler import SamplingConfig
    from gymnos_edge.training.train import TrainConfig, train

    with console.status("Drawing the demo videos…"):
        manifest = make_demo_data(folder / "demo")
    config = TrainConfig(
        manifest=manifest,
        out=folder / "runs" / "bench",
        weights="none",
        sampling=SamplingConfig(every_s=0.2, image_size=96),
        cache_dir=folder / "cache",
    )
    with console.status("Training (--weights none, 96×96, every 0.2 s)…"):
        started = time.perf_counter()
        result = train(config)
    console.print(f"trained in {time.perf_counter() - started:.0f} s")
    return result.run, manifest


def per_frame_costs(model: KerasFrameModel) -> tuple[float, float]:
    """Seconds per frame of the numpy `step` and of the Keras classifier on one frame, measured here."""
    n_classes = len(model.labels)
    params = model.smoothing
    state = initial_state(n_classes)
    probs = np.full(n_classes, 1.0 / n_classes, np.float32)
    step_s = best_seconds(lambda: step(state, probs, params), number=2_000)

    classifier = model.run.load_model()
    size = model.sampling.image_size
    frame = np.random.default_rng(0).uniform(0, 255, (1, size, size, 3)).astype(np.float32)
    classifier.predict_on_batch(frame)  # build and warm up before timing
    model_s = best_seconds(lambda: classifier.predict_on_batch(frame), number=20)
    return step_s, model_s


def print_scores(evaluation: Evaluation) -> None:
    raw, smoothed = evaluation.raw, evaluation.smoothed
    table = Table(title=f"Split {evaluation.split!r}: {len(evaluation.videos)} videos, raw argmax vs smoothed")
    for column in ("metric", "raw", "smoothed", "smoothed vs raw"):
        table.add_column(column, justify="left" if column == "metric" else "right")
    flip_cut = raw.flips_per_minute / smoothed.flips_per_minute if smoothed.flips_per_minute else math.inf
    flips = (f"{raw.flips_per_minute:.1f}", f"{smoothed.flips_per_minute:.1f}", f"{flip_cut:.1f}× fewer")
    table.add_row("flips / min", *flips)
    for overlap in (0.1, 0.25, 0.5):
        r, s = raw.f1_at(overlap), smoothed.f1_at(overlap)
        table.add_row(f"set F1@{round(overlap * 100)}", f"{r:.1f}", f"{s:.1f}", f"{s - r:+.1f}")
    table.add_row("Edit", f"{raw.edit:.1f}", f"{smoothed.edit:.1f}", f"{smoothed.edit - raw.edit:+.1f}")
    accuracy = (raw.accuracy, smoothed.accuracy)
    table.add_row("frame accuracy %", f"{accuracy[0]:.1f}", f"{accuracy[1]:.1f}", f"{accuracy[1] - accuracy[0]:+.1f}")
    table.add_row("sets shown / true", *(_sets(m) for m in (raw, smoothed)), "")
    table.add_row("over / under-segmented", *(f"{m.over_segmented} / {m.under_segmented}" for m in (raw, smoothed)), "")
    delays = [m.detection.mean_s for m in (raw, smoothed)]
    table.add_row("mean detection delay s", *("—" if math.isnan(d) else f"{d:.1f}" for d in delays), "")
    console.print(table)
    minutes = sum(m.duration_s for m in raw.sequences) / 60.0
    true_flips = sum(count_flips(r.truth) for r in evaluation.videos) / minutes
    console.print(f"The true labels flip {true_flips:.1f} times a minute (into and out of every set): "
                  "a perfect labelling flips that often too.")  # fmt: skip
    kept_f1 = smoothed.f1_at(0.5) >= raw.f1_at(0.5)
    met = flip_cut >= FLIP_GOAL and kept_f1
    why = f"{flip_cut:.1f}× fewer flips, F1@50 {'kept' if kept_f1 else 'lower'}"
    verdict = "[green]met[/]" if met else f"[red]not met[/] ({why})"
    console.print(f"Goal (≥ {FLIP_GOAL:g}× fewer flips, set F1@50 not lower): {verdict}")


def _sets(metrics) -> str:
    """Sets shown / true sets; the counts are the same at every overlap."""
    counts = metrics.f1[0]
    return f"{counts.true_positives + counts.false_positives} / {counts.true_positives + counts.false_negatives}"


def print_costs(step_s: float, model_s: float) -> None:
    table = Table(title="Cost per frame, measured in this run (best of 5)")
    table.add_column("what")
    table.add_column("per frame", justify="right")
    table.add_row("numpy smoothing step", f"{step_s * 1e6:.1f} µs")
    table.add_row("Keras classifier, one frame (predict_on_batch)", f"{model_s * 1e3:.2f} ms")
    table.add_row("step / classifier", f"{step_s / model_s:.5f}  (1 : {model_s / step_s:,.0f})")
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, help="an existing run folder (with --manifest); default: train one")
    parser.add_argument("--manifest", type=Path, help="the manifest to score the run on")
    args = parser.parse_args()
    if (args.run is None) != (args.manifest is None):
        parser.error("--run and --manifest go together")

    with tempfile.TemporaryDirectory(prefix="gymnos-set-labels-") as folder:
        run, manifest = (load_run(args.run), args.manifest) if args.run else train_demo_run(Path(folder))
        model = KerasFrameModel(run)
        with console.status("Predicting every video…"):
            results = predict_split(manifest, model, "all", {})
        frames = sum(len(r.prediction.times) for r in results)
        size = model.sampling.image_size
        console.print(f"model {run.folder.name}: {', '.join(model.labels)}; "
                      f"{frames} frames every {model.sampling.every_s:g} s at {size}×{size}")  # fmt: skip
        console.print(f"smoothing: {model.smoothing.to_dict()}")
        print_scores(score(results, "all"))
        print_costs(*per_frame_costs(model))


if __name__ == "__main__":
    try:
        main()
    except UserError as error:
        sys.exit(f"error: {error}")
