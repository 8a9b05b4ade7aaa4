"""``restock forecast``: list the forecasters, backtest one on a data set.

The sub-app is exposed as :data:`forecast_app` so other modules can add commands to it (``forecast train``).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from restock.errors import InputError

forecast_app = typer.Typer(
    name="forecast",
    help="Quantile demand forecasters: list them, backtest them.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def register(app: typer.Typer) -> None:
    """Attach ``restock forecast ...`` to the root app."""
    app.add_typer(forecast_app, name="forecast")


def parse_params(items: list[str]) -> dict[str, Any]:
    """``["n_estimators=50", "peer_column=store"]`` -> a dict; values are JSON when they parse as JSON."""
    params: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--param: expected KEY=VALUE, got {item!r}")
        try:
            params[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            params[key.strip()] = raw
    return params


@forecast_app.command("models")
def models() -> None:
    """List the registered forecasters."""
    from restock.forecasters import available, registered

    for name in available():
        cls = registered(name)
        doc = (cls.__doc__ or "").strip().splitlines()
        typer.echo(f"{name:18s} {doc[0] if doc else ''}")


@forecast_app.command("backtest")
def backtest_command(
    data: Annotated[
        str, typer.Option("--data", help="Data spec: m5:PATH, carparts:PATH, long:PATH, synthetic.")
    ],
    model: Annotated[str, typer.Option("--model", help="Registered forecaster (`forecast models`).")] = (
        "quantile-forest"
    ),
    horizon: Annotated[int, typer.Option("--horizon", help="Buckets forecast after each cutoff.")] = 8,
    cutoffs: Annotated[int, typer.Option("--cutoffs", help="Rolling origins, one bucket apart.")] = 8,
    freq: Annotated[
        str, typer.Option("--freq", help="Bucket daily data is summed to ('D' keeps days).")
    ] = "W-SAT",
    param: Annotated[
        list[str] | None, typer.Option("--param", help="Model parameter KEY=VALUE (repeatable).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as one JSON object.")] = False,
) -> None:
    """Rolling-origin backtest of one forecaster: wQL and coverage per quantile, forecast volatility."""
    from restock.data import load_buckets
    from restock.forecasters import make
    from restock.forecasters.backtest import backtest

    forecaster = make(model, **parse_params(param or []))
    panel = load_buckets(data, freq)
    result = backtest(forecaster, panel, cutoffs=cutoffs, horizon=horizon)
    summary = result.summary()
    if as_json:
        typer.echo(json.dumps(summary))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=(
            f"{model} on {data} ({panel.freq}): mean wQL {result.mean_wql:.4f}, "
            f"{summary['series']} series x {summary['cutoffs']} cutoffs x H={horizon}"
        )
    )
    table.add_column("quantile", justify="right")
    table.add_column("wQL", justify="right")
    table.add_column("coverage", justify="right")
    for label, wql in summary["wql"].items():
        table.add_row(label, f"{wql:.4f}", f"{summary['coverage'][label]:.3f}")
    Console().print(table)
    typer.echo(
        f"mean |coverage - level| {result.mean_abs_coverage_error:.4f}; cumulative mean wQL "
        f"{float(result.cumulative_wql.mean()):.4f}; forecast volatility (median) "
        f"{result.volatility:.4f}; fit {result.fit_seconds:.1f}s, predict "
        f"{result.predict_seconds:.1f}s"
    )
    if result.censored_buckets:
        typer.echo(
            f"{result.censored_buckets} of {result.censored_buckets + result.scored_buckets} buckets were "
            "not fully in stock (in_stock < 1): their sales understate demand and are not scored"
        )
