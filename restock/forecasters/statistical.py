"""Textbook point forecasts + the empirical error model: seasonal naive, exponential smoothing, Croston, TSB.

Each registered model is a point model (what it forecasts at every past origin of a series) combined with
:mod:`restock.forecasters.error_model` (quantiles from the distribution of its own past errors):

=================  ======================================================================================
``seasonal-naive`` the demand one season earlier (52 weeks, 12 months, 7 days), last value before a
                   series has a full season
``ets``            simple exponential smoothing, ETS(A,N,N), smoothing weight optimized per series
                   (statsforecast ``SimpleExponentialSmoothingOptimized``)
``croston``        Croston's method with the Syntetos-Boylan bias correction (statsforecast ``CrostonSBA``)
``tsb``            Teunter-Syntetos-Babai: smoothed demand probability times smoothed size (statsforecast
                   ``TSB``), which, unlike Croston, decays towards zero when a product stops selling
=================  ======================================================================================

Fit and refit: ``fit`` learns the pooled error distribution of the training history (used for series with
few errors of their own and for new series). ``predict`` re-runs the point model on each series' history up
to the cutoff (statsforecast's optimized smoothing weights are re-estimated on that history: the textbook
system refits its cheap point model at every origin) and takes the series' own errors over the most recent
``error_window`` origins. Nothing after the cutoff is read.

Sales, not demand (docs/censoring.md): on a panel with the availability column ``in_stock`` the point
model still reads the sales as they are, but errors whose actuals were out of stock are lower bounds, and
the error model takes product-limit quantiles of them (:mod:`restock.forecasters.error_model`): the
quantiles widen upwards by what the stock-outs hid, own and pooled errors alike.

A series with no history at the cutoff (a product not yet launched) is forecast from its peers: its point
forecast and scale are the median recent mean demand of the series of the same ``peer_column`` value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, Self

import numpy as np
import pandas as pd
from statsforecast.models import TSB, CrostonSBA, SimpleExponentialSmoothingOptimized

from restock.data.panel import DemandPanel
from restock.errors import InputError
from restock.forecasters.base import (
    DEFAULT_HORIZON,
    DEFAULT_QUANTILES,
    QuantileForecast,
    sort_quantiles,
)
from restock.forecasters.censoring import window_censored
from restock.forecasters.config import build_config
from restock.forecasters.error_model import (
    PooledErrors,
    blend_quantiles,
    origin_errors,
    recent_scale,
)
from restock.forecasters.history import (
    check_request,
    group_median,
    history_at,
    peer_groups,
    season_length,
    span_bounds,
)
from restock.forecasters.registry import register

_CHUNK = 2048  # series per block: bounds the [S, N, H] error arrays' memory


@dataclass(frozen=True)
class ErrorModelConfig:
    """Settings of a point model + empirical error model forecaster."""

    error_window: int = 104
    """How many of the most recent origins' errors describe a series (per horizon)."""
    prior_errors: float = 10.0
    """Credibility of the pooled errors, in errors: own weight is n / (n + prior_errors)."""
    scale_window: int = 13
    """Buckets in the recent mean demand that scales a series' pooled errors (whole history if it is 0)."""
    max_horizon: int = 26
    """Longest horizon the fitted pool covers; predicting further is an InputError."""
    peer_column: str | None = "category"
    """Static column whose peers forecast a series with no history (all series if the panel lacks it)."""
    season: int | None = None
    """Season length in buckets for seasonal models; None takes it from the panel's frequency."""
    tsb_alpha_demand: float = 0.1
    """TSB only: smoothing weight of the demand size."""
    tsb_alpha_probability: float = 0.1
    """TSB only: smoothing weight of the demand probability."""

    def __post_init__(self) -> None:
        for name in ("error_window", "scale_window", "max_horizon"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise InputError(f"error-model config: {name} must be a positive integer, got {value!r}")
        if self.prior_errors < 0:
            raise InputError(f"error-model config: prior_errors must be >= 0, got {self.prior_errors!r}")
        if self.season is not None and self.season < 1:
            raise InputError(f"error-model config: season must be >= 1, got {self.season!r}")
        for name in ("tsb_alpha_demand", "tsb_alpha_probability"):
            value = getattr(self, name)
            if not 0.0 < value <= 1.0:
                raise InputError(f"error-model config: {name} must be in (0, 1], got {value!r}")


class PointModel(Protocol):
    """Point forecasts made at past origins of a demand matrix."""

    def forecast_at(self, demand: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
        """[S, N, H]: at ``[s, i, h-1]`` the forecast made at column ``origins[i]`` for ``origins[i] + h``.

        ``demand`` is [S, T] with NaN outside each series' span; a forecast uses columns <= its origin only.
        """
        ...


@dataclass(frozen=True)
class SeasonalNaivePoint:
    """The demand one season before the target bucket (the last value before a full season exists)."""

    season: int

    def forecast_at(self, demand: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
        return seasonal_naive_forecasts(demand, origins, horizon, self.season)


def seasonal_naive_forecasts(
    demand: np.ndarray, origins: np.ndarray, horizon: int, season: int
) -> np.ndarray:
    """Seasonal naive forecasts [S, N, H] (see :class:`PointModel`); NaN where the origin has no value."""
    h = np.arange(1, horizon + 1)
    back = h - season * np.ceil(h / season).astype(np.int64)  # offset <= 0 of the same season position
    cols = origins[:, None] + back[None, :]  # [N, H]
    seasonal = demand[:, np.maximum(cols, 0)]
    seasonal[:, cols < 0] = np.nan
    last = demand[:, origins][:, :, None]  # the naive fallback
    return np.where(np.isfinite(seasonal), seasonal, np.broadcast_to(last, seasonal.shape))


@dataclass(frozen=True)
class FlatStatsforecastPoint:
    """A statsforecast model whose forecast is flat over the horizon (the smoothed level at the origin).

    The level at origin ``t`` is statsforecast's one-step in-sample fitted value of ``t+1`` (the forecast it
    made with data up to ``t``); at the last observed bucket it is the model's forecast. After a series'
    span ends the level is carried forward.
    """

    factory: Callable[[], Any]

    def forecast_at(self, demand: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
        levels = smoothed_levels(demand, self.factory)
        return np.repeat(levels[:, origins][:, :, None], horizon, axis=2)


def smoothed_levels(demand: np.ndarray, factory: Callable[[], Any]) -> np.ndarray:
    """[S, T]: the one-step forecast each series' model makes at every column (NaN before its span)."""
    first, last = span_bounds(demand)
    levels = np.full(demand.shape, np.nan)
    for s in np.flatnonzero(first >= 0):
        y = demand[s, first[s] : last[s] + 1]
        out = factory().forecast(y=y, h=1, fitted=True)
        level = np.concatenate(
            [np.asarray(out["fitted"], dtype=float)[1:], np.asarray(out["mean"], dtype=float)]
        )
        levels[s, first[s] : last[s] + 1] = level
        levels[s, last[s] + 1 :] = level[-1]
    return np.maximum(levels, 0.0)


class ErrorModelForecaster:
    """Base of the point-model + empirical-error-model forecasters (subclasses choose the point model)."""

    name: ClassVar[str]

    def __init__(self, **params: Any) -> None:
        self.config = build_config(ErrorModelConfig, params, type(self).name)

    def _point_model(self, season: int) -> PointModel:
        raise NotImplementedError

    @classmethod
    def get_test_params(cls) -> dict[str, Any]:
        return {"error_window": 26, "max_horizon": 8}

    # ------------------------------------------------------------------ fit / predict
    def fit(self, panel: DemandPanel) -> Self:
        """Learn the pooled scale-free error distribution from ``panel``'s whole history."""
        season = self.config.season or season_length(panel.freq)
        self.point_model_ = self._point_model(season)
        hist = history_at(panel, pd.Timestamp(panel.frame["date"].max()))
        h = self.config.max_horizon
        t = hist.demand.shape[1]
        origins = np.arange(max(0, t - 1 - (self.config.error_window + h - 1)), t - 1)
        errs, cums, scales, flags = [], [], [], []
        for lo in range(0, hist.demand.shape[0], _CHUNK):
            block = hist.demand[lo : lo + _CHUNK]
            forecasts = self.point_model_.forecast_at(block, origins, h)
            e, c = origin_errors(block, forecasts, origins)
            errs.append(e)
            cums.append(c)
            scales.append(recent_scale(block, self.config.scale_window))
            if hist.censored is not None:
                flags.append(window_censored(hist.censored[lo : lo + _CHUNK], origins, h))
        censored = None
        if flags:
            censored = (np.concatenate([f[0] for f in flags]), np.concatenate([f[1] for f in flags]))
        self.pool_ = PooledErrors.from_errors(
            np.concatenate(errs), np.concatenate(cums), np.concatenate(scales), censored
        )
        self.freq_ = panel.freq
        return self

    def predict(
        self,
        panel: DemandPanel,
        cutoff: pd.Timestamp,
        horizon: int = DEFAULT_HORIZON,
        quantiles: Sequence[float] = DEFAULT_QUANTILES,
    ) -> QuantileForecast:
        """Quantiles at ``cutoff`` for every series of ``panel`` from its rows up to the cutoff only."""
        if not hasattr(self, "pool_"):
            raise RuntimeError(f"{type(self).name}: call fit() before predict()")
        check_request(panel, cutoff, horizon)
        if horizon > self.pool_.horizon:
            raise InputError(
                f"{panel.source}: horizon {horizon} exceeds this {type(self).name} model's max_horizon "
                f"{self.pool_.horizon}; fit it with max_horizon >= {horizon}"
            )
        q = np.asarray(quantiles, dtype=float)
        hist = history_at(panel, pd.Timestamp(cutoff))
        groups = peer_groups(panel.static, self.config.peer_column)
        pooled_bucket, pooled_cum = self.pool_.at(q, horizon)
        per_bucket, cumulative = [], []
        scale_all = recent_scale(hist.demand, self.config.scale_window)
        has_hist = np.isfinite(scale_all)
        peer_scale = group_median(np.nan_to_num(scale_all), groups, has_hist)
        scale_all = np.where(has_hist, scale_all, peer_scale)
        t = hist.demand.shape[1]
        origins = np.arange(max(0, t - 1 - (self.config.error_window + horizon - 1)), t)
        for lo in range(0, hist.demand.shape[0], _CHUNK):
            block = hist.demand[lo : lo + _CHUNK]
            scale = scale_all[lo : lo + _CHUNK]
            forecasts = self.point_model_.forecast_at(block, origins, horizon)
            point = forecasts[:, -1, :]  # made at the cutoff
            point = np.where(np.isfinite(point), point, scale[:, None])
            e, c = origin_errors(block, forecasts[:, :-1, :], origins[:-1])
            per_c = cum_c = None
            if hist.censored is not None:
                per_c, cum_c = window_censored(hist.censored[lo : lo + _CHUNK], origins[:-1], horizon)
            prior = self.config.prior_errors
            pb = point[:, :, None] + blend_quantiles(e, pooled_bucket, scale, q, prior, per_c)
            cu = np.cumsum(point, axis=1)[:, :, None] + blend_quantiles(c, pooled_cum, scale, q, prior, cum_c)
            per_bucket.append(pb)
            cumulative.append(cu)
        return QuantileForecast(
            series_ids=hist.series_ids,
            cutoff=pd.Timestamp(cutoff),
            quantiles=q,
            per_bucket=sort_quantiles(np.concatenate(per_bucket)),
            cumulative=sort_quantiles(np.concatenate(cumulative)),
        )


@register("seasonal-naive")
class SeasonalNaiveForecaster(ErrorModelForecaster):
    """Seasonal naive point forecast + empirical error model."""

    def _point_model(self, season: int) -> PointModel:
        return SeasonalNaivePoint(season)


@register("ets")
class ETSForecaster(ErrorModelForecaster):
    """Simple exponential smoothing, ETS(A,N,N) with optimized weight (statsforecast) + error model."""

    def _point_model(self, season: int) -> PointModel:
        return FlatStatsforecastPoint(SimpleExponentialSmoothingOptimized)


@register("croston")
class CrostonForecaster(ErrorModelForecaster):
    """Croston's method, Syntetos-Boylan approximation (statsforecast ``CrostonSBA``) + error model."""

    def _point_model(self, season: int) -> PointModel:
        return FlatStatsforecastPoint(CrostonSBA)


@register("tsb")
class TSBForecaster(ErrorModelForecaster):
    """Teunter-Syntetos-Babai (statsforecast ``TSB``) + error model."""

    def _point_model(self, season: int) -> PointModel:
        alpha_d, alpha_p = self.config.tsb_alpha_demand, self.config.tsb_alpha_probability
        return FlatStatsforecastPoint(lambda: TSB(alpha_d=alpha_d, alpha_p=alpha_p))
