"""One entry point for training any agent: ``restock train --agent NAME`` and the example scripts.

Each agent family lives in its own module that provides

* ``parse_options(agent: str, options: dict) -> config`` — the typed config of the agent's options
  (``--set agent.KEY=VALUE``, as ``TrainSpec.options`` records them); bad keys or values: InputError;
* ``train(spec: TrainSpec, config, run_dir: Path, *, resume: bool, progress: bool, on_evaluation=None)
  -> dict[str, float]`` — trains with the parsed ``config`` into an existing run folder (``run.json``
  already written by :func:`train`), writes its checkpoints, TensorBoard event files and ``kpis.csv``
  there, and returns the final evaluation KPIs; ``on_evaluation(step, total)`` (:data:`OnEvaluation`),
  when given, is called after each evaluation during training, once the best checkpoint so far is on
  disk (what ``restock tune`` reports its rungs from);
* ``load(run_dir: Path, meta: dict) -> Policy`` — the trained policy of a run folder (the best checkpoint),
  an :class:`~restock.errors.InputError` if the checkpoint does not fit the scenario's observation layout.

:data:`TRAINERS` maps agent names to those modules (imported lazily, so ``restock --help`` stays fast).

A caller parses the options once (:func:`parse_options`) and hands the config to :func:`train`, which
checks what would otherwise fail after the run folder exists (:func:`check`: the scenario, the torch
device) before creating it. :func:`saved_spec` reads back the spec of a run folder
(what ``--resume`` continues).

A training config file (``restock train --config FILE.toml``; :func:`read_config`, written by
:func:`config_toml`) is a :class:`TrainSpec` as TOML::

    [train]
    agent = "directbackprop"       # required
    scenario = "steady"            # required: a built-in name or a scenario file
    timesteps = 20000              # required
    seed = 0
    set = ["catalog.n_skus=4"]     # scenario overrides
    device = "cpu"

    [agent]                        # agent options (docs/training.md), as --set agent.KEY=VALUE sets them
    lr = 0.003
    hidden = [32, 32]
    "observation.n_pipeline_buckets" = 4    # or observation = {n_pipeline_buckets = 4}
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeAlias

from restock import runs
from restock.errors import InputError
from restock.scenarios import load
from restock.scenarios.library import read_toml
from restock.scenarios.overrides import parse_override
from restock.scenarios.parsing import Where, parse_section, toml_key, toml_literal

if TYPE_CHECKING:
    from restock.agents.directbackprop.config import DirectBackpropConfig
    from restock.agents.sb3.config import SB3Options

    AgentConfig: TypeAlias = SB3Options | DirectBackpropConfig
    """The parsed options of one agent (:func:`parse_options`)."""

SB3_TRAINER = "restock.agents.sb3.train"
"""The trainer module of the Stable-Baselines3 agents (they train on ``Restock/Catalog-v0``, or on
``Restock/NetworkCatalog-v0`` for a scenario with several nodes)."""

TRAINERS: dict[str, str] = {
    "ppo": SB3_TRAINER,
    "sac": SB3_TRAINER,
    "td3": SB3_TRAINER,
    "a2c": SB3_TRAINER,
    "directbackprop": "restock.agents.directbackprop.train",
}
MAX_SEED = 2**32
"""Root seeds of training runs lie in [0, MAX_SEED): the 32-bit range of the envs' episode seeds, below the
selection seeds (:func:`restock.seeding.selection_seed`)."""
AGENT_PREFIX = "agent."
"""``--set agent.KEY=VALUE`` sets an agent option; every other ``--set`` overrides the scenario."""

OnEvaluation = Callable[[int, int], None]
"""``on_evaluation(step, total)``: a trainer evaluated its policy after ``step`` of ``total`` steps
(DirectBackprop: iterations; SB3: timesteps) and the best checkpoint so far is on disk."""


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
        if isinstance(self.seed, bool) or not (isinstance(self.seed, int) and 0 <= self.seed < MAX_SEED):
            raise InputError(f"--seed must be an integer in [0, 2**32), got {self.seed!r}")


@dataclass(frozen=True)
class TrainSection:
    """The ``[train]`` table of a training config file: :class:`TrainSpec`'s fields but the options."""

    agent: str
    """ppo | sac | td3 | a2c | directbackprop."""
    scenario: str
    """A built-in scenario name or a scenario TOML file."""
    timesteps: int
    """The training budget (:attr:`TrainSpec.timesteps`)."""
    seed: int = 0
    """Root seed of the run."""
    set: tuple[str, ...] = ()
    """``key=value`` overrides of the scenario."""
    device: str = "cpu"
    """Torch device."""


def read_config(path: str | Path) -> TrainSpec:
    """The :class:`TrainSpec` of a training config file; unknown keys, wrong types and bad agent options
    are InputErrors naming the file and the key."""
    path = Path(path)
    where = Where(str(path), what="training config")
    raw = read_toml(path, "training config")
    unknown = sorted(set(raw) - {"train", "agent"})
    if unknown:
        raise InputError(
            f"training config {path}: unknown key {unknown[0]!r} (value {raw[unknown[0]]!r}; "
            "known here: train, agent)"
        )
    if "train" not in raw:
        raise InputError(f"training config {path}: key 'train' is required (a [train] table)")
    section = parse_section(TrainSection, raw["train"], where.child("train"))
    options = raw.get("agent", {})
    if not isinstance(options, dict):
        raise where.child("agent").error(options, "must be a table of agent options")
    try:
        spec = TrainSpec(
            agent=section.agent,
            scenario=section.scenario,
            timesteps=section.timesteps,
            seed=section.seed,
            scenario_overrides=section.set,
            options=dict(options),
            device=section.device,
        )
        parse_options(spec)
    except InputError as exc:
        raise InputError(f"training config {path}: {exc}") from None
    return spec


def config_toml(spec: TrainSpec, comment: str = "") -> str:
    """``spec`` as a training config file that :func:`read_config` reads back to ``spec``
    (``comment``: leading ``#`` lines)."""
    where = Where("<config>", what="training config")
    lines = [f"# {line}".rstrip() for line in comment.splitlines()]
    lines += ["[train]"]
    lines += [
        f"agent = {toml_literal(spec.agent, where)}",
        f"scenario = {toml_literal(spec.scenario, where)}",
    ]
    lines += [f"timesteps = {spec.timesteps}", f"seed = {spec.seed}"]
    lines += [f"set = {toml_literal(list(spec.scenario_overrides), where)}"]
    lines += [f"device = {toml_literal(spec.device, where)}", "", "[agent]"]
    lines += [f"{toml_key(k)} = {toml_literal(v, where.child(k))}" for k, v in spec.options.items()]
    return "\n".join(lines) + "\n"


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


def parse_options(spec: TrainSpec) -> AgentConfig:
    """The typed config of ``spec.options`` (the trainer module's ``parse_options``); bad keys or values
    are an :class:`InputError` naming ``agent.KEY``."""
    config: AgentConfig = trainer(spec.agent).parse_options(spec.agent, dict(spec.options))
    return config


def check(spec: TrainSpec) -> None:
    """Fail on what would stop ``spec`` once its run folder exists: a scenario or override that does not
    load, a torch device this machine lacks (SB3 would fall back to the CPU silently). Options are
    :func:`parse_options`'s to check."""
    load(spec.scenario, list(spec.scenario_overrides))
    if TRAINERS[spec.agent] == SB3_TRAINER:
        trainer(spec.agent).check_device(spec.device)


def saved_spec(run_dir: str | Path) -> TrainSpec:
    """The :class:`TrainSpec` recorded in a training run's ``run.json``; a folder that is not a training
    run, or a config that does not describe one, is an :class:`InputError` naming the folder."""
    meta = runs.load_run(run_dir)
    if meta.get("kind") != "train":
        raise InputError(f"{run_dir} is a {meta.get('kind')!r} run, not a training run; cannot resume it")
    cfg = meta.get("config")
    where = f"{Path(run_dir) / runs.RUN_FILE}: config"
    if not isinstance(cfg, dict):
        raise InputError(f"{where} does not describe a training run (not a table: {cfg!r})")
    overrides = cfg.get("scenario_overrides", [])
    if not (isinstance(overrides, list) and all(isinstance(o, str) for o in overrides)):
        raise InputError(f"{where}.scenario_overrides must be a list of strings, got {overrides!r}")
    if not isinstance(cfg.get("options", {}), dict):
        raise InputError(f"{where}.options must be a table, got {cfg['options']!r}")
    try:
        return TrainSpec(**{**cfg, "scenario_overrides": tuple(overrides)})
    except TypeError as exc:
        raise InputError(f"{where} does not describe a training run ({exc})") from None


def train(
    spec: TrainSpec,
    *,
    config: AgentConfig | None = None,
    root: str | Path = "runs",
    run_dir: str | Path | None = None,
    resume: str | Path | None = None,
    progress: bool = True,
    on_evaluation: OnEvaluation | None = None,
) -> Path:
    """Train ``spec`` into a new run folder (or continue the run folder ``resume``); returns the folder.

    ``config``: the agent's options already parsed (:func:`parse_options` of ``spec``); None parses them
    here. :func:`check` runs before anything is written, so bad input leaves no half-made run folder.
    A resumed run continues the spec its ``run.json`` records (:func:`saved_spec`); ``spec`` must be that
    spec when ``config`` is given (else ``config`` would not be the options the run was started with).
    ``on_evaluation``: called after each evaluation during training (:data:`OnEvaluation`).
    """
    if resume is not None:
        saved = saved_spec(resume)
        if config is not None and spec != saved:
            raise InputError(f"{resume}: resume with the spec its run.json records, not {spec!r}")
        config = parse_options(saved) if config is None else config
        check(saved)
        path = Path(resume)
        trainer(saved.agent).train(
            saved, config, path, resume=True, progress=progress, on_evaluation=on_evaluation
        )
        return path
    if config is None:
        config = parse_options(spec)
    runs.check_new_run(root, run_dir)
    check(spec)
    existed = run_dir is not None and Path(run_dir).exists()
    path = runs.create_run(
        kind="train",
        scenario=spec.scenario,
        agent=spec.agent,
        seed=spec.seed,
        config=spec,
        root=root,
        run_dir=run_dir,
    )
    try:
        trainer(spec.agent).train(
            spec, config, path, resume=False, progress=progress, on_evaluation=on_evaluation
        )
    except InputError:
        runs.discard_unstarted(path, remove_folder=not existed)
        raise
    return path


def load_policy(run_dir: str | Path) -> Any:
    """The trained policy of a training run folder (see the module docstring)."""
    meta = runs.load_run(run_dir)
    if meta.get("kind") != "train":
        raise InputError(f"{run_dir} is a {meta.get('kind')!r} run; only training runs hold a policy")
    return trainer(str(meta["agent"])).load(Path(run_dir), meta)
