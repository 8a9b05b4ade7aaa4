"""``restock.pipelines.forecast_training`` called as a library function: a runs.py run folder that the
``forecast`` commands read, replaced on a second training, never written over another kind of run; the
long table predicted from its checkpoint."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from restock import runs
from restock.data import load_buckets
from restock.errors import InputError
from restock.forecasters.mq import MQCNN, load_checkpoint
from restock.pipelines.forecast_training import (
    KIND,
    PREDICTION_COLUMNS,
    ForecastPredictSpec,
    ForecastTrainSpec,
    default_config,
    predict_forecaster,
    train_forecaster,
)

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


def test_predict_forecaster_writes_the_checkpoint_forecast_as_a_long_table(tmp_path: Path) -> None:
    trained = train_forecaster(_spec(tmp_path / "run", epochs=1))
    out = tmp_path / "forecast.csv"
    pred = predict_forecaster(ForecastPredictSpec(trained.checkpoint, "synthetic:6", horizon=3, out=out))
    panel = load_buckets("synthetic:6", "W-SAT")
    direct = load_checkpoint(trained.checkpoint, panel).predict(panel, panel.dates[-1], horizon=3)
    s, h, q = direct.per_bucket.shape
    assert (pred.n_series, pred.horizon, pred.n_quantiles) == (s, h, q) == (6, 3, len(direct.quantiles))
    assert pred.cutoff == panel.dates[-1] and pred.out == out
    table = pred.table
    assert tuple(table.columns) == PREDICTION_COLUMNS and len(table) == s * h * q
    # row (series i, bucket k, level j) holds the forecast's [i, k-1, j]
    i, k, j = 4, 2, 1
    row = table[
        (table["series_id"] == direct.series_ids[i])
        & (table["horizon"] == k)
        & (table["quantile"] == direct.quantiles[j])
    ]
    assert len(row) == 1
    assert row["per_bucket"].iloc[0] == direct.per_bucket[i, k - 1, j]
    assert row["cumulative"].iloc[0] == direct.cumulative[i, k - 1, j]
    written = pd.read_csv(out)
    np.testing.assert_allclose(written["per_bucket"].to_numpy(), table["per_bucket"].to_numpy())
    assert written["series_id"].tolist() == table["series_id"].tolist()
    # an earlier cutoff; nothing written without ``out``
    earlier = predict_forecaster(
        ForecastPredictSpec(trained.checkpoint, "synthetic:6", cutoff=str(panel.dates[-5].date()), horizon=2)
    )
    assert earlier.cutoff == panel.dates[-5] and earlier.out is None and len(earlier.table) == s * 2 * q
    with pytest.raises(InputError, match="--cutoff: not a date, got 'someday'"):
        predict_forecaster(ForecastPredictSpec(trained.checkpoint, "synthetic:6", cutoff="someday"))
    with pytest.raises(InputError, match="--horizon must be a positive integer, got 0"):
        ForecastPredictSpec(trained.checkpoint, "synthetic:6", horizon=0)
