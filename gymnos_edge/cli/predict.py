"""`gymnos-edge predict`: the per-set timeline of one video."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from gymnos_edge.cli.support import PoseModelOpt, console, user_errors


def _clock(seconds: float) -> str:
    return f"{int(seconds // 60)}:{seconds % 60:04.1f}"


@user_errors
def predict_command(
    video: Annotated[Path, typer.Argument(help="Video to label (.mp4/.mov).")],
    model: Annotated[Path, typer.Option(help="Run folder, or an exported model file.")] = Path("runs/latest"),
    out: Annotated[Optional[Path], typer.Option(help="Folder for timeline.json/.csv/.png (default: runs/predict/<video name>/).")] = None,
    annotate: Annotated[Optional[Path], typer.Option(help="Also write a copy of the video with the label and the running rep count drawn on it.")] = None,
    pose_model: PoseModelOpt = None,
) -> None:
    """Label a whole video: the sets (exercise, reps, start, end) and rests, as a phone would show them.

    Example: [bold]gymnos-edge predict demo_data/videos/gym_a_01.mp4 --model runs/latest[/]
    """
    from gymnos_edge.common.atomic import require_writable_file, require_writable_folder
    from gymnos_edge.common.contract import prediction_folder
    from gymnos_edge.inference.open_model import open_frame_model
    from gymnos_edge.inference.predict import predict_video
    from gymnos_edge.data.sampler import estimated_samples
    from gymnos_edge.inference.timeline_files import annotate_video, write_timeline

    folder = out or prediction_folder(video)
    require_writable_folder(folder, "--out")
    if annotate is not None:
        require_writable_file(annotate, "--annotate")
    frame_model = open_frame_model(model, pose_model)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=console) as progress:  # fmt: skip
        task = progress.add_task(f"Frames of {video.name}", total=estimated_samples(video, frame_model.sampling))
        prediction = predict_video(video, frame_model, on_frames=lambda n: progress.update(task, advance=n))
    paths = write_timeline(prediction, folder)

    table = Table(title=f"Sets and rests in {video.name}")
    for column in ("#", "shown", "reps", "start", "end", "duration", "confidence"):
        table.add_column(column, justify="left" if column == "shown" else "right")
    segments = sorted(prediction.timeline.sets + prediction.timeline.rests, key=lambda s: s.start_s)
    number = 0
    for s in segments:
        if s in prediction.timeline.sets:
            number += 1
            table.add_row(str(number), s.label, "" if s.reps is None else str(s.reps), _clock(s.start_s),
                          _clock(s.end_s), f"{s.duration_s:.1f} s", f"{s.mean_confidence:.0%}")  # fmt: skip
        else:
            table.add_row("", f"[dim]{s.label}[/]", "", _clock(s.start_s), _clock(s.end_s), f"{s.duration_s:.1f} s", "",
                          style="dim")  # fmt: skip
    console.print(table if prediction.timeline.sets else "[yellow]No set found: rest all the way through.[/]")
    rests = prediction.timeline.rests
    reps = sum(s.reps or 0 for s in prediction.timeline.sets)
    console.print(f"{len(prediction.timeline.sets)} set(s) of {reps} rep(s) in all, {len(rests)} rest(s); "
                  f"{len(prediction.times)} frames every {frame_model.sampling.every_s:g} s")  # fmt: skip
    if annotate is not None:
        with console.status("Drawing labels on the video…"):
            annotate_video(prediction, annotate)
        console.print(f"[green]✓[/] annotated video: {annotate}")
    console.print(f"[green]✓[/] wrote {paths['json']}, {paths['csv'].name}, {paths['png'].name}")
