"""Forecast metrics: small pure functions over arrays.

Conventions: ``actual`` has shape [...], ``pred`` has shape [..., Q] (the quantile axis last), ``quantiles``
has shape [Q]. NaN actuals (periods outside a series' span) are ignored everywhere.

The weighted quantile loss of quantile q is ``2 * sum(pinball_q) / sum(|actual|)`` (the M5 / GluonTS wQL);
a perfect forecast scores 0 and the median of a point forecast equal to the actual scores 0 too.

Forecast volatility (:func:`forecast_volatility`) is how much the forecast of one fixed target bucket is
revised between successive cutoffs: a forecaster that never revises scores 0 (MQ-CNN's and MQTransformer's
papers report it beside wQL; ``restock forecast backtest`` and ``restock value-of-accuracy`` show it).
"""

from __future__ import annotations

import numpy as np


def pinball_loss(actual: np.ndarray, pred: np.ndarray, quantiles: np.ndarray) -> np.ndarray:
    """Elementwise pinball (quantile) loss, shape [..., Q]: q*(y-p) if y >= p else (1-q)*(p-y)."""
    q = np.asarray(quantiles, dtype=float)
    diff = np.asarray(actual, dtype=float)[..., None] - np.asarray(pred, dtype=float)
    return np.maximum(q * diff, (q - 1.0) * diff)


def weighted_quantile_loss(actual: np.ndarray, pred: np.ndarray, quantiles: np.ndarray) -> np.ndarray:
    """wQL per quantile, shape [Q]: 2 * sum of pinball losses / sum of |actuals| (NaN actuals ignored)."""
    actual = np.asarray(actual, dtype=float)
    mask = np.isfinite(actual)
    denom = np.abs(actual[mask]).sum()
    if denom == 0:
        raise ValueError("weighted_quantile_loss: the actuals sum to zero; wQL is undefined")
    losses = pinball_loss(np.where(mask, actual, 0.0), pred, quantiles)[mask]
    return 2.0 * losses.sum(axis=0) / denom


def mean_wql(actual: np.ndarray, pred: np.ndarray, quantiles: np.ndarray) -> float:
    """Mean of :func:`weighted_quantile_loss` over the quantiles."""
    return float(weighted_quantile_loss(actual, pred, quantiles).mean())


def coverage(actual: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """Share of actuals at or below each quantile forecast, shape [Q] (ideal: the quantile level)."""
    actual = np.asarray(actual, dtype=float)
    mask = np.isfinite(actual)
    return (actual[mask][:, None] <= np.asarray(pred, dtype=float)[mask]).mean(axis=0)


def mean_absolute_coverage_error(actual: np.ndarray, pred: np.ndarray, quantiles: np.ndarray) -> float:
    """Mean over quantiles of |coverage - level|: the calibration error."""
    return calibration_error(coverage(actual, pred), quantiles)


def calibration_error(coverages: np.ndarray, quantiles: np.ndarray) -> float:
    """Mean over quantiles of |coverage - level| from the coverages [Q] themselves (e.g. pooled ones)."""
    return float(np.abs(np.asarray(coverages, dtype=float) - np.asarray(quantiles, dtype=float)).mean())


def series_pinball(actual: np.ndarray, pred: np.ndarray, quantiles: np.ndarray) -> np.ndarray:
    """Pinball loss per series [S] of a backtest: ``actual`` [C, S, H], ``pred`` [C, S, H, Q]; summed over
    cutoffs and buckets (NaN actuals ignored), averaged over the quantiles. Twice its sum over a set of
    series, over their summed |actuals|, is their mean wQL."""
    actual = np.asarray(actual, dtype=float)
    mask = np.isfinite(actual)
    loss = pinball_loss(np.where(mask, actual, 0.0), pred, quantiles) * mask[..., None]
    return loss.sum(axis=(0, 2)).mean(axis=-1)


def wql_by_group(
    actual: np.ndarray, pred: np.ndarray, quantiles: np.ndarray, groups: np.ndarray
) -> dict[str, tuple[float, float]]:
    """Where a mean wQL comes from: per group of series, (mean wQL of the group, share of the total loss).

    ``actual`` [C, S, H] (cutoffs, series, buckets), ``pred`` [C, S, H, Q], ``groups`` [S] labels. The mean
    wQL of a group is the mean over quantiles of its own wQL (its pinball losses over its own actuals); the
    shares of all groups sum to 1 and say which groups carry the loss (the whole set's mean wQL is the
    actual-weighted sum of the groups'). Groups whose actuals sum to 0 get a NaN wQL."""
    actual = np.asarray(actual, dtype=float)
    groups = np.asarray(groups)
    if actual.ndim != 3 or groups.shape != (actual.shape[1],):
        raise ValueError(f"wql_by_group: actual {actual.shape} must be [C, S, H] with one group per series")
    per_series = series_pinball(actual, pred, quantiles)
    volume = np.nansum(np.abs(actual), axis=(0, 2))
    total = per_series.sum()
    out: dict[str, tuple[float, float]] = {}
    for label in sorted({str(g) for g in groups}):
        sel = groups.astype(str) == label
        vol = volume[sel].sum()
        wql = 2.0 * per_series[sel].sum() / vol if vol > 0 else float("nan")
        out[label] = (float(wql), float(per_series[sel].sum() / total) if total > 0 else float("nan"))
    return out


def quantile_at(pred: np.ndarray, quantiles: np.ndarray, tau: float) -> np.ndarray:
    """The ``tau`` quantile [...] of forecasts ``pred`` [..., Q], linear in tau between the levels
    (exact where ``tau`` is a level); a ``tau`` outside [quantiles[0], quantiles[-1]] is a ValueError."""
    q = np.asarray(quantiles, dtype=float)
    if not q[0] - 1e-12 <= tau <= q[-1] + 1e-12:
        raise ValueError(f"quantile_at: tau {tau!r} outside the levels [{q[0]}, {q[-1]}]")
    pos = float(np.interp(tau, q, np.arange(q.size)))
    lo = min(int(np.floor(pos)), max(q.size - 2, 0))
    w = pos - lo
    hi = min(lo + 1, q.size - 1)
    pred = np.asarray(pred, dtype=float)
    return pred[..., lo] * (1.0 - w) + pred[..., hi] * w


def forecast_volatility(forecasts: np.ndarray, step: int = 1) -> float:
    """Mean absolute revision of the forecast of a fixed target bucket, relative to the forecast level.

    ``forecasts`` [C, S, H]: a point forecast (e.g. the median) at C successive cutoffs ``step`` buckets
    apart, for S series and horizons 1..H. The target of (cutoff c, horizon h) is also the target of
    (cutoff c+1, horizon h-step); over all such pairs this returns
    ``mean |f[c+1, s, h-step] - f[c, s, h]| / mean (|f[c+1, s, h-step]| + |f[c, s, h]|) / 2``.
    0 means every target's forecast never moved; NaN forecasts are left out.
    """
    f = np.asarray(forecasts, dtype=float)
    if f.ndim != 3:
        raise ValueError(f"forecast_volatility: forecasts must be [C, S, H], got shape {f.shape}")
    if step < 1 or f.shape[0] < 2 or f.shape[2] <= step:
        raise ValueError(
            f"forecast_volatility: need >= 2 cutoffs and a horizon > step={step}, got shape {f.shape}"
        )
    earlier = f[:-1, :, step:]
    later = f[1:, :, :-step]
    ok = np.isfinite(earlier) & np.isfinite(later)
    level = (np.abs(earlier[ok]) + np.abs(later[ok])).mean() / 2.0
    if not level > 0:
        return 0.0
    return float(np.abs(later[ok] - earlier[ok]).mean() / level)
