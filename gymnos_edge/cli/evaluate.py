"""`gymnos-edge evaluate`: frame and set scores on a manifest split, raw vs smoothed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from gymnos_edge.cli.support import PoseModelOpt, console, errors, user_errors


@user_errors
def evaluate_command(
    manifest: Annotated[Path, typer.Argument(help="Manifest of the videos to score.")],
    model: Annotated[Path, typer.Option(help="Run folder, or an exported .tflite model.")] = Path("runs/latest"),
    split: Annotated[str, typer.Option(help="train, val, test or all.")] = "test",
    out: Annotated[Optional[Path], typer.Option(help="Where to write evaluation.json (default: the run's report folder).")] = None,
    tune: Annotated[bool, typer.Option("--tune", help="Grid-search the smoothing on the val split and save it into the run.")] = False,
    pose_model: PoseModelOpt = None,
) -> None:
    """Score a model on a manifest: frame accuracy, set F1@10/25/50, Edit, flips/min, detection delay.

    Image and pose models alike: a pose model runs the BlazePose estimator on the frames first.

    Example: [bold]gymnos-edge evaluate demo_data/manifest.csv --split val --tune[/]
    """
    from gymnos_edge.evaluation.evaluate import EvaluateCallbacks, EvaluateConfig, evaluate_run

    config = EvaluateConfig(manifest=manifest, model=model, split=split, tune=tune, out=out, pose_model=pose_model)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console) as progress:
        task = progress.add_task("Videos", total=None)
        callbacks = EvaluateCallbacks(
            on_plan=lambda count: progress.update(task, total=count),
            on_video=lambda video: progress.update(task, advance=1),
        )
        result = evaluate_run(config, callbacks)
    if result.tuned is not None:
        console.print(f"[green]✓[/] tuned on val (set F1@50 {result.tuned_f1:.1f}); "
                      f"saved into {result.run_folder}/metadata.json:")  # fmt: skip
        console.print(result.tuned.to_dict())
    if result.evaluation.split != split:
        errors.print(f"[yellow]note:[/] no video in split {split!r}; scored split {result.evaluation.split!r}")
    _print(result.evaluation)
    _print_sets(result.evaluation)
    console.print(f"[green]✓[/] wrote {result.written}")


def _print(evaluation) -> None:
    table = Table(title=f"Split {evaluation.split!r}: {len(evaluation.videos)} videos (raw argmax vs smoothed sets)")
    columns = ("scope", "labels", "frame acc %", "F1@10", "F1@25", "F1@50", "Edit", "flips/min", "delay s", "rep MAE",
               "rep OBO")  # fmt: skip
    for column in columns:
        table.add_column(column, justify="left" if column in ("scope", "labels") else "right")
    rows = [("all", evaluation.raw, evaluation.smoothed)]
    rows += [(f"group {g}", r, s) for g, (r, s) in evaluation.per_group.items()]
    for scope, raw, smoothed in rows:
        for name, metrics in (("raw", raw), ("smoothed", smoothed)):
            delay = metrics.detection.mean_s
            # Reps are counted by the state machine: the raw argmax has none.
            reps = metrics.reps if name == "smoothed" else None
            table.add_row(scope, name, f"{metrics.accuracy:.1f}", *(f"{metrics.f1_at(k):.1f}" for k in (0.1, 0.25, 0.5)),
                          f"{metrics.edit:.1f}", f"{metrics.flips_per_minute:.1f}",
                          "—" if delay is None or delay != delay else f"{delay:.1f}",
                          _number(reps.mae if reps else None), _number(reps.obo if reps else None))  # fmt: skip
    console.print(table)
    console.print("rep MAE / OBO: RepCount's |counted − true| / true and share within ±1, per true set with a reps "
                  "count; a missed set counts 0 reps")  # fmt: skip


def _number(value: float | None) -> str:
    return "—" if value is None or value != value else f"{value:.2f}"


def _span(start: float, end: float) -> str:
    return f"{start:.1f}–{end:.1f} s"


def _print_sets(evaluation) -> None:
    """Why a set score is what it is: each true set beside the predicted set that matched it."""
    table = Table(title="Sets per video (smoothed): true set, the predicted set matched to it, extra sets")
    for column in ("video", "true set", "predicted", "IoU", "start Δ s", "end Δ s", "reps true/counted"):
        table.add_column(column, justify="right" if column in ("IoU", "start Δ s", "end Δ s", "reps true/counted") else "left")
    for video, metrics in zip(evaluation.videos, evaluation.smoothed.sequences):
        name = video.video.name
        report = metrics.sets
        for match in report.matches:
            truth = f"{match.truth.label} {_span(match.truth.start_s, match.truth.end_s)}"
            reps = f"{'—' if match.truth.reps is None else match.truth.reps}/{match.counted_reps}"
            if match.predicted is None:
                table.add_row(name, truth, "[red]missed[/]", "", "", "", reps)
            else:
                table.add_row(name, truth, _span(match.predicted.start_s, match.predicted.end_s), f"{match.iou:.2f}",
                              f"{match.start_error_s:+.1f}", f"{match.end_error_s:+.1f}", reps)  # fmt: skip
            name = ""
        for extra in report.extra:
            table.add_row(name, "[yellow]extra[/]", f"{extra.label} {_span(extra.start_s, extra.end_s)}", "", "", "",
                          f"—/{extra.reps}")  # fmt: skip
            name = ""
        if not report.matches and not report.extra:
            table.add_row(name, "rest only", "rest only", "", "", "", "")
    console.print(table)
