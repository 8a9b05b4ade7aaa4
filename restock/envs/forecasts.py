"""Forecast tables as the envs read them, and the episode an env builds from a scenario.

Forecasts are data (DESIGN.md): a scenario's :class:`~restock.scenarios.forecast.ScenarioForecast` holds,
at every review, per path, node and SKU, quantiles of demand per review bucket and of cumulative demand
over ``cover`` periods. ``env.step`` only reads rows of it. :func:`check_matches` rejects a table that does
not fit the scenario's world (other SKUs, nodes, reviews or paths); :func:`poisson_table` gives exact
quantiles for i.i.d. Poisson demand (a world built in code, whose demand law is known).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from restock.errors import InputError
from restock.scenarios.build import draw
from restock.scenarios.forecast import ScenarioForecast, forecast_table
from restock.scenarios.schema import SCENARIO_QUANTILES, Scenario
from restock.simulator.paths import ExogenousPaths
from restock.simulator.world import World


def check_matches(fc: ScenarioForecast, world: World, n_paths: int, *, source: str) -> None:
    """Raise :class:`InputError` unless ``fc`` covers exactly the world's SKUs, nodes, reviews and ``n_paths``
    paths."""
    if tuple(fc.skus) != tuple(world.skus):
        raise InputError(
            f"{source}: forecast table SKUs {list(fc.skus)[:5]} (n={len(fc.skus)}) do not match the "
            "scenario's "
            f"SKUs {list(world.skus)[:5]} (n={world.n_skus})"
        )
    nodes = tuple(n.name for n in world.network.nodes)
    if tuple(fc.nodes) != nodes:
        raise InputError(
            f"{source}: forecast table nodes {list(fc.nodes)} do not match the scenario's {list(nodes)}"
        )
    reviews = np.asarray(world.review_periods(), dtype=np.int64)
    if not np.array_equal(np.asarray(fc.review_periods, dtype=np.int64), reviews):
        raise InputError(
            f"{source}: forecast table reviews {np.asarray(fc.review_periods)[:4].tolist()}... "
            f"(n={len(fc.review_periods)}) do not match the scenario's {reviews[:4].tolist()}... "
            f"(n={len(reviews)})"
        )
    for name in ("per_bucket", "cumulative"):
        p = getattr(fc, name).shape[0]
        if p not in (1, n_paths):
            raise InputError(f"{source}: forecast table {name} has {p} paths, the scenario built {n_paths}")
    if fc.bucket_length != world.review_period:
        raise InputError(
            f"{source}: forecast table bucket_length {fc.bucket_length} differs from the review period "
            f"{world.review_period}"
        )


def restrict(fc: ScenarioForecast, sku: int, path: int) -> ScenarioForecast:
    """The table of one SKU on one path (path axes of size 1 are kept)."""

    def cut(arr: np.ndarray) -> np.ndarray:
        arr = arr[:, :, :, sku : sku + 1]
        return arr[path : path + 1] if arr.shape[0] > 1 else arr

    return ScenarioForecast(
        model=fc.model,
        review_periods=fc.review_periods,
        quantiles=fc.quantiles,
        nodes=fc.nodes,
        skus=(fc.skus[sku],),
        bucket_length=fc.bucket_length,
        per_bucket=cut(fc.per_bucket),
        cover=fc.cover,
        cumulative=cut(fc.cumulative),
    )


def poisson_table(
    world: World, rate: np.ndarray, *, buckets: int = 8, levels: tuple[float, ...] = SCENARIO_QUANTILES
) -> ScenarioForecast:
    """Exact quantiles when customer demand at node m, SKU n is i.i.d. Poisson(``rate[m, n]``) per period.

    ``levels`` defaults to the grid of a scenario's forecast table
    (:data:`~restock.scenarios.schema.SCENARIO_QUANTILES`).
    A node without customers (a warehouse) sees the demand of the nodes it feeds, recursively (a sum of
    independent Poissons is Poisson). The cumulative cover reaches the longest 99.9% lead time plus all
    transfer lead times plus two review periods.
    """
    rate = np.asarray(rate, dtype=np.float64)
    nodes = world.network.nodes
    names = [n.name for n in nodes]

    def served(i: int) -> np.ndarray:
        own = rate[i] if nodes[i].customer_facing else np.zeros_like(rate[i])
        kids = [served(names.index(c.name)) for c in world.network.children(names[i])]
        return own + sum(kids, np.zeros_like(own))

    total = np.stack([served(i) for i in range(len(nodes))])  # [M, N]
    lead = max((v.lead_time.upper(1e-3) for v in world.network.vendors), default=0)
    k = lead + sum(n.transfer_distribution.upper(1e-3) for n in nodes) + 2 * world.review_period
    cover = np.arange(1, k + 1)
    lv = np.asarray(levels, dtype=np.float64)
    r = world.review_period
    bucket = _poisson_quantiles(total, np.full(buckets, float(r)), lv)
    cum = _poisson_quantiles(total, cover.astype(np.float64), lv)
    return ScenarioForecast(
        model="true-poisson",
        review_periods=np.asarray(world.review_periods(), dtype=np.int64),
        quantiles=lv,
        nodes=tuple(names),
        skus=tuple(world.skus),
        bucket_length=r,
        per_bucket=bucket[None, None],
        cover=cover,
        cumulative=cum[None, None],
    )


def _poisson_quantiles(rate: np.ndarray, periods: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Quantiles [M, N, K, Q] of Poisson demand summed over ``periods`` [K] periods at ``rate`` [M, N]."""
    from scipy.stats import poisson

    mu = rate[..., None, None] * periods[:, None]
    q = np.broadcast_to(levels, (*mu.shape[:-1], len(levels)))
    return np.where(mu > 0, poisson.ppf(q, np.broadcast_to(mu, q.shape)), 0.0)


@runtime_checkable
class CodeScenario(Protocol):
    """A world built in code instead of a scenario file (a test's fake world): it draws its own world and
    paths and gives their forecast table."""

    name: str

    def build(self, seed: int, n_paths: int) -> tuple[World, ExogenousPaths]: ...

    def forecast_table_for(self, world: World, paths: ExogenousPaths, seed: int) -> ScenarioForecast: ...


def build_episode(
    scenario: Scenario | CodeScenario, seed: int, n_paths: int, *, source: str
) -> tuple[World, ExogenousPaths, ScenarioForecast]:
    """World, paths and forecast table of one episode drawn from root ``seed``.

    A :class:`~restock.scenarios.Scenario` is drawn once (:func:`restock.scenarios.draw`) and its table
    built from that draw by :func:`restock.scenarios.forecast_table` (which caches the tables that do not
    depend on the paths); a :class:`CodeScenario` builds both itself. The table is checked against the
    world either way.
    """
    if isinstance(scenario, Scenario):
        d = draw(scenario, seed, n_paths)
        world, paths, fc = d.world, d.paths, forecast_table(d)
    else:
        world, paths = scenario.build(seed, n_paths)
        fc = scenario.forecast_table_for(world, paths, seed)
    if not isinstance(fc, ScenarioForecast):
        raise InputError(
            f"{source}: the forecast table is a {type(fc).__name__}, expected a ScenarioForecast"
        )
    check_matches(fc, world, paths.n_paths, source=source)
    return world, paths, fc
