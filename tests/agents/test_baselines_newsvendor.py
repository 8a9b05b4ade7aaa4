"""The newsvendor on forecast quantiles: closed-form orders, the critical ratio, the tuned tau, myopic."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from baseline_worlds import CRITICAL_RATIO, zero_lead_scenario
from scipy import stats

from restock.agents.baselines import MyopicPolicy, NewsvendorPolicy, TuningConfig, tune
from restock.agents.evaluate import draw_episode, observers, rollout
from restock.envs.core import numpy_state
from restock.envs.features import interp_quantiles
from restock.errors import InputError
from restock.simulator.des import DesEngine
from restock.simulator.policy import ReviewState


def _first_review(tmp_path: Path):  # type: ignore[no-untyped-def]
    sc = zero_lead_scenario(tmp_path)
    ep = draw_episode(sc, 5)
    batch = observers(ep, None)[0]
    state = numpy_state(DesEngine(ep.world, ep.paths).reset())
    return sc, ep, batch, state


def test_zero_lead_time_newsvendor_orders_the_critical_fractile_quantile(tmp_path: Path) -> None:
    sc, _, batch, state = _first_review(tmp_path)
    mean = draw_episode(sc, 5).forecasts  # exact Poisson table
    assert mean.model == "true"
    from restock.scenarios.build import draw

    mu = draw(sc, 5, 1).catalog.mean
    expected = stats.poisson.ppf(CRITICAL_RATIO, mu)  # one period of demand (E[L] + R = 0 + 1)
    q = NewsvendorPolicy().act(batch, state)
    assert state.t == 0 and np.all(batch.position(state) == 0)
    np.testing.assert_allclose(
        q.reshape(batch.n_paths, -1), np.broadcast_to(expected, (batch.n_paths, mu.size))
    )
    # a position above zero is netted off; above the level nothing is ordered
    pos = np.array([1.0, 3.0, 100.0])
    st = ReviewState(
        0,
        np.tile(pos, (batch.n_paths, 1))[:, None, :],
        np.zeros((batch.n_paths, 1, 3)),
        np.zeros((batch.n_paths, 1, 3, 1)),
    )
    q2 = NewsvendorPolicy().act(batch, st).reshape(batch.n_paths, -1)
    np.testing.assert_allclose(q2[0], np.maximum(expected - pos, 0.0))


def test_newsvendor_is_the_critical_fractile_of_the_cumulative_forecast(tmp_path: Path) -> None:
    """tau* = (p - c + b) / (p - c + b + h R) at the period's price, inside the table's levels, on the
    quantiles of demand over E[L] + R the observer reads (the one newsvendor rule; the envs' shadow
    newsvendor is the same :meth:`Observer.newsvendor_levels`)."""
    _, ep, batch, state = _first_review(tmp_path)
    e, r, p = ep.world.economics, ep.world.review_period, ep.paths.n_paths
    price = ep.paths.price[:, state.t, :].reshape(-1)
    c, h, b = (np.tile(x, p) for x in (e.unit_cost, e.holding_cost, e.lost_sale_penalty))
    tau = np.clip((price - c + b) / (price - c + b + h * r), batch.levels[0], batch.levels[-1])
    _, cum = batch.forecast_rows(state.t)
    want = np.maximum(interp_quantiles(batch.levels, cum, tau) - batch.position(state), 0.0)
    np.testing.assert_allclose(NewsvendorPolicy().act(batch, state), want)
    shadow = np.maximum(batch.newsvendor_levels(state.t) - batch.position(state), 0.0)
    np.testing.assert_array_equal(NewsvendorPolicy().act(batch, state), shadow)


def test_fixed_tau_outside_the_table_levels_is_an_input_error(tmp_path: Path) -> None:
    _, _, batch, state = _first_review(tmp_path)
    with pytest.raises(InputError, match="outside the forecast table's levels"):
        NewsvendorPolicy(tau=0.9999).act(batch, state)
    with pytest.raises(InputError, match="tau"):
        NewsvendorPolicy(tau=float("nan"))


def test_tuned_tau_is_close_to_the_critical_ratio_on_a_stationary_scenario(tmp_path: Path) -> None:
    sc = zero_lead_scenario(tmp_path, horizon=200, n_paths=8, n_skus=3)
    cfg = TuningConfig(train_seeds=2, grid=16, rounds=2)
    policy, result = tune("newsvendor-tuned", sc, seed=0, config=cfg)
    tau = result.params["tau"]
    assert tau.shape == (1, 3)
    assert abs(float(tau.mean()) - CRITICAL_RATIO) < 0.05, tau
    assert policy.name == "newsvendor-tuned"


def test_myopic_equals_the_newsvendor_when_the_lead_time_is_zero(tmp_path: Path) -> None:
    # With L = 0 the order serves the next R periods from the current stock: the same decision.
    sc = zero_lead_scenario(tmp_path, horizon=30)
    ep = draw_episode(sc, 3)
    a = rollout(NewsvendorPolicy(), ep, engine="batch", record=False).totals["reward"]
    b = rollout(MyopicPolicy(n_grid=64), ep, engine="batch", record=False).totals["reward"]
    np.testing.assert_allclose(a.sum(), b.sum(), rtol=0.02)


def test_myopic_is_near_optimal_on_zipkin_p9_l2() -> None:
    # The myopic policy is near-optimal for lost sales with short lead times (Zipkin 2008). Measured
    # against the exact optimum on the same paths (paired, so the noise of demand cancels): about 2.9%
    # above the optimal 6.094 per period (seeds 1-2, 24 paths x 1000 periods: 6.27, 6.27), while the best
    # base-stock's exact cost is 3.7% above it.
    from baseline_worlds import zipkin

    from restock.agents.baselines import oracle_policy
    from restock.agents.stats import paired_difference

    sc = zipkin("p9-L2", horizon=1000)
    ep = draw_episode(sc, 7, n_paths=16)

    def cost(policy) -> np.ndarray:  # type: ignore[no-untyped-def]
        res = rollout(policy, ep, engine="batch").result
        assert res is not None
        rec = res.records[res.records["period"] >= 50]
        return -rec.groupby("path")["reward"].mean().to_numpy()

    optimum = 6.0936
    diff = paired_difference(cost(MyopicPolicy()), cost(oracle_policy(sc)))
    assert diff.mean > 0, diff  # never better than the optimum
    assert diff.ci_high < 0.04 * optimum, diff
