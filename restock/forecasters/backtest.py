"""Rolling-origin backtest: fit once, predict at the last ``cutoffs`` origins, score against what happened.

Cutoffs are the last ``cutoffs`` buckets that still have ``horizon`` buckets of actuals after them, one
bucket apart: with T buckets in the panel (indices 0..T-1) they are
``T-1-horizon-(cutoffs-1) .. T-1-horizon``.

The forecaster is fitted **once**, on the panel's rows up to and including the first cutoff, and is **not
refitted** at later cutoffs (each ``predict`` still sees all demand up to its own cutoff, so models that
condition on recent history, and the error-model baselines, which re-run their cheap point model, use it).
This is the protocol of a deployed model retrained on a schedule longer than the backtest window, and it
keeps the backtest of a quantile forest within seconds. ``predict`` gets the whole panel: demand after the
cutoff is off limits (the contract test checks it) while known-in-advance prices and covariates are not.

Metrics are over the per-bucket forecasts of every (cutoff, series, bucket) with an actual (buckets outside
a series' span are ignored): wQL per quantile and its mean, coverage per quantile and the mean absolute
coverage error. The same metrics over the cumulative forecasts are kept in ``cumulative_wql``. The
forecast volatility (:func:`restock.forecasters.metrics.forecast_volatility`) is that of the median of the
per-bucket forecasts: the cutoffs are one bucket apart, so a target forecast at (cutoff c, bucket h) is
forecast again at (c + 1, h - 1); NaN with a single cutoff or a horizon of one bucket.

Censored actuals: where the panel carries the availability column ``in_stock`` (docs/censoring.md), a
bucket that was not fully in stock (``in_stock < 1``) recorded sales, a lower bound of its demand. Scoring
a forecast of demand against it would reward under-forecasting exactly where stock-outs hid demand, so such
buckets are **not scored** (their actual is NaN, like a bucket outside the series' span), and a
cumulative actual that includes one is not scored either. ``censored_buckets`` counts what was left out;
``scored_buckets`` what was scored. A panel without the column is scored everywhere, as before.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from restock.data.panel import AVAILABILITY_COLUMN, DemandPanel
from restock.errors import InputError
from restock.forecasters.base import (
    DEFAULT_HORIZON,
    DEFAULT_QUANTILES,
    Forecaster,
    ForecastTable,
)
from restock.forecasters.history import future_dates
from restock.forecasters.metrics import (
    coverage,
    forecast_volatility,
    mean_absolute_coverage_error,
    quantile_at,
    weighted_quantile_loss,
)


@dataclass(frozen=True)
class BacktestResult:
    """Forecasts, actuals and scores of one rolling-origin backtest."""

    model: str
    table: ForecastTable
    """The forecasts, [C, S, H, Q] per bucket and cumulative."""
    actuals: np.ndarray
    """Demand in each forecast bucket, [C, S, H]; NaN outside a series' span."""
    wql: np.ndarray
    """wQL per quantile of the per-bucket forecasts, [Q]."""
    coverage: np.ndarray
    """Share of actuals at or below each per-bucket quantile, [Q]."""
    mean_abs_coverage_error: float
    """Mean over quantiles of |coverage - level|."""
    cumulative_wql: np.ndarray
    """wQL per quantile of the cumulative forecasts over 1..h buckets (all h pooled), [Q]."""
    volatility: float
    """Forecast volatility of the median per-bucket forecasts (module docstring); NaN with one cutoff or
    a horizon of one bucket."""
    censored_buckets: int
    """Forecast buckets with an actual that were not scored because the bucket was not fully in stock
    (``in_stock < 1``; module docstring); 0 for a panel without availability."""
    scored_buckets: int
    """Forecast buckets scored (an actual, in stock)."""
    fit_seconds: float
    """Wall time of ``fit``."""
    predict_seconds: float
    """Wall time of all ``predict`` calls."""

    @property
    def quantiles(self) -> np.ndarray:
        return self.table.quantiles

    @property
    def mean_wql(self) -> float:
        return float(self.wql.mean())

    @property
    def n_series(self) -> int:
        return len(self.table.series_ids)

    @property
    def n_cutoffs(self) -> int:
        return len(self.table.cutoffs)

    def summary(self) -> dict[str, Any]:
        """The CLI's JSON: model, mean_wql, wql and coverage by quantile, volatility (None where NaN),
        series and cutoffs."""
        return {
            "model": self.model,
            "mean_wql": self.mean_wql,
            "wql": {_label(q): float(v) for q, v in zip(self.quantiles, self.wql, strict=True)},
            "coverage": {_label(q): float(v) for q, v in zip(self.quantiles, self.coverage, strict=True)},
            "volatility": self.volatility if np.isfinite(self.volatility) else None,
            "series": self.n_series,
            "cutoffs": self.n_cutoffs,
            "scored_buckets": self.scored_buckets,
            "censored_buckets": self.censored_buckets,
        }


def _label(q: float) -> str:
    return f"{q:g}"


def backtest_cutoffs(panel: DemandPanel, cutoffs: int, horizon: int) -> pd.DatetimeIndex:
    """The last ``cutoffs`` cutoffs with ``horizon`` buckets of actuals after them, one bucket apart."""
    for name, value in (("cutoffs", cutoffs), ("horizon", horizon)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise InputError(f"{panel.source}: backtest {name} must be a positive integer, got {value!r}")
    dates = panel.dates
    last = len(dates) - 1 - horizon
    first = last - (cutoffs - 1)
    if first < 1:
        raise InputError(
            f"{panel.source}: {cutoffs} cutoffs with horizon {horizon} need at least {cutoffs + horizon + 1} "
            f"buckets of history, the panel has {len(dates)} ({panel.freq!r})"
        )
    return dates[first : last + 1]


def backtest(
    forecaster: Forecaster,
    panel: DemandPanel,
    cutoffs: int = 8,
    horizon: int = DEFAULT_HORIZON,
    quantiles: Sequence[float] = DEFAULT_QUANTILES,
) -> BacktestResult:
    """Fit ``forecaster`` up to the first cutoff, predict at every cutoff, score (see the module doc)."""
    q = np.asarray(quantiles, dtype=float)
    if q.ndim != 1 or q.size == 0 or not ((q > 0) & (q < 1)).all() or (np.diff(q) <= 0).any():
        raise InputError(f"backtest: quantiles must be increasing levels in (0, 1), got {list(quantiles)}")
    origins = backtest_cutoffs(panel, cutoffs, horizon)
    start = time.perf_counter()
    forecaster.fit(panel.until(origins[0]))
    fitted = time.perf_counter()
    forecasts = [forecaster.predict(panel, c, horizon, tuple(q)) for c in origins]
    predicted = time.perf_counter()
    table = ForecastTable.stack(type(forecaster).name, forecasts)
    sales = actuals_for(panel, origins, horizon)
    actuals = in_stock_actuals(panel, origins, horizon, sales)
    flat_actual = actuals.reshape(-1)
    flat_pred = table.per_bucket.reshape(-1, q.size)
    cum_actual = np.cumsum(actuals, axis=2).reshape(-1)  # NaN propagates: a sum needs every bucket
    return BacktestResult(
        model=type(forecaster).name,
        table=table,
        actuals=actuals,
        wql=weighted_quantile_loss(flat_actual, flat_pred, q),
        coverage=coverage(flat_actual, flat_pred),
        mean_abs_coverage_error=mean_absolute_coverage_error(flat_actual, flat_pred, q),
        cumulative_wql=weighted_quantile_loss(cum_actual, table.cumulative.reshape(-1, q.size), q),
        volatility=median_volatility(table.per_bucket, q),
        censored_buckets=int(np.isfinite(sales).sum() - np.isfinite(actuals).sum()),
        scored_buckets=int(np.isfinite(actuals).sum()),
        fit_seconds=fitted - start,
        predict_seconds=predicted - fitted,
    )


def median_volatility(per_bucket: np.ndarray, quantiles: np.ndarray) -> float:
    """Forecast volatility of the median of ``per_bucket`` [C, S, H, Q] forecasts at cutoffs one bucket
    apart; NaN with one cutoff, one bucket, or levels that do not span 0.5."""
    q = np.asarray(quantiles, dtype=float)
    if per_bucket.shape[0] < 2 or per_bucket.shape[2] < 2 or not q[0] <= 0.5 <= q[-1]:
        return float("nan")
    return forecast_volatility(quantile_at(per_bucket, q, 0.5), step=1)


def actuals_for(
    panel: DemandPanel, cutoffs: pd.DatetimeIndex, horizon: int, column: str = "demand"
) -> np.ndarray:
    """``column`` (demand) [C, S, H] of the ``horizon`` buckets after each cutoff (NaN outside a series'
    span)."""
    wide = panel.matrix(column)
    col = panel.dates.get_indexer(
        pd.DatetimeIndex([future_dates(c, horizon, panel.freq)[0] for c in cutoffs])
    )
    idx = col[:, None] + np.arange(horizon)[None, :]
    return np.transpose(wide[:, idx], (1, 0, 2))


def in_stock_actuals(
    panel: DemandPanel, cutoffs: pd.DatetimeIndex, horizon: int, actuals: np.ndarray
) -> np.ndarray:
    """``actuals`` [C, S, H] with the buckets that were not fully in stock (``in_stock < 1``) set to NaN:
    their sales are a lower bound of demand, not scored (module docstring). ``actuals`` itself where the
    panel has no availability column."""
    if not panel.has_availability:
        return actuals
    available = actuals_for(panel, cutoffs, horizon, AVAILABILITY_COLUMN)
    return np.where(available >= 1.0, actuals, np.nan)
