"""NetworkCatalog-v0: parity with Network-v0 (des) on the same paths and actions, node actions, errors."""

from __future__ import annotations

from typing import Any

import gymnasium
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode

from restock.envs import make_catalog_vec_env, make_network_catalog_vec_env
from restock.envs.actions import ActionConfig
from restock.envs.network import NetworkEnv
from restock.envs.network_catalog import NetworkCatalogVecEnv, NetworkCatalogVectorEnv
from restock.errors import InputError
from restock.scenarios import from_raw, read_raw

SHORT = {"horizon": 56}


def _steady_network(dc_backorder: bool) -> Any:
    """``steady`` (20 SKUs) over a warehouse feeding two FCs, 56 days; the warehouse may backorder."""
    raw, _ = read_raw("steady")
    fc = {"source": "dc", "transfer_lead_time": 2, "initial_cover": 7.0}
    raw = {
        **raw,
        "horizon": 56,
        "nodes": [
            {
                "name": "dc",
                "source": "vendor",
                "customer_facing": False,
                "initial_cover": 14.0,
                "backorder": dc_backorder,
            },
            {"name": "fc1", **fc, "demand_share": 0.6},
            {"name": "fc2", **fc, "demand_share": 0.4},
        ],
    }
    return from_raw(raw, "steady-network")


def _actions(n_steps: int, n: int, m: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1, 1, size=(n_steps, n, m)).astype(np.float32)


def _vec_returns(vec: NetworkCatalogVecEnv, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """(scaled returns, unscaled profits, episode seed) of one episode at the given actions per step."""
    vec.reset()
    seed = vec.episode_seed
    assert seed is not None
    total, profit = np.zeros(vec.num_envs), np.zeros(vec.num_envs)
    for a in actions:
        _, rewards, dones, _ = vec.step(a)
        total += rewards
        profit += vec.last_cash["reward"]
        if dones.all():
            return total, profit, seed
    raise AssertionError("the episode did not end")


def _network_return(
    scenario: Any, sku: int, actions: np.ndarray, seed: int, n_paths: int, path: int, mode: str
) -> tuple[float, float]:
    env = NetworkEnv(scenario, sku=sku, action=ActionConfig(mode=mode), engine="des")  # type: ignore[arg-type]
    env.reset(options={"episode_seed": seed, "n_paths": n_paths, "path": path})
    total, profit = 0.0, 0.0
    for a in actions:
        _, r, _, trunc, info = env.step(a)
        total += r
        profit += info["reward"]
        if trunc:
            return total, profit
    raise AssertionError("the episode did not end")


@pytest.mark.parametrize(
    ("mode", "dc_backorder"),
    [("order_up_to", False), ("service_quantile", True), ("quantity", False)],
)
def test_returns_match_network_v0_on_des_for_every_sku_and_path(mode: str, dc_backorder: bool) -> None:
    scenario = _steady_network(dc_backorder)
    n = 43  # 20 SKUs: three paths, the third one partly shown
    vec = make_network_catalog_vec_env(scenario, n_envs=n, seed=11, action=ActionConfig(mode=mode))  # type: ignore[arg-type]
    assert vec.n_paths == 3 and vec.action_space.shape == (3,) and vec.observation_space.shape == (90,)
    actions = _actions(8, n, 3, seed=1)
    returns, profits, seed = _vec_returns(vec, actions)
    s = vec.n_skus
    for i in (0, 7, s + 3, 2 * s + 2):  # (path 0, SKU 0), (path 0, SKU 7), paths 1 and 2
        path, sku = divmod(i, s)
        want_return, want_profit = _network_return(
            scenario, sku, actions[:, i], seed, vec.n_paths, path, mode
        )
        assert profits[i] == pytest.approx(want_profit, rel=1e-9, abs=1e-9)  # float64 money
        assert returns[i] == pytest.approx(want_return, rel=1e-6)  # SB3 rewards are float32


def test_default_scenario_is_warehouse_3fc_and_matches_network_v0_path_by_path() -> None:
    n = 5
    vec = make_network_catalog_vec_env(n_envs=n, seed=2)
    assert vec.node_names == ["dc", "fc1", "fc2", "fc3"] and vec.n_skus == 1 and vec.n_paths == n
    reference = NetworkEnv()
    assert vec.feature_names == reference.feature_names
    assert vec.observation_space == reference.observation_space
    actions = _actions(len(reference.world.review_periods()), n, 4, seed=3)
    returns, profits, seed = _vec_returns(vec, actions)
    for path in (0, 4):
        want_return, want_profit = _network_return(None, 0, actions[:, path], seed, n, path, "order_up_to")
        assert profits[path] == pytest.approx(want_profit, rel=1e-9)
        assert returns[path] == pytest.approx(want_return, rel=1e-6)


def test_observations_are_every_nodes_features_and_rewards_the_whole_networks_profit() -> None:
    env = gymnasium.make_vec("Restock/NetworkCatalog-v0", num_envs=3, info_costs=True)
    assert isinstance(env, NetworkCatalogVectorEnv)
    obs, _ = env.reset(seed=4)
    reference = NetworkEnv()
    ref_obs, _ = reference.reset(options={"episode_seed": env.episode_seed, "n_paths": 3, "path": 1})
    np.testing.assert_allclose(obs[1], ref_obs, rtol=1e-6)
    # The warehouse orders a lot, the FCs nothing: only the vendor order is placed, at every path.
    action = np.tile(np.array([1.0, -1.0, -1.0, -1.0], dtype=np.float32), (3, 1))
    _, rewards, _, _, info = env.step(action)
    assert (env.last_orders[:, 0, 0] > 0).all() and (env.last_orders[:, 1:, 0] == 0).all()
    profit = info["revenue"] + info["salvage"]
    profit -= info["purchase_cost"] + info["holding_cost"] + info["penalty_cost"] + info["fixed_order_cost"]
    np.testing.assert_allclose(info["reward"], profit)
    np.testing.assert_allclose(rewards, info["reward"] / env.reward_div, rtol=1e-6)


def test_sb3_adapter_steps_like_the_vector_env_in_same_step_mode() -> None:
    env = gymnasium.make_vec("Restock/NetworkCatalog-v0", num_envs=4, autoreset_mode="SameStep")
    env.reset(seed=9)
    sb3 = make_network_catalog_vec_env(n_envs=4, seed=9)
    sb3.reset()
    actions = _actions(26, 4, 4, seed=5)
    for a in actions:
        obs, rewards, _, trunc, info = env.step(a)
        obs_s, rewards_s, dones, infos = sb3.step(a)
        np.testing.assert_array_equal(rewards_s, rewards)
        np.testing.assert_array_equal(obs_s, obs)
    assert trunc.all() and dones.all() and env.metadata["autoreset_mode"] == AutoresetMode.SAME_STEP
    np.testing.assert_array_equal(
        np.stack([i["terminal_observation"] for i in infos]), np.stack(info["final_obs"])
    )
    assert all(i["TimeLimit.truncated"] for i in infos)


def test_ppo_collects_and_predicts_one_action_per_node() -> None:
    from stable_baselines3 import PPO
    from stable_baselines3.common.vec_env import VecMonitor

    vec = VecMonitor(make_network_catalog_vec_env(n_envs=8, seed=0, overrides={"horizon": 14}))
    model = PPO("MlpPolicy", vec, n_steps=3, batch_size=24, n_epochs=1, seed=0, device="cpu")
    model.learn(total_timesteps=3 * 8)  # one rollout of 3 steps crosses an episode end (2 reviews)
    assert model.ep_info_buffer is not None and len(model.ep_info_buffer) > 0
    action, _ = model.predict(vec.reset(), deterministic=True)
    assert action.shape == (8, 4) and np.all(np.abs(action) <= 1)


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        (np.zeros((5, 1)), "shape"),
        (np.zeros((5,)), "shape"),
        (np.full((5, 4), 1.5), r"actions\[0, 0\]"),
        (np.zeros((5, 4)) + np.where(np.arange(20).reshape(5, 4) == 14, np.nan, 0.0), r"actions\[3, 2\]"),
    ],
)
def test_bad_actions_are_input_errors_naming_the_entry(bad: np.ndarray, match: str) -> None:
    env = NetworkCatalogVectorEnv(num_envs=5, overrides=SHORT)
    env.reset(seed=0)
    with pytest.raises(InputError, match=match):
        env.step(bad)
    vec = make_network_catalog_vec_env(n_envs=5, overrides=SHORT)
    vec.reset()
    with pytest.raises(InputError, match="shape" if match == "shape" else "finite"):
        vec.step(bad)


def test_a_one_node_scenario_names_catalog_v0_and_a_network_names_network_catalog_v0() -> None:
    with pytest.raises(InputError, match=r"NetworkCatalog-v0.*>= 2 nodes.*Restock/Catalog-v0"):
        NetworkCatalogVectorEnv(num_envs=4, scenario="steady")
    with pytest.raises(InputError, match=r"one-node network.*Restock/NetworkCatalog-v0"):
        make_catalog_vec_env("warehouse-3fc", n_envs=4)
    with pytest.raises(InputError, match="make_vec"):
        gymnasium.make("Restock/NetworkCatalog-v0")
    with pytest.raises(InputError, match=r"NetworkCatalog-v0: num_envs"):
        NetworkCatalogVectorEnv(num_envs=0)
    with pytest.raises(InputError, match="reward_scale"):
        NetworkCatalogVectorEnv(num_envs=2, reward_scale=-1.0)
