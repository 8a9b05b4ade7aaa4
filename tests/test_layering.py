"""DESIGN.md's layering, enforced: dependencies point down the data-flow picture only."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "restock"

# What each layer must never import (restock subpackages and modules, third-party libraries).
APPS = {"commands", "cli"}
# the end-to-end jobs and the command on top of them: no library layer imports either
JOBS = {"pipelines"} | APPS
RL = {"gymnasium", "stable_baselines3"}
SUBPACKAGES = {"data", "forecasters", "simulator", "scenarios", "envs", "agents", "reporting"}
FORBIDDEN: dict[str, set[str]] = {
    "data": {"forecasters", "simulator", "scenarios", "envs", "agents", "torch"} | JOBS | RL,
    "forecasters": {"simulator", "scenarios", "envs", "agents"} | JOBS | RL,
    "simulator": {"forecasters", "scenarios", "envs", "agents"} | JOBS | RL,
    "scenarios": {"envs", "agents"} | JOBS | RL,
    "envs": {"agents"} | JOBS,
    "agents": JOBS,
    # figures, TensorBoard files and HTML of run folders: the agents call it, it calls none of them
    "reporting": {"forecasters", "simulator", "scenarios", "envs", "agents"} | JOBS | RL,
    # the jobs may use every library layer, never the command that calls them
    "pipelines": APPS,
    # top-level modules every layer shares (run folders, files, seeds, errors)
    **{m: SUBPACKAGES | JOBS | RL for m in ("runs", "io", "seeding", "errors")},
}


SHARED = {"restock.simulator.flows"}
"""Modules of names only (no numpy, no torch) that every layer may read: the one list of flow names."""


def _files(layer: str) -> list[Path]:
    """The source files of a layer: a subpackage's modules, or one top-level module."""
    folder = PACKAGE / layer
    return sorted(folder.rglob("*.py")) if folder.is_dir() else [PACKAGE / f"{layer}.py"]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    out = set()
    for name in names - SHARED:
        parts = name.split(".")
        out.add(parts[1] if parts[0] == "restock" and len(parts) > 1 else parts[0])
    return out


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_only_downward(layer: str) -> None:
    offenders = []
    files = _files(layer)
    assert files and all(p.is_file() for p in files), f"layer {layer!r} has no source in {PACKAGE}"
    for path in files:
        bad = _imports(path) & FORBIDDEN[layer]
        if bad:
            offenders.append(f"{path.relative_to(PACKAGE.parent)} imports {sorted(bad)}")
    assert not offenders, "layering violated:\n" + "\n".join(offenders)


def test_layering_check_catches_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "x.py"
    bad.write_text("import gymnasium\nfrom restock.agents import evaluate\n")
    assert _imports(bad) >= {"gymnasium", "agents"}
