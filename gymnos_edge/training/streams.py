"""Head inputs of back-to-back spans, computed as the phone computes them: over the video as it plays.

A backbone with memory (the pose path's motion features) carries a state from
frame to frame. The phone streams a whole video through it, so the first frames
of a set still remember the rest before it. Were each span's inputs computed
on their own, from a fresh state, training would never see such a frame, and
the model would learn each activity only as it looks after a few seconds of
itself: it then names a set seconds late and keeps naming it into the rest.
With gaps trained as rest, a video's spans tile it, so joining the spans that
start where the previous one ended gives back the stream the phone sees.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from gymnos_edge.training.plan import TrainingSpan

_SAME_TIME_S = 1e-6


def back_to_back(spans: Sequence[TrainingSpan]) -> list[list[int]]:
    """Indices of `spans` in runs: one video's spans in time order, each starting where the last ended."""
    by_video: dict = {}
    for index, span in enumerate(spans):
        by_video.setdefault(span.request.video, []).append(index)
    runs = []
    for indices in by_video.values():
        indices.sort(key=lambda i: spans[i].request.start_s)
        run = [indices[0]]
        for index in indices[1:]:
            if abs(spans[index].request.start_s - spans[run[-1]].request.end_s) > _SAME_TIME_S:
                runs.append(run)
                run = []
            run.append(index)
        runs.append(run)
    return runs


def streamed(
    spans: Sequence[TrainingSpan], features: Sequence[np.ndarray], inputs_of: Callable[[np.ndarray], np.ndarray]
) -> list[np.ndarray]:
    """`inputs_of` applied to each run of back-to-back spans' joined features, split back per span.

    A span without frames keeps its (empty) features: it adds nothing to a run.
    """
    out = list(features)
    for run in back_to_back(spans):
        members = [i for i in run if len(features[i])]
        if not members:
            continue
        joined = inputs_of(np.concatenate([features[i] for i in members]))
        ends = np.cumsum([len(features[i]) for i in members])[:-1]
        for i, piece in zip(members, np.split(joined, ends)):
            out[i] = piece
    return out
