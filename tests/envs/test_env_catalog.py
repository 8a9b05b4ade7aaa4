"""Catalog-v0: parity with SingleSKU-v0 on the same paths, SB3 auto-reset semantics, the VecEnv API."""

from __future__ import annotations

import gymnasium
import numpy as np
import pytest

from restock.envs import make_catalog_vec_env
from restock.envs.catalog import CatalogVecEnv
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
    env = SingleSkuEnv("steady", sku=sku, overrides=SHORT, action_mode=mode)  # type: ignore[arg-type]
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
    vec = make_catalog_vec_env("steady", n_envs=43, seed=11, overrides=SHORT, action_mode=mode)
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
