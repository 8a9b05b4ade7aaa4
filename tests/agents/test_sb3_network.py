"""SB3 on a network: ``restock train --agent ppo --scenario warehouse-3fc`` trains on NetworkCatalog-v0,
evaluates on held-out paths with every node's action map, and ``restock evaluate --policies <run>`` runs
the trained network policy (one decision per review for all nodes).

A tiny budget (two PPO rollouts of 32 sub-environments) on a 56-day horizon keeps it fast.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from restock.agents import training
from restock.agents.evaluate import evaluate
from restock.agents.sb3.config import parse_options
from restock.agents.sb3.evaluation import HeldOut, kpis, model_rule, rollout
from restock.agents.sb3.train import SB3Policy, setup
from restock.envs.actions import ActionConfig
from restock.envs.core import load_scenario, numpy_state
from restock.envs.features import ObservationConfig
from restock.errors import InputError
from restock.simulator.engines import make_engine

TINY = (
    "--timesteps", "512", "--set", "agent.n_envs=32", "--set", "agent.n_steps=8",
    "--set", "agent.torch_threads=1", "--set", "agent.figure_skus=1", "--set", "agent.eval_paths=2",
    "--set", "horizon=56", "--no-progress",
)  # fmt: skip


@pytest.fixture
def cli(run_cli):  # type: ignore[no-untyped-def]
    return run_cli("train", "evaluate")


def test_ppo_trains_and_evaluates_on_warehouse_3fc(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = cli("train", "--agent", "ppo", "--scenario", "warehouse-3fc", "--root", str(tmp_path), *TINY)
    assert out.returncode == 0, out.stderr
    (run,) = tmp_path.iterdir()
    assert run.name.startswith("warehouse-3fc__ppo__s0__") and f"run folder: {run}" in out.stdout
    # The run folder explains itself; every evaluation's KPIs are finite.
    meta = json.loads((run / "run.json").read_text())
    assert meta["config"]["scenario"] == "warehouse-3fc" and meta["config"]["scenario_overrides"] == [
        "horizon=56"
    ]
    assert json.loads((run / "agent.json").read_text())["algorithm"] == "PPO"
    assert json.loads((run / "checkpoints" / "state.json").read_text())["finished"]
    assert (run / "checkpoints" / "best.zip").is_file() and list((run / "tb").glob("events.out.tfevents.*"))
    rows = pd.read_csv(run / "kpis.csv")
    assert rows["timesteps"].tolist()[0] == 0 and rows["timesteps"].iloc[-1] >= 512
    for key in ("profit", "newsvendor_profit", "saving_vs_newsvendor", "fill_rate", "avg_on_hand"):
        assert np.isfinite(rows[key]).all(), key
    assert (rows["newsvendor_profit"] > 0).all() and (rows["fill_rate"] > 0.5).all()
    # The loaded policy acts on every node at once, as it was evaluated during training.
    policy = training.load_policy(run)
    assert isinstance(policy, SB3Policy) and policy.n_nodes == 4
    spec = training.saved_spec(run)
    view = setup(spec, parse_options(spec.agent, spec.options)).eval_view
    assert view.n_nodes == 4 and math.isclose(
        kpis(rollout(view, policy))["profit"],
        json.loads((run / "checkpoints" / "best.json").read_text())["profit"],
        rel_tol=1e-9,
    )
    with pytest.raises(InputError, match="act_network"):
        policy.act(view.observers[0], numpy_state(make_engine("batch", view.world, view.paths).reset()))
    # restock evaluate --policies <run> on the network scenario, on both engines.
    args = ("evaluate", "--scenario", "warehouse-3fc", "--set", "horizon=56", "--seeds", "1", "--json")
    profits = []
    for engine in ("des", "batch"):
        res = cli(*args, "--policies", f"newsvendor,{run}", "--engine", engine)
        assert res.returncode == 0, res.stderr
        summary = {r["policy"]: r for r in json.loads(res.stdout)["summary"]}
        mine = summary[str(run)]
        assert all(math.isfinite(mine[k]) for k in ("profit", "saving_vs_newsvendor", "fill_rate"))
        profits.append(mine["profit"])
    assert profits[0] == pytest.approx(profits[1], rel=1e-9)  # des and batch agree on the same paths


def test_model_rule_maps_each_nodes_action_through_that_nodes_map() -> None:
    # A fake model: action a_m = (m - 1.5) / 2 at node m, in quantity mode (order = u * 4 * s_m).
    class Fixed:
        from gymnasium import spaces

        observation_space = spaces.Box(-1e7, 1e7, shape=(120,))
        action_space = spaces.Box(-1, 1, shape=(4,))

        def predict(self, obs: np.ndarray, deterministic: bool = True) -> tuple[np.ndarray, None]:
            assert obs.shape[1] == 120
            return np.tile((np.arange(4) - 1.5) / 2, (obs.shape[0], 1)), None

    held = HeldOut(load_scenario("warehouse-3fc", ["horizon=28"]), 1_000_003, 2)
    view = held.view(ObservationConfig(), ActionConfig(mode="quantity"))
    state = numpy_state(make_engine("batch", view.world, view.paths).reset())
    orders = model_rule(Fixed(), view.action_maps).act_network(view.observers, state)
    u = ((np.arange(4) - 1.5) / 2 + 1) / 2
    want = np.stack([u[m] * 4.0 * view.observers[m].static.scale for m in range(4)])
    np.testing.assert_allclose(orders, want)
    trace = rollout(view, model_rule(Fixed(), view.action_maps))
    assert trace.orders.shape == (4, 4 * 2) and trace.n_nodes == 4  # 4 reviews, 4 nodes x 2 paths
    np.testing.assert_allclose(trace.orders[0], want.reshape(-1))
    # The one engine adapter evaluates it the same way (evaluate() with the des engine).
    policy = SB3Policy(Fixed(), ActionConfig(mode="quantity"), name="fixed")
    ev = evaluate([policy], load_scenario("warehouse-3fc", ["horizon=28"]), 1)
    assert set(ev.rows["policy"]) == {"newsvendor", "fixed"} and np.isfinite(ev.rows["profit"]).all()


def test_network_orders_of_the_wrong_shape_or_invalid_are_input_errors() -> None:
    class Joint:
        def __init__(self, orders: np.ndarray) -> None:
            self.name, self.orders = "joint", orders

        def act_network(self, observers: object, state: object) -> np.ndarray:
            return self.orders

    scenario = load_scenario("warehouse-3fc", ["horizon=14"])
    with pytest.raises(InputError, match=r"'joint' returned network orders of shape \(3, 1\)"):
        evaluate([Joint(np.zeros((3, 1)))], scenario, 1)
    with pytest.raises(InputError, match=r"'joint' returned an invalid order .*nan"):
        evaluate([Joint(np.array([[0.0], [np.nan], [0.0], [0.0]]))], scenario, 1)
    ev = evaluate([Joint(np.zeros((4, 1)))], scenario, 1)
    assert ev.rows.set_index("policy").loc["joint", "purchase_cost"] == 0.0
