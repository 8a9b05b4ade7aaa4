"""SB3 training on Catalog-v0: learning, TensorBoard eval/ scalars, checkpoints, resume, bad input.

Short budgets (a few PPO updates on small VecEnvs) keep the default set fast; torch runs on one thread
(``agent.torch_threads=1``), several times faster than the default on a small shared CPU.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from restock.agents import training
from restock.agents.sb3 import callbacks
from restock.agents.sb3.callbacks import KpiEvalCallback
from restock.agents.sb3.config import parse_options
from restock.agents.sb3.evaluation import HeldOut, kpis, model_rule, newsvendor_rule, rollout
from restock.agents.sb3.train import SB3Policy
from restock.envs.actions import ActionConfig
from restock.envs.features import ObservationConfig
from restock.errors import InputError

FAST = {"torch_threads": 1, "figure_skus": 2, "eval_paths": 2}


def _spec(agent: str = "ppo", timesteps: int = 2048, **options: object) -> training.TrainSpec:
    return training.TrainSpec(
        agent=agent, scenario="steady", timesteps=timesteps, seed=0, options={**FAST, **options}
    )


def _tensorboard(run_dir: Path) -> tuple[dict[str, list[tuple[int, float]]], set[str]]:
    """(scalars by tag as (step, value) pairs, image and histogram tags) of a run's event files."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(run_dir / "tb"), size_guidance={"scalars": 0, "images": 0, "histograms": 0})
    acc.Reload()
    scalars = {tag: [(e.step, e.value) for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}
    return scalars, {t for kind in ("images", "histograms") for t in acc.Tags()[kind]}


def _repeated_steps(scalars: dict[str, list[tuple[int, float]]]) -> dict[str, list[int]]:
    """``{tag: steps that hold more than one value}`` for every tag that has any."""
    out = {}
    for tag, points in scalars.items():
        steps = [step for step, _ in points]
        twice = sorted({s for s in steps if steps.count(s) > 1})
        if twice:
            out[tag] = twice
    return out


def test_ppo_on_catalog_improves_eval_profit_and_logs_eval_scalars(tmp_path: Path) -> None:
    # The default scenario (steady). The order-up-to box is widened (max_cover 12 review periods), so the
    # untrained policy (action ~ 0: order up to ~6 weeks of demand) overstocks; PPO must learn to lower it.
    spec = _spec(timesteps=128 * 52 * 6, n_envs=128, eval_freq=128 * 52 * 2, **{"action.max_cover": 12.0})
    run = training.train(spec, run_dir=tmp_path / "run", progress=False)
    rows = pd.read_csv(run / "kpis.csv")
    assert rows["timesteps"].iloc[0] == 0 and rows["timesteps"].iloc[-1] >= spec.timesteps
    first, last = rows["profit"].iloc[0], rows["profit"].iloc[-1]
    assert last > first + 0.01 * abs(first), rows[["timesteps", "profit"]]
    assert rows["avg_on_hand"].iloc[-1] < rows["avg_on_hand"].iloc[0]
    # TensorBoard holds the same eval/ numbers at the same steps, plus SB3's own scalars.
    tb, other = _tensorboard(run)
    for key in ("profit", "saving_vs_newsvendor", "fill_rate", "lost_units", "avg_on_hand", "holding_cost"):
        steps, values = zip(*tb[f"eval/{key}"], strict=True)
        assert list(steps) == rows["timesteps"].astype(int).tolist()
        np.testing.assert_allclose(values, rows[key], rtol=1e-5)
    assert "train/value_loss" in tb and "rollout/ep_rew_mean" in tb
    # one value per tag and step: an evaluation does not dump SB3's pending train/ values a second time
    assert _repeated_steps(tb) == {}
    assert {"eval/trajectories", "eval/orders_cover", "eval/inventory_cover"} <= other
    # Checkpoints: periodic, best (the best evaluation), finished state.
    state = json.loads((run / "checkpoints" / "state.json").read_text())
    assert state["finished"] and (run / "checkpoints" / state["last"]).is_file()
    best = json.loads((run / "checkpoints" / "best.json").read_text())
    assert best["profit"] == pytest.approx(rows["profit"].max())
    # The loaded policy is the best checkpoint, and acts as it was evaluated.
    policy = training.load_policy(run)
    assert isinstance(policy, SB3Policy)
    from restock.agents.sb3.train import load, setup

    trace = rollout(setup(spec, parse_options(spec.agent, spec.options)).eval_view, policy.act)
    assert kpis(trace)["profit"] == pytest.approx(best["profit"], rel=1e-9)
    assert load(run, json.loads((run / "run.json").read_text())).name.startswith("ppo:")


@pytest.mark.slow
def test_ppo_with_default_options_beats_its_start_and_the_newsvendor_on_steady(tmp_path: Path) -> None:
    # Default options (256 sub-environments, one 52-review episode per rollout), 16 updates.
    spec = _spec(timesteps=200_000, eval_freq=40_000, eval_paths=8)
    run = training.train(spec, run_dir=tmp_path / "run", progress=False)
    rows = pd.read_csv(run / "kpis.csv")
    assert rows["profit"].iloc[-1] > rows["profit"].iloc[0] + 1e-3 * abs(rows["profit"].iloc[0])
    assert rows["saving_vs_newsvendor"].iloc[0] < 0 < rows["saving_vs_newsvendor"].iloc[-1]


def test_newsvendor_saving_is_zero_for_the_newsvendor_itself() -> None:
    held = HeldOut(_load("steady"), 1_000_003, 1)
    view = held.view(ObservationConfig(), ActionConfig())
    nv = rollout(view, newsvendor_rule)
    k = kpis(nv, nv)
    assert k["saving_vs_newsvendor"] == 0.0 and k["profit"] == k["newsvendor_profit"]
    costs = k["purchase_cost"] + k["holding_cost"] + k["penalty_cost"] + k["fixed_order_cost"]
    assert k["profit"] == pytest.approx(k["revenue"] + k["salvage"] - costs)
    assert 0.9 < k["fill_rate"] <= 1.0
    assert nv.orders.shape == (52, 20) and (nv.orders >= 0).all()


def _load(name: str):
    from restock.envs.core import load_scenario

    return load_scenario(name, None)


class Killed(Exception):
    """Stands for the process being killed mid-training."""


def test_resume_continues_a_killed_run_to_the_same_total(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = _spec(timesteps=64 * 8 * 6, n_envs=64, n_steps=8, eval_freq=64 * 8, figure_skus=0)
    evaluate = KpiEvalCallback.evaluate

    def dying(self: KpiEvalCallback) -> dict[str, float]:
        if self.num_timesteps >= 64 * 8 * 3:
            raise Killed
        return evaluate(self)

    monkeypatch.setattr(KpiEvalCallback, "evaluate", dying)
    run = tmp_path / "run"
    with pytest.raises(Killed):
        training.train(spec, run_dir=run, progress=False)
    state = json.loads((run / "checkpoints" / "state.json").read_text())
    assert not state["finished"] and state["timesteps"] == 64 * 8 * 2
    killed, _ = _tensorboard(run)
    assert max(step for step, _ in killed["time/fps"]) > state["timesteps"]  # points after the checkpoint
    monkeypatch.setattr(KpiEvalCallback, "evaluate", evaluate)
    run_json = (run / "run.json").read_bytes()
    time.sleep(1.0)  # event files sort by their second of creation; a real resume comes later still
    assert training.train(spec, resume=run, progress=False) == run
    # TensorBoard: the killed run's points after its checkpoint are purged, one value per tag and step
    tb, _ = _tensorboard(run)
    assert _repeated_steps(tb) == {}
    assert [s for s, _ in tb["eval/profit"]] == [64 * 8 * k for k in range(7)]
    assert [s for s, _ in tb["time/fps"]] == [64 * 8 * k for k in range(1, 7)]
    state = json.loads((run / "checkpoints" / "state.json").read_text())
    assert state["finished"] and state["timesteps"] == spec.timesteps
    rows = pd.read_csv(run / "kpis.csv")
    assert rows["timesteps"].tolist() == [64 * 8 * k for k in range(7)]
    assert (run / "run.json").read_bytes() == run_json
    from stable_baselines3 import PPO

    assert PPO.load(run / "checkpoints" / state["last"]).num_timesteps == spec.timesteps
    # A finished run has nothing to resume.
    with pytest.raises(InputError, match="finished training"):
        training.train(spec, resume=run, progress=False)


def test_bad_input_is_a_clear_error_and_nothing_is_overwritten(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown agent 'dqn'"):
        training.TrainSpec(agent="dqn", scenario="steady", timesteps=10)
    not_a_run = tmp_path / "plain"
    not_a_run.mkdir()
    (not_a_run / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="not a run folder"):
        training.train(_spec(), resume=not_a_run, progress=False)
    assert [p.name for p in not_a_run.iterdir()] == ["notes.txt"]
    # A run folder is never trained into twice.
    run = tmp_path / "run"
    training.train(_spec(timesteps=64 * 8, n_envs=64, n_steps=8, figure_skus=0), run_dir=run, progress=False)
    before = {p: p.read_bytes() for p in sorted(run.rglob("*")) if p.is_file()}
    with pytest.raises(InputError, match="already holds a run"):
        training.train(_spec(), run_dir=run, progress=False)
    assert {p: p.read_bytes() for p in sorted(run.rglob("*")) if p.is_file()} == before
    with pytest.raises(InputError, match=r"unknown option agent\.learning_rat"):
        parse_options("ppo", {"learning_rat": 1e-3})
    with pytest.raises(InputError, match=r"agent\.n_epochs does not apply to sac"):
        parse_options("sac", {"n_epochs": 3})
    with pytest.raises(InputError, match=r"agent\.gamma must be in"):
        parse_options("ppo", {"gamma": 1.5})


def test_action_options_nest_into_one_action_config() -> None:
    opts = parse_options("ppo", {"action.mode": "quantity", "action.max_multiple": 3, "gamma": 0.9})
    assert opts.action == ActionConfig(mode="quantity", max_multiple=3.0) and opts.gamma == 0.9
    assert parse_options("sac", {"action": {"max_cover": 8}}).action == ActionConfig(max_cover=8.0)
    # The earlier spellings, as older run folders' run.json hold them.
    legacy = parse_options("ppo", {"action_mode": "service_quantile", "max_cover": 5.0})
    assert legacy.action == ActionConfig(mode="service_quantile", max_cover=5.0)
    assert parse_options("ppo", {}).action == ActionConfig()
    with pytest.raises(InputError, match=r"unknown option agent\.action\.max_cov"):
        parse_options("ppo", {"action.max_cov": 3.0})
    with pytest.raises(InputError, match=r"agent\.action: max_cover must be finite and > 0, got -1\.0"):
        parse_options("ppo", {"action.max_cover": -1})
    with pytest.raises(InputError, match=r"agent\.action: action_mode must be one of"):
        parse_options("ppo", {"action_mode": "magic"})
    with pytest.raises(InputError, match=r"agent\.action must be a table"):
        parse_options("ppo", {"action": "quantity"})


@pytest.mark.parametrize("agent", ["a2c", "sac", "td3"])
def test_every_sb3_agent_trains_checkpoints_and_loads(tmp_path: Path, agent: str) -> None:
    extra = (
        {"n_steps": 4} if agent == "a2c" else {"learning_starts": 64, "gradient_steps": 1, "batch_size": 64}
    )
    spec = _spec(agent, timesteps=32 * 8, n_envs=32, eval_freq=32 * 4, figure_skus=0, **extra)
    run = training.train(spec, run_dir=tmp_path / agent, progress=False)
    rows = pd.read_csv(run / "kpis.csv")
    assert len(rows) >= 2 and np.isfinite(rows["profit"]).all()
    if agent in ("sac", "td3"):
        assert (run / "checkpoints" / callbacks.REPLAY_FILE).is_file()
    policy = training.load_policy(run)
    held = HeldOut(_load("steady"), 1_000_003, 1)
    view = held.view(ObservationConfig(), ActionConfig())
    orders = policy.act(view.observer, _first_state(view))
    assert orders.shape == (20,) and np.isfinite(orders).all() and (orders >= 0).all()


def _first_state(view):
    from restock.envs.core import numpy_state
    from restock.simulator.engines import engine_class

    return numpy_state(engine_class("batch")(view.world, view.paths, record=False).reset())


def test_model_rule_matches_policy_act_in_service_quantile_mode(tmp_path: Path) -> None:
    # A model trained in service_quantile mode maps actions with its own settings, whatever the batch's.
    spec = _spec(timesteps=64 * 4, n_envs=64, n_steps=4, figure_skus=0, **{"action.mode": "service_quantile"})
    run = training.train(spec, run_dir=tmp_path / "run", progress=False)
    policy = training.load_policy(run)
    held = HeldOut(_load("steady"), 1_000_003, 1)
    own = held.view(ObservationConfig(), ActionConfig(mode="service_quantile"))
    other = held.view(ObservationConfig(), ActionConfig())
    state = _first_state(own)
    own_rule = model_rule(policy.model, own.actions)
    np.testing.assert_allclose(
        policy.act(other.observer, state), own_rule.act_network(own.observers, state)[0]
    )
