"""One action per source: Catalog-v0 on a node with a regular and an expedited vendor (dual sourcing)."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import restock.envs  # noqa: F401  (registers the env ids)
from restock.agents.baselines.sourcing import DualIndexPolicy
from restock.agents.evaluate import draw_episode
from restock.agents.evaluate import rollout as evaluate_rollout
from restock.agents.training import TrainSpec, load_policy, train
from restock.envs.core import load_scenario
from restock.errors import InputError

DUAL = ["family.instance=L2-c105", "horizon=60"]


def test_catalog_orders_from_each_source_in_the_dual_index_form() -> None:
    """Constant actions whose levels are Se = 2 (expedited) and Sr = 9 (whole position) run exactly the
    dual-index policy: the env's profit equals the policy's on the same paths."""
    env = gym.make_vec("Restock/Catalog-v0", num_envs=3, scenario="dual-sourcing", overrides=DUAL)
    core = env.unwrapped
    assert env.single_action_space.shape == (2,)
    env.reset(seed=5)
    maps = core.action_maps[0]
    s = core.observers[0].static.scale
    ((lead, cover_e),) = maps.extra
    assert lead == 0  # the expedited vendor's lead time
    action = np.stack([2 * 9.0 / (maps.cover * s) - 1, 2 * 2.0 / (cover_e * s) - 1], axis=1)
    profit = np.zeros(3)
    expedited = 0.0
    while True:
        _, _, _, truncated, _ = env.step(action.astype(np.float32))
        profit += core.last_cash["reward"]
        expedited += core.last_orders[:, 1].sum()
        if truncated.all():
            break
    assert expedited > 0
    episode = draw_episode(load_scenario("dual-sourcing", DUAL), core.episode_seed, 3)
    policy = DualIndexPolicy(expedited_level=2.0, regular_level=9.0)
    totals = evaluate_rollout(policy, episode, engine="batch", record=False).totals
    np.testing.assert_allclose(profit, np.asarray(totals["reward"]).reshape(-1), rtol=1e-9, atol=1e-6)


def test_quantity_mode_orders_from_every_source_on_its_own() -> None:
    """u x max_multiple x s per source: a = 0 (u = 1/2) and a = -1/2 (u = 1/4) with s = 2, max_multiple 4."""
    env = gym.make_vec(
        "Restock/Catalog-v0",
        num_envs=2,
        scenario="dual-sourcing",
        overrides=DUAL,
        action={"mode": "quantity"},
    )
    env.reset(seed=0)
    env.step(np.array([[0.0, -0.5]] * 2, np.float32))
    core = env.unwrapped
    assert np.all(core.observers[0].static.scale == 2.0)
    np.testing.assert_allclose(core.last_orders[:, :, 0], [[4.0, 2.0], [4.0, 2.0]])


def test_a_single_source_env_refuses_extra_vendors_and_service_quantiles_take_one_source() -> None:
    with pytest.raises(InputError, match="SingleSKU-v0 orders from one source"):
        gym.make("Restock/SingleSKU-v0", scenario="dual-sourcing", overrides=DUAL)
    with pytest.raises(InputError, match="'service_quantile' takes one source per node"):
        gym.make_vec(
            "Restock/Catalog-v0",
            num_envs=2,
            scenario="dual-sourcing",
            overrides=DUAL,
            action={"mode": "service_quantile"},
        )
    env = gym.make_vec("Restock/Catalog-v0", num_envs=2, scenario="dual-sourcing", overrides=DUAL)
    env.reset(seed=0)
    with pytest.raises(InputError, match=r"actions must have shape \(2, 2\)"):
        env.step(np.zeros((2, 1), np.float32))


def test_ppo_learns_one_action_per_source_and_is_judged_on_both(tmp_path: Path) -> None:
    spec = TrainSpec(
        agent="ppo",
        scenario="dual-sourcing",
        timesteps=32 * 8 * 2,
        seed=0,
        scenario_overrides=tuple(DUAL),
        options={"torch_threads": 1, "figure_skus": 0, "eval_paths": 2, "n_envs": 32, "n_steps": 8},
    )
    run_dir = train(spec, root=tmp_path, progress=False)
    policy = load_policy(run_dir)
    assert policy.model.action_space.shape == (2,)
    episode = draw_episode(load_scenario("dual-sourcing", DUAL), 123, 2)
    result = evaluate_rollout(policy, episode, engine="des").result
    assert result is not None
    orders = result.events[result.events["kind"] == "order"]
    assert set(orders["peer"]) <= {"regular", "expedited"} and len(orders) > 0
    with pytest.raises(InputError, match="several vendors"):
        evaluate_rollout(AsOneSource(policy), episode, engine="batch", record=False)


class AsOneSource:
    """A policy asked for one order per node only (``act``), as an old caller would ask."""

    def __init__(self, policy: object) -> None:
        self.act = policy.act  # type: ignore[attr-defined]
