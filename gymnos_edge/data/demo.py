"""Built-in demo data: synthetic front-camera videos of squats and overhead presses in two gyms.

Everything is drawn from a seed, offline, in well under a minute. Half the
videos are stored as an upright iPhone stores them (landscape pixels plus a
90° rotation tag), so the demo exercises orientation handling too.

The rests between sets hold what people do there, not only standing still:
walking across or out of the frame, turning sideways, arms hanging or swinging,
bending down, stretching the arms overhead (which looks a little like a press)
and moments with nobody in frame. One video of each gym is rest only.

The figures have a face: a pose estimator tells a person's left from right by
it, and without one BlazePose named the figures' sides as seen from behind in
most frames, switching back and forth.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np
import pandas as pd

from gymnos_edge.common.atomic import write_text
from gymnos_edge.common.contract import REST_LABEL
from gymnos_edge.data.video_writer import write_video

SQUAT, PRESS, REST = "squat", "overhead_press", None
_MIN_CONTRAST = 50.0  # luminance between skin and wall, of 255
WIDTH, HEIGHT = 180, 320  # portrait, 9:16 like a phone's front camera
_FLOOR_Y = int(HEIGHT * 0.8)  # where each gym's wall meets its floor
_GYM_NAMES = ("gym_a", "gym_b", "gym_c")
# Per gym: the exercises of each video's sets, in order.
_PROGRAMMES = ((SQUAT, PRESS), (PRESS, SQUAT), (), (PRESS,), (SQUAT, SQUAT), (PRESS, PRESS))
# What a figure can do while resting; each rest strings a few of these together.
_REST_ACTIVITIES = ("stand", "walk", "turn", "swing", "bend", "stretch", "away")
_REST_ONLY_S = 12.0


@dataclass(frozen=True)
class DemoConfig:
    seed: int = 0
    videos_per_gym: int = 3
    gyms: int = 3  # one is held out: training then sees more than one background
    fps: int = 15
    reps_per_set: tuple[int, int] = (3, 5)
    rest_s: tuple[float, float] = (2.0, 4.0)


@dataclass(frozen=True)
class _Look:
    """What stays the same through one video: where the figure stands and what it wears."""

    gym: int
    centre_x: float
    scale: float
    shirt: tuple[int, int, int]
    skin: tuple[int, int, int]
    brightness: float


@dataclass(frozen=True)
class _Segment:
    exercise: str | None
    duration_s: float
    rep_s: float
    activity: str = "stand"  # for rests: one of _REST_ACTIVITIES
    direction: int = 1  # for walks: +1 to the right, -1 to the left
    reps: int | None = None  # for sets: whole cycles of `rep_s`, each starting and ending at the top


def make_demo_data(folder: Path | str, config: DemoConfig = DemoConfig()) -> Path:
    """Write the demo videos and `manifest.csv` into `folder`; returns the manifest's path."""
    folder = Path(folder)
    (folder / "videos").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(config.seed)
    rows = []
    if not 1 <= config.gyms <= len(_GYM_NAMES):
        raise ValueError(f"gyms must lie in 1…{len(_GYM_NAMES)}, got {config.gyms}")
    for gym, gym_name in enumerate(_GYM_NAMES[: config.gyms]):
        for index in range(config.videos_per_gym):
            programme = _PROGRAMMES[index % len(_PROGRAMMES)]
            name = f"{gym_name}_{index + 1:02d}.mp4"
            look = _draw_look(rng, gym)
            plan = _plan(rng, programme, config)
            rotation = 90 if index % 2 else 0
            write_video(folder / "videos" / name, _render(plan, look, config.fps, rng), config.fps, rotation)
            if not programme:  # a rest-only video says so with an explicit rest span
                rows.append({"video": f"videos/{name}", "label": REST_LABEL, "start": None, "end": None,
                             "group": gym_name, "reps": None})  # fmt: skip
            t = 0.0
            for segment in plan:
                if segment.exercise is not None:
                    rows.append(
                        {
                            "video": f"videos/{name}",
                            "label": segment.exercise,
                            "start": round(t, 3),
                            "end": round(t + segment.duration_s, 3),
                            "group": gym_name,
                            "reps": segment.reps,
                        }
                    )
                t += segment.duration_s
    manifest = folder / "manifest.csv"
    frame = pd.DataFrame(rows).astype({"reps": "Int64"})  # whole numbers, empty for rest
    write_text(manifest, frame.to_csv(index=False))
    return manifest


def _draw_look(rng: np.random.Generator, gym: int) -> _Look:
    palette = [(200, 40, 40), (40, 90, 200), (30, 150, 70), (230, 160, 30), (120, 60, 160), (240, 240, 240)]
    skins = [(240, 200, 170), (200, 150, 110), (140, 95, 65), (90, 60, 40)]
    # A drawn figure has no face, hands or clothing texture, so a pose detector finds it by its outline:
    # arms of the wall's brightness vanish (the detector then sees no person at all), which says
    # nothing about the tool. Real footage, where that does happen, is judged on real people.
    wall = wall_luminance(gym)
    skins = [skin for skin in skins if abs(_luminance(skin) - wall) >= _MIN_CONTRAST]
    return _Look(
        gym=gym,
        centre_x=float(rng.uniform(0.42, 0.58) * WIDTH),
        scale=float(rng.uniform(0.85, 1.05)),
        shirt=palette[rng.integers(len(palette))],
        skin=skins[rng.integers(len(skins))],
        brightness=float(rng.uniform(0.8, 1.15)),
    )


def wall_luminance(gym: int) -> float:
    """The typical brightness of a gym's wall (above the floor), of 255."""
    wall = _gym_background(gym)[:_FLOOR_Y]
    return _luminance(np.median(wall.reshape(-1, 3), axis=0))


def _luminance(rgb) -> float:
    red, green, blue = (float(c) for c in rgb)
    return 0.299 * red + 0.587 * green + 0.114 * blue


def _plan(rng: np.random.Generator, programme: tuple[str, ...], config: DemoConfig) -> list[_Segment]:
    if not programme:
        return _rest(rng, _REST_ONLY_S, pieces=4)
    plan = _rest(rng, float(rng.uniform(*config.rest_s)))
    for exercise in programme:
        rep_s = float(rng.uniform(2.2, 2.8) if exercise == SQUAT else rng.uniform(1.8, 2.4))
        reps = int(rng.integers(config.reps_per_set[0], config.reps_per_set[1] + 1))
        plan.append(_Segment(exercise, round(reps * rep_s, 2), rep_s, reps=reps))
        plan.extend(_rest(rng, float(rng.uniform(*config.rest_s))))
    return plan


def _rest(rng: np.random.Generator, seconds: float, pieces: int | None = None) -> list[_Segment]:
    """A rest of `seconds`, split into one to three (or `pieces`) activities."""
    count = pieces or int(rng.integers(1, 4))
    shares = rng.dirichlet(np.ones(count) * 3.0)
    return [
        _Segment(
            REST,
            round(seconds * float(share), 2),
            float(rng.uniform(0.9, 1.4)),
            activity=_REST_ACTIVITIES[int(rng.integers(len(_REST_ACTIVITIES)))],
            direction=1 if rng.random() < 0.5 else -1,
        )
        for share in shares
    ]


def _render(plan: list[_Segment], look: _Look, fps: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    background = _gym_background(look.gym)
    noise_rng = np.random.default_rng(rng.integers(2**32))
    for segment in plan:
        for i in range(round(segment.duration_s * fps)):
            t = i / fps
            phase = (1 - math.cos(2 * math.pi * t / segment.rep_s)) / 2  # 0 at the top of each rep
            frame = background.copy()
            if segment.exercise is REST:
                _draw_resting(frame, look, segment, t)
            else:
                _draw_figure(frame, look, segment.exercise, phase)
            frame = frame.astype(np.float32) * look.brightness + noise_rng.normal(0, 4, frame.shape)
            yield np.clip(frame, 0, 255).astype(np.uint8)


def _gym_background(gym: int) -> np.ndarray:
    frame = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
    if gym == 0:  # warm wooden panels, dark rubber floor
        frame[:_FLOOR_Y] = (205, 180, 140)
        for y in range(0, _FLOOR_Y, 22):
            cv2.line(frame, (0, y), (WIDTH, y), (170, 140, 100), 2)
        frame[_FLOOR_Y:] = (60, 55, 50)
    elif gym == 1:  # cool grey wall with mirror strips, blue floor
        frame[:_FLOOR_Y] = (150, 160, 175)
        for x in range(8, WIDTH, 45):
            cv2.rectangle(frame, (x, 20), (x + 30, _FLOOR_Y - 20), (195, 215, 230), -1)
        frame[_FLOOR_Y:] = (40, 70, 120)
    else:  # red brick wall, light concrete floor
        frame[:_FLOOR_Y] = (150, 70, 55)
        for row, y in enumerate(range(0, _FLOOR_Y, 16)):
            cv2.line(frame, (0, y), (WIDTH, y), (200, 190, 180), 1)
            for x in range(8 * (row % 2), WIDTH, 32):
                cv2.line(frame, (x, y), (x, y + 16), (200, 190, 180), 1)
        frame[_FLOOR_Y:] = (170, 170, 160)
    return frame


def _draw_resting(frame: np.ndarray, look: _Look, segment: _Segment, t: float) -> None:
    """One frame of a rest activity; `t` counts from the activity's start."""
    progress = t / max(segment.duration_s, 1e-6)
    wave = math.sin(2 * math.pi * t / segment.rep_s)
    activity = segment.activity
    if activity == "away":  # the lifter stepped out: an empty gym for a moment
        return
    shift, arms, bend, width = 4 * math.sin(2 * math.pi * t / 3.1), "hang", 0.0, 1.0
    if activity == "walk":  # across the frame and out of it at the far side
        start = look.centre_x
        target = WIDTH * 1.3 if segment.direction > 0 else -WIDTH * 0.3
        shift = (target - start) * min(1.0, progress * 1.2)
        arms, width = "swing", 0.75
    elif activity == "turn":
        width = 0.45 + 0.35 * abs(math.cos(math.pi * progress))
    elif activity == "swing":
        arms = "swing"
    elif activity == "bend":  # down to the floor and back up, as when picking up a weight
        bend = math.sin(math.pi * min(1.0, progress * 1.5)) ** 2
        arms = "reach"
    elif activity == "stretch":
        arms = "overhead"
    _draw_figure(frame, look, REST, 0.0, shift, arms=arms, arm_wave=wave, bend=bend, width=width)


def _draw_face(frame: np.ndarray, head: tuple[int, int], radius: int, width: float) -> None:
    """Eyes, nose and mouth, squeezed towards the middle as the figure turns sideways.

    A pose estimator tells a person's left from right by the face; without one it
    may name the sides either way round from frame to frame.
    """
    cx, cy = head
    eye_dx, eye_r = max(1, round(0.4 * radius * width)), max(1, round(0.16 * radius))
    for side in (-1, 1):
        cv2.circle(frame, (cx + side * eye_dx, cy - round(0.2 * radius)), eye_r, (25, 25, 25), -1)
    cv2.line(frame, (cx, cy - round(0.05 * radius)), (cx, cy + round(0.2 * radius)), (120, 80, 60), max(1, eye_r // 2))
    mouth_dx = max(1, round(0.3 * radius * width))
    cv2.line(frame, (cx - mouth_dx, cy + round(0.45 * radius)), (cx + mouth_dx, cy + round(0.45 * radius)),
             (90, 30, 30), max(1, eye_r // 2))  # fmt: skip


def _draw_figure(
    frame: np.ndarray,
    look: _Look,
    exercise: str | None,
    phase: float,
    sway: float = 0.0,
    arms: str = "hang",
    arm_wave: float = 0.0,
    bend: float = 0.0,
    width: float = 1.0,
) -> None:
    s = look.scale * HEIGHT
    cx = look.centre_x + sway
    feet_y = HEIGHT * 0.93
    depth = phase if exercise == SQUAT else 0.0
    hip_y = feet_y - 0.42 * s + 0.17 * s * depth + 0.05 * s * bend
    shoulder_y = hip_y - 0.26 * s + 0.16 * s * bend  # bending folds the torso forward and down
    head_r = int(0.05 * s)
    head = (int(cx), int(shoulder_y - 0.075 * s))
    thick = max(3, int(0.035 * s))
    pants, outline = (45, 45, 60), (30, 30, 30)

    knee_out = (0.05 * s + 0.06 * s * depth) * width
    knee_y = (hip_y + feet_y) / 2 + 0.02 * s * depth
    for side in (-1, 1):
        hip = (int(cx + side * 0.04 * s * width), int(hip_y))
        knee = (int(cx + side * knee_out), int(knee_y))
        foot = (int(cx + side * 0.06 * s * width), int(feet_y))
        cv2.line(frame, hip, knee, pants, thick + 2)
        cv2.line(frame, knee, foot, pants, thick + 2)
        cv2.line(frame, foot, (foot[0] + side * 8, foot[1]), outline, thick)

    torso = np.array(
        [
            [cx - 0.08 * s * width, shoulder_y],
            [cx + 0.08 * s * width, shoulder_y],
            [cx + 0.055 * s * width, hip_y],
            [cx - 0.055 * s * width, hip_y],
        ],
        np.int32,
    )
    cv2.fillPoly(frame, [torso], look.shirt)
    cv2.circle(frame, head, head_r, look.skin, -1)
    _draw_face(frame, head, head_r, width)

    for side in (-1, 1):
        shoulder = (cx + side * 0.08 * s * width, shoulder_y + 4)
        if exercise == SQUAT:  # barbell across the upper back, hands wide, elbows down
            hand = (cx + side * 0.17 * s, shoulder_y - 0.01 * s)
            elbow = (cx + side * 0.15 * s, shoulder_y + 0.08 * s)
        elif exercise == PRESS:  # dumbbells from the shoulders to overhead
            lift = phase
            hand = (cx + side * (0.15 - 0.04 * lift) * s, shoulder_y - (0.03 + 0.25 * lift) * s)
            elbow = (cx + side * (0.19 - 0.07 * lift) * s, shoulder_y + (0.04 - 0.12 * lift) * s)
        elif arms == "overhead":  # stretching, hands together above the head
            hand = (cx + side * 0.03 * s, shoulder_y - 0.3 * s)
            elbow = (cx + side * 0.1 * s, shoulder_y - 0.14 * s)
        elif arms == "reach":  # reaching down towards the floor
            hand = (cx + side * 0.09 * s, shoulder_y + (0.27 + 0.12 * bend) * s)
            elbow = (cx + side * 0.1 * s, shoulder_y + (0.14 + 0.06 * bend) * s)
        else:  # resting: arms hanging, or swinging back and forth
            swing = 0.09 * arm_wave * side if arms == "swing" else 0.0
            hand = (cx + side * 0.11 * s * width + swing * s, shoulder_y + 0.27 * s)
            elbow = (cx + side * 0.11 * s * width + 0.5 * swing * s, shoulder_y + 0.14 * s)
        points = [tuple(int(v) for v in p) for p in (shoulder, elbow, hand)]
        cv2.line(frame, points[0], points[1], look.skin, thick)
        cv2.line(frame, points[1], points[2], look.skin, thick)
        if exercise == PRESS:
            hx, hy = points[2]
            cv2.line(frame, (hx, hy - 9), (hx, hy + 9), (70, 70, 70), 4)
            for dy in (-10, 10):
                cv2.rectangle(frame, (hx - 5, hy + dy - 3), (hx + 5, hy + dy + 3), (20, 20, 20), -1)

    if exercise == SQUAT:
        bar_y = int(shoulder_y - 0.01 * s)
        left, right = int(cx - 0.34 * s), int(cx + 0.34 * s)
        cv2.line(frame, (left, bar_y), (right, bar_y), (110, 110, 110), 4)
        for x in (left, right):
            plate = int(0.06 * s)
            cv2.rectangle(frame, (x - 4, bar_y - plate), (x + 4, bar_y + plate), (25, 25, 25), -1)
