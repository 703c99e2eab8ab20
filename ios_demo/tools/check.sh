#!/usr/bin/env bash
# Linux checks of the iPhone demo: WorkoutCore's XCTest suite (the shared
# smoothing vectors included) and a parse of every app source file. The app
# imports UIKit, AVFoundation and Core ML, so only Xcode can compile it; the
# parse still catches syntax errors. Installs the Swift chroot on first use.
set -euo pipefail

tools=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
demo=$(dirname "$tools")
repo=$(dirname "$demo")
vectors="${GYMNOS_VECTORS_DIR:-$repo/tests/vectors/smoothing}"
pose_vectors="$repo/tests/vectors/pose"

say() { printf 'check: %s\n' "$*"; }
fail() { printf 'check: FAILED: %s\n' "$*" >&2; exit 1; }

"$tools/install-swift.sh"

say "swift test (WorkoutCore)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! "$tools/swift-run.sh" "$demo/WorkoutCore" swift test --disable-swift-testing 2>&1 | tee "$log"; then
    fail "WorkoutCore tests"
fi
missing=()
for file in "$vectors"/*.json; do
    [[ -e "$file" ]] || fail "no smoothing vectors in $vectors"
    grep -qxF "consumed vector $(basename "$file")" "$log" || missing+=("$(basename "$file")")
done
[[ ${#missing[@]} -eq 0 ]] || fail "vectors not consumed by the Swift tests: ${missing[*]}"
for file in "$pose_vectors"/*.json; do
    [[ -e "$file" ]] || fail "no pose vectors in $pose_vectors"
    grep -qxF "consumed pose vector $(basename "$file")" "$log" || missing+=("$(basename "$file")")
done
[[ ${#missing[@]} -eq 0 ]] || fail "pose vectors not consumed by the Swift tests: ${missing[*]}"

say "swiftc -parse (GymnosEdgeDemo)"
mapfile -t sources < <(find "$demo/GymnosEdgeDemo" -name '*.swift' | sort)
[[ ${#sources[@]} -gt 0 ]] || fail "no app sources under $demo/GymnosEdgeDemo"
"$tools/swift-run.sh" "$demo" swiftc -parse "${sources[@]}" || fail "app sources do not parse"

say "Info.plist"
python3 - "$demo/GymnosEdgeDemo/Info.plist" <<'PY' || fail "Info.plist"
import plistlib
import sys

with open(sys.argv[1], "rb") as handle:
    info = plistlib.load(handle)
assert info.get("NSCameraUsageDescription"), "NSCameraUsageDescription is missing"
assert info.get("UISupportedInterfaceOrientations") == ["UIInterfaceOrientationPortrait"], "not portrait only"
PY

say "all Swift checks passed (${#sources[@]} app sources parsed)"
