"""What smoothing costs per frame, next to a stand-in for the model that produces the frames.

    python benchmarks/smoothing.py

The stand-in is a small Keras Dense head (512 → 1024 → 2) on one feature
vector; the real model adds a convolutional backbone and is far heavier, so
the printed ratios are an upper bound on smoothing's share of a frame's cost.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runnable from a plain checkout

from timing import best_seconds  # noqa: E402  (benchmarks/timing.py)
from gymnos_edge.sets.smoothing import SmoothingParams, initial_state, smooth_sequence, step  # noqa: E402

SEQUENCE_FRAMES = 10_000
N_CLASSES = 2


def stand_in_model() -> Callable[[], object]:
    import keras

    model = keras.Sequential(
        [keras.Input((512,)), keras.layers.Dense(1024, activation="relu"), keras.layers.Dense(2, activation="softmax")]
    )
    features = np.random.default_rng(0).standard_normal((1, 512)).astype(np.float32)
    model(features, training=False)  # build and warm up before timing
    return lambda: model(features, training=False)


def main() -> None:
    params = SmoothingParams()
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(N_CLASSES), size=SEQUENCE_FRAMES).astype(np.float32)
    state = initial_state(N_CLASSES)

    step_s = best_seconds(lambda: step(state, probs[0], params), number=2_000)
    sequence_s = best_seconds(lambda: smooth_sequence(probs, params), repeat=3) / SEQUENCE_FRAMES
    model_s = best_seconds(stand_in_model(), number=200)

    rows = [
        ("numpy step, one frame", f"{step_s * 1e6:.1f} µs"),
        (f"smooth_sequence over {SEQUENCE_FRAMES} frames, per frame", f"{sequence_s * 1e6:.1f} µs"),
        ("stand-in model, Dense 512→1024→2, batch 1 (eager call)", f"{model_s * 1e6:.1f} µs"),
        ("step / stand-in model", f"{step_s / model_s:.3f}"),
        ("smooth_sequence per frame / stand-in model", f"{sequence_s / model_s:.3f}"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value:>10}")
    print("The real model (convolutional backbone + head) is far heavier than the stand-in,")
    print("so smoothing's real share of a frame is much smaller than these ratios.")


if __name__ == "__main__":
    main()
