"""What `bench` hands back: its rows, the goals judged from them, and the machine they were measured on."""

from __future__ import annotations

import platform
from dataclasses import asdict, dataclass, field

from gymnos_edge import __version__
from gymnos_edge.bench.goals import Goal, check_goals
from gymnos_edge.bench.rows import BenchRow


@dataclass(frozen=True)
class BenchResult:
    rows: tuple[BenchRow, ...]
    split: str
    videos: int
    frames: int
    machine: dict
    settings: dict
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict:
        return {
            "machine": self.machine,
            "settings": self.settings,
            "split": self.split,
            "videos": self.videos,
            "frames": self.frames,
            "notes": list(self.notes),
            "rows": [asdict(r) for r in self.rows],
            "goals": [asdict(g) for g in self.goals],
        }

    @property
    def goals(self) -> tuple[Goal, ...]:
        return check_goals(self.rows)

    @property
    def every_model_failed(self) -> bool:
        """True when no exported model that can run on this machine ran (Core ML off Apple is not a failure)."""
        runnable = [r for r in self.rows if r.format != "keras" and r.status != "needs macOS"]
        return bool(runnable) and all(r.status.startswith("failed") for r in runnable)


def machine_info() -> dict:
    import importlib.metadata as meta
    import os

    versions = {}
    for package in ("ai-edge-litert", "tensorflow-cpu", "tensorflow", "keras", "coremltools", "numpy"):
        try:
            versions[package] = meta.version(package)
        except meta.PackageNotFoundError:
            continue
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "gymnos_edge": __version__,
        "versions": versions,
    }
