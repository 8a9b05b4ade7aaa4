"""Point models + error model: known answers on data whose distribution we know."""

from __future__ import annotations

import numpy as np
import pytest
from forecast_panels import panel_from_matrix, poisson_panel
from scipy import stats

from restock.errors import InputError
from restock.forecasters import make
from restock.forecasters.statistical import seasonal_naive_forecasts, smoothed_levels

QS = (0.1, 0.5, 0.9)


def test_seasonal_naive_forecasts_repeat_the_last_season() -> None:
    demand = np.arange(10, dtype=float)[None, :]
    f = seasonal_naive_forecasts(demand, np.array([5, 9]), horizon=5, season=4)
    np.testing.assert_array_equal(f[0, 0], [2, 3, 4, 5, 2])  # targets 6..10 <- 2,3,4,5,(6-4=2)
    np.testing.assert_array_equal(f[0, 1], [6, 7, 8, 9, 6])
    short = seasonal_naive_forecasts(demand, np.array([1]), horizon=2, season=4)
    np.testing.assert_array_equal(short[0, 0], [1, 1])  # no full season yet: the last value


def test_a_perfectly_seasonal_series_gets_exact_quantiles() -> None:
    pattern = np.array([0.0, 5.0, 10.0, 3.0])
    panel = panel_from_matrix(np.tile(pattern, (3, 40)))  # 160 weeks
    cutoff = panel.dates[149]
    fc = make("seasonal-naive", season=4).fit(panel.until(cutoff)).predict(panel, cutoff, 6, QS)
    truth = np.tile(pattern, 40)[150:156]
    for q in range(len(QS)):
        np.testing.assert_allclose(fc.per_bucket[:, :, q], np.tile(truth, (3, 1)), atol=1e-12)
        np.testing.assert_allclose(fc.cumulative[:, :, q], np.tile(np.cumsum(truth), (3, 1)), atol=1e-12)


def test_smoothed_levels_of_a_constant_series_are_the_constant() -> None:
    from statsforecast.models import SimpleExponentialSmoothingOptimized

    demand = np.array([[np.nan, np.nan, 7.0, 7.0, 7.0, 7.0, np.nan]])
    levels = smoothed_levels(demand, SimpleExponentialSmoothingOptimized)
    assert np.isnan(levels[0, :2]).all()
    np.testing.assert_allclose(levels[0, 2:], 7.0)  # carried forward after the span ends


@pytest.mark.parametrize("model", ["ets", "croston", "tsb"])
def test_iid_poisson_quantiles_match_the_true_distribution(model: str) -> None:
    lam = 20.0
    panel = poisson_panel({"a": lam}, per_group=30, weeks=160)
    cutoff = panel.dates[-1]
    fc = make(model).fit(panel).predict(panel, cutoff, 4, QS)
    true_bucket = stats.poisson.ppf(QS, lam)
    # the level is estimated with noise (about 1 unit); the error spread is that of Poisson(20)
    np.testing.assert_allclose(np.median(fc.per_bucket, axis=(0, 1)), true_bucket, atol=2.5)
    # cumulative over 4 weeks is Poisson(80): its P90 is far below 4 x the weekly P90
    true_cum = stats.poisson.ppf(QS, 4 * lam)
    np.testing.assert_allclose(np.median(fc.cumulative[:, 3], axis=0), true_cum, atol=6.0)
    assert np.median(fc.cumulative[:, 3, 2]) < 4 * np.median(fc.per_bucket[:, 3, 2]) - 10


def test_new_series_is_forecast_from_its_category() -> None:
    panel = poisson_panel({"slow": 2.0, "fast": 50.0}, per_group=6, weeks=100)
    late = panel.frame[~((panel.frame["series_id"] == "fast-00") & (panel.frame["date"] <= panel.dates[90]))]
    from restock.data.panel import DemandPanel

    launched = DemandPanel.from_frame(late, freq="W-SAT", static=panel.static)
    cutoff = panel.dates[90]
    fc = make("ets").fit(launched.until(cutoff)).predict(launched, cutoff, 4, QS)
    row = fc.series_ids.index("fast-00")
    assert 40 < fc.per_bucket[row, 0, 1] < 60  # peers' level, not the slow movers'


def test_horizon_beyond_the_fitted_pool_is_an_input_error() -> None:
    panel = poisson_panel({"a": 5.0}, per_group=2, weeks=60)
    model = make("ets", max_horizon=4).fit(panel)
    with pytest.raises(InputError, match="max_horizon"):
        model.predict(panel, panel.dates[-1], horizon=6)


def test_bad_config_is_an_input_error() -> None:
    with pytest.raises(InputError, match="error_window"):
        make("ets", error_window=0)
    with pytest.raises(InputError, match="unknown parameter"):
        make("croston", alpha=0.3)


def test_backtest_ranks_a_good_model_above_a_bad_one_on_iid_demand() -> None:
    from restock.forecasters.backtest import backtest

    panel = poisson_panel({"a": 10.0}, per_group=20, weeks=120)
    good = backtest(make("ets"), panel, cutoffs=4, horizon=4)
    naive = backtest(make("seasonal-naive"), panel, cutoffs=4, horizon=4)
    assert good.mean_wql < naive.mean_wql  # a smoothed level beats one noisy draw from a year ago
    median = list(good.quantiles).index(0.5)
    assert abs(good.coverage[median] - 0.5) < 0.1
    assert good.mean_abs_coverage_error < 0.05  # calibrated on i.i.d. demand
