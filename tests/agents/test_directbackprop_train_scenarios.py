"""DirectBackprop over several training scenarios (``agent.train_scenarios``): episode j is a draw of
scenario ``j mod k``, each scenario the run's overrides plus its own; the selection stays on the run's
scenario."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from restock import seeding
from restock.agents.directbackprop import train as dbp_train
from restock.agents.directbackprop.config import DirectBackpropConfig
from restock.agents.training import TrainSpec, train
from restock.errors import InputError

OPTIONS = {
    "n_paths": 16,
    "rollout_periods": 40,
    "hidden": [8],
    "time_features": False,
    "eval_every": 2,
    "eval_paths": 8,
    "final_eval_paths": 8,
    "threads": 1,
}
P4, P9 = ("family.instance=p4-L1", "horizon=40"), ("family.instance=p9-L4", "horizon=40")


def spec(overrides: tuple[str, ...], **options: object) -> TrainSpec:
    return TrainSpec(
        agent="directbackprop",
        scenario="zipkin-lost-sales",
        timesteps=4 * 16 * 40,
        seed=3,
        scenario_overrides=overrides,
        options={**OPTIONS, **options},
    )


def weights(run: Path) -> dict[str, torch.Tensor]:
    return torch.load(run / "checkpoints" / "last.pt", weights_only=False)["state_dict"]


def test_training_episodes_cycle_over_the_scenarios(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[int, str] = {}
    make = dbp_train.make_episode

    def recording(scenario, seed, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen[seed] = scenario.family.instance
        return make(scenario, seed, *args, **kwargs)

    monkeypatch.setattr(dbp_train, "make_episode", recording)
    train(spec(P4, train_episodes=4, train_scenarios=[list(P9), list(P4)]), root=tmp_path, progress=False)
    # training episode j (root seed train_seed(3, j)) is a draw of scenario j mod 2
    assert [seen.pop(dbp_train.train_seed(3, j)) for j in range(4)] == ["p9-L4", "p4-L1", "p9-L4", "p4-L1"]
    # the selection and final draws are of the run's own scenario
    assert seen == {seeding.selection_seed(0): "p4-L1", seeding.eval_seed(1): "p4-L1"}


def test_one_training_scenario_trains_as_that_scenario_does(tmp_path: Path) -> None:
    # the training path is the scenario's draws alone: the selection scenario does not change the weights
    pooled = train(
        spec(P4, train_episodes=2, train_scenarios=[list(P9)]), root=tmp_path / "a", progress=False
    )
    alone = train(spec(P9, train_episodes=2), root=tmp_path / "b", progress=False)
    other = train(spec(P4, train_episodes=2), root=tmp_path / "c", progress=False)
    a, b, c = weights(pooled), weights(alone), weights(other)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


def test_bad_train_scenarios_are_input_errors() -> None:
    with pytest.raises(InputError, match="train_scenarios"):
        DirectBackpropConfig.from_options({"train_scenarios": ["horizon=40"]})
    with pytest.raises(InputError, match="train_scenarios"):
        DirectBackpropConfig.from_options({"train_scenarios": [[]]})
    with pytest.raises(InputError, match="'train_episodes' \\(1\\)"):
        DirectBackpropConfig.from_options({"train_episodes": 1, "train_scenarios": [["a=1"], ["b=2"]]})
    cfg = DirectBackpropConfig.from_options({"train_scenarios": [["horizon=40"], ["horizon=50"]]})
    assert DirectBackpropConfig.from_options(cfg.to_dict()) == cfg
