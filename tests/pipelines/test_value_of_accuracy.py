"""``restock value-of-accuracy``: the true forecaster is the ceiling, a row is ``restock evaluate`` by hand,
accuracy is measured at the forecast rows the policy reads, the run folder explains itself."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from bad_inputs import cases, make_workspace, run_case

from restock import runs
from restock.forecasters.metrics import coverage, forecast_volatility, weighted_quantile_loss
from restock.pipelines.value_of_accuracy import (
    SUMMARY_COLUMNS,
    AccuracyResult,
    AccuracySpec,
    pool,
    run_value_of_accuracy,
    score_episode,
    write_accuracy_run,
)
from restock.reporting import tensorboard as tb
from restock.scenarios import load
from restock.scenarios.forecast import ScenarioForecast

SMALL = ("catalog.n_skus=5", "horizon=84")
"""5 SKUs x 12 weeks of the steady scenario: a few seconds per forecaster."""


@pytest.fixture(scope="module")
def result() -> AccuracyResult:
    spec = AccuracySpec(
        "steady", ("seasonal-naive", "ets"), seeds=3, engine="batch", scenario_overrides=SMALL
    )
    return run_value_of_accuracy(spec)


def _row(result: AccuracyResult, forecaster: str) -> dict[str, float]:
    return result.summary.set_index("forecaster").loc[forecaster].to_dict()


def test_the_true_forecaster_is_the_ceiling_with_the_lowest_wql(result: AccuracyResult) -> None:
    assert result.forecasters == ("true", "seasonal-naive", "ets") and result.reference == "true"
    assert list(result.summary.columns) == list(SUMMARY_COLUMNS)
    s = result.summary.set_index("forecaster")
    assert s["mean_wql"].idxmin() == "true"
    assert (s.loc[["seasonal-naive", "ets"], "mean_wql"] > s.loc["true", "mean_wql"]).all()
    # the same policy on the exact quantiles earns the most (paired over the same paths)
    assert (s.loc[["seasonal-naive", "ets"], "profit_gap"] < 0).all()
    assert s["profit"].idxmax() == "true"


def test_the_true_forecaster_against_itself_is_exactly_zero(result: AccuracyResult) -> None:
    true = _row(result, "true")
    assert (true["profit_gap"], true["ci_low"], true["ci_high"], true["gap_pct"]) == (0.0, 0.0, 0.0, 0.0)


def test_a_forecaster_that_never_revises_has_zero_volatility(result: AccuracyResult) -> None:
    # stationary demand: the exact table is the same at every review, so no target is ever revised
    assert _row(result, "true")["volatility"] == 0.0
    assert _row(result, "ets")["volatility"] > 0.0 and _row(result, "seasonal-naive")["volatility"] > 0.0


def test_every_forecaster_is_judged_on_the_same_paths(result: AccuracyResult) -> None:
    demand = result.per_seed.pivot(index="seed", columns="forecaster", values="demand_units")
    assert len(demand) == 3
    assert (demand.to_numpy() == demand[["true"]].to_numpy()).all()


def test_a_row_is_restock_evaluate_by_hand(result: AccuracyResult, run_cli) -> None:  # type: ignore[no-untyped-def]
    cli = run_cli("evaluate")
    sets = [a for item in SMALL for a in ("--set", item)]
    out = cli("evaluate", "--scenario", "steady", *sets, "--set", "forecast.model=ets",
              "--policies", "newsvendor-tuned", "--seeds", "3", "--engine", "batch", "--json")  # fmt: skip
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    by_hand = [(r["seed"], r["profit"]) for r in data["rows"] if r["policy"] == "newsvendor-tuned"]
    mine = result.per_seed[result.per_seed["forecaster"] == "ets"]
    assert list(zip(mine["seed"], mine["profit"], strict=True)) == by_hand
    tuned = next(r for r in data["summary"] if r["policy"] == "newsvendor-tuned")
    assert _row(result, "ets")["profit"] == tuned["profit"]
    spec = result.evaluations["ets"]
    assert spec.policies == ("newsvendor-tuned",) and spec.scenario_overrides[-1] == 'forecast.model="ets"'


def _table(per_bucket: np.ndarray) -> ScenarioForecast:
    """Reviews in periods 0 and 7, two weekly buckets, levels 0.1 / 0.5 / 0.9, one node and SKU."""
    return ScenarioForecast(
        model="hand",
        review_periods=np.array([0, 7]),
        quantiles=np.array([0.1, 0.5, 0.9]),
        nodes=("store",),
        skus=("A",),
        bucket_length=7,
        per_bucket=per_bucket,
        cover=np.array([7, 14]),
        cumulative=np.zeros((1, 1, 1, 1, 2, 3)),
    )


def test_realized_buckets_are_the_demand_of_each_review_bucket() -> None:
    demand = np.arange(14, dtype=float).reshape(1, 14, 1, 1)  # periods 0..13, one path
    real = _table(np.zeros((1, 1, 1, 1, 2, 3))).realized_buckets(demand)
    assert real.shape == (1, 2, 1, 1, 2)
    week1, week2 = sum(range(7)), sum(range(7, 14))
    assert real[0, 0, 0, 0].tolist() == [week1, week2]  # review 0: periods 0-6, 7-13
    assert real[0, 1, 0, 0, 0] == week2 and np.isnan(real[0, 1, 0, 0, 1])  # 14-20: past the horizon


def test_an_episode_is_scored_with_the_metrics_module() -> None:
    scenario = load("steady", ["catalog.n_skus=1"])
    per_bucket = np.zeros((2, 2, 1, 1, 2, 3))  # [P, R, M, N, H, Q]: a revised forecast per path
    per_bucket[..., :] = [10.0, 20.0, 30.0]
    per_bucket[:, 1, ..., 0, :] = [15.0, 25.0, 35.0]  # review 7 revises its first bucket by +5
    rng = np.random.default_rng(0)
    demand = rng.poisson(3.0, size=(2, 14, 1, 1)).astype(float)
    ep = SimpleNamespace(forecasts=_table(per_bucket), paths=SimpleNamespace(demand=demand), seed=7)
    score = score_episode(ep, scenario)  # type: ignore[arg-type]
    real = _table(per_bucket).realized_buckets(demand)
    ok = np.isfinite(real)
    levels = np.array([0.1, 0.5, 0.9])
    np.testing.assert_allclose(score.bucket.wql, weighted_quantile_loss(real[ok], per_bucket[ok], levels))
    np.testing.assert_allclose(score.bucket.coverage, coverage(real[ok], per_bucket[ok]))
    assert score.bucket.n == 6 and score.seed == 7
    # cumulative: the table's quantiles over 1 and 2 buckets (all 0 here) against the realized sums;
    # review 7's two-bucket sum runs past the horizon
    cum = np.cumsum(real, axis=-1)
    assert score.cumulative.n == 6 and np.isnan(cum[:, 1, 0, 0, 1]).all()
    np.testing.assert_allclose(
        score.cumulative.wql, weighted_quantile_loss(cum[np.isfinite(cum)], np.zeros((6, 3)), levels)
    )
    # pooling two episodes is scoring them together
    demand2 = rng.poisson(9.0, size=(2, 14, 1, 1)).astype(float)
    ep2 = SimpleNamespace(forecasts=_table(per_bucket), paths=SimpleNamespace(demand=demand2), seed=8)
    both = pool([score, score_episode(ep2, scenario)], levels)  # type: ignore[arg-type]
    real2 = _table(per_bucket).realized_buckets(demand2)
    a = np.concatenate([real[ok], real2[ok]])
    f = np.concatenate([per_bucket[ok], per_bucket[ok]])
    np.testing.assert_allclose(both.bucket.wql, weighted_quantile_loss(a, f, levels))
    np.testing.assert_allclose(both.bucket.coverage, coverage(a, f))
    # the median of the target of (review 0, bucket 1) goes 20 -> 25 at review 7: volatility 5 / 22.5
    assert both.volatility == pytest.approx(5.0 / 22.5)
    assert both.volatility == forecast_volatility(np.moveaxis(per_bucket[..., 1], 1, 0).reshape(2, -1, 2))


def test_the_run_folder_explains_itself(result: AccuracyResult, tmp_path: Path) -> None:
    path = write_accuracy_run(tmp_path / "acc", result)
    meta = runs.load_run(path)
    assert meta["kind"] == "value-of-accuracy" and meta["config"]["reference"] == "true"
    assert meta["config"]["forecasters"] == ["true", "seasonal-naive", "ets"]
    kpis = pd.read_csv(path / "kpis.csv", float_precision="round_trip")
    pd.testing.assert_frame_equal(kpis, result.summary, check_dtype=False)
    cal = pd.read_csv(path / "calibration.csv")
    assert len(cal) == 3 * len(load("steady").forecast.quantiles)
    np.testing.assert_allclose(cal["calibration"], cal["coverage"] - cal["quantile"])
    scalars = tb.read_scalars(path / "tensorboard" / "accuracy")
    for f in result.forecasters:
        row = _row(result, f)
        assert scalars[f"accuracy/{f}/wql"]["value"].iloc[0] == pytest.approx(row["mean_wql"], rel=1e-6)
        assert scalars[f"accuracy/{f}/profit"]["value"].iloc[0] == pytest.approx(row["profit"], rel=1e-6)
    assert (path / "figures" / "value_of_accuracy.png").stat().st_size > 10_000
    html = (path / "report.html").read_text(encoding="utf-8")
    assert "<h2>Value of forecast accuracy</h2>" in html and "data:image/png;base64," in html
    assert "calibration.csv" in html and "<td>seasonal-naive</td>" in html


def test_bad_input_leaves_no_output_folder(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path / "w")
    mine = [c for c in cases() if c.id.startswith("accuracy-")]
    assert len(mine) >= 15
    for case in mine:
        outcome = run_case(case, workspace)
        assert outcome.kind == "named", (case.id, outcome.stderr)
        assert outcome.code == 2
        assert not (workspace / "accuracy").exists(), case.id


def test_the_command_prints_json_and_a_table(run_cli) -> None:  # type: ignore[no-untyped-def]
    cli = run_cli("value_of_accuracy")
    args = ("value-of-accuracy", "--scenario", "steady", "--set", "catalog.n_skus=2", "--set", "horizon=28",
            "--forecasters", "ets", "--policy", "newsvendor", "--seeds", "2")  # fmt: skip
    out = cli(*args, "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["reference"] == "true" and [r["forecaster"] for r in data["summary"]] == ["true", "ets"]
    assert list(data["summary"][0]) == list(SUMMARY_COLUMNS)
    assert {r["forecaster"] for r in data["calibration"]} == {"true", "ets"}
    table = cli(*args)
    assert table.returncode == 0 and table.stdout.startswith("| forecaster | mean_wql |")
    assert "· ets: newsvendor on 2 seeds" in table.stderr
