#!/usr/bin/env bash
# Runs a command inside the Swift chroot made by ios_demo/tools/install-swift.sh.
#
#   ios_demo/tools/swift-run.sh DIR CMD...
#
# DIR (a host folder) and the repository root are bind-mounted at their own
# paths inside the chroot, so paths such as #filePath and tests/vectors read
# the same inside and out; CMD runs with DIR as its working directory. A folder
# named by GYMNOS_VECTORS_DIR is bound read-only and the variable passed on.
# All mounts live in a private mount namespace and are undone on exit, so runs
# can follow each other, or overlap, without leaking mounts.
set -euo pipefail

root="${GYMNOS_SWIFT_ROOT:-/var/cache/gymnos-edge/swift-trixie}"
stamp_name=.gymnos-edge-swift.stamp

die() { printf 'swift-run: error: %s\n' "$*" >&2; exit 1; }

[[ $# -ge 2 ]] || { printf 'usage: %s DIR CMD...\n' "$0" >&2; exit 2; }
[[ -f "$root/$stamp_name" ]] || die "no Swift chroot at $root; run ios_demo/tools/install-swift.sh first"
[[ $(id -u) -eq 0 ]] || die "must run as root (mount and chroot need it)"

if [[ -z "${GYMNOS_SWIFT_UNSHARED:-}" ]]; then
    GYMNOS_SWIFT_UNSHARED=1 exec unshare --mount --propagation private -- "$BASH" "$0" "$@"
fi

dir=$(cd "$1" 2>/dev/null && pwd -P) || die "no such folder: $1"
shift
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)

mounted=()
cleanup() {
    local i
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
        umount "${mounted[i]}" 2>/dev/null || umount -l "${mounted[i]}" 2>/dev/null || true
    done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bind() {  # bind HOST_PATH [ro]
    local target="$root$1"
    mkdir -p "$target"
    mount --bind "$1" "$target"
    mounted+=("$target")
    if [[ "${2:-}" == ro ]]; then
        mount -o remount,bind,ro "$target"
    fi
}

under() { [[ "$1" == "$2" || "$1" == "$2"/* ]]; }

mount -t proc proc "$root/proc"
mounted+=("$root/proc")
mount --bind /dev "$root/dev"
mounted+=("$root/dev")
bind "$repo"
under "$dir" "$repo" || bind "$dir"

env_vars=(PATH=/usr/local/bin:/usr/bin:/bin HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}")
if [[ -n "${GYMNOS_VECTORS_DIR:-}" ]]; then
    vectors=$(cd "$GYMNOS_VECTORS_DIR" 2>/dev/null && pwd -P) || die "no such folder: GYMNOS_VECTORS_DIR=$GYMNOS_VECTORS_DIR"
    under "$vectors" "$repo" || bind "$vectors" ro
    env_vars+=(GYMNOS_VECTORS_DIR="$vectors")
fi

# Not exec: the trap must still run to undo the mounts.
chroot "$root" /usr/bin/env -i "${env_vars[@]}" /bin/sh -c 'cd "$1" && shift && exec "$@"' sh "$dir" "$@"
