"""``restock replay``: every policy through a scenario on the same paths, written as a replay run folder.

    restock replay covid-shock --seeds 5 \\
        --policies newsvendor,base-stock,runs/<ppo run>,runs/<directbackprop run>
    restock replay steady --policies newsvendor,base-stock --seeds 2 --set seeds.n_paths=2 --json

The job is :func:`restock.pipelines.replay.replay` (see its module for what the folder holds); this
command builds its :class:`~restock.pipelines.replay.ReplaySpec`, calls it and prints the KPI table.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer


def _fmt(column: str, value: Any) -> str:
    if not isinstance(value, float):
        return str(value)
    if column in ("fill_rate",):
        return f"{value:.3f}"
    return f"{value:,.2f}" if column == "saving_pct" else f"{value:,.0f}"


def print_summary(summary: Any, title: str) -> None:
    """The KPI table of a replay (policy, profit, saving vs newsvendor with its CI, fill rate) with rich."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    cols = [
        c
        for c in ("policy", "profit", "saving_vs_newsvendor", "ci_low", "ci_high", "saving_pct", "fill_rate")
        if c in summary.columns
    ]
    for c in cols:
        table.add_column(c, justify="left" if c == "policy" else "right")
    for row in summary[cols].itertuples(index=False):
        table.add_row(*(_fmt(c, v) for c, v in zip(cols, row, strict=True)))
    Console().print(table)


def register(app: typer.Typer) -> None:
    """Attach ``restock replay``."""

    @app.command("replay")
    def replay(
        scenario: Annotated[
            str, typer.Argument(help="A built-in scenario name (restock scenarios list) or a TOML file.")
        ],
        policies: Annotated[
            str,
            typer.Option(
                "--policies",
                help="Comma-separated policy specs (newsvendor, base-stock, ...) or training run folders.",
            ),
        ] = "newsvendor,base-stock",
        seeds: Annotated[
            int, typer.Option("--seeds", help="Evaluation seeds (draws of the scenario's paths).")
        ] = 5,
        set_: Annotated[
            list[str] | None,
            typer.Option("--set", help="Override a scenario key: --set dotted.key=value (repeatable)."),
        ] = None,
        train_set: Annotated[
            list[str] | None,
            typer.Option(
                "--train-set",
                help="An extra override of the scenario that tuned baselines are tuned on, e.g. "
                "--train-set 'shocks=[]' (tuned before the shock; repeatable).",
            ),
        ] = None,
        engine: Annotated[str, typer.Option("--engine", help="des (SimPy reference) or batch.")] = "des",
        root: Annotated[Path, typer.Option("--root", help="Folder of run folders.")] = Path("runs"),
        run_dir: Annotated[
            Path | None, typer.Option("--run-dir", help="Write here instead of a new folder under --root.")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    ) -> None:
        """Replay policies on common paths: TensorBoard runs, trajectories, KPI table, figures."""
        from restock.pipelines.inputs import parse_policies
        from restock.pipelines.replay import ReplaySpec
        from restock.pipelines.replay import replay as run_replay

        spec = ReplaySpec(
            scenario=scenario,
            policies=parse_policies(policies),
            seeds=seeds,
            scenario_overrides=tuple(set_ or ()),
            engine=engine,
            train_overrides=tuple(train_set or ()),
        )
        say = (lambda _m: None) if as_json else (lambda m: typer.echo(f"· {m}", err=True))
        result = run_replay(spec, root=root, run_dir=run_dir, progress=say)
        if as_json:
            summary = json.loads(result.summary.to_json(orient="records"))
            typer.echo(json.dumps({"run_dir": str(result.run_dir), "summary": summary}))
            return
        print_summary(result.summary, f"replay of {scenario} · {seeds} seeds · {engine}")
        typer.echo(f"run folder: {result.run_dir}")
        typer.echo(f"tensorboard --logdir {result.run_dir / 'tensorboard'}")
        typer.echo(f"restock report {result.run_dir}")
