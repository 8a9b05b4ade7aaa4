"""Gradients through the batch engine: finite differences, and a newsvendor solved by gradient ascent."""

from __future__ import annotations

import math

import numpy as np
import torch

from restock.simulator.batch import BatchEngine, rollout_totals
from restock.simulator.paths import ExogenousPaths
from restock.simulator.policy import BaseStock, OrderSchedule
from restock.simulator.world import Economics, Network, Node, World


def smooth_case(backorder: bool) -> tuple[World, ExogenousPaths, np.ndarray]:
    """Continuous demand and orders (no ties at the kinks of min/max), lead times 0..4, fill rates < 1."""
    rng = np.random.default_rng(11)
    p, t, n, review = 2, 24, 3, 4
    world = World(
        skus=("a", "b", "c"),
        economics=Economics(
            unit_cost=np.array([1.0, 2.0, 1.5]),
            holding_cost=np.array([0.1, 0.05, 0.2]),
            lost_sale_penalty=np.array([0.5, 1.0, 0.0]),
            fixed_order_cost=np.array([2.0, 0.0, 1.0]),
            salvage_value=np.array([0.3, 0.1, 0.0]),
        ),
        network=Network.single(node=Node("store", "vendor", backorder=backorder, storage_capacity=60.0)),
        horizon=t,
        review_period=review,
        initial_on_hand=np.array([[3.0, 5.0, 0.5]]),
    )
    paths = ExogenousPaths(
        demand=rng.uniform(0, 8, (p, t, 1, n)),
        lead_time=rng.integers(0, 5, (p, t, 1, n)),
        fill_rate=rng.uniform(0.6, 1.0, (p, t, 1, n)),
        capacity=np.where(rng.random((t, 1, n)) < 0.3, 25.0, math.inf),
        price=np.repeat(rng.uniform(3, 5, (p, 4, n)), 7, axis=1)[:, :t],
    )
    orders = rng.uniform(1, 20, (t // review, p, 1, n))
    return world, paths, orders


def profit(world: World, paths: ExogenousPaths, orders: torch.Tensor, grad: bool) -> torch.Tensor:
    rule = OrderSchedule(orders, world.review_period)
    return rollout_totals(world, paths, rule, grad=grad)["reward"].sum()


def test_gradient_matches_finite_differences() -> None:
    for backorder in (False, True):
        world, paths, orders0 = smooth_case(backorder)
        orders = torch.tensor(orders0, requires_grad=True)
        profit(world, paths, orders, grad=True).backward()
        assert orders.grad is not None
        grad = orders.grad.numpy()
        eps = 1e-6
        fd = np.zeros_like(orders0)
        for idx in np.ndindex(orders0.shape):
            up, down = orders0.copy(), orders0.copy()
            up[idx] += eps
            down[idx] -= eps
            f_up = profit(world, paths, torch.tensor(up), grad=False).item()
            f_down = profit(world, paths, torch.tensor(down), grad=False).item()
            fd[idx] = (f_up - f_down) / (2 * eps)
        np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-5)
        # every order whose units arrive before the horizon is paid for: its gradient is not zero
        reviews = np.arange(0, world.horizon, world.review_period)
        due = reviews[:, None, None] + paths.lead_time[:, reviews, 0, :].transpose(1, 0, 2)
        capped = orders0[:, :, 0, :] >= paths.capacity[reviews, 0, :][:, None, :]
        arrives = (due < world.horizon) & ~capped
        assert (np.abs(grad[:, :, 0, :][arrives]) > 1e-3).all()


def test_gradient_ascent_on_base_stock_finds_the_critical_fractile() -> None:
    """One-period newsvendor (lead time 0, leftovers salvaged): S* is the (p - c)/(p - s) demand quantile."""
    rng = np.random.default_rng(5)
    p_len = 4000
    price, cost, salvage = 10.0, 4.0, 1.0
    world = World(
        skus=("a",),
        economics=Economics.uniform(1, unit_cost=cost, salvage_value=salvage),
        network=Network.single(),
        horizon=1,
        review_period=1,
    )
    demand = rng.gamma(4.0, 5.0, (p_len, 1, 1, 1))
    paths = ExogenousPaths(
        demand=demand,
        lead_time=np.zeros((p_len, 1, 1, 1), dtype=np.int64),
        fill_rate=np.ones((p_len, 1, 1, 1)),
        capacity=np.full((1, 1, 1), math.inf),
        price=np.full((p_len, 1, 1), price),
    )
    fractile = (price - cost) / (price - salvage)
    target = float(np.quantile(demand, fractile))

    engines = {g: BatchEngine(world, paths, record=False, grad=g) for g in (False, True)}

    def mean_profit(level: torch.Tensor, grad: bool) -> torch.Tensor:
        return engines[grad].rollout(BaseStock(level))["reward"].mean()

    level = torch.tensor(5.0, dtype=torch.float64, requires_grad=True)
    start = mean_profit(level.detach(), grad=False).item()
    for _ in range(150):  # plain gradient ascent (torch.optim would import torch._dynamo: seconds)
        (g,) = torch.autograd.grad(mean_profit(level, grad=True), level)
        level = (level + 2.0 * g).detach().requires_grad_(True)
    assert abs(level.item() - target) < 0.5
    best = mean_profit(torch.tensor(target, dtype=torch.float64), grad=False).item()
    assert mean_profit(level.detach(), grad=False).item() > start + 10
    assert mean_profit(level.detach(), grad=False).item() > best - 1e-2
