"""Export of the seed-size model (224 px, Flatten head): size, conversion time, LiteRT latency per format.

Run: .venv/bin/python benchmarks/export.py [--frames 48] [--threads 1 2]
Goals: int8 latency ≤ 0.3× fp32 with ≥ 99 % top-1 agreement; the smoothing step
adds < 2 % to a frame's latency. Weights are random (no download), so agreement
is measured on an untrained model whose probabilities sit near each other: a
harder case for quantization than a trained one. Prints ratios, asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import keras  # noqa: E402
import numpy as np  # noqa: E402

from gymnos_edge.data.demo import DemoConfig, make_demo_data  # noqa: E402
from gymnos_edge.export.exporter import ExportOptions, export_run  # noqa: E402
from gymnos_edge.common.contract import Quantization  # noqa: E402
from gymnos_edge.export.formats import FORMATS, Runtime  # noqa: E402
from gymnos_edge.export.frames import synthetic_frames  # noqa: E402
from gymnos_edge.training.classifier import PREPROCESSING, ModelSpec, build_model  # noqa: E402
from gymnos_edge.training.run_folder import RunMetadata, save_run  # noqa: E402
from gymnos_edge.sets.smoothing import SmoothingParams  # noqa: E402
from gymnos_edge.inference.litert_model import TFLiteModel  # noqa: E402

SIZE = 224


def seed_run(folder: Path, manifest: Path):
    spec = ModelSpec(labels=("overhead_press", "squat"), image_size=SIZE, head="flatten", weights="none")
    model = build_model(spec)
    metadata = RunMetadata(
        name="seed", labels=spec.labels, image_size=SIZE, resize="squash", every_s=0.2, preprocessing=PREPROCESSING,
        head="flatten", weights="none", weights_fingerprint="-", smoothing=SmoothingParams().to_dict(),
        manifest=str(manifest),
    )  # fmt: skip
    return save_run(folder / "runs" / "seed", model, metadata)


def classifier_only(classifier: keras.Model, path: Path) -> Path:
    """The same classifier without the smoothing step, converted the same way: the overhead baseline."""
    import tensorflow as tf

    archive = keras.export.ExportArchive()
    archive.track(classifier)
    spec = tf.TensorSpec((1, SIZE, SIZE, 3), tf.float32, name="image")
    archive.add_endpoint("serving_default", lambda image: {"probs": classifier(image, training=False)}, [spec])
    with tempfile.TemporaryDirectory() as saved:
        archive.write_out(saved, verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(saved)
        path.write_bytes(converter.convert())
    return path


def per_frame_s(run_one, frames: np.ndarray, rounds: int = 3) -> float:
    """Median seconds per frame over `rounds` passes, after one warm-up frame."""
    run_one(frames[0])
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for frame in frames:
            run_one(frame)
        times.append((time.perf_counter() - start) / len(frames))
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=48, help="random-but-fixed frames timed per format")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="LiteRT thread counts to time")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        manifest = make_demo_data(folder / "demo", DemoConfig(seed=0, videos_per_gym=2))
        run = seed_run(folder, manifest)
        options = ExportOptions(quantizations=tuple(Quantization), coreml=True, out=folder / "export", validation_frames=8)
        start = time.perf_counter()
        result = export_run(run.folder, options)
        print(f"export of every format, validation included: {time.perf_counter() - start:.0f} s\n")
        print(f"{'format':16} {'file':22} {'size MB':>8} {'conversion s':>13} {'max |Δp|':>9}  validated")
        for model in result.models:
            check = next(c for c in model.validation["checks"] if c["name"] in ("probabilities", "spec"))
            delta = f"{check['value']:.1e}" if check["value"] is not None else "spec"
            print(f"{model.format:16} {model.file:22} {model.size_bytes / 1e6:8.1f} {model.conversion_s:13.1f} "
                  f"{delta:>9}  {'ok' if model.validation['ok'] else 'FAILED'}")  # fmt: skip

        frames = synthetic_frames(SIZE, args.frames, seed=1)
        baseline = classifier_only(run.load_model(), folder / "classifier_only.tflite")
        tflite_rows = [row for row in FORMATS if row.runtime is Runtime.tflite]
        for threads in args.threads:
            print(f"\nLiteRT, {threads} thread(s), {args.frames} frames, XNNPACK")
            models = {row.quantization: TFLiteModel(result.folder / row.file, num_threads=threads) for row in tflite_rows}
            latency = {q: per_frame_s(m.step, frames) for q, m in models.items()}
            top1 = {q: np.argmax(m.probabilities(frames), axis=1) for q, m in models.items()}
            for q in models:
                agreement = float(np.mean(top1[q] == top1["fp32"]))
                print(f"  {q:8} {latency[q] * 1000:8.1f} ms/frame  {latency[q] / latency['fp32']:5.2f}× fp32  "
                      f"top-1 agreement with fp32 {agreement:6.1%}")  # fmt: skip
            plain = _plain_runner(baseline, threads)
            wrapped = models["fp32"]
            state = wrapped.initial_state()
            with_smoothing = per_frame_s(lambda frame: wrapped.step(frame, state), frames)
            without = per_frame_s(plain, frames)
            probs = np.full(2, 0.5, np.float32)
            alone = per_frame_s(lambda frame: wrapped.smooth_step(probs, state), frames)
            print(f"  smoothing step in the graph: {with_smoothing * 1000:.1f} vs {without * 1000:.1f} ms/frame "
                  f"without it: {100 * (with_smoothing / without - 1):+.2f} % (goal < 2 %); the step alone "
                  f"(smooth_step signature) {alone * 1e6:.0f} µs = {100 * alone / without:.3f} % of a frame")  # fmt: skip
            print(f"  int8 / fp32 latency: {latency['int8'] / latency['fp32']:.2f}× (goal ≤ 0.3×)")


def _plain_runner(path: Path, threads: int):
    from ai_edge_litert.interpreter import Interpreter

    runner = Interpreter(model_path=str(path), num_threads=threads).get_signature_runner("serving_default")
    return lambda frame: runner(image=frame.astype(np.float32)[None])


if __name__ == "__main__":
    main()
