"""``restock demo --quick``: the main job end to end (catalog, backtest, newsvendor, DirectBackprop and PPO
training, replay of covid-shock, report), with tiny budgets.

It trains two agents and replays four policies on the SimPy engine, which takes about a minute on a
shared machine, so it is slow-marked (``make test-all``); the budget logic is tested fast.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from restock import runs
from restock.pipelines.demo import DemoSpec, trainer_available


def test_quick_budgets_are_small_and_keep_the_scenario() -> None:
    full, quick = DemoSpec(), DemoSpec().quick()
    assert quick.scenario == full.scenario == "covid-shock"
    assert (
        quick.ppo_timesteps < full.ppo_timesteps
        and quick.directbackprop_timesteps < full.directbackprop_timesteps
    )
    assert quick.replay_seeds == 1 and "seeds.n_paths=1" in quick.scenario_overrides
    assert quick.agents == ("directbackprop", "ppo")


def test_trainer_availability_is_reported() -> None:
    assert trainer_available("no-such-agent") == "no trainer registered for 'no-such-agent'"


@pytest.mark.slow
def test_demo_quick_runs_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from restock.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["demo", "--quick", "--root", str(tmp_path)])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    folders = {runs.load_run(p)["kind"] + ":" + runs.load_run(p)["agent"]: p for p in tmp_path.iterdir()}
    assert set(folders) == {"train:directbackprop", "train:ppo", "replay:replay"}
    replay = folders["replay:replay"]
    kpis = pd.read_csv(replay / "kpis.csv")
    assert kpis["policy"].tolist() == ["newsvendor", "base-stock", "directbackprop", "ppo"]
    assert kpis["spec"].iloc[2:].tolist() == [str(folders["train:directbackprop"]), str(folders["train:ppo"])]
    assert (replay / "report.html").is_file()
    assert f"tensorboard --logdir {tmp_path}" in out
    assert "demo wall time" in out and "not trained" not in out
