"""Every script in examples/ runs, small, as a user runs it: ``python examples/NAME.py ARGS``.

Each runs in this process (``runpy``, as ``__main__``) with a short command line from :data:`SMALL`; a new
example without an entry there fails :func:`test_every_example_has_a_small_command_line`. The comparison
runs on the training example's own run folder, trained with scenario overrides, and must judge the run on
the scenario its ``run.json`` records (overrides included), not on the scenario's name alone. The
``recommend/`` example (it reads m5-tiny) writes a snapshot and a sales history that ``restock.recommend``
turns into orders.
"""

from __future__ import annotations

import contextlib
import io
import runpy
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import restock.agents.evaluate

pytestmark = pytest.mark.filterwarnings("ignore:rich is experimental")  # SB3's progress bar, as users see it

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
OVERRIDES = ("horizon=84", "warmup=84", "catalog.n_skus=4")
SMALL: dict[str, list[str]] = {
    "train_ppo_catalog.py": ["--timesteps", "384", "--n-envs", "16", "--eval-paths", "2"]
    + [arg for o in OVERRIDES for arg in ("--set", o)],
    "compare_policies.py": ["--seeds", "2", "--paths", "2"],  # after the run folder
}


def run_example(name: str, args: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", [str(EXAMPLES / name), *args])
    runpy.run_path(str(EXAMPLES / name), run_name="__main__")


def test_every_example_has_a_small_command_line() -> None:
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(SMALL)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The training example's run folder (4 SKUs x 84 days) and what it printed."""
    root = tmp_path_factory.mktemp("runs")
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(out):
        run_example("train_ppo_catalog.py", [*SMALL["train_ppo_catalog.py"], "--root", str(root)], mp)
    (run,) = root.iterdir()
    return run, out.getvalue()


def test_the_training_example_trains_and_prints_its_kpis(trained: tuple[Path, str]) -> None:
    run, out = trained
    assert (run / "kpis.csv").is_file() and (run / "checkpoints" / "best.zip").is_file()
    assert "saving_vs_newsvendor" in out and f"run folder: {run}" in out


def test_the_comparison_judges_a_run_on_its_recorded_scenario(
    trained: tuple[Path, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run, _ = trained
    seen: list[Any] = []
    real = restock.agents.evaluate.evaluate

    def spy(policies: Any, scenario: Any, seeds: Any, **kw: Any) -> Any:
        seen.append(scenario)
        return real(policies, scenario, seeds, **kw)

    monkeypatch.setattr(restock.agents.evaluate, "evaluate", spy)
    run_example("compare_policies.py", [str(run), *SMALL["compare_policies.py"]], monkeypatch)
    out = capsys.readouterr().out
    (scenario,) = seen
    assert scenario.horizon == 84 and scenario.warmup == 84 and scenario.catalog.n_skus == 4
    assert "4 SKUs x 84 periods, 2 evaluation seeds, batch engine" in out
    rows = out.splitlines()[-3:]
    assert [r.split()[0] for r in rows] == ["newsvendor", "trained", "base-stock"]


@pytest.mark.needs_data
def test_the_recommend_example_writes_inputs_that_recommend_turns_into_orders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from shared_data import M5_TINY

    import restock

    out = tmp_path / "inputs"
    run_example(
        "recommend/make_inputs.py", ["--data", str(M5_TINY), "--out", str(out), "--days", "120"], monkeypatch
    )
    printed = capsys.readouterr().out
    assert printed.startswith("today: 2016-04-18;")  # the first day of the data's last week
    sales = pd.read_csv(out / "sales.csv", parse_dates=["date"])
    assert sales["date"].max() == pd.Timestamp("2016-04-17") and sales["date"].nunique() == 120
    orders = restock.recommend(out / "snapshot.csv", out / "sales.csv", forecaster="seasonal-naive")
    assert list(orders["sku"]) == list(pd.read_csv(out / "snapshot.csv")["sku"])
    over = orders.set_index("sku").loc["FOODS_2_360_CA_1"]
    assert over["order_qty"] == 0 and over["reason"].startswith("inventory position")
    assert (orders["order_qty"] > 0).sum() == len(orders) - 1
