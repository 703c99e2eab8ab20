#!/usr/bin/env bash
# Installs a Swift toolchain for the Linux checks of ios_demo/WorkoutCore.
#
# Debian bookworm does not package Swift and trixie does (`swiftlang`), so the
# toolchain lives in a small trixie chroot; ios_demo/tools/swift-run.sh runs
# commands inside it. Safe to run again: a finished chroot carries a stamp and a
# second run returns at once.
#
#   GYMNOS_SWIFT_ROOT   where the chroot goes (default /var/cache/gymnos-edge/swift-trixie)
set -euo pipefail

root="${GYMNOS_SWIFT_ROOT:-/var/cache/gymnos-edge/swift-trixie}"
suite=trixie
packages=(swiftlang libc6-dev libstdc++-14-dev)
stamp_name=.gymnos-edge-swift.stamp
# A change to the suite or the package list makes every existing chroot stale.
stamp="suite=${suite} packages=${packages[*]}"

log() { printf 'install-swift: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

if [[ -f "$root/$stamp_name" && "$(cat "$root/$stamp_name")" == "$stamp" ]]; then
    log "Swift chroot ready at $root"
    exit 0
fi

[[ $(id -u) -eq 0 ]] || die "must run as root (debootstrap, mount and chroot need it)"

# Every mount below lives in a private mount namespace: even a killed run
# cannot leave /proc or /dev bound inside a chroot that is later deleted.
if [[ -z "${GYMNOS_SWIFT_UNSHARED:-}" ]]; then
    command -v unshare >/dev/null || die "unshare (util-linux) not found"
    GYMNOS_SWIFT_UNSHARED=1 exec unshare --mount --propagation private -- "$BASH" "$0" "$@"
fi

mounts_under() {
    awk -v p="$1" '$2 == p || index($2, p "/") == 1 { print $2 }' /proc/self/mounts | sort -r
}

unmount_under() {
    local m
    for m in $(mounts_under "$1"); do
        umount "$m" 2>/dev/null || umount -l "$m" || return 1
    done
}

remove_tree() {
    unmount_under "$1" || die "cannot unmount everything under $1; remove it by hand"
    [[ -z "$(mounts_under "$1")" ]] || die "$1 still has mounts; remove it by hand"
    rm -rf --one-file-system -- "$1"
}

parent=$(dirname "$root")
mkdir -p "$parent"
# Two installs at once wait for each other; the second then finds the stamp.
exec 9>"$parent/.install-swift.lock"
flock 9
if [[ -f "$root/$stamp_name" && "$(cat "$root/$stamp_name")" == "$stamp" ]]; then
    log "Swift chroot ready at $root"
    exit 0
fi
if [[ -e "$root" && ! -f "$root/$stamp_name" ]]; then
    die "$root exists but was not made by this script; remove it or set GYMNOS_SWIFT_ROOT"
fi

for stale in "$root".partial.*; do
    [[ -e "$stale" ]] || continue
    log "removing unfinished install $stale"
    remove_tree "$stale"
done

work="$root.partial.$$"
logfile="$parent/install-swift.log"
: >"$logfile"

step=""
cleanup() {
    local rc=$?
    if [[ -n "$step" ]]; then
        kill -TERM -- "-$step" 2>/dev/null || true
        wait "$step" 2>/dev/null || true
    fi
    unmount_under "$work" || true
    if [[ $rc -eq 130 || $rc -eq 143 ]]; then
        log "interrupted; removing the unfinished install"
    elif [[ $rc -ne 0 ]]; then
        log "failed; last lines of $logfile:"
        tail -n 25 "$logfile" >&2 || true
    fi
    if [[ $rc -ne 0 && -d "$work" ]]; then
        remove_tree "$work"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Each step runs in its own process group and the script waits for it with
# `wait`, so Ctrl-C or a TERM stops the whole step at once, even one that
# would otherwise swallow the signal and carry on.
run_logged() {
    local rc=0
    setsid "$@" >>"$logfile" 2>&1 </dev/null &
    step=$!
    wait "$step" || rc=$?
    step=""
    return "$rc"
}

if ! command -v debootstrap >/dev/null; then
    log "installing debootstrap on the host"
    export DEBIAN_FRONTEND=noninteractive
    run_logged apt-get update -q || die "apt-get update failed"
    run_logged apt-get install -y -q --no-install-recommends debootstrap \
        || die "apt-get install debootstrap failed"
fi

log "creating a minimal Debian $suite chroot in $work (log: $logfile)"
mkdir -p "$work"
run_logged debootstrap --variant=minbase "$suite" "$work" || die "debootstrap $suite failed"

mount -t proc proc "$work/proc"
mount --bind /dev "$work/dev"

log "installing ${packages[*]} in the chroot (about 3 GB)"
in_chroot() {
    run_logged chroot "$work" /usr/bin/env -i \
        PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
        DEBIAN_FRONTEND=noninteractive "$@"
}
in_chroot apt-get update -q || die "apt-get update in the chroot failed"
in_chroot apt-get install -y -q --no-install-recommends "${packages[@]}" \
    || die "installing ${packages[*]} in the chroot failed"
in_chroot apt-get clean

swift_version=$(chroot "$work" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/root swift --version 2>&1 | head -n 1) \
    || die "swift does not run in the new chroot"

unmount_under "$work" || die "cannot unmount the chroot's /proc and /dev"
printf '%s\n' "$stamp" >"$work/$stamp_name"
if [[ -e "$root" ]]; then
    log "replacing the outdated chroot at $root"
    remove_tree "$root"
fi
mv -T "$work" "$root"
log "done: $swift_version"
log "Swift chroot ready at $root"
