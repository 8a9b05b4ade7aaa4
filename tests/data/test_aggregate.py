"""Aggregation of days to weeks and months: sums, means, maxima, partial buckets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from restock.data import aggregate, bucket_start
from restock.data.panel import DemandPanel
from restock.errors import InputError


def _daily() -> DemandPanel:
    # Series "a": Wednesday 2024-01-03 .. Tuesday 2024-01-23 (21 days): a partial week at each end.
    days = pd.date_range("2024-01-03", "2024-01-23", freq="D")
    frame = pd.DataFrame(
        {
            "series_id": "a",
            "date": days,
            "demand": np.arange(len(days), dtype=float),
            "price": np.where(days < pd.Timestamp("2024-01-13"), 2.0, 3.0),
            "event": (days == pd.Timestamp("2024-01-15")).astype(float),
        }
    )
    frame.loc[12, "price"] = np.nan
    return DemandPanel.from_frame(frame, freq="D")


def test_bucket_start_labels_weeks_by_their_first_day() -> None:
    days = pd.DatetimeIndex(["2024-01-05", "2024-01-06", "2024-01-12", "2024-01-13"])  # Fri Sat Fri Sat
    starts = pd.DatetimeIndex(bucket_start(days, "W-SAT"))
    assert list(starts.strftime("%Y-%m-%d")) == ["2023-12-30", "2024-01-06", "2024-01-06", "2024-01-13"]
    assert list(pd.DatetimeIndex(bucket_start(days, "W-MON")).dayofweek) == [0, 0, 0, 0]
    assert list(pd.DatetimeIndex(bucket_start(days, "MS")).day) == [1, 1, 1, 1]


def test_weeks_sum_demand_average_price_and_take_the_max_of_flags() -> None:
    weekly = aggregate(_daily(), "W-SAT")
    f = weekly.frame
    assert weekly.freq == "W-SAT"
    # Full weeks only: Sat 01-06 .. Fri 01-12 and Sat 01-13 .. Fri 01-19 (days 3..9 and 10..16).
    assert f["date"].tolist() == [pd.Timestamp("2024-01-06"), pd.Timestamp("2024-01-13")]
    assert f["demand"].tolist() == [sum(range(3, 10)), sum(range(10, 17))]
    assert f["price"].tolist() == [2.0, 3.0]  # NaN day ignored in the mean
    assert f["event"].tolist() == [0.0, 1.0]
    assert weekly.covariates == ("event",)


def test_partial_edge_buckets_are_kept_on_request() -> None:
    f = aggregate(_daily(), "W-SAT", partial="keep").frame
    assert f["date"].dt.strftime("%m-%d").tolist() == ["12-30", "01-06", "01-13", "01-20"]
    assert f["demand"].tolist() == [
        sum(range(0, 3)),
        sum(range(3, 10)),
        sum(range(10, 17)),
        sum(range(17, 21)),
    ]
    assert f["demand"].sum() == _daily().frame["demand"].sum()


def test_months() -> None:
    days = pd.date_range("2024-01-01", "2024-03-31", freq="D")
    panel = DemandPanel.from_frame(pd.DataFrame({"series_id": "m", "date": days, "demand": 1.0}), freq="D")
    f = aggregate(panel, "MS").frame
    assert f["demand"].tolist() == [31.0, 29.0, 31.0]  # 2024 is a leap year


def test_errors() -> None:
    weekly = aggregate(_daily(), "W-SAT")
    with pytest.raises(InputError, match="needs a daily panel"):
        aggregate(weekly, "MS")
    with pytest.raises(InputError, match="unsupported bucket freq 'QS'"):
        aggregate(_daily(), "QS")
