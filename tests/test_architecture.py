"""The package follows the pipeline: every import points down the stages of docs/architecture.md."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "gymnos_edge"

# Lower number = earlier stage. A module may import its own stage or any earlier one, never a later
# one nor another stage of the same level. Keep in step with docs/architecture.md.
STAGES = {
    "common": 0,
    "data": 1,
    "sets": 1,
    "features": 2,
    "training": 3,
    "inference": 4,
    "evaluation": 5,
    "export": 6,
    "bench": 7,
    "cli": 8,
}
HEAVY = ("keras", "tensorflow", "coremltools", "ai_edge_litert", "cv2")


def imports_of(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
    return found


def stage_of(path: Path) -> str:
    parts = path.relative_to(PACKAGE).parts
    return parts[0] if len(parts) > 1 else ""


def test_every_module_lives_in_a_known_stage():
    loose = [p.name for p in PACKAGE.glob("*.py") if p.name not in {"__init__.py", "__main__.py"}]
    assert loose == [], "put new modules in the stage they belong to"
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders == set(STAGES)


def violations(path: Path, stage: str) -> list[str]:
    wrong = []
    for line, module in imports_of(path):
        parts = module.split(".")
        if parts[0] != "gymnos_edge" or len(parts) == 1:
            continue  # third-party, or the package root (its version string)
        target = parts[1]
        if not stage or target == stage:
            continue
        if STAGES[target] >= STAGES[stage]:
            wrong.append(f"line {line}: {stage} imports {module} ({target} is not an earlier stage)")
    return wrong


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_down_the_pipeline(path):
    assert violations(path, stage_of(path)) == []


def test_the_set_rules_and_the_contracts_load_no_ml_framework():
    for folder in ("sets", "common"):
        for path in (PACKAGE / folder).rglob("*.py"):
            if path.name == "quiet_tensorflow.py":
                continue  # its one job is to configure TensorFlow before anyone imports it
            heavy = [m for _, m in imports_of(path) if m.split(".")[0] in HEAVY]
            assert heavy == [], f"{path.name} imports {heavy}"


def test_the_import_checker_catches_an_import_pointing_back_up(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import numpy\nfrom gymnos_edge.common.errors import UserError\n\ndef f():\n"
                   "    from gymnos_edge.bench.runner import run_bench\n    import gymnos_edge.sets.smoothing\n")
    assert violations(bad, "data") == [
        "line 5: data imports gymnos_edge.bench.runner (bench is not an earlier stage)",
        "line 6: data imports gymnos_edge.sets.smoothing (sets is not an earlier stage)",
    ]
    assert violations(bad, "cli") == []
