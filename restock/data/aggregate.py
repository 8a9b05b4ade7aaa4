"""Aggregation of a daily panel to the review bucket (weeks or months).

The simulator steps on days and reviews weekly; forecasters work on weekly buckets. Buckets are labelled by
their **first** day (the panel convention: ``date`` is the start of the period):

* ``"W-SAT"`` (the default) — weeks **Saturday to Friday**, labelled by their Saturday. These are exactly
  M5's ``wm_yr_wk`` weeks (the M5 calendar starts on Saturday 2011-01-29, the start of week 11101), so
  weekly sell prices stay constant within a bucket. Any ``"W-<DAY>"`` works: the week starts on <DAY>.
* ``"MS"`` — calendar months, labelled by their first day.

Per bucket: demand is summed, price is averaged over the days that have one (NaN if none), and covariates
(0/1 event, SNAP and promotion flags) take their maximum ("an event happens in this week"); the availability
column ``in_stock`` takes its mean (the share of the bucket's days in stock: below 1, the bucket's sales are
a lower bound of its demand).

Partial buckets: a series' span may start or end inside a bucket (an M5 item's first sale on a Wednesday,
the last, 2-day week of the file, a synthetic product's end of life). With ``partial="drop"`` (the default)
such edge buckets are dropped, so that every bucket of the result sums the same number of days and a
forecaster never mistakes a 2-day week for a collapse in demand; with ``partial="keep"`` they are kept
and hold the sum over the days inside the span. A series shorter than one full bucket disappears under
``"drop"``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from restock.data.panel import AVAILABILITY_COLUMN, DemandPanel
from restock.errors import InputError

_WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


def bucket_start(dates: pd.DatetimeIndex | pd.Series, freq: str) -> np.ndarray:
    """The first day of the ``freq`` bucket that holds each date (datetime64[ns] array)."""
    days = pd.DatetimeIndex(dates).normalize().to_numpy().astype("datetime64[D]")
    if freq == "D":
        return days.astype("datetime64[ns]")
    if freq == "MS":
        return days.astype("datetime64[M]").astype("datetime64[ns]")
    anchor = _week_anchor(freq)
    # 1970-01-01 was a Thursday (weekday 3): weekday of a day = (days since epoch + 3) % 7.
    weekday = (days.astype("int64") + 3) % 7
    return (days - ((weekday - anchor) % 7).astype("timedelta64[D]")).astype("datetime64[ns]")


def bucket_length(starts: np.ndarray, freq: str) -> np.ndarray:
    """Number of days in the bucket starting on each of ``starts``."""
    if freq == "D":
        return np.ones(len(starts), dtype="int64")
    if freq == "MS":
        month = starts.astype("datetime64[M]")
        return ((month + 1).astype("datetime64[D]") - month.astype("datetime64[D]")).astype("int64")
    _week_anchor(freq)
    return np.full(len(starts), 7, dtype="int64")


def aggregate(
    panel: DemandPanel, freq: str = "W-SAT", *, partial: Literal["drop", "keep"] = "drop"
) -> DemandPanel:
    """Aggregate a daily ``panel`` to ``freq`` buckets (see the module docstring for the rules)."""
    if panel.freq != "D":
        raise InputError(f"{panel.source}: aggregate needs a daily panel (freq 'D'), got freq {panel.freq!r}")
    if partial not in ("drop", "keep"):
        raise InputError(f"aggregate: partial must be 'drop' or 'keep', got {partial!r}")
    if freq == "D":
        return panel
    df = panel.frame
    starts = bucket_start(df["date"], freq)
    keys = [df["series_id"].to_numpy(), starts]
    agg: dict[str, pd.Series] = {}
    grouped = df.groupby(keys, sort=True)
    agg["demand"] = grouped["demand"].sum()
    if "price" in df.columns:
        agg["price"] = grouped["price"].mean()
    for col in panel.covariates:
        agg[col] = grouped[col].max()
    if panel.has_availability:
        agg[AVAILABILITY_COLUMN] = grouped[AVAILABILITY_COLUMN].mean()
    days = grouped["demand"].size()
    out = pd.DataFrame(agg)
    out.index.names = ["series_id", "date"]
    out = out.reset_index()
    if partial == "drop":
        full = days.to_numpy() == bucket_length(out["date"].to_numpy(), freq)
        out = out[full].reset_index(drop=True)
    static = panel.static.loc[panel.static.index.isin(out["series_id"].unique())]
    return DemandPanel.from_frame(out, freq=freq, static=static, source=panel.source)


def _week_anchor(freq: str) -> int:
    parts = freq.upper().split("-")
    if len(parts) == 2 and parts[0] == "W" and parts[1] in _WEEKDAYS:
        return _WEEKDAYS.index(parts[1])
    raise InputError(
        f"aggregate: unsupported bucket freq {freq!r}; use 'W-<DAY>' (e.g. 'W-SAT'), 'MS' or 'D'"
    )
