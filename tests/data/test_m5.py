"""The M5 loader on the real m5-tiny files, and its errors on broken copies of them."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from shared_data import M5_TINY

from restock.data import aggregate, bucket_start, load_m5, load_panel
from restock.data.panel import DemandPanel
from restock.errors import InputError

pytestmark = pytest.mark.needs_data  # every test reads m5-tiny (or a copy of it)


def test_reads_m5_tiny_with_the_documented_columns() -> None:
    # The load time is a benchmark (benchmarks/data_profile.py, median of repeats), not a timed test: a
    # 5 s limit here failed under load on the shared machine.
    panel = load_panel(f"m5:{M5_TINY}")
    assert panel.freq == "D"
    assert len(panel.series_ids) == 280
    assert set(panel.covariates) == {
        "event_cultural",
        "event_national",
        "event_religious",
        "event_sporting",
        "snap",
    }
    assert list(panel.static.columns) == ["item", "dept", "category", "store", "state"]
    assert panel.static.loc["FOODS_1_033_CA_1"].to_dict() == {
        "item": "FOODS_1_033",
        "dept": "FOODS_1",
        "category": "FOODS",
        "store": "CA_1",
        "state": "CA",
    }


def test_values_match_the_raw_file_from_the_first_sale(m5_tiny: DemandPanel) -> None:
    raw = pd.read_csv(M5_TINY / "sales_train_evaluation.csv")
    row = raw.iloc[0]
    values = row.filter(like="d_").to_numpy(dtype=float)
    first = int(np.flatnonzero(values > 0)[0])
    got = m5_tiny.frame[m5_tiny.frame["series_id"] == "FOODS_1_033_CA_1"]
    np.testing.assert_array_equal(got["demand"].to_numpy(), values[first:])
    assert got["date"].iloc[0] == pd.Timestamp("2011-01-29") + pd.Timedelta(days=first)
    assert got["demand"].iloc[0] > 0  # the span starts at the first non-zero sale
    assert got["date"].iloc[-1] == pd.Timestamp("2016-04-24")  # d_1913


def test_snap_events_and_prices_follow_the_calendar(m5_tiny: DemandPanel) -> None:
    f = m5_tiny.frame.set_index(["series_id", "date"])
    # 2016-02-07 is the Super Bowl (Sporting); SNAP days in TX on 2016-03-01..15 are state-specific.
    assert f.loc[("FOODS_1_033_CA_1", pd.Timestamp("2016-02-07")), "event_sporting"] == 1.0
    cal = pd.read_csv(M5_TINY / "calendar.csv", parse_dates=["date"]).set_index("date")
    tx = m5_tiny.static.index[m5_tiny.static["state"] == "TX"][0]
    wi = m5_tiny.static.index[m5_tiny.static["state"] == "WI"][0]
    for sid, col in ((tx, "snap_TX"), (wi, "snap_WI")):
        days = f.loc[sid].index
        np.testing.assert_array_equal(f.loc[sid, "snap"].to_numpy(), cal.loc[days, col].to_numpy())
    prices = pd.read_csv(M5_TINY / "sell_prices.csv")
    p = prices[(prices.item_id == "FOODS_1_033") & (prices.store_id == "CA_1") & (prices.wm_yr_wk == 11523)]
    day = cal.index[cal["wm_yr_wk"] == 11523][3]
    assert f.loc[("FOODS_1_033_CA_1", day), "price"] == pytest.approx(p["sell_price"].iloc[0])


def test_weekly_buckets_are_the_m5_weeks(m5_tiny: DemandPanel) -> None:
    weekly = aggregate(m5_tiny, "W-SAT")
    assert (weekly.frame["date"].dt.dayofweek == 5).all()  # labelled by their Saturday
    # Weekly prices are constant inside a wm_yr_wk week, so the weekly mean equals the M5 price.
    daily = m5_tiny.frame.assign(week=bucket_start(m5_tiny.frame["date"], "W-SAT"))
    assert (daily.groupby(["series_id", "week"])["price"].nunique() <= 1).all()
    sid = "FOODS_1_033_CA_1"
    d = m5_tiny.frame[m5_tiny.frame["series_id"] == sid].set_index("date")["demand"]
    w = weekly.frame[weekly.frame["series_id"] == sid].set_index("date")["demand"]
    week = w.index[5]
    assert w[week] == d[week : week + pd.Timedelta(days=6)].sum()
    assert w.index[0] >= d.index[0] and w.index[-1] + pd.Timedelta(days=6) <= d.index[-1]


# ------------------------------------------------------------------ errors on broken copies
def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "m5"
    shutil.copytree(M5_TINY, folder)
    return folder


def _edit_sales(folder: Path, edit) -> None:  # type: ignore[no-untyped-def]
    path = folder / "sales_train_evaluation.csv"
    df = pd.read_csv(path, dtype=str)
    edit(df)
    df.to_csv(path, index=False)


def test_missing_price_file_is_named(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    (folder / "sell_prices.csv").unlink()
    with pytest.raises(InputError, match=r"sell_prices\.csv"):
        load_m5(folder)


def test_calendar_that_does_not_cover_the_sales_is_an_error(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    cal = pd.read_csv(folder / "calendar.csv")
    cal.iloc[:1900].to_csv(folder / "calendar.csv", index=False)
    with pytest.raises(InputError, match=r"calendar.csv.*does not cover sales column 'd_1901'"):
        load_m5(folder)


@pytest.mark.parametrize(
    ("value", "message"), [("-3", "negative demand '-3'"), ("lots", "non-numeric or missing demand 'lots'")]
)
def test_bad_demand_names_file_series_column_and_line(tmp_path: Path, value: str, message: str) -> None:
    folder = _copy(tmp_path)

    def edit(df: pd.DataFrame) -> None:
        df.loc[4, "d_100"] = value

    _edit_sales(folder, edit)
    with pytest.raises(InputError) as err:
        load_m5(folder)
    text = str(err.value)
    assert "sales_train_evaluation.csv" in text and message in text
    assert "FOODS_1_033_TX_1_evaluation" in text and "d_100" in text and "line 6" in text


def test_duplicate_series_is_an_error(tmp_path: Path) -> None:
    folder = _copy(tmp_path)

    def edit(df: pd.DataFrame) -> None:
        df.loc[7, "id"] = df.loc[2, "id"]

    _edit_sales(folder, edit)
    with pytest.raises(InputError, match=r"duplicate series id 'FOODS_1_033_CA_3_evaluation' \(line 9\)"):
        load_m5(folder)


def test_unparseable_calendar_date_is_an_error(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    cal = pd.read_csv(folder / "calendar.csv", dtype=str)
    cal.loc[10, "date"] = "2011-13-45"
    cal.to_csv(folder / "calendar.csv", index=False)
    with pytest.raises(InputError, match=r"calendar.csv: unparseable date '2011-13-45' \(line 12\)"):
        load_m5(folder)


def test_duplicate_price_rows_are_an_error(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    prices = pd.read_csv(folder / "sell_prices.csv")
    pd.concat([prices, prices.iloc[[5]]]).to_csv(folder / "sell_prices.csv", index=False)
    with pytest.raises(InputError, match=r"sell_prices\.csv: duplicate price for item .FOODS_1_033."):
        load_m5(folder)


def test_validation_file_and_never_selling_series(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    sales = pd.read_csv(folder / "sales_train_evaluation.csv")
    sales["id"] = sales["id"].str.replace("_evaluation", "_validation")
    day_cols = [c for c in sales.columns if c.startswith("d_")]
    sales.loc[3, day_cols] = 0
    (folder / "sales_train_evaluation.csv").unlink()
    sales.to_csv(folder / "sales_train_validation.csv", index=False)
    with pytest.warns(UserWarning, match="1 series never sell and are left out"):
        panel = load_m5(folder)
    assert len(panel.series_ids) == 279
    assert "FOODS_1_033_CA_4" not in panel.series_ids and "FOODS_1_033_CA_1" in panel.series_ids
