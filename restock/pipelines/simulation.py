"""Simulation: one simple order rule through a scenario on one engine, and its KPIs (``restock simulate``).

``simulate(SimulationSpec("steady", OrderRule("base-stock", 30.0), engine="des"))`` loads the scenario,
draws its paths from the root seed, runs the engine and summarizes the run with
:func:`restock.simulator.kpis.kpi_table`. These are the simulator's minimal rules; newsvendor, tuned and
learned policies are evaluated by :mod:`restock.pipelines.evaluation`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from restock.errors import MAX_UNITS, InputError
from restock.pipelines.inputs import check_paths

ENGINES: tuple[str, ...] = ("des", "batch")
"""The engines a simulation can run on."""


MAX_ORDER_LEVEL = MAX_UNITS
"""Most units of an order rule's S or Q (:data:`restock.errors.MAX_UNITS`)."""


@dataclass(frozen=True)
class OrderRule:
    """An order rule of the simulator with its one parameter (``--policy``)."""

    name: Literal["base-stock", "constant"]
    """``base-stock``: order up to S on the inventory position at every review; ``constant``: order Q at
    every review. Every node and SKU gets the same S or Q."""
    value: float
    """Its parameter: the base-stock level S or the constant quantity Q (in [0, :data:`MAX_ORDER_LEVEL`])."""

    def __post_init__(self) -> None:
        if self.name not in ("base-stock", "constant"):
            raise InputError(f"order rule {self.name!r}: expected base-stock or constant")
        if not (math.isfinite(self.value) and self.value >= 0):
            raise InputError(f"order rule {self.name}: parameter must be finite and >= 0, got {self.value!r}")
        if self.value > MAX_ORDER_LEVEL:
            raise InputError(
                f"order rule {self.name}: parameter must be at most {MAX_ORDER_LEVEL:g} units, "
                f"got {self.value!r}"
            )

    def rule(self) -> Any:
        """The simulator's policy object."""
        from restock.simulator.policy import BaseStock, ConstantOrder

        return BaseStock(self.value) if self.name == "base-stock" else ConstantOrder(self.value)


@dataclass(frozen=True)
class SimulationSpec:
    """What to simulate (checked on construction; errors name the command-line flag)."""

    scenario: str
    """A built-in scenario name or a scenario TOML file."""
    policy: OrderRule
    """The order rule."""
    engine: str = "des"
    """``des`` (the SimPy reference) or ``batch`` (torch)."""
    seed: int | None = None
    """Root seed of the paths (None: the scenario's ``seeds.root``)."""
    n_paths: int | None = None
    """Number of paths (None: the scenario's ``seeds.n_paths``)."""
    scenario_overrides: tuple[str, ...] = ()
    """``dotted.key=value`` overrides of the scenario (``--set``)."""

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise InputError(f"--engine {self.engine!r}: expected des or batch")
        if self.seed is not None and self.seed < 0:
            raise InputError(f"--seed {self.seed!r}: must be >= 0")
        check_paths(self.n_paths)


@dataclass(frozen=True)
class SimulationKPIs:
    """The KPIs of one simulation."""

    scenario: str
    """The scenario's name."""
    seed: int
    """The root seed the paths were drawn from."""
    kpis: dict[str, Any]
    """:func:`restock.simulator.kpis.kpi_table` of the run (KPI -> value), in its order."""


def simulate(spec: SimulationSpec) -> SimulationKPIs:
    """Load, build, run and summarize (see the module docstring)."""
    from restock.scenarios import build_world, load
    from restock.simulator.kpis import kpi_table

    sc = load(spec.scenario, list(spec.scenario_overrides))
    root = sc.seeds.root if spec.seed is None else spec.seed
    world, paths = build_world(sc, root, spec.n_paths or sc.seeds.n_paths)
    from restock.simulator.engines import make_engine, rollout

    engine = make_engine(spec.engine, world, paths)  # batch: the network engine for a network
    rollout(engine, spec.policy.rule())
    result = engine.result()
    table = kpi_table(result, review_period=world.review_period, review_offset=world.review_offset)
    return SimulationKPIs(sc.name, int(root), dict(table))
