"""``restock.pipelines.demo.run_demo`` called as a library function on a tiny budget (no training), and the
figures ``restock demo`` prints from it (slow: the replay tunes base-stock on covid-shock)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from restock import runs
from restock.errors import InputError
from restock.pipelines import demo
from restock.pipelines.demo import DemoResult, DemoSpec, run_demo

TINY = replace(DemoSpec().quick(), agents=())


class Recorder:
    """A DemoProgress that keeps what it is told."""

    def __init__(self) -> None:
        self.totals: dict[int, int] = {}
        self.done: dict[int, int] = {}
        self.lines: list[str] = []

    def add_task(self, description: str, *, total: int) -> Any:
        self.totals[len(self.totals)] = total
        self.done[len(self.done)] = 0
        return len(self.totals) - 1

    def advance(self, task_id: Any) -> None:
        self.done[task_id] += 1

    def update(self, task_id: Any, *, description: str | None = None, completed: int | None = None) -> None:
        if completed is not None:
            self.done[task_id] = completed

    def note(self, message: str) -> None:
        self.lines.append(message)

    def warn(self, message: str) -> None:
        self.lines.append("warn: " + message)


def test_run_demo_on_a_tiny_budget(tmp_path: Path) -> None:
    progress = Recorder()
    result = run_demo(TINY, tmp_path, progress)
    assert result.training_runs == {} and result.skipped == {}
    assert result.summary["policy"].tolist() == ["newsvendor", "base-stock"]
    kpis = pd.read_csv(result.replay_dir / "kpis.csv")
    assert kpis["profit"].tolist() == pytest.approx(result.summary["profit"].tolist())
    assert runs.load_run(result.replay_dir)["kind"] == "replay" and result.report.is_file()
    assert set(result.seconds) == {"catalog+backtest", "newsvendor", "replay+report"}
    wql = result.backtests["seasonal-naive"]
    assert any(f"mean wQL {wql:.4f}" in line for line in progress.lines)
    assert any(f"profit {result.newsvendor_profit:,.0f} per path" in line for line in progress.lines)
    assert progress.done == progress.totals  # every bar full


@pytest.mark.slow
def test_the_cli_prints_the_figures_run_demo_returns(
    tmp_path: Path,
    run_cli,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    seen: list[DemoResult] = []

    def spy(*args: Any, **kwargs: Any) -> DemoResult:
        seen.append(run_demo(*args, **kwargs))
        return seen[-1]

    monkeypatch.setattr(DemoSpec, "quick", lambda self: replace(TINY, scenario=self.scenario))
    monkeypatch.setattr(demo, "run_demo", spy)
    out = run_cli("demo")("demo", "--quick", "--root", str(tmp_path))
    assert out.returncode == 0, out.stderr
    (result,) = seen
    assert result.summary["policy"].tolist() == ["newsvendor", "base-stock"]
    for profit, saving in result.summary[["profit", "saving_vs_newsvendor"]].itertuples(index=False):
        assert f"{profit:,.0f}" in out.stdout and f"{saving:,.0f}" in out.stdout
    assert f"mean wQL {result.backtests['seasonal-naive']:.4f}" in out.stdout
    assert f"profit {result.newsvendor_profit:,.0f} per path" in out.stdout
    assert f"report: {result.report}" in out.stdout and "demo wall time" in out.stdout


def test_a_root_without_parent_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"--root .*parent folder does not exist"):
        run_demo(TINY, tmp_path / "no" / "runs")


def test_budgets_become_the_trainers_options() -> None:
    full = DemoSpec()
    assert full.budget("ppo") == (40_000, {"eval_paths": 4, "torch_threads": 1})
    steps, options = full.budget("directbackprop")
    assert steps == full.directbackprop_timesteps and options["n_paths"] == 16 and "hidden" not in options
    assert options["threads"] == 1
    assert full.budget("sac") == (full.ppo_timesteps, {})
