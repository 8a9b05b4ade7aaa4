"""Features of a (series, cutoff) for the pooled quantile forest: small pure functions over arrays.

At origin column ``t`` a series is described by what is known at ``t``: its demand up to ``t`` (scaled by
its recent mean so that one model serves slow and fast movers), its age, its peers' level, the calendar
position of the next bucket, prices (the current one and the known future ones) and known future
covariates (events, SNAP days), and static codes (category, store, ...). Targets are the demand of each of
the next H buckets and the cumulative demand over 1..h, divided by the same scale.

Missing values (a lag before a series' launch, a window with no demand) are encoded as -1, which no real
scaled quantity takes; a series with no history at all gets the "new product" encoding (age 0, every
history feature -1, scale = its peer group's median scale), which is also what :func:`origin_features`
produces for rows whose history is masked (the cold-start augmentation of the forest's training set).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from restock.forecasters.history import group_median

MISSING = -1.0
ROLLING_WINDOWS = (4, 13, 26, 52)
AVAILABILITY_WINDOWS = (4, 13)
"""Buckets of the in-stock share features (panels with an availability signal only)."""


@dataclass(frozen=True)
class FeatureContext:
    """Everything features may read, aligned on one grid of columns ``0 .. len(dates)-1``."""

    demand: np.ndarray
    """[S, T]: demand; only columns <= the origin are ever read (NaN outside spans)."""
    first: np.ndarray
    """[S]: column of each series' first observation (a large number if it has none)."""
    price: np.ndarray | None
    """[S, T + H]: selling price, known in advance (NaN where unknown); None if the panel has none."""
    covariates: np.ndarray | None
    """[K, S, T + H]: known-in-advance covariates; None if the panel has none."""
    season_position: np.ndarray
    """[T + H]: position of each column's date within the season (week of year, month, weekday)."""
    static_codes: np.ndarray
    """[S, n_static]: integer codes of static attributes (-1 for a level unseen at fit)."""
    groups: np.ndarray
    """[S]: peer group code (for the scale of series without history)."""
    season: int
    """Buckets per season."""
    horizon: int
    """Buckets forecast (H)."""
    scale_window: int
    """Buckets in the recent mean that scales a series."""
    n_lags: int
    """Number of lag features."""
    in_stock: np.ndarray | None = None
    """[S, T]: 1 where the bucket was fully in stock, 0 where its sales are censored (NaN outside spans);
    None for a panel without availability (no availability features)."""


def season_positions(dates: pd.DatetimeIndex, freq: str) -> np.ndarray:
    """Week of year for weekly grids, month for monthly, weekday for daily, else day of year."""
    name = pd.tseries.frequencies.to_offset(freq).name.split("-")[0]
    if name == "W":
        return np.asarray(dates.isocalendar().week, dtype=float)
    if name in ("MS", "ME", "M"):
        return np.asarray(dates.month, dtype=float)
    if name in ("D", "B"):
        return np.asarray(dates.dayofweek, dtype=float)
    return np.asarray(dates.dayofyear, dtype=float)


def series_scale(
    window: np.ndarray, history: np.ndarray, groups: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Scale per series and where it came from (0 recent mean, 1 whole-history mean, 2 peer median).

    ``window`` is the recent columns, ``history`` all columns up to the origin (both [S, *], NaN allowed).
    """
    recent = _mean(window) if window.shape[1] else np.full(len(history), np.nan)
    finite = np.isfinite(history)
    with np.errstate(invalid="ignore", divide="ignore"):
        full = np.where(finite, history, 0.0).sum(axis=1) / finite.sum(axis=1)
    scale = np.where(recent > 0, recent, full)
    kind = np.where(recent > 0, 0.0, 1.0)
    ok = np.isfinite(scale) & (scale > 0)
    peer = group_median(np.nan_to_num(scale), groups, ok)
    fallback = float(np.median(scale[ok])) if ok.any() else 1.0
    peer = np.where(peer > 0, peer, fallback if fallback > 0 else 1.0)
    return np.where(ok, scale, peer), np.where(ok, kind, 2.0)


def _nan_to_missing(x: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(x), x, MISSING)


def _mean(x: np.ndarray) -> np.ndarray:
    n = np.isfinite(x).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, np.where(np.isfinite(x), x, 0.0).sum(axis=1) / n, np.nan)


def origin_features(
    ctx: FeatureContext, t: int, masked: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Features [S, F] and scale [S] of every series at origin column ``t``.

    ``masked`` ([S] bool) hides the history of the selected series, making them look like new products.
    """
    h_ = ctx.horizon
    lookback = max(max(ROLLING_WINDOWS), ctx.season + h_, ctx.n_lags)
    lo = max(0, t + 1 - lookback)
    hist = ctx.demand[:, lo : t + 1].copy()  # [S, L], columns lo..t
    age = np.clip(t - ctx.first + 1, 0, None).astype(float)
    if masked is not None:
        hist[masked] = np.nan
        age = np.where(masked, 0.0, age)
    n_cols = hist.shape[1]
    scale, scale_kind = series_scale(hist[:, -ctx.scale_window :], hist, ctx.groups)
    scaled = hist / scale[:, None]
    cols: list[np.ndarray] = [np.log1p(scale), scale_kind, np.minimum(age, 3 * ctx.season)]
    ok = np.isfinite(hist) & (hist > 0)
    peer = group_median(np.nan_to_num(scale), ctx.groups, np.isfinite(hist).any(axis=1))
    cols.append(np.log1p(peer))
    for lag in range(1, ctx.n_lags + 1):
        cols.append(_nan_to_missing(scaled[:, -lag]) if lag <= n_cols else np.full(len(scale), MISSING))
    for w in ROLLING_WINDOWS:
        cols.append(_nan_to_missing(_mean(scaled[:, -w:])))
    recent = scaled[:, -13:]
    with np.errstate(invalid="ignore"):
        n13 = np.isfinite(recent).sum(axis=1)
        sq = np.where(np.isfinite(recent), (recent - _mean(recent)[:, None]) ** 2, 0.0).sum(axis=1)
        cols.append(_nan_to_missing(np.sqrt(np.where(n13 > 1, sq / np.maximum(n13 - 1, 1), np.nan))))
    for w in (13, 52):
        win = hist[:, -w:]
        n = np.isfinite(win).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            cols.append(_nan_to_missing(np.where(n > 0, (win == 0).sum(axis=1) / n, np.nan)))
    last_sale = np.where(ok.any(axis=1), n_cols - 1 - ok[:, ::-1].argmax(axis=1), -1)
    cols.append(np.where(last_sale >= 0, np.minimum(n_cols - 1 - last_sale, 52), MISSING).astype(float))
    # the same buckets one season earlier (never beyond t)
    h = np.arange(1, h_ + 1)
    back = n_cols - 1 + h - ctx.season * np.ceil(h / ctx.season).astype(np.int64)
    seasonal = np.where(back >= 0, scaled[:, np.maximum(back, 0)], np.nan)
    cols.append(_nan_to_missing(seasonal[:, 0]))
    cols.append(_nan_to_missing(_mean(seasonal)))
    cols.append(np.full(len(scale), ctx.season_position[t + 1]))
    if ctx.in_stock is not None:
        avail = ctx.in_stock[:, lo : t + 1].copy()
        if masked is not None:
            avail[masked] = np.nan
        for w in AVAILABILITY_WINDOWS:
            cols.append(_nan_to_missing(_mean(avail[:, -w:])))
    if ctx.price is not None:
        cols.extend(_price_features(ctx.price, t, h_, masked))
    if ctx.covariates is not None:
        for cov in ctx.covariates:
            future = np.nan_to_num(cov[:, t + 1 : t + 1 + h_])
            cols.extend([future[:, 0], future.mean(axis=1), future.max(axis=1), np.nan_to_num(cov[:, t])])
    features = np.column_stack([*cols, ctx.static_codes.astype(float)])
    return features, scale


def _price_features(price: np.ndarray, t: int, horizon: int, masked: np.ndarray | None) -> list[np.ndarray]:
    past = price[:, max(0, t + 1 - 52) : t + 1]
    if masked is not None:
        past = np.where(masked[:, None], np.nan, past)
    finite = np.isfinite(past)
    has = finite.any(axis=1)
    last_col = past.shape[1] - 1 - finite[:, ::-1].argmax(axis=1)
    now = np.where(has, past[np.arange(len(past)), last_col], np.nan)
    future = price[:, t + 1 : t + 1 + horizon]
    # the first future price known; the current one where the future is unknown
    first_future = np.where(np.isfinite(future[:, 0]), future[:, 0], now)
    ref = np.where(np.isfinite(now), now, first_future)
    future = np.where(np.isfinite(future), future, ref[:, None])
    with np.errstate(invalid="ignore", divide="ignore"):
        rel_hist = now / _mean(past)
        ratio = future / ref[:, None]
    return [
        _nan_to_missing(np.log(ref)),
        _nan_to_missing(rel_hist),
        _nan_to_missing(ratio[:, 0]),
        _nan_to_missing(_mean(ratio)),
        _nan_to_missing(np.where(np.isfinite(ratio), ratio, np.inf).min(axis=1)),
    ]


def origin_targets(demand: np.ndarray, t: int, horizon: int, scale: np.ndarray) -> np.ndarray:
    """Scaled targets [S, 2H]: demand of buckets t+1..t+H, then cumulative demand over 1..h."""
    future = demand[:, t + 1 : t + 1 + horizon]
    return np.concatenate([future, np.cumsum(future, axis=1)], axis=1) / scale[:, None]
