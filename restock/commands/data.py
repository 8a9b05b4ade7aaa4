"""``restock data``: profile a demand data set, export it as a long table.

``--data`` takes the specs of :func:`restock.data.load_panel` (``m5:PATH``, ``long:PATH[:FREQ]``,
``wide:PATH[:FREQ]``, ``carparts:PATH``, ``synthetic[:N_SKUS[:SEED]]``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

data_app = typer.Typer(
    name="data",
    help="Demand data: profile it (share of zeros, ADI/CV² classes), export it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DataOpt = Annotated[
    str,
    typer.Option(
        "--data", help="Data spec: m5:PATH, long:PATH, wide:PATH, carparts:PATH, synthetic[:N[:SEED]]."
    ),
]
FreqOpt = Annotated[
    str, typer.Option("--freq", help="Bucket of a daily panel before profiling: D (keep days), W-SAT, MS.")
]
FillOpt = Annotated[
    bool, typer.Option("--fill-gaps", help="Read missing periods inside a series as zero demand.")
]


def register(app: typer.Typer) -> None:
    """Attach ``restock data ...`` to the root app."""
    app.add_typer(data_app, name="data")


@data_app.command("profile")
def profile(
    data: DataOpt = "synthetic",
    freq: FreqOpt = "D",
    fill_gaps: FillOpt = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of a table.")
    ] = False,
) -> None:
    """Share of zeros and the smooth / intermittent / erratic / lumpy mix (Syntetos-Boylan)."""
    from restock.data import load_buckets
    from restock.data.profile import summarize

    summary = summarize(load_buckets(data, freq, fill_gaps=fill_gaps))
    summary["data"] = data
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"profile of {data} ({summary['freq']})")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key, value in summary.items():
        if key in ("data", "source", "freq"):
            continue
        table.add_row(key, f"{value:.3f}" if isinstance(value, float) else str(value))
    Console().print(table)


@data_app.command("export")
def export(
    out: Annotated[Path, typer.Argument(help="Output file, .csv or .parquet (written atomically).")],
    data: DataOpt = "synthetic",
    freq: FreqOpt = "D",
    fill_gaps: FillOpt = False,
) -> None:
    """Write the panel as a long table (series_id, date, demand, price, covariates, static attributes)."""
    from restock.data import load_buckets
    from restock.errors import InputError
    from restock.io import check_writable, write_frame

    if out.suffix.lower() not in (".csv", ".parquet"):
        raise InputError(f"{out}: output must end in .csv or .parquet")
    check_writable(out, "output file")
    panel = load_buckets(data, freq, fill_gaps=fill_gaps)
    frame = panel.frame.merge(panel.static, left_on="series_id", right_index=True, how="left")
    write_frame(out, frame)
    typer.echo(f"wrote {len(frame)} rows ({len(panel.series_ids)} series, freq {panel.freq}) to {out}")
