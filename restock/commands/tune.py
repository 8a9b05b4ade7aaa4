"""``restock tune``: a random search over agent hyperparameters on Ray Tune, with ASHA early stopping.

    restock tune --agent directbackprop --scenario steady --space examples/tune.toml --trials 4
    restock tune --agent ppo --scenario steady --space SPACE.toml --trials 16 --workers 2 --out runs/ppo-tune
    restock tune ... --address auto                         # the Ray cluster this machine belongs to

The job is :func:`restock.pipelines.tune.run_tune` (the tune folder it writes); the space file's schema is
in docs/scale.md. The trials table goes to stdout (one JSON object with ``--json``), then the best trial,
its final evaluation against the newsvendor and the ``restock train --config`` line that retrains it.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Attach ``restock tune``."""

    @app.command("tune")
    def tune_command(
        agent: Annotated[str, typer.Option("--agent", help="directbackprop | ppo.")],
        scenario: Annotated[str, typer.Option("--scenario", help="A built-in scenario name or a TOML file.")],
        space: Annotated[
            str, typer.Option("--space", help="The space file (TOML; schema in docs/scale.md).")
        ],
        trials: Annotated[int, typer.Option("--trials", help="Configurations drawn from the space.")] = 8,
        seed: Annotated[int, typer.Option("--seed", help="Root seed of the search and the trials.")] = 0,
        timesteps: Annotated[
            int | None, typer.Option("--timesteps", help="Training budget of every trial (else the file's).")
        ] = None,
        sets: Annotated[
            list[str] | None,
            typer.Option(
                "--set", help="Every trial: agent.KEY=VALUE options, other KEY=VALUE scenario overrides."
            ),
        ] = None,
        device: Annotated[str, typer.Option("--device", help="Torch device of the trials.")] = "cpu",
        out: Annotated[
            str | None,
            typer.Option("--out", help="The tune folder (default runs/<scenario>__<agent>__tune)."),
        ] = None,
        workers: Annotated[
            int | None,
            typer.Option(
                "--workers", help="CPUs of the embedded local Ray (trials at a time); default: cores."
            ),
        ] = None,
        address: Annotated[
            str | None,
            typer.Option("--address", help="Join a running Ray cluster: auto or HOST:PORT of its head."),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    ) -> None:
        """Tune an agent's hyperparameters on Ray Tune (ASHA); writes best.toml for restock train --config."""
        from restock.pipelines.cluster import ClusterSpec
        from restock.pipelines.tune import TuneSpec, run_tune
        from restock.reporting.markdown import markdown_table

        spec = TuneSpec(
            agent,
            scenario,
            space,
            trials=trials,
            seed=seed,
            timesteps=timesteps,
            sets=tuple(sets or ()),
            device=device,
            out=out,
            cluster=ClusterSpec(address, workers),
        )
        result = run_tune(spec)
        best = result.folder / "best.toml"
        if as_json:
            typer.echo(
                json.dumps(
                    {
                        "folder": str(result.folder),
                        "best": result.best,
                        "trials": json.loads(result.trials.to_json(orient="records")),
                        "final": json.loads(result.final.to_json(orient="records")),
                    }
                )
            )
            return
        typer.echo(markdown_table(result.trials))
        typer.echo("")
        typer.echo(f"best trial: {result.best}; its final evaluation on the evaluation seeds:")
        columns = [
            c for c in ("policy", "profit", "saving_vs_newsvendor", "ci_low", "ci_high") if c in result.final
        ]
        typer.echo(markdown_table(result.final[columns]))
        typer.echo(f"tune folder: {result.folder}")
        typer.echo(f"retrain it: restock train --config {best}")
        typer.echo(f"tensorboard --logdir {result.folder / 'trials'}")
