"""Several sources per node: both engines, period by period, and the hand-worked cost of dual sourcing.

A node orders from its own ``source`` and from ``extra_sources`` (vendors), one order per arc; each
vendor has its own lead times, fill rate, capacity and unit cost factor. Random networks of the parity
tests gain extra vendors on some nodes (internal nodes fed by another node included).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from restock.errors import InputError
from restock.simulator.batch import NetworkEngine, batch_engine
from restock.simulator.des import DesEngine
from restock.simulator.engines import rollout
from restock.simulator.paths import ExogenousPaths, sample_paths
from restock.simulator.policy import BaseStock, OrderSchedule
from restock.simulator.topology import layout
from restock.simulator.world import Economics, LeadTime, Network, Node, Vendor, World
from tests.simulator.engine_checks import assert_engines_agree, assert_gradient_matches_finite_differences
from tests.simulator.test_network_parity import as_numpy


def random_sourced_case(seed: int) -> tuple[World, ExogenousPaths, np.ndarray]:
    """A random tree of 1..5 nodes under vendor v0; v1 and v2 (dearer, or cheaper) are extra sources of
    random nodes."""
    rng = np.random.default_rng(1000 + seed)
    n_nodes = int(rng.integers(1, 6))
    vendors = tuple(Vendor(f"v{i}", unit_cost_factor=float(rng.uniform(0.8, 1.3))) for i in range(3))
    nodes = []
    for i in range(n_nodes):
        source = "v0" if i == 0 else str(rng.choice(["v0", *(f"n{j}" for j in range(i))]))
        extra = tuple(str(v) for v in rng.choice(["v1", "v2"], size=int(rng.integers(0, 3)), replace=False))
        nodes.append(
            Node(
                f"n{i}",
                source,
                extra_sources=extra,
                backorder=bool(rng.random() < 0.5),
                storage_capacity=float(rng.uniform(20, 60)) if rng.random() < 0.3 else math.inf,
                transit_holding_factor=float(rng.uniform(0, 0.5)) if rng.random() < 0.3 else 0.0,
            )
        )
    net = Network(vendors=vendors, nodes=tuple(nodes))
    arcs = net.arcs()
    m, a, n, p = len(nodes), len(arcs), int(rng.integers(1, 4)), int(rng.integers(1, 3))
    review = int(rng.integers(1, 4))
    horizon = int(rng.integers(review + 2, 25))
    world = World(
        skus=tuple(f"s{j}" for j in range(n)),
        economics=Economics(
            unit_cost=rng.uniform(0.5, 3, n),
            holding_cost=rng.uniform(0, 0.3, n),
            lost_sale_penalty=rng.uniform(0, 2, n),
            fixed_order_cost=rng.uniform(0, 5, n) * (rng.random() < 0.7),
            salvage_value=rng.uniform(0, 0.5, n),
        ),
        network=net,
        horizon=horizon,
        review_period=review,
        review_offset=int(rng.integers(0, review)),
        initial_on_hand=rng.integers(0, 15, (m, n)).astype(float),
    )
    vendor_arc = np.array([net.is_vendor(s) for s, _ in arcs])
    fill = np.where(rng.random((p, horizon, a, n)) < 0.5, 1.0, rng.uniform(0.3, 1.0, (p, horizon, a, n)))
    fill[:, :, ~vendor_arc] = 1.0
    paths = ExogenousPaths(
        demand=rng.poisson(rng.uniform(1, 6, (m, n)), (p, horizon, m, n)).astype(float),
        lead_time=rng.integers(0, int(rng.integers(1, 6)), (p, horizon, a, n)),
        fill_rate=fill,
        capacity=np.where(rng.random((horizon, a, n)) < 0.6, math.inf, rng.uniform(0, 25, (horizon, a, n))),
        price=np.full((p, horizon, n), 4.0),
    )
    n_rev = len(world.review_periods())
    schedule = rng.uniform(0, 30, (n_rev, p, a, n)) * (rng.random((n_rev, p, a, n)) < 0.7)
    return world, paths, schedule


@pytest.mark.parametrize("seed", range(24))
@pytest.mark.parametrize("record", [True, False])
def test_several_sources_match_des_period_by_period(seed: int, record: bool) -> None:
    world, paths, schedule = random_sourced_case(seed)
    rule = OrderSchedule(schedule, world.review_period, world.review_offset)
    assert_engines_agree(world, paths, rule, record=record)


def test_random_cases_have_extra_sources_at_vendor_fed_and_node_fed_nodes() -> None:
    kinds = set()
    for seed in range(24):
        world, _, _ = random_sourced_case(seed)
        net = world.network
        for node in net.nodes:
            if node.extra_sources:
                kinds.add("vendor-fed" if net.is_vendor(node.source) else "node-fed")
    assert kinds == {"vendor-fed", "node-fed"}


def test_a_node_order_rule_orders_from_each_nodes_own_source_only() -> None:
    """A rule that returns [P, M, N] on a world with extra sources orders nothing from them."""
    world, paths, _ = random_sourced_case(3)
    assert len(world.network.arcs()) > len(world.network.nodes)
    levels = np.full((len(world.network.nodes), world.n_skus), 30.0)
    for engine in (DesEngine(world, paths), batch_engine(world, paths)):
        rollout(engine, BaseStock(levels))
        records = engine.result().records
        assert records["ordered"].sum() > 0
    events = DesEngine(world, paths)
    rollout(events, BaseStock(levels))
    orders = events.result().events.query("kind == 'order'")
    extra = {s for s, _ in world.network.arcs()[len(world.network.nodes) :]}
    assert orders[orders["peer"].isin(extra)]["quantity"].sum() == 0


def dual_world(**vendor2: float) -> tuple[World, ExogenousPaths]:
    """One store: a regular vendor (lead time 2) and an expedited one (lead time 0, 10% dearer)."""
    regular = Vendor("regular", LeadTime(value=2))
    express = Vendor("express", LeadTime(value=0), unit_cost_factor=1.1, **vendor2)  # type: ignore[arg-type]
    net = Network(vendors=(regular, express), nodes=(Node("store", "regular", extra_sources=("express",)),))
    world = World(
        skus=("a",),
        economics=Economics.uniform(1, unit_cost=100.0, holding_cost=5.0, lost_sale_penalty=495.0),
        network=net,
        horizon=4,
        review_period=1,
        initial_on_hand=np.array([[3.0]]),
    )
    paths = sample_paths(
        world,
        lambda rng, n: np.full((n, 4, 1, 1), 2.0),
        lambda rng, n: np.full((n, 4, 1), 150.0),
        n_paths=1,
        seed=0,
    )
    return world, paths


@pytest.mark.parametrize("engine_name", ["des", "batch"])
def test_dual_sourcing_by_hand(engine_name: str) -> None:
    """Orders (regular, express) per period: (2, 1), (0, 0), (2, 0), (0, 3) with demand 2 every period
    and 3 on hand. Express arrives at once, regular two periods later.

    t=0: on hand 3 + 1 express = 4, sells 2, ends 2; bought 1 x 110.
    t=1: ends 0 (sells 2).
    t=2: regular 2 of t=0 arrives (bought 2 x 100): sells 2, ends 0.
    t=3: 3 express arrive (bought 3 x 110): sells 2, ends 1; the regular order of t=2 is due at t=4.
    """
    world, paths = dual_world()
    orders = np.array([[2.0, 1.0], [0.0, 0.0], [2.0, 0.0], [0.0, 3.0]]).reshape(4, 1, 2, 1)
    engine = DesEngine(world, paths) if engine_name == "des" else batch_engine(world, paths)
    out = rollout(engine, OrderSchedule(orders, 1))
    records = engine.result().records
    np.testing.assert_allclose(records["received"], [1, 0, 2, 3])
    np.testing.assert_allclose(records["on_hand"], [2, 0, 0, 1])
    np.testing.assert_allclose(records["ordered"], [3, 0, 2, 3])
    np.testing.assert_allclose(records["purchase_cost"], [110, 0, 200, 330])
    np.testing.assert_allclose(records["in_transit"], [2, 2, 2, 2])
    np.testing.assert_allclose(as_numpy(out.totals["purchase_cost"]).sum(), 640.0)
    # the regular order of t=2 arrives at the horizon: in the terminal on-hand, not in its pipeline
    assert as_numpy(out.state.on_hand).sum() == 3.0 and as_numpy(out.state.pipeline).sum() == 0.0


def test_each_source_has_its_own_capacity_and_fill_rate() -> None:
    world, paths = dual_world(capacity=1.0)
    np.testing.assert_array_equal(paths.capacity[:, :, 0], [[math.inf, 1.0]] * 4)
    orders = np.array([[0.0, 3.0], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]]).reshape(4, 1, 2, 1)
    for engine in (DesEngine(world, paths), batch_engine(world, paths)):
        rollout(engine, OrderSchedule(orders, 1))
        records = engine.result().records
        np.testing.assert_allclose(records["cancelled"], [2, 0, 0, 0])
        np.testing.assert_allclose(records["received"], [1, 0, 0, 0])


def test_profit_is_differentiable_in_every_sources_orders() -> None:
    world, paths, schedule = random_sourced_case(5)

    def profit(orders: torch.Tensor) -> torch.Tensor:
        rule = OrderSchedule(orders, world.review_period, world.review_offset)
        return NetworkEngine(world, paths, record=False, grad=True).rollout(rule)["reward"].sum()

    m = len(world.network.nodes)
    extra = np.argwhere(schedule[:, :, m:] > 0.01)
    assert len(extra)
    indices = [(int(i[0]), int(i[1]), int(i[2]) + m, int(i[3])) for i in extra[:6]]
    assert_gradient_matches_finite_differences(profit, schedule, indices)


def test_paths_and_layout_index_arcs_own_sources_first() -> None:
    world, paths = dual_world()
    net = layout(world)
    assert net.arc_sources == ("regular", "express") and net.arc_node == (0, 0)
    np.testing.assert_allclose(net.arc_cost_factor, [1.0, 1.1])
    assert paths.lead_time.shape == (1, 4, 2, 1) and paths.n_arcs == 2
    np.testing.assert_array_equal(paths.lead_time[0, :, :, 0], [[2, 0]] * 4)


def test_bad_sources_are_named_errors() -> None:
    with pytest.raises(InputError, match="extra_sources must name each vendor once"):
        Node("store", "v0", extra_sources=("v0",))
    with pytest.raises(InputError, match="extra_sources must name vendors"):
        Network(
            vendors=(Vendor("v0"),),
            nodes=(Node("dc", "v0"), Node("shop", "v0"), Node("store", "dc", extra_sources=("shop",))),
        )
    with pytest.raises(InputError, match="unit_cost_factor"):
        Vendor("v", unit_cost_factor=math.nan)
    world, paths = dual_world()
    short = ExogenousPaths(
        demand=paths.demand,
        lead_time=paths.lead_time[:, :, :1],
        fill_rate=paths.fill_rate[:, :, :1],
        capacity=paths.capacity[:, :1],
        price=paths.price,
    )
    with pytest.raises(InputError, match="1 arcs, the network has 2"):
        DesEngine(world, short)
    engine = DesEngine(world, paths)
    engine.reset()
    with pytest.raises(InputError, match="expected"):
        engine.step(np.zeros((1, 3, 1)))
