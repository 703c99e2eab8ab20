"""Write outputs under a temporary name and rename them, so a crash never leaves half a file."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
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
    prefix = f".{target.name}.tmp-"
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
