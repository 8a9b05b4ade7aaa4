"""Case packs and minimum order quantities: the rule, both engines, the gradient through the rounding."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import numpy as np
import pytest
import torch

from restock.errors import InputError
from restock.scenarios import load
from restock.scenarios.build import build_world
from restock.simulator import rules
from restock.simulator.batch import NetworkEngine, batch_engine
from restock.simulator.des import DesEngine
from restock.simulator.engines import rollout
from restock.simulator.policy import BaseStock, OrderSchedule
from restock.simulator.world import Ordering
from tests.simulator.engine_checks import assert_engines_agree
from tests.simulator.test_network_parity import as_numpy
from tests.simulator.test_sources import random_sourced_case

ORDERS = [0.0, 2.0, 3.0, 8.0, 9.0, 20.0, 40.0]
"""With case packs of 6 and a minimum of 12: 0 and 1/3 pack are 0; 1/2, 4/3 and 3/2 packs are 1 or 2
packs, raised to 12; 10/3 packs are 3 (18); 20/3 packs are 7 (42)."""
PACKED = [0.0, 0.0, 12.0, 12.0, 12.0, 18.0, 42.0]


def test_pack_order_by_hand_on_numpy_and_torch() -> None:
    np.testing.assert_array_equal(rules.pack_order(np.array(ORDERS), 6.0, 12.0), PACKED)
    np.testing.assert_array_equal(rules.pack_order(np.array(ORDERS), 6.0, None), [0, 0, 6, 6, 12, 18, 42])
    np.testing.assert_array_equal(rules.pack_order(np.array(ORDERS), None, 5.0), [0, 5, 5, 8, 9, 20, 40])
    x = torch.tensor(ORDERS, dtype=torch.float64, requires_grad=True)
    out = rules.pack_order(x, torch.tensor(6.0, dtype=torch.float64), torch.tensor(12.0, dtype=torch.float64))
    np.testing.assert_array_equal(out.detach().numpy(), PACKED)
    (grad,) = torch.autograd.grad((out * torch.arange(7.0, dtype=torch.float64)).sum(), x)
    np.testing.assert_array_equal(grad.numpy(), np.arange(7.0))  # straight through: d out / d x = 1


def packed_case(seed: int):  # type: ignore[no-untyped-def]
    world, paths, schedule = random_sourced_case(seed)
    n = world.n_skus
    rng = np.random.default_rng(seed)
    pack = rng.integers(2, 7, n).astype(float)
    ordering = Ordering(case_pack=pack, minimum_order=pack * rng.integers(0, 3, n))
    return dataclasses.replace(world, ordering=ordering), paths, schedule


@pytest.mark.parametrize("seed", range(12))
def test_engines_agree_with_case_packs_and_minimum_orders(seed: int) -> None:
    world, paths, schedule = packed_case(seed)
    assert isinstance(batch_engine(world, paths), NetworkEngine)
    assert_engines_agree(world, paths, OrderSchedule(schedule, world.review_period, world.review_offset))


def test_every_vendor_order_is_a_whole_number_of_packs_at_least_the_minimum() -> None:
    world, paths, schedule = packed_case(2)
    engine = DesEngine(world, paths)
    rollout(engine, OrderSchedule(schedule, world.review_period, world.review_offset))
    events = engine.result().events
    orders = events[(events["kind"] == "order") & events["peer"].str.startswith("v")]
    assert world.ordering is not None and world.ordering.case_pack is not None
    sku = {s: i for i, s in enumerate(world.skus)}
    pack = world.ordering.case_pack[orders["sku"].map(sku).to_numpy()]
    low = world.ordering.minimum_order[orders["sku"].map(sku).to_numpy()]  # type: ignore[index]
    q = orders["quantity"].to_numpy()
    assert (q > 0).any()
    np.testing.assert_allclose(q / pack, np.rint(q / pack))
    assert np.all((q == 0) | (q >= low))


def test_the_gradient_through_the_packs_is_the_gradient_at_the_packed_orders() -> None:
    """Straight through: d profit / d order with packing equals, at every order, d profit / d order of
    the same world without packing, taken at the packed orders."""
    world, paths, schedule = packed_case(5)
    assert world.ordering is not None
    plain = dataclasses.replace(world, ordering=None)

    def profit(w, orders: torch.Tensor) -> torch.Tensor:  # type: ignore[no-untyped-def]
        rule = OrderSchedule(orders, w.review_period, w.review_offset)
        return NetworkEngine(w, paths, record=False, grad=True).rollout(rule)["reward"].sum()

    x = torch.tensor(schedule, dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(profit(world, x), x)
    m = len(world.network.nodes)
    vendor = np.array([world.network.is_vendor(s) for s, _ in world.network.arcs()])
    packed = schedule.copy()
    pack, low = world.ordering.case_pack, world.ordering.minimum_order
    packed[:, :, vendor] = rules.pack_order(schedule[:, :, vendor], pack, low)
    y = torch.tensor(packed, dtype=torch.float64, requires_grad=True)
    (want,) = torch.autograd.grad(profit(plain, y), y)
    np.testing.assert_allclose(grad.numpy(), want.numpy(), rtol=1e-9, atol=1e-9)
    assert m < len(vendor) and np.abs(grad.numpy()).sum() > 0


def test_a_base_stock_rule_with_packs_keeps_the_position_near_its_level() -> None:
    world, paths, _ = packed_case(1)
    engine = batch_engine(world, paths)
    out = rollout(engine, BaseStock(np.full((len(world.network.nodes), world.n_skus), 40.0)))
    assert float(as_numpy(out.totals["sales"]).sum()) > 0


def test_bad_ordering_is_a_named_error() -> None:
    with pytest.raises(InputError, match=r"ordering.case_pack\[0\] must be > 0"):
        Ordering(case_pack=np.array([0.0]))
    with pytest.raises(InputError, match="whole number of case packs"):
        Ordering(case_pack=np.array([6.0]), minimum_order=np.array([8.0]))
    with pytest.raises(InputError, match="finite"):
        Ordering(minimum_order=np.array([np.inf]))


def test_scenario_ordering_keys_reach_the_world_and_bad_ones_exit_2() -> None:
    world, _ = build_world(load("steady", ["ordering.case_pack=6", "ordering.minimum_order=12"]), 0, 1)
    assert world.ordering is not None
    np.testing.assert_array_equal(world.ordering.case_pack, np.full(world.n_skus, 6.0))
    for bad, words in (
        ("ordering.case_pack=0", "must be finite and > 0"),
        ("ordering.minimum_order=-1", "must be finite and >= 0"),
    ):
        run = subprocess.run(
            [sys.executable, "-m", "restock.cli", "scenarios", "validate", "steady", "--set", bad],
            capture_output=True,
            text=True,
        )
        assert run.returncode == 2, run.stderr
        assert words in run.stderr + run.stdout and "Traceback" not in run.stderr
