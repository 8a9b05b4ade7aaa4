"""The pooled quantile forest and its features: causality, scaling, known distributions, cold starts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from forecast_panels import poisson_panel
from scipy import stats
from shared_data import M5_TINY

from restock.data.panel import DemandPanel
from restock.errors import InputError
from restock.forecasters import make
from restock.forecasters.base import QuantileForecast
from restock.forecasters.features import (
    MISSING,
    FeatureContext,
    origin_features,
    origin_targets,
    season_positions,
    series_scale,
)

QS = (0.1, 0.5, 0.9)
RATES = {"slow": 2.0, "mid": 8.0, "fast": 40.0}


def _context(demand: np.ndarray, horizon: int = 3) -> FeatureContext:
    s, t = demand.shape
    return FeatureContext(
        demand=demand,
        first=np.zeros(s, dtype=np.int64),
        price=np.full((s, t + horizon), 2.0),
        covariates=np.zeros((1, s, t + horizon)),
        season_position=np.arange(t + horizon, dtype=float),
        static_codes=np.zeros((s, 1), dtype=np.int64),
        groups=np.zeros(s, dtype=np.int64),
        season=52,
        horizon=horizon,
        scale_window=13,
        n_lags=4,
    )


def test_features_never_read_demand_after_the_origin() -> None:
    rng = np.random.default_rng(0)
    demand = rng.poisson(3.0, size=(5, 80)).astype(float)
    changed = demand.copy()
    changed[:, 61:] = rng.poisson(30.0, size=(5, 19))
    a, scale_a = origin_features(_context(demand), 60)
    b, scale_b = origin_features(_context(changed), 60)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(scale_a, scale_b)


def test_features_are_scale_free_and_targets_scaled() -> None:
    rng = np.random.default_rng(1)
    demand = rng.poisson(3.0, size=(4, 80)).astype(float)
    x1, s1 = origin_features(_context(demand), 70)
    x10, s10 = origin_features(_context(demand * 10), 70)
    np.testing.assert_allclose(s10, 10 * s1)
    # every feature but log(scale) and the peer level (columns 0 and 3) is unchanged by a unit change
    keep = [i for i in range(x1.shape[1]) if i not in (0, 3)]
    np.testing.assert_allclose(x1[:, keep], x10[:, keep])
    y = origin_targets(demand, 70, 3, s1)
    np.testing.assert_allclose(y[:, :3] * s1[:, None], demand[:, 71:74])
    np.testing.assert_allclose(y[:, 3:] * s1[:, None], np.cumsum(demand[:, 71:74], axis=1))


def test_masked_history_looks_like_a_new_product() -> None:
    demand = np.vstack([np.full(60, 5.0), np.full(60, 7.0), np.full(60, 9.0)])
    masked = np.array([True, False, False])
    x, scale = origin_features(_context(demand), 50, masked)
    assert scale[0] == pytest.approx(8.0)  # the peers' median scale
    assert x[0, 2] == 0.0  # age
    assert (x[0, 4:8] == MISSING).all()  # lags


def test_series_scale_sources() -> None:
    window = np.array([[2.0, 4.0], [0.0, 0.0], [0.0, 0.0], [np.nan, np.nan]])
    history = np.array([[2.0, 4.0], [6.0, 0.0], [0.0, 0.0], [np.nan, np.nan]])
    scale, kind = series_scale(window, history, np.zeros(4, dtype=np.int64))
    np.testing.assert_allclose(scale, [3.0, 3.0, 3.0, 3.0])
    np.testing.assert_array_equal(kind, [0, 1, 2, 2])


def test_season_positions_by_frequency() -> None:
    weeks = pd.date_range("2021-01-02", periods=3, freq="W-SAT")
    np.testing.assert_array_equal(season_positions(weeks, "W-SAT"), [53, 1, 2])  # ISO weeks
    months = pd.date_range("2021-01-01", periods=3, freq="MS")
    np.testing.assert_array_equal(season_positions(months, "MS"), [1, 2, 3])


@pytest.fixture(scope="module")
def poisson_forecast() -> tuple[DemandPanel, QuantileForecast]:
    panel = poisson_panel(RATES, per_group=8, weeks=90)
    # one "fast" product launches after the cutoff: its whole history is in the future
    frame = panel.frame[~((panel.frame["series_id"] == "fast-00") & (panel.frame["date"] <= panel.dates[80]))]
    panel = DemandPanel.from_frame(frame, freq="W-SAT", static=panel.static)
    cutoff = panel.dates[80]
    model = make("quantile-forest", n_estimators=40, max_origins=60, n_jobs=1, horizon=4)
    model.fit(panel.until(cutoff))
    return panel, model.predict(panel, cutoff, 4, QS)


def test_iid_poisson_quantiles_by_category(poisson_forecast: tuple[DemandPanel, QuantileForecast]) -> None:
    _, fc = poisson_forecast
    for cat, lam in RATES.items():
        rows = [i for i, s in enumerate(fc.series_ids) if s.startswith(cat) and s != "fast-00"]
        bucket = np.median(fc.per_bucket[rows], axis=(0, 1))
        np.testing.assert_allclose(bucket, stats.poisson.ppf(QS, lam), atol=0.6 + 0.06 * lam)
        cum = np.median(fc.cumulative[rows, 3], axis=0)
        np.testing.assert_allclose(cum, stats.poisson.ppf(QS, 4 * lam), atol=1.0 + 0.04 * 4 * lam)


def test_a_new_product_is_forecast_from_similar_products(
    poisson_forecast: tuple[DemandPanel, QuantileForecast],
) -> None:
    _, fc = poisson_forecast
    row = fc.series_ids.index("fast-00")
    median = fc.per_bucket[row, :, 1]
    assert (median > 30).all() and (median < 50).all()  # the fast category's level (40), not 2 or 8


def test_horizon_beyond_training_is_an_input_error() -> None:
    panel = poisson_panel({"a": 3.0}, per_group=3, weeks=40)
    model = make("quantile-forest", n_estimators=5, horizon=2, n_jobs=1).fit(panel)
    with pytest.raises(InputError, match="trained horizon"):
        model.predict(panel, panel.dates[-1], horizon=3)


def test_bad_config_is_an_input_error() -> None:
    with pytest.raises(InputError, match="max_features"):
        make("quantile-forest", max_features=0.0)


@pytest.mark.slow
@pytest.mark.needs_data
def test_forest_beats_seasonal_naive_on_m5_tiny() -> None:
    from restock.data import aggregate, load_panel
    from restock.forecasters.backtest import backtest

    panel = aggregate(load_panel(f"m5:{M5_TINY}"), "W-SAT")
    forest = backtest(make("quantile-forest"), panel, cutoffs=8, horizon=8)
    naive = backtest(make("seasonal-naive"), panel, cutoffs=8, horizon=8)
    assert forest.mean_wql < 0.9 * naive.mean_wql
    assert forest.mean_abs_coverage_error < 0.1
