#!/usr/bin/env python3
"""Rebuild the real-footage development set from the source repositories.

The videos are third-party footage found in public GitHub repositories; none
of them comes with a licence that clearly allows redistribution, so they are
NOT committed here. This script takes each clip listed in ``sources.csv`` out
of a local copy of its repository, by commit and path, checks it against the
recorded blob id and size, and writes a gymnos-edge manifest next to it.

    python benchmarks/real_footage/rebuild_media.py --repos DIR [--out real_data/]

``DIR`` holds one local copy per repository, found as any of
``DIR/owner+name``, ``DIR/owner/name`` or ``DIR/name``, each being a bare git
directory, a clone (with ``.git``), or the ``owner+name/repo[/.git]`` layout
of a snapshot mirror. Copies must have full history: some clips are at
commits older than the branch head (``git clone`` without ``--depth``).

Output (``--out``, default ``real_data/``)::

    videos/<owner+name>__<path with / replaced by _>   (<owner+name>@<commit[:8]>__… where one path
                                                     holds different clips at two commits)
    manifest.csv   video,label,start,end,group,reps   (group = source_group)

Standard library and the ``git`` command only. Exit status 1 when any clip
could not be rebuilt; the manifest then lists only the clips that were.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
MANIFEST_COLUMNS = ["video", "label", "start", "end", "group", "reps"]


def git(gitdir: Path, *args: str, binary: bool = False):
    p = subprocess.run(["git", "--git-dir", str(gitdir), *args], capture_output=True)
    if p.returncode != 0:
        return None
    return p.stdout if binary else p.stdout.decode().strip()


def is_git_dir(path: Path) -> bool:
    return path.is_dir() and git(path, "rev-parse", "--git-dir") is not None


def find_repo(repos: Path, repository: str) -> Path | None:
    owner, name = repository.split("/", 1)
    bases = [repos / f"{owner}+{name}", repos / owner / name, repos / name,
             repos / f"{owner}+{name}.git", repos / owner / f"{name}.git"]
    for base in bases:
        for sub in (".git", "repo/.git", "repo", ""):
            cand = base / sub if sub else base
            # a work tree's top folder is not itself a git dir, but git would
            # find the parent repository; only accept real git directories
            if (cand / "HEAD").is_file() and is_git_dir(cand):
                return cand
    return None


def out_name(repository: str, path: str, commit: str | None = None) -> str:
    """The clip's file name; `commit` (its first 8 digits) tells apart one path's files at two commits."""
    slug = repository.replace("/", "+") + (f"@{commit[:8]}" if commit else "") + "__" + path.replace("/", "_")
    return re.sub(r"[^A-Za-z0-9._+@-]", "_", slug)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repos", required=True, type=Path,
                    help="folder with local copies of the source repositories")
    ap.add_argument("--out", default=Path("real_data"), type=Path)
    ap.add_argument("--sources", default=HERE / "sources.csv", type=Path)
    args = ap.parse_args(argv)

    if subprocess.run(["git", "--version"], capture_output=True).returncode != 0:
        print("error: the git command is needed", file=sys.stderr)
        return 2
    with open(args.sources, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    (args.out / "videos").mkdir(parents=True, exist_ok=True)

    problems: list[str] = []
    done: dict[tuple[str, str, str], str | None] = {}   # (repo, commit, path) -> video or None
    seen_names: dict[str, tuple[str, str, str]] = {}
    manifest: list[dict] = []
    for row in rows:
        key = (row["repository"], row["commit"], row["path"])
        if key not in done:
            done[key] = None
            repo = find_repo(args.repos, row["repository"])
            commits = {r["commit"] for r in rows if (r["repository"], r["path"]) == key[::2]}
            name = out_name(row["repository"], row["path"], row["commit"] if len(commits) > 1 else None)
            if name.lower() in seen_names and seen_names[name.lower()] != key:
                problems.append(f"{row['clip_id']}: output name clash {name}")
                continue
            seen_names[name.lower()] = key
            if repo is None:
                problems.append(f"{row['clip_id']}: repository {row['repository']} not found under "
                                f"{args.repos} (tried owner+name, owner/name, name; bare, clone or mirror layout)")
                continue
            if git(repo, "cat-file", "-e", f"{row['commit']}^{{commit}}") is None:
                problems.append(f"{row['clip_id']}: commit {row['commit']} missing in {repo} "
                                "(fetch full history: git fetch --unshallow / a non-shallow clone)")
                continue
            blob = git(repo, "rev-parse", f"{row['commit']}:{row['path']}")
            if blob is None:
                problems.append(f"{row['clip_id']}: path {row['path']!r} not in commit {row['commit'][:12]}")
                continue
            if row.get("blob") and blob != row["blob"]:
                problems.append(f"{row['clip_id']}: blob {blob} != recorded {row['blob']}")
                continue
            data = git(repo, "cat-file", "blob", blob, binary=True)
            if not data:
                problems.append(f"{row['clip_id']}: blob {blob[:12]} absent or empty in {repo} "
                                "(Git LFS / partial clone?)")
                continue
            if row.get("bytes") and len(data) != int(row["bytes"]):
                problems.append(f"{row['clip_id']}: {len(data)} bytes, expected {row['bytes']}")
                continue
            # git's own blob id over the bytes: proves the file is the recorded one
            h = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
            if h != blob:
                problems.append(f"{row['clip_id']}: content hash {h} != blob {blob}")
                continue
            dest = args.out / "videos" / name
            dest.write_bytes(data)
            if dest.stat().st_size != len(data) or dest.stat().st_size == 0:
                problems.append(f"{row['clip_id']}: writing {dest} failed")
                continue
            done[key] = f"videos/{name}"
            print(f"ok   {row['clip_id']:<26} {len(data):>9} B  {dest}")
        video = done[key]
        if video is None:
            continue
        manifest.append({"video": video, "label": row["label"], "start": row["start"],
                         "end": row["end"], "group": row["source_group"], "reps": row["reps"]})

    with open(args.out / "manifest.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=MANIFEST_COLUMNS)
        w.writeheader()
        w.writerows(manifest)
    files = {r["video"] for r in manifest}
    total = sum(os.path.getsize(args.out / v) for v in files)
    print(f"\n{len(manifest)} of {len(rows)} spans, {len(files)} videos, {total / 2**20:.1f} MiB "
          f"-> {args.out / 'manifest.csv'}")
    for p in problems:
        print(f"MISSING {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
