"""``restock value-of-accuracy``: one buying policy on each forecaster's quantiles, beside their accuracy.

    restock value-of-accuracy --scenario steady --forecasters ets,quantile-forest --seeds 10
    restock value-of-accuracy --scenario steady --set catalog.n_skus=200 \\
        --forecasters true,seasonal-naive,ets,quantile-forest --policy newsvendor-tuned --out runs/acc

The job is :func:`restock.pipelines.value_of_accuracy.run_value_of_accuracy`: each forecaster's row is the
evaluation ``restock evaluate --scenario S --set forecast.model=<forecaster> --policies <policy>`` runs
(the same seeds, so the same paths), with the wQL, coverage, calibration error and forecast volatility of
the forecast rows the policy read. On a synthetic scenario the ``true`` forecaster is the ceiling (added
when not named) and ``profit_gap`` is each forecaster's paired profit difference to it with a 95% CI.
``--json`` prints ``{"reference": ..., "summary": [...], "calibration": [...]}``; without it, a markdown
table. ``--out DIR`` also writes a run folder (KPIs, per-seed rows, calibration, figure, TensorBoard,
report.html).
"""

from __future__ import annotations

import json
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Attach ``restock value-of-accuracy``."""

    @app.command("value-of-accuracy")
    def value_of_accuracy_command(
        scenario: Annotated[
            str, typer.Option("--scenario", help="A built-in scenario name or a scenario TOML file.")
        ],
        forecasters: Annotated[
            str,
            typer.Option(
                "--forecasters",
                help="Comma-separated forecasters (`restock forecast models`; `true` = exact quantiles, "
                "synthetic demand only, added as the ceiling when not named).",
            ),
        ],
        policy: Annotated[
            str,
            typer.Option(
                "--policy", help="The policy run on each forecaster's quantiles (it must read them)."
            ),
        ] = "newsvendor-tuned",
        seeds: Annotated[int, typer.Option("--seeds", help="Evaluation seeds (episodes).")] = 10,
        engine: Annotated[str, typer.Option("--engine", help="des (reference) or batch (faster).")] = "des",
        set_: Annotated[
            list[str] | None,
            typer.Option("--set", help="Override a scenario key: --set dotted.key=value (repeatable)."),
        ] = None,
        train_seed: Annotated[
            int, typer.Option("--train-seed", help="First training seed of a tuned policy.")
        ] = 0,
        paths: Annotated[
            int | None, typer.Option("--paths", help="Paths per seed (default: the scenario's).")
        ] = None,
        out_dir: Annotated[
            str | None,
            typer.Option("--out", help="Also write a run folder DIR (must not hold a run)."),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    ) -> None:
        """The value of forecast accuracy: a policy's profit on each forecaster's quantiles, with wQL,
        coverage, calibration and volatility; paired CIs against the true-quantile ceiling."""
        from restock import io, runs
        from restock.errors import InputError
        from restock.pipelines.value_of_accuracy import (
            AccuracySpec,
            run_value_of_accuracy,
            write_accuracy_run,
        )
        from restock.reporting.markdown import markdown_table

        spec = AccuracySpec(
            scenario,
            tuple(f.strip() for f in forecasters.split(",")),
            policy=policy.strip(),
            seeds=seeds,
            engine=engine,
            scenario_overrides=tuple(set_ or ()),
            train_seed=train_seed,
            n_paths=paths,
        )
        if out_dir is not None:
            io.check_folder(out_dir, "--out")
            if runs.is_run(out_dir):
                raise InputError(f"--out {out_dir}: the folder already holds a run; choose another")
        say = (lambda _m: None) if as_json else (lambda m: typer.echo(f"· {m}", err=True))
        result = run_value_of_accuracy(spec, progress=say)
        if out_dir is not None:
            write_accuracy_run(out_dir, result)
        if as_json:
            summary = json.loads(result.summary.to_json(orient="records"))
            calibration = json.loads(result.calibration.to_json(orient="records"))
            typer.echo(
                json.dumps({"reference": result.reference, "summary": summary, "calibration": calibration})
            )
            return
        typer.echo(markdown_table(result.summary))
        typer.echo(f"profit_gap: profit minus the profit on {result.reference!r}, paired over seeds (95% CI)")
        if out_dir is not None:
            typer.echo(f"run folder: {out_dir}")
