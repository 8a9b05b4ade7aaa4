"""The Lagrangian newsvendor under a shared inbound capacity (the capacitated-catalog scenario)."""

from __future__ import annotations

import numpy as np

from restock.agents.baselines import NewsvendorPolicy
from restock.agents.baselines.capacity import LagrangianNewsvendorPolicy, capacity_price
from restock.agents.evaluate import draw_episode, numpy_state, observers, rollout
from restock.scenarios import load
from restock.scenarios.build import build_world
from restock.simulator.engines import make_engine


def small(limit: float = 2500.0, horizon: int = 84):  # type: ignore[no-untyped-def]
    return load(
        "capacitated-catalog",
        [
            "catalog.n_skus=60",
            f"horizon={horizon}",
            f"nodes=[{{name='store', source='vendor', initial_cover=14.0, inbound_capacity={limit}}}]",
            "shocks=[]",
        ],
    )


def test_bisection_finds_the_smallest_price_that_fits() -> None:
    """Orders 10 - lambda per SKU (3 SKUs): a capacity of 21 needs lambda = 3; 40 fits at 0."""

    def orders(lam: np.ndarray) -> np.ndarray:
        return np.maximum(10.0 - lam[:, None], 0.0) * np.ones((1, 3))

    lam = capacity_price(orders, np.array([21.0, 40.0]), np.array([20.0, 20.0]), 60)
    np.testing.assert_allclose(lam, [3.0, 0.0], atol=1e-9)


def test_the_orders_fit_the_limit_and_equal_the_newsvendor_where_it_is_not_binding() -> None:
    ep = draw_episode(small(), seed=1)
    engine = make_engine("batch", ep.world, ep.paths, record=False)
    state = numpy_state(engine.reset())
    (obs,) = observers(ep, None)
    lagrangian, plain = LagrangianNewsvendorPolicy(), NewsvendorPolicy()
    bound = used = 0
    for _ in range(8):
        q_l = lagrangian.act(obs, state).reshape(ep.paths.n_paths, -1)
        q_n = plain.act(obs, state).reshape(ep.paths.n_paths, -1)
        limit = ep.world.inbound_capacity[state.t, 0]  # type: ignore[index]
        assert np.all(q_l.sum(-1) <= limit + 1e-6)
        over = q_n.sum(-1) > limit
        np.testing.assert_allclose(q_l[~over], q_n[~over])
        bound += int(over.sum())
        used += int((np.abs(q_l.sum(-1) - limit) < 1e-3 * limit)[over].sum())
        state, _ = engine.step(np.asarray(q_l)[:, None, :])
        state = numpy_state(state)
    assert bound > 0 and used == bound  # where the limit binds, the price makes the orders meet it


def test_the_lagrangian_newsvendor_beats_the_newsvendor_that_ignores_the_limit() -> None:
    ep = draw_episode(small(limit=2200.0, horizon=140), seed=2)
    plain = rollout(NewsvendorPolicy(), ep, engine="batch", record=False)
    priced = rollout(LagrangianNewsvendorPolicy(), ep, engine="batch", record=False)
    assert priced.totals["reward"].sum() > plain.totals["reward"].sum()


def test_inbound_capacity_and_its_cut_reach_the_world() -> None:
    sc = load("capacitated-catalog", ["catalog.n_skus=10"])
    world, _ = build_world(sc, 0, 1)
    cap = world.inbound_capacity
    assert cap is not None and cap.shape == (364, 1)
    assert cap[0, 0] == 52000.0 and cap[250, 0] == 52000.0 * 0.8 and cap[320, 0] == 52000.0
