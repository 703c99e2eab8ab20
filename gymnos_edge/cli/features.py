"""`gymnos-edge features`: argument parsing and progress display over `gymnos_edge.training.features_job`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from gymnos_edge.cli.options import BackboneOpt, EveryOpt, ImageSizeOpt, ResizeOpt, WeightsOpt, note_random_backbone
from gymnos_edge.cli.support import PoseModelOpt, advance_frames, console, frame_progress, user_errors
from gymnos_edge.common.contract import Backbone
from gymnos_edge.data.sampler import SamplingConfig
from gymnos_edge.features.ray_engine import RayOptions
from gymnos_edge.training.features_job import Engine, FeaturesConfig


@user_errors
def features_command(
    manifest: Annotated[Path, typer.Argument(help="Video manifest (.csv or .json).")],
    backbone: BackboneOpt = FeaturesConfig.backbone,
    weights: WeightsOpt = FeaturesConfig.weights,
    image_size: ImageSizeOpt = None,
    every: EveryOpt = SamplingConfig.every_s,
    resize: ResizeOpt = None,
    seed: Annotated[int, typer.Option(help="Seed of a random backbone (--weights none), as `train` uses it.")] = 0,
    pose_model: PoseModelOpt = None,
    track: Annotated[
        bool, typer.Option(help="pose: follow the person from frame to frame, as `train --track` does.")
    ] = FeaturesConfig.track,
    engine: Annotated[
        Engine, typer.Option(help="local: this process; ray: a Ray cluster (pip install 'gymnos-edge\\[ray]').")
    ] = Engine.local,
    ray_address: Annotated[
        Optional[str], typer.Option(help="Ray cluster to join, e.g. auto or HEAD_IP:6379 (default: start a local Ray).")
    ] = None,
    workers: Annotated[
        Optional[int],
        typer.Option(min=1, help="Backbone workers (default: one per GPU, else one per --cpus-per-worker CPUs)."),
    ] = None,
    cpus_per_worker: Annotated[int, typer.Option(min=1, help="CPU threads of each backbone worker.")] = 1,
    gpus_per_worker: Annotated[
        Optional[float], typer.Option(min=0, help="GPUs of each worker (default: 1 when the cluster has GPUs).")
    ] = None,
) -> None:
    """Compute (or complete) the backbone-feature cache of a manifest, here or on a Ray cluster.

    `train` with the same backbone and sampling flags then reads every frame from the cache.
    With --engine ray the cache folder ($GYMNOS_EDGE_CACHE) must be shared by every node;
    body-pose keypoints (--backbone pose) are computed here.

    Example: [bold]gymnos-edge features demo_data/manifest.csv --weights none --image-size 128 --engine ray[/]
    Example: [bold]gymnos-edge features demo_data/manifest.csv --backbone pose[/]
    """
    from gymnos_edge.training.features_job import FeaturesCallbacks, compute_features
    from gymnos_edge.training.train import sampling_for

    config = FeaturesConfig(
        manifest=manifest,
        weights=weights,
        sampling=sampling_for(backbone, every, image_size, resize),
        seed=seed,
        backbone=backbone,
        pose_model=pose_model,
        track=track,
        engine=engine,
        ray=RayOptions(
            address=ray_address, workers=workers, cpus_per_worker=cpus_per_worker, gpus_per_worker=gpus_per_worker
        ),
    )
    if backbone is Backbone.vgg16:
        note_random_backbone(weights)
    with frame_progress() as progress:
        tasks: dict[str, int] = {}

        def on_plan(spans: int, frames: int) -> None:
            console.print(f"{spans} spans, about {frames} frames; engine: {engine.value}")
            name = "Pose keypoints" if backbone is Backbone.pose else "Backbone features"
            tasks["frames"] = progress.add_task(name, total=frames, rate="")

        def on_frames(count: int) -> None:
            advance_frames(progress, tasks["frames"], count)

        result = compute_features(config, FeaturesCallbacks(on_plan=on_plan, on_frames=on_frames))

    stats = result.stats
    console.print(
        f"Spans: {stats.spans_cached} cached, {stats.spans_computed} computed; frames: {result.frames} in all, "
        f"{stats.frames_computed} computed in {stats.seconds:.1f} s ({result.frames_per_s:.1f} frames/s"
        + (", Ray's start-up included)" if engine is Engine.ray and stats.spans_computed else ")")
    )
    console.print(f"[green]✓[/] feature cache complete in [bold]{result.cache_folder}[/]")
    console.print(f"Next: [bold]gymnos-edge train {manifest}{_train_flags(config)}[/]")


def _train_flags(config: FeaturesConfig) -> str:
    """The flags that make `train` build the same backbone and sample the same frames."""
    from gymnos_edge.training.train import sampling_for

    pose = config.backbone is Backbone.pose
    default, sampling = sampling_for(config.backbone), config.sampling
    flags = {
        "--backbone": config.backbone.value if pose else None,
        "--weights": config.weights if config.weights != FeaturesConfig.weights and not pose else None,
        "--image-size": sampling.image_size if sampling.image_size != default.image_size else None,
        "--every": f"{sampling.every_s:g}" if sampling.every_s != default.every_s else None,
        "--resize": sampling.resize.value if sampling.resize is not default.resize else None,
        "--seed": config.seed if config.seed != FeaturesConfig.seed and not pose else None,
        "--pose-model": config.pose_model,
        "--no-track": "" if pose and not config.track else None,
    }
    return "".join(f" {flag} {value}".rstrip() for flag, value in flags.items() if value is not None)
