"""Forecast training: an MQ-RNN, MQ-CNN or MQTransformer trained on every series of a data set, into a run
folder (``restock forecast train``), and its quantile forecasts from the checkpoint (``restock forecast
predict``).

``train_forecaster(ForecastTrainSpec(data="synthetic", run_dir=Path("runs/mq"), model="mqcnn"))`` loads the
data in buckets, trains, and writes the run folder (:mod:`restock.runs`, ``kind = "forecast-train"``):

====================  ===========================================================================
``run.json``          the resolved :class:`ForecastTrainSpec` (model config included), versions;
                      written first, once every input has been checked
``model.pt``          the checkpoint (weights and plain data: :func:`restock.forecasters.mq.load_checkpoint`)
``history.csv``       loss and validation wQL per epoch
``config.json``       the command, data spec, bucket, the resolved model config, the feature set and
                      :class:`ForecastTrainSummary`
``tensorboard/``      training curves (``train/loss``, ``val/loss``, ``val/mean_wql``, ``val/wql_q*``)
====================  ===========================================================================

The folder may already hold an earlier forecast training: its files are replaced. A folder holding
another kind of run is refused.

``predict_forecaster(ForecastPredictSpec(Path("runs/mq/model.pt"), "synthetic", out=Path("f.parquet")))``
loads the checkpoint (weights and plain data only) against the data read in the same buckets, forecasts
every series at one cutoff and writes the long table :data:`PREDICTION_COLUMNS` (one row per series,
bucket ahead and quantile level).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from restock import io, runs
from restock.agents.options import check_device
from restock.data import load_buckets
from restock.errors import InputError
from restock.forecasters.base import QuantileForecast
from restock.forecasters.mq import MQCNN, MQRNN, MQConfig, MQForecaster, MQTransformer, load_checkpoint

KIND = "forecast-train"
"""The ``kind`` of a forecast-training run folder (``run.json``)."""

MODELS: dict[str, type[MQForecaster]] = {c.name: c for c in (MQRNN, MQCNN, MQTransformer)}
"""Model name -> class."""


def model_class(model: str) -> type[MQForecaster]:
    """The class of ``model`` (mqrnn, mqcnn, mqtransformer), or an InputError naming ``--model``."""
    if model not in MODELS:
        raise InputError(f"--model must be one of {sorted(MODELS)}, got {model!r}")
    return MODELS[model]


def default_config(model: str) -> MQConfig:
    """The config ``model`` trains with when nothing is overridden (its own encoder)."""
    return MQConfig(encoder=model_class(model).default_encoder)


@dataclass(frozen=True)
class ForecastTrainSpec:
    """What to train, and where (the typed config written into the run folder's ``run.json``)."""

    data: str
    """A data spec (:func:`restock.data.load_panel`): ``m5:PATH``, ``carparts:PATH``, ``long:PATH``, ..."""
    run_dir: Path
    """The run folder (created; an earlier forecast training there is replaced)."""
    model: str = "mqcnn"
    """``mqrnn``, ``mqcnn`` or ``mqtransformer``."""
    config: MQConfig | None = None
    """The model's hyperparameters, seed and device (:class:`~restock.forecasters.mq.MQConfig`; None:
    :func:`default_config` of :attr:`model`); its ``run_dir`` is set to :attr:`run_dir` (TensorBoard
    curves under ``<run_dir>/tensorboard``)."""
    freq: str = "W-SAT"
    """The bucket daily data is summed to (``D`` keeps days)."""
    until: str | None = None
    """Train on rows up to this date only (None: all)."""


@dataclass(frozen=True)
class ForecastTrainSummary:
    """How training went (printed by ``restock forecast train`` as one JSON object, in this field order)."""

    model: str
    best_epoch: int
    """Epoch (from 0) of the lowest validation loss, whose weights are saved."""
    best_val_loss: float
    epochs_run: int
    """Epochs trained (early stopping may end training before ``config.epochs``)."""
    best_val_mean_wql: float | None
    """Mean validation wQL at ``best_epoch`` (None if training recorded none)."""
    fit_seconds: float
    """Wall time of the fit, rounded to 0.01 s."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ForecastTrainResult:
    """The run folder and what training reported."""

    run_dir: Path
    checkpoint: Path
    """``<run_dir>/model.pt``."""
    summary: ForecastTrainSummary
    history: pd.DataFrame
    """One row per epoch (``history.csv``)."""


def _check_run_dir(run_dir: Path) -> None:
    """Refuse a folder that cannot be written or that holds another kind of run (before any work)."""
    io.check_folder(run_dir, "--run-dir")
    if (run_dir / runs.RUN_FILE).exists():
        kind = runs.load_run(run_dir)["kind"]
        if kind != KIND:
            raise InputError(f"--run-dir {run_dir} holds a {kind!r} run; choose another folder")


def _prepare(run_dir: Path) -> None:
    """Forget an earlier forecast training in ``run_dir`` (:func:`_check_run_dir` has checked its kind)."""
    (run_dir / runs.RUN_FILE).unlink(missing_ok=True)


def train_forecaster(spec: ForecastTrainSpec) -> ForecastTrainResult:
    """Check the inputs, create the run folder, train, save (see the module docstring)."""
    cls = model_class(spec.model)
    _check_run_dir(spec.run_dir)
    if spec.config is not None:
        check_device(spec.config.device)
    base = default_config(spec.model) if spec.config is None else spec.config
    config = replace(base, run_dir=str(spec.run_dir))
    forecaster = cls(config)
    panel = load_buckets(spec.data, spec.freq)
    if spec.until is not None:
        try:
            panel = panel.until(pd.Timestamp(spec.until))
        except ValueError as exc:
            raise InputError(f"--until: not a date, got {spec.until!r}") from exc
    _prepare(spec.run_dir)
    run_dir = runs.create_run(
        kind=KIND,
        scenario=spec.data,
        agent=spec.model,
        seed=config.seed,
        config=replace(spec, config=config),
        run_dir=spec.run_dir,
    )
    started = time.perf_counter()
    forecaster.fit(panel)
    seconds = time.perf_counter() - started
    result = forecaster.train_result_
    checkpoint = forecaster.save(run_dir / "model.pt")
    history = pd.DataFrame([{k: v for k, v in r.items() if k != "val_wql"} for r in result.history])
    io.write_frame(run_dir / "history.csv", history)
    summary = ForecastTrainSummary(
        model=spec.model,
        best_epoch=result.best_epoch,
        best_val_loss=result.best_val_loss,
        epochs_run=result.epochs_run,
        best_val_mean_wql=result.history[result.best_epoch].get("val_mean_wql"),
        fit_seconds=round(seconds, 2),
    )
    io.write_json(
        run_dir / "config.json",
        {
            "command": "forecast train",
            "data": spec.data,
            "freq": panel.freq,
            "until": spec.until,
            "series": len(panel.series_ids),
            "model": spec.model,
            "config": forecaster.config.to_dict(),
            "context_length": forecaster.context_,
            "features": forecaster.spec_.to_dict(),
            "result": summary.to_dict(),
        },
    )
    return ForecastTrainResult(run_dir, checkpoint, summary, history)


PREDICTION_COLUMNS: tuple[str, ...] = (
    "series_id",
    "cutoff",
    "horizon",
    "quantile",
    "per_bucket",
    "cumulative",
)
"""Columns of the prediction table: ``horizon`` counts buckets after ``cutoff`` from 1; ``per_bucket`` is
the quantile of that bucket's demand, ``cumulative`` of the demand summed over buckets 1..horizon."""


@dataclass(frozen=True)
class ForecastPredictSpec:
    """What to forecast, from which checkpoint (errors name the command-line flag)."""

    checkpoint: Path
    """A ``model.pt`` written by :func:`train_forecaster`."""
    data: str
    """A data spec (:func:`restock.data.load_panel`) with the feature set the model was trained on."""
    cutoff: str | None = None
    """The last bucket the forecast may see, a date (None: the data's last bucket)."""
    horizon: int = 8
    """Buckets to forecast, >= 1."""
    freq: str = "W-SAT"
    """The bucket daily data is summed to (``D`` keeps days); the model's own bucket."""
    device: str = "cpu"
    """The torch device the model runs on."""
    out: Path | None = None
    """The table is written here (``.csv`` or ``.parquet``, :func:`restock.io.write_frame`); None: not
    written."""

    def __post_init__(self) -> None:
        if isinstance(self.horizon, bool) or not isinstance(self.horizon, int) or self.horizon < 1:
            raise InputError(f"--horizon must be a positive integer, got {self.horizon!r}")


@dataclass(frozen=True)
class ForecastPrediction:
    """The forecast of every series at one cutoff, as a long table."""

    table: pd.DataFrame
    """One row per (series, bucket ahead, quantile level): :data:`PREDICTION_COLUMNS`."""
    cutoff: pd.Timestamp
    n_series: int
    horizon: int
    n_quantiles: int
    out: Path | None
    """Where :attr:`table` was written (None: nowhere)."""


def prediction_table(forecast: QuantileForecast, cutoff: pd.Timestamp) -> pd.DataFrame:
    """``forecast`` [S, H, Q] as the long table :data:`PREDICTION_COLUMNS` (series, then bucket, then
    quantile level, in the forecast's order)."""
    s, h, q = forecast.per_bucket.shape
    return pd.DataFrame(
        {
            "series_id": np.repeat(forecast.series_ids, h * q),
            "cutoff": cutoff,
            "horizon": np.tile(np.repeat(np.arange(1, h + 1), q), s),
            "quantile": np.tile(forecast.quantiles, s * h),
            "per_bucket": forecast.per_bucket.reshape(-1),
            "cumulative": forecast.cumulative.reshape(-1),
        }
    )


def predict_forecaster(spec: ForecastPredictSpec) -> ForecastPrediction:
    """Load the data and the checkpoint, forecast at the cutoff, write the table (module docstring)."""
    if spec.out is not None:
        if spec.out.suffix.lower() not in (".csv", ".parquet"):
            raise InputError(f"--out {spec.out}: must end in .csv or .parquet")
        io.check_writable(spec.out, "--out")
    check_device(spec.device)
    panel = load_buckets(spec.data, spec.freq)
    forecaster = load_checkpoint(spec.checkpoint, panel, device=spec.device)
    if spec.cutoff is None:
        at = panel.dates[-1]
    else:
        try:
            at = pd.Timestamp(spec.cutoff)
        except ValueError as exc:
            raise InputError(f"--cutoff: not a date, got {spec.cutoff!r}") from exc
    forecast = forecaster.predict(panel, at, horizon=spec.horizon)
    table = prediction_table(forecast, at)
    if spec.out is not None:
        io.write_frame(spec.out, table)
    s, h, q = forecast.per_bucket.shape
    return ForecastPrediction(table, at, s, h, q, spec.out)
