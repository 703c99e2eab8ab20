"""Training report plots: confusion matrices per split, loss and accuracy curves."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from gymnos_edge.common.atomic import atomic_path  # noqa: E402
from gymnos_edge.training.frame_scores import ClassificationReport  # noqa: E402


def save_figure(figure, target: Path) -> None:
    with atomic_path(target) as temporary:
        figure.savefig(temporary, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)


def plot_confusions(reports: dict[str, ClassificationReport], labels: Sequence[str], target: Path) -> None:
    splits = [s for s in ("train", "val", "test") if s in reports]
    # Tick labels only on the first panel's y axis and room between panels, so no label overlaps a neighbour.
    figure, axes = plt.subplots(
        1, len(splits), figsize=(4.6 * len(splits), 4.0), squeeze=False, sharey=True, layout="constrained"
    )
    for axis, split in zip(axes[0], splits):
        matrix = np.asarray(reports[split].confusion)
        axis.imshow(matrix, cmap="Blues")
        for (row, col), value in np.ndenumerate(matrix):
            colour = "white" if value > matrix.max() / 2 else "black"
            axis.text(col, row, str(value), ha="center", va="center", color=colour)
        axis.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
        axis.set_yticks(range(len(labels)), labels)
        axis.set_xlabel("predicted")
        if axis is axes[0][0]:
            axis.set_ylabel("true")
        axis.set_title(f"{split}: {reports[split].accuracy:.1%} of {reports[split].frames} frames")
    figure.suptitle("Frame confusion per split")
    save_figure(figure, target)


def plot_curves(history: dict[str, list[float]], target: Path) -> None:
    figure, (loss_axis, accuracy_axis) = plt.subplots(1, 2, figsize=(9, 3.5))
    for key, axis in (("loss", loss_axis), ("accuracy", accuracy_axis)):
        epochs = range(1, len(history[key]) + 1)
        axis.plot(epochs, history[key], label="train")
        if f"val_{key}" in history:
            axis.plot(epochs, history[f"val_{key}"], label="val")
        axis.set_xlabel("epoch")
        axis.set_title(key)
        axis.legend()
    figure.suptitle("Head training on cached backbone features")
    save_figure(figure, target)
