"""The LiteRT runtime over exported files: metadata, frame-by-frame steps, the state fed back."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from gymnos_edge.common.contract import IMAGE, NEXT_STATE, PROBS, SERVING, STATE
from gymnos_edge.common.errors import UserError
from gymnos_edge.export.tflite.convert import convert_tflite
from gymnos_edge.sets.smoothing import SmoothingParams, initial_state, smooth_sequence, state_size
from gymnos_edge.inference.litert_model import TFLiteModel, load_metadata, read_embedded_metadata
from helpers import LABELS, TINY_SIZE, random_images, stub_classifier, stub_metadata

@pytest.fixture(scope="module")
def stub_file(tmp_path_factory):
    classifier = stub_classifier(len(LABELS))
    path = tmp_path_factory.mktemp("stub") / "model_fp32.tflite"
    path.write_bytes(convert_tflite(classifier, SmoothingParams(), "fp32", metadata=stub_metadata()))
    return path, classifier


def test_metadata_comes_from_the_file_itself(stub_file):
    path, _ = stub_file
    model = TFLiteModel(path, num_threads=1)
    assert model.labels == LABELS and model.n_classes == 2 and model.rest_label == "rest"
    assert model.image_size == TINY_SIZE and model.resize.value == "crop" and model.quantization == "fp32"
    assert model.smoothing == SmoothingParams()
    assert model.sampling.every_s == 0.2 and model.sampling.image_size == TINY_SIZE
    np.testing.assert_array_equal(model.initial_state(), initial_state(2))
    assert model.label_name(1) == "squat" and model.label_name(2) == "rest"


def test_sibling_metadata_json_wins_over_the_embedded_copy(stub_file, tmp_path):
    path, _ = stub_file
    copy = tmp_path / path.name
    shutil.copy(path, copy)
    metadata = {**read_embedded_metadata(copy), "labels": ["press", "squat"]}
    (tmp_path / "metadata.json").write_text(__import__("json").dumps(metadata))
    assert TFLiteModel(copy).labels == ("press", "squat")
    assert load_metadata(copy)["labels"] == ["press", "squat"]


def test_step_matches_keras_and_feeds_the_state_back(stub_file):
    path, classifier = stub_file
    model = TFLiteModel(path)
    images = random_images(12)
    steps = list(model.run(images))
    probs = np.stack([s.probs for s in steps])
    expected = np.asarray(classifier.predict_on_batch(images.astype(np.float32)))
    np.testing.assert_allclose(probs, expected, atol=1e-5)
    reference = smooth_sequence(probs, model.smoothing)
    np.testing.assert_allclose(np.stack([s.next_state for s in steps]), reference.states, atol=1e-6)
    assert [s.label for s in steps] == reference.labels.tolist()
    np.testing.assert_allclose(np.stack([s.smoothed for s in steps]), reference.smoothed, atol=1e-6)
    first = steps[0]
    assert first.probs.shape == (2,) and first.next_state.shape == (state_size(2),) and isinstance(first.label, int)


def test_frames_of_another_size_are_resized_by_the_model_policy(stub_file):
    path, _ = stub_file
    model = TFLiteModel(path)
    portrait = random_images(1, size=96)[0][:, :48]
    assert model.prepare(portrait).shape == (1, TINY_SIZE, TINY_SIZE, 3)
    assert model.step(portrait).probs.shape == (2,)
    with pytest.raises(UserError, match="H×W×3"):
        model.step(np.zeros((TINY_SIZE, TINY_SIZE), np.uint8))


def test_probabilities_implements_the_frame_model_protocol(stub_file):
    from gymnos_edge.inference.open_model import open_frame_model

    path, _ = stub_file
    frame_model = open_frame_model(path)
    images = random_images(5).astype(np.float32)
    probs = frame_model.probabilities(images)
    assert probs.shape == (5, 2)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert frame_model.probabilities(images[:0]).shape == (0, 2)


def test_probabilities_of_a_batch_equal_the_serving_signature_frame_by_frame(stub_file):
    """What bench scores is what a phone computes: serving_default, one frame at a time, the state fed back."""
    from ai_edge_litert.interpreter import Interpreter

    path, _ = stub_file
    images = random_images(9, seed=4)
    serve = Interpreter(model_path=str(path), num_threads=1).get_signature_runner(SERVING)
    state, served = initial_state(len(LABELS))[None], []
    for image in images:
        result = serve(**{IMAGE: image.astype(np.float32)[None], STATE: state})
        served.append(result[PROBS][0])
        state = result[NEXT_STATE]
    np.testing.assert_array_equal(TFLiteModel(path).probabilities(images.astype(np.float32)), np.stack(served))


def test_smooth_step_replays_the_reference(stub_file):
    path, _ = stub_file
    model = TFLiteModel(path)
    probs = np.random.default_rng(3).dirichlet([1.0, 1.0], size=40).astype(np.float32)
    probs[10:25] = [0.05, 0.95]
    state, labels = model.initial_state(), []
    for row in probs:
        result = model.smooth_step(row, state)
        state = result.next_state
        labels.append(result.label)
        assert result.probs is None
    assert labels == smooth_sequence(probs, model.smoothing).labels.tolist()


def test_bad_files_are_clear(tmp_path, stub_file):
    with pytest.raises(UserError, match="model file not found"):
        TFLiteModel(tmp_path / "missing.tflite")
    garbage = tmp_path / "garbage.tflite"
    garbage.write_bytes(b"this is not a flatbuffer" * 10)
    with pytest.raises(UserError, match="garbage.tflite"):
        TFLiteModel(garbage)
    bare = tmp_path / "bare" / "model.tflite"
    bare.parent.mkdir()
    bare.write_bytes(convert_tflite(stub_classifier(2), SmoothingParams(), "fp32"))
    with pytest.raises(UserError, match="no metadata.json beside it and none embedded"):
        TFLiteModel(bare)
    path, _ = stub_file
    (tmp_path / "metadata.json").write_text('{"labels": ["a", "b"]}')
    copy = tmp_path / "model.tflite"
    shutil.copy(path, copy)
    with pytest.raises(UserError, match="missing field"):
        TFLiteModel(copy)


def test_exports_that_still_call_the_sampling_interval_interval_s_load():
    """Runs and exports written before the interval had one name (`every_s`) keep working."""
    from gymnos_edge.inference.litert_model import check_export_metadata

    old = stub_metadata(params=SmoothingParams(every_s=0.1))
    old["interval_s"] = old.pop("every_s")
    old["smoothing"]["interval_s"] = old["smoothing"].pop("every_s")
    checked = check_export_metadata(old, "old.json")
    assert checked["every_s"] == 0.1
    assert SmoothingParams.from_dict(checked["smoothing"]).every_s == 0.1
