"""Options several commands share, each defined once: the backbone and how frames are sampled."""

from __future__ import annotations

from typing import Annotated

import typer

from gymnos_edge.cli.support import console
from gymnos_edge.data.sampler import ResizePolicy

WeightsOpt = Annotated[
    str, typer.Option(help="Backbone weights: 'imagenet' (downloads once), 'none', or a .h5 / .weights.h5 path.")
]
ImageSizeOpt = Annotated[int, typer.Option(min=32, help="Square model input in pixels.")]
EveryOpt = Annotated[float, typer.Option(min=0.01, help="Seconds between sampled frames.")]
ResizeOpt = Annotated[ResizePolicy, typer.Option(help="How portrait frames become squares.")]


def note_random_backbone(weights: str) -> None:
    if weights == "none":
        console.print("[yellow]--weights none:[/] random backbone; fine for a demo, far weaker than ImageNet weights")
