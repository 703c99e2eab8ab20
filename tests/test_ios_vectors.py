"""The iPhone app's Swift set tracker and joint mapping agree with the Python reference on every shared vector.

Runs WorkoutCore's XCTest suite in the Swift chroot of ios_demo/tools/install-swift.sh
(`make test` installs it first) and checks that no vector file was skipped.
The SwiftPM build folder is kept between runs, so a run after the first takes seconds.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
VECTOR_DIR = REPO / "tests" / "vectors" / "smoothing"
POSE_VECTOR_DIR = REPO / "tests" / "vectors" / "pose"
WORKOUT_CORE = REPO / "ios_demo" / "WorkoutCore"
SWIFT_RUN = REPO / "ios_demo" / "tools" / "swift-run.sh"
SWIFT_ROOT = Path(os.environ.get("GYMNOS_SWIFT_ROOT", "/var/cache/gymnos-edge/swift-trixie"))
STAMP = SWIFT_ROOT / ".gymnos-edge-swift.stamp"
CONSUMED = re.compile(r"^consumed vector (\S+)$", re.MULTILINE)
CONSUMED_POSE = re.compile(r"^consumed pose vector (\S+)$", re.MULTILINE)


@pytest.fixture(scope="module")
def swift_test() -> subprocess.CompletedProcess:
    if not STAMP.exists():
        pytest.skip(f"no Swift chroot at {SWIFT_ROOT}: run ios_demo/tools/install-swift.sh (make test does)")
    if os.geteuid() != 0:
        pytest.skip("the Swift chroot needs root (mount and chroot)")
    env = {k: v for k, v in os.environ.items() if k != "GYMNOS_VECTORS_DIR"}
    return subprocess.run(
        ["bash", str(SWIFT_RUN), str(WORKOUT_CORE), "swift", "test", "--disable-swift-testing"],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        check=False,
    )


def test_swift_tests_pass(swift_test):
    output = swift_test.stdout + swift_test.stderr
    assert swift_test.returncode == 0, f"swift test failed:\n{output[-6000:]}"


def test_every_vector_is_consumed_by_the_swift_tests(swift_test):
    files = sorted(p.name for p in VECTOR_DIR.glob("*.json"))
    assert files, f"no vectors in {VECTOR_DIR}"
    consumed = set(CONSUMED.findall(swift_test.stdout + swift_test.stderr))
    assert [name for name in files if name not in consumed] == [], "vectors the Swift tests skipped"


def test_every_pose_vector_is_consumed_by_the_swift_tests(swift_test):
    files = sorted(p.name for p in POSE_VECTOR_DIR.glob("*.json"))
    assert files, f"no vectors in {POSE_VECTOR_DIR}"
    consumed = set(CONSUMED_POSE.findall(swift_test.stdout + swift_test.stderr))
    assert [name for name in files if name not in consumed] == [], "pose vectors the Swift tests skipped"
