"""DirectBackprop's ``agent.terminal_value``: the training loss values the stock at the end of a training
episode at its salvage value (``salvage``, the simulator's profit) or at its unit cost (``cost``)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch

from restock.agents.directbackprop import train as dbp_train
from restock.agents.directbackprop.config import DirectBackpropConfig
from restock.agents.directbackprop.rollout import Episode, make_episode, rollout
from restock.agents.training import TrainSpec, train
from restock.envs.core import load_scenario
from restock.envs.features import ObservationConfig
from restock.errors import InputError

ZIPKIN = ("family.instance=p4-L1", "horizon=40")
KEYS = ("reward", "revenue", "purchase_cost", "holding_cost", "penalty_cost", "salvage")


class Constant(torch.nn.Module):
    """Orders ``quantity`` at every review (more than the mean demand of 5: stock builds up)."""

    price = None

    def __init__(self, quantity: float) -> None:
        super().__init__()
        self.quantity = quantity

    def forward(self, obs: torch.Tensor, scale: torch.Tensor, capacity: object = None) -> torch.Tensor:
        return torch.full_like(scale, self.quantity)


def priced_episode() -> Episode:
    """A Zipkin draw of 4 paths cut to 12 periods, with unit cost 2 and salvage value 0.5."""
    ep = make_episode(
        load_scenario("zipkin-lost-sales", list(ZIPKIN)), 0, 4, ObservationConfig(), "cpu", periods=12
    )
    econ = dataclasses.replace(ep.world.economics, unit_cost=np.array([2.0]), salvage_value=np.array([0.5]))
    return dataclasses.replace(ep, world=dataclasses.replace(ep.world, economics=econ))


def test_cost_terminal_value_books_the_end_stock_at_unit_cost() -> None:
    ep = priced_episode()
    at_cost = dbp_train.terminal_at_cost(ep)
    assert at_cost.world.economics.salvage_value.tolist() == [2.0]
    assert ep.world.economics.salvage_value.tolist() == [0.5]  # the original is left as it is
    a = rollout(Constant(8.0), ep, grad=False, keys=KEYS).totals  # type: ignore[arg-type]
    b = rollout(Constant(8.0), at_cost, grad=False, keys=KEYS).totals  # type: ignore[arg-type]
    end_stock = a["salvage"] / 0.5  # units on hand at the end of period 12, per path
    assert bool((end_stock > 10).all())  # 12 x 8 ordered against ~12 x 5 demanded
    for k in ("revenue", "purchase_cost", "holding_cost", "penalty_cost"):
        torch.testing.assert_close(a[k], b[k])  # the same orders, the same flows
    torch.testing.assert_close(b["salvage"], 2.0 * end_stock)
    # the known answer: the profit the loss uses rises by (unit cost - salvage value) x the end stock
    torch.testing.assert_close(b["reward"] - a["reward"], 1.5 * end_stock)


def test_training_episodes_only_are_valued_at_cost(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[bool, float, float]] = []
    real = dbp_train.rollout

    def recording(net, episode, **kwargs):  # type: ignore[no-untyped-def]
        e = episode.world.economics
        training = kwargs["grad"] or kwargs.get("collect_obs") is not None  # the loss, the input statistics
        seen.append((training, float(e.salvage_value[0]), float(e.unit_cost[0])))
        return real(net, episode, **kwargs)

    def priced(*args, **kwargs):  # type: ignore[no-untyped-def]
        ep = make_episode(*args, **kwargs)
        econ = dataclasses.replace(
            ep.world.economics, unit_cost=np.array([2.0]), salvage_value=np.array([0.5])
        )
        return dataclasses.replace(ep, world=dataclasses.replace(ep.world, economics=econ))

    monkeypatch.setattr(dbp_train, "rollout", recording)
    monkeypatch.setattr(dbp_train, "make_episode", priced)
    options = {"n_paths": 8, "rollout_periods": 20, "hidden": [4], "time_features": False, "eval_every": 2}
    options |= {"eval_paths": 4, "final_eval_paths": 4, "threads": 1, "terminal_value": "cost"}
    spec = TrainSpec("directbackprop", "zipkin-lost-sales", 2 * 8 * 20, 0, tuple(ZIPKIN), options=options)
    train(spec, root=tmp_path, progress=False)
    assert {s[1:] for s in seen if s[0]} == {(2.0, 2.0)}  # training episodes: end stock at unit cost
    assert {s[1:] for s in seen if not s[0]} == {(0.5, 2.0)}  # selection and final evaluation: as it is


def test_terminal_value_is_salvage_by_default_and_checked() -> None:
    assert DirectBackpropConfig().terminal_value == "salvage"
    assert DirectBackpropConfig.from_options({"terminal_value": "cost"}).to_dict()["terminal_value"] == "cost"
    with pytest.raises(InputError, match="'terminal_value' must be 'salvage' or 'cost', got 'market'"):
        DirectBackpropConfig.from_options({"terminal_value": "market"})
