"""``restock demo`` (= ``make demo``): the main job of Restock, end to end, in a few minutes on a laptop.

The job is :func:`restock.pipelines.demo.run_demo` (its module lists the steps); this command picks the
budgets (``--quick`` shrinks every one, what the tests run), draws a rich progress bar per step, and prints
the replay's KPI table, the report's path, the ``tensorboard --logdir`` command and the wall times.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.progress import Progress


class _Bars:
    """The demo's :class:`~restock.pipelines.demo.DemoProgress` on a rich ``Progress``."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress

    def add_task(self, description: str, *, total: int) -> Any:
        return self.progress.add_task(description, total=total)

    def advance(self, task_id: Any) -> None:
        self.progress.advance(task_id)

    def update(self, task_id: Any, *, description: str | None = None, completed: int | None = None) -> None:
        self.progress.update(task_id, description=description, completed=completed)

    def note(self, message: str) -> None:
        self.progress.console.print(message)

    def warn(self, message: str) -> None:
        self.progress.console.print(f"[yellow]{message}[/yellow]")


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
        from restock.pipelines.demo import DemoSpec, check_root, run_demo

        spec = DemoSpec(scenario=scenario)
        if quick:
            spec = spec.quick()
        check_root(root)  # before the bars are drawn
        console = Console()
        start = time.perf_counter()
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            result = run_demo(spec, root, _Bars(progress), train_progress=True)
        wall = time.perf_counter() - start
        print_summary(result.summary, f"replay of {spec.scenario} · {spec.replay_seeds} seeds · des")
        for agent, why in result.skipped.items():
            console.print(f"[yellow]not trained: {agent} ({why})[/yellow]")
        typer.echo(f"report: {result.report}")
        typer.echo(f"TensorBoard: tensorboard --logdir {root}")
        typer.echo(
            f"demo wall time: {wall:.1f} s ({', '.join(f'{k} {v:.1f} s' for k, v in result.seconds.items())})"
        )
