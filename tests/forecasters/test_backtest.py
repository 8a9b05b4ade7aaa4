"""Rolling-origin backtest: cutoff placement, fit-once protocol and scoring plumbing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd
import pytest
from forecast_panels import panel_from_matrix

from restock.data.panel import DemandPanel
from restock.errors import InputError
from restock.forecasters.backtest import backtest, backtest_cutoffs
from restock.forecasters.base import QuantileForecast


class Oracle:
    """A test double that reads the future (what a forecaster must never do): every quantile = the actual."""

    name: ClassVar[str] = "oracle"

    def __init__(self) -> None:
        self.fitted_on: pd.Timestamp | None = None

    @classmethod
    def get_test_params(cls) -> dict[str, Any]:
        return {}

    def fit(self, panel: DemandPanel) -> Self:
        self.fitted_on = pd.Timestamp(panel.frame["date"].max())
        return self

    def predict(
        self, panel: DemandPanel, cutoff: pd.Timestamp, horizon: int = 8, quantiles: Sequence[float] = (0.5,)
    ) -> QuantileForecast:
        wide = panel.matrix()
        c = int(panel.dates.searchsorted(pd.Timestamp(cutoff)))
        future = np.nan_to_num(wide[:, c + 1 : c + 1 + horizon])
        q = np.asarray(quantiles)
        return QuantileForecast(
            panel.series_ids,
            pd.Timestamp(cutoff),
            q,
            np.repeat(future[:, :, None], len(q), axis=2),
            np.repeat(np.cumsum(future, axis=1)[:, :, None], len(q), axis=2),
        )


def _panel(weeks: int = 30) -> DemandPanel:
    rng = np.random.default_rng(0)
    demand = rng.poisson(5.0, size=(4, weeks)).astype(float)
    demand[3, :5] = np.nan  # launched late
    return panel_from_matrix(demand)


def test_cutoffs_are_the_last_windows_with_full_actuals() -> None:
    panel = _panel(30)
    cutoffs = backtest_cutoffs(panel, cutoffs=3, horizon=4)
    assert list(cutoffs) == list(panel.dates[[23, 24, 25]])  # 25 + 4 = 29, the last bucket


def test_an_oracle_scores_zero_loss_and_fits_once_before_the_first_cutoff() -> None:
    panel = _panel(30)
    oracle = Oracle()
    result = backtest(oracle, panel, cutoffs=3, horizon=4, quantiles=(0.1, 0.5, 0.9))
    assert oracle.fitted_on == panel.dates[23]
    np.testing.assert_allclose(result.wql, 0.0, atol=1e-12)
    np.testing.assert_allclose(result.coverage, 1.0)  # actual <= prediction when they are equal
    np.testing.assert_allclose(result.cumulative_wql, 0.0, atol=1e-12)
    assert result.actuals.shape == (3, 4, 4)
    summary = result.summary()
    assert list(summary) == [
        "model",
        "mean_wql",
        "wql",
        "coverage",
        "volatility",
        "series",
        "cutoffs",
        "scored_buckets",
        "censored_buckets",
    ]
    assert summary["scored_buckets"] == 3 * 4 * 4 and summary["censored_buckets"] == 0
    assert summary["volatility"] == 0.0  # the forecast of a target is its actual, at every cutoff
    assert summary["model"] == "oracle" and summary["series"] == 4 and summary["cutoffs"] == 3
    assert list(summary["wql"]) == ["0.1", "0.5", "0.9"]


def test_scores_match_the_metrics_on_a_hand_made_forecast() -> None:
    class Constant(Oracle):
        name: ClassVar[str] = "constant"

        def predict(self, panel, cutoff, horizon=8, quantiles=(0.5,)):  # type: ignore[no-untyped-def]
            fc = super().predict(panel, cutoff, horizon, quantiles)
            return QuantileForecast(
                fc.series_ids, fc.cutoff, fc.quantiles, fc.per_bucket * 0 + 1.0, fc.cumulative * 0
            )

    panel = panel_from_matrix(np.full((2, 12), 3.0))
    result = backtest(Constant(), panel, cutoffs=2, horizon=2, quantiles=(0.5,))
    # every actual is 3, every median 1: pinball 0.5 * 2 = 1 per cell, wQL = 2 * 1 / 3
    assert result.wql[0] == pytest.approx(2 / 3)
    assert result.coverage[0] == 0.0
    assert result.volatility == 0.0  # a forecast that is never revised


def test_volatility_is_the_revision_of_the_median_between_cutoffs() -> None:
    class Rising(Oracle):
        """Every bucket's forecast is the cutoff's index + 1: each target is revised up by 1 per cutoff."""

        name: ClassVar[str] = "rising"

        def predict(self, panel, cutoff, horizon=8, quantiles=(0.5,)):  # type: ignore[no-untyped-def]
            fc = super().predict(panel, cutoff, horizon, quantiles)
            level = float(panel.dates.searchsorted(pd.Timestamp(cutoff))) + 1.0
            return QuantileForecast(
                fc.series_ids, fc.cutoff, fc.quantiles, fc.per_bucket * 0 + level, fc.cumulative * 0
            )

    panel = panel_from_matrix(np.full((2, 12), 3.0))
    result = backtest(Rising(), panel, cutoffs=2, horizon=2, quantiles=(0.1, 0.5, 0.9))
    # cutoffs 8 and 9: the target forecast 9 at the first and 10 at the second; |10 - 9| / 9.5
    assert result.volatility == pytest.approx(1 / 9.5)
    assert np.isnan(backtest(Rising(), panel, cutoffs=1, horizon=2).volatility)


def test_too_short_a_panel_is_an_input_error() -> None:
    panel = _panel(10)
    with pytest.raises(InputError, match="need at least 13 buckets"):
        backtest(Oracle(), panel, cutoffs=4, horizon=8)
    with pytest.raises(InputError, match="horizon must be a positive integer"):
        backtest_cutoffs(panel, cutoffs=2, horizon=0)


def test_bad_quantiles_are_an_input_error() -> None:
    with pytest.raises(InputError, match="quantiles"):
        backtest(Oracle(), _panel(30), cutoffs=2, horizon=2, quantiles=(0.5, 0.1))


def test_buckets_out_of_stock_are_not_scored() -> None:
    """A stock-out bucket's sale is a lower bound of demand: scoring the Constant-1 median against it would
    count a loss the forecast may not have made. With ``in_stock`` the bucket is left out, exactly as if
    it had no actual; a cumulative target that includes it is left out too."""

    class Constant(Oracle):
        name: ClassVar[str] = "constant"

        def predict(self, panel, cutoff, horizon=8, quantiles=(0.5,)):  # type: ignore[no-untyped-def]
            fc = super().predict(panel, cutoff, horizon, quantiles)
            return QuantileForecast(
                fc.series_ids, fc.cutoff, fc.quantiles, fc.per_bucket * 0 + 3.0, fc.cumulative * 0 + 3.0
            )

    sales = np.full((2, 12), 3.0)
    sales[0, 10] = 0.0  # a stock-out: sold nothing (demand unknown, >= 0)
    base = panel_from_matrix(sales)
    frame = base.frame.assign(in_stock=1.0)
    out = (frame["series_id"] == "s0") & (frame["date"] == base.dates[10])
    frame.loc[out, "in_stock"] = 0.0
    censored = DemandPanel.from_frame(frame, freq=base.freq)
    raw = backtest(Constant(), base, cutoffs=2, horizon=2, quantiles=(0.5,))
    aware = backtest(Constant(), censored, cutoffs=2, horizon=2, quantiles=(0.5,))
    # cutoffs 8 and 9, buckets 9..11: bucket 10 of s0 is in both windows
    assert aware.censored_buckets == 2 and aware.scored_buckets == 2 * 2 * 2 - 2
    assert raw.censored_buckets == 0 and raw.wql[0] > 0.0  # the 0 sale against a median of 3
    assert aware.wql[0] == 0.0 and aware.coverage[0] == 1.0  # every in-stock actual is 3
    assert aware.cumulative_wql[0] < raw.cumulative_wql[0]
    assert np.isnan(aware.actuals[0, 0, 1]) and np.isnan(aware.actuals[1, 0, 0])
