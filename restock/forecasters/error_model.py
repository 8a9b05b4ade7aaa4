"""Empirical error model: turns point forecasts into quantiles with the distribution of past errors.

The textbook forecasting system: a point model gives, at every past origin ``t`` of a series, forecasts for
``t+1 .. t+H``; the errors ``actual - forecast`` at each horizon ``h`` over the most recent origins form an
empirical distribution, and the quantile ``q`` of demand at ``cutoff + h`` is
``point_h + quantile_q(errors_h)``.

Cumulative windows get their own errors: ``sum(actual[t+1..t+h]) - sum(forecast[t+1..t+h])``, so the
quantile of demand over ``1..h`` buckets reflects how errors add up (correlated errors widen it; a sum's
quantile is not the sum of the per-bucket quantiles).

A series with few past errors borrows from the pool: the errors of all training series, each divided by
its series' scale (mean demand), summarised on a fine quantile grid at fit time and multiplied back by the
series' scale. The two are mixed with credibility weight ``n / (n + prior_errors)`` where ``n`` is the
number of the series' own errors at that horizon (a series with no history uses the pool alone).

Sales, not demand (docs/censoring.md): where the history carries stock-out flags, an error whose actual
was out of stock (a cumulative error: any of its buckets) is a lower bound of the true error (sales <=
demand). Error quantiles are then product-limit (Kaplan-Meier) quantiles of the errors
(:func:`restock.forecasters.censoring.censored_quantiles`), own and pooled alike, instead of empirical
ones: a censored error only says the true one is larger.

Everything here is a small pure function over arrays, except :class:`PooledErrors`, which holds the
fitted pool.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from restock.forecasters.censoring import censored_quantiles

POOL_GRID = np.linspace(0.0, 1.0, 401)
"""Quantile levels at which the pooled error distribution is stored (interpolated in between)."""


def nan_quantile(x: np.ndarray, quantiles: np.ndarray, axis: int) -> np.ndarray:
    """Quantiles of ``x`` along ``axis`` ignoring NaN (numpy's "linear" method), the quantile axis last.

    Equals ``np.moveaxis(np.nanquantile(x, quantiles, axis=axis), 0, -1)`` but is vectorized (numpy's
    nanquantile loops in Python over the other axes). A slice with no finite value gives NaN.
    """
    q = np.asarray(quantiles, dtype=float)
    xs = np.sort(np.moveaxis(np.asarray(x, dtype=float), axis, -1), axis=-1)  # NaN sort last
    n = np.isfinite(xs).sum(axis=-1)
    pos = np.maximum(n[..., None] - 1, 0) * q
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, np.maximum(n[..., None] - 1, 0))
    v_lo = np.take_along_axis(xs, lo, axis=-1)
    v_hi = np.take_along_axis(xs, hi, axis=-1)
    out = v_lo + (pos - lo) * (v_hi - v_lo)
    out[n == 0] = np.nan
    return out


def origin_errors(
    demand: np.ndarray, forecasts: np.ndarray, origins: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-bucket and cumulative errors of forecasts made at ``origins``.

    ``demand`` is [S, T]; ``forecasts`` [S, N, H] holds at ``[s, i, h-1]`` the forecast made at column
    ``origins[i]`` for column ``origins[i] + h``. Returns ``(errors, cumulative_errors)``, both [S, N, H]:
    ``actual - forecast`` and ``sum(actual[t+1..t+h]) - sum(forecast[t+1..t+h])``; NaN where an actual is
    missing (beyond the history or outside the series' span).
    """
    s, t = demand.shape
    h = forecasts.shape[2]
    cols = origins[:, None] + np.arange(1, h + 1)[None, :]  # [N, H]
    padded = np.concatenate([demand, np.full((s, h), np.nan)], axis=1)
    actual = padded[:, np.minimum(cols, t + h - 1)]  # [S, N, H]
    actual[:, cols >= t] = np.nan
    errors = actual - forecasts
    cumulative = np.cumsum(actual, axis=2) - np.cumsum(forecasts, axis=2)  # NaN propagates along h
    return errors, cumulative


def error_quantiles(
    errors: np.ndarray, quantiles: np.ndarray, axis: int, censored: np.ndarray | None = None
) -> np.ndarray:
    """Quantiles of ``errors`` along ``axis`` (NaN ignored, quantile axis last): empirical, or product-limit
    where ``censored`` (bool, the shape of ``errors``) marks lower bounds."""
    if censored is None or not np.any(censored):  # nothing censored: the empirical quantiles themselves
        return nan_quantile(errors, quantiles, axis=axis)
    return censored_quantiles(errors, censored, quantiles, axis=axis)


def blend_quantiles(
    own_errors: np.ndarray,
    pooled: np.ndarray,
    scale: np.ndarray,
    quantiles: np.ndarray,
    prior_errors: float,
    censored: np.ndarray | None = None,
) -> np.ndarray:
    """Error quantiles per series and horizon, [S, H, Q], mixing own errors with the scaled pool.

    ``own_errors`` is [S, N, H] (NaN where absent), ``pooled`` [H, Q] the pool's scaled error quantiles,
    ``scale`` [S]. The weight of the series' own quantiles is ``n / (n + prior_errors)``. ``censored``
    [S, N, H] marks errors that are lower bounds (:func:`error_quantiles`).
    """
    own = error_quantiles(own_errors, quantiles, 1, censored)  # [S, H, Q]
    n = np.isfinite(own_errors).sum(axis=1).astype(float)  # [S, H]
    w = (n / (n + prior_errors))[..., None] if prior_errors > 0 else (n > 0).astype(float)[..., None]
    pool = scale[:, None, None] * pooled[None, :, :]
    return np.where(n[..., None] > 0, w * np.nan_to_num(own) + (1.0 - w) * pool, pool)


def recent_scale(demand: np.ndarray, window: int) -> np.ndarray:
    """Mean demand over each series' last ``window`` observed buckets, falling back to its whole history.

    [S]; 0 for a series whose history is all zeros, NaN for one with no history.
    """
    finite = np.isfinite(demand)
    # the last `window` finite values per row: rank finite cells from the right
    rank_from_right = np.cumsum(finite[:, ::-1], axis=1)[:, ::-1]
    recent = finite & (rank_from_right <= window)
    with np.errstate(invalid="ignore"):
        recent_mean = np.where(recent, demand, 0.0).sum(axis=1) / recent.sum(axis=1)
        full_mean = np.where(finite, demand, 0.0).sum(axis=1) / finite.sum(axis=1)
    return np.where(recent_mean > 0, recent_mean, full_mean)


@dataclass(frozen=True)
class PooledErrors:
    """The pooled, scale-free error distribution of a point model, per horizon (fitted)."""

    per_bucket: np.ndarray
    """Quantiles of scaled per-bucket errors at :data:`POOL_GRID`, [H, G]."""
    cumulative: np.ndarray
    """Quantiles of scaled cumulative errors at :data:`POOL_GRID`, [H, G]."""

    @classmethod
    def from_errors(
        cls,
        errors: np.ndarray,
        cumulative: np.ndarray,
        scale: np.ndarray,
        censored: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> PooledErrors:
        """Pool ``errors``/``cumulative`` ([S, N, H]) of all series, each divided by its ``scale`` ([S]);
        ``censored``: their lower-bound flags (per bucket, cumulative), as :func:`error_quantiles` reads."""
        ok = np.isfinite(scale) & (scale > 0)
        parts = []
        for i, arr in enumerate((errors, cumulative)):
            scaled = arr[ok] / scale[ok][:, None, None]  # [S', N, H]
            flat = scaled.transpose(2, 0, 1).reshape(arr.shape[2], -1)  # [H, S'*N]
            flags = None
            if censored is not None:
                flags = censored[i][ok].transpose(2, 0, 1).reshape(arr.shape[2], -1)
            grid = error_quantiles(flat, POOL_GRID, 1, flags)  # [H, G]
            parts.append(np.nan_to_num(grid, nan=0.0))
        return cls(per_bucket=parts[0], cumulative=parts[1])

    @property
    def horizon(self) -> int:
        return int(self.per_bucket.shape[0])

    def at(self, quantiles: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray]:
        """Scaled error quantiles [H, Q] (per bucket, cumulative) at the requested levels."""
        q = np.asarray(quantiles, dtype=float)
        pick = [np.stack([np.interp(q, POOL_GRID, row) for row in arr[:horizon]]) for arr in self.as_tuple()]
        return pick[0], pick[1]

    def as_tuple(self) -> tuple[np.ndarray, np.ndarray]:
        return self.per_bucket, self.cumulative
