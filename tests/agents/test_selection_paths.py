"""Checkpoints are chosen on selection paths, apart from every training and evaluation draw.

The trainers pick their best checkpoint on the draw of :func:`restock.seeding.selection_seed`; ``evaluate``
judges on :func:`restock.seeding.eval_seed` draws. Were they one draw, a trained policy's seed-0 row would
equal its ``best.json`` by construction and the evaluation would flatter the chosen checkpoint.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from restock import seeding
from restock.agents import training
from restock.agents.directbackprop.policy import load_checkpoint, read_checkpoint
from restock.agents.directbackprop.rollout import make_episode
from restock.agents.directbackprop.train import evaluate as db_evaluate
from restock.agents.directbackprop.train import train_seed
from restock.agents.evaluate import eval_seeds, evaluate
from restock.agents.sb3.evaluation import HeldOut, kpis, rollout
from restock.envs.features import ObservationConfig
from restock.errors import InputError
from restock.scenarios import build_world, load

STEADY = ("horizon=84", "warmup=84", "catalog.n_skus=4")
ZIPKIN = ("family.instance=p4-L1", "horizon=60")


def _demand(scenario: object, seed: int, n_paths: int = 2) -> np.ndarray:
    _, paths = build_world(scenario, seed, n_paths)  # type: ignore[arg-type]
    return np.asarray(paths.demand)


def test_selection_paths_differ_from_every_evaluation_and_training_draw() -> None:
    sc = load("steady", list(STEADY))
    sel = seeding.selection_seed(0)
    chosen = _demand(sc, sel)
    # the same role gives the same paths; another selection index others
    assert np.array_equal(chosen, _demand(sc, sel))
    assert not np.array_equal(chosen, _demand(sc, seeding.selection_seed(1)))
    evaluation = eval_seeds(5)
    assert sel not in evaluation
    for seed in evaluation:
        assert not np.array_equal(chosen, _demand(sc, seed)), seed
    # training draws: the catalog env's episodes (SB3) and DirectBackprop's, for a few run seeds
    trained = [seeding.int_seed(k, "catalog/episode", e) for k in range(3) for e in range(4)]
    trained += [train_seed(k, j) for k in range(3) for j in range(4)]
    for seed in trained:
        assert seed < seeding.SELECTION_SEED_OFFSET
        assert not np.array_equal(chosen, _demand(sc, seed)), seed
    # every seed a 32-bit seed function gives lies below the selection range; so do evaluation seeds
    assert seeding.SELECTION_SEED_OFFSET >= 2**32 > seeding.eval_seed(seeding.MAX_EVAL_INDEX)
    with pytest.raises(ValueError, match="evaluation index"):
        seeding.eval_seed(seeding.MAX_EVAL_INDEX + 1)


def test_an_evaluation_refuses_selection_seeds() -> None:
    with pytest.raises(InputError, match="selection"):
        eval_seeds([3, seeding.selection_seed(0)])


def test_a_trained_ppo_run_was_chosen_on_selection_paths_not_on_evaluation_seed_0(tmp_path: Path) -> None:
    spec = training.TrainSpec(
        agent="ppo",
        scenario="steady",
        timesteps=8 * 12 * 2,
        seed=0,
        scenario_overrides=STEADY,
        options={
            "torch_threads": 1,
            "figure_skus": 0,
            "eval_paths": 2,
            "n_envs": 8,
            "n_steps": 12,
            "batch_size": 32,
        },
    )
    run = training.train(spec, run_dir=tmp_path / "run", progress=False)
    best = json.loads((run / "checkpoints" / "best.json").read_text())
    assert json.loads((run / "agent.json").read_text())["selection_seed"] == seeding.selection_seed(0)
    policy = training.load_policy(run)
    # best.json is the chosen checkpoint on the selection draw ...
    opts = training.parse_options(spec)
    view = HeldOut(load("steady", list(STEADY)), seeding.selection_seed(0), 2).view(
        ObservationConfig(),
        opts.action,  # type: ignore[union-attr]
    )
    assert kpis(rollout(view, policy.act))["profit"] == pytest.approx(best["profit"], rel=1e-9)
    # ... and not, by construction, its row on evaluation seed 0 (same path count, same engine)
    ev = evaluate({"trained": policy}, load("steady", list(STEADY)), 1, engine="batch", n_paths=2)
    row = ev.rows.set_index("policy").loc["trained"]
    assert row["seed"] == seeding.eval_seed(0)
    assert row["profit"] != pytest.approx(best["profit"], rel=1e-6)


def test_directbackprop_chooses_its_best_checkpoint_on_selection_paths(tmp_path: Path) -> None:
    options = {
        "n_paths": 16,
        "rollout_periods": 60,
        "burn_in": 10,
        "hidden": [8],
        "time_features": False,
        "eval_every": 1,
        "eval_paths": 16,
        "final_eval_paths": 8,
        "train_episodes": 1,
        "threads": 1,
    }
    spec = training.TrainSpec(
        agent="directbackprop",
        scenario="zipkin-lost-sales",
        timesteps=2 * 16 * 60,
        seed=0,
        scenario_overrides=ZIPKIN,
        options=options,
    )
    run = training.train(spec, run_dir=tmp_path / "run", progress=False)
    stored = read_checkpoint(run / "checkpoints" / "last.pt")
    net, obs_config, _ = load_checkpoint(run / "checkpoints" / "best.pt")
    sc = load("zipkin-lost-sales", list(ZIPKIN))

    def score(seed: int) -> float:
        ep = make_episode(sc, seed, 16, obs_config, "cpu")
        return db_evaluate(net, ep, 10, torch.float64)["profit_per_period"]

    assert score(seeding.selection_seed(0)) == pytest.approx(float(stored["best"]), rel=1e-12)
    assert score(seeding.eval_seed(0)) != pytest.approx(float(stored["best"]), rel=1e-6)
