"""Simulation: one simple order rule through a scenario on one engine, and its KPIs (``restock simulate``).

``simulate(SimulationSpec("steady", OrderRule("base-stock", 30.0), engine="des"))`` loads the scenario,
draws its paths from the root seed, runs the engine and summarizes the run with
:func:`restock.simulator.kpis.kpi_table`. These are the simulator's minimal rules; newsvendor, tuned and
learned policies are evaluated by :mod:`restock.pipelines.evaluation`.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from restock.errors import MAX_UNITS, InputError
from restock.pipelines.inputs import check_engine, check_paths

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
    records: bool = False
    """Keep every period's record and compute the KPIs from them (``--records``; memory grows with SKUs x
    periods x paths). Default: the KPIs from totals accumulated on the fly
    (:func:`restock.simulator.kpis.totals_kpi_table`; ``in_stock_rate`` needs records)."""

    def __post_init__(self) -> None:
        check_engine(self.engine)
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
    """:func:`restock.simulator.kpis.kpi_table` of the run (KPI -> value), in its order; without records
    :func:`restock.simulator.kpis.totals_kpi_table` (None where a KPI needs records)."""
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds per stage: ``paths`` (loading and drawing), ``simulation``, ``kpis``."""


def simulate(spec: SimulationSpec) -> SimulationKPIs:
    """Load, build, run and summarize (see the module docstring), with the time of each stage in
    ``timings`` (seconds: paths, simulation, kpis)."""
    from restock.scenarios import build_world, load
    from restock.simulator.engines import make_engine, rollout
    from restock.simulator.kpis import CycleCounter, rollout_sums

    clock = time.perf_counter()
    sc = load(spec.scenario, list(spec.scenario_overrides))
    root = sc.seeds.root if spec.seed is None else spec.seed
    n_paths = spec.n_paths or sc.seeds.n_paths
    check_memory(sc, n_paths, spec.records)
    world, paths = build_world(sc, root, n_paths)
    timings = {"paths": time.perf_counter() - clock}
    clock = time.perf_counter()
    engine = make_engine(
        spec.engine, world, paths, record=spec.records
    )  # batch: the network engine for a network
    counter = CycleCounter([n.customer_facing for n in world.network.nodes])
    done = rollout(engine, spec.policy.rule(), on_step=None if spec.records else counter)
    timings["simulation"] = time.perf_counter() - clock
    clock = time.perf_counter()
    if spec.records:
        from restock.simulator.kpis import kpi_table

        table = kpi_table(
            engine.result(), review_period=world.review_period, review_offset=world.review_offset
        )
    else:
        table = rollout_sums(world, paths.n_paths, engine, done, counter).kpis()
    timings["kpis"] = time.perf_counter() - clock
    return SimulationKPIs(sc.name, int(root), dict(table), timings)


# Bytes per SKU-period (and per path) that a run holds at its peak, measured with /usr/bin/time -v on
# ``steady`` (docs/performance.md): drawing the paths with their warm-up history dominates.
BYTES_PER_SKU_PERIOD = 120.0
"""Peak bytes per (path, period, node, SKU) of a run without records."""
RECORD_BYTES_PER_SKU_PERIOD = 360.0
"""Peak bytes per (path, period, node, SKU) of a run with ``--records``."""


def memory_estimate(sc: Any, n_paths: int, records: bool) -> int:
    """Peak bytes of simulating ``sc`` over ``n_paths`` paths (see :data:`BYTES_PER_SKU_PERIOD`)."""
    from restock.scenarios.catalog import resolve_catalog

    n_skus = resolve_catalog(sc).n_skus
    periods = sc.horizon + sc.warmup
    per = RECORD_BYTES_PER_SKU_PERIOD if records else BYTES_PER_SKU_PERIOD
    return int(per * n_paths * periods * len(sc.nodes) * n_skus)


def available_memory() -> int:
    """Bytes this process may still allocate: MemAvailable of /proc/meminfo (physical memory elsewhere)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))


def check_memory(sc: Any, n_paths: int, records: bool) -> None:
    """An :class:`InputError` (before anything is drawn) when the run would not fit in memory, with the
    estimate and what helps: fewer paths, fewer SKUs per run (shards), no ``--records``."""
    need, have = memory_estimate(sc, n_paths, records), available_memory()
    if need <= have:
        return
    gib = 2.0**30
    helps = ["fewer paths (--paths)", "shards of the catalog (--set catalog.n_skus=... per run)"]
    if records:
        helps.insert(0, "no --records (KPIs from totals)")
    raise InputError(
        f"simulate {sc.name!r}: the run needs about {need / gib:.1f} GiB ({n_paths} path(s) x "
        f"{sc.horizon + sc.warmup} periods incl. warm-up x {len(sc.nodes)} node(s) x SKUs), "
        f"{have / gib:.1f} GiB are available; use {', or '.join(helps)}"
    )
