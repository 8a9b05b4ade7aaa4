"""Parity of the batch engine on networks (NetworkEngine) with the des engine, period by period.

Random trees (random depth and fan-out, one or two vendors), stochastic lead times on every arc (transfers
included, 0 among them), fill rates and capacities at vendor-fed nodes, rationing, backorders at internal
nodes (first-come first-served queues), customer demand at internal nodes, per-node holding and penalty
factors, holding in transit, storage limits, review offsets. Orders come from a random schedule and from a
base-stock rule on the inventory position (which reads the states, so they must agree too).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from restock.simulator.batch import BatchEngine, NetworkEngine, batch_engine
from restock.simulator.des import DesEngine
from restock.simulator.engines import make_engine, rollout
from restock.simulator.paths import ExogenousPaths
from restock.simulator.policy import BaseStock, OrderSchedule, ReviewState
from restock.simulator.records import RECORD_COLUMNS
from restock.simulator.world import Economics, Network, Node, Vendor, World

NUMERIC = [c for c in RECORD_COLUMNS if c not in ("path", "period", "node", "sku")]
STATE_FIELDS = ("on_hand", "backlog", "pipeline", "owed", "owes")


def random_network(rng: np.random.Generator) -> Network:
    """A forest of 2..7 nodes under one or two vendors; every leaf faces customers."""
    n_nodes = int(rng.integers(2, 8))
    vendors = ("v0", "v1") if rng.random() < 0.3 else ("v0",)
    parents: list[str] = []
    for i in range(n_nodes):
        options = [*vendors, *(f"n{j}" for j in range(i))] if i else list(vendors)
        parents.append(str(rng.choice(options)))
    has_kids = {p for p in parents}
    nodes = []
    for i, parent in enumerate(parents):
        name = f"n{i}"
        leaf = name not in has_kids
        nodes.append(
            Node(
                name,
                source=parent,
                customer_facing=leaf or rng.random() < 0.3,
                backorder=bool(rng.random() < 0.5),
                storage_capacity=float(rng.uniform(20, 60)) if rng.random() < 0.3 else math.inf,
                holding_factor=float(rng.uniform(0.2, 1.5)),
                transit_holding_factor=float(rng.uniform(0, 0.5)) if rng.random() < 0.5 else 0.0,
                penalty_factor=float(rng.uniform(0.5, 2)),
            )
        )
    return Network(vendors=tuple(Vendor(v) for v in vendors), nodes=tuple(nodes))


def random_case(seed: int) -> tuple[World, ExogenousPaths, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    net = random_network(rng)
    m, n, p = len(net.nodes), int(rng.integers(1, 4)), int(rng.integers(1, 3))
    review = int(rng.integers(1, 5))
    horizon = int(rng.integers(review + 2, 30))
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
    facing = np.array([node.customer_facing for node in net.nodes])
    demand = rng.poisson(rng.uniform(1, 6, (m, n)), (p, horizon, m, n)).astype(float)
    if rng.random() < 0.5:
        demand = demand * rng.uniform(0.5, 1.5, demand.shape)
    demand[:, :, ~facing] = 0.0
    vendor_fed = np.array([net.is_vendor(node.source) for node in net.nodes])
    fill = np.where(rng.random((p, horizon, m, n)) < 0.5, 1.0, rng.uniform(0.3, 1.0, (p, horizon, m, n)))
    fill[:, :, ~vendor_fed] = 1.0
    capacity = np.where(rng.random((horizon, m, n)) < 0.6, math.inf, rng.uniform(0, 25, (horizon, m, n)))
    paths = ExogenousPaths(
        demand=demand,
        lead_time=rng.integers(0, int(rng.integers(1, 6)), (p, horizon, m, n)),
        fill_rate=fill,
        capacity=capacity,
        price=np.repeat(rng.uniform(2, 6, (p, (horizon + 6) // 7, n)), 7, axis=1)[:, :horizon],
    )
    n_rev = len(world.review_periods())
    schedule = rng.uniform(0, 30, (n_rev, p, m, n)) * (rng.random((n_rev, p, m, n)) < 0.8)
    levels = rng.uniform(5, 60, (m, n))
    return world, paths, schedule, levels


def drive(engine, rule) -> tuple[list[ReviewState], list[dict], ReviewState]:  # type: ignore[no-untyped-def]
    state = engine.reset()
    states, flows = [], [engine.initial_totals]
    while not state.terminal:
        states.append(state)
        state, step = engine.step(rule(state))
        flows.append(step)
    return states, flows, state


def as_numpy(x):  # type: ignore[no-untyped-def]
    return x.detach().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def assert_states_equal(mine: ReviewState, theirs: ReviewState) -> None:
    assert mine.t == theirs.t and mine.terminal == theirs.terminal
    for name in STATE_FIELDS:
        a, b = getattr(mine, name), getattr(theirs, name)
        assert (a is None) == (b is None), name
        if a is not None:
            np.testing.assert_allclose(as_numpy(a), b, rtol=1e-6, atol=1e-9, err_msg=f"t={mine.t} {name}")


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("rule_name", ["schedule", "base_stock"])
def test_network_engine_matches_des_period_by_period(seed: int, rule_name: str) -> None:
    world, paths, schedule, levels = random_case(seed)
    rules_by_name = {
        "schedule": OrderSchedule(schedule, world.review_period, world.review_offset),
        "base_stock": BaseStock(levels),
    }
    rule = rules_by_name[rule_name]
    des = DesEngine(world, paths)
    want_states, want_flows, want_end = drive(des, rule)
    engine = NetworkEngine(world, paths)
    got_states, got_flows, got_end = drive(engine, rule)
    assert len(got_states) == len(want_states)
    for mine, theirs in zip([*got_states, got_end], [*want_states, want_end], strict=True):
        assert_states_equal(mine, theirs)
    for mine_f, theirs_f in zip(got_flows, want_flows, strict=True):
        for k in theirs_f:
            np.testing.assert_allclose(as_numpy(mine_f[k]), theirs_f[k], rtol=1e-6, atol=1e-9, err_msg=k)
    got, want = engine.result().records, des.result().records
    assert list(got["node"]) == list(want["node"]) and list(got["period"]) == list(want["period"])
    for c in NUMERIC:
        np.testing.assert_allclose(got[c].to_numpy(), want[c].to_numpy(), rtol=1e-6, atol=1e-9, err_msg=c)


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("mode", ["plain", "grad"])
def test_rollouts_without_records_match_des_step_by_step(seed: int, mode: str) -> None:
    """Without records the engine keeps its window as a ring updated in place (a plain rollout) or as
    out-of-place rows (with grad): the same states and step flows as des either way."""
    world, paths, schedule, levels = random_case(seed)
    rule = (
        OrderSchedule(schedule, world.review_period, world.review_offset) if seed % 2 else BaseStock(levels)
    )
    want_states, want_flows, want_end = drive(DesEngine(world, paths), rule)
    before = paths.lead_time.copy()
    engine = NetworkEngine(world, paths, record=False, grad=mode == "grad")
    got_states, got_flows, got_end = drive(engine, rule)
    np.testing.assert_array_equal(paths.lead_time, before)  # the engine's copies are its own
    for mine, theirs in zip([*got_states, got_end], [*want_states, want_end], strict=True):
        assert_states_equal(mine, theirs)
    for mine_f, theirs_f in zip(got_flows, want_flows, strict=True):
        for k in theirs_f:
            np.testing.assert_allclose(as_numpy(mine_f[k]), theirs_f[k], rtol=1e-6, atol=1e-9, err_msg=k)


def test_random_cases_exercise_rationing_queues_and_lost_transfers() -> None:
    """The random cases are not vacuous: some ration (cancel at a lost-sales parent), some owe."""
    owed = cancelled_internal = 0.0
    for seed in range(40):
        world, paths, schedule, _ = random_case(seed)
        engine = DesEngine(world, paths)
        rollout(engine, OrderSchedule(schedule, world.review_period, world.review_offset))
        records = engine.result().records
        fed_by_node = [n.name for n in world.network.nodes if not world.network.is_vendor(n.source)]
        internal = records[records["node"].isin(fed_by_node)]
        owed += float(internal["owed"].sum())
        cancelled_internal += float(internal["cancelled"].sum())
    assert owed > 0 and cancelled_internal > 0


def test_make_engine_picks_the_network_engine_for_networks_and_the_fast_path_for_one_node() -> None:
    world, paths, _, _ = random_case(3)
    assert isinstance(make_engine("batch", world, paths), NetworkEngine)
    single = World(
        skus=("a",),
        economics=Economics.uniform(1, holding_cost=1.0),
        network=Network.single(),
        horizon=5,
        review_period=1,
    )
    one = ExogenousPaths(
        demand=np.ones((1, 5, 1, 1)),
        lead_time=np.zeros((1, 5, 1, 1), dtype=np.int64),
        fill_rate=np.ones((1, 5, 1, 1)),
        capacity=np.full((5, 1, 1), math.inf),
        price=np.ones((1, 5, 1)),
    )
    assert isinstance(batch_engine(single, one), BatchEngine)
    transit = World(
        skus=("a",),
        economics=Economics.uniform(1, holding_cost=1.0),
        network=Network.single(node=Node("store", "vendor", transit_holding_factor=0.5)),
        horizon=5,
        review_period=1,
    )
    assert isinstance(batch_engine(transit, one), NetworkEngine)


@pytest.mark.parametrize("seed", range(6))
def test_network_engine_on_one_node_matches_the_fast_path(seed: int) -> None:
    """On a single node both batch engines run the same rules: the same step flows."""
    rng = np.random.default_rng(100 + seed)
    n, p, horizon = 3, 2, 26
    node = Node("store", "vendor", backorder=bool(seed % 2))
    world = World(
        skus=tuple(f"s{j}" for j in range(n)),
        economics=Economics.uniform(
            n, unit_cost=1.0, holding_cost=0.1, lost_sale_penalty=2.0, salvage_value=0.3
        ),
        network=Network.single(node=node),
        horizon=horizon,
        review_period=3,
        review_offset=1,
    )
    paths = ExogenousPaths(
        demand=rng.poisson(4, (p, horizon, 1, n)).astype(float),
        lead_time=rng.integers(0, 5, (p, horizon, 1, n)),
        fill_rate=rng.uniform(0.5, 1, (p, horizon, 1, n)),
        capacity=np.full((horizon, 1, n), 30.0),
        price=np.full((p, horizon, n), 3.0),
    )
    rule = BaseStock(np.full((1, n), 25.0))
    fast = BatchEngine(world, paths, record=False).rollout(rule)
    general = NetworkEngine(world, paths, record=False).rollout(rule)
    for k, v in fast.items():
        np.testing.assert_allclose(general[k].numpy(), v.numpy(), rtol=1e-9, atol=1e-9, err_msg=k)


def test_profit_is_differentiable_through_transfers_rationing_and_queues() -> None:
    """The gradient of the profit with respect to every order matches central finite differences."""
    for seed in (1, 4, 9):
        world, paths, schedule, _ = random_case(seed)

        def profit(orders: torch.Tensor, world: World = world, paths: ExogenousPaths = paths) -> torch.Tensor:
            rule = OrderSchedule(orders, world.review_period, world.review_offset)
            totals = NetworkEngine(world, paths, record=False, grad=True).rollout(rule)
            return totals["reward"].sum()

        x = torch.tensor(schedule, dtype=torch.float64, requires_grad=True)
        (grad,) = torch.autograd.grad(profit(x), x)
        rng = np.random.default_rng(seed)
        positive = np.argwhere(schedule > 0.01)  # away from the kink of an order at 0
        for row in rng.choice(len(positive), size=8, replace=False):
            idx = tuple(int(i) for i in positive[row])
            h = 1e-6
            up, down = x.detach().clone(), x.detach().clone()
            up[idx] += h
            down[idx] -= h
            fd = (profit(up) - profit(down)).item() / (2 * h)
            assert grad[idx].item() == pytest.approx(fd, rel=1e-4, abs=1e-6), (seed, idx)
