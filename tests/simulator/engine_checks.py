"""Checks the engine tests share: des against the batch engine period by period, and a rollout's gradient
against central finite differences."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pytest
import torch

from restock.simulator.batch import batch_engine
from restock.simulator.des import DesEngine
from restock.simulator.paths import ExogenousPaths
from restock.simulator.policy import OrderRule
from restock.simulator.world import World
from tests.simulator.test_network_parity import NUMERIC, as_numpy, assert_states_equal, drive


def assert_engines_agree(
    world: World, paths: ExogenousPaths, rule: OrderRule, *, record: bool = True
) -> None:
    """The batch engine matches des at every review state, every step's totals and (``record``) every
    record column, at 1e-6."""
    des = DesEngine(world, paths)
    want_states, want_flows, want_end = drive(des, rule)
    engine = batch_engine(world, paths, record=record)
    got_states, got_flows, got_end = drive(engine, rule)
    for mine, theirs in zip([*got_states, got_end], [*want_states, want_end], strict=True):
        assert_states_equal(mine, theirs)
    for mine_f, theirs_f in zip(got_flows, want_flows, strict=True):
        for k in theirs_f:
            np.testing.assert_allclose(as_numpy(mine_f[k]), theirs_f[k], rtol=1e-6, atol=1e-9, err_msg=k)
    if record:
        got, want = engine.result().records, des.result().records
        for c in NUMERIC:
            np.testing.assert_allclose(got[c].to_numpy(), want[c].to_numpy(), rtol=1e-6, atol=1e-9, err_msg=c)


def assert_gradient_matches_finite_differences(
    profit: Callable[[torch.Tensor], torch.Tensor], x: np.ndarray, indices: Sequence[tuple[int, ...]]
) -> None:
    """d profit / d x at ``indices`` equals central finite differences (h = 1e-6, rel 1e-4)."""
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(profit(t), t)
    h = 1e-6
    for i in indices:
        up, down = t.detach().clone(), t.detach().clone()
        up[i] += h
        down[i] -= h
        numeric = (profit(up) - profit(down)).item() / (2 * h)
        assert grad[i].item() == pytest.approx(numeric, rel=1e-4, abs=1e-6), i


def assert_profit_gradient_through(world: World, paths: ExogenousPaths, schedule: np.ndarray) -> None:
    """d profit / d orders of a batch-engine rollout of ``schedule`` (the network engine, with grad) equals
    central finite differences at 6 positive orders drawn at random (away from the kink at 0)."""
    from restock.simulator.batch import NetworkEngine
    from restock.simulator.policy import OrderSchedule

    def profit(orders: torch.Tensor) -> torch.Tensor:
        rule = OrderSchedule(orders, world.review_period, world.review_offset)
        return NetworkEngine(world, paths, record=False, grad=True).rollout(rule)["reward"].sum()

    positive = np.argwhere(schedule > 0.01)
    rows = np.random.default_rng(0).choice(len(positive), size=6, replace=False)
    assert_gradient_matches_finite_differences(
        profit, schedule, [tuple(int(v) for v in positive[r]) for r in rows]
    )
