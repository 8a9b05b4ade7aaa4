"""``restock.pipelines.forecast_training`` called as a library function: a runs.py run folder that the
``forecast`` commands read, replaced on a second training, never written over another kind of run."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from restock import runs
from restock.errors import InputError
from restock.forecasters.mq import MQCNN, load_checkpoint
from restock.pipelines.forecast_training import KIND, ForecastTrainSpec, default_config, train_forecaster

TINY = {"context_length": 8, "hidden_size": 8, "cnn_channels": 8, "global_hidden": 16, "local_hidden": 8}


def _spec(run_dir: Path, epochs: int = 2) -> ForecastTrainSpec:
    config = replace(default_config("mqcnn"), epochs=epochs, seed=1, **TINY)
    return ForecastTrainSpec("synthetic:6", run_dir, model="mqcnn", config=config)


def test_train_forecaster_writes_a_run_folder(tmp_path: Path) -> None:
    run = tmp_path / "run"
    result = train_forecaster(_spec(run))
    assert result.run_dir == run and result.checkpoint == run / "model.pt"
    meta = runs.load_run(run)
    assert (meta["kind"], meta["agent"], meta["scenario"], meta["seed"]) == (KIND, "mqcnn", "synthetic:6", 1)
    assert meta["config"]["config"]["epochs"] == 2 and meta["config"]["config"]["run_dir"] == str(run)
    saved = json.loads((run / "config.json").read_text(encoding="utf-8"))
    assert saved["command"] == "forecast train" and saved["result"] == result.summary.to_dict()
    assert result.summary.epochs_run == len(result.history) == len(pd.read_csv(run / "history.csv"))
    assert type(load_checkpoint(result.checkpoint)) is MQCNN
    # a second training replaces the first; another kind of run is refused and left as it was
    again = train_forecaster(_spec(run, epochs=1))
    assert again.summary.epochs_run == 1 and runs.load_run(run)["config"]["config"]["epochs"] == 1
    other = runs.create_run(kind="train", scenario="steady", agent="ppo", seed=0, config={}, root=tmp_path)
    with pytest.raises(InputError, match=r"holds a 'train' run"):
        train_forecaster(_spec(other))
    assert runs.load_run(other)["kind"] == "train" and not (other / "model.pt").exists()


def test_bad_inputs_leave_no_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="--model must be one of"):
        train_forecaster(ForecastTrainSpec("synthetic:3", tmp_path / "a", model="arima"))
    with pytest.raises(InputError, match="--until: not a date"):
        train_forecaster(replace(_spec(tmp_path / "b"), until="someday"))
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
