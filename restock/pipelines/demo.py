"""The demo (``restock demo`` = ``make demo``): the main job of Restock, end to end, in a few minutes.

1. **Synthetic catalog**: a retail catalog with seasonality, promotions, holidays and life cycles
   (:mod:`restock.data.synthetic`), aggregated to weeks.
2. **Forecaster backtest**: ETS and seasonal naive, rolling origin; wQL and coverage per quantile.
3. **Newsvendor**: the critical-fractile newsvendor on forecast quantiles on a training draw of the
   replay scenario (the baseline every saving is measured against).
4. **DirectBackprop** and **PPO**: short trainings on the replay scenario as it was before the shock
   (``shocks=[]``, :attr:`DemoSpec.train_overrides`), each its own run folder
   (:func:`restock.agents.training.train`); a trainer whose module is not installed is skipped (and said
   so through :meth:`DemoProgress.warn`).
5. **Replay** of the scenario (covid-shock by default) with the newsvendor, base-stock (tuned, like the
   learned agents, on the world before the shock) and the trained policies on the same paths (SimPy
   engine, :func:`restock.pipelines.replay.replay`), and ``report.html`` written into its run folder.

``run_demo(DemoSpec().quick(), Path("runs"))`` runs it silently and returns a :class:`DemoResult`; the
command passes a :class:`DemoProgress` that draws rich progress bars and prints the KPI table.
"""

from __future__ import annotations

import importlib.util
import time
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from restock import io
from restock.agents.directbackprop.config import DirectBackpropConfig
from restock.agents.sb3.config import SB3Options
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
    directbackprop_config: DirectBackpropConfig = field(
        default_factory=lambda: DirectBackpropConfig(
            n_paths=16,
            rollout_periods=364,
            eval_every=10,
            eval_paths=8,
            final_eval_paths=16,
            checkpoint_every=20,
            threads=1,
        )
    )
    """DirectBackprop's hyperparameters (its fields that differ from the defaults become the training
    run's ``agent.`` options)."""
    ppo_timesteps: int = 40_000
    """PPO budget (env steps = SKU-reviews)."""
    ppo_config: SB3Options = field(default_factory=lambda: SB3Options(eval_paths=4, torch_threads=1))
    """PPO's options (likewise). Both trainings use one torch thread: their tensors are small, and on a
    small CPU torch's thread pool costs several times the work (``make demo``: 156 s wall with the
    default threads, 18 s with one, docs/performance.md)."""
    replay_seeds: int = 3
    """Evaluation seeds of the replay."""
    scenario_overrides: tuple[str, ...] = ()
    """Overrides of the scenario for every step (trainings and replay)."""
    train_overrides: tuple[str, ...] = ("shocks=[]",)
    """Extra overrides for what the agents learn on and base-stock is tuned on: by default the world
    without its shocks, so that no policy has seen the shock's dates before the replay (a policy trained on
    the shocked scenario itself learns its calendar, which no buyer could)."""
    agents: tuple[str, ...] = ("directbackprop", "ppo")
    """Agents trained (and replayed); an agent other than these two trains with its default options and
    ``ppo_timesteps``."""

    def quick(self) -> DemoSpec:
        """Budgets for a test: a few seconds per step (the learned policies learn next to nothing)."""
        return replace(
            self,
            catalog_skus=20,
            catalog_days=400,
            backtest_cutoffs=2,
            forecasters=("seasonal-naive",),
            directbackprop_timesteps=2 * 4 * 24 * 52,
            directbackprop_config=DirectBackpropConfig(
                n_paths=4,
                rollout_periods=364,
                eval_every=1,
                eval_paths=2,
                final_eval_paths=2,
                checkpoint_every=1,
                hidden=(16,),
                threads=1,
            ),
            ppo_timesteps=512,
            ppo_config=SB3Options(
                eval_paths=1, n_steps=64, batch_size=64, n_envs=2, n_epochs=1, torch_threads=1
            ),
            replay_seeds=1,
            scenario_overrides=(*self.scenario_overrides, "seeds.n_paths=1"),
        )

    def budget(self, agent: str) -> tuple[int, dict[str, Any]]:
        """``agent``'s timesteps and training options (``TrainSpec.options``)."""
        if agent == "directbackprop":
            return self.directbackprop_timesteps, changed_fields(self.directbackprop_config)
        if agent == "ppo":
            return self.ppo_timesteps, changed_fields(self.ppo_config)
        return self.ppo_timesteps, {}


def changed_fields(config: Any) -> dict[str, Any]:
    """The fields of a dataclass config that differ from its defaults: the ``agent.`` options that give it.

    >>> changed_fields(SB3Options(eval_paths=4))
    {'eval_paths': 4}
    """
    default = type(config)()
    return {
        f.name: getattr(config, f.name)
        for f in fields(config)
        if getattr(config, f.name) != getattr(default, f.name)
    }


@dataclass(frozen=True)
class DemoResult:
    """What the demo produced."""

    backtests: dict[str, float]
    """Forecaster -> mean wQL of the backtest."""
    newsvendor_profit: float
    """The newsvendor's profit per path on the training draw (batch engine)."""
    training_runs: dict[str, Path]
    """Agent -> its training run folder."""
    skipped: dict[str, str]
    """Agent -> why it was not trained."""
    replay_dir: Path
    """The replay's run folder."""
    report: Path
    """``report.html`` in the replay's run folder."""
    summary: pd.DataFrame
    """The replay's KPI table, one row per policy (``kpis.csv``)."""
    seconds: dict[str, float]
    """Step -> wall time."""


class DemoProgress(Protocol):
    """Where the demo reports how far it is (the methods of a ``rich.progress.Progress``, plus two lines)."""

    def add_task(self, description: str, *, total: int) -> Any:
        """A new bar of ``total`` steps; returns its id."""

    def advance(self, task_id: Any) -> None:
        """One step of a bar done."""

    def update(self, task_id: Any, *, description: str | None = None, completed: int | None = None) -> None:
        """A new description or count for a bar."""

    def note(self, message: str) -> None:
        """A line of news (a figure, a run folder)."""

    def warn(self, message: str) -> None:
        """A line the user should not miss (a skipped step)."""


class Silent:
    """A :class:`DemoProgress` that reports nothing (the default of :func:`run_demo`)."""

    def add_task(self, description: str, *, total: int) -> Any:
        return 0

    def advance(self, task_id: Any) -> None:
        pass

    def update(self, task_id: Any, *, description: str | None = None, completed: int | None = None) -> None:
        pass

    def note(self, message: str) -> None:
        pass

    def warn(self, message: str) -> None:
        pass


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


def check_root(root: Path) -> None:
    """An InputError naming ``--root`` unless the folder of run folders can be created."""
    if not Path(root).parent.exists():
        raise InputError(f"--root {root}: its parent folder does not exist")
    io.check_folder(root, "--root")


def run_demo(
    spec: DemoSpec,
    root: Path,
    progress: DemoProgress | None = None,
    *,
    train_progress: bool = False,
) -> DemoResult:
    """Run every step of the demo, its run folders under ``root`` (see the module docstring).

    ``progress`` receives the bars and lines of news (None: silence); ``train_progress`` lets the trainers
    show their own progress (on stderr).
    """
    check_root(root)
    show: DemoProgress = Silent() if progress is None else progress
    seconds: dict[str, float] = {}
    steps = show.add_task("demo", total=4)  # catalog+backtest, newsvendor, trainings, replay

    # 1-2. synthetic catalog and forecaster backtest
    t0 = time.perf_counter()
    from restock.data import aggregate
    from restock.data.synthetic import SyntheticConfig, generate_catalog
    from restock.forecasters import make
    from restock.forecasters.backtest import backtest

    task = show.add_task("synthetic catalog + backtest", total=1 + len(spec.forecasters))
    catalog = generate_catalog(
        SyntheticConfig(n_skus=spec.catalog_skus, n_stores=1, n_days=spec.catalog_days)
    )
    weekly = aggregate(catalog.panel, "W-SAT")
    show.advance(task)
    backtests: dict[str, float] = {}
    for name in spec.forecasters:
        bt = backtest(make(name), weekly, cutoffs=spec.backtest_cutoffs, horizon=4)
        backtests[name] = bt.mean_wql
        show.note(
            f"backtest {name}: mean wQL {bt.mean_wql:.4f} over {bt.n_series} series, {bt.n_cutoffs} cutoffs"
        )
        show.advance(task)
    seconds["catalog+backtest"] = time.perf_counter() - t0
    show.advance(steps)

    # 3. newsvendor on a training draw
    t0 = time.perf_counter()
    from restock.agents.baselines.newsvendor import NewsvendorPolicy
    from restock.agents.evaluate import evaluate
    from restock.scenarios import load

    scenario = load(spec.scenario, list(spec.scenario_overrides))
    task = show.add_task("newsvendor", total=1)
    nv = evaluate({"newsvendor": NewsvendorPolicy()}, scenario, [int(scenario.seeds.root)], engine="batch")
    nv_profit = float(nv.summary["profit"].iloc[0])
    show.note(
        f"newsvendor on {scenario.name} (training draw, batch engine): profit {nv_profit:,.0f} per path"
    )
    show.advance(task)
    seconds["newsvendor"] = time.perf_counter() - t0
    show.advance(steps)

    # 4. short trainings
    from restock.agents.training import TrainSpec, train

    training_runs: dict[str, Path] = {}
    skipped: dict[str, str] = {}
    for agent in spec.agents:
        why = trainer_available(agent)
        if why is not None:
            skipped[agent] = why
            show.warn(f"skipping {agent}: {why}")
            continue
        t0 = time.perf_counter()
        timesteps, options = spec.budget(agent)
        shown = " ".join(f"--set {o}" for o in spec.train_overrides)
        show.note(f"training {agent} on {spec.scenario} {shown} ({timesteps:,} timesteps)")
        training_runs[agent] = train(
            TrainSpec(
                agent,
                spec.scenario,
                timesteps,
                seed=0,
                scenario_overrides=(*spec.scenario_overrides, *spec.train_overrides),
                options=options,
            ),
            root=root,
            progress=train_progress,
        )
        seconds[agent] = time.perf_counter() - t0
        show.note(f"{agent}: {training_runs[agent]}")
    show.advance(steps)

    # 5. replay and report
    t0 = time.perf_counter()
    from restock.pipelines.replay import ReplaySpec, replay
    from restock.reporting.run_report import write_report

    policies = ("newsvendor", "base-stock", *(str(p) for p in training_runs.values()))
    task = show.add_task(f"replay {spec.scenario}", total=6)

    def step(msg: str) -> None:
        show.update(task, description=f"replay: {msg}")
        show.advance(task)

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
    show.update(task, completed=6)
    seconds["replay+report"] = time.perf_counter() - t0
    show.advance(steps)
    return DemoResult(
        backtests, nv_profit, training_runs, skipped, result.run_dir, report, result.summary, seconds
    )
