"""``restock.data.load_buckets``: the one reader of a ``--data`` spec in ``--freq`` buckets."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from restock.data import aggregate, load_buckets, load_panel
from restock.errors import InputError


def test_load_buckets_sums_days_to_weeks_and_keeps_days_on_request() -> None:
    daily = load_panel("synthetic:3")
    assert daily.freq == "D"
    assert load_buckets("synthetic:3", "D").frame.equals(daily.frame)
    weekly = load_buckets("synthetic:3", "W-SAT")
    assert weekly.freq == "W-SAT" and weekly.series_ids == daily.series_ids
    assert weekly.frame.equals(aggregate(daily, "W-SAT").frame) and len(weekly.frame) < len(daily.frame)


def test_a_panel_that_is_not_daily_is_returned_as_read(tmp_path: Path) -> None:
    dates = pd.date_range("2024-01-06", periods=6, freq="W-SAT")
    frame = pd.DataFrame({"series_id": "a", "date": dates, "demand": [1.0, 2, 3, 4, 5, 6]})
    path = tmp_path / "weekly.csv"
    frame.to_csv(path, index=False)
    spec = f"long:{path}:W-SAT"
    panel = load_buckets(spec, "MS")
    assert panel.freq == "W-SAT" and panel.frame.equals(load_panel(spec).frame)


def test_a_bad_bucket_is_an_input_error_naming_it() -> None:
    with pytest.raises(InputError, match="unsupported bucket freq 'XYZ'"):
        load_buckets("synthetic:3", "XYZ")
