"""`gymnos-edge demo-data`: write the synthetic demo videos and their manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gymnos_edge.cli.support import console, user_errors
from gymnos_edge.data.demo import DemoConfig, make_demo_data


@user_errors
def demo_data_command(
    folder: Annotated[Path, typer.Argument(help="Folder to write the videos and manifest.csv into.")] = Path(
        "demo_data"
    ),
    seed: Annotated[int, typer.Option(help="Random seed; the same seed writes the same files.")] = 0,
    videos_per_gym: Annotated[int, typer.Option(min=1, max=6, help="Videos for each gym.")] = DemoConfig.videos_per_gym,
    gyms: Annotated[int, typer.Option(min=1, max=3, help="Gyms (backgrounds, lighting); each is one group.")] = DemoConfig.gyms,
) -> None:
    """Write synthetic front-camera demo videos (squats, overhead presses, rests, three gyms) and their manifest.

    Example: [bold]gymnos-edge demo-data demo_data --seed 0[/]
    """
    with console.status("Drawing demo videos…"):
        manifest = make_demo_data(folder, DemoConfig(seed=seed, videos_per_gym=videos_per_gym, gyms=gyms))
    console.print(f"[green]✓[/] wrote {gyms * videos_per_gym} videos and [bold]{manifest}[/]")
    console.print(f"Next: [bold]gymnos-edge manifest check {manifest}[/]")
