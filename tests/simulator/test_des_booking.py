"""The des engine's record keeping: cash flows booked per step equal the rules applied period by period,
the exact shortcuts (unlimited capacity, plain arrivals) change nothing, and the bench module's keys."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
from des_cases import make_paths, single_world

from restock.errors import InputError
from restock.simulator.des import DesEngine, run
from restock.simulator.policy import BaseStock, ReviewState
from restock.simulator.records import RECORD_COLUMNS
from restock.simulator.rules import period_cash_flows
from restock.simulator.world import Economics, Network, Node, Vendor, World


def _random_single(backorder: bool, seed: int) -> tuple[World, np.ndarray, object]:
    rng = np.random.default_rng(seed)
    t_len, n = 23, 3
    world = single_world(
        t_len,
        n_skus=n,
        review_period=4,
        review_offset=3,
        backorder=backorder,
        unit_cost=1.5,
        holding_cost=0.2,
        lost_sale_penalty=2.5,
        fixed_order_cost=3.0,
        salvage_value=0.7,
        initial_on_hand=4.0,
    )
    price = rng.uniform(2.0, 4.0, (2, t_len, n))
    paths = make_paths(
        rng.poisson(3.0, (2, t_len, 1, n)),
        lead_time=rng.integers(0, 4, (2, t_len, 1, n)),
        fill_rate=rng.uniform(0.6, 1.0, (2, t_len, 1, n)),
        capacity=rng.uniform(5.0, 12.0, (t_len, 1, n)),
        price=price,
    )
    return world, price, paths


@pytest.mark.parametrize("backorder", [False, True])
def test_booked_cash_flows_are_the_rules_applied_to_each_periods_record(backorder: bool) -> None:
    world, price, paths = _random_single(backorder, seed=3 + backorder)
    rec = run(world, paths, BaseStock(12.0)).records
    eco = world.economics
    t = rec["period"].to_numpy()
    sku = rec["sku"].str.slice(3).astype(int).to_numpy()
    expect = period_cash_flows(
        sales=rec["sales"].to_numpy(),
        purchased=rec["received"].to_numpy(),
        end_on_hand=rec["on_hand"].to_numpy(),
        lost=rec["lost"].to_numpy(),
        end_backlog=rec["backlog"].to_numpy(),
        orders_placed=(rec["ordered"].to_numpy() > 0).astype(float),
        price=price[rec["path"].to_numpy(), t, sku],
        unit_cost=eco.unit_cost[sku],
        holding_cost=eco.holding_cost[sku],
        penalty=eco.lost_sale_penalty[sku],
        fixed_order_cost=eco.fixed_order_cost[sku],
        backorder=backorder,
    )
    for key, value in expect.items():
        np.testing.assert_array_equal(rec[key].to_numpy(), value, err_msg=key)
    last = t == world.horizon - 1
    np.testing.assert_array_equal(rec["salvage"].to_numpy()[~last], 0.0)
    np.testing.assert_array_equal(rec["salvage"].to_numpy()[last], 0.7 * rec["on_hand"].to_numpy()[last])
    reward = rec["revenue"] + rec["salvage"] - rec["purchase_cost"] - rec["holding_cost"]
    reward = reward - rec["penalty_cost"] - rec["fixed_order_cost"]
    np.testing.assert_array_equal(rec["reward"].to_numpy(), reward.to_numpy())
    # derived rows: start on-hand is the previous end on-hand; lost = demand - sales under lost sales
    wide = rec.set_index(["path", "sku", "period"]).sort_index()
    for _, g in wide.groupby(level=[0, 1]):
        assert g["on_hand_start"].iloc[0] == 4.0
        np.testing.assert_array_equal(g["on_hand_start"].to_numpy()[1:], g["on_hand"].to_numpy()[:-1])
    if backorder:
        assert (rec["lost"] == 0).all() and (rec["backlog"] > 0).any()
    else:
        np.testing.assert_array_equal(rec["lost"], rec["demand"] - rec["sales"])
        assert (rec["lost"] > 0).any()


def test_mixed_network_books_each_node_by_its_own_rule() -> None:
    nodes = (
        Node("wh", source="vendor", backorder=True),
        Node("fc", source="wh", transfer_lead_time=1),
    )
    world = World(
        ("a", "b"),
        Economics.uniform(2, holding_cost=0.5, lost_sale_penalty=2.0),
        Network(vendors=(Vendor("vendor"),), nodes=nodes),
        horizon=12,
        review_period=2,
    )
    rng = np.random.default_rng(5)
    paths = make_paths(rng.poisson(4.0, (1, 12, 2, 2)), lead_time=1, price=3.0)
    rec = run(world, paths, BaseStock(np.array([[6.0, 3.0], [5.0, 8.0]]))).records
    wh, fc = rec[rec["node"] == "wh"], rec[rec["node"] == "fc"]
    assert (wh["lost"] == 0).all() and (wh["backlog"] > 0).any()
    np.testing.assert_array_equal(wh["penalty_cost"], 2.0 * wh["backlog"])
    np.testing.assert_array_equal(fc["lost"], fc["demand"] - fc["sales"])
    np.testing.assert_array_equal(fc["penalty_cost"], 2.0 * fc["lost"])
    assert (fc["lost"] > 0).any() and (fc["backlog"] == 0).all()
    np.testing.assert_array_equal(fc["purchase_cost"], 0.0)  # transfers cost nothing


def test_unlimited_capacity_and_plain_arrivals_shortcuts_change_nothing() -> None:
    """Capacity inf and fill 1 with no storage limit take exact shortcuts; finite but never binding
    limits (1e12) take the general path: the records and the event log are identical."""
    rng = np.random.default_rng(11)
    demand = rng.poisson(3.0, (2, 30, 1, 4))
    lead = rng.integers(0, 5, (2, 30, 1, 4))
    results = []
    for limit in (math.inf, 1e12):
        world = single_world(30, n_skus=4, review_period=3, storage_capacity=limit, holding_cost=0.1)
        paths = make_paths(demand, lead_time=lead, capacity=limit, price=2.0)
        engine = DesEngine(world, paths)
        assert engine.reset() is not None
        sim = engine._sim
        assert sim is not None
        assert sim.unlimited_capacity == [limit == math.inf]
        assert sim.storage == [None if limit == math.inf else limit]
        assert sim.fill_rate_cut == [False]
        results.append(run(world, paths, BaseStock(15.0)))
    fast, general = results
    np.testing.assert_array_equal(
        fast.records[list(RECORD_COLUMNS[4:])].to_numpy(),
        general.records[list(RECORD_COLUMNS[4:])].to_numpy(),
    )
    assert fast.events.equals(general.events)


def test_step_totals_without_records_equal_the_recorded_ones_over_uneven_stretches() -> None:
    """The history is a window without records: a long stretch before the first review, reviews of
    different lengths to the horizon."""
    world, _, paths = _random_single(False, seed=9)
    out = []
    for record in (True, False):
        engine = DesEngine(world, paths, record=record)
        state: ReviewState | None = engine.reset()
        totals = [engine.initial_totals]
        while not state.terminal:
            state, tot = engine.step(np.full((2, 1, 3), 6.0))
            totals.append(tot)
        out.append(totals)
    assert len(out[0]) == len(out[1]) == 1 + 5  # reviews at 3, 7, 11, 15, 19
    for a, b in zip(*out, strict=True):
        assert a.keys() == b.keys()
        for k in a:
            np.testing.assert_array_equal(a[k], b[k])


def test_many_orders_are_checked_by_the_full_rule() -> None:
    world = single_world(3, n_skus=40)
    engine = DesEngine(world, make_paths(np.ones((1, 3, 1, 40))))
    engine.reset()
    bad = np.ones((1, 1, 40))
    bad[0, 0, 31] = np.nan
    with pytest.raises(InputError, match=r"nan.*\[0, 0, 31\]"):
        engine.step(bad)
    bad[0, 0, 31] = -np.inf
    with pytest.raises(InputError, match="-inf"):
        engine.step(bad)
    q = np.arange(40, dtype=np.int64).reshape(1, 1, 40)  # integers are orders too
    _, tot = engine.step(q)
    assert tot["sales"].sum() == 1.0 * 39  # sku0 ordered 0, lead time 0


def test_measure_des_reports_the_engine_and_the_bare_loop_of_one_run() -> None:
    from restock.simulator.batch.bench import instance
    from restock.simulator.des.bench import measure_des

    out = measure_des(instance(20, 56, seed=1), SimpleNamespace(repeats=1), with_records=True)
    assert out["des_vs_bare_profit_rel_diff"] < 1e-12
    for key in ("des_sku_periods_per_s", "bare_simpy_sku_periods_per_s", "des_record_sku_periods_per_s"):
        assert out[key] > 0
    assert out["des_ratio"] == pytest.approx(out["bare_simpy_seconds"][0] / out["des_seconds"][0])
