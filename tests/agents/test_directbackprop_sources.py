"""DirectBackprop with one order per source: a node with a regular and an expedited vendor."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from restock import seeding
from restock.agents.baselines import BaseStockPolicy
from restock.agents.directbackprop.network import PolicyNetwork
from restock.agents.directbackprop.rollout import expedited_columns
from restock.agents.evaluate import draw_episode
from restock.agents.evaluate import rollout as evaluate_rollout
from restock.agents.training import TrainSpec, load_policy, train
from restock.envs.core import load_scenario
from restock.envs.features import ObservationConfig, feature_names
from restock.errors import InputError

DUAL = ("family.instance=L2-c105", "horizon=400")
FAST = {
    "n_paths": 128,
    "rollout_periods": 120,
    "burn_in": 20,
    "hidden": [16, 16],
    "time_features": False,
    "lr": 0.02,
    "lr_final": 0.002,
    "eval_every": 10,
    "eval_periods": 200,
    "eval_paths": 64,
    "final_eval_paths": 64,
    "train_episodes": 4,
    "threads": 1,
}


def test_the_orders_of_each_source_by_hand() -> None:
    """Levels 3 (regular) and 1 (expedited, lead time 0: its position is the net inventory 0.25); the
    position 0.25 + 1 + 0.5 = 1.75. Expedite 1 - 0.25 = 0.75, order regular 3 - 1.75 - 0.75 = 0.5 (in
    units of s = 2: 1.5 and 1.0), up to the smoothing."""
    names = feature_names(ObservationConfig())
    net = PolicyNetwork(names, (), time_features=False, smoothing=1e-6, expedited_columns=(1,))
    last = net.mlp[-1]
    assert isinstance(last, torch.nn.Linear)
    with torch.no_grad():
        last.weight.zero_()
        last.bias.copy_(torch.tensor([3.0, 1.0], dtype=last.bias.dtype))
    obs = torch.zeros((1, len(names)), dtype=torch.float64)
    obs[0, 0], obs[0, 1], obs[0, 2] = 0.25, 1.0, 0.5  # net inventory, pipeline buckets 0 and 1
    orders = net(obs, torch.tensor([2.0], dtype=torch.float64))
    np.testing.assert_allclose(orders.detach().numpy(), [[1.0, 1.5]], atol=1e-5)


def test_the_expedited_position_covers_the_buckets_within_its_lead_time() -> None:
    sc = load_scenario("dual-sourcing", list(DUAL))
    ep = draw_episode(sc, 0, 1)
    assert expedited_columns(ep.world, ObservationConfig()) == (1,)  # lead time 0: the net inventory
    with pytest.raises(InputError, match="single node only"):
        expedited_columns(
            draw_episode(
                load_scenario("warehouse-3fc", ["horizon=28", "nodes.1.extra_sources=['vendor']"]), 0, 1
            ).world,
            ObservationConfig(),
        )


@pytest.mark.slow  # about 35 s: 20 training iterations
def test_short_training_expedites_and_beats_single_sourcing(tmp_path: Path) -> None:
    spec = TrainSpec(
        agent="directbackprop",
        scenario="dual-sourcing",
        timesteps=20 * 128 * 120,  # 20 iterations of 120 reviews
        seed=0,
        scenario_overrides=DUAL,
        options=FAST,
    )
    run_dir = train(spec, root=tmp_path, progress=False)
    assert pd.read_csv(run_dir / "kpis.csv").iloc[0]["iterations"] == 20
    policy = load_policy(run_dir)
    assert policy.net.expedited_columns == (1,)
    sc = load_scenario("dual-sourcing", list(DUAL))
    episode = draw_episode(sc, seeding.eval_seed(3), 128)  # apart from training and selection paths
    result = evaluate_rollout(policy, draw_episode(sc, seeding.eval_seed(4), 8), engine="des").result
    assert result is not None
    events = result.events
    assert events[(events["kind"] == "order") & (events["peer"] == "expedited")]["quantity"].sum() > 0
    learned = -float(evaluate_rollout(policy, episode, engine="batch", record=False).totals["reward"].sum())
    # single sourcing from the regular vendor at its best level on these very paths (in sample for it)
    single = min(
        -float(
            evaluate_rollout(BaseStockPolicy(level), episode, engine="batch", record=False)
            .totals["reward"]
            .sum()
        )
        for level in range(8, 16)
    )
    assert learned < single


def test_the_expedited_start_is_the_newsvendor_level_over_its_lead_time_plus_a_review() -> None:
    """Price 0, cost 100, holding 5, backorder 495, R = 1: the critical fractile is 395 / 400 = 0.9875;
    over L_E + R = 1 period that quantile is 4 for uniform demand on 0..4 and Poisson(2)'s for Poisson."""
    from scipy import stats

    from restock.agents.directbackprop.rollout import expedited_newsvendor_level, make_episode

    def level(demand: str) -> np.ndarray:
        sc = load_scenario("dual-sourcing", [*DUAL, f"family.demand={demand}"])
        return expedited_newsvendor_level(make_episode(sc, 0, 2, ObservationConfig(), torch.device("cpu")))

    np.testing.assert_array_equal(level("uniform"), 4.0)
    # Poisson(2): between the table's quantiles at the levels around 0.9875 (interpolated, as the newsvendor)
    poisson = level("poisson")
    assert (poisson >= stats.poisson.ppf(0.98, 2.0)).all() and (poisson <= stats.poisson.ppf(0.99, 2.0)).all()


@pytest.mark.parametrize(("start", "expedites"), [("newsvendor", True), ("backlog", False)])
def test_on_bounded_demand_only_the_newsvendor_start_expedites(
    tmp_path: Path, start: str, expedites: bool
) -> None:
    """Uniform demand on 0..4 never leaves a backlog under the newsvendor on the regular vendor, so a
    network whose expedited level starts at 0 never expedites after the start-up (and gets no gradient to
    learn to); from the newsvendor start it expedites from the first iteration (lr tiny: the untrained
    network)."""
    spec = TrainSpec(
        agent="directbackprop",
        scenario="dual-sourcing",
        timesteps=16 * 60,  # one iteration
        seed=0,
        scenario_overrides=(*DUAL, "family.demand=uniform"),
        options={**FAST, "n_paths": 16, "rollout_periods": 60, "eval_periods": 60, "eval_paths": 8,
                 "final_eval_paths": 8, "lr": 1e-9, "lr_final": 1e-9, "expedite_start": start},
    )  # fmt: skip
    policy = load_policy(train(spec, root=tmp_path, progress=False))
    sc = load_scenario("dual-sourcing", [*DUAL, "family.demand=uniform"])
    result = evaluate_rollout(policy, draw_episode(sc, seeding.eval_seed(4), 4), engine="des").result
    assert result is not None
    events = result.events
    # after the start-up (the initial stock runs out around period 20, which may leave a backlog once)
    later = events[(events["kind"] == "order") & (events["peer"] == "expedited") & (events["time"] >= 50)]
    expedited = later["quantity"].sum()
    assert expedited > 10.0 if expedites else expedited < 1e-6, expedited  # (softplus: never exactly 0)
