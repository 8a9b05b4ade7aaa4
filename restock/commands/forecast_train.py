"""``restock forecast train`` and ``restock forecast predict``: train an MQ network into a run folder,
predict from its checkpoint.

Training is :func:`restock.pipelines.forecast_training.train_forecaster` (see its module for what the run
folder holds: ``run.json``, ``model.pt``, ``history.csv``, ``config.json``, ``tensorboard/``); this
command builds its spec from the flags (``--param`` items become fields of the model's ``MQConfig``) and
prints the training summary as one JSON object. Prediction is
:func:`~restock.pipelines.forecast_training.predict_forecaster` (the long table written to ``--out``);
the command prints its size.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from restock.commands.forecast import forecast_app, parse_params
from restock.errors import InputError


def register(app: typer.Typer) -> None:
    """The commands live on ``forecast_app``, which the ``forecast`` module attaches to the root app (the
    MQ models are registered by name and imported when one is made: the CLI starts without torch)."""


@forecast_app.command("train")
def train_command(
    data: Annotated[
        str, typer.Option("--data", help="Data spec: m5:PATH, carparts:PATH, long:PATH, synthetic.")
    ],
    run_dir: Annotated[
        Path, typer.Option("--run-dir", help="Run folder (created; existing files are replaced).")
    ],
    model: Annotated[str, typer.Option("--model", help="mqrnn, mqcnn or mqtransformer.")] = "mqcnn",
    epochs: Annotated[int | None, typer.Option("--epochs", help="Most training epochs.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Root seed.")] = 0,
    freq: Annotated[
        str, typer.Option("--freq", help="Bucket daily data is summed to ('D' keeps days).")
    ] = "W-SAT",
    until: Annotated[
        str | None, typer.Option("--until", help="Train on rows up to this date only (default: all).")
    ] = None,
    device: Annotated[str, typer.Option("--device", help="torch device: cpu, cuda, cuda:1, ...")] = "cpu",
    threads: Annotated[
        int | None, typer.Option("--threads", help="torch threads (default: torch's).")
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", help="MQConfig field KEY=VALUE (repeatable), e.g. hidden_size=64."),
    ] = None,
) -> None:
    """Train an MQ-RNN / MQ-CNN / MQTransformer on every series of a data set and save its checkpoint."""
    from dataclasses import replace

    from restock.pipelines.forecast_training import ForecastTrainSpec, default_config, train_forecaster

    base = default_config(model)
    params: dict[str, Any] = parse_params(param or [])
    params.update(seed=seed, device=device, progress=True, num_threads=threads)
    if epochs is not None:
        params["epochs"] = epochs
    try:
        config = replace(base, **params)
    except TypeError as exc:
        raise InputError(f"--param: {exc}") from exc
    spec = ForecastTrainSpec(data, run_dir, model=model, config=config, freq=freq, until=until)
    result = train_forecaster(spec)
    typer.echo(json.dumps(result.summary.to_dict()))


@forecast_app.command("predict")
def predict_command(
    checkpoint: Annotated[Path, typer.Option("--checkpoint", help="A model.pt written by `forecast train`.")],
    data: Annotated[str, typer.Option("--data", help="Data spec (same feature set as in training).")],
    out: Annotated[Path, typer.Option("--out", help="Output table (.csv or .parquet), long format.")],
    cutoff: Annotated[
        str | None, typer.Option("--cutoff", help="Last bucket the forecast may see (default: the last).")
    ] = None,
    horizon: Annotated[int, typer.Option("--horizon", help="Buckets to forecast.")] = 8,
    freq: Annotated[
        str, typer.Option("--freq", help="Bucket daily data is summed to ('D' keeps days).")
    ] = "W-SAT",
    device: Annotated[str, typer.Option("--device", help="torch device.")] = "cpu",
) -> None:
    """Quantile forecasts of every series at one cutoff from a checkpoint (per bucket and cumulative)."""
    from restock.pipelines.forecast_training import ForecastPredictSpec, predict_forecaster

    spec = ForecastPredictSpec(
        checkpoint, data, cutoff=cutoff, horizon=horizon, freq=freq, device=device, out=out
    )
    p = predict_forecaster(spec)
    typer.echo(
        f"wrote {len(p.table)} rows ({p.n_series} series x {p.horizon} buckets x {p.n_quantiles} quantiles) "
        f"to {out}"
    )
