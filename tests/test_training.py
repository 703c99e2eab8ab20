"""Training on tiny real demo videos: parameter counts, cache behaviour, splits, end to end."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gymnos_edge.common.errors import UserError
from gymnos_edge.features.extraction import FeatureCache, SpanRequest, cache_key, extract_features
from gymnos_edge.data.manifest import Manifest, Span, require_valid
from gymnos_edge.training.heads import Head
from gymnos_edge.training.classifier import ModelSpec, build_model, load_classifier
from gymnos_edge.training.run_folder import load_run
from gymnos_edge.data.sampler import SamplingConfig
from gymnos_edge.data.splits import plan_splits
from gymnos_edge.training.features_job import FeaturesConfig, compute_features
from gymnos_edge.training.plan import training_spans
from gymnos_edge.training.train import TrainConfig, train
from helpers import tiny_train_config


def _count(weights) -> int:
    return sum(int(np.prod(w.shape)) for w in weights)


def test_seed_architecture_has_the_original_parameter_counts():
    model = build_model(ModelSpec(labels=("overhead_press", "squat"), image_size=224, weights="none"))
    assert model.count_params() == 40_407_874
    assert _count(model.trainable_weights) == 25_693_186
    assert _count(model.non_trainable_weights) == 14_714_688


def test_gap_head_is_much_lighter():
    model = build_model(ModelSpec(labels=("a", "b", "c"), image_size=64, head=Head.gap, weights="none"))
    assert _count(model.trainable_weights) == 512 * 1024 + 1024 + 1024 * 3 + 3


def test_bad_weights_files_are_clear_errors(tmp_path):
    with pytest.raises(UserError, match="weights file not found"):
        build_model(ModelSpec(labels=("a", "b"), image_size=32, weights=str(tmp_path / "missing.h5")))
    junk = tmp_path / "junk.weights.h5"
    junk.write_bytes(b"not hdf5")
    with pytest.raises(UserError, match="cannot load VGG16 backbone weights"):
        build_model(ModelSpec(labels=("a", "b"), image_size=32, weights=str(junk)))


def _fake_features(batch: np.ndarray) -> np.ndarray:
    return batch.mean(axis=(1, 2))  # (B, 3): cheap and real enough to test the cache


def test_cache_hits_misses_and_invalidates_when_the_video_changes(make_video, tmp_path):
    video = make_video("clip.mp4", seconds=2.0)
    sampling = SamplingConfig(every_s=0.5, image_size=32)
    cache = FeatureCache(tmp_path / "cache")
    request = SpanRequest(video, 0.0, 2.0)
    first, stats = extract_features([request], _fake_features, sampling, "fp1", cache)
    assert stats.spans_computed == 1 and len(first[0].timestamps) == 4
    again, stats = extract_features([request], _fake_features, sampling, "fp1", cache)
    assert stats.spans_cached == 1 and stats.frames_computed == 0
    np.testing.assert_array_equal(first[0].features, again[0].features)
    _, stats = extract_features([request], _fake_features, sampling, "fp2", cache)
    assert stats.spans_computed == 1  # another backbone: never served the old features
    _, stats = extract_features([request], _fake_features, SamplingConfig(every_s=0.25, image_size=32), "fp1", cache)
    assert stats.spans_computed == 1
    key_before = cache_key(request, sampling, "fp1")
    make_video("clip.mp4", seconds=3.0)  # the file changes in place
    assert cache_key(request, sampling, "fp1") != key_before


def test_interrupted_extraction_resumes_from_finished_spans(make_video, tmp_path):
    videos = [make_video(f"v{i}.mp4", seconds=2.0) for i in range(3)]
    cache_dir = tmp_path / "cache"
    script = textwrap.dedent(f"""
        import time, numpy as np
        from pathlib import Path
        from gymnos_edge.features.extraction import FeatureCache, SpanRequest, extract_features
        from gymnos_edge.data.sampler import SamplingConfig
        calls = []
        def slow(batch):
            calls.append(1)
            if len(calls) > 1:
                time.sleep(600)  # stuck on the second span: killed here
            return batch.mean(axis=(1, 2))
        requests = [SpanRequest(Path(p), 0.0, 2.0) for p in {[str(v) for v in videos]!r}]
        extract_features(requests, slow, SamplingConfig(every_s=0.5, image_size=32), "fp", FeatureCache({str(cache_dir)!r}))
    """)
    process = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.time() + 60
    while time.time() < deadline and len(list(cache_dir.rglob("*.npz"))) < 1:
        time.sleep(0.2)
    time.sleep(0.5)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert len(list(cache_dir.rglob("*.npz"))) == 1
    assert not [p for p in cache_dir.rglob("*") if p.is_file() and p.suffix != ".npz"]  # no half-written entry
    requests = [SpanRequest(v, 0.0, 2.0) for v in videos]
    _, stats = extract_features(requests, _fake_features, SamplingConfig(every_s=0.5, image_size=32), "fp",
                                FeatureCache(cache_dir))  # fmt: skip
    assert stats.spans_cached == 1 and stats.spans_computed == 2


@st.composite
def manifests(draw):
    n_videos = draw(st.integers(2, 12))
    n_groups = draw(st.integers(0, 5))
    spans = []
    for v in range(n_videos):
        group = f"g{draw(st.integers(0, n_groups - 1))}" if n_groups else None
        for s in range(draw(st.integers(1, 3))):
            spans.append(Span(f"line {len(spans) + 2}", Path(f"/v/{v}.mp4"), f"{v}.mp4", f"l{s % 2}", s * 10.0,
                              s * 10.0 + 5, group))  # fmt: skip
    return Manifest(Path("/v/m.csv"), tuple(spans))


from pathlib import Path  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(manifests(), st.integers(0, 3))
def test_automatic_splits_never_share_a_video_or_a_group(manifest, seed):
    plan = plan_splits(manifest, seed=seed)
    assert set(plan.by_video) == set(manifest.videos)
    assert set(plan.by_video.values()) <= {"train", "val"} and "train" in plan.by_video.values()
    groups = {}
    for video, split in plan.by_video.items():
        group = manifest.spans_of(video)[0].group
        if group is not None and plan.method.startswith("by group"):
            assert groups.setdefault(group, split) == split


def test_holdout_group_becomes_test(demo_manifest):
    from gymnos_edge.data.manifest import load_manifest

    manifest = load_manifest(demo_manifest)
    plan = plan_splits(manifest, holdout_group="gym_b")
    assert all(manifest.spans_of(v)[0].group == "gym_b" for v in plan.videos("test"))
    assert plan.videos("train") and plan.videos("val") and plan.warnings  # one gym left: says val is optimistic
    with pytest.raises(UserError, match="not a group"):
        plan_splits(manifest, holdout_group="gym_z")


def test_train_end_to_end_on_tiny_demo_data(demo_manifest, tmp_path):
    config = tiny_train_config(demo_manifest, tmp_path, epochs=3)
    result = train(config)
    run = load_run(tmp_path / "runs" / "latest")
    assert run.folder == result.run.folder
    meta = run.metadata
    assert meta.labels == ("overhead_press", "squat") and meta.image_size == 32 and meta.every_s == 0.5
    assert "caffe" in meta.preprocessing and meta.weights == "none"
    assert meta.splits["train"]["videos"] + meta.splits["val"]["videos"] == 4
    train_groups, val_groups = set(meta.splits["train"]["groups"]), set(meta.splits["val"]["groups"])
    assert train_groups and val_groups and not train_groups & val_groups
    for name in ("metrics.json", "confusion.png", "curves.png"):
        assert (run.report_folder / name).stat().st_size > 0
    # reloads and predicts exactly as before saving
    images = np.random.default_rng(0).uniform(0, 255, (3, 32, 32, 3)).astype(np.float32)
    before = result.run.load_model().predict(images, verbose=0)
    after = load_classifier(run.model_path).predict(images, verbose=0)
    np.testing.assert_allclose(before, after, atol=1e-6)
    # a second run is served from the cache
    again = train(TrainConfig(**{**config.__dict__, "out": tmp_path / "runs" / "again"}))
    assert again.frames_computed == 0


def test_train_reads_every_frame_from_a_cache_the_features_job_filled(demo_manifest, tmp_path):
    config = tiny_train_config(demo_manifest, tmp_path, epochs=1)
    filled = compute_features(FeaturesConfig(demo_manifest, weights=config.weights, sampling=config.sampling,
                                             seed=config.seed, cache_dir=config.cache_dir))  # fmt: skip
    spans = {(s.request.video, s.request.start_s, s.request.end_s)  # train's spans, rest gaps included
             for s in training_spans(require_valid(demo_manifest), config.gaps)[0]}  # fmt: skip
    assert filled.stats.spans_computed == len(spans) and filled.frames == filled.stats.frames_computed > 0
    result = train(config)
    assert result.frames_computed == 0  # same keys: the backbone and the sampling are built from the same flags
    assert result.run.metadata.weights_fingerprint == filled.fingerprint


@pytest.mark.slow
def test_train_never_deletes_a_folder_it_was_not_asked_to_replace(demo_manifest, tmp_path):
    config = tiny_train_config(demo_manifest, tmp_path, epochs=1)
    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / "holiday.jpg").write_bytes(b"precious")
    for force in (False, True):
        with pytest.raises(UserError, match="already exists|not a gymnos-edge run folder"):
            train(TrainConfig(**{**config.__dict__, "out": photos, "force": force}))
        assert (photos / "holiday.jpg").read_bytes() == b"precious"
    first = train(config)
    with pytest.raises(UserError, match="already exists; pass --force"):
        train(config)
    assert load_run(config.out).metadata.created == first.run.metadata.created
    replaced = train(TrainConfig(**{**config.__dict__, "force": True}))
    assert load_run(config.out).folder == replaced.run.folder
    (tmp_path / "a_file").write_text("x")
    with pytest.raises(UserError, match="not a folder"):
        train(TrainConfig(**{**config.__dict__, "out": tmp_path / "a_file", "force": True}))


def test_train_refuses_bad_input_before_heavy_work_and_leaves_no_run(tmp_path, make_video):
    make_video("a.mp4")
    manifest = tmp_path / "m.csv"
    manifest.write_text("video,label\na.mp4,squat\nmissing.mp4,press\n")
    out = tmp_path / "runs" / "bad"
    with pytest.raises(UserError, match="missing.mp4"):
        train(TrainConfig(manifest=manifest, out=out, weights="none", sampling=SamplingConfig(image_size=32)))
    assert not out.exists()
    single = tmp_path / "single.csv"
    single.write_text("video,label\na.mp4,squat\n")
    with pytest.raises(UserError, match="at least 2 classes"):
        train(TrainConfig(manifest=single, out=out, weights="none", sampling=SamplingConfig(image_size=32)))


def test_weights_files_backbone_only_or_whole_classifier(tmp_path):
    from gymnos_edge.training.classifier import weights_fingerprint

    donor = build_model(ModelSpec(labels=("a", "b", "c"), image_size=32, head=Head.gap, weights="none"), seed=5)
    full, backbone_only = tmp_path / "full.weights.h5", tmp_path / "backbone.weights.h5"
    donor.save_weights(full)
    donor.get_layer("backbone").save_weights(backbone_only)
    expected = weights_fingerprint(donor.get_layer("backbone"))
    for path in (backbone_only, full):
        model = build_model(ModelSpec(labels=("x", "y", "z"), image_size=32, weights=str(path)))
        assert weights_fingerprint(model.get_layer("backbone")) == expected
    with pytest.raises(UserError, match="classifier for 3 classes but the manifest has 2 labels"):
        build_model(ModelSpec(labels=("x", "y"), image_size=32, weights=str(full)))
