"""Backorders at internal nodes: what a warehouse cannot ship waits there and ships first-come first-served.

Known answers on a warehouse feeding two FCs, worked by hand, on both engines; the positions a buying rule
sees (installation and echelon) on the same run.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from restock.simulator.batch import NetworkEngine
from restock.simulator.des import DesEngine
from restock.simulator.engines import rollout
from restock.simulator.paths import ExogenousPaths
from restock.simulator.policy import EchelonBaseStock, OrderSchedule, ReviewState, echelon_position
from restock.simulator.topology import layout
from restock.simulator.world import Economics, LeadTime, Network, Node, Vendor, World


def warehouse(backorder: bool) -> tuple[World, ExogenousPaths]:
    """vendor (lead 1) -> wh (4 on hand) -> fc0, fc1 (transfers arrive at once); no customer demand."""
    nodes = (
        Node("wh", "vendor", customer_facing=False, backorder=backorder),
        Node("fc0", "wh"),
        Node("fc1", "wh"),
    )
    world = World(
        skus=("a",),
        economics=Economics.uniform(1, holding_cost=1.0),
        network=Network(vendors=(Vendor("vendor", LeadTime(value=1)),), nodes=nodes),
        horizon=3,
        review_period=1,
        initial_on_hand=np.array([[4.0], [0.0], [0.0]]),
    )
    t = 3
    paths = ExogenousPaths(
        demand=np.zeros((1, t, 3, 1)),
        lead_time=np.broadcast_to(np.array([1, 0, 0])[None, None, :, None], (1, t, 3, 1)).copy(),
        fill_rate=np.ones((1, t, 3, 1)),
        capacity=np.full((t, 3, 1), math.inf),
        price=np.zeros((1, t, 1)),
    )
    return world, paths


# orders [review, path, node, sku]: t0: wh 8, fc0 10; t1: fc1 5; t2: nothing
ORDERS = np.array([[8.0, 10.0, 0.0], [0.0, 0.0, 5.0], [0.0, 0.0, 0.0]])[:, None, :, None]


def column(records, node: str, name: str) -> list[float]:  # type: ignore[no-untyped-def]
    return records[records["node"] == node][name].tolist()


@pytest.mark.parametrize("engine", [DesEngine, NetworkEngine])
def test_a_backordering_warehouse_ships_first_come_first_served(engine: type) -> None:
    world, paths = warehouse(backorder=True)
    seen: list[ReviewState] = []

    def rule(state: ReviewState):  # type: ignore[no-untyped-def]
        seen.append(state)
        return OrderSchedule(ORDERS, 1)(state)

    eng = engine(world, paths)
    rollout(eng, rule)
    rec = eng.result().records
    # t0: 4 on hand go to fc0, 6 owed; t1: 8 arrive, fc0's 6 first, then 2 of fc1's 5, 3 owed
    assert column(rec, "wh", "shipped_downstream") == [4.0, 8.0, 0.0]
    assert column(rec, "fc0", "received") == [4.0, 6.0, 0.0]
    assert column(rec, "fc1", "received") == [0.0, 2.0, 0.0]
    assert column(rec, "fc0", "owed") == [6.0, 0.0, 0.0]
    assert column(rec, "fc1", "owed") == [0.0, 3.0, 3.0]
    assert column(rec, "fc0", "cancelled") == [0.0, 0.0, 0.0]
    # the review of t1 sees what is owed, and positions count it
    s1 = seen[1]
    owed = np.asarray(s1.owed)[0, :, 0].tolist()
    assert owed == [0.0, 6.0, 0.0]
    assert np.asarray(s1.owes)[0, :, 0].tolist() == [6.0, 0.0, 0.0]
    assert np.asarray(s1.inventory_position)[0, :, 0].tolist() == [8.0 - 6.0, 4.0 + 6.0, 0.0]
    ech = np.asarray(echelon_position(s1, layout(world).subtree()))[0, :, 0].tolist()
    assert ech == [12.0, 10.0, 0.0]  # the warehouse's echelon: 8 + 4 on hand; what it owes is inside


@pytest.mark.parametrize("engine", [DesEngine, NetworkEngine])
def test_a_lost_sales_warehouse_rations_and_cancels_the_rest(engine: type) -> None:
    world, paths = warehouse(backorder=False)
    eng = engine(world, paths)
    rollout(eng, OrderSchedule(ORDERS, 1))
    rec = eng.result().records
    assert column(rec, "fc0", "received") == [4.0, 0.0, 0.0]
    assert column(rec, "fc0", "cancelled") == [6.0, 0.0, 0.0]
    assert column(rec, "fc1", "received") == [0.0, 5.0, 0.0]  # 8 arrived at t1, 5 asked
    assert column(rec, "fc1", "owed") == [0.0, 0.0, 0.0]


def test_the_echelon_matrix_marks_each_node_and_everything_downstream() -> None:
    world, _ = warehouse(backorder=True)
    np.testing.assert_array_equal(layout(world).subtree(), [[1, 1, 1], [0, 1, 0], [0, 0, 1]])


def test_echelon_base_stock_orders_up_to_the_echelon_level_on_numpy_and_torch() -> None:
    import torch

    world, paths = warehouse(backorder=True)
    rule = EchelonBaseStock(np.array([[20.0], [7.0], [3.0]]), layout(world).subtree())
    state = DesEngine(world, paths).reset()  # wh 4, fcs 0
    np.testing.assert_allclose(rule(state)[0, :, 0], [16.0, 7.0, 3.0])
    torch_state = NetworkEngine(world, paths).reset()
    assert isinstance(rule(torch_state), torch.Tensor)
    np.testing.assert_allclose(rule(torch_state).numpy()[0, :, 0], [16.0, 7.0, 3.0])
    capped = EchelonBaseStock(np.array([[20.0], [7.0], [3.0]]), layout(world).subtree(), cap=5.0)
    np.testing.assert_allclose(capped(state)[0, :, 0], [5.0, 5.0, 3.0])
