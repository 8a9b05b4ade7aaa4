"""Features of the MQ networks: from a DemandPanel (a DataFrame) to dense arrays on the panel's grid.

Per bucket ``t`` of series ``s`` the networks see

* the observed demand ``y[s, t]`` (NaN outside the series' span, and after a forecast's cutoff),
* *known* inputs ``known[s, t, :]``, available for the future too (they feed the decoders):

  ============== ===============================================================================
  month_sin/cos  month of year on the unit circle
  week_sin/cos   ISO week of year on the unit circle
  dow_sin/cos    day of week on the unit circle (constant on weekly or monthly grids)
  price_rel      price / the series' mean price (1 where the series has no price at all)
  price_change   log(price_t / price_{t-1}) (0 on the first bucket)
  price_known    1 where the panel gave a price for that bucket, 0 where it was filled
  age            log1p(buckets since the series' first bucket) / 4 (0 before it): product age
  <covariates>   the panel's known covariates (events, SNAP days, ...), divided by their max |value|
                 in the training panel
  ============== ===============================================================================

* a season index (week of year, month or weekday: the learned positional encoding's input), and
* static attributes (category, store, item, ...) as integer codes into a vocabulary fixed at fit time
  (code 0: a value never seen in training).

Missing prices are filled forward then backward inside each series (``price_known`` marks them); a NaN
covariate inside a series' span is an :class:`InputError` naming the column, the series and the date.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from restock.data.panel import AVAILABILITY_COLUMN, DemandPanel
from restock.errors import InputError

CALENDAR = ("month_sin", "month_cos", "week_sin", "week_cos", "dow_sin", "dow_cos")
PRICE = ("price_rel", "price_change", "price_known")
SEASON_SLOTS = 53


@dataclass(frozen=True)
class FeatureSpec:
    """The feature set a network was trained on; stored in its checkpoint and checked at prediction."""

    freq: str
    """The panel's grid."""
    covariates: tuple[str, ...]
    """Known covariate columns, in the order the network reads them."""
    covariate_scale: tuple[float, ...]
    """Divisor of each covariate (max |value| in the training panel, at least 1e-9)."""
    static_columns: tuple[str, ...]
    """Static attributes embedded, in order."""
    vocabs: tuple[tuple[str, ...], ...]
    """Known values of each static attribute (code i+1 for value i; code 0 for an unseen value)."""

    @property
    def known_names(self) -> tuple[str, ...]:
        return (*CALENDAR, *PRICE, "age", *self.covariates)

    @property
    def n_known(self) -> int:
        return len(self.known_names)

    @property
    def vocab_sizes(self) -> tuple[int, ...]:
        return tuple(len(v) + 1 for v in self.vocabs)

    @classmethod
    def from_panel(cls, panel: DemandPanel, max_vocab: int) -> FeatureSpec:
        frame = panel.frame
        scales = []
        for col in panel.covariates:
            values = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=float)
            finite = values[np.isfinite(values)]
            scales.append(float(max(np.abs(finite).max(initial=0.0), 1e-9)))
        vocabs = []
        for col in panel.static.columns:
            counts = panel.static[col].astype(str).value_counts(sort=True)
            vocabs.append(tuple(sorted(counts.index[:max_vocab])))
        return cls(
            freq=panel.freq,
            covariates=tuple(panel.covariates),
            covariate_scale=tuple(scales),
            static_columns=tuple(str(c) for c in panel.static.columns),
            vocabs=tuple(vocabs),
        )

    def check(self, panel: DemandPanel, source: str) -> None:
        """Raise :class:`InputError` when ``panel`` does not carry this feature set."""
        if panel.freq != self.freq:
            raise InputError(
                f"{source}: trained on freq {self.freq!r}, panel {panel.source} has {panel.freq!r}"
            )
        if tuple(panel.covariates) != self.covariates:
            raise InputError(
                f"{source}: trained on covariates {list(self.covariates)}, "
                f"panel {panel.source} has {list(panel.covariates)}"
            )
        missing = [c for c in self.static_columns if c not in panel.static.columns]
        if missing:
            raise InputError(f"{source}: static attribute(s) {missing} missing from panel {panel.source}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "freq": self.freq,
            "covariates": list(self.covariates),
            "covariate_scale": list(self.covariate_scale),
            "static_columns": list(self.static_columns),
            "vocabs": [list(v) for v in self.vocabs],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FeatureSpec:
        return cls(
            freq=str(d["freq"]),
            covariates=tuple(d["covariates"]),
            covariate_scale=tuple(float(x) for x in d["covariate_scale"]),
            static_columns=tuple(d["static_columns"]),
            vocabs=tuple(tuple(v) for v in d["vocabs"]),
        )


@dataclass(frozen=True)
class PanelArrays:
    """A panel as dense arrays on a date grid (see the module docstring)."""

    series_ids: list[str]
    dates: pd.DatetimeIndex
    y: np.ndarray
    """Demand [S, T] float64, NaN where not observed (outside a span, or hidden after a cutoff)."""
    known: np.ndarray
    """Known inputs [S, T, F] float32."""
    season: np.ndarray
    """Season index [T] int64 in [0, 53)."""
    static: np.ndarray
    """Static codes [S, n_static] int64."""
    first: np.ndarray
    """Index of each series' first bucket on the grid [S] (T when it starts after the grid)."""
    censored: np.ndarray | None = None
    """[S, T] bool: True where ``y`` is a sale in a stock-out (``in_stock < 1``), a lower bound of demand;
    None for a panel without the availability column."""


def calendar_features(dates: pd.DatetimeIndex) -> np.ndarray:
    """[T, 6] month, week-of-year and weekday on the unit circle."""
    month = (dates.month.to_numpy() - 1) / 12.0
    week = (dates.isocalendar().week.to_numpy(dtype=float) - 1) / 53.0
    dow = dates.dayofweek.to_numpy() / 7.0
    cols = []
    for frac in (month, week, dow):
        cols += [np.sin(2 * np.pi * frac), np.cos(2 * np.pi * frac)]
    return np.stack(cols, axis=1)


def season_index(dates: pd.DatetimeIndex, freq: str) -> np.ndarray:
    """Week of year (weekly grids), month (monthly), weekday (daily) or 0: the positional encoding's slot."""
    head = freq.upper().split("-")[0]
    if head.startswith("W"):
        return dates.isocalendar().week.to_numpy(dtype=np.int64) - 1
    if head in ("M", "MS", "ME", "SM", "SMS"):
        return dates.month.to_numpy().astype(np.int64) - 1
    if head == "D" or head == "B":
        return dates.dayofweek.to_numpy().astype(np.int64)
    return np.zeros(len(dates), dtype=np.int64)


def _ffill_bfill(x: np.ndarray) -> np.ndarray:
    """Fill NaN along the last axis forward, then backward (rows without any value stay NaN)."""
    out = pd.DataFrame(x.T).ffill().bfill().to_numpy().T
    return np.asarray(out, dtype=float)


def encode_panel(
    panel: DemandPanel,
    spec: FeatureSpec,
    *,
    grid_end: pd.Timestamp | None = None,
    hide_after: pd.Timestamp | None = None,
    covariates_until: pd.Timestamp | None = None,
) -> PanelArrays:
    """Dense arrays of ``panel`` on its grid, extended to ``grid_end`` (future buckets get known inputs).

    ``hide_after``: demand after this date is set to NaN (the forecast cutoff). ``covariates_until``:
    prices and covariates after this date are not read from the panel; the last known price is carried
    forward and covariates are 0 there (``None``: read them wherever the panel has them).
    """
    frame = panel.frame
    series_ids = panel.series_ids
    if frame.empty:
        if grid_end is None:
            raise InputError(f"{panel.source}: the panel has no rows to build features from")
        start = end = pd.Timestamp(grid_end)
    else:
        start, end = pd.Timestamp(frame["date"].min()), pd.Timestamp(frame["date"].max())
        if grid_end is not None and pd.Timestamp(grid_end) > end:
            end = pd.Timestamp(grid_end)
    dates = pd.date_range(start, end, freq=panel.freq)
    s_count, t_count = len(series_ids), len(dates)
    rows = frame
    if covariates_until is not None:
        rows = frame[frame["date"] <= pd.Timestamp(covariates_until)]
    si = pd.Categorical(frame["series_id"], categories=series_ids).codes.astype(np.int64)
    ti = dates.get_indexer(pd.DatetimeIndex(frame["date"]))
    y = np.full((s_count, t_count), np.nan)
    y[si, ti] = frame["demand"].to_numpy(dtype=float)
    if hide_after is not None:
        y[:, dates > pd.Timestamp(hide_after)] = np.nan
    censored = None
    if panel.has_availability:
        censored = np.zeros((s_count, t_count), dtype=bool)
        censored[si, ti] = frame[AVAILABILITY_COLUMN].to_numpy(dtype=float) < 1.0
    first = np.full(s_count, t_count, dtype=np.int64)
    if len(frame):
        np.minimum.at(first, si, ti)
    last = np.full(s_count, -1, dtype=np.int64)
    if len(frame):
        np.maximum.at(last, si, ti)
    tpos = np.arange(t_count)
    in_span = (tpos[None, :] >= first[:, None]) & (tpos[None, :] <= last[:, None])

    r_si = (
        si
        if rows is frame
        else pd.Categorical(rows["series_id"], categories=series_ids).codes.astype(np.int64)
    )
    r_ti = ti if rows is frame else dates.get_indexer(pd.DatetimeIndex(rows["date"]))
    known = np.zeros((s_count, t_count, spec.n_known), dtype=np.float32)
    known[:, :, : len(CALENDAR)] = calendar_features(dates)[None, :, :]
    p0 = len(CALENDAR)
    price = np.full((s_count, t_count), np.nan)
    if "price" in rows.columns:
        price[r_si, r_ti] = pd.to_numeric(rows["price"], errors="coerce").to_numpy(dtype=float)
        price[~(price > 0)] = np.nan
    given = np.isfinite(price)
    filled = _ffill_bfill(price)
    count = given.sum(axis=1)
    mean_price = np.where(count > 0, np.where(given, price, 0.0).sum(axis=1) / np.maximum(count, 1), 1.0)
    rel = np.where(np.isfinite(filled), filled / mean_price[:, None], 1.0)
    change = np.zeros_like(rel)
    change[:, 1:] = np.log(rel[:, 1:] / rel[:, :-1])
    known[:, :, p0] = rel
    known[:, :, p0 + 1] = change
    known[:, :, p0 + 2] = given
    age = np.maximum(tpos[None, :] - first[:, None], -1)
    known[:, :, p0 + 3] = np.where(age >= 0, np.log1p(np.maximum(age, 0)) / 4.0, 0.0)
    c0 = p0 + 4
    for k, (col, scale) in enumerate(zip(spec.covariates, spec.covariate_scale, strict=True)):
        vals = np.zeros((s_count, t_count))
        got = np.zeros((s_count, t_count), dtype=bool)
        v = pd.to_numeric(rows[col], errors="coerce").to_numpy(dtype=float)
        vals[r_si, r_ti] = v
        got[r_si, r_ti] = True
        bad = got & ~np.isfinite(vals)
        if bad.any():
            s, t = np.argwhere(bad)[0]
            raise InputError(
                f"{panel.source}: covariate {col!r} is NaN or not numeric for series {series_ids[s]!r} "
                f"on {dates[t].date()}"
            )
        known[:, :, c0 + k] = np.where(got & in_span, vals / scale, 0.0)
    static = np.zeros((s_count, len(spec.static_columns)), dtype=np.int64)
    for j, (col, vocab) in enumerate(zip(spec.static_columns, spec.vocabs, strict=True)):
        lookup = {v: i + 1 for i, v in enumerate(vocab)}
        static[:, j] = [lookup.get(str(v), 0) for v in panel.static[col].to_numpy()]
    return PanelArrays(
        series_ids=series_ids,
        dates=dates,
        y=y,
        known=known,
        season=season_index(dates, panel.freq),
        static=static,
        first=first,
        censored=censored,
    )
