"""SB3 trains on the envs as they are (the agents' training CLI relies on this)."""

from __future__ import annotations

import numpy as np
from stable_baselines3 import PPO
from stable_baselines3.common.vec_env import VecMonitor

from restock.envs import make_catalog_vec_env
from restock.envs.single_sku import SingleSkuEnv


def test_ppo_collects_and_updates_on_catalog_with_auto_reset() -> None:
    vec = VecMonitor(make_catalog_vec_env("steady", n_envs=20, seed=0, overrides={"horizon": 14}))
    model = PPO("MlpPolicy", vec, n_steps=3, batch_size=60, n_epochs=1, seed=0, device="cpu")
    model.learn(total_timesteps=3 * 20)  # one rollout of 3 steps crosses an episode end (2 reviews)
    assert model.ep_info_buffer is not None and len(model.ep_info_buffer) > 0  # VecMonitor saw episodes
    obs = vec.reset()
    assert isinstance(obs, np.ndarray)
    action, _ = model.predict(obs, deterministic=True)
    assert action.shape == (20, 1) and np.all(np.abs(action) <= 1)


def test_ppo_policy_runs_on_single_sku() -> None:
    env = SingleSkuEnv("steady", overrides={"horizon": 28})
    model = PPO("MlpPolicy", env, n_steps=8, batch_size=8, n_epochs=1, seed=0, device="cpu")
    model.learn(total_timesteps=8)
    obs, _ = env.reset(seed=0)
    action, _ = model.predict(obs, deterministic=True)
    assert env.action_space.contains(action)
