"""Writing a prediction for people: timeline.json / .csv / .png and an annotated copy of the video."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import cv2
import numpy as np
import pandas as pd

from gymnos_edge.common.atomic import write_json, write_text
from gymnos_edge.inference.predict import Prediction
from gymnos_edge.common.contract import REST_LABEL
from gymnos_edge.data.video import open_video, probe_video
from gymnos_edge.data.video_writer import write_video


def label_name(prediction: Prediction, index: int) -> str:
    return prediction.labels[index] if index < len(prediction.labels) else REST_LABEL


def timeline_frame(prediction: Prediction) -> pd.DataFrame:
    columns = {"time_s": prediction.times}
    outputs = prediction.labels + ((REST_LABEL,) if prediction.rest_class else ())
    for i, label in enumerate(outputs):
        columns[f"raw_{label}"] = prediction.probs[:, i]
    for i, label in enumerate(outputs):
        columns[f"smoothed_{label}"] = prediction.smoothed[:, i]
    columns["raw_label"] = [label_name(prediction, i) for i in prediction.raw_labels]
    columns["label"] = [label_name(prediction, i) for i in prediction.shown]
    return pd.DataFrame(columns)


def write_timeline(prediction: Prediction, folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {name: folder / f"timeline.{name}" for name in ("json", "csv", "png")}
    write_json(
        paths["json"],
        {
            "video": str(prediction.video),
            "labels": list(prediction.labels),
            "rest_label": REST_LABEL,
            "smoothing": prediction.params.to_dict(),
            **prediction.timeline.to_dict(),
            "frames": timeline_frame(prediction).to_dict("records"),
        },
    )
    write_text(paths["csv"], timeline_frame(prediction).to_csv(index=False, float_format="%.5f"))
    plot_timeline(prediction, paths["png"])
    return paths


def plot_timeline(prediction: Prediction, target: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from gymnos_edge.training.plots import save_figure

    figure, axes = plt.subplots(2, 1, figsize=(11, 5), sharex=True)
    colours = plt.get_cmap("tab10")
    for axis, values, title in ((axes[0], prediction.probs, "raw frame probabilities"),
                                (axes[1], prediction.smoothed, "smoothed, with the sets a phone shows")):  # fmt: skip
        for i, label in enumerate(prediction.labels):
            axis.plot(prediction.times, values[:, i], color=colours(i), label=label, linewidth=1.2)
        axis.set_ylim(0, 1.02)
        axis.set_ylabel("probability")
        axis.set_title(title, loc="left", fontsize=10)
    for s in prediction.timeline.sets:
        axes[1].axvspan(s.start_s, s.end_s, color=colours(s.label_index), alpha=0.15)
        axes[1].text((s.start_s + s.end_s) / 2, 0.95, s.label, ha="center", va="top", fontsize=8)
    axes[1].axhline(prediction.params.enter, color="grey", linestyle=":", linewidth=0.8)
    axes[1].set_xlabel("time (s)")
    axes[0].legend(loc="upper right", fontsize=8)
    figure.suptitle(prediction.video.name)
    save_figure(figure, target)


def annotate_video(prediction: Prediction, target: Path) -> Path:
    """A copy of the video, upright, with the label shown at each moment drawn on it."""
    fps = probe_video(prediction.video).fps or 30.0

    def frames() -> Iterator[np.ndarray]:
        with open_video(prediction.video) as capture:
            while capture.grab():
                now = capture.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
                ok, bgr = capture.retrieve()
                if not ok:
                    break
                index = int(np.searchsorted(prediction.times, now + 1e-6)) - 1
                rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
                if index >= 0:
                    shown = int(prediction.shown[index])
                    confidence = prediction.smoothed[index].max()
                    text = label_name(prediction, shown) + ("" if shown == len(prediction.labels) else f" {confidence:.0%}")
                    scale = max(0.5, rgb.shape[1] / 500)
                    cv2.rectangle(rgb, (0, 0), (rgb.shape[1], int(40 * scale)), (0, 0, 0), -1)
                    cv2.putText(rgb, text, (int(10 * scale), int(28 * scale)), cv2.FONT_HERSHEY_SIMPLEX, scale,
                                (255, 255, 255), max(1, int(2 * scale)), cv2.LINE_AA)  # fmt: skip
                height, width = rgb.shape[:2]
                yield rgb[: height - height % 2, : width - width % 2]

    return write_video(target, frames(), fps)
