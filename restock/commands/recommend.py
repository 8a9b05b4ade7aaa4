"""``restock recommend``: what to order today, per SKU, from a stock snapshot and a sales history.

    restock recommend --snapshot snapshot.csv --history m5:../shared/data/m5-tiny --out orders.csv
    restock recommend --snapshot snapshot.csv --history sales.csv --policy newsvendor-tuned
    restock recommend --snapshot snapshot.csv --history sales.csv --policy runs/<directbackprop run>

The job is :func:`restock.pipelines.recommend.recommend` (the snapshot's columns:
:mod:`restock.data.snapshot`; the output's columns, today, the defaults of blank cells: the job's
module). ``--out`` writes the orders as CSV or Parquet (atomically; a location that cannot be written is
refused before any work); the command prints them as a markdown table, or as JSON with ``--json``.
"""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Attach ``restock recommend``."""

    @app.command("recommend")
    def recommend_command(
        snapshot: Annotated[
            str,
            typer.Option(
                "--snapshot", help="Snapshot CSV: sku, on_hand[, node, open_orders, lead_time, ...]."
            ),
        ],
        history: Annotated[
            str,
            typer.Option(
                "--history", help="Daily demand history: a long CSV, or a --data spec (m5:DIR, long:FILE)."
            ),
        ],
        policy: Annotated[
            str,
            typer.Option(
                "--policy",
                help="newsvendor, myopic, a baseline tuned on the history (newsvendor-tuned, base-stock, "
                "capped-base-stock, s-S, r-Q, constant) or a training run folder runs/<dir>.",
            ),
        ] = "newsvendor",
        forecaster: Annotated[
            str, typer.Option("--forecaster", help="A registered forecaster (restock forecast models).")
        ] = "ets",
        today: Annotated[
            str | None,
            typer.Option("--today", help="Date of the decision (default: the day after the history ends)."),
        ] = None,
        lead_time: Annotated[
            int, typer.Option("--lead-time", help="Lead time in days of rows without a lead_time cell.")
        ] = 7,
        tune_weeks: Annotated[
            int, typer.Option("--tune-weeks", help="Weeks before today a tuned baseline is tuned on.")
        ] = 26,
        out: Annotated[
            str | None, typer.Option("--out", help="Write the orders here (.csv or .parquet).")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the orders as JSON records.")] = False,
    ) -> None:
        """Order recommendations for today: order quantity, target level, forecast quantiles, fill rate."""
        from restock.pipelines.recommend import RecommendSpec, recommend_to
        from restock.reporting.markdown import markdown_table

        spec = RecommendSpec(snapshot, history, policy, forecaster, today, lead_time, tune_weeks=tune_weeks)
        frame = recommend_to(spec, out)
        if as_json:
            typer.echo(frame.to_json(orient="records"))
            return
        typer.echo(markdown_table(frame))
