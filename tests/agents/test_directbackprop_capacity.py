"""DirectBackprop with a learned capacity price: a catalog whose orders share one inbound limit."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from restock import seeding
from restock.agents.directbackprop.config import DirectBackpropConfig
from restock.agents.directbackprop.network import PolicyNetwork
from restock.agents.directbackprop.rollout import make_episode, rollout
from restock.agents.evaluate import draw_episode
from restock.agents.evaluate import rollout as evaluate_rollout
from restock.agents.training import TrainSpec, load_policy, train
from restock.envs.core import load_scenario
from restock.envs.features import ObservationConfig, feature_names
from restock.errors import InputError

SMALL = ("catalog.n_skus=12", "nodes.0.inbound_capacity=420.0", "seeds.n_paths=4")
"""12 SKUs of mean demand about 10 a day share a dock of 420 units a week (well below the ~840 they sell)."""


def _net(price: tuple[int, ...] | None = (4,)) -> PolicyNetwork:
    torch.manual_seed(0)
    return PolicyNetwork(feature_names(ObservationConfig()), (8,), capacity_price=price)


def test_the_price_is_zero_without_a_limit_and_one_per_path_with_one() -> None:
    net = _net()
    names = net.names
    obs = torch.rand((6, len(names)), dtype=torch.float64)  # 2 paths x 3 SKUs, path-major
    scale = torch.full((6,), 2.0, dtype=torch.float64)
    free = net(obs, scale)
    unlimited = net(obs, scale, torch.full((2,), float("inf"), dtype=torch.float64))
    torch.testing.assert_close(free, unlimited)  # inf: the review has no limit, lambda = 0
    x = (obs * net.mask - net.mean) / net.std
    lam = net.capacity_price(x, obs, scale, torch.tensor([1.0, float("inf")], dtype=torch.float64))
    assert torch.all(lam[:3] > 0) and torch.all(lam[:3] == lam[0]) and torch.all(lam[3:] == 0)
    tight = net(obs, scale, torch.tensor([1.0, float("inf")], dtype=torch.float64))
    assert not torch.equal(tight[:3], free[:3]) and torch.equal(tight[3:], free[3:])
    with pytest.raises(ValueError, match="do not split into 4 paths"):
        net(obs, scale, torch.ones(4, dtype=torch.float64))


def test_the_untrained_price_is_near_zero_and_reads_the_capacity() -> None:
    """The untrained price is near 0 and reads the request against the capacity (log ratio): it is not
    constant in the capacity."""
    net = _net()
    obs = torch.rand((3, len(net.names)), dtype=torch.float64)
    scale = torch.ones(3, dtype=torch.float64)
    x = (obs * net.mask - net.mean) / net.std
    prices = [
        float(net.capacity_price(x, obs, scale, torch.tensor([c], dtype=torch.float64))[0].detach())
        for c in (0.5, 5.0)
    ]
    assert 0 < min(prices) < 0.2 and prices[0] != prices[1]


def test_profit_backpropagates_into_the_price_through_the_engines_cut() -> None:
    """On a catalog whose orders exceed the dock, d profit / d (price parameters) is not zero: the cut
    the engine makes reaches the price through the orders it sets."""
    sc = load_scenario("capacitated-catalog", list(SMALL))
    obs_config = ObservationConfig()
    episode = make_episode(sc, 0, 2, obs_config, "cpu", periods=28)
    net = _net()
    net.set_level(3.0)  # a high level: the catalog asks for more than the dock takes
    res = rollout(net, episode, grad=True)
    res.totals["reward"].sum().backward()
    assert net.price is not None
    grads = [p.grad for p in net.price.parameters()]
    assert all(g is not None for g in grads)
    assert sum(float(g.abs().sum()) for g in grads if g is not None) > 0


def test_capacity_price_option_is_checked() -> None:
    assert DirectBackpropConfig.from_options({"capacity_price": []}).capacity_price == ()
    assert DirectBackpropConfig.from_options({"capacity_price": 8}).capacity_price == (8,)
    with pytest.raises(InputError, match="'capacity_price' must be a list of positive integers"):
        DirectBackpropConfig.from_options({"capacity_price": [0]})
    with pytest.raises(InputError, match="'capacity_price' must be a list of positive integers"):
        DirectBackpropConfig.from_options({"capacity_price": "wide"})


FAST = {
    "n_paths": 8,
    "rollout_periods": 84,
    "hidden": [16, 16],
    "eval_every": 5,
    "eval_paths": 8,
    "final_eval_paths": 8,
    "train_episodes": 2,
    "threads": 1,
}


def test_a_trained_run_keeps_its_price_and_acts_the_same_after_loading(tmp_path: Path) -> None:
    spec = TrainSpec(
        agent="directbackprop",
        scenario="capacitated-catalog",
        timesteps=2 * 8 * 12 * 12,  # 2 iterations of 12 reviews
        seed=0,
        scenario_overrides=SMALL,
        options=FAST,
    )
    run_dir = train(spec, root=tmp_path, progress=False)
    policy = load_policy(run_dir)
    assert policy.net.price is not None
    sc = load_scenario("capacitated-catalog", list(SMALL))
    ep = draw_episode(sc, seeding.eval_seed(0), 2)
    batch = evaluate_rollout(policy, ep, engine="batch").result
    des = evaluate_rollout(policy, ep, engine="des").result
    assert batch is not None and des is not None
    np.testing.assert_allclose(batch.records["ordered"], des.records["ordered"], rtol=1e-9, atol=1e-9)
    off = train(
        dataclasses.replace(spec, options={**FAST, "capacity_price": []}),
        root=tmp_path / "off",
        progress=False,
    )
    assert load_policy(off).net.price is None
    assert pd.read_csv(off / "kpis.csv").iloc[0]["iterations"] == 2
