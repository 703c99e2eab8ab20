"""`gymnos-edge demo-data`: write the synthetic demo videos and their manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gymnos_edge.cli.support import console, user_errors


@user_errors
def demo_data_command(
    folder: Annotated[Path, typer.Argument(help="Folder to write the videos and manifest.csv into.")] = Path(
        "demo_data"
    ),
    seed: Annotated[int, typer.Option(help="Random seed; the same seed writes the same files.")] = 0,
    videos_per_gym: Annotated[int, typer.Option(min=1, max=6, help="Videos for each of the two gyms.")] = 4,
) -> None:
    """Write synthetic front-camera demo videos (squats, overhead presses, two gyms) and their manifest.

    Example: [bold]gymnos-edge demo-data demo_data --seed 0[/]
    """
    from gymnos_edge.data.demo import DemoConfig, make_demo_data

    with console.status("Drawing demo videos…"):
        manifest = make_demo_data(folder, DemoConfig(seed=seed, videos_per_gym=videos_per_gym))
    console.print(f"[green]✓[/] wrote {2 * videos_per_gym} videos and [bold]{manifest}[/]")
    console.print(f"Next: [bold]gymnos-edge manifest check {manifest}[/]")
