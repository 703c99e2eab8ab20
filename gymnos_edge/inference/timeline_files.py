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
    if prediction.reps is not None:
        columns["reps"] = prediction.reps  # the live count of the shown set, as the phone shows it
    return pd.DataFrame(columns)


def rep_ticks(prediction: Prediction) -> list[tuple[float, str]]:
    """(time, text) where the shown set's count goes up: "3", or "1–2" when a set is shown with reps already counted."""
    if prediction.reps is None:
        return []
    ticks = []
    for t in range(len(prediction.reps)):
        before = int(prediction.reps[t - 1]) if t and prediction.shown[t - 1] == prediction.shown[t] else 0
        now = int(prediction.reps[t])
        if now > before:
            ticks.append((float(prediction.times[t]), str(now) if now == before + 1 else f"{before + 1}–{now}"))
    return ticks


def shown_text(prediction: Prediction, index: int) -> str:
    """What the phone shows at frame `index`: "squat · 3 reps 92%", or "rest"."""
    shown = int(prediction.shown[index])
    if shown == len(prediction.labels):
        return REST_LABEL
    text = label_name(prediction, shown)
    if prediction.reps is not None:
        count = int(prediction.reps[index])
        text += f" · {count} rep{'' if count == 1 else 's'}"
    return text + f" {prediction.smoothed[index].max():.0%}"


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
        if prediction.rest_class:  # the trained rest output, last: what takes over between sets
            axis.plot(prediction.times, values[:, -1], color="grey", linestyle="--", label=REST_LABEL, linewidth=1)
        axis.set_ylim(0, 1.02)
        axis.set_ylabel("probability")
        axis.set_title(title, loc="left", fontsize=10)
    for s in prediction.timeline.sets:
        axes[1].axvspan(s.start_s, s.end_s, color=colours(s.label_index), alpha=0.15)
        name = s.label if s.reps is None else f"{s.label} · {s.reps} reps"
        axes[1].text((s.start_s + s.end_s) / 2, 0.95, name, ha="center", va="top", fontsize=8)
    for time, text in rep_ticks(prediction):  # each counted rep, where the phone counted it
        axes[1].axvline(time, ymin=0, ymax=0.08, color="black", linewidth=1)
        axes[1].text(time, 0.09, text, ha="center", va="bottom", fontsize=6)
    axes[1].axhline(prediction.params.enter, color="grey", linestyle=":", linewidth=0.8)
    axes[1].set_xlabel("time (s)")
    axes[0].legend(loc="upper right", fontsize=8)
    figure.suptitle(prediction.video.name)
    save_figure(figure, target)


def annotate_video(prediction: Prediction, target: Path) -> Path:
    """A copy of the video, upright, with the label and the running rep count shown at each moment drawn on it."""
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
                    text = shown_text(prediction, index)
                    scale = max(0.5, rgb.shape[1] / 500)
                    cv2.rectangle(rgb, (0, 0), (rgb.shape[1], int(40 * scale)), (0, 0, 0), -1)
                    cv2.putText(rgb, text, (int(10 * scale), int(28 * scale)), cv2.FONT_HERSHEY_SIMPLEX, scale,
                                (255, 255, 255), max(1, int(2 * scale)), cv2.LINE_AA)  # fmt: skip
                height, width = rgb.shape[:2]
                yield rgb[: height - height % 2, : width - width % 2]

    return write_video(target, frames(), fps)
