"""Write outputs under a temporary name and rename them, so a crash never leaves half a file."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator

from gymnos_edge.common.errors import UserError


@contextlib.contextmanager
def atomic_path(target: Path | str, directory: bool = False) -> Iterator[Path]:
    """Yield a temporary sibling of `target`; on success it replaces `target`, on error it vanishes.

    With `directory=True` the temporary path is an empty folder (for `.mlpackage`
    bundles and run folders); otherwise it is a path to write one file to.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(target.parent)
    prefix = f".{target.name}.tmp-{os.getpid()}-"  # the writer's PID: whoever comes next can tell it died
    if directory:
        temporary = Path(tempfile.mkdtemp(prefix=prefix, dir=target.parent))
        os.chmod(temporary, 0o777 & ~_umask())
    else:
        handle, name = tempfile.mkstemp(prefix=prefix, dir=target.parent)
        os.close(handle)
        temporary = Path(name)
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp's 0600 would hide outputs from other users
    try:
        yield temporary
        _replace(temporary, target)
    except BaseException:
        _remove(temporary)
        raise


# Exactly the names written here (tempfile adds 8 characters of [a-z0-9_]; write_video one suffix), so
# a user's own file can never match.
_LEFTOVER = re.compile(
    r"""^\.(?P<name>.+)\.(?:
        tmp-(?P<pid>\d+)(?:-[a-z0-9_]{8}(?:\.enc\.mp4)?)?   # atomic_path's files and folders, run_folder's link
      | (?P<old>old)-(?P<old_pid>\d+)                       # a replaced folder, moved aside
    )$""",
    re.VERBOSE,
)
STALE_AFTER_S = 60.0  # never touch a temporary this young, whoever wrote it


def remove_stale_temporaries(folder: Path | str) -> list[Path]:
    """Delete what killed writers left in `folder`: temporaries of processes that no longer run.

    A process killed with SIGKILL (or a machine losing power) runs no clean-up, so its
    `.NAME.tmp-PID-…` survives; the next atomic write into the same folder removes it. A
    `.NAME.old-PID` (the previous version of a replaced folder) goes only once NAME exists again.
    """
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        match = _LEFTOVER.match(entry.name)
        if match is None or _alive(int(match["pid"] or match["old_pid"])):
            continue
        try:
            if now - entry.stat(follow_symlinks=False).st_mtime < STALE_AFTER_S:
                continue
        except OSError:
            continue
        if match["old"] and not os.path.lexists(os.path.join(folder, match["name"])):
            continue  # killed between moving the old version aside and the new one in: keep it
        path = Path(entry.path)
        _remove(path)
        removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid() or os.name == "nt":  # on Windows, os.kill(pid, 0) would stop the process
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    except OverflowError:
        return False
    return True


def require_replaceable(target: Path | str, force: bool, marker: str, kind: str) -> None:
    """Refuse to write over anything the user did not ask to replace, before any heavy work.

    `target` may be new; an existing one is only ever replaced with `force`, and even then only
    when it holds `marker` (the file every gymnos-edge `kind` folder has), so `--force` can never
    wipe an unrelated folder.
    """
    target = Path(target)
    if not target.exists() and not target.is_symlink():
        return
    if not target.is_dir():
        raise UserError(f"{target} exists and is not a folder; choose another --out")
    if not force:
        raise UserError(f"{target} already exists; pass --force to replace it, or --out to write elsewhere")
    if not (target / marker).is_file():
        raise UserError(
            f"{target} is not a gymnos-edge {kind} (no {marker}); it is never replaced, even with --force: "
            "choose another --out"
        )


def require_writable_folder(folder: Path | str, flag: str) -> None:
    """Refuse, before any heavy work, a folder that cannot be made or written (named by its `flag`).

    Missing parents are fine (they are created); a file in the way, a read-only folder or a
    read-only disk is not. The check writes and removes a small file, as only a real write
    tells the truth (permissions, read-only mounts, administrators).
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise UserError(f"{flag} {folder}: this is a file, not a folder; choose another {flag}")
    existing = folder
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise UserError(
            f"{flag} {folder}: {existing} is a file, so no folder can be made inside it; choose another {flag}"
        )
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as error:
        raise UserError(
            f"{flag} {folder}: cannot write in {existing} ({error.strerror}); choose another {flag}"
        ) from None


def require_writable_file(path: Path | str, flag: str) -> None:
    """Like `require_writable_folder`, for one file to be written (or replaced) at `path`."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"{flag} {path}: this is a folder; give the path of a file to write")
    require_writable_folder(path.parent, flag)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _replace(source: Path, target: Path) -> None:
    if target.is_dir() and not target.is_symlink():
        # os.replace cannot swap a folder for a non-empty one: move the old one aside first.
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        os.replace(target, old)
        os.replace(source, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(source, target)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def write_bytes(target: Path | str, data: bytes) -> Path:
    with atomic_path(target) as temporary:
        temporary.write_bytes(data)
    return Path(target)


def write_text(target: Path | str, text: str) -> Path:
    return write_bytes(target, text.encode("utf-8"))


def write_json(target: Path | str, value: Any) -> Path:
    return write_text(target, json.dumps(value, indent=2, sort_keys=False, default=_jsonable) + "\n")


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
