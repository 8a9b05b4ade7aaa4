"""The des engine by exact event traces (SimPy style: ``assert log == [...]``) and its step interface."""

from __future__ import annotations

import numpy as np
import pytest
from des_cases import make_paths, one_warehouse_world, serial_world, single_world

from restock.errors import InputError
from restock.simulator.des import ARRIVAL, CLOSE, DEMAND, REVIEW, TRANSFER, DesEngine, run, trace
from restock.simulator.paths import sample_paths
from restock.simulator.policy import BaseStock, ConstantOrder, OrderSchedule, ReviewState
from restock.simulator.records import RECORD_COLUMNS
from restock.simulator.world import Disruption, Economics, LeadTime, Network, Vendor, World

FULL = ("time", "priority", "kind", "node", "peer", "sku", "quantity", "reason")


def test_single_node_trace_capacity_fill_rate_and_lost_sales() -> None:
    world = single_world(6, review_period=2, lead=1, holding_cost=0.1, lost_sale_penalty=2.0, unit_cost=1.0)
    demand = np.array([3, 1, 4, 1, 5, 9], dtype=float).reshape(1, 6, 1, 1)
    paths = make_paths(demand, lead_time=1, fill_rate=0.5, capacity=8.0, price=3.0)
    res = run(world, paths, BaseStock(10.0))
    s = "sku0"
    assert trace(res.events, FULL) == [
        (0, REVIEW, "order", "store", "vendor", s, 10.0, ""),
        (0, REVIEW, "cancel", "store", "vendor", s, 2.0, "capacity"),
        (0, DEMAND, "demand", "store", "", s, 3.0, ""),
        (0, DEMAND, "lost", "store", "", s, 3.0, ""),
        (1, ARRIVAL, "arrival", "store", "vendor", s, 4.0, ""),
        (1, ARRIVAL, "cancel", "store", "vendor", s, 4.0, "fill"),
        (1, DEMAND, "demand", "store", "", s, 1.0, ""),
        (1, DEMAND, "sale", "store", "", s, 1.0, ""),
        (2, REVIEW, "order", "store", "vendor", s, 7.0, ""),  # position 3 on hand -> order up to 10
        (2, DEMAND, "demand", "store", "", s, 4.0, ""),
        (2, DEMAND, "sale", "store", "", s, 3.0, ""),
        (2, DEMAND, "lost", "store", "", s, 1.0, ""),
        (3, ARRIVAL, "arrival", "store", "vendor", s, 3.5, ""),
        (3, ARRIVAL, "cancel", "store", "vendor", s, 3.5, "fill"),
        (3, DEMAND, "demand", "store", "", s, 1.0, ""),
        (3, DEMAND, "sale", "store", "", s, 1.0, ""),
        (4, REVIEW, "order", "store", "vendor", s, 7.5, ""),
        (4, DEMAND, "demand", "store", "", s, 5.0, ""),
        (4, DEMAND, "sale", "store", "", s, 2.5, ""),
        (4, DEMAND, "lost", "store", "", s, 2.5, ""),
        (5, ARRIVAL, "arrival", "store", "vendor", s, 3.75, ""),
        (5, ARRIVAL, "cancel", "store", "vendor", s, 3.75, "fill"),
        (5, DEMAND, "demand", "store", "", s, 9.0, ""),
        (5, DEMAND, "sale", "store", "", s, 3.75, ""),
        (5, DEMAND, "lost", "store", "", s, 5.25, ""),
    ]
    rec = res.records
    assert list(rec.columns) == list(RECORD_COLUMNS)
    assert rec["on_hand"].tolist() == [0.0, 3.0, 0.0, 2.5, 0.0, 0.0]
    assert rec["cancelled"].tolist() == [2.0, 4.0, 0.0, 3.5, 0.0, 3.75]
    assert rec["in_transit"].tolist() == [8.0, 0.0, 7.0, 0.0, 7.5, 0.0]
    assert rec["reward"].tolist() == pytest.approx(
        [-6.0, 3 - 4 - 0.3, 9 - 2.0, 3 - 3.5 - 0.25, 7.5 - 5.0, 11.25 - 3.75 - 10.5]
    )


def test_backorder_trace_serves_backlog_first_and_keeps_late_shipments_in_transit() -> None:
    world = single_world(
        4, lead=1, backorder=True, initial_on_hand=2.0, holding_cost=1.0, lost_sale_penalty=2.0
    )
    paths = make_paths(np.array([3, 4, 2, 6], dtype=float).reshape(1, 4, 1, 1), lead_time=1)
    res = run(world, paths, BaseStock(5.0))
    cols = ("time", "kind", "quantity")
    assert trace(res.events, cols) == [
        (0, "order", 3.0), (0, "demand", 3.0), (0, "sale", 2.0),
        (1, "arrival", 3.0), (1, "order", 3.0), (1, "demand", 4.0), (1, "sale", 3.0),
        (2, "arrival", 3.0), (2, "order", 4.0), (2, "demand", 2.0), (2, "sale", 3.0),
        (3, "arrival", 4.0), (3, "order", 2.0), (3, "demand", 6.0), (3, "sale", 4.0),
    ]  # fmt: skip
    rec = res.records
    assert rec["backlog"].tolist() == [1.0, 2.0, 1.0, 3.0]
    assert rec["lost"].tolist() == [0.0] * 4
    assert rec["penalty_cost"].tolist() == [2.0, 4.0, 2.0, 6.0]
    # the order of the last period is due at the horizon: it never arrives and stays in transit
    assert rec["in_transit"].iloc[-1] == 2.0
    assert rec["received"].sum() == 10.0


def test_zero_lead_time_arrives_before_demand_and_storage_overflow_is_disposed() -> None:
    world = single_world(2, storage_capacity=5.0, initial_on_hand=3.0, holding_cost=1.0)
    paths = make_paths(np.array([1.0, 0.0]).reshape(1, 2, 1, 1))
    res = run(world, paths, ConstantOrder(4.0))
    assert trace(res.events, ("time", "priority", "kind", "quantity")) == [
        (0, REVIEW, "order", 4.0),
        (0, ARRIVAL, "arrival", 4.0),  # scheduled from the review at (0, ARRIVAL): processed next
        (0, ARRIVAL, "dispose", 2.0),  # 3 + 4 > 5
        (0, DEMAND, "demand", 1.0),
        (0, DEMAND, "sale", 1.0),
        (1, REVIEW, "order", 4.0),
        (1, ARRIVAL, "arrival", 4.0),
        (1, ARRIVAL, "dispose", 3.0),  # 4 + 4 > 5
    ]
    rec = res.records
    assert rec["disposed"].tolist() == [2.0, 3.0]
    assert rec["on_hand"].tolist() == [4.0, 5.0]
    assert rec["holding_cost"].tolist() == [4.0, 5.0]


def test_one_warehouse_two_fcs_rationing_trace() -> None:
    world = one_warehouse_world(2, fc_lead=(0, 1))
    demand = np.zeros((1, 2, 3, 1))
    demand[0, :, 1, 0] = 2.0
    demand[0, :, 2, 0] = 1.0
    lead = np.zeros((1, 2, 3, 1), dtype=np.int64)
    lead[:, :, 2] = 1
    paths = make_paths(demand, lead_time=lead)
    res = run(world, paths, ConstantOrder(np.array([[4.0], [3.0], [1.0]])))
    s = "sku0"
    # wh gets 4, fc0 asks 3 and fc1 asks 1: 4 >= 4, no rationing in this case
    assert trace(res.events, FULL)[:9] == [
        (0, REVIEW, "order", "wh", "vendor", s, 4.0, ""),
        (0, REVIEW, "order", "fc0", "wh", s, 3.0, ""),
        (0, REVIEW, "order", "fc1", "wh", s, 1.0, ""),
        (0, ARRIVAL, "arrival", "wh", "vendor", s, 4.0, ""),
        (0, TRANSFER, "transfer", "wh", "fc0", s, 3.0, ""),
        (0, TRANSFER, "transfer", "wh", "fc1", s, 1.0, ""),
        (0, ARRIVAL, "arrival", "fc0", "wh", s, 3.0, ""),
        (0, DEMAND, "demand", "fc0", "", s, 2.0, ""),
        (0, DEMAND, "sale", "fc0", "", s, 2.0, ""),
    ]
    res2 = run(world, paths, ConstantOrder(np.array([[4.0], [3.0], [3.0]])))
    ev = trace(res2.events, FULL)
    assert ev[4:8] == [
        (0, TRANSFER, "transfer", "wh", "fc0", s, 2.0, ""),  # 4 units for 6 requested: share 2/3 each
        (0, TRANSFER, "cancel", "fc0", "wh", s, 1.0, "rationing"),
        (0, TRANSFER, "transfer", "wh", "fc1", s, 2.0, ""),
        (0, TRANSFER, "cancel", "fc1", "wh", s, 1.0, "rationing"),
    ]
    # fc1's transfer (lead 1) arrives at the start of period 1, before that period's review
    assert ev[13] == (1, ARRIVAL, "arrival", "fc1", "wh", s, 2.0, "")
    rec = res2.records.set_index(["period", "node"])
    assert rec.loc[(0, "wh"), "shipped_downstream"] == 4.0
    assert rec.loc[(0, "wh"), "on_hand"] == 0.0
    assert rec.loc[(0, "fc1"), "lost"] == 1.0
    assert rec.loc[(1, "fc1"), "in_transit"] == 2.0
    # purchase cost is paid on vendor receipts only: transfers between nodes are not purchases
    res3 = run(one_warehouse_world(2, unit_cost=1.0), paths, ConstantOrder(np.array([[4.0], [3.0], [3.0]])))
    assert res3.records.groupby("node")["purchase_cost"].sum().to_dict() == {
        "fc0": 0.0,
        "fc1": 0.0,
        "wh": 8.0,
    }


def test_serial_chain_with_zero_lead_times_is_the_single_node() -> None:
    rng = np.random.default_rng(3)
    t_len = 20
    d = rng.poisson(3.0, size=(2, t_len, 1, 2)).astype(float)
    single = run(single_world(t_len, n_skus=2), make_paths(d), ConstantOrder(3.0))
    demand = np.zeros((2, t_len, 3, 2))
    demand[:, :, 2] = d[:, :, 0]
    chain = run(serial_world(t_len, n_skus=2), make_paths(demand), ConstantOrder(3.0))
    last = chain.records[chain.records["node"] == "n2"].reset_index(drop=True)
    for col in ("sales", "lost", "on_hand", "received"):
        np.testing.assert_array_equal(last[col].to_numpy(), single.records[col].to_numpy())
    upstream = chain.records[chain.records["node"] != "n2"]
    assert (upstream["on_hand"] == 0).all()
    assert (upstream["shipped_downstream"] == 3.0).all()
    # and priorities: n0 ships at TRANSFER + 0, n1 at TRANSFER + 1
    prios = chain.events[chain.events["kind"] == "transfer"].groupby("node")["priority"].unique()
    assert prios.to_dict() == {"n0": [TRANSFER], "n1": [TRANSFER + 1]}


def test_event_log_is_in_time_order_and_every_period_closes() -> None:
    rng = np.random.default_rng(0)
    world = single_world(15, n_skus=3, review_period=4, review_offset=1, lead=2)
    paths = make_paths(rng.poisson(2.0, (2, 15, 1, 3)), lead_time=rng.integers(0, 4, (2, 15, 1, 3)))
    res = run(world, paths, BaseStock(8.0))
    assert res.events["time"].is_monotonic_increasing
    assert set(res.events["priority"]) <= {ARRIVAL, REVIEW, DEMAND, CLOSE}
    assert sorted(res.records["period"].unique()) == list(range(15))
    assert len(res.records) == 2 * 15 * 3
    orders = res.events[res.events["kind"] == "order"]
    assert sorted(orders["time"].unique()) == [1, 5, 9, 13]


def test_each_path_is_simulated_as_if_alone() -> None:
    rng = np.random.default_rng(7)
    world = single_world(
        30, n_skus=3, review_period=3, lead=2, holding_cost=0.5, lost_sale_penalty=3.0, unit_cost=1.0
    )
    paths = make_paths(
        rng.poisson(4.0, (4, 30, 1, 3)),
        lead_time=rng.integers(0, 5, (4, 30, 1, 3)),
        fill_rate=rng.uniform(0.5, 1.0, (4, 30, 1, 3)),
        capacity=np.full((30, 1, 3), 15.0),
        price=5.0,
    )
    together = run(world, paths, BaseStock(20.0)).records
    for i in range(4):
        alone = run(world, paths.path(i), BaseStock(20.0)).records
        mine = together[together["path"] == i].drop(columns="path").reset_index(drop=True)
        np.testing.assert_allclose(
            mine.drop(columns=["node", "sku"]).to_numpy(),
            alone.drop(columns=["path", "node", "sku"]).to_numpy(),
        )


def test_step_interface_review_by_review() -> None:
    rng = np.random.default_rng(1)
    world = single_world(
        10, n_skus=2, review_period=3, review_offset=2, lead=1, holding_cost=1.0, unit_cost=2.0
    )
    paths = make_paths(rng.poisson(3.0, (2, 10, 1, 2)), lead_time=1, price=4.0)
    engine = DesEngine(world, paths)
    state: ReviewState | None = engine.reset()
    assert state is not None and state.t == 2 and engine.t == 2
    assert len(engine.result().records) == 2 * 2 * 2  # periods 0 and 1 before the first review
    seen, totals = [], []
    while not state.terminal:
        seen.append(state.t)
        assert state.on_hand.shape == (2, 1, 2) and state.pipeline.shape == (2, 1, 2, 1)
        state, tot = engine.step(np.full((2, 1, 2), 5.0))
        totals.append(tot)
    assert seen == [2, 5, 8]
    rec = engine.result().records
    bounds = [(2, 5), (5, 8), (8, 10)]
    for (lo, hi), tot in zip(bounds, totals, strict=True):
        part = rec[(rec["period"] >= lo) & (rec["period"] < hi)]
        for key in (
            "revenue",
            "purchase_cost",
            "holding_cost",
            "reward",
            "sales",
            "lost",
            "demand",
            "received",
        ):
            expect = part.groupby(["path", "sku"])[key].sum().to_numpy().reshape(2, 1, 2)
            np.testing.assert_allclose(tot[key], expect)
        np.testing.assert_allclose(
            tot["on_hand_sum"], part.groupby(["path", "sku"])["on_hand"].sum().to_numpy().reshape(2, 1, 2)
        )
    with pytest.raises(RuntimeError, match="over"):
        engine.step(np.zeros((2, 1, 2)))
    # the same run through run(), and without records: the same totals
    rule = OrderSchedule(np.full((3, 2, 1, 2), 5.0), review_period=3, review_offset=2)
    again = run(world, paths, rule).records
    np.testing.assert_array_equal(again.to_numpy(), rec.to_numpy())
    quiet = DesEngine(world, paths, record=False)
    s: ReviewState | None = quiet.reset()
    q_totals = []
    while not s.terminal:
        s, tot = quiet.step(np.full((2, 1, 2), 5.0))
        q_totals.append(tot)
    for a, b in zip(q_totals, totals, strict=True):
        for k in a:
            np.testing.assert_array_equal(a[k], b[k])
    assert quiet.result().records.empty and quiet.result().events.empty


def test_pipeline_holds_accepted_units_by_due_period() -> None:
    world = single_world(6, lead=3)
    paths = make_paths(np.zeros((1, 6, 1, 1)), lead_time=3, fill_rate=0.5, capacity=2.5)
    engine = DesEngine(world, paths)
    state: ReviewState | None = engine.reset()
    for q in (1.0, 2.0, 3.0):
        state, _ = engine.step(np.full((1, 1, 1), q))
    assert state is not None and state.t == 3
    # due t+1.., k = 0: the order of t = 1 (2 units), then t = 2 (3 -> capacity 2.5); the fill cut is unseen
    assert state.pipeline[0, 0, 0].tolist() == [2.0, 2.5, 0.0]
    assert state.on_hand[0, 0, 0] == 0.5  # the order of t = 0 arrived at the start of t = 3, half filled
    assert state.inventory_position[0, 0, 0] == 5.0


def test_invalid_orders_raise_and_leave_the_engine_usable() -> None:
    world = single_world(4, n_skus=2)
    engine = DesEngine(world, make_paths(np.ones((1, 4, 1, 2))))
    engine.reset()
    for bad, value in (
        (np.array([[[1.0, np.nan]]]), "nan"),
        (np.array([[[-1.0, 0.0]]]), "-1.0"),
        (np.array([[[np.inf, 0.0]]]), "inf"),
    ):
        with pytest.raises(InputError, match=value):
            engine.step(bad)
    with pytest.raises(InputError, match="shape"):
        engine.step(np.zeros((1, 1, 3)))
    state, tot = engine.step(np.ones((1, 1, 2)))
    assert state is not None and state.t == 1
    assert tot["sales"].tolist() == [[[1.0, 1.0]]]


def test_orders_may_be_a_torch_tensor_or_a_list() -> None:
    import torch

    engine = DesEngine(single_world(3), make_paths(np.ones((1, 3, 1, 1))))
    engine.reset()
    engine.step(torch.ones((1, 1, 1), requires_grad=True))
    engine.step([[[2.0]]])
    with pytest.raises(InputError, match=r"invalid order -1\.0"):
        engine.step(torch.full((1, 1, 1), -1.0))
    assert engine.result().records["ordered"].tolist()[:2] == [1.0, 2.0]


def test_step_before_reset_raises() -> None:
    engine = DesEngine(single_world(2), make_paths(np.zeros((1, 2, 1, 1))))
    with pytest.raises(RuntimeError, match="reset"):
        engine.step(np.zeros((1, 1, 1)))
    assert engine.reset().t == 0
    assert engine.reset().t == 0  # reset twice starts over


def test_vendor_outage_from_sample_paths_holds_shipments_until_it_ends() -> None:
    vendor = Vendor("v", lead_time=LeadTime(value=1), disruptions=(Disruption("outage", 3, 6),))
    world = World(("a",), Economics.uniform(1), Network.single(vendor), horizon=9, review_period=1)
    paths = sample_paths(
        world, lambda rng, p: np.zeros((p, 9, 1, 1)), lambda rng, p: np.ones((p, 9, 1)), n_paths=1, seed=0
    )
    engine = DesEngine(world, paths)
    state: ReviewState | None = engine.reset()
    while not state.terminal:
        if state.t == 4:
            # orders of periods 2 and 3 (due 3 and 4) are held until the outage ends in 6
            assert state.pipeline[0, 0, 0].tolist() == [0.0, 2.0, 0.0, 0.0]
        state, _ = engine.step(np.ones((1, 1, 1)))
    rec = engine.result().records
    assert rec["received"].tolist() == [0, 1, 1, 0, 0, 0, 4, 1, 1]
    assert rec["in_transit"].tolist() == [1, 1, 1, 2, 3, 4, 1, 1, 1]


def test_stochastic_lead_times_ship_each_sku_on_its_own_date() -> None:
    world = single_world(5, n_skus=2)
    lead = np.zeros((1, 5, 1, 2), dtype=np.int64)
    lead[0, 0] = [[3, 1]]
    paths = make_paths(np.zeros((1, 5, 1, 2)), lead_time=lead)
    res = run(world, paths, OrderSchedule(np.array([[[[5.0, 4.0]]]] + [[[[0.0, 0.0]]]] * 4), review_period=1))
    arrivals = res.events[res.events["kind"] == "arrival"]
    assert trace(arrivals, ("time", "sku", "quantity")) == [(1, "sku1", 4.0), (3, "sku0", 5.0)]
    # records without the event log
    quiet = run(world, paths, ConstantOrder(1.0), log_events=False)
    assert quiet.events.empty and len(quiet.records) == 10


def test_the_benchmarks_bare_per_sku_loop_computes_the_same_profit() -> None:
    """An independent per-SKU SimPy implementation (restock.simulator.des.bench) agrees with des."""
    from restock.simulator.batch.bench import HOLDING, PENALTY, PRICE, UNIT_COST, instance
    from restock.simulator.des.bench import bare_simpy_loop, des_profit

    inst = instance(40, 120, seed=4)
    w, p = inst.world, inst.paths
    bare = bare_simpy_loop(
        np.asarray(p.demand[0, :, 0, :], dtype=np.float64),
        np.asarray(p.lead_time[0, w.review_periods(), 0, :]),
        inst.levels[0],
        w.review_period,
        price=PRICE,
        unit_cost=UNIT_COST,
        holding=HOLDING,
        penalty=PENALTY,
    )
    profit = des_profit(w, p, inst.levels, record=True)
    assert profit == pytest.approx(float(bare.sum()), rel=1e-12)
    records = run(w, p, BaseStock(inst.levels)).records
    assert profit == pytest.approx(records["reward"].sum(), rel=1e-12)
    per_sku = records.groupby("sku", sort=False)["reward"].sum().to_numpy()
    np.testing.assert_allclose(per_sku, bare, rtol=1e-12)
