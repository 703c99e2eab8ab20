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
    from gymnos_edge.common.atomic import write_json
    from gymnos_edge.evaluation.evaluate import predict_split, score, tune_smoothing, videos_of_split
    from gymnos_edge.inference.open_model import open_frame_model
    from gymnos_edge.data.manifest import require_valid

    if tune and model.suffix in (".tflite", ".mlpackage", ".mlmodel"):
        # Checked before opening: an exported model may not even load on this machine.
        errors.print("[red]error:[/] --tune saves into a run folder; pass --model RUN_FOLDER")
        raise typer.Exit(1)
    frame_model = open_frame_model(model, pose_model)
    run = getattr(frame_model, "run", None)
    assignment = run.metadata.splits.get("assignment", {}) if run else {}
    check = require_valid(manifest, expected_labels=frame_model.labels)
    count = len(videos_of_split(check, split, assignment))
    if tune:
        count += len(videos_of_split(check, "val", assignment))
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console) as progress:
        task = progress.add_task("Videos", total=count)
        if tune:
            val = predict_split(manifest, frame_model, "val", assignment, lambda v: progress.update(task, advance=1))
            params, f1 = tune_smoothing(val, frame_model.smoothing)
            run = run.save_metadata(run.metadata.with_smoothing(params))
            frame_model = open_frame_model(run.folder, pose_model)
            console.print(f"[green]✓[/] tuned on val (set F1@50 {f1:.1f}); saved into {run.folder}/metadata.json:")
            console.print(params.to_dict())
        results = predict_split(manifest, frame_model, split, assignment, lambda v: progress.update(task, advance=1))
    evaluation = score(results, split)
    _print(evaluation)
    _print_sets(evaluation)
    target = out or ((run.report_folder if run else Path(model).parent) / f"evaluation_{split}.json")
    write_json(target, evaluation.to_dict())
    console.print(f"[green]✓[/] wrote {target}")


def _print(evaluation) -> None:
    table = Table(title=f"Split {evaluation.split!r}: {len(evaluation.videos)} videos (raw argmax vs smoothed sets)")
    for column in ("scope", "labels", "frame acc %", "F1@10", "F1@25", "F1@50", "Edit", "flips/min", "delay s"):
        table.add_column(column, justify="left" if column in ("scope", "labels") else "right")
    rows = [("all", evaluation.raw, evaluation.smoothed)]
    rows += [(f"group {g}", r, s) for g, (r, s) in evaluation.per_group.items()]
    for scope, raw, smoothed in rows:
        for name, metrics in (("raw", raw), ("smoothed", smoothed)):
            delay = metrics.detection.mean_s
            table.add_row(scope, name, f"{metrics.accuracy:.1f}", *(f"{metrics.f1_at(k):.1f}" for k in (0.1, 0.25, 0.5)),
                          f"{metrics.edit:.1f}", f"{metrics.flips_per_minute:.1f}",
                          "—" if delay is None or delay != delay else f"{delay:.1f}")  # fmt: skip
    console.print(table)


def _span(start: float, end: float) -> str:
    return f"{start:.1f}–{end:.1f} s"


def _print_sets(evaluation) -> None:
    """Why a set score is what it is: each true set beside the predicted set that matched it."""
    table = Table(title="Sets per video (smoothed): true set, the predicted set matched to it, extra sets")
    for column in ("video", "true set", "predicted", "IoU", "start Δ s", "end Δ s"):
        table.add_column(column, justify="right" if column in ("IoU", "start Δ s", "end Δ s") else "left")
    for video, metrics in zip(evaluation.videos, evaluation.smoothed.sequences):
        name = video.video.name
        report = metrics.sets
        for match in report.matches:
            truth = f"{match.truth.label} {_span(match.truth.start_s, match.truth.end_s)}"
            if match.predicted is None:
                table.add_row(name, truth, "[red]missed[/]", "", "", "")
            else:
                table.add_row(name, truth, _span(match.predicted.start_s, match.predicted.end_s), f"{match.iou:.2f}",
                              f"{match.start_error_s:+.1f}", f"{match.end_error_s:+.1f}")  # fmt: skip
            name = ""
        for extra in report.extra:
            table.add_row(name, "[yellow]extra[/]", f"{extra.label} {_span(extra.start_s, extra.end_s)}", "", "", "")
            name = ""
        if not report.matches and not report.extra:
            table.add_row(name, "rest only", "rest only", "", "", "")
    console.print(table)
