"""Forecast volatility: how much a forecast of one fixed target bucket moves between successive cutoffs."""

from __future__ import annotations

import numpy as np


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
