"""Simulation: one simple order rule through a scenario on one engine, and its KPIs (``restock simulate``).

``simulate(SimulationSpec("steady", OrderRule("base-stock", 30.0), engine="des"))`` loads the scenario,
draws its paths from the root seed, runs the engine and summarizes the run with
:func:`restock.simulator.kpis.kpi_table`. The rules: base-stock and constant (the simulator's minimal
rules, one S or Q for every SKU) and the critical-fractile newsvendor on the scenario's forecast table
(:class:`restock.agents.baselines.newsvendor.NewsvendorPolicy` through the observers of
:mod:`restock.agents.evaluate`, the policy ``restock evaluate`` compares against: the same orders on the
same paths). For the newsvendor on the exact "true" table of stationary poisson or negbin demand only the
horizons it reads (E[L] + R) are tabulated, in float32 (:func:`restock.scenarios.forecast.true_table`),
so a million SKUs fit; other forecasters build their whole table. Tuned and learned policies are
evaluated by :mod:`restock.pipelines.evaluation`.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from restock.errors import MAX_UNITS, InputError
from restock.pipelines.inputs import check_compile, check_engine, check_paths

MAX_ORDER_LEVEL = MAX_UNITS
"""Most units of an order rule's S or Q (:data:`restock.errors.MAX_UNITS`)."""


@dataclass(frozen=True)
class OrderRule:
    """An order rule of the simulator with its one parameter (``--policy``)."""

    name: Literal["base-stock", "constant", "newsvendor"]
    """``base-stock``: order up to S on the inventory position at every review; ``constant``: order Q at
    every review (every node and SKU gets the same S or Q); ``newsvendor``: order up to the critical
    fractile of demand over E[L] + R read from the scenario's forecast table (no parameter)."""
    value: float | None = None
    """Its parameter: the base-stock level S or the constant quantity Q (in [0, :data:`MAX_ORDER_LEVEL`]);
    None for the newsvendor."""

    def __post_init__(self) -> None:
        if self.name not in ("base-stock", "constant", "newsvendor"):
            raise InputError(f"order rule {self.name!r}: expected base-stock, constant or newsvendor")
        if self.name == "newsvendor":
            if self.value is not None:
                raise InputError(f"order rule newsvendor takes no parameter, got {self.value!r}")
            return
        if self.value is None:
            raise InputError(f"order rule {self.name}: needs its parameter")
        if not (math.isfinite(self.value) and self.value >= 0):
            raise InputError(f"order rule {self.name}: parameter must be finite and >= 0, got {self.value!r}")
        if self.value > MAX_ORDER_LEVEL:
            raise InputError(
                f"order rule {self.name}: parameter must be at most {MAX_ORDER_LEVEL:g} units, "
                f"got {self.value!r}"
            )

    def rule(self) -> Any:
        """The simulator's policy object (base-stock and constant; the newsvendor needs the draw:
        :func:`newsvendor_rule`)."""
        from restock.simulator.policy import BaseStock, ConstantOrder

        if self.value is None:
            raise InputError(f"order rule {self.name}: built from the scenario draw (newsvendor_rule)")
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
    (:meth:`restock.simulator.kpis.RunSums.kpis`; ``in_stock_rate`` needs records)."""
    compile: str = "off"
    """The batch engine's ``compile`` setting (``--compile``: ``off``, ``auto`` or ``on``;
    :mod:`restock.simulator.batch.compiled`): ``auto`` compiles a forward run of at least 10M SKU-periods
    where ``torch.compile`` works and runs eager otherwise; compiled and eager give the same KPIs. Off by
    default: one rollout does not repay the compiler's warm-up (docs/performance.md)."""

    def __post_init__(self) -> None:
        check_engine(self.engine)
        check_compile(self.compile, self.engine)
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
    :meth:`restock.simulator.kpis.RunSums.kpis` (None where a KPI needs records)."""
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds per stage: ``paths`` (loading and drawing), ``forecast table`` (the newsvendor only),
    ``simulation``, ``kpis``."""


def simulate(spec: SimulationSpec) -> SimulationKPIs:
    """Load, build, run and summarize (see the module docstring), with the time of each stage in
    ``timings`` (seconds: paths, forecast table for the newsvendor, simulation, kpis)."""
    from restock.scenarios import load
    from restock.scenarios.build import draw
    from restock.simulator.engines import make_engine, rollout
    from restock.simulator.kpis import CycleCounter, rollout_sums

    clock = time.perf_counter()
    sc = load(spec.scenario, list(spec.scenario_overrides))
    root = sc.seeds.root if spec.seed is None else spec.seed
    n_paths = spec.n_paths or sc.seeds.n_paths
    check_memory(sc, n_paths, spec.records)
    d = draw(sc, root, n_paths)  # the warm-up history is drawn only if the forecaster reads it
    world, paths = d.world, d.paths
    timings = {"paths": time.perf_counter() - clock}
    if spec.policy.name == "newsvendor":
        clock = time.perf_counter()
        rule = newsvendor_rule(d)
        timings["forecast table"] = time.perf_counter() - clock
    else:
        rule = spec.policy.rule()
    clock = time.perf_counter()
    # batch: the network engine for a network (no compiled path: "auto" runs it eager)
    engine = make_engine(spec.engine, world, paths, record=spec.records, compile=spec.compile)
    counter = CycleCounter([n.customer_facing for n in world.network.nodes])
    done = rollout(engine, rule, on_step=None if spec.records else counter)
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


def newsvendor_forecasts(d: Any) -> Any:
    """The forecast table the newsvendor of draw ``d`` reads: the exact "true" table at the horizons
    E[L] + R of its nodes only, one bucket, float32
    (:func:`restock.scenarios.forecast.true_table`), where the scenario has one (stationary poisson or
    negbin, no foresight); else the scenario's whole table (:func:`restock.scenarios.forecast_table`).

    The newsvendor's orders on it are those on the whole table: an integral horizon is a cover of its
    own (read with weight 1, as in the whole table); otherwise the covers 1 .. ceil(E[L] + R) (the
    whole table's first ones, interpolated alike)."""
    import numpy as np

    from restock.envs.observer import lead_time_stats
    from restock.scenarios.forecast import forecast_table, true_table

    s = d.scenario
    if s.forecast.model != "true" or s.forecast.foresee or s.demand.distribution not in ("poisson", "negbin"):
        return forecast_table(d)
    lead_mean, _ = lead_time_stats(d.world)
    horizons = np.asarray(lead_mean, dtype=np.float64) + d.world.review_period
    if np.all(horizons == np.round(horizons)):
        cover = np.unique(horizons.astype(np.int64))
    else:
        cover = np.arange(1, int(np.ceil(horizons.max())) + 1)
    return true_table(d, cover, buckets=1)


def newsvendor_rule(d: Any) -> Any:
    """The newsvendor's decision rule on draw ``d``: :class:`~restock.agents.baselines.newsvendor.
    NewsvendorPolicy` shown each node's observer over :func:`newsvendor_forecasts` (the adapter of
    ``restock evaluate``, :func:`restock.agents.evaluate.engine_rule`)."""
    from restock.agents.baselines.newsvendor import NewsvendorPolicy
    from restock.agents.evaluate import Episode, engine_rule, observers

    policy = NewsvendorPolicy()
    ep = Episode(d.world, d.paths, newsvendor_forecasts(d), int(d.seed))
    return engine_rule(policy, observers(ep, policy))


# Bytes per SKU-period (and per path) that a run holds at its peak, measured with /usr/bin/time -v on
# ``steady`` (docs/performance.md, "Memory of restock simulate"), rounded up.
BYTES_PER_SKU_PERIOD = 40.0
"""Peak bytes per (path, simulated period, node, SKU) of a run without records."""
RECORD_BYTES_PER_SKU_PERIOD = 720.0
"""Peak bytes per (path, simulated period, node, SKU) of a run with ``--records``."""
HISTORY_BYTES_PER_SKU_PERIOD = 24.0
"""Bytes per (path, warm-up period, node, SKU) of the warm-up history, added when the scenario's
forecaster reads it (float64, and the uniforms while they are drawn); the exact "true" tables do not."""


def memory_estimate(sc: Any, n_paths: int, records: bool) -> int:
    """Peak bytes of simulating ``sc`` over ``n_paths`` paths (see :data:`BYTES_PER_SKU_PERIOD`)."""
    from restock.scenarios.catalog import resolve_catalog

    first, stop = sc.catalog.shard or (0, resolve_catalog(sc).n_skus)  # a shard draws its SKUs only
    n_skus = stop - first
    per = RECORD_BYTES_PER_SKU_PERIOD if records else BYTES_PER_SKU_PERIOD
    cells = n_paths * len(sc.nodes) * n_skus
    history = 0.0 if sc.forecast.model == "true" else HISTORY_BYTES_PER_SKU_PERIOD * sc.warmup
    return int(cells * (per * sc.horizon + history))


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


def check_memory(
    sc: Any,
    n_paths: int,
    records: bool,
    *,
    job: str = "simulate",
    helps: Sequence[str] | None = None,
    kept_runs: int = 0,
) -> None:
    """An :class:`InputError` (before anything is drawn) when the run would not fit in memory, with the
    estimate and what helps (``helps``; default: ``restock simulate``'s: fewer paths, fewer SKUs per run,
    no ``--records``). ``kept_runs``: runs whose records are kept besides the one running (an evaluation
    written to a folder keeps every policy's and seed's)."""
    need = memory_estimate(sc, n_paths, records) * (1 + kept_runs)
    have = available_memory()
    if need <= have:
        return
    gib = 2.0**30
    if helps is None:
        helps = ["fewer paths (--paths)", "shards of the catalog (--set catalog.n_skus=... per run)"]
        if records:
            helps = ["no --records (KPIs from totals)", *helps]
    runs = f" x {1 + kept_runs} runs kept" if kept_runs else ""
    raise InputError(
        f"{job} {sc.name!r}: the run needs about {need / gib:.1f} GiB ({n_paths} path(s) x "
        f"{sc.horizon} periods x {len(sc.nodes)} node(s) x SKUs{runs}), "
        f"{have / gib:.1f} GiB are available; use {', or '.join(helps)}"
    )
