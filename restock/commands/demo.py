"""``restock demo`` (= ``make demo``): the main job of Restock, end to end, in a few minutes on a laptop.

1. **Synthetic catalog**: a retail catalog with seasonality, promotions, holidays and life cycles
   (:mod:`restock.data.synthetic`), aggregated to weeks.
2. **Forecaster backtest**: ETS and seasonal naive, rolling origin; wQL and coverage per quantile.
3. **Newsvendor**: the critical-fractile newsvendor on forecast quantiles on a training draw of the
   replay scenario (the baseline every saving is measured against).
4. **DirectBackprop** and **PPO**: short trainings on the replay scenario as it was before the shock
   (``shocks=[]``, :attr:`DemoSpec.train_overrides`), each its own run folder
   (``restock.agents.training.train``); a trainer whose module is not installed is skipped with a
   visible message.
5. **Replay** of the scenario (covid-shock by default) with the newsvendor, base-stock (tuned, like the
   learned agents, on the world before the shock) and the trained policies on the same paths (SimPy
   engine): the KPI table printed, ``report.html`` written, and the ``tensorboard --logdir`` command
   printed.

Every step shows a rich progress bar; ``--quick`` shrinks every budget (what the tests run).
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any

import typer

from restock.errors import InputError


@dataclass(frozen=True)
class DemoSpec:
    """Budgets of the demo (the full demo's defaults; :meth:`quick` for tests)."""

    scenario: str = "covid-shock"
    """The scenario trained on and replayed."""
    catalog_skus: int = 200
    """SKUs of the synthetic catalog backtested in step 2."""
    catalog_days: int = 728
    """Days of synthetic history."""
    backtest_cutoffs: int = 8
    """Rolling origins of the backtest (weekly buckets, 4 weeks ahead)."""
    forecasters: tuple[str, ...] = ("ets", "seasonal-naive")
    """Forecasters backtested."""
    directbackprop_timesteps: int = 16 * 24 * 52 * 30
    """DirectBackprop budget (decision points simulated: 30 iterations of 16 paths x 24 SKUs x 52 reviews)."""
    directbackprop_options: dict[str, Any] = field(
        default_factory=lambda: {
            "n_paths": 16,
            "rollout_periods": 364,
            "eval_every": 10,
            "eval_paths": 8,
            "final_eval_paths": 16,
            "checkpoint_every": 20,
        }
    )
    ppo_timesteps: int = 40_000
    """PPO budget (env steps = SKU-reviews)."""
    ppo_options: dict[str, Any] = field(default_factory=lambda: {"eval_paths": 4})
    replay_seeds: int = 3
    """Evaluation seeds of the replay."""
    scenario_overrides: tuple[str, ...] = ()
    """Overrides of the scenario for every step (trainings and replay)."""
    train_overrides: tuple[str, ...] = ("shocks=[]",)
    """Extra overrides for what the agents learn on and base-stock is tuned on: by default the world
    without its shocks, so that no policy has seen the shock's dates before the replay (a policy trained on
    the shocked scenario itself learns its calendar, which no buyer could)."""
    agents: tuple[str, ...] = ("directbackprop", "ppo")
    """Agents trained (and replayed)."""

    def quick(self) -> DemoSpec:
        """Budgets for a test: a few seconds per step (the learned policies learn next to nothing)."""
        return replace(
            self,
            catalog_skus=20,
            catalog_days=400,
            backtest_cutoffs=2,
            forecasters=("seasonal-naive",),
            directbackprop_timesteps=2 * 4 * 24 * 52,
            directbackprop_options={
                "n_paths": 4,
                "rollout_periods": 364,
                "eval_every": 1,
                "eval_paths": 2,
                "final_eval_paths": 2,
                "checkpoint_every": 1,
                "hidden": [16],
            },
            ppo_timesteps=512,
            ppo_options={"eval_paths": 1, "n_steps": 64, "batch_size": 64, "n_envs": 2, "n_epochs": 1},
            replay_seeds=1,
            scenario_overrides=(*self.scenario_overrides, "seeds.n_paths=1"),
        )


@dataclass
class DemoResult:
    """What the demo produced."""

    backtests: dict[str, float]
    """Forecaster -> mean wQL of the backtest."""
    newsvendor_profit: float
    training_runs: dict[str, Path]
    skipped: dict[str, str]
    """Agent -> why it was not trained."""
    replay_dir: Path
    report: Path
    summary: Any
    seconds: dict[str, float]


def trainer_available(agent: str) -> str | None:
    """None if ``agent``'s trainer module is installed, else why not."""
    from restock.agents.training import TRAINERS

    module = TRAINERS.get(agent)
    if module is None:
        return f"no trainer registered for {agent!r}"
    try:
        found = importlib.util.find_spec(module)
    except ModuleNotFoundError:
        found = None
    return None if found is not None else f"trainer module {module} is not installed"


def run_demo(spec: DemoSpec, root: Path, progress: Any, say: Callable[[str], None]) -> DemoResult:
    """Run every step of the demo under ``root`` (see the module docstring)."""
    seconds: dict[str, float] = {}
    steps = progress.add_task("demo", total=5)

    # 1-2. synthetic catalog and forecaster backtest
    t0 = time.perf_counter()
    from restock.data import aggregate
    from restock.data.synthetic import SyntheticConfig, generate_catalog
    from restock.forecasters import make
    from restock.forecasters.backtest import backtest

    task = progress.add_task("synthetic catalog + backtest", total=1 + len(spec.forecasters))
    catalog = generate_catalog(
        SyntheticConfig(n_skus=spec.catalog_skus, n_stores=1, n_days=spec.catalog_days)
    )
    weekly = aggregate(catalog.panel, "W-SAT")
    progress.advance(task)
    backtests: dict[str, float] = {}
    for name in spec.forecasters:
        bt = backtest(make(name), weekly, cutoffs=spec.backtest_cutoffs, horizon=4)
        backtests[name] = bt.mean_wql
        say(f"backtest {name}: mean wQL {bt.mean_wql:.4f} over {bt.n_series} series, {bt.n_cutoffs} cutoffs")
        progress.advance(task)
    seconds["catalog+backtest"] = time.perf_counter() - t0
    progress.advance(steps)

    # 3. newsvendor on a training draw
    t0 = time.perf_counter()
    from restock.agents.baselines.newsvendor import NewsvendorPolicy
    from restock.agents.evaluate import evaluate
    from restock.scenarios import load

    scenario = load(spec.scenario, list(spec.scenario_overrides))
    task = progress.add_task("newsvendor", total=1)
    nv = evaluate({"newsvendor": NewsvendorPolicy()}, scenario, [int(scenario.seeds.root)], engine="batch")
    nv_profit = float(nv.summary["profit"].iloc[0])
    say(f"newsvendor on {scenario.name} (training draw, batch engine): profit {nv_profit:,.0f} per path")
    progress.advance(task)
    seconds["newsvendor"] = time.perf_counter() - t0
    progress.advance(steps)

    # 4. short trainings
    from restock.agents.training import TrainSpec, train

    budgets = {
        "directbackprop": (spec.directbackprop_timesteps, spec.directbackprop_options),
        "ppo": (spec.ppo_timesteps, spec.ppo_options),
    }
    training_runs: dict[str, Path] = {}
    skipped: dict[str, str] = {}
    for agent in spec.agents:
        why = trainer_available(agent)
        if why is not None:
            skipped[agent] = why
            say(f"[yellow]skipping {agent}: {why}[/yellow]")
            continue
        t0 = time.perf_counter()
        timesteps, options = budgets.get(agent, (spec.ppo_timesteps, {}))
        shown = " ".join(f"--set {o}" for o in spec.train_overrides)
        say(f"training {agent} on {spec.scenario} {shown} ({timesteps:,} timesteps)")
        training_runs[agent] = train(
            TrainSpec(
                agent,
                spec.scenario,
                timesteps,
                seed=0,
                scenario_overrides=(*spec.scenario_overrides, *spec.train_overrides),
                options=dict(options),
            ),
            root=root,
            progress=True,
        )
        seconds[agent] = time.perf_counter() - t0
        say(f"{agent}: {training_runs[agent]}")
    progress.advance(steps)

    # 5. replay and report
    t0 = time.perf_counter()
    from restock.agents.replay import ReplaySpec, replay
    from restock.reporting.run_report import write_report

    policies = ("newsvendor", "base-stock", *(str(p) for p in training_runs.values()))
    task = progress.add_task(f"replay {spec.scenario}", total=6)

    def step(msg: str) -> None:
        progress.update(task, description=f"replay: {msg}")
        progress.advance(task)

    result = replay(
        ReplaySpec(
            spec.scenario,
            policies,
            seeds=spec.replay_seeds,
            scenario_overrides=spec.scenario_overrides,
            train_overrides=spec.train_overrides,
        ),
        root=root,
        progress=step,
    )
    report = write_report(result.run_dir)
    progress.update(task, completed=6)
    seconds["replay+report"] = time.perf_counter() - t0
    progress.advance(steps)
    return DemoResult(
        backtests, nv_profit, training_runs, skipped, result.run_dir, report, result.summary, seconds
    )


def register(app: typer.Typer) -> None:
    """Attach ``restock demo``."""

    @app.command("demo")
    def demo(
        quick: Annotated[bool, typer.Option("--quick", help="Tiny budgets (seconds; for tests).")] = False,
        root: Annotated[Path, typer.Option("--root", help="Folder of run folders.")] = Path("runs"),
        scenario: Annotated[
            str, typer.Option("--scenario", help="Scenario trained on and replayed.")
        ] = "covid-shock",
    ) -> None:
        """Synthetic catalog -> backtest -> newsvendor -> DirectBackprop and PPO -> replay -> report."""
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        from restock.commands.replay import print_summary

        spec = DemoSpec(scenario=scenario)
        if quick:
            spec = spec.quick()
        if not root.parent.exists():
            raise InputError(f"--root {root}: its parent folder does not exist")
        console = Console()
        start = time.perf_counter()
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            result = run_demo(spec, root, progress, progress.console.print)
        wall = time.perf_counter() - start
        print_summary(result.summary, f"replay of {spec.scenario} · {spec.replay_seeds} seeds · des")
        for agent, why in result.skipped.items():
            console.print(f"[yellow]not trained: {agent} ({why})[/yellow]")
        typer.echo(f"report: {result.report}")
        typer.echo(f"TensorBoard: tensorboard --logdir {root}")
        typer.echo(
            f"demo wall time: {wall:.1f} s ({', '.join(f'{k} {v:.1f} s' for k, v in result.seconds.items())})"
        )
