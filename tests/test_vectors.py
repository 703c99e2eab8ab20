"""The shared smoothing vectors are exactly what the Python reference produces today."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from gymnos_edge.sets.segments import segment
from gymnos_edge.sets.smoothing import SmoothingParams, initial_state, smooth_sequence, state_index, step
from gymnos_edge.sets.shared_vectors import CASES, MARGIN, Block, close_calls, draw_probs, write_vectors

VECTOR_DIR = Path(__file__).parent / "vectors" / "smoothing"
FILES = sorted(VECTOR_DIR.glob("*.json"))
KEYS = (
    "name description labels rest_label rest_class params derived initial_state probs states smoothed labels_out "
    "reps_out sets rests"
).split()


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_there_are_at_least_eight_vector_files():
    assert len(FILES) >= 8


def test_regenerating_gives_identical_bytes(tmp_path):
    written = write_vectors(tmp_path)
    assert sorted(p.name for p in written) == [p.name for p in FILES], "stale or missing vector files"
    for path in written:
        assert path.read_bytes() == (VECTOR_DIR / path.name).read_bytes(), (
            f"{path.name} drifted from the reference: run scripts/make_smoothing_vectors.py"
        )


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_vector_matches_step(path):
    vector = load(path)
    assert [key for key in vector if key != "rep_signal"] == KEYS
    params = SmoothingParams.from_dict(vector["params"])
    assert vector["derived"] == params.derived()
    rest_class = vector["rest_class"]
    n = len(vector["labels"]) + rest_class
    assert vector["rest_label"] == "rest" and len(vector["probs"][0]) == n
    state = np.asarray(vector["initial_state"], np.float32)
    np.testing.assert_array_equal(state, initial_state(n, rest_class))

    probs = np.asarray(vector["probs"], np.float32)
    assert probs.astype(np.float64).tolist() == vector["probs"], "probs are not float32 values"
    signals = np.asarray(vector["rep_signal"], np.float32) if "rep_signal" in vector else [None] * len(probs)
    states, smoothed, labels = [], [], []
    for frame, signal in zip(probs, signals):
        state, ema, label = step(state, frame, params, rest_class=rest_class, rep_signal=signal)
        states.append(state)
        smoothed.append(ema)
        labels.append(int(label))
    np.testing.assert_array_equal(np.asarray(vector["states"], np.float32), np.stack(states))
    np.testing.assert_array_equal(np.asarray(vector["smoothed"], np.float32), np.stack(smoothed))
    assert vector["labels_out"] == labels
    states = np.stack(states)
    assert vector["reps_out"] == states[:, state_index(n, "reps")].astype(int).tolist()

    times = np.arange(len(probs)) * params.every_s
    timeline = segment(
        times, labels, vector["labels"], params.every_s, confidences=np.stack(smoothed),
        held=states[:, state_index(n, "held")], reps=vector["reps_out"],
    )  # fmt: skip
    assert {"sets": vector["sets"], "rests": vector["rests"]} == timeline.to_dict()


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_vector_has_no_close_calls(path):
    vector = load(path)
    params = SmoothingParams.from_dict(vector["params"])
    signal = np.asarray(vector["rep_signal"], np.float32) if "rep_signal" in vector else None
    probs = np.asarray(vector["probs"], np.float32)
    assert close_calls(probs, params, rest_class=vector["rest_class"], rep_signal=signal) == []


def test_a_vector_counts_reps_on_a_rep_signal_where_the_log_odds_count_none():
    vector = load(FILES[0].parent / "rest_class_reps_on_signal.json")
    params = SmoothingParams.from_dict(vector["params"])
    probs = np.asarray(vector["probs"], np.float32)
    on_signal = smooth_sequence(probs, params, True, np.asarray(vector["rep_signal"], np.float32))
    assert [s["reps"] for s in vector["sets"]] == [4, 6] and on_signal.reps.max() == 6
    assert smooth_sequence(probs, params, True).reps.max() <= 1  # the sure, flat probabilities hardly move


def test_a_band_that_follows_the_amplitude_counts_a_shallow_set_a_fixed_band_misses():
    vector = load(FILES[0].parent / "rest_class_reps_following_band.json")
    params = SmoothingParams.from_dict(vector["params"])
    probs, signal = np.asarray(vector["probs"], np.float32), np.asarray(vector["rep_signal"], np.float32)
    assert params.rep_gain_tau_s > 0 and [s["reps"] for s in vector["sets"]] == [4, 5]
    fixed = smooth_sequence(probs, replace(params, rep_gain_tau_s=0.0), True, signal)
    times = np.arange(len(probs)) * params.every_s
    sets = segment(times, fixed.labels, vector["labels"], params.every_s, reps=fixed.reps).to_dict()["sets"]
    assert [s["reps"] for s in sets] == [4, 0]  # a band of rep_hysteresis: the shallow set counts nothing


def test_vectors_cover_a_trained_rest_class():
    with_rest = [load(path) for path in FILES if load(path)["rest_class"]]
    assert len(with_rest) >= 3
    assert any(v["sets"] == [] for v in with_rest), "a steady rest never shows a set"
    assert any(len(v["sets"]) >= 2 and len(v["rests"]) >= 2 for v in with_rest), "sets between rests"


def test_close_calls_flags_a_top_probability_at_enter():
    # tau_s = 0 shows the raw frame; 0.70004 is 4e-5 from enter = 0.7.
    params = SmoothingParams(tau_s=0.0)
    probs = np.asarray([[0.70004, 0.29996], [0.9, 0.1]], np.float32)
    found = close_calls(probs, params)
    assert len(found) == 1 and found[0].startswith("step 0: top") and "enter" in found[0]


def test_close_calls_flags_the_shown_class_at_exit():
    # squat is shown from step 0 (min_set_s 0 → 1 step); at step 1 it sits 5e-5 above exit 0.45,
    # while the top (0.54995) is clear of enter and floor.
    params = SmoothingParams(tau_s=0.0, min_set_s=0.0)
    probs = np.asarray([[0.9, 0.1], [0.45005, 0.54995]], np.float32)
    found = close_calls(probs, params)
    assert len(found) == 1 and found[0].startswith("step 1: shown") and "exit" in found[0]


def test_close_calls_passes_clear_sequences():
    probs = np.asarray([[0.9, 0.1], [0.8, 0.2], [0.2, 0.8]], np.float32)
    assert close_calls(probs, SmoothingParams(tau_s=0.0), margin=MARGIN) == []


def test_draw_probs_are_distributions_on_the_grid():
    probs = draw_probs((Block((0.5, 0.3, 0.2), 50, 5.0),), seed=1)
    assert probs.dtype == np.float32 and probs.shape == (50, 3)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(probs * 10_000, np.round(probs * 10_000), atol=1e-3)


def test_cases_cover_the_promised_situations():
    names = {case.name for case in CASES}
    promised = {"steady", "noisy", "glitches", "set_rest_set", "class_switch", "three_classes", "tau_zero", "durations"}
    promised |= {"reps_steady", "reps_half_rep", "reps_pause", "reps_noisy", "reps_slow", "reps_fast", "reps_two_sets"}
    assert promised <= names
    assert any(case.params.tau_s == 0 for case in CASES)
    assert any(len(case.labels) == 3 for case in CASES)
    assert any(case.params.min_set_s != case.params.min_rest_s for case in CASES)


def test_rep_vectors_count_what_their_descriptions_promise():
    by_name = {case.name: case for case in CASES}
    counted = {}
    for path in FILES:
        vector = load(path)
        case = by_name[vector["name"]]
        if case.expected_reps is not None:
            counted[case.name] = tuple(s["reps"] for s in vector["sets"])
            assert counted[case.name] == case.expected_reps, case.name
    assert counted["reps_steady"] == (8,) and counted["reps_two_sets"] == (5, 3) and counted["rest_class_reps"] == (4, 6)
    assert len(counted) >= 8


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_reps_start_from_zero_in_every_set_and_never_count_down_inside_one(path):
    vector = load(path)
    n = len(vector["labels"]) + vector["rest_class"]
    rest = len(vector["labels"])
    reps, labels = vector["reps_out"], vector["labels_out"]
    for t, (count, label) in enumerate(zip(reps, labels)):
        if label == rest:
            assert count == 0
        elif t > 0 and labels[t - 1] == label:
            assert count in (reps[t - 1], reps[t - 1] + 1), f"step {t}"
    assert all(s["reps"] is not None and s["reps"] >= 0 for s in vector["sets"])
    assert len(vector["states"][0]) == n + 10  # the documented layout (docs/smoothing.md)
