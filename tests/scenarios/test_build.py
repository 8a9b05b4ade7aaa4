"""Scenario.build: worlds and paths from seeds, economics, initial stock, demand models, replayed data."""

from __future__ import annotations

import numpy as np
import pytest
from scenario_tables import raw, scenario
from shared_data import M5_TINY, data_overrides

from restock.scenarios import build_eval, build_world, draw, from_raw, load
from restock.seeding import eval_seed


def test_same_seed_same_paths_other_seed_other_paths() -> None:
    s = scenario()
    w1, p1 = build_world(s, 5, 3)
    _, p2 = build_world(s, 5, 3)
    for name in ("demand", "lead_time", "fill_rate", "capacity", "price"):
        np.testing.assert_array_equal(getattr(p1, name), getattr(p2, name))
    _, p3 = build_world(s, 6, 3)
    assert not np.array_equal(p1.demand, p3.demand)
    # the catalog (SKUs, economics) does not depend on the path seed
    np.testing.assert_array_equal(w1.economics.unit_cost, build_world(s, 6, 1)[0].economics.unit_cost)


def test_evaluation_draws_use_seeds_apart_from_training_seeds() -> None:
    s = scenario()
    _, train = build_world(s, 0, 2)
    _, ev = build_eval(s, 0, 2)
    _, ev_direct = build_world(s, eval_seed(0), 2)
    np.testing.assert_array_equal(ev.demand, ev_direct.demand)
    assert not np.array_equal(ev.demand, train.demand)


def test_shapes_world_and_history() -> None:
    s = scenario()
    d = draw(s, 1, 4)
    assert d.paths.demand.shape == (4, 28, 2, 6) and d.paths.price.shape == (4, 28, 6)
    assert d.history.shape == (4, 14, 2, 6)
    assert d.world.skus == tuple(f"SKU{i:03d}" for i in range(6))
    assert d.world.review_period == 7 and d.world.horizon == 28
    assert [n.name for n in d.world.network.nodes] == ["store", "outlet"]
    # default run settings
    world, paths = build_world(s, s.seeds.root, s.seeds.n_paths)
    assert paths.n_paths == 2 and world.n_skus == 6


def test_economics_as_fractions_of_price_and_cost() -> None:
    table = raw()
    table["economics"] = {
        "price_range": [5.0, 50.0],
        "unit_cost": "0.6 * price",
        "holding_cost": "0.25 * cost / year",
        "lost_sale_penalty": "0.1 * price",
        "fixed_order_cost": 2.5,
        "salvage_value": "0.5 * cost",
        "discount": 0.999,
    }
    table["periods_per_year"] = 364
    d = draw(from_raw(table, "test.toml"), 0, 1)
    price = d.paths.price[0, 0]
    assert ((price >= 5) & (price <= 50)).all() and len(set(price.tolist())) == 6
    e = d.world.economics
    np.testing.assert_allclose(e.unit_cost, 0.6 * price)
    np.testing.assert_allclose(e.holding_cost, 0.25 * 0.6 * price / 364)
    np.testing.assert_allclose(e.lost_sale_penalty, 0.1 * price)
    np.testing.assert_allclose(e.fixed_order_cost, 2.5)
    np.testing.assert_allclose(e.salvage_value, 0.3 * price)
    assert e.discount == 0.999


def test_initial_stock_is_whole_periods_of_mean_demand() -> None:
    nodes = [
        {"name": "store", "source": "vendor", "initial_cover": 2.5},
        {"name": "outlet", "source": "backup", "demand_share": 0.5, "initial_cover": 1.0},
    ]
    world, _ = build_world(scenario(nodes=nodes), 0, 1)
    np.testing.assert_array_equal(world.initial_on_hand, [[10.0] * 6, [2.0] * 6])  # 2.5 x 4, 1 x 2


@pytest.mark.parametrize(("distribution", "ratio"), [("poisson", 1.0), ("negbin", 3.0)])
def test_stationary_demand_has_the_stated_mean_and_dispersion(distribution: str, ratio: float) -> None:
    nodes = [
        {"name": "store", "source": "vendor"},
        {"name": "outlet", "source": "backup", "demand_share": 0.5},
    ]
    demand = {"kind": "stationary", "distribution": distribution, "mean": 4.0, "dispersion": max(ratio, 1.5)}
    if distribution == "negbin":
        demand["dispersion"] = ratio
    d = draw(scenario(nodes=nodes, demand=demand), 2, 300)
    x = d.paths.demand  # [300, 28, 2, 6]
    assert (x == np.rint(x)).all()
    n = x[:, :, 0].size
    for m, mean in ((0, 4.0), (1, 2.0)):
        sample = x[:, :, m]
        assert abs(sample.mean() - mean) < 5 * np.sqrt(ratio * mean / n)
        assert sample.var() / sample.mean() == pytest.approx(ratio, rel=0.1)


def test_mean_range_draws_a_fixed_catalog_from_the_catalog_seed() -> None:
    demand = {"kind": "stationary", "mean_range": [1.0, 30.0]}
    a = draw(scenario(demand=demand), 0, 1).catalog.mean
    b = draw(scenario(demand=demand), 9, 1).catalog.mean
    assert a is not None and b is not None
    np.testing.assert_array_equal(a, b)
    assert ((a >= 1) & (a <= 30)).all() and len(set(a.tolist())) == 6
    c = draw(scenario(demand=demand, seeds={"catalog": 1}), 0, 1).catalog.mean
    assert c is not None
    assert not np.array_equal(a, c)


@pytest.fixture(scope="module")
def m5_draw():
    """The m5-tiny-replay scenario, 8 weeks after 26 weeks of history."""
    overrides = [*data_overrides("m5-tiny-replay"), "horizon=56", "warmup=182", "seeds.n_paths=2"]
    s = load("m5-tiny-replay", overrides)
    return s, draw(s, 0, 2)


@pytest.mark.needs_data
def test_replayed_data_is_the_data_itself(m5_draw) -> None:
    from restock.data import load_panel

    _, d = m5_draw
    panel = load_panel(f"m5:{M5_TINY}")
    panel = panel.subset(list(d.world.skus))
    demand = np.nan_to_num(panel.matrix("demand"), nan=0.0)[:, -56:].T
    np.testing.assert_array_equal(d.paths.demand[0, :, 0], demand)
    np.testing.assert_array_equal(d.paths.demand[1], d.paths.demand[0])  # the same on every path
    np.testing.assert_array_equal(
        d.history[0, :, 0], np.nan_to_num(panel.matrix("demand"), nan=0.0)[:, -238:-56].T
    )
    assert d.catalog.dates[-1] == panel.dates[-1] and len(d.catalog.dates) == 238
    # its own prices; unit cost 60% of each item's mean price over the horizon
    prices = panel.matrix("price")[:, -56:].T
    known = ~np.isnan(prices)
    np.testing.assert_allclose(d.paths.price[0][known], prices[known])
    np.testing.assert_allclose(d.world.economics.unit_cost, 0.6 * d.paths.price[0].mean(axis=0))
    # stochastic lead times of 1-3 weeks
    assert set(np.unique(d.paths.lead_time).tolist()) <= {7, 14, 21}
    assert d.world.review_period == 7 and d.catalog.category[0] == "FOODS"


@pytest.mark.parametrize("distribution", ["poisson", "negbin"])
def test_stationary_demand_of_a_stretched_rate_is_that_of_the_materialized_rate(distribution: str) -> None:
    from scipy import stats

    from restock.scenarios.build import stationary_demand

    rng = np.random.default_rng(3)
    rate = rng.choice([0.0, 0.7, 3.0, 11.0], size=(1, 9, 2, 1))  # stretched over paths and SKUs
    u = rng.random((4, 9, 2, 5))
    got = stationary_demand(distribution, rate, 2.5, u)
    full = np.broadcast_to(rate, u.shape)
    np.testing.assert_array_equal(got, stationary_demand(distribution, full.copy(), 2.5, u))
    # the inversion: the u-quantile of the distribution (scipy's ppf), 0 where the rate is 0
    if distribution == "poisson":
        ppf = stats.poisson.ppf(u, np.where(full > 0, full, 1.0))
    else:
        size = np.where(full > 0, full, 1.0) / 1.5
        ppf = stats.nbinom.ppf(u, size, 1 / 2.5)
    np.testing.assert_array_equal(got, np.where(full > 0, ppf, 0.0))


@pytest.mark.needs_data
def test_a_replay_may_infer_stock_outs_with_the_m5_zero_run_option() -> None:
    """``m5:PATH:zero-runs`` is a valid ``demand.source``: the same data, and its cache stamp names the
    folder's files (the option is not part of the path)."""
    from restock.scenarios import load
    from restock.scenarios.cache import data_stamp

    plain = load("m5-tiny-replay", [f'demand.source="m5:{M5_TINY}"'])
    flagged = load("m5-tiny-replay", [f'demand.source="m5:{M5_TINY}:zero-runs"'])
    assert data_stamp(flagged) == data_stamp(plain) and len(data_stamp(plain)) >= 3
