"""``restock.agents.training``: options parsed once, checks before the run folder, a run's spec read back.

Nothing here trains: every case stops before (or instead of) a trainer.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from restock import runs
from restock.agents import training
from restock.agents.directbackprop.config import DirectBackpropConfig
from restock.agents.sb3.config import SB3Options
from restock.errors import InputError


def _spec(agent: str = "ppo", **kwargs: object) -> training.TrainSpec:
    args: dict[str, object] = {"agent": agent, "scenario": "steady", "timesteps": 512, **kwargs}
    return training.TrainSpec(**args)  # type: ignore[arg-type]


def test_parse_options_gives_each_family_its_typed_config() -> None:
    sb3 = training.parse_options(_spec(options={"gamma": 0.95, "n_envs": 8}))
    assert isinstance(sb3, SB3Options) and sb3.gamma == 0.95 and sb3.n_envs == 8
    dbp = training.parse_options(_spec("directbackprop", options={"n_paths": 4}))
    assert isinstance(dbp, DirectBackpropConfig) and dbp.n_paths == 4
    with pytest.raises(InputError, match=r"unknown option agent\.lr"):
        training.parse_options(_spec(options={"lr": 1}))


def test_check_refuses_what_would_fail_after_the_run_folder_exists() -> None:
    training.check(_spec())
    training.check(_spec("directbackprop", scenario="warehouse-3fc"))
    training.check(_spec(scenario="warehouse-3fc"))  # SB3 agents train on Restock/NetworkCatalog-v0
    with pytest.raises(InputError, match="'gpu0' is not a torch device"):
        training.check(_spec(device="gpu0"))
    with pytest.raises(InputError, match="no-such-scenario"):
        training.check(_spec("directbackprop", scenario="no-such-scenario"))
    with pytest.raises(InputError, match="no_such_key"):
        training.check(_spec(scenario_overrides=("no_such_key=1",)))


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        (_spec(device="gpu0"), "'gpu0' is not a torch device"),
        (_spec(scenario="no-such-scenario"), "no-such-scenario"),
        (_spec(options={"lr": 1}), r"unknown option agent\.lr"),
    ],
)
def test_train_leaves_no_run_folder_on_bad_input(
    spec: training.TrainSpec, match: str, tmp_path: Path
) -> None:
    with pytest.raises(InputError, match=match):
        training.train(spec, root=tmp_path, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_saved_spec_reads_back_the_spec_a_run_recorded(tmp_path: Path) -> None:
    spec = _spec(seed=3, scenario_overrides=("horizon=84",), options={"gamma": 0.95})
    run = runs.create_run(kind="train", scenario="steady", agent="ppo", seed=3, config=spec, root=tmp_path)
    assert training.saved_spec(run) == spec


def _run_with(tmp_path: Path, config: object, kind: str = "train") -> Path:
    run = runs.create_run(kind=kind, scenario="steady", agent="ppo", seed=0, config={}, root=tmp_path)
    meta = json.loads((run / runs.RUN_FILE).read_text())
    (run / runs.RUN_FILE).write_text(json.dumps({**meta, "config": config}))
    return run


@pytest.mark.parametrize(
    ("config", "match"),
    [
        ([1, 2], "does not describe a training run"),
        ({"agent": "ppo", "scenario": "steady"}, r"does not describe a training run .*timesteps"),
        ({"agent": "ppo", "scenario": "steady", "timesteps": 8, "extra": 1}, "extra"),
        (
            {"agent": "ppo", "scenario": "steady", "timesteps": 8, "scenario_overrides": "x=1"},
            "list of strings",
        ),
        ({"agent": "ppo", "scenario": "steady", "timesteps": 8, "options": [1]}, r"options must be a table"),
        ({"agent": "dqn", "scenario": "steady", "timesteps": 8}, "unknown agent 'dqn'"),
    ],
)
def test_saved_spec_refuses_a_config_that_is_no_training_spec(
    tmp_path: Path, config: object, match: str
) -> None:
    run = _run_with(tmp_path, config)
    with pytest.raises(InputError, match=match) as err:
        training.saved_spec(run)
    assert str(run) in str(err.value) or "dqn" in str(err.value)


def test_only_training_runs_resume(tmp_path: Path) -> None:
    run = _run_with(tmp_path, {}, kind="replay")
    with pytest.raises(InputError, match="is a 'replay' run, not a training run; cannot resume it"):
        training.train(_spec(), resume=run, progress=False)


def test_a_config_for_another_spec_is_refused_on_resume(tmp_path: Path) -> None:
    saved = _spec(options={"gamma": 0.9})
    run = runs.create_run(kind="train", scenario="steady", agent="ppo", seed=0, config=saved, root=tmp_path)
    other = _spec(options={"gamma": 0.5})
    with pytest.raises(InputError, match=r"resume with the spec its run\.json records"):
        training.train(other, config=training.parse_options(other), resume=run, progress=False)
