"""Catalog-v0: parity with SingleSKU-v0 on the same paths, Gymnasium and SB3 autoreset, the VecEnv API."""

from __future__ import annotations

import gymnasium
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode

from restock.envs import make_catalog_vec_env
from restock.envs.actions import ActionConfig
from restock.envs.catalog import CatalogVecEnv, CatalogVectorEnv
from restock.envs.single_sku import SingleSkuEnv
from restock.errors import InputError

SHORT = {"horizon": 56}


def _vec_returns(vec: CatalogVecEnv, action: float) -> tuple[np.ndarray, np.ndarray, int]:
    """(scaled returns, unscaled profits, episode seed) of one episode at a constant action."""
    vec.reset()
    seed = vec.episode_seed
    assert seed is not None
    total, profit = np.zeros(vec.num_envs), np.zeros(vec.num_envs)
    while True:
        _, rewards, dones, _ = vec.step(np.full((vec.num_envs, 1), action, dtype=np.float32))
        total += rewards
        profit += vec.last_cash["reward"]
        if dones.all():
            return total, profit, seed


def _single_return(
    sku: int, action: float, seed: int, n_paths: int, path: int, mode: str
) -> tuple[float, float]:
    env = SingleSkuEnv("steady", sku=sku, overrides=SHORT, action=ActionConfig(mode=mode))  # type: ignore[arg-type]
    env.reset(options={"episode_seed": seed, "n_paths": n_paths, "path": path})
    total, profit = 0.0, 0.0
    while True:
        _, r, _, trunc, info = env.step(np.array([action], dtype=np.float32))
        total += r
        profit += info["reward"]
        if trunc:
            return total, profit


@pytest.mark.parametrize(
    ("mode", "action"), [("order_up_to", 0.1), ("service_quantile", 0.4), ("quantity", -0.5)]
)
def test_catalog_on_the_batch_engine_matches_single_sku_on_des(mode: str, action: float) -> None:
    vec = make_catalog_vec_env(
        "steady",
        n_envs=43,
        seed=11,
        overrides=SHORT,
        action=ActionConfig(mode=mode),  # type: ignore[arg-type]
    )
    n = vec.n_skus
    returns, profits, seed = _vec_returns(vec, action)
    assert vec.n_paths == 3  # 43 sub-environments over 20 SKUs
    for i in (0, 7, n + 3, 2 * n + 2):  # SKUs on paths 0, 1 and 2
        want_return, want_profit = _single_return(i % n, action, seed, vec.n_paths, i // n, mode)
        assert profits[i] == pytest.approx(want_profit, rel=1e-9, abs=1e-9)  # float64 money
        assert returns[i] == pytest.approx(want_return, rel=1e-6)  # SB3 rewards are float32


def test_auto_reset_gives_terminal_observations_and_a_new_episode() -> None:
    vec = make_catalog_vec_env("steady", n_envs=20, seed=1, overrides=SHORT, info_costs=True)
    first = vec.reset()
    seed0 = vec.episode_seed
    demand0 = vec.paths.demand.copy()
    for _ in range(8):
        obs, _, dones, infos = vec.step(np.zeros((20, 1), dtype=np.float32))
    assert dones.all() and vec.episode_seed != seed0
    assert set(infos[0]) >= {"terminal_observation", "TimeLimit.truncated", "revenue", "reward"}
    assert infos[5]["reward"] == pytest.approx(vec.last_cash["reward"][5])
    assert not np.array_equal(vec.paths.demand, demand0)  # a new path, not the old episode
    assert np.all(obs[:, -1] == 1.0) and np.all(infos[0]["terminal_observation"][-1] == 0.0)
    # Same root seed, same sequence of episodes.
    again = make_catalog_vec_env("steady", n_envs=20, seed=1, overrides=SHORT)
    np.testing.assert_array_equal(again.reset(), first)
    again.seed(2)
    again.reset()
    assert again.episode_seed not in (seed0, vec.episode_seed)


def test_same_seed_same_rollout() -> None:
    actions = np.random.default_rng(0).uniform(-1, 1, size=(8, 25, 1)).astype(np.float32)

    def rollout(seed: int) -> np.ndarray:
        vec = make_catalog_vec_env("steady", n_envs=25, seed=seed, overrides=SHORT)
        vec.reset()
        return np.stack([vec.step(a)[1] for a in actions])

    first = rollout(3)
    np.testing.assert_array_equal(first, rollout(3))
    assert not np.array_equal(first, rollout(4))


def test_vec_env_attribute_api() -> None:
    vec = make_catalog_vec_env("steady", n_envs=5, seed=0, overrides=SHORT)
    vec.reset()
    assert vec.get_attr("n_skus") == [20] * 5
    assert vec.get_attr("render_mode", indices=[1, 3]) == [None, None]
    assert vec.env_method("seed", 4, indices=[0]) == [[4] * 5]
    assert vec.env_is_wrapped(gymnasium.Wrapper, indices=2) == [False]
    vec.set_attr("info_costs", True)
    assert vec.info_costs is True
    with pytest.raises(InputError, match="every index"):
        vec.set_attr("info_costs", False, indices=[0])
    with pytest.raises(InputError, match="indices"):
        vec.get_attr("n_skus", indices=[9])


@pytest.mark.parametrize(
    "bad", [np.full((5, 1), np.nan), np.zeros((5,)), np.full((5, 1), 1.5), np.zeros((4, 1))]
)
def test_bad_actions_are_input_errors(bad: np.ndarray) -> None:
    vec = make_catalog_vec_env("steady", n_envs=5, seed=0, overrides=SHORT)
    vec.reset()
    with pytest.raises(InputError):
        vec.step(bad)


def test_bad_arguments_are_input_errors() -> None:
    with pytest.raises(InputError, match="n_envs"):
        make_catalog_vec_env("steady", n_envs=0)
    with pytest.raises(InputError, match="no-such"):
        make_catalog_vec_env("no-such")


def _vector(autoreset_mode: str, **kwargs: object) -> CatalogVectorEnv:
    env = gymnasium.make_vec(
        "Restock/Catalog-v0", num_envs=20, overrides=SHORT, autoreset_mode=autoreset_mode, **kwargs
    )
    assert isinstance(env, CatalogVectorEnv)
    return env


def test_same_step_autoreset_puts_the_final_observation_in_info() -> None:
    env = _vector("SameStep", info_costs=True)
    assert env.metadata["autoreset_mode"] == AutoresetMode.SAME_STEP
    env.reset(seed=1)
    seed0 = env.episode_seed
    for _ in range(8):
        obs, rewards, term, trunc, info = env.step(np.zeros((20, 1), dtype=np.float32))
    assert trunc.all() and not term.any() and env.episode_seed != seed0
    assert np.all(obs[:, -1] == 1.0)  # already the next episode's first observation
    assert info["_final_obs"].all() and info["final_obs"].dtype == object
    assert all(env.single_observation_space.contains(o) and o[-1] == 0.0 for o in info["final_obs"])
    assert info["episode_seed"][0] == env.episode_seed and info["_final_info"].all()
    np.testing.assert_array_equal(info["final_info"]["reward"], env.last_cash["reward"])
    assert info["final_info"]["_revenue"].all()
    # The SB3 adapter runs this mode: its terminal observations are the same arrays.
    sb3 = make_catalog_vec_env("steady", n_envs=20, seed=1, overrides=SHORT)
    sb3.reset()
    for _ in range(8):
        obs_s, rewards_s, _, infos = sb3.step(np.zeros((20, 1), dtype=np.float32))
    np.testing.assert_array_equal(rewards_s, rewards)
    np.testing.assert_array_equal(obs_s, obs)
    np.testing.assert_array_equal(
        np.stack([i["terminal_observation"] for i in infos]), np.stack(info["final_obs"])
    )


def test_disabled_autoreset_needs_a_reset_and_info_costs_are_arrays() -> None:
    env = _vector("Disabled", info_costs=True)
    env.reset(seed=2)
    for _ in range(8):
        obs, _, _, trunc, info = env.step(np.zeros((20, 1), dtype=np.float32))
        assert info["reward"].shape == (20,) and info["_reward"].all()
        np.testing.assert_array_equal(info["holding_cost"], env.last_cash["holding_cost"])
    assert trunc.all() and np.all(obs[:, -1] == 0.0)
    with pytest.raises(InputError, match="reset"):
        env.step(np.zeros((20, 1), dtype=np.float32))
    first, _ = env.reset(seed=2)
    again, _ = env.reset(seed=2)
    np.testing.assert_array_equal(first, again)


def test_unseeded_resets_continue_the_episode_sequence() -> None:
    env = _vector("NextStep")
    env.reset(seed=5)
    seeds = [env.episode_seed]
    env.reset()
    seeds.append(env.episode_seed)
    sb3 = make_catalog_vec_env("steady", n_envs=20, seed=5, overrides=SHORT)
    sb3.reset()
    sb3.reset()
    assert sb3.episode_seed == seeds[1] != seeds[0]  # the adapter reads the core's attributes


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"num_envs": 0}, "num_envs"),
        ({"num_envs": 4, "autoreset_mode": "Later"}, "autoreset_mode"),
        ({"num_envs": 4, "render_mode": "human"}, "render_mode"),
        ({"num_envs": 4, "action": {"mode": "magic"}}, "action_mode"),
    ],
)
def test_bad_vector_arguments_are_input_errors(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(InputError, match=match):
        CatalogVectorEnv(scenario="steady", overrides=SHORT, **kwargs)  # type: ignore[arg-type]


def test_bad_vector_reset_and_step_are_input_errors() -> None:
    env = _vector("NextStep")
    with pytest.raises(InputError, match="reset"):
        env.step(np.zeros((20, 1), dtype=np.float32))
    with pytest.raises(InputError, match="seed"):
        env.reset(seed=-1)
    with pytest.raises(InputError, match="options"):
        env.reset(seed=0, options={"path": 1})
    env.reset(seed=0)
    with pytest.raises(InputError, match=r"actions\[3, 0\]"):
        env.step(np.full((20, 1), 2.0, dtype=np.float32) * (np.arange(20) == 3)[:, None])


def _episode(env: CatalogVectorEnv, first: np.ndarray, actions: np.ndarray) -> tuple[np.ndarray, ...]:
    """(observations, rewards) of one whole episode from its first observation, under ``actions``."""
    obs, rewards = [first], []
    for a in actions:
        o, r, _, truncated, _ = env.step(a)
        obs.append(o)
        rewards.append(r)
        if truncated.all():
            return np.stack(obs), np.stack(rewards)
    raise AssertionError("the episode did not end")


def _to_the_end(env: CatalogVectorEnv, actions: np.ndarray) -> np.ndarray:
    """Step to the end of the current episode; the observation of its last step."""
    for a in actions:
        obs, _, _, truncated, _ = env.step(a)
        if truncated.all():
            return obs
    raise AssertionError("the episode did not end")


@pytest.mark.parametrize("engine_options", [{}, {"dtype": "float32"}])
def test_a_reused_env_steps_an_episode_seed_as_a_fresh_env(engine_options: dict[str, str]) -> None:
    # What an env keeps from one episode to the next must not change the next: the episode reached by
    # reset(seed=...) after other episodes, and the one reached by autoreset, equal a fresh env's.
    kw = {"num_envs": 50, "scenario": "steady", "overrides": SHORT, "engine_options": engine_options}
    kw["autoreset_mode"] = "SameStep"  # the last step of an episode returns the next one's start
    actions = np.random.default_rng(1).uniform(-1, 1, size=(9, 50, 1)).astype(np.float32)
    used = CatalogVectorEnv(**kw)  # type: ignore[arg-type]
    used.reset(seed=4)
    _to_the_end(used, actions)  # episode 0 of root 4; SameStep starts episode 1 at its end
    _to_the_end(used, actions[::-1])
    first, _ = used.reset(seed=9)
    seed = used.episode_seed
    again = _episode(used, first, actions)
    fresh = CatalogVectorEnv(**kw)  # type: ignore[arg-type]
    first, _ = fresh.reset(seed=9)
    assert fresh.episode_seed == seed
    for got, want in zip(again, _episode(fresh, first, actions), strict=True):
        np.testing.assert_array_equal(got, want)

    # episode 2 of root 9 (SameStep: the last step of episode 1 returns its first observation), and the
    # same episode after two unseeded resets of a fresh env
    used.reset(seed=9)
    _to_the_end(used, actions)
    start = _to_the_end(used, actions[::-1])
    by_reset = CatalogVectorEnv(**kw)  # type: ignore[arg-type]
    by_reset.reset(seed=9)
    by_reset.reset()
    first, _ = by_reset.reset()
    assert by_reset.episode_seed == used.episode_seed != seed
    np.testing.assert_array_equal(start, first)
    for got, want in zip(_episode(used, start, actions), _episode(by_reset, first, actions), strict=True):
        np.testing.assert_array_equal(got, want)
