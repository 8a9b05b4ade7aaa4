"""Training and prediction windows: pure numpy slicing of :class:`PanelArrays` into network batches.

A window of series ``s`` ends at grid position ``e``: its encoder reads buckets ``e-L+1 .. e`` (``L`` the
context length; positions before the grid are padding with ``observed = 0``) and every one of those
buckets is a forecast creation time ``g`` whose targets are ``y[g+1 .. g+H]`` (forking sequences). A
target counts in the loss when it was observed, lies at or before ``limit`` and its creation time lies at
or after the series' first bucket and ``creation_from``, and (``burn_in``) when the window starts after the
series' first bucket, its creation time has at least ``burn_in`` buckets of the window before it, so that
training sees the context a forecast sees.

Scaling is causal, per bucket: the scale ``s[g]`` of grid position ``g`` is the mean observed demand of
the last ``scale_window`` buckets up to and including ``g`` (of the series' whole history up to ``g`` when
that is 0 or unobserved; 1 when that is 0 too: an all-zero history stays all-zero). It reads the series'
full history, not only the window, so a training window scales a creation time exactly as a forecast at
that time would. The encoder reads ``y[g] / s[g]`` and ``log1p(s[g])``; the targets of creation time ``g``
are ``y[g+h] / s[g]`` and its forecasts are multiplied back by ``s[g]``. Nothing a creation time sees
depends on a later bucket (a scale over the whole window would leak the targets' level into earlier
creation times of the same window).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from restock.forecasters.mq.config import ROLLING_WINDOWS
from restock.forecasters.mq.features import PanelArrays


@dataclass(frozen=True)
class Batch:
    """Arrays of ``B`` windows (the network's inputs and targets)."""

    y_in: np.ndarray
    """Demand of the encoder buckets over their own causal scale [B, L] (0 where not observed)."""
    obs_in: np.ndarray
    """1 where the encoder bucket was observed [B, L]."""
    known: np.ndarray
    """Known inputs of the encoder and the H buckets after it [B, L+H, F]."""
    season: np.ndarray
    """Season index [B, L+H]."""
    static: np.ndarray
    """Static codes [B, n_static]."""
    level: np.ndarray
    """log1p(causal scale) of every encoder bucket [B, L] (0 for padding)."""
    history: np.ndarray
    """Long-history inputs of every encoder bucket [B, L, K] (K = 0 when off; 0 for padding): see
    :func:`history_features`."""
    scale: np.ndarray
    """Causal scale of every encoder bucket = creation time [B, L] (1 for padding)."""
    target: np.ndarray
    """Per-bucket targets over their creation time's scale [B, L, H] (0 where masked)."""
    cum_target: np.ndarray
    """Scaled cumulative targets (sum over h' <= h) [B, L, H] (0 where masked)."""
    mask: np.ndarray
    """1 where ``target`` counts [B, L, H]."""
    cum_mask: np.ndarray
    """1 where ``cum_target`` counts (all of its buckets count) [B, L, H]."""
    censored: np.ndarray
    """1 where ``target`` is a sale in a stock-out, a lower bound of demand [B, L, H] (0 without an
    availability signal): the censored pinball loss counts only under-prediction there."""
    cum_censored: np.ndarray
    """1 where any bucket of ``cum_target`` is censored [B, L, H]."""


class WindowSource:
    """Cuts windows out of one :class:`PanelArrays` (padded once, sliced many times)."""

    def __init__(
        self,
        arrays: PanelArrays,
        context: int,
        horizon: int,
        scale_window: int = 13,
        *,
        history_season: int | None = None,
    ) -> None:
        """``history_season``: season length of the long-history inputs (``None``: no such inputs)."""
        self.arrays = arrays
        self.context = context
        self.horizon = horizon
        s, t = arrays.y.shape
        pad_l, pad_r = context, horizon
        self.y = np.full((s, pad_l + t + pad_r), np.nan)
        self.y[:, pad_l : pad_l + t] = arrays.y
        self.mean = np.zeros((s, pad_l + t + pad_r))
        self.mean[:, pad_l : pad_l + t] = causal_mean(arrays.y, scale_window)
        self.scale = np.where(self.mean > 0, self.mean, 1.0)
        self.known = np.zeros((s, pad_l + t + pad_r, arrays.known.shape[2]), dtype=np.float32)
        self.known[:, pad_l : pad_l + t] = arrays.known
        self.censored = np.zeros((s, pad_l + t + pad_r), dtype=bool)
        if arrays.censored is not None:
            self.censored[:, pad_l : pad_l + t] = arrays.censored
        self.season = np.zeros(pad_l + t + pad_r, dtype=np.int64)
        self.season[pad_l : pad_l + t] = arrays.season
        k = 0 if history_season is None else len(ROLLING_WINDOWS) + 2 + horizon
        self.history = np.zeros((s, pad_l + t + pad_r, k), dtype=np.float32)
        if history_season is not None:
            self.history[:, pad_l : pad_l + t] = history_features(
                arrays.y, self.scale[:, pad_l : pad_l + t], horizon, history_season
            )

    def batch(
        self,
        rows: np.ndarray,
        ends: np.ndarray,
        *,
        limit: int | None = None,
        creation_from: int | None = None,
        burn_in: int = 0,
        with_targets: bool = True,
    ) -> Batch:
        """Windows of series ``rows`` ending at grid positions ``ends`` (both int arrays [B])."""
        L, H = self.context, self.horizon
        rows = np.asarray(rows, dtype=np.int64)
        ends = np.asarray(ends, dtype=np.int64)
        offs = np.arange(L + H)
        idx = ends[:, None] + 1 + offs[None, :]  # padded index of window position 0 is e + 1
        y_win = self.y[rows[:, None], idx]
        observed = np.isfinite(y_win[:, :L])
        scale = self.scale[rows[:, None], idx[:, :L]]  # [B, L]
        level = np.log1p(self.mean[rows[:, None], idx[:, :L]])
        y_raw = np.where(np.isfinite(y_win), y_win, 0.0)
        b = len(rows)
        if with_targets:
            grid = ends[:, None] - L + 1 + offs[None, :]  # grid position of each window position
            ok = np.isfinite(y_win)
            if limit is not None:
                ok &= grid <= limit
            tgt = np.lib.stride_tricks.sliding_window_view(y_raw, H + 1, axis=1)[:, :L, 1:]
            tgt = tgt / scale[:, :, None]
            tok = np.lib.stride_tricks.sliding_window_view(ok, H + 1, axis=1)[:, :L, 1:]
            first = self.arrays.first[rows]
            created = grid[:, :L] >= first[:, None]
            # a creation time whose history the window cut short (not the series start) is not trained
            cut = grid[:, :1] > first[:, None]
            created &= ~cut | (np.arange(L)[None, :] >= burn_in)
            if creation_from is not None:
                created &= grid[:, :L] >= creation_from
            mask = tok & created[:, :, None]
            cum_mask = np.cumprod(mask, axis=2).astype(bool)
            target = np.where(mask, tgt, 0.0)
            cum_target = np.where(cum_mask, np.cumsum(np.where(tok, tgt, 0.0), axis=2), 0.0)
            c_win = self.censored[rows[:, None], idx]
            cens = np.lib.stride_tricks.sliding_window_view(c_win, H + 1, axis=1)[:, :L, 1:]
            cum_cens = np.logical_or.accumulate(cens, axis=2)
        else:
            target = cum_target = np.zeros((b, L, H))
            mask = cum_mask = cens = cum_cens = np.zeros((b, L, H), dtype=bool)
        return Batch(
            y_in=(y_raw[:, :L] / scale).astype(np.float32),
            obs_in=observed.astype(np.float32),
            known=self.known[rows[:, None], idx],
            season=np.broadcast_to(self.season[idx], (b, L + H)).copy(),
            static=self.arrays.static[rows],
            level=level.astype(np.float32),
            history=self.history[rows[:, None], idx[:, :L]],
            scale=scale.astype(np.float32),
            target=target.astype(np.float32),
            cum_target=cum_target.astype(np.float32),
            mask=mask.astype(np.float32),
            cum_mask=cum_mask.astype(np.float32),
            censored=cens.astype(np.float32),
            cum_censored=cum_cens.astype(np.float32),
        )


def causal_mean(y: np.ndarray, window: int) -> np.ndarray:
    """The level [S, T] of every bucket from demand ``y`` [S, T] (NaN = not observed) up to it: the mean
    of the last ``window`` buckets, of the whole history when that is 0 or unobserved, else 0 (the scale
    is this level, or 1 where it is 0)."""
    observed = np.isfinite(y)
    values = np.where(observed, y, 0.0)
    zero = np.zeros((y.shape[0], 1))
    csum = np.concatenate([zero, np.cumsum(values, axis=1)], axis=1)
    ccount = np.concatenate([zero, np.cumsum(observed, axis=1)], axis=1)
    lag = np.maximum(np.arange(1, y.shape[1] + 1) - window, 0)
    recent_sum, recent_n = csum[:, 1:] - csum[:, lag], ccount[:, 1:] - ccount[:, lag]
    with np.errstate(invalid="ignore", divide="ignore"):
        recent = np.where(recent_n > 0, recent_sum / np.maximum(recent_n, 1), 0.0)
        full = np.where(ccount[:, 1:] > 0, csum[:, 1:] / np.maximum(ccount[:, 1:], 1), 0.0)
    return np.where(recent > 0, recent, full)


def season_length(freq: str) -> int:
    """Buckets per season of a grid: 52 (weekly), 12 (monthly), 7 (daily), else 1."""
    head = freq.upper().split("-")[0]
    if head.startswith("W"):
        return 52
    if head in ("M", "MS", "ME"):
        return 12
    if head in ("D", "B"):
        return 7
    return 1


def rolling_mean(y: np.ndarray, window: int) -> np.ndarray:
    """Mean observed demand [S, T] of the last ``window`` buckets up to each bucket (0 when none observed)."""
    observed = np.isfinite(y)
    zero = np.zeros((y.shape[0], 1))
    csum = np.concatenate([zero, np.cumsum(np.where(observed, y, 0.0), axis=1)], axis=1)
    ccount = np.concatenate([zero, np.cumsum(observed, axis=1)], axis=1)
    lag = np.maximum(np.arange(1, y.shape[1] + 1) - window, 0)
    total, n = csum[:, 1:] - csum[:, lag], ccount[:, 1:] - ccount[:, lag]
    return np.where(n > 0, total / np.maximum(n, 1), 0.0)


def history_features(y: np.ndarray, scale: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """Long-history inputs [S, T, K] of every bucket ``g`` from demand ``y`` [S, T] (NaN = not observed)
    up to ``g`` only, in units of ``g``'s causal ``scale`` [S, T]:

    * the mean observed demand of the last w buckets, for w in ``ROLLING_WINDOWS`` (0 when none observed),
    * the share of zero-demand buckets among the observed ones of the last 52,
    * 1 when ``y[g + 1 - season]`` was observed, else 0,
    * for h = 1..``horizon``: the demand one season before target ``g+h``, ``y[g + h - season*ceil(h /
      season)]`` (never after ``g``; 0 when not observed or before the grid).

    K = len(ROLLING_WINDOWS) + 2 + horizon.
    """
    t_count = y.shape[1]
    observed = np.isfinite(y)
    cols = [rolling_mean(y, w) / scale for w in ROLLING_WINDOWS]
    zeros = rolling_mean(np.where(observed, (y == 0).astype(float), np.nan), 52)
    cols.append(zeros)
    g = np.arange(t_count)
    y0 = np.where(observed, y, 0.0)
    lag1 = g + 1 - season
    cols.append(np.where(lag1 >= 0, observed[:, np.maximum(lag1, 0)], False).astype(float))
    for h in range(1, horizon + 1):
        back = g + h - season * int(np.ceil(h / season))
        cols.append(np.where(back >= 0, y0[:, np.maximum(back, 0)], 0.0) / scale)
    return np.stack(cols, axis=2).astype(np.float32)
