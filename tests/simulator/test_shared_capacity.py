"""A node's inbound capacity shared by all its SKUs and sources: the pro rata cut on both engines."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch

from restock.errors import InputError
from restock.simulator import rules
from restock.simulator.batch import NetworkEngine, batch_engine
from restock.simulator.des import DesEngine
from restock.simulator.engines import rollout
from restock.simulator.paths import ExogenousPaths
from restock.simulator.policy import OrderSchedule
from restock.simulator.world import Economics, LeadTime, Network, Node, Vendor, World
from tests.simulator.engine_checks import assert_engines_agree, assert_profit_gradient_through
from tests.simulator.test_sources import random_sourced_case


def limited_case(seed: int):  # type: ignore[no-untyped-def]
    world, paths, schedule = random_sourced_case(seed)
    rng = np.random.default_rng(seed)
    t, m, n = world.horizon, len(world.network.nodes), world.n_skus
    cap = np.where(rng.random((t, m)) < 0.3, math.inf, rng.uniform(0, 30 * n, (t, m)))
    return dataclasses.replace(world, inbound_capacity=cap), paths, schedule


@pytest.mark.parametrize("seed", range(12))
def test_engines_agree_under_a_shared_inbound_capacity(seed: int) -> None:
    world, paths, schedule = limited_case(seed)
    assert isinstance(batch_engine(world, paths), NetworkEngine)
    assert_engines_agree(world, paths, OrderSchedule(schedule, world.review_period, world.review_offset))


def two_skus(limit: float) -> tuple[World, ExogenousPaths]:
    """One store, two SKUs, two vendors (lead times 1 and 0), an inbound limit in period 0 only."""
    net = Network(
        vendors=(Vendor("slow", LeadTime(value=1)), Vendor("fast", LeadTime(value=0))),
        nodes=(Node("store", "slow", extra_sources=("fast",)),),
    )
    cap = np.array([[limit], [math.inf], [math.inf]])
    world = World(
        skus=("a", "b"),
        economics=Economics.uniform(2, unit_cost=1.0),
        network=net,
        horizon=3,
        review_period=1,
        inbound_capacity=cap,
    )
    paths = ExogenousPaths(
        demand=np.zeros((1, 3, 1, 2)),
        lead_time=np.broadcast_to(np.array([1, 0])[None, None, :, None], (1, 3, 2, 2)).copy(),
        fill_rate=np.ones((1, 3, 2, 2)),
        capacity=np.full((3, 2, 2), math.inf),
        price=np.zeros((1, 3, 2)),
    )
    return world, paths


@pytest.mark.parametrize("engine_name", ["des", "batch"])
def test_the_cut_is_pro_rata_over_skus_and_sources_by_hand(engine_name: str) -> None:
    """Period 0 orders: a 4 slow + 2 fast, b 2 slow + 0 fast (8 units) under a limit of 4: every order is
    halved (a 2 + 1, b 1), the other 4 cancelled; period 1 (no limit) takes its 3 units whole."""
    world, paths = two_skus(4.0)
    orders = np.zeros((3, 1, 2, 2))
    orders[0, 0] = [[4.0, 2.0], [2.0, 0.0]]  # [arc, sku]: slow (a, b), fast (a, b)
    orders[1, 0] = [[1.0, 1.0], [1.0, 0.0]]
    engine = DesEngine(world, paths) if engine_name == "des" else batch_engine(world, paths)
    rollout(engine, OrderSchedule(orders, 1))
    rec = engine.result().records.set_index(["period", "sku"])
    assert rec.loc[(0, "a"), "cancelled"] == 3.0 and rec.loc[(0, "b"), "cancelled"] == 1.0
    assert rec.loc[(0, "a"), "received"] == 1.0  # the fast half of a's order arrives at once
    assert rec.loc[(1, "a"), "received"] == 2.0 + 1.0 and rec.loc[(1, "b"), "received"] == 1.0
    assert rec.loc[(1, "a"), "cancelled"] == 0.0


def test_pro_rata_rule_and_its_gradient() -> None:
    np.testing.assert_allclose(
        rules.inbound_share(np.array([8.0, 3.0, 0.0]), np.array([4.0, 4.0, 0.0])), [0.5, 1, 1]
    )
    total = torch.tensor([8.0], dtype=torch.float64, requires_grad=True)
    share = rules.inbound_share(total, torch.tensor([4.0], dtype=torch.float64))
    (grad,) = torch.autograd.grad(share.sum(), total)
    assert grad.item() == pytest.approx(-4.0 / 64.0)


def test_profit_is_differentiable_through_the_shared_cut() -> None:
    assert_profit_gradient_through(*limited_case(4))


def test_bad_inbound_capacity_is_a_named_error() -> None:
    world, _ = two_skus(4.0)
    with pytest.raises(InputError, match=r"inbound_capacity must have shape \[periods=3, nodes=1\]"):
        dataclasses.replace(world, inbound_capacity=np.ones((2, 1)))
    with pytest.raises(InputError, match=r"inbound_capacity\[1, 0\] \(node 'store'\) must be >= 0"):
        dataclasses.replace(world, inbound_capacity=np.array([[1.0], [-1.0], [1.0]]))
    assert dataclasses.replace(world, inbound_capacity=np.full((3, 1), math.inf)).inbound_capacity is None
    short = world.first_periods(2)
    assert short.inbound_capacity is not None and short.inbound_capacity.shape == (2, 1)
