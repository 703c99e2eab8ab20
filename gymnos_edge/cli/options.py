"""Options several commands share, each defined once: the backbone and how frames are sampled."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from gymnos_edge.cli.support import console
from gymnos_edge.common.contract import Backbone
from gymnos_edge.data.sampler import ResizePolicy

BackboneOpt = Annotated[
    Backbone, typer.Option(help="vgg16: ImageNet features of the whole image; pose: body keypoints (BlazePose).")
]
WeightsOpt = Annotated[
    str, typer.Option(help="VGG16 weights: 'imagenet' (downloads once), 'none', or a .h5 / .weights.h5 path.")
]
# Unset, the backbone's own defaults (`training.train.sampling_for`).
ImageSizeOpt = Annotated[
    Optional[int], typer.Option(min=32, help="Model input in pixels (default 224; pose: longest side, 512).")
]
EveryOpt = Annotated[float, typer.Option(min=0.01, help="Seconds between sampled frames.")]
ResizeOpt = Annotated[
    Optional[ResizePolicy], typer.Option(help="How frames become the model's input (default squash; pose: fit).")
]


def note_random_backbone(weights: str) -> None:
    if weights == "none":
        console.print("[yellow]--weights none:[/] random backbone; fine for a demo, far weaker than ImageNet weights")
