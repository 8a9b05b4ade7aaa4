"""SingleSKU-v0: rewards are the engine's profit, the newsvendor comparison, and bad input."""

from __future__ import annotations

from typing import Any

import gymnasium
import numpy as np
import pytest
from env_fakes import PoissonScenario

import restock.envs  # noqa: F401  (registers the ids)
from restock.envs.actions import ActionConfig
from restock.envs.single_sku import SingleSkuEnv
from restock.errors import InputError
from restock.simulator.des import run
from restock.simulator.policy import OrderSchedule

CASH = ("revenue", "salvage", "purchase_cost", "holding_cost", "penalty_cost", "fixed_order_cost")


def _episode(env: SingleSkuEnv, actions: Any, seed: int = 0) -> list[dict[str, Any]]:
    env.reset(seed=seed)
    infos, r = [], 0
    while True:
        _, reward, _, trunc, info = env.step(np.array([actions[r % len(actions)]], dtype=np.float32))
        info["scaled"] = reward
        infos.append(info)
        r += 1
        if trunc:
            return infos


def test_rewards_are_the_engines_profit_of_the_orders_placed() -> None:
    env = SingleSkuEnv("steady", sku=3, overrides={"horizon": 56})
    infos = _episode(env, [0.3, -0.2, 0.8])
    for info in infos:
        profit = info["revenue"] + info["salvage"] - sum(info[k] for k in CASH[2:])
        assert info["reward"] == pytest.approx(profit)
        assert info["scaled"] == pytest.approx(
            info["reward"] / (env.observer.static.ref_price[0] * info["scale"])
        )
    # Replaying the same orders through the engine's own run() gives the same total profit.
    orders = np.array([i["order"] for i in infos]).reshape(-1, 1, 1, 1)
    result = run(
        env.world, env.paths, OrderSchedule(orders, env.world.review_period, env.world.review_offset)
    )
    assert sum(i["reward"] for i in infos) == pytest.approx(float(result.records["reward"].sum()))


def test_units_are_scaled_so_slow_and_fast_movers_look_alike() -> None:
    slow = SingleSkuEnv(PoissonScenario(rates=(2.0, 40.0)), sku=0)
    fast = SingleSkuEnv(PoissonScenario(rates=(2.0, 40.0)), sku=1)
    o_slow, _ = slow.reset(seed=0)
    o_fast, _ = fast.reset(seed=0)
    names = slow.feature_names
    for f in ("forecast_h1_q50", "cum_lt_q50"):
        i = names.index(f)
        assert o_slow[i] == pytest.approx(o_fast[i], rel=0.2)
    assert slow.observer.static.scale[0] == pytest.approx(14.0) and fast.observer.static.scale[
        0
    ] == pytest.approx(280.0)


def test_ordering_the_newsvendor_quantile_saves_nothing_against_it() -> None:
    sc = PoissonScenario(rates=(6.0,), price=10.0)
    env = SingleSkuEnv(sc, action=ActionConfig(mode="service_quantile"), compare_newsvendor=True)
    lo, hi = env.actions.tau_range
    tau = 5.0 / 5.14  # (p - c + b) / (p - c + b + h R) with p=10, c=6, b=1, h=0.02, R=7
    infos = _episode(env, [2 * (tau - lo) / (hi - lo) - 1])
    assert infos[-1]["saving_vs_newsvendor"] == pytest.approx(0.0, abs=1e-3)  # float32 action rounding
    assert all(i["tau"] == pytest.approx(tau, abs=1e-6) for i in infos)
    # Never ordering loses against it.
    starve = _episode(SingleSkuEnv(sc, action=ActionConfig(mode="quantity"), compare_newsvendor=True), [-1.0])
    assert starve[-1]["saving_vs_newsvendor"] < 0
    assert all(i["order"] == 0.0 for i in starve)


def test_reset_options_replay_a_given_path() -> None:
    env = SingleSkuEnv("steady", sku=0, overrides={"horizon": 56})
    _, info = env.reset(seed=1)
    a = _episode(env, [0.1], seed=1)
    env.reset(options={"episode_seed": info["episode_seed"]})
    b = []
    while True:
        *_, trunc, i = env.step(np.array([0.1], dtype=np.float32))
        b.append(i["reward"])
        if trunc:
            break
    assert [x["reward"] for x in a] == b


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"scenario": "no-such-scenario"}, "no-such-scenario"),
        ({"scenario": "steady", "sku": "nope"}, "unknown sku 'nope'"),
        ({"scenario": "steady", "sku": 99}, "sku index"),
        ({"scenario": "steady", "overrides": {"no_such_key": 1}}, "no_such_key"),
        ({"scenario": "steady", "action": {"mode": "magic"}}, "action_mode"),
        ({"scenario": "steady", "action": {"mod": "quantity"}}, r"unknown key\(s\) \['mod'\] in action"),
        ({"scenario": "steady", "action": "quantity"}, "action must be an ActionConfig"),
        ({"scenario": "steady", "reward_scale": -1.0}, "reward_scale"),
        ({"scenario": PoissonScenario(table_skus=("x", "y", "z"))}, "forecast table SKUs"),
    ],
)
def test_bad_arguments_are_input_errors(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(InputError, match=match):
        gymnasium.make("Restock/SingleSKU-v0", **kwargs)


def test_bad_actions_are_input_errors_and_leave_the_episode_untouched() -> None:
    env = SingleSkuEnv(PoissonScenario())
    ref = SingleSkuEnv(PoissonScenario())
    env.reset(seed=4)
    ref.reset(seed=4)
    for bad in (np.array([np.nan]), np.array([np.inf]), np.array([0.1, 0.2]), np.array([2.0])):
        with pytest.raises(InputError):
            env.step(bad)
    good = np.array([0.5], dtype=np.float32)
    got, want = env.step(good), ref.step(good)
    np.testing.assert_array_equal(got[0], want[0])
    assert got[1] == want[1]


def test_stepping_after_truncation_needs_a_reset() -> None:
    env = SingleSkuEnv(PoissonScenario(horizon=14))
    _episode(env, [0.0])
    with pytest.raises(InputError, match="reset"):
        env.step(np.array([0.0], dtype=np.float32))
    with pytest.raises(InputError, match="unknown key"):
        env.reset(options={"bogus": 1})


def test_exact_forecast_tables_are_reused_only_because_they_do_not_depend_on_the_draw() -> None:
    from restock.envs.forecasts import build_episode
    from restock.scenarios import draw, load
    from restock.scenarios.forecast import _true_table

    scenario = load("publicity-spike")
    cached = build_episode(scenario, 1, 1, source="test")[2]
    fresh = _true_table(draw(scenario, 12345, 3))  # computed anew, not served from the cache
    np.testing.assert_array_equal(cached.per_bucket, fresh.per_bucket)
    np.testing.assert_array_equal(cached.cumulative, fresh.cumulative)
    assert build_episode(scenario, 7, 2, source="test")[2] is cached


def test_the_action_fast_path_agrees_with_the_full_check() -> None:
    from restock.envs.actions import check_actions
    from restock.envs.single_sku import _checked_action

    above = np.nextafter(np.float32(1.0), np.float32(2.0))
    valid = [
        np.array([0.3], dtype=np.float32),
        np.array([-1.0]),
        np.array([1.0], dtype=np.float16),
        np.array([1]),
        [0.25],
        (-0.5,),
    ]
    for action in valid:
        got = _checked_action(action)
        assert got.dtype == np.float64 and got.shape == (1,)
        np.testing.assert_array_equal(got, check_actions(action, (1,)))
    invalid = [np.array([above]), np.array([-1.0000001]), np.array([np.nan], dtype=np.float32), [np.inf],
               np.array([[0.1]]), np.array(["x"])]  # fmt: skip
    for action in invalid:
        with pytest.raises(InputError):
            check_actions(action, (1,))
        with pytest.raises(InputError):
            _checked_action(action)
