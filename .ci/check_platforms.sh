#!/usr/bin/env bash
# Prove that the dependencies resolve to binary wheels on every platform users install on, without
# installing anything: Linux x86_64 (glibc 2.28+) and macOS 14+ on Apple silicon, each supported Python.
# Needs PyPI. Linux aarch64 is not a target: coremltools and TensorFlow 2.21 ship no wheels for it.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
PYTHONS=${PYTHONS:-"3.11 3.12 3.13"}  # keras 3.13 needs 3.11+; TensorFlow 2.21 and coremltools 9 stop at 3.13

# pip matches --platform exactly for Linux, so list every manylinux tag a glibc 2.28 machine accepts.
linux_platforms=(--platform manylinux2014_x86_64)
for minor in $(seq 17 28); do linux_platforms+=(--platform "manylinux_2_${minor}_x86_64"); done
mac_platforms=(--platform macosx_14_0_arm64)  # pip itself adds the older macOS and universal2 tags

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
check() {  # name, sys_platform, machine, python, platform flags…
  local name=$1 system=$2 machine=$3 python=$4
  shift 4
  local requirements="$work/$name-$python.txt"
  "$PYTHON" .ci/platform_requirements.py "$system" "$machine" "$python" > "$requirements"
  if "$PYTHON" -m pip install --quiet --dry-run --ignore-installed --only-binary=:all: --python-version "$python" \
      --target "$work/target" "$@" -r "$requirements" > "$work/log" 2>&1; then
    echo "ok      $name, Python $python"
  else
    echo "FAILED  $name, Python $python:"
    grep -E "ERROR|requires" "$work/log" | sed 's/^/        /' | head -5
    failed=1
  fi
}
for python in $PYTHONS; do
  check linux-x86_64 linux x86_64 "$python" "${linux_platforms[@]}"
  check macos-arm64 darwin arm64 "$python" "${mac_platforms[@]}"
done
exit $failed
