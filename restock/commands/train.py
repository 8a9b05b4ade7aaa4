"""``restock train``: train an agent into a run folder (or resume a killed run), with TensorBoard logs.

    restock train --agent ppo --scenario steady --timesteps 200000 --seed 0
    restock train --agent ppo --scenario zipkin-lost-sales --set family.instance=p9-L2 \\
        --set agent.gamma=0.995 --timesteps 2000000
    restock train --resume runs/steady__ppo__s0__20251126-020000
    restock train --config runs/my-tune/best.toml --seed 1     # a training config file (restock tune's)

``--set agent.KEY=VALUE`` sets an agent option (docs/training.md lists them); every other ``--set``
overrides the scenario. The run folder gets ``run.json`` (the typed config), checkpoints, ``kpis.csv``
and TensorBoard event files; the command prints the folder and the ``tensorboard --logdir`` line.

``--config FILE.toml`` reads the run from a training config file (:func:`restock.agents.training.read_config`:
a ``[train]`` and an ``[agent]`` table, the file ``restock tune`` writes as ``best.toml``); ``--agent``,
``--scenario``, ``--timesteps``, ``--seed`` and ``--device`` given beside it replace the file's values, and
``--set`` items come after the file's (a scenario override is appended, an agent option replaces the file's).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from restock.errors import InputError


def register(app: typer.Typer) -> None:
    """Attach ``restock train`` to the root app."""
    app.command("train")(train_command)


def train_command(
    agent: Annotated[
        str | None, typer.Option("--agent", help="ppo | sac | td3 | a2c | directbackprop.")
    ] = None,
    scenario: Annotated[
        str | None, typer.Option("--scenario", help="A built-in scenario name or a TOML file.")
    ] = None,
    timesteps: Annotated[
        int | None,
        typer.Option(
            "--timesteps", help="Total environment steps (SB3: sub-environment steps, one SKU-review each)."
        ),
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Root seed of the run (default 0).")] = None,
    sets: Annotated[
        list[str] | None,
        typer.Option(
            "--set", help="agent.KEY=VALUE sets an agent option; other KEY=VALUE override the scenario."
        ),
    ] = None,
    device: Annotated[
        str | None, typer.Option("--device", help="Torch device: cpu, cuda, cuda:0 ... (default cpu).")
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", help="A training config file (TOML: [train] and [agent] tables)."),
    ] = None,
    resume: Annotated[
        Path | None, typer.Option("--resume", help="Continue this run folder from its newest checkpoint.")
    ] = None,
    run_dir: Annotated[
        Path | None,
        typer.Option("--run-dir", help="Run folder (default runs/<scenario>__<agent>__s<seed>__<ts>)."),
    ] = None,
    root: Annotated[Path, typer.Option("--root", help="Parent folder of new run folders.")] = Path("runs"),
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Show a progress bar.")] = True,
) -> None:
    """Train an agent on a scenario; prints the run folder and how to open TensorBoard."""
    from restock.agents import training

    if resume is not None:
        given = [
            n for n, v in (("--agent", agent), ("--scenario", scenario), ("--timesteps", timesteps)) if v
        ]
        given += ["--set"] * bool(sets) + ["--run-dir"] * (run_dir is not None)
        given += ["--config"] * (config is not None) + ["--seed"] * (seed is not None)
        given += ["--device"] * (device is not None)
        if given:
            raise InputError(f"--resume continues the run as its run.json says; drop {', '.join(given)}")
        spec = training.saved_spec(resume)
        options = training.parse_options(spec)
        path = training.train(spec, config=options, resume=resume, progress=progress)
    else:
        spec = _new_spec(agent, scenario, timesteps, seed, sets or [], device, config)
        options = training.parse_options(spec)
        path = training.train(spec, config=options, root=root, run_dir=run_dir, progress=progress)
    kpis = path / "kpis.csv"
    typer.echo(f"run folder: {path}")
    if kpis.is_file():
        import pandas as pd

        last = pd.read_csv(kpis).iloc[-1].to_dict()
        shown = {
            k: last[k] for k in ("timesteps", "profit", "saving_vs_newsvendor", "fill_rate") if k in last
        }
        typer.echo(f"final evaluation: {json.dumps(shown)}")
    typer.echo(f"tensorboard --logdir {path}")


def _new_spec(
    agent: str | None,
    scenario: str | None,
    timesteps: int | None,
    seed: int | None,
    sets: list[str],
    device: str | None,
    config: Path | None,
) -> Any:
    """The :class:`~restock.agents.training.TrainSpec` of the flags, over the ``--config`` file if given."""
    from restock.agents import training

    base = training.read_config(config) if config is not None else None
    agent = agent or (base.agent if base else None)
    scenario = scenario or (base.scenario if base else None)
    timesteps = timesteps if timesteps is not None else (base.timesteps if base else None)
    missing = [
        n for n, v in (("--agent", agent), ("--scenario", scenario), ("--timesteps", timesteps)) if v is None
    ]
    if missing:
        raise InputError(f"restock train needs {', '.join(missing)} (or --config FILE, or --resume RUN_DIR)")
    overrides, options = training.split_sets(sets)
    return training.TrainSpec(
        agent=str(agent),
        scenario=str(scenario),
        timesteps=int(timesteps),  # type: ignore[arg-type]
        seed=seed if seed is not None else (base.seed if base else 0),
        scenario_overrides=(*(base.scenario_overrides if base else ()), *overrides),
        options={**(base.options if base else {}), **options},
        device=device or (base.device if base else "cpu"),
    )
