"""From a validated Scenario to a World and ExogenousPaths (with shocks) — and the demand history.

:func:`draw` is what :meth:`Scenario.build` and :meth:`Scenario.sample` call. Randomness: the catalog comes
from ``seeds.catalog`` (fixed per scenario); the paths from the root ``seed`` through
:func:`restock.simulator.paths.sample_paths`, which spawns one child generator per role ("demand",
"price", "lead_time/<node>", "fill_rate/<node>"). The demand role draws the warm-up history and the
simulated periods in one go, so the history belongs to the same path as the demand that follows it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from restock.scenarios.catalog import Catalog, resolve_catalog
from restock.scenarios.schema import Scenario
from restock.scenarios.shocks import (
    check_targets,
    demand_factors,
    launched,
    price_factors,
    transfer_delays,
    vendor_disruptions,
)
from restock.simulator.paths import ExogenousPaths, sample_paths
from restock.simulator.world import Economics, World


@dataclass(frozen=True)
class ScenarioDraw:
    """One draw of a scenario: the world, its exogenous paths and the demand history before period 0."""

    scenario: Scenario
    seed: int
    """The root seed the paths were drawn from."""
    world: World
    paths: ExogenousPaths
    """Shocks applied."""
    history: np.ndarray
    """[P, W, M, N] demand of the ``warmup`` periods before period 0 (never shocked; 0 for launched SKUs)."""
    catalog: Catalog
    node_share: np.ndarray
    """[M] multiple of a SKU's base demand model seen at (or below) each node: a customer-facing node's own
    ``demand_share`` plus those of the customer-facing nodes it feeds, directly or not."""


def node_shares(scenario: Scenario) -> np.ndarray:
    """[M] the demand share at or below each node (see :attr:`ScenarioDraw.node_share`)."""
    nodes = scenario.nodes
    own = {n.name: (n.demand_share if n.customer_facing else 0.0) for n in nodes}
    parent = {n.name: n.source for n in nodes}

    def below(name: str) -> float:
        return own[name] + sum(below(c) for c, p in parent.items() if p == name)

    return np.array([below(n.name) for n in nodes], dtype=np.float64)


def _base_demand(scenario: Scenario, catalog: Catalog, rng: np.random.Generator, n_paths: int) -> np.ndarray:
    """[P, W + T, M, N] demand before shocks: stationary draws, or the data scaled by each node's share."""
    periods = scenario.warmup + scenario.horizon
    m, n = len(scenario.nodes), catalog.n_skus
    out = np.zeros((n_paths, periods, m, n))
    for j, node in enumerate(scenario.nodes):
        if not node.customer_facing or node.demand_share == 0:
            continue
        if catalog.demand is not None:
            out[:, :, j, :] = node.demand_share * catalog.demand[None]
            continue
        assert catalog.mean is not None
        mu = node.demand_share * catalog.mean
        size = (n_paths, periods, n)
        if scenario.demand.distribution == "poisson":
            out[:, :, j, :] = rng.poisson(np.broadcast_to(mu, size))
        else:
            r = scenario.demand.dispersion
            k = np.where(mu > 0, mu / (r - 1.0), 1.0)
            draws = rng.negative_binomial(np.broadcast_to(k, size), 1.0 / r)
            out[:, :, j, :] = np.where(mu > 0, draws, 0.0)
    return out


def _economics(scenario: Scenario, catalog: Catalog) -> tuple[Economics, np.ndarray]:
    e = scenario.economics
    ref = catalog.price[scenario.warmup :].mean(axis=0)
    ppy = scenario.periods_per_year
    cost = e.unit_cost.resolve(ref, None, ppy)
    econ = Economics(
        unit_cost=cost,
        holding_cost=e.holding_cost.resolve(ref, cost, ppy),
        lost_sale_penalty=e.lost_sale_penalty.resolve(ref, cost, ppy),
        fixed_order_cost=e.fixed_order_cost.resolve(ref, cost, ppy),
        salvage_value=e.salvage_value.resolve(ref, cost, ppy),
        discount=e.discount,
    )
    return econ, ref


def _initial_on_hand(scenario: Scenario, catalog: Catalog, shares: np.ndarray) -> np.ndarray:
    """[M, N] whole units: initial_cover x mean demand per period at or below each node."""
    if catalog.mean is not None:
        mean = catalog.mean
    else:
        assert catalog.demand is not None
        w = scenario.warmup
        mean = catalog.demand[:w].mean(axis=0) if w > 0 else catalog.demand.mean(axis=0)
    cover = np.array([n.initial_cover for n in scenario.nodes])
    start = np.rint(cover[:, None] * shares[:, None] * mean[None, :])
    start[:, launched(scenario, catalog)] = 0.0
    return start


def draw(scenario: Scenario, seed: int, n_paths: int) -> ScenarioDraw:
    """The world, ``n_paths`` paths from root ``seed`` with every shock applied, and the history."""
    catalog = resolve_catalog(scenario)
    check_targets(scenario, catalog)
    shares = node_shares(scenario)
    economics, _ = _economics(scenario, catalog)
    world = World(
        skus=catalog.skus,
        economics=economics,
        network=scenario._network(vendor_disruptions(scenario)),
        horizon=scenario.horizon,
        review_period=scenario.review_period,
        review_offset=scenario.review_offset,
        initial_on_hand=_initial_on_hand(scenario, catalog, shares),
    )
    w = scenario.warmup
    full: dict[str, np.ndarray] = {}

    def demand(rng: np.random.Generator, n: int) -> np.ndarray:
        full["demand"] = _base_demand(scenario, catalog, rng, n)
        return full["demand"][:, w:]

    def price(rng: np.random.Generator, n: int) -> np.ndarray:
        return np.broadcast_to(catalog.price[w:], (n, *catalog.price[w:].shape)).copy()

    raw = sample_paths(world, demand, price, n_paths=n_paths, seed=seed)
    paths = ExogenousPaths(
        demand=raw.demand * demand_factors(scenario, catalog)[None],
        lead_time=transfer_delays(scenario, raw.lead_time),
        fill_rate=raw.fill_rate,
        capacity=raw.capacity,
        price=raw.price * price_factors(scenario, catalog)[None],
    )
    history = full["demand"][:, :w].copy()
    history[..., launched(scenario, catalog)] = 0.0
    return ScenarioDraw(
        scenario=scenario,
        seed=seed,
        world=world,
        paths=paths,
        history=history,
        catalog=catalog,
        node_share=shares,
    )
