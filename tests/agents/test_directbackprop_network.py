"""DirectBackprop on a network: one decision per (path, SKU) for every node, profit differentiated through
transfers and rationing; the trained policy acts the same through the Policy protocol (on des) as in its
training rollouts (on the batch network engine)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from restock.agents.directbackprop.network import PolicyNetwork
from restock.agents.directbackprop.policy import DirectBackpropPolicy, load_checkpoint
from restock.agents.directbackprop.rollout import make_episode, rollout
from restock.agents.evaluate import draw_episode
from restock.agents.evaluate import rollout as policy_rollout
from restock.agents.training import TrainSpec, load_policy, train
from restock.envs.core import load_scenario
from restock.envs.features import ObservationConfig
from restock.envs.observer import node_feature_names

SCENARIO = "warehouse-3fc"
NODES = ["dc", "fc1", "fc2", "fc3"]


def network(seed: int = 0) -> PolicyNetwork:
    torch.manual_seed(seed)
    net = PolicyNetwork(node_feature_names(NODES, ObservationConfig()), (8,), n_nodes=4)
    net.set_level(torch.tensor([6.0, 2.0, 2.0, 2.0]))
    return net


def test_the_inputs_are_every_nodes_features_node_after_node() -> None:
    names = node_feature_names(NODES, ObservationConfig())
    assert len(names) == 4 * len(node_feature_names(["dc"], ObservationConfig()))
    assert names[0] == "dc/net_inventory" and names[len(names) // 4] == "fc1/net_inventory"


def test_the_policy_acts_on_des_as_the_training_rollout_on_the_network_engine() -> None:
    sc = load_scenario(SCENARIO, None)
    net = network()
    ep = make_episode(sc, 7, 3, ObservationConfig(), "cpu")
    trained_view = rollout(net, ep, grad=False)
    policy = DirectBackpropPolicy(net, ObservationConfig())
    on_des = policy_rollout(policy, draw_episode(sc, 7, 3), engine="des", record=False)
    reward = on_des.totals["reward"].sum(axis=1).reshape(-1)  # [P, M, N] -> per (path, SKU)
    np.testing.assert_allclose(trained_view.totals["reward"].numpy(), reward, rtol=1e-9)


def test_profit_gradient_reaches_every_layer_through_the_network() -> None:
    sc = load_scenario(SCENARIO, None)
    ep = make_episode(sc, 1, 8, ObservationConfig(), "cpu", periods=70)
    net = network()
    res = rollout(net, ep, skip=7, grad=True)
    (-res.totals["reward"].mean()).backward()
    grads = [p.grad for p in net.parameters()]
    assert all(g is not None and bool(torch.isfinite(g).all()) and float(g.abs().sum()) > 0 for g in grads)


@pytest.mark.slow
def test_training_on_a_network_improves_on_its_start_and_reloads(tmp_path: Path) -> None:
    options = {
        "n_paths": 16,
        "rollout_periods": 84,
        "hidden": [16],
        "lr": 0.02,
        "lr_final": 0.005,
        "eval_every": 5,
        "eval_paths": 16,
        "final_eval_paths": 16,
        "train_episodes": 2,
        "threads": 1,
    }
    reviews = 12
    spec = TrainSpec(
        agent="directbackprop",
        scenario=SCENARIO,
        timesteps=20 * 16 * reviews,
        seed=0,
        options=options,
    )
    run = tmp_path / "run"
    train(spec, run_dir=run, progress=False)
    net, _, data = load_checkpoint(run / "checkpoints" / "best.pt")
    assert net.n_nodes == 4 and data["meta"]["nodes"] == NODES
    history = data["history"]
    assert history[-1]["eval_profit_per_period"] >= history[0]["eval_profit_per_period"]
    policy = load_policy(run)
    sc = load_scenario(SCENARIO, None)
    out = policy_rollout(policy, draw_episode(sc, 123, 2), engine="batch", record=False)
    assert np.isfinite(out.totals["reward"]).all()
