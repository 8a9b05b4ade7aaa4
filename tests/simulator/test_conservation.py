"""Conservation laws of the des records as properties over random small worlds (single node and networks).

Per (path, node, SKU) and period (records.py): ordered = received + cancelled + in transit (cumulative);
on-hand end = start + received - disposed - sold - shipped downstream; demand = sold + lost (lost sales) or
cumulative demand = cumulative sold + backlog (backorders); nothing negative. Across a network: what an
upstream node ships equals what its children received plus what is in transit to them. The event log adds up
to the records.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from des_cases import make_paths
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from restock.simulator.des import run
from restock.simulator.paths import ExogenousPaths
from restock.simulator.policy import ReviewState
from restock.simulator.records import MONEY_COLUMNS
from restock.simulator.world import Economics, Network, Node, Vendor, World

TOL = 1e-9
SHAPES = ("single", "serial", "one_warehouse")


def build(shape: str, n_fc: int, backorders: list[bool], storage: list[float]) -> Network:
    if shape == "single":
        nodes: tuple[Node, ...] = (
            Node("store", source="v", backorder=backorders[0], storage_capacity=storage[0]),
        )
    elif shape == "serial":
        nodes = tuple(
            Node(
                f"n{i}",
                source="v" if i == 0 else f"n{i - 1}",
                customer_facing=i == n_fc,
                backorder=backorders[i],
                storage_capacity=storage[i],
            )
            for i in range(n_fc + 1)
        )
    else:
        fcs = tuple(
            Node(f"fc{i}", source="wh", backorder=backorders[i + 1], storage_capacity=storage[i + 1])
            for i in range(n_fc)
        )
        wh = Node(
            "wh", source="v", customer_facing=False, backorder=backorders[0], storage_capacity=storage[0]
        )
        nodes = (wh, *fcs)
    return Network(vendors=(Vendor("v"),), nodes=nodes)


@st.composite
def cases(draw: st.DrawFn) -> tuple[World, ExogenousPaths, np.ndarray]:
    shape = draw(st.sampled_from(SHAPES))
    n_fc = draw(st.integers(1, 3))
    m = 1 if shape == "single" else n_fc + 1
    n = draw(st.integers(1, 3))
    p = draw(st.integers(1, 2))
    t_len = draw(st.integers(1, 12))
    review_period = draw(st.integers(1, 3))
    offset = draw(st.integers(0, review_period - 1))
    backorders = draw(st.lists(st.booleans(), min_size=m, max_size=m))
    storage = draw(st.lists(st.sampled_from([math.inf, 4.0, 9.0]), min_size=m, max_size=m))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    net = build(shape, n_fc, backorders, storage)
    cap = np.minimum(np.asarray(storage), 6.0)[:, None]
    world = World(
        skus=tuple(f"s{j}" for j in range(n)),
        economics=Economics(
            unit_cost=rng.uniform(0, 3, n),
            holding_cost=rng.uniform(0, 1, n),
            lost_sale_penalty=rng.uniform(0, 4, n),
            fixed_order_cost=rng.uniform(0, 2, n),
            salvage_value=rng.uniform(0, 1, n),
        ),
        network=net,
        horizon=t_len,
        review_period=review_period,
        review_offset=offset,
        initial_on_hand=np.floor(rng.uniform(0, 1, (m, n)) * cap),
    )
    if offset >= t_len:
        world = World(world.skus, world.economics, net, t_len, review_period, 0, world.initial_on_hand)
    demand = rng.poisson(2.0, (p, t_len, m, n)).astype(float)
    demand[:, :, [not node.customer_facing for node in net.nodes]] = 0.0
    fill = np.where(rng.uniform(size=(p, t_len, m, n)) < 0.5, 1.0, rng.uniform(0, 1, (p, t_len, m, n)))
    for i, node in enumerate(net.nodes):
        if not net.is_vendor(node.source):
            fill[:, :, i] = 1.0
    capacity = np.where(rng.uniform(size=(t_len, m, n)) < 0.6, np.inf, rng.integers(0, 8, (t_len, m, n)))
    paths = make_paths(
        demand,
        lead_time=rng.integers(0, 4, (p, t_len, m, n)),
        fill_rate=fill,
        capacity=capacity,
        price=rng.uniform(0, 5, (p, t_len, n)),
    )
    orders = rng.integers(0, 9, (len(world.review_periods()), p, m, n)).astype(float)
    orders[rng.uniform(size=orders.shape) < 0.3] *= 0.5  # fractional orders too
    return world, paths, orders


def cumulative(rec: pd.DataFrame, col: str) -> pd.Series:
    return rec.groupby(["path", "node", "sku"], sort=False)[col].cumsum()


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_conservation_laws_hold_on_random_networks(case: tuple[World, ExogenousPaths, np.ndarray]) -> None:
    world, paths, orders = case
    reviews = world.review_periods()

    def rule(state: ReviewState) -> np.ndarray:
        return orders[reviews.index(state.t)]

    res = run(world, paths, rule)
    rec = res.records.sort_values(["path", "node", "sku", "period"], kind="stable").reset_index(drop=True)
    p, t_len, m, n = paths.demand.shape
    assert len(rec) == p * t_len * m * n

    # nothing negative
    numeric = rec.drop(columns=["path", "period", "node", "sku", "reward"])
    assert (numeric.to_numpy() >= -TOL).all()
    # orders: cumulative ordered = cumulative received + cumulative cancelled + in transit + owed upstream
    np.testing.assert_allclose(
        cumulative(rec, "ordered"),
        cumulative(rec, "received") + cumulative(rec, "cancelled") + rec["in_transit"] + rec["owed"],
        atol=1e-8,
    )
    # stock: end = start + received - disposed - sold - shipped downstream; start = previous end
    np.testing.assert_allclose(
        rec["on_hand"],
        rec["on_hand_start"] + rec["received"] - rec["disposed"] - rec["sales"] - rec["shipped_downstream"],
        atol=1e-8,
    )
    prev = rec.groupby(["path", "node", "sku"], sort=False)["on_hand"].shift(1)
    first = rec["period"] == 0
    np.testing.assert_allclose(rec.loc[~first, "on_hand_start"], prev[~first], atol=1e-12)
    init = world.start_on_hand()
    names = [node.name for node in world.network.nodes]
    expect_init = [
        init[names.index(a), world.skus.index(b)]
        for a, b in zip(rec.loc[first, "node"], rec.loc[first, "sku"], strict=True)
    ]
    np.testing.assert_allclose(rec.loc[first, "on_hand_start"], expect_init)
    # demand: lost sales or backorders, per node
    backorder = (
        rec["node"].map({node.name: node.backorder for node in world.network.nodes}).to_numpy(dtype=bool)
    )
    lost_rows, bo_rows = rec[~backorder], rec[backorder]
    np.testing.assert_allclose(lost_rows["demand"], lost_rows["sales"] + lost_rows["lost"], atol=1e-9)
    assert (lost_rows["backlog"] == 0).all()
    assert (bo_rows["lost"] == 0).all()
    np.testing.assert_allclose(
        cumulative(bo_rows, "demand"), cumulative(bo_rows, "sales") + bo_rows["backlog"], atol=1e-8
    )
    # storage capacity holds (initial stock is below it)
    cap = rec["node"].map({node.name: node.storage_capacity for node in world.network.nodes})
    assert (rec["on_hand"] <= cap + TOL).all()
    # money: reward = revenue + salvage - costs; salvage only in the last period
    money = rec[list(MONEY_COLUMNS)]
    np.testing.assert_allclose(
        money["reward"],
        money["revenue"]
        + money["salvage"]
        - money[["purchase_cost", "holding_cost", "penalty_cost", "fixed_order_cost"]].sum(axis=1),
        atol=1e-9,
    )
    assert (rec.loc[rec["period"] < t_len - 1, "salvage"] == 0).all()
    # network: shipped by a node = received by its children + in transit to them
    last = rec[rec["period"] == t_len - 1].set_index(["path", "node", "sku"])
    totals = rec.groupby(["path", "node", "sku"]).sum(numeric_only=True)
    for node in world.network.nodes:
        kids = world.network.children(node.name)
        shipped = totals.xs(node.name, level="node")["shipped_downstream"]
        if not kids:
            assert (shipped == 0).all()
            continue
        arrived = sum(
            totals.xs(k.name, level="node")["received"] + last.xs(k.name, level="node")["in_transit"]
            for k in kids
        )
        np.testing.assert_allclose(shipped.to_numpy(), np.asarray(arrived), atol=1e-8)
    # the event log adds up to the records
    ev = res.events
    kinds = {
        "order": "ordered",
        "arrival": "received",
        "dispose": "disposed",
        "demand": "demand",
        "sale": "sales",
        "lost": "lost",
        "cancel": "cancelled",
        "transfer": "shipped_downstream",
    }
    by_kind = ev.groupby(["kind", "path", "node", "sku"])["quantity"].sum() if not ev.empty else None
    for kind, col in kinds.items():
        want = totals[col][totals[col] != 0]
        got = (
            by_kind.xs(kind, level="kind")
            if by_kind is not None and kind in by_kind.index.get_level_values(0)
            else want.iloc[:0]
        )
        got = got.reorder_levels(["path", "node", "sku"]).sort_index()
        np.testing.assert_allclose(got.to_numpy(), want.sort_index().to_numpy(), atol=1e-8, err_msg=kind)
        assert list(got.index) == list(want.sort_index().index), kind
