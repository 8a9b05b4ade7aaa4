"""Sweep: a grid of evaluations (scenario x overrides x seeds, every policy in each) run as Ray tasks
(``restock sweep SPEC.toml``).

``run_sweep(SweepSpec("examples/sweep.toml"))`` reads the spec file (:class:`SweepFile`; the schema is in
docs/scale.md), plans its cells (:func:`plan`: every scenario x every combination of the ``[grid]``
overrides x chunks of ``seeds_per_cell`` evaluation seeds), checks every cell's scenario and every policy
spec before anything runs or is written, starts or joins Ray (:mod:`restock.pipelines.cluster`) and
evaluates each unfinished cell as one task: :func:`restock.pipelines.evaluation.run_evaluation` on the
cell's :class:`~restock.pipelines.evaluation.EvaluationSpec`, written by
:func:`~restock.pipelines.evaluation.write_evaluation_run` (the folder ``restock evaluate --out`` writes).
Every policy of a cell runs on the same paths; a cell's KPIs are those of ``restock evaluate`` on its
scenario, overrides and seeds, exactly, and the cells of one (scenario, overrides) together are
``restock evaluate`` on all the seeds.

The sweep folder (``runs/<spec name>__sweep/`` unless told):

=============================  =====================================================================
``sweep.json``                 the resolved grid: the spec, every cell (id, scenario, overrides, seeds)
``cells/<cell>/``              one evaluation run folder per cell (``kpis.csv`` last: finished)
``per_seed.csv``               every cell's per-(policy, seed) KPIs, with ``scenario``, ``grid``, ``cell``
``kpis.csv`` / ``kpis.md``     per (scenario, overrides, policy): mean profit, the paired saving against
                               the newsvendor over all the seeds and its 95% CI, KPI means
``tensorboard/<cell>/<p>/``    every cell's TensorBoard runs (the tags of a replay)
=============================  =====================================================================

Resuming: run the same spec into the same folder again and the finished cells are skipped (an unfinished
one, left by a killed run, is redone from scratch); a folder holding another grid is refused. A cell's
task whose worker dies is retried by Ray (``max_retries``) and redoes the cell from scratch, so nothing is
lost or counted twice.
"""

from __future__ import annotations

import itertools
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from restock import io, runs
from restock.agents.specs import check_spec
from restock.errors import InputError
from restock.pipelines.cluster import ClusterSpec, ray_session, run_tasks
from restock.pipelines.evaluation import (
    EvaluationSpec,
    is_finished,
    read_per_seed,
    run_evaluation,
    shards,
    write_evaluation_run,
)
from restock.reporting.markdown import markdown_table
from restock.scenarios.library import read_toml
from restock.scenarios.parsing import Where, parse_section, parser, toml_literal

SWEEP_FILE = "sweep.json"
CELLS = "cells"
TASK_NAME = "sweep_cell"
"""The name of a cell's Ray task (a worker's process title is ``ray::sweep_cell`` while it runs one)."""


def _grid(raw: Any, where: Where) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``[grid]``: ``{"dotted.key" = [value, ...]}`` -> ``(("dotted.key", ("key=value", ...)), ...)``."""
    if not isinstance(raw, dict):
        raise where.error(raw, "must be a table of dotted.key = [values]")
    out = []
    for key, values in raw.items():
        w = where.child(key)
        if not isinstance(values, list) or not values:
            raise w.error(values, "must be a non-empty array of values")
        out.append((str(key), tuple(f"{key}={toml_literal(v, w)}" for v in values)))
    return tuple(out)


@dataclass(frozen=True)
class ScenarioEntry:
    """One ``[[scenarios]]`` entry of a sweep spec."""

    name: str
    """A built-in scenario name or a scenario TOML file (relative to the working directory)."""
    set: tuple[str, ...] = ()
    """``dotted.key=value`` overrides of this scenario, after the spec's own ``set``."""


@dataclass(frozen=True)
class SweepFile:
    """A sweep spec (``SPEC.toml``), as read: field by field, the schema docs/scale.md documents."""

    policies: tuple[str, ...]
    """Policy specs evaluated in every cell (:mod:`restock.agents.specs`); the newsvendor is added when
    absent (the reference of every saving)."""
    scenarios: tuple[ScenarioEntry, ...]
    """The scenarios, each with its own overrides."""
    seeds: int = 10
    """Evaluation seeds per (scenario, overrides): the root seeds ``eval_seed(0 .. seeds - 1)``."""
    seeds_per_cell: int = 1
    """Seeds evaluated in one cell (one task): the tuned baselines are tuned once per cell."""
    engine: Literal["des", "batch"] = "des"
    """The engine of every cell."""
    paths: int | None = None
    """Paths per seed (absent: each scenario's ``seeds.n_paths``)."""
    train_seed: int = 0
    """First training root seed of the tuned baselines."""
    set: tuple[str, ...] = ()
    """``dotted.key=value`` overrides of every scenario."""
    train_set: tuple[str, ...] = ()
    """Extra overrides of the scenario the tuned baselines are tuned on (``restock evaluate --train-set``)."""
    shard_skus: int | None = None
    """Evaluate each cell in shards of this many SKUs, one after another in the cell's task, their sums
    merged exactly (:func:`restock.pipelines.evaluation.run_sharded`); absent: each cell at once."""
    grid: tuple[tuple[str, tuple[str, ...]], ...] = field(default=(), metadata=parser(_grid))
    """``[grid]``: dotted keys with arrays of values; every combination is a setting of every scenario."""


def read_spec(path: str | Path) -> SweepFile:
    """Read and check a sweep spec file; errors name the file and the key."""
    path = Path(path)
    where = Where(str(path), what="sweep spec")
    raw = read_toml(path, "sweep spec")
    spec = parse_section(SweepFile, raw, where)
    if not spec.policies:
        raise where.child("policies").error([], "must name at least one policy")
    if not spec.scenarios:
        raise where.child("scenarios").error(
            [], "must hold at least one [[scenarios]] entry: the grid is empty"
        )
    for key, value in (
        ("seeds", spec.seeds),
        ("seeds_per_cell", spec.seeds_per_cell),
        ("paths", spec.paths),
        ("shard_skus", spec.shard_skus),
    ):
        if value is not None and value < 1:
            raise where.child(key).error(value, "must be >= 1")
    dup = sorted({p for p in spec.policies if spec.policies.count(p) > 1})
    if dup:
        raise where.child("policies").error(list(spec.policies), f"names {dup[0]!r} twice")
    return spec


@dataclass(frozen=True)
class Cell:
    """One task of a sweep: one evaluation."""

    id: str
    """``<scenario>__g<k>__s<first seed index>``: unique, the name of the cell's folder."""
    grid: tuple[str, ...]
    """The ``[grid]`` overrides of this cell (also in ``evaluation.scenario_overrides``)."""
    evaluation: EvaluationSpec
    """What the cell evaluates."""

    @property
    def group(self) -> tuple[str, tuple[str, ...]]:
        """The (scenario, overrides) whose seeds the cell holds a slice of."""
        return (self.evaluation.scenario, self.evaluation.scenario_overrides)


def plan(sweep: SweepFile, source: str = "sweep spec") -> list[Cell]:
    """Every cell of ``sweep``, each scenario (with its overrides) checked; a scenario that fails its
    checks is an InputError naming the cell, and an unknown policy one naming the policy."""
    for policy in sweep.policies:
        check_spec(policy)
    from restock.scenarios import load

    combos = list(itertools.product(*(values for _, values in sweep.grid))) or [()]
    cells: list[Cell] = []
    for entry in sweep.scenarios:
        for g, combo in enumerate(combos):
            overrides = (*sweep.set, *entry.set, *combo)
            first_id = _cell_id(entry.name, g, 0)
            try:
                scenario = load(entry.name, list(overrides))
                if sweep.train_set:
                    load(entry.name, [*overrides, *sweep.train_set])
                for policy in sweep.policies:
                    check_spec(policy, scenario)
                if sweep.shard_skus is not None:  # a catalog whose SKUs interact is refused here
                    shards(
                        EvaluationSpec(
                            entry.name,
                            sweep.policies,
                            scenario_overrides=overrides,
                            shard_skus=sweep.shard_skus,
                        )
                    )
            except InputError as exc:
                raise InputError(
                    f"{source}: cell {first_id} ({entry.name}, {list(overrides)}): {exc}"
                ) from None
            for first in range(0, sweep.seeds, sweep.seeds_per_cell):
                spec = EvaluationSpec(
                    entry.name,
                    sweep.policies,
                    seeds=min(sweep.seeds_per_cell, sweep.seeds - first),
                    engine=sweep.engine,
                    scenario_overrides=overrides,
                    train_seed=sweep.train_seed,
                    n_paths=sweep.paths,
                    train_overrides=sweep.train_set,
                    first_seed=first,
                    shard_skus=sweep.shard_skus,
                )
                cells.append(Cell(_cell_id(entry.name, g, first), tuple(combo), spec))
    ids = [c.id for c in cells]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise InputError(f"{source}: two [[scenarios]] entries make the same cell {dup[0]!r}; merge them")
    return cells


def _cell_id(scenario: str, grid_index: int, first_seed: int) -> str:
    return f"{runs.slug(Path(scenario).stem)}__g{grid_index}__s{first_seed}"


@dataclass(frozen=True)
class SweepSpec:
    """What ``restock sweep`` runs."""

    spec_file: str
    """The sweep spec (SPEC.toml)."""
    out: str | None = None
    """The sweep folder (None: ``runs/<spec file stem>__sweep``)."""
    cluster: ClusterSpec = field(default_factory=ClusterSpec)
    """Where the cells run: an embedded local Ray (``workers``) or a cluster (``address``)."""
    max_retries: int = 3
    """Times Ray reruns a cell whose worker process died."""

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise InputError(f"--retries {self.max_retries!r}: must be >= 0")

    def folder(self) -> Path:
        return (
            Path(self.out) if self.out is not None else Path("runs") / f"{Path(self.spec_file).stem}__sweep"
        )


@dataclass(frozen=True)
class SweepResult:
    """Where the sweep was written and what it holds."""

    folder: Path
    summary: pd.DataFrame
    """``kpis.csv``: one row per (scenario, overrides, policy)."""
    rows: pd.DataFrame
    """``per_seed.csv``: one row per (cell, policy, seed)."""
    ran: tuple[str, ...]
    """Ids of the cells evaluated by this call (the others were finished already)."""


Progress = Callable[[int, int], None]
"""``progress(done, total)``: cells finished so far (skipped ones included) out of all."""


@dataclass(frozen=True)
class CellTask:
    """A cell and the folder to write it in (what one Ray task receives)."""

    cell: Cell
    folder: str


def evaluate_cell(task: CellTask) -> str:
    """Evaluate one cell into its folder (an unfinished folder of an earlier attempt is removed first);
    its id. Runs in a Ray worker."""
    folder = Path(task.folder)
    if is_finished(folder):
        return task.cell.id
    if folder.exists():
        shutil.rmtree(folder)
    evaluation = run_evaluation(task.cell.evaluation, keep_records=task.cell.evaluation.shard_skus is None)
    write_evaluation_run(folder, task.cell.evaluation, evaluation)
    return task.cell.id


def resolved_grid(spec: SweepSpec, sweep: SweepFile, cells: list[Cell]) -> dict[str, Any]:
    """What ``sweep.json`` holds: the spec file, its parsed content and every cell."""
    return {
        "spec_file": spec.spec_file,
        "sweep": runs.plain(sweep),
        "cells": [
            {"id": c.id, "folder": f"{CELLS}/{c.id}", "grid": list(c.grid), **runs.plain(c.evaluation)}
            for c in cells
        ],
    }


def _open_folder(folder: Path, grid: dict[str, Any]) -> None:
    file = folder / SWEEP_FILE
    if file.is_file():
        try:
            old = json.loads(file.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            old = None
        if not isinstance(old, dict) or old.get("cells") != grid["cells"]:
            raise InputError(
                f"sweep folder {folder} holds another sweep (its {SWEEP_FILE} lists other cells); "
                "choose another --out"
            )
        return
    if folder.exists() and any(folder.iterdir()):
        raise InputError(f"sweep folder {folder} exists and is not a sweep; choose another --out")
    io.write_json(file, grid)


def check(spec: SweepSpec) -> tuple[SweepFile, list[Cell]]:
    """Read and plan the sweep (every cell checked) without starting anything."""
    sweep = read_spec(spec.spec_file)
    return sweep, plan(sweep, f"sweep spec {spec.spec_file}")


def run_sweep(spec: SweepSpec, progress: Progress | None = None) -> SweepResult:
    """Check the sweep, evaluate its unfinished cells on Ray, merge every cell (module docstring).

    Bad input (the spec, a cell's scenario, a policy, an unreachable ``--address``, a folder holding
    another sweep) is an InputError raised before the sweep folder is created."""
    sweep, cells = check(spec)
    folder = spec.folder()
    grid = resolved_grid(spec, sweep, cells)
    if (folder / SWEEP_FILE).is_file() or (folder.exists() and any(folder.iterdir())):
        _open_folder(folder, grid)  # refuse a folder holding something else before Ray starts
    # absolute: a worker on another node of a cluster has its own working directory
    tasks = [CellTask(c, str((folder / CELLS / c.id).absolute())) for c in cells]
    todo = [t for t in tasks if not is_finished(t.folder)]
    say = progress or (lambda _done, _total: None)
    done = len(tasks) - len(todo)
    say(done, len(tasks))
    if todo:
        with ray_session(spec.cluster) as ray:
            _open_folder(folder, grid)

            def tick(_i: int, _id: str) -> None:
                nonlocal done
                done += 1
                say(done, len(tasks))

            run_tasks(ray, evaluate_cell, todo, max_retries=spec.max_retries, name=TASK_NAME, on_result=tick)
    else:
        _open_folder(folder, grid)
    summary, rows = merge(folder, cells)
    return SweepResult(folder, summary, rows, tuple(t.cell.id for t in todo))


def merge(folder: Path, cells: list[Cell]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read every cell's per-seed KPIs, summarize each (scenario, overrides) over all its seeds (paired
    CIs against the newsvendor), write ``per_seed.csv``, ``kpis.csv``, ``kpis.md`` and ``tensorboard/``."""
    from restock.agents.evaluate import summarize

    parts: dict[tuple[str, tuple[str, ...]], list[pd.DataFrame]] = {}
    labels: dict[tuple[str, tuple[str, ...]], tuple[str, str]] = {}
    for cell in cells:
        rows = read_per_seed(folder / CELLS / cell.id)
        rows.insert(0, "cell", cell.id)
        parts.setdefault(cell.group, []).append(rows)
        labels[cell.group] = (cell.evaluation.scenario, " ".join(cell.grid))
    summaries, all_rows = [], []
    for group, frames in parts.items():
        rows = pd.concat(frames, ignore_index=True)
        scenario, grid = labels[group]
        summary = summarize(rows.drop(columns="cell"))
        summary.insert(0, "grid", grid)
        summary.insert(0, "scenario", scenario)
        summaries.append(summary)
        rows.insert(0, "grid", grid)
        rows.insert(0, "scenario", scenario)
        all_rows.append(rows)
    summary = pd.concat(summaries, ignore_index=True)
    per_seed = pd.concat(all_rows, ignore_index=True)
    io.write_frame(folder / "per_seed.csv", per_seed)
    io.write_frame(folder / "kpis.csv", summary)
    columns = ["scenario", "grid", "policy", "profit", "saving_vs_newsvendor", "ci_low", "ci_high"]
    columns += ["saving_pct", "fill_rate", "n_seeds"]
    io.write_text(folder / "kpis.md", _markdown(summary[columns]))
    board = folder / "tensorboard"
    if board.exists():
        shutil.rmtree(board)
    for cell in cells:
        shutil.copytree(folder / CELLS / cell.id / "tensorboard", board / cell.id)
    return summary, per_seed


def _markdown(summary: pd.DataFrame) -> str:
    return "\n".join(
        [
            "# Sweep",
            "",
            "Savings are paired differences of profit against the newsvendor on the same paths, over every",
            "seed of the (scenario, grid) setting (95% t-interval).",
            "",
            markdown_table(summary),
            "",
        ]
    )
