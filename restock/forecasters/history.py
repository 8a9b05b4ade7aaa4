"""The history a forecaster may see at a cutoff, as arrays: shared by every classical model.

Forecasters take a :class:`~restock.data.panel.DemandPanel` at the boundary and work on a dense matrix
``[series, buckets]`` inside (NaN outside a series' span). :func:`history_at` builds that matrix from the
rows with ``date <= cutoff`` only, which is what makes "no look-ahead" hold by construction; known-in-advance
columns (price, covariates) may be read beyond the cutoff with :func:`known_matrix`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from restock.data.panel import AVAILABILITY_COLUMN, DemandPanel
from restock.errors import InputError


@dataclass(frozen=True)
class History:
    """Demand up to a cutoff, as arrays."""

    series_ids: list[str]
    """Series in panel order."""
    dates: pd.DatetimeIndex
    """The grid from the panel's first date to the cutoff (the last column is the cutoff), length T."""
    demand: np.ndarray
    """Demand [S, T]; NaN outside each series' span (not yet launched, or discontinued). With an
    availability signal, sales: a lower bound of demand where ``censored``."""
    censored: np.ndarray | None = None
    """[S, T] bool: True where the period was (partly) out of stock (``in_stock < 1``), so its sales only
    bound its demand from below; None for a panel without the availability column (demand)."""

    @property
    def cutoff(self) -> pd.Timestamp:
        return pd.Timestamp(self.dates[-1])


def season_length(freq: str) -> int:
    """Buckets per seasonal cycle of a pandas frequency: days 7, weeks 52, months 12, quarters 4, else 1."""
    offset = pd.tseries.frequencies.to_offset(freq)
    name = offset.name.split("-")[0]
    return {"D": 7, "B": 5, "W": 52, "MS": 12, "ME": 12, "M": 12, "QS": 4, "QE": 4, "Q": 4}.get(name, 1)


def check_request(panel: DemandPanel, cutoff: pd.Timestamp, horizon: int) -> int:
    """Validate a (cutoff, horizon) request against ``panel``; returns the number of buckets up to cutoff.

    Raises :class:`InputError` when the cutoff is off the panel's grid or before its first date, when the
    horizon is not a positive integer, or when it is longer than the history up to the cutoff.
    """
    cutoff = pd.Timestamp(cutoff)
    if isinstance(horizon, bool) or not isinstance(horizon, int | np.integer) or horizon < 1:
        raise InputError(f"{panel.source}: horizon must be a positive integer, got {horizon!r}")
    offset = pd.tseries.frequencies.to_offset(panel.freq)
    if not offset.is_on_offset(cutoff):
        raise InputError(f"{panel.source}: cutoff {cutoff.date()} is not on the panel's {panel.freq!r} grid")
    start = pd.Timestamp(panel.frame["date"].min())
    if cutoff < start:
        raise InputError(
            f"{panel.source}: cutoff {cutoff.date()} is before the panel's first date {start.date()}"
        )
    n_hist = len(pd.date_range(start, cutoff, freq=panel.freq))
    if horizon > n_hist:
        raise InputError(
            f"{panel.source}: horizon {horizon} is longer than the history up to cutoff {cutoff.date()} "
            f"({n_hist} buckets of {panel.freq!r})"
        )
    return n_hist


def history_at(panel: DemandPanel, cutoff: pd.Timestamp) -> History:
    """Demand of every series of ``panel`` on the grid up to ``cutoff`` (only rows with date <= cutoff)."""
    cutoff = pd.Timestamp(cutoff)
    grid = pd.date_range(panel.frame["date"].min(), cutoff, freq=panel.freq)
    columns = ["series_id", "date", "demand"]
    if panel.has_availability:
        columns.append(AVAILABILITY_COLUMN)
    seen = panel.frame.loc[panel.frame["date"] <= cutoff, columns]
    censored = None
    if panel.has_availability:
        censored = _dense(seen, AVAILABILITY_COLUMN, panel.series_ids, grid) < 1.0  # NaN: not censored
    return History(panel.series_ids, grid, _dense(seen, "demand", panel.series_ids, grid), censored)


def known_matrix(panel: DemandPanel, column: str, dates: pd.DatetimeIndex) -> np.ndarray:
    """A known-in-advance column (price or a covariate) as [S, len(dates)], NaN where the panel has none."""
    return _dense(panel.frame[["series_id", "date", column]], column, panel.series_ids, dates)


def _dense(frame: pd.DataFrame, column: str, series_ids: list[str], dates: pd.DatetimeIndex) -> np.ndarray:
    out = np.full((len(series_ids), len(dates)), np.nan)
    if frame.empty:
        return out
    rows = pd.Index(series_ids).get_indexer(pd.Index(frame["series_id"]))
    cols = dates.get_indexer(pd.DatetimeIndex(frame["date"]))
    ok = (rows >= 0) & (cols >= 0)
    out[rows[ok], cols[ok]] = frame[column].to_numpy(dtype="float64")[ok]
    return out


def future_dates(cutoff: pd.Timestamp, horizon: int, freq: str) -> pd.DatetimeIndex:
    """The ``horizon`` buckets after ``cutoff``."""
    return pd.date_range(pd.Timestamp(cutoff), periods=horizon + 1, freq=freq)[1:]


def span_bounds(demand: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and last column with a finite value per row ([S] each); -1 for a row with none."""
    finite = np.isfinite(demand)
    has = finite.any(axis=1)
    first = np.where(has, finite.argmax(axis=1), -1)
    last = np.where(has, demand.shape[1] - 1 - finite[:, ::-1].argmax(axis=1), -1)
    return first, last


def peer_groups(static: pd.DataFrame, column: str | None) -> np.ndarray:
    """Integer group code per series from a static ``column`` (all zeros when the panel lacks it)."""
    if column is None or column not in static.columns:
        return np.zeros(len(static), dtype=np.int64)
    codes, _ = pd.factorize(static[column].astype(str), sort=True)
    return codes.astype(np.int64)


def group_median(values: np.ndarray, groups: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Per series: the median of ``values`` over valid series of its group (global median if none; else 0)."""
    out = np.zeros(len(values))
    glob = float(np.median(values[valid])) if valid.any() else 0.0
    for g in np.unique(groups):
        members = groups == g
        pick = members & valid
        out[members] = float(np.median(values[pick])) if pick.any() else glob
    return out
