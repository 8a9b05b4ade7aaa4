"""One entry point for training any agent: ``restock train --agent NAME`` and the example scripts.

Each agent family lives in its own module that provides

* ``parse_options(agent: str, options: dict) -> config`` — the typed config of the agent's options
  (``--set agent.KEY=VALUE``, as ``TrainSpec.options`` records them); bad keys or values: InputError;
* ``train(spec: TrainSpec, config, run_dir: Path, *, resume: bool, progress: bool) -> dict[str, float]`` —
  trains with the parsed ``config`` into an existing run folder (``run.json`` already written by
  :func:`train`), writes its checkpoints, TensorBoard event files and ``kpis.csv`` there, and returns the
  final evaluation KPIs;
* ``load(run_dir: Path, meta: dict) -> Policy`` — the trained policy of a run folder (the best checkpoint),
  an :class:`~restock.errors.InputError` if the checkpoint does not fit the scenario's observation layout.

:data:`TRAINERS` maps agent names to those modules (imported lazily, so ``restock --help`` stays fast).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from restock import runs
from restock.errors import InputError
from restock.scenarios.overrides import parse_override

TRAINERS: dict[str, str] = {
    "ppo": "restock.agents.sb3.train",
    "sac": "restock.agents.sb3.train",
    "td3": "restock.agents.sb3.train",
    "a2c": "restock.agents.sb3.train",
    "directbackprop": "restock.agents.directbackprop.train",
}
AGENT_PREFIX = "agent."
"""``--set agent.KEY=VALUE`` sets an agent option; every other ``--set`` overrides the scenario."""


@dataclass(frozen=True)
class TrainSpec:
    """What to train: the typed config written into the run folder's ``run.json``."""

    agent: str
    scenario: str
    timesteps: int
    """Environment steps (SB3) or simulated SKU-periods budget / iterations (DirectBackprop; see its doc)."""
    seed: int = 0
    scenario_overrides: tuple[str, ...] = ()
    """``key=value`` overrides of the scenario, as ``restock simulate --set`` takes them."""
    options: dict[str, Any] = field(default_factory=dict)
    """Agent options from ``--set agent.KEY=VALUE`` (values parsed as TOML scalars)."""
    device: str = "cpu"

    def __post_init__(self) -> None:
        if self.agent not in TRAINERS:
            raise InputError(f"unknown agent {self.agent!r}; known: {sorted(TRAINERS)}")
        if not (isinstance(self.timesteps, int) and self.timesteps > 0):
            raise InputError(f"timesteps must be a positive integer, got {self.timesteps!r}")


def split_sets(sets: list[str] | tuple[str, ...]) -> tuple[tuple[str, ...], dict[str, Any]]:
    """Split ``--set`` items into scenario overrides and agent options (``agent.`` prefix, prefix removed)."""
    scenario: list[str] = []
    agent_items: list[str] = []
    for item in sets:
        (agent_items if item.startswith(AGENT_PREFIX) else scenario).append(item)
    options = {o.key[len(AGENT_PREFIX) :]: o.value for o in map(parse_override, agent_items)}
    return tuple(scenario), options


def trainer(agent: str) -> ModuleType:
    """The module that trains and loads ``agent``."""
    if agent not in TRAINERS:
        raise InputError(f"unknown agent {agent!r}; known: {sorted(TRAINERS)}")
    return importlib.import_module(TRAINERS[agent])


def parse_options(spec: TrainSpec) -> Any:
    """The typed config of ``spec.options`` (the trainer module's ``parse_options``)."""
    return trainer(spec.agent).parse_options(spec.agent, dict(spec.options))


def train(
    spec: TrainSpec,
    *,
    config: Any = None,
    root: str | Path = "runs",
    run_dir: str | Path | None = None,
    resume: str | Path | None = None,
    progress: bool = True,
) -> Path:
    """Train ``spec`` into a new run folder (or continue the run folder ``resume``); returns the folder.

    ``config``: the agent's options already parsed (:func:`parse_options` of ``spec``); None parses them
    here. A resumed run always parses the options its ``run.json`` recorded.
    """
    if resume is not None:
        meta = runs.load_run(resume)
        if meta.get("kind") != "train":
            raise InputError(f"{resume} is a {meta.get('kind')!r} run, not a training run; cannot resume it")
        path = Path(resume)
        saved = TrainSpec(
            **{**meta["config"], "scenario_overrides": tuple(meta["config"]["scenario_overrides"])}
        )
        trainer(saved.agent).train(saved, parse_options(saved), path, resume=True, progress=progress)
        return path
    if config is None:
        config = parse_options(spec)  # before the run folder exists: bad options leave nothing behind
    path = runs.create_run(
        kind="train",
        scenario=spec.scenario,
        agent=spec.agent,
        seed=spec.seed,
        config=spec,
        root=root,
        run_dir=run_dir,
    )
    trainer(spec.agent).train(spec, config, path, resume=False, progress=progress)
    return path


def load_policy(run_dir: str | Path) -> Any:
    """The trained policy of a training run folder (see the module docstring)."""
    meta = runs.load_run(run_dir)
    if meta.get("kind") != "train":
        raise InputError(f"{run_dir} is a {meta.get('kind')!r} run; only training runs hold a policy")
    return trainer(str(meta["agent"])).load(Path(run_dir), meta)
