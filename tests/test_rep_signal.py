"""The pose rep signal: learnt from training sets, it follows the movement and lets a sure model count reps."""

import numpy as np
import pytest

from gymnos_edge.common.errors import UserError
from gymnos_edge.features.keypoints import N_FEATURES
from gymnos_edge.features.rep_signal import REP_FEATURES, RepProjection, fit_rep_projection, rep_signal, rep_weights_of
from gymnos_edge.sets.smoothing import SmoothingParams, smooth_sequence

EVERY_S = 0.2
REP_S = 2.0


def _set_features(reps: int, direction: np.ndarray, seed: int, lead_s: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Pose features of one set: a pose of its own (where the lifter stands, their build) plus one cycle
    per rep along `direction`, starting and ending at the top; returns (features, the cycle's cosine)."""
    rng = np.random.default_rng(seed)
    t = np.arange(0, reps * REP_S + lead_s, EVERY_S)
    phase = np.cos(2 * np.pi * np.clip(t - lead_s, 0, None) / REP_S)
    features = np.zeros((len(t), N_FEATURES), np.float32)
    features[:, :REP_FEATURES] = rng.normal(0, 1, REP_FEATURES) + np.outer(phase, direction)
    features[:, :REP_FEATURES] += rng.normal(0, 0.05, (len(t), REP_FEATURES))
    return features, phase


def _directions(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    squat, press = rng.normal(0, 1, (2, REP_FEATURES))
    return squat / np.linalg.norm(squat), press / np.linalg.norm(press)


def test_each_exercise_gets_the_direction_its_sets_move_in_pointing_away_from_how_they_start():
    squat, press = _directions()
    sets = [_set_features(4, squat, 1), _set_features(5, squat, 2), _set_features(3, press, 3)]
    projection = fit_rep_projection([f for f, _ in sets], [0, 0, 1], n_outputs=3)
    assert projection.weights.shape == (3, REP_FEATURES)
    assert np.all(projection.weights[2] == 0)  # rest: no sets, no reps
    for row, direction in ((0, squat), (1, press)):
        cosine = projection.weights[row] @ direction / np.linalg.norm(projection.weights[row])
        assert cosine > 0.95  # the top of the movement (the sets' start) is above, a rep's far end a dip
    held_out, phase = _set_features(6, squat, 99)
    signal = rep_signal(held_out, projection.weights)[:, 0]
    assert np.corrcoef(signal, phase)[0, 1] > 0.95
    assert 0.8 < np.std(signal) < 1.25  # in within-set standard deviations, whatever the set's own pose


def test_a_set_the_model_is_sure_of_still_counts_its_reps_on_the_rep_signal():
    squat, press = _directions()
    projection = fit_rep_projection([_set_features(4, squat, 1)[0], _set_features(3, press, 2)[0]], [0, 1], 3)
    params = SmoothingParams(every_s=EVERY_S, rep_hysteresis=0.5)
    for reps in (3, 5, 8):
        features, _ = _set_features(reps, squat, 10 + reps, lead_s=1.0)
        sure = np.tile(np.float32([0.96, 0.02, 0.02]), (len(features), 1))  # the same probabilities every frame
        counted = smooth_sequence(sure, params, rest_class=True, rep_signal=rep_signal(features, projection.weights))
        assert counted.reps[-1] == reps
        on_log_odds = smooth_sequence(sure, params, rest_class=True)
        assert on_log_odds.reps[-1] == 0  # flat probabilities have nothing to count


def test_frames_the_estimator_got_wrong_do_not_steer_the_direction():
    squat, press = _directions()
    features, _ = _set_features(5, squat, 1)
    slipped = features.copy()
    slipped[7, :REP_FEATURES] += 25 * press  # one frame with a limb far off, along another direction
    clean = fit_rep_projection([features], [0], 2).weights[0]
    fitted = fit_rep_projection([slipped], [0], 2).weights[0]
    assert fitted @ clean / (np.linalg.norm(fitted) * np.linalg.norm(clean)) > 0.99


def test_an_exercise_without_usable_sets_gets_no_reps():
    squat, _ = _directions()
    short = _set_features(4, squat, 1)[0][:3]
    unposed = _set_features(4, squat, 2)[0]
    unposed[:, :REP_FEATURES] = 0
    unposed[:, -1] = 1  # every frame says "no pose"
    projection = fit_rep_projection([short, unposed], [0, 0], 2)
    assert not projection.weights.any()


def test_the_projection_round_trips_through_metadata_and_bad_weights_are_named():
    squat, press = _directions()
    projection = fit_rep_projection([_set_features(4, squat, 1)[0], _set_features(3, press, 2)[0]], [0, 1], 3)
    pose = {"rep_signal": projection.to_dict()}
    np.testing.assert_allclose(rep_weights_of(pose, 3, "run"), projection.weights, atol=1e-6)
    assert rep_weights_of({}, 3, "run") is None  # a model made before the rep signal counts on log-odds
    with pytest.raises(UserError, match=r"runs/old: pose.rep_signal.weights must be 2 rows of"):
        rep_weights_of(pose, 2, "runs/old")
    broken = {"rep_signal": {"weights": [[float("nan")] * REP_FEATURES] * 3}}
    with pytest.raises(UserError, match="finite"):
        RepProjection.from_dict(broken["rep_signal"], 3)


def test_a_rep_signal_with_nan_is_refused():
    probs = np.tile(np.float32([0.9, 0.1]), (4, 1))
    with pytest.raises(UserError, match="rep signal"):
        smooth_sequence(probs, SmoothingParams(), rep_signal=np.full((4, 2), np.nan, np.float32))
