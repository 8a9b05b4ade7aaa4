"""Forecast metrics: small pure functions over arrays.

Conventions: ``actual`` has shape [...], ``pred`` has shape [..., Q] (the quantile axis last), ``quantiles``
has shape [Q]. NaN actuals (periods outside a series' span) are ignored everywhere.

The weighted quantile loss of quantile q is ``2 * sum(pinball_q) / sum(|actual|)`` (the M5 / GluonTS wQL);
a perfect forecast scores 0 and the median of a point forecast equal to the actual scores 0 too.
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
    return float(np.abs(coverage(actual, pred) - np.asarray(quantiles, dtype=float)).mean())
