"""A storage volume shared by all SKUs of a node: arrivals beyond the room left are disposed pro rata by
volume, the arrivals of one moment pooled; held stock is never disposed. Both engines, by hand and on
random worlds, and the gradient through the cut."""

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
from restock.simulator.des.events import STORE
from restock.simulator.engines import rollout
from restock.simulator.paths import ExogenousPaths
from restock.simulator.policy import OrderSchedule
from restock.simulator.world import Economics, LeadTime, Network, Node, Vendor, World
from tests.simulator.engine_checks import assert_engines_agree, assert_profit_gradient_through
from tests.simulator.test_sources import random_sourced_case


def limited_case(seed: int, *, volumes: bool = True):  # type: ignore[no-untyped-def]
    """A random network (several sources, transfers, lead times 0 included) whose nodes share a storage
    volume that changes over time (inf in some periods), tight enough to bind."""
    world, paths, schedule = random_sourced_case(seed)
    rng = np.random.default_rng(seed)
    t, m, n = world.horizon, len(world.network.nodes), world.n_skus
    unit = rng.uniform(0.5, 2.0, n) if volumes else None
    room = np.where(rng.random((t, m)) < 0.2, math.inf, rng.uniform(5, 20 * n, (t, m)))
    return dataclasses.replace(world, unit_volume=unit, storage_volume=room), paths, schedule


@pytest.mark.parametrize("seed", range(12))
def test_engines_agree_under_a_shared_storage_volume(seed: int) -> None:
    world, paths, schedule = limited_case(seed, volumes=seed % 3 != 0)
    assert isinstance(batch_engine(world, paths), NetworkEngine)
    assert_engines_agree(world, paths, OrderSchedule(schedule, world.review_period, world.review_offset))


def test_random_cases_dispose_under_the_volume() -> None:
    """The parity cases bind: units are disposed in most of them (else the test above checks little)."""
    binding = 0
    for seed in range(12):
        world, paths, schedule = limited_case(seed)
        engine = DesEngine(world, paths)
        rollout(engine, OrderSchedule(schedule, world.review_period, world.review_offset))
        binding += engine.result().records["disposed"].sum() > 0
    assert binding >= 8


def two_vendors(lead: int, *, room: float, held: tuple[float, float]) -> tuple[World, ExogenousPaths]:
    """One store, SKUs a (volume 1) and b (volume 2), two vendors both of lead time ``lead``, a storage
    volume ``room`` in every period and ``held`` units on hand at the start; no demand."""
    net = Network(
        vendors=(Vendor("v1", LeadTime(value=lead)), Vendor("v2", LeadTime(value=lead))),
        nodes=(Node("store", "v1", extra_sources=("v2",)),),
    )
    world = World(
        skus=("a", "b"),
        economics=Economics.uniform(2, unit_cost=1.0),
        network=net,
        horizon=3,
        review_period=3,
        initial_on_hand=np.array([held]),
        unit_volume=np.array([1.0, 2.0]),
        storage_volume=np.full((3, 1), room),
    )
    paths = ExogenousPaths(
        demand=np.zeros((1, 3, 1, 2)),
        lead_time=np.full((1, 3, 2, 2), lead),
        fill_rate=np.ones((1, 3, 2, 2)),
        capacity=np.full((3, 2, 2), math.inf),
        price=np.zeros((1, 3, 2)),
    )
    return world, paths


def run(engine_name: str, world: World, paths: ExogenousPaths, orders: np.ndarray):  # type: ignore[no-untyped-def]
    engine = DesEngine(world, paths, log_events=True) if engine_name == "des" else batch_engine(world, paths)
    rollout(engine, OrderSchedule(orders[None, None], world.review_period))
    return engine


@pytest.mark.parametrize("engine_name", ["des", "batch"])
@pytest.mark.parametrize("lead", [0, 1])
def test_the_arrivals_of_one_moment_share_the_room_by_volume(engine_name: str, lead: int) -> None:
    """Held: a 2 (volume 2), b 1 (volume 2); room 10 - 4 = 6. v1 brings 4 of a (volume 4), v2 2 of b
    (volume 4): 8 over 6, so both are cut to 3/4: a takes 3, b 1.5; 1 of a and 0.5 of b are disposed.
    (Taken in one shipment after the other, a would fit whole and b get 2/4 of its room.) The disposed
    units were delivered, so they are paid for."""
    world, paths = two_vendors(lead, room=10.0, held=(2.0, 1.0))
    orders = np.array([[4.0, 0.0], [0.0, 2.0]])  # [arc, sku]: v1 (a, b), v2 (a, b)
    engine = run(engine_name, world, paths, orders)
    rec = engine.result().records.set_index(["period", "sku"])
    t = lead
    assert rec.loc[(t, "a"), "disposed"] == pytest.approx(1.0)
    assert rec.loc[(t, "b"), "disposed"] == pytest.approx(0.5)
    assert rec.loc[(t, "a"), "on_hand"] == pytest.approx(5.0)
    assert rec.loc[(t, "b"), "on_hand"] == pytest.approx(2.5)
    assert rec.loc[(t, "a"), "received"] == pytest.approx(4.0)  # delivered (and bought), then disposed
    assert rec["purchase_cost"].sum() == pytest.approx(6.0)
    if engine_name == "des":
        log = engine.result().events
        dispose = log[log["kind"] == "dispose"]
        assert dispose["priority"].unique().tolist() == [STORE]
        assert dispose.groupby("sku")["quantity"].sum().to_dict() == pytest.approx({"a": 1.0, "b": 0.5})


@pytest.mark.parametrize("engine_name", ["des", "batch"])
def test_held_stock_is_never_disposed(engine_name: str) -> None:
    """Held volume 2 x 1 + 4 x 2 = 10 over a room of 6: nothing held goes, every arrival is disposed."""
    world, paths = two_vendors(1, room=6.0, held=(2.0, 4.0))
    engine = run(engine_name, world, paths, np.array([[3.0, 0.0], [0.0, 1.0]]))
    rec = engine.result().records.set_index(["period", "sku"])
    assert rec.loc[(1, "a"), "on_hand"] == 2.0 and rec.loc[(1, "b"), "on_hand"] == 4.0
    assert rec.loc[(1, "a"), "disposed"] == 3.0 and rec.loc[(1, "b"), "disposed"] == 1.0
    assert rec.loc[(0, "a"), "disposed"] == 0.0  # the initial excess stays


def test_a_volume_that_never_binds_changes_nothing() -> None:
    """(Up to rounding: the pooled arrivals of a moment are summed before they are added.)"""
    world, paths, schedule = limited_case(3)
    loose = dataclasses.replace(world, storage_volume=np.full(world.storage_volume.shape, 1e9))  # type: ignore[union-attr]
    free = dataclasses.replace(world, storage_volume=None, unit_volume=None)
    rule = OrderSchedule(schedule, world.review_period, world.review_offset)
    a, b = DesEngine(loose, paths), DesEngine(free, paths)
    rollout(a, rule)
    rollout(b, rule)
    for c in ("on_hand", "disposed", "received", "reward"):
        got, want = a.result().records[c].to_numpy(), b.result().records[c].to_numpy()
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, err_msg=c)


def test_storage_share_by_hand_and_its_gradient() -> None:
    held = np.array([[2.0, 1.0], [0.0, 0.0]])
    coming = np.array([[4.0, 2.0], [1.0, 1.0]])
    share = rules.storage_share(held, coming, np.array([1.0, 2.0]), np.array([10.0, 10.0]))
    np.testing.assert_allclose(share, [0.75, 1.0])
    c = torch.tensor([[4.0, 2.0]], dtype=torch.float64, requires_grad=True)
    s = rules.storage_share(torch.tensor([[2.0, 3.0]], dtype=torch.float64), c, None, 10.0)
    (grad,) = torch.autograd.grad(s.sum(), c)  # share = (10 - 5) / (c_a + c_b) = 5 / 6: d/dc = -5 / 36
    assert s.item() == pytest.approx(5 / 6)
    np.testing.assert_allclose(grad.numpy(), [[-5 / 36, -5 / 36]])


def test_an_unlimited_node_beside_a_limited_one_keeps_the_gradient_finite() -> None:
    """pro_rata with an infinite limit where the requests fit: no NaN in the gradient (inf / x in the
    branch torch.where does not take would make one)."""
    total = torch.tensor([3.0, 8.0], dtype=torch.float64, requires_grad=True)
    share = rules.pro_rata(total, torch.tensor([math.inf, 4.0], dtype=torch.float64))
    (grad,) = torch.autograd.grad(share.sum(), total)
    assert torch.isfinite(grad).all()
    np.testing.assert_allclose(grad.numpy(), [0.0, -4.0 / 64.0])


def test_profit_is_differentiable_through_the_volume_cut() -> None:
    assert_profit_gradient_through(*limited_case(4))


def test_bad_volumes_are_named_errors() -> None:
    world, _ = two_vendors(1, room=10.0, held=(0.0, 0.0))
    with pytest.raises(InputError, match=r"storage_volume must have shape \[periods=3, nodes=1\]"):
        dataclasses.replace(world, storage_volume=np.ones((2, 1)))
    with pytest.raises(InputError, match=r"storage_volume\[2, 0\] \(node 'store'\) must be >= 0"):
        dataclasses.replace(world, storage_volume=np.array([[1.0], [1.0], [np.nan]]))
    with pytest.raises(InputError, match=r"unit_volume"):
        dataclasses.replace(world, unit_volume=np.array([1.0, -2.0]))
    with pytest.raises(InputError, match=r"unit_volume must have one value per SKU \(2\)"):
        dataclasses.replace(world, unit_volume=np.array([1.0]))
    assert dataclasses.replace(world, storage_volume=np.full((3, 1), math.inf)).storage_volume is None
    assert world.first_periods(2).storage_volume.shape == (2, 1)  # type: ignore[union-attr]
