"""DESIGN.md's layering, enforced: dependencies point down the data-flow picture only."""

from __future__ import annotations

import ast
import subprocess
import sys
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


# ---------------------------------------------------------------- import cycles between modules


def module_names(root: Path) -> dict[str, Path]:
    """Dotted name of every module of the package in folder ``root`` (a package is its ``__init__``)."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def import_edges(root: Path) -> dict[str, set[str]]:
    """The modules of the package in ``root`` that each of its modules imports, anywhere in the file
    (function bodies and ``TYPE_CHECKING`` blocks included).

    ``import a.b`` and ``from a.b import c`` name the module ``a.b`` (the longest prefix that is a module of
    the package), or ``a.b.c`` when that is a module; relative imports resolve against the importing
    module's package. Imports of other packages are left out.
    """
    modules = module_names(root)

    def known(name: str) -> str | None:
        parts = name.split(".")
        for k in range(len(parts), 0, -1):
            prefix = ".".join(parts[:k])
            if prefix in modules:
                return prefix
        return None

    edges: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str | None] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                targets.update(known(alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    source = ".".join([*base, *([node.module] if node.module else [])])
                else:
                    source = node.module or ""
                for alias in node.names:
                    full = f"{source}.{alias.name}"
                    targets.add(full if full in modules else known(source))
        edges[name] = {t for t in targets if t is not None and t != name}
    return edges


def import_cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return sorted(out)


def test_no_import_cycle_between_modules() -> None:
    edges = import_edges(PACKAGE)
    cycles = import_cycles(edges)
    described = [
        " <-> ".join(c) + ": " + "; ".join(f"{a} -> {sorted(edges[a] & set(c))}" for a in c) for c in cycles
    ]
    assert not cycles, "import cycles:\n" + "\n".join(described)


def test_cycle_check_catches_a_cycle_through_function_level_imports(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from pkg import a  # noqa\n")
    (pkg / "a.py").write_text("def f():\n    from pkg import b\n    return b\n")
    (pkg / "b.py").write_text("def g():\n    from . import a\n    return a\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "mod.py").write_text("import pkg.sub\n\n\ndef h():\n    from ..a import f\n    return f\n")
    (pkg / "c.py").write_text("from pkg.sub import mod\n")
    edges = import_edges(pkg)
    assert edges["pkg"] == {"pkg.a"}
    assert edges["pkg.sub.mod"] == {"pkg.sub", "pkg.a"}  # a package's own __init__ counts
    assert edges["pkg.c"] == {"pkg.sub.mod"}  # the submodule, not the package
    assert import_cycles(edges) == [["pkg.a", "pkg.b"]]
    (pkg / "sub" / "__init__.py").write_text("from pkg.sub.mod import h\n")
    assert import_cycles(import_edges(pkg)) == [["pkg.a", "pkg.b"], ["pkg.sub", "pkg.sub.mod"]]


@pytest.mark.parametrize("module", ["restock.simulator.des", "restock.simulator.des.bench"])
def test_the_simpy_reference_engine_runs_without_torch(module: str) -> None:
    """``restock.simulator.des`` (and what it imports) never imports torch: the reference engine runs where
    torch is absent. A fresh interpreter, so that no other test's import counts."""
    code = f"import sys, {module}; bad = 'torch' in sys.modules; print(bad); sys.exit(int(bad))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{module} imported torch\n{done.stderr[-2000:]}"


def test_the_torch_check_catches_an_import(tmp_path: Path) -> None:
    (tmp_path / "uses_torch.py").write_text("import torch\n")
    code = "import sys, uses_torch; sys.exit(int('torch' in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, check=False)
    assert done.returncode == 1


# ---------------------------------------------------------------- Ray, an install extra

RAY_MODULES = {"pipelines/cluster.py"}
"""The one module that imports Ray (``restock[ray]``): every other one runs without it."""


def test_only_the_cluster_module_imports_ray() -> None:
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in sorted(PACKAGE.rglob("*.py"))
        if "ray" in _imports(path) and str(path.relative_to(PACKAGE)) not in RAY_MODULES
    ]
    assert not offenders, f"modules other than {sorted(RAY_MODULES)} import ray: {offenders}"
    assert all("ray" in _imports(PACKAGE / m) for m in RAY_MODULES)


def test_the_command_and_the_sweep_job_import_no_ray_until_they_run() -> None:
    """Building the whole CLI and importing the sweep job leaves Ray unimported (a fresh interpreter)."""
    code = (
        "import sys, typer, restock.cli, restock.commands, restock.pipelines.sweep;"
        "restock.commands.register_all(typer.Typer());"
        "bad = [m for m in sys.modules if m == 'ray' or m.startswith('ray.')];"
        "print(bad); sys.exit(int(bool(bad)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"importing the CLI imported ray: {done.stdout}{done.stderr[-2000:]}"
