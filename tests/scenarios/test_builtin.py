"""The built-in library: each scenario builds and models what its description says."""

from __future__ import annotations

import numpy as np
import pytest
from shared_data import data_overrides

from restock.scenarios import build_world, draw, list_builtin, load
from restock.scenarios.families import ZIPKIN_LEAD_TIMES, ZIPKIN_PENALTIES
from restock.scenarios.loader import read_raw

SYNTHETIC = [
    "steady",
    "seasonal",
    "publicity-spike",
    "covid-shock",
    "product-launch",
    "price-drop",
    "vendor-outage",
    "zipkin-lost-sales",
    "warehouse-3fc",
    "warehouse-10fc",
    "serial-3",
    "dual-sourcing",
    "case-packs",
    "capacitated-catalog",
]


def test_the_library_is_complete() -> None:
    assert set(list_builtin()) == {*SYNTHETIC, "m5-tiny-replay"}


def _ratio(name: str, category: str) -> np.ndarray:
    """Shocked / unshocked demand rate per simulated period, averaged over the category's SKUs."""
    shocked = draw(load(name), 0, 1)
    base = draw(load(name, ["shocks=[]"]), 0, 1)
    mask = np.array([c == category for c in shocked.catalog.category])
    w = shocked.scenario.warmup
    assert shocked.rate is not None and base.rate is not None
    return shocked.rate[w:, 0, mask].sum(-1) / base.rate[w:, 0, mask].sum(-1)


def test_steady_is_stationary_weekly_with_stochastic_lead_times() -> None:
    d = draw(load("steady"), 0, 2)
    assert d.world.n_skus == 20 and d.world.review_period == 7 and len(d.world.network.nodes) == 1
    assert len(np.unique(d.paths.lead_time)) > 2 and d.paths.lead_time.min() >= 2
    assert d.rate is not None and (d.rate == d.rate[0]).all() and not d.scenario.shocks


def test_publicity_spike_is_x8_for_two_weeks_then_fades() -> None:
    r = _ratio("publicity-spike", "gadgets")
    np.testing.assert_allclose(r[120:134], 8.0)
    assert (
        (r[:120] == 1).all() and (np.diff(r[134:190]) <= 0).all() and 1 < r[150] < 4 and (r[190:] == 1).all()
    )
    assert (_ratio("publicity-spike", "core") == 1).all()


def test_covid_shock_moves_demand_and_supply() -> None:
    staples, apparel, lounge = (_ratio("covid-shock", c) for c in ("staples", "apparel", "loungewear"))
    assert staples[70] == pytest.approx(3.0) and staples[:70].max() == 1 and staples[140] == 1
    assert apparel[70] == pytest.approx(0.2) and apparel[200] < 1 and apparel[300] == 1
    assert (lounge[77:] == 2).all() and lounge[76] == 1
    d = draw(load("covid-shock"), 0, 2)
    lead, fill, cap = d.paths.lead_time[:, :, 0], d.paths.fill_rate[:, :, 0], d.paths.capacity[:, 0]
    assert lead[:, 70:200].mean() > 2.2 * lead[:, :70].mean()
    assert 0.5 < fill[:, 70:200].mean() < 0.7 and fill[:, :70].mean() > 0.95
    assert (cap[84:200] == 200).all() and (cap[:84] == 400).all() and (cap[200:] == 400).all()


def test_seasonal_peaks_in_december_and_marks_down_in_february() -> None:
    r = _ratio("seasonal", "outerwear")
    assert (
        r[:60].max() < 0.5 and r.max() == pytest.approx(3.5, abs=0.01) and 145 <= int(r.argmax()) <= 160
    )  # ~1 Dec
    d = draw(load("seasonal"), 0, 1)
    price = d.paths.price[0, :, d.catalog.category.index("outerwear")]
    assert price[220] == pytest.approx(0.7 * price[0])
    assert d.scenario.forecast.foresee


def test_launch_price_drop_and_outage() -> None:
    launch = draw(load("product-launch"), 0, 1)
    new = np.array([c == "new" for c in launch.catalog.category])
    assert new.sum() == 4 and (launch.paths.demand[0, :84][..., new] == 0).all()
    assert (launch.history[..., new] == 0).all() and (launch.world.start_on_hand()[:, new] == 0).all()
    promo = _ratio("price-drop", "promo")
    np.testing.assert_allclose(promo[140:154], 0.75**-2.5)
    outage = draw(load("vendor-outage"), 0, 2)
    due = np.arange(364)[None, :, None] + outage.paths.lead_time[:, :, 0]
    assert not ((due >= 150) & (due < 178)).any()


@pytest.mark.parametrize("p", ZIPKIN_PENALTIES)
@pytest.mark.parametrize("lead", ZIPKIN_LEAD_TIMES)
def test_every_zipkin_instance(p: int, lead: int) -> None:
    world, paths = build_world(load("zipkin-lost-sales", [f"family.instance=p{p}-L{lead}"]), 0, 1)
    assert (paths.lead_time == lead).all() and world.review_period == 1 and world.n_skus == 1
    e = world.economics
    assert e.lost_sale_penalty[0] == p and e.holding_cost[0] == 1 and e.unit_cost[0] == 0
    assert (paths.price == 0).all()


def test_m5_tiny_replay_names_the_data_folder_from_the_repository_root() -> None:
    assert read_raw("m5-tiny-replay")[0]["demand"]["source"] == "m5:../shared/data/m5-tiny"


@pytest.mark.needs_data
def test_m5_tiny_replay_validates() -> None:
    s = load("m5-tiny-replay", list(data_overrides("m5-tiny-replay")))
    assert len(s.catalog.skus) == 28
    assert s.forecast.model != "true"


@pytest.mark.slow
@pytest.mark.parametrize("name", SYNTHETIC)
def test_every_synthetic_builtin_runs_on_the_des_engine(name: str) -> None:
    from restock.simulator import des
    from restock.simulator.kpis import kpi_table
    from restock.simulator.policy import BaseStock

    world, paths = build_world(load(name), 0, 1)
    kpis = kpi_table(des.run(world, paths, BaseStock(50.0)))
    assert kpis["periods"] == world.horizon and 0 < kpis["fill_rate"] <= 1


@pytest.mark.slow
def test_zipkin_simulation_matches_the_oracles_exact_base_stock_cost() -> None:
    """Simulating the family reproduces the exact long-run cost of a base-stock policy (our convention)."""
    baselines = pytest.importorskip("restock.agents.oracle.baselines")
    from restock.agents.oracle.demand import parse_demand
    from restock.simulator import batch
    from restock.simulator.kpis import kpi_table
    from restock.simulator.policy import BaseStock

    exact = (
        baselines.CappedBaseStockEvaluator(parse_demand("poisson:5"), 2, 1.0, 9.0).evaluate(19).average_cost
    )
    world, paths = build_world(load("zipkin-lost-sales", ["family.instance=p9-L2", "horizon=20000"]), 0, 4)
    average_cost = -kpi_table(batch.run(world, paths, BaseStock(19.0)))["profit"] / world.horizon
    assert average_cost == pytest.approx(exact, rel=0.02)


def test_warehouse_3fc_is_a_warehouse_feeding_three_poisson_fcs() -> None:
    d = draw(load("warehouse-3fc"), 0, 400)
    nodes = d.world.network.nodes
    assert [(n.name, n.source, n.customer_facing) for n in nodes] == [
        ("dc", "vendor", False), ("fc1", "dc", True), ("fc2", "dc", True), ("fc3", "dc", True),
    ]  # fmt: skip
    assert [n.transfer_lead_time for n in nodes[1:]] == [2, 2, 2] and d.world.skus == ("item",)
    np.testing.assert_array_equal(d.world.initial_on_hand[:, 0], [14 * 15, 7 * 8, 7 * 5, 7 * 2])
    demand = d.paths.demand[..., 0]  # [P, T, M]
    np.testing.assert_allclose(demand.mean(axis=(0, 1)), [0, 8, 5, 2], atol=0.05)
    np.testing.assert_allclose(demand.var(axis=(0, 1))[1:], [8, 5, 2], rtol=0.05)  # Poisson
    lead = d.paths.lead_time[:, :, 0, 0]
    assert lead.min() >= 5 and lead.mean() == pytest.approx(7.0, abs=0.05)
    assert d.world.horizon == 182 and d.world.review_period == 7
