"""Feature extraction on a local Ray cluster: the local path's cache, through failures and interruptions."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from gymnos_edge.cli.app import app
from gymnos_edge.common.errors import UserError
from gymnos_edge.data.manifest import require_valid
from gymnos_edge.data.sampler import SamplingConfig
from gymnos_edge.features.extraction import FeatureCache, SpanRequest
from gymnos_edge.features.ray_engine import RayOptions
from gymnos_edge.training.classifier import build_backbone
from gymnos_edge.training.features_job import BackboneFactory, Engine, backbone_features
from helpers import DiesOnce

ray = pytest.importorskip("ray", reason="Ray is in the dev extra: pip install -e '.[dev]'")

pytestmark = pytest.mark.slow  # a local Ray and TensorFlow in every worker: tens of seconds
SAMPLING = SamplingConfig(every_s=0.5, image_size=32)
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def local_ray():
    """Two CPUs, no dashboard; the workers import gymnos_edge and these tests' helpers."""
    path = os.pathsep.join(filter(None, [str(ROOT), str(ROOT / "tests"), os.environ.get("PYTHONPATH")]))
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR,
             runtime_env={"env_vars": {"PYTHONPATH": path}})  # fmt: skip
    yield path
    ray.shutdown()


@pytest.fixture(scope="module")
def spans(demo_manifest):
    check = require_valid(demo_manifest)
    return [SpanRequest(s.video, *check.span_bounds(s)) for s in check.manifest.spans]


@pytest.fixture(scope="module")
def backbone():
    return build_backbone(SAMPLING.image_size, "none")


@pytest.fixture(scope="module")
def local_cache(tmp_path_factory, spans, backbone) -> Path:
    folder = tmp_path_factory.mktemp("local") / "cache"
    backbone_features(backbone, spans, SAMPLING, FeatureCache(folder))
    return folder


def assert_same_cache(reference: Path, folder: Path) -> None:
    """Same entry files; same timestamps; features equal to float16 rounding (another thread count, another sum)."""
    names = sorted(p.relative_to(reference) for p in reference.rglob("*") if p.is_file())
    assert sorted(p.relative_to(folder) for p in folder.rglob("*") if p.is_file()) == names
    for name in names:
        with np.load(reference / name) as expected, np.load(folder / name) as got:
            np.testing.assert_array_equal(got["timestamps"], expected["timestamps"])
            assert got["features"].dtype == np.float16 and got["features"].shape == expected["features"].shape
            np.testing.assert_array_max_ulp(got["features"], expected["features"], maxulp=1)


def test_ray_writes_the_cache_the_local_path_writes(local_ray, spans, backbone, local_cache, tmp_path):
    folder = tmp_path / "cache"
    options = RayOptions(workers=2, chunk_frames=4)  # every span cut into several stretches
    result = backbone_features(backbone, spans, SAMPLING, FeatureCache(folder), Engine.ray, options)
    assert_same_cache(local_cache, folder)  # the stretches' parts are joined and gone
    local = backbone_features(backbone, spans, SAMPLING, FeatureCache(local_cache))
    assert result.stats.spans_computed == len(spans) and local.stats.spans_cached == len(spans)
    assert result.stats.frames_computed == sum(len(e.timestamps) for e in local.entries)
    for got, expected in zip(result.entries, local.entries):
        np.testing.assert_array_equal(got.timestamps, expected.timestamps)
    again = backbone_features(backbone, spans, SAMPLING, FeatureCache(folder), Engine.ray, options)
    assert again.stats.spans_cached == len(spans) and again.stats.frames_computed == 0


def test_a_killed_worker_is_restarted_and_the_cache_completes(local_ray, spans, backbone, local_cache, tmp_path):
    from gymnos_edge.features.ray_engine import extract_features_ray

    marker = tmp_path / "killed"
    factory = DiesOnce(BackboneFactory.of(backbone), str(marker))
    fingerprint = BackboneFactory.of(backbone).fingerprint
    entries, stats = extract_features_ray(spans, factory, SAMPLING, fingerprint, FeatureCache(tmp_path / "cache"),
                                          RayOptions(workers=1, chunk_frames=8))  # fmt: skip
    assert marker.read_text().isdigit()  # a worker process really died mid-run
    assert stats.spans_computed == len(spans) and len(entries) == len(spans)
    assert_same_cache(local_cache, tmp_path / "cache")


def test_an_interrupted_run_resumes_from_what_its_workers_wrote(local_ray, spans, backbone, local_cache, tmp_path):
    folder = tmp_path / "cache"
    script = textwrap.dedent(f"""
        import logging, pickle, sys
        import ray
        from gymnos_edge.features.extraction import FeatureCache
        from gymnos_edge.features.ray_engine import RayOptions, extract_features_ray
        from helpers import StallsAfter
        spans, factory, sampling = pickle.load(open(sys.argv[1], "rb"))
        ray.init(address={ray.get_runtime_context().gcs_address!r}, log_to_driver=False,
                 logging_level=logging.ERROR, runtime_env={{"env_vars": {{"PYTHONPATH": {local_ray!r}}}}})
        extract_features_ray(spans, StallsAfter(factory, 2), sampling, factory.fingerprint,
                             FeatureCache({str(folder)!r}), RayOptions(workers=1, chunk_frames=8))
    """)  # fmt: skip
    import pickle

    job = tmp_path / "job.pkl"
    job.write_bytes(pickle.dumps((spans, BackboneFactory.of(backbone), SAMPLING)))
    driver = subprocess.Popen([sys.executable, "-c", script, str(job)], env={**os.environ, "PYTHONPATH": local_ray})
    deadline = time.time() + 180
    while time.time() < deadline and len(list(folder.rglob("*.npz"))) < 2 and driver.poll() is None:
        time.sleep(0.2)
    time.sleep(1.0)
    os.kill(driver.pid, signal.SIGKILL)
    driver.wait()
    written = list(folder.rglob("*.npz"))
    assert written, "the driver was killed before its workers wrote anything"
    result = backbone_features(backbone, spans, SAMPLING, FeatureCache(folder), Engine.ray,
                               RayOptions(workers=1, chunk_frames=8))  # fmt: skip
    total = sum(len(e.timestamps) for e in result.entries)
    assert result.stats.frames_computed < total  # what the killed run's workers wrote was kept
    assert_same_cache(local_cache, folder)


def test_a_worker_that_cannot_write_the_cache_is_one_clear_error(local_ray, demo_manifest, spans, backbone, tmp_path,
                                                                 monkeypatch):  # fmt: skip
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file where the cache folder should be")
    with pytest.raises(UserError, match="cannot write the feature cache") as caught:
        backbone_features(backbone, spans, SAMPLING, FeatureCache(blocker / "cache"), Engine.ray, RayOptions())
    assert "shared folder" in str(caught.value) and str(blocker / "cache") in str(caught.value)

    monkeypatch.setenv("GYMNOS_EDGE_CACHE", str(blocker))
    args = ["features", str(demo_manifest), "--weights", "none", "--image-size", "32", "--every", "0.5",
            "--engine", "ray"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output
    assert "cannot write the feature cache" in result.output and "Traceback" not in result.output
