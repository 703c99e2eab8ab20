"""Latency of one model in a process of its own, so its peak memory and any crash stay its own.

    python -m gymnos_edge.bench.latency_worker MODEL --threads 2 --warmup 3 --runs 20

prints one JSON object: init, first inference, every timed run (ms) and peak RSS (MB).
MODEL is an exported .tflite (run through LiteRT) or a run folder (the Keras reference). A pose
model is timed on keypoints (its graph, or its features and head); the estimator is timed by `bench`.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class Latency:
    init_ms: float
    first_ms: float
    runs_ms: tuple[float, ...]
    peak_rss_mb: float

    @property
    def p50_ms(self) -> float:
        return float(np.percentile(self.runs_ms, 50))

    @property
    def p90_ms(self) -> float:
        return float(np.percentile(self.runs_ms, 90))

    @property
    def fps(self) -> float:
        return 1000.0 / self.p50_ms

    def to_dict(self) -> dict:
        return {**asdict(self), "p50_ms": self.p50_ms, "p90_ms": self.p90_ms, "fps": self.fps}


def _timed(call) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000.0


def measure(model_path: Path, threads: int, warmup: int, runs: int) -> Latency:
    """One frame at a time, the way a phone runs the model; state fed back as the app does."""
    rng = np.random.default_rng(0)
    if model_path.suffix == ".tflite":
        from gymnos_edge.inference.litert_model import TFLiteModel

        holder = {}
        init_ms = _timed(lambda: holder.setdefault("model", TFLiteModel(model_path, num_threads=threads)))
        model = holder["model"]
        if model.is_pose:
            from gymnos_edge.export.frames import synthetic_keypoints

            frame = synthetic_keypoints(1)[0]
        else:
            frame = rng.integers(0, 256, (model.image_size, model.image_size, 3), dtype=np.uint8)
        state = {"value": model.initial_state()}

        def infer() -> None:
            state["value"] = model.step(frame, state["value"]).next_state

    else:
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
        from gymnos_edge.inference.open_model import KerasFrameModel
        from gymnos_edge.inference.pose_model import KerasPoseModel
        from gymnos_edge.training.run_folder import load_run

        run = load_run(model_path)
        holder = {}
        if run.metadata.is_pose:
            from gymnos_edge.export.frames import synthetic_keypoints

            init_ms = _timed(lambda: holder.setdefault("model", KerasPoseModel(run, batch_size=1)))
            keypoints = synthetic_keypoints(1)

            def infer() -> None:
                holder["model"].keypoint_probabilities(keypoints)

        else:
            init_ms = _timed(lambda: holder.setdefault("model", KerasFrameModel(run, batch_size=1)))
            size = holder["model"].sampling.image_size
            batch = rng.uniform(0, 255, (1, size, size, 3)).astype(np.float32)

            def infer() -> None:
                holder["model"].probabilities(batch)

    first_ms = _timed(infer)
    for _ in range(warmup):
        infer()
    timed = tuple(_timed(infer) for _ in range(runs))
    return Latency(init_ms=init_ms, first_ms=first_ms, runs_ms=timed, peak_rss_mb=peak_rss_mb())


def peak_rss_mb() -> float:
    """This process's own peak: Linux's VmHWM (ru_maxrss can carry the parent's peak over fork + exec)."""
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    scale = 1024.0 * 1024.0 if sys.platform == "darwin" else 1024.0  # bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args(argv)
    result = measure(args.model, args.threads, args.warmup, args.runs)
    sys.stdout.write(json.dumps(result.to_dict()) + "\n")


if __name__ == "__main__":
    main()
