"""Generic long and wide files (and the carparts data), their specs, and their errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from shared_data import CARPARTS

from restock.data import load_long, load_panel, load_wide
from restock.errors import InputError


def _long_csv(
    tmp_path: Path, rows: list[str], header: str = "series_id,date,demand,price,promo,store"
) -> Path:
    path = tmp_path / "demand.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


GOOD = [
    "a,2024-01-06,3,2.5,0,S1",
    "a,2024-01-13,0,2.5,1,S1",
    "a,2024-01-20,4,2.0,0,S1",
    "b,2024-01-13,1,,0,S2",
    "b,2024-01-20,2,9.0,0,S2",
]


def test_long_csv_infers_the_weekly_grid_static_attributes_and_covariates(tmp_path: Path) -> None:
    panel = load_panel(f"long:{_long_csv(tmp_path, GOOD)}")
    assert panel.freq == "W-SAT"
    assert panel.series_ids == ["a", "b"]
    assert panel.covariates == ("promo",)
    assert panel.static.loc["b", "store"] == "S2"
    np.testing.assert_array_equal(panel.matrix()[1], [np.nan, 1.0, 2.0])
    assert pd.isna(panel.frame.loc[3, "price"])


def test_long_parquet_reads_the_same(tmp_path: Path) -> None:
    csv = load_long(_long_csv(tmp_path, GOOD))
    pq = tmp_path / "demand.parquet"
    pd.read_csv(_long_csv(tmp_path, GOOD)).to_parquet(pq)
    pd.testing.assert_frame_equal(load_panel(f"long:{pq}").frame, csv.frame)


def test_long_with_an_explicit_freq(tmp_path: Path) -> None:
    path = _long_csv(tmp_path, ["a,2024-01-01,1", "a,2024-01-02,2"], header="series_id,date,demand")
    assert load_panel(f"long:{path}:D").freq == load_panel(f"long:{path}").freq == "D"
    odd = _long_csv(tmp_path, ["a,2024-01-01,1", "a,2024-01-11,2"], header="series_id,date,demand")
    with pytest.raises(InputError, match="cannot infer the period"):
        load_panel(f"long:{odd}")
    assert len(load_panel(f"long:{odd}:10D").frame) == 2


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("a,2024-01-13,5,2.5,0,S1", r"duplicate row for series 'a' on 2024-01-13 \(row 7\)"),
        (
            "a,2024-01-27,-1,2.5,0,S1",
            r"negative demand -1.0 in column 'demand' \(series 'a', date 2024-01-27, row 7\)",
        ),
        (
            "a,2024-01-27,inf,2.5,0,S1",
            r"infinite demand inf in column 'demand' \(series 'a', date 2024-01-27, row 7\)",
        ),
        (
            "a,2024-01-27,1e300,2.5,0,S1",
            r"too large \(at most 1e\+12 units a period\) demand 1e\+300 in column 'demand' "
            r"\(series 'a', date 2024-01-27, row 7\)",
        ),
        (
            "a,2024-01-27,1,inf,0,S1",
            r"price inf in column 'price' is not a positive finite number \(series 'a', row 7\)",
        ),
        (
            "a,2024-01-27,1,2.5,-inf,S1",
            r"covariate -inf in column 'promo' is not finite \(series 'a', row 7\)",
        ),
        ("a,2024-01-27,many,2.5,0,S1", r"non-numeric demand 'many' \(series 'a', date 2024-01-27, row 7\)"),
        ("a,2024-13-27,1,2.5,0,S1", r"unparseable date '2024-13-27' \(series 'a', row 7\)"),
        ("a,2024-02-03,1,2.5,0,S1", r"series 'a' has a gap in its dates \(first missing: 2024-01-27\)"),
        (
            "a,2024-01-27,1,free,0,S1",
            r"price 'free' in column 'price' is not a positive finite number \(series 'a', row 7\)",
        ),
        ("a,2024-01-27,1,2.5,0,S9", r"text column 'store' changes within series 'a'"),
    ],
)
def test_long_errors_name_file_series_and_row(tmp_path: Path, row: str, message: str) -> None:
    path = _long_csv(tmp_path, [*GOOD, row])
    with pytest.raises(InputError, match=message) as err:
        load_long(path)
    assert str(path) in str(err.value)


def test_gaps_are_filled_with_zero_only_when_asked(tmp_path: Path) -> None:
    path = _long_csv(tmp_path, [*GOOD, "a,2024-02-03,7,2.5,0,S1"])
    panel = load_panel(f"long:{path}:W-SAT", fill_gaps=True)
    a = panel.frame[panel.frame["series_id"] == "a"]
    assert a["demand"].tolist() == [3.0, 0.0, 4.0, 0.0, 7.0]


def test_missing_file_and_columns(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="demand file not found"):
        load_panel(f"long:{tmp_path / 'nope.csv'}")
    path = _long_csv(tmp_path, ["a,2024-01-06"], header="series_id,date")
    with pytest.raises(InputError, match=r"missing column\(s\) \['demand'\]"):
        load_long(path)


# ---------------------------------------------------------------------------------------------- wide
@pytest.mark.needs_data
def test_carparts_reads_as_monthly_with_trailing_blanks_outside_the_span() -> None:
    panel = load_panel(f"carparts:{CARPARTS}")
    raw = pd.read_csv(CARPARTS)
    assert panel.freq == "MS"
    assert len(panel.series_ids) == len(raw) == 2674
    assert len(panel.frame) == int(raw.iloc[:, 1:].notna().to_numpy().sum())
    assert panel.dates[0] == pd.Timestamp("1998-01-01") and panel.dates[-1] == pd.Timestamp("2002-03-01")
    # A series with trailing blanks ends at its last observed month.
    sid = str(raw.loc[0, "Part"])
    np.testing.assert_array_equal(
        panel.frame.loc[panel.frame["series_id"] == sid, "demand"], raw.iloc[0, 1:].dropna().to_numpy()
    )
    assert load_panel(f"wide:{CARPARTS}").freq == "MS"


def _wide(tmp_path: Path, rows: list[str]) -> Path:
    path = tmp_path / "wide.csv"
    path.write_text("\n".join(["sku,2024-01,2024-02,2024-03,2024-04", *rows]) + "\n")
    return path


def test_wide_leading_and_trailing_blanks_are_outside_the_span(tmp_path: Path) -> None:
    panel = load_wide(_wide(tmp_path, ["x,,1,2,", "y,0,0,3,1"]))
    np.testing.assert_array_equal(panel.matrix(), [[np.nan, 1, 2, np.nan], [0, 0, 3, 1]])


def test_wide_parquet_keeps_blanks_blank(tmp_path: Path) -> None:
    csv = _wide(tmp_path, ["x,,1,2,", "y,0,0,3,1"])
    pq = tmp_path / "wide.parquet"
    pd.read_csv(csv).to_parquet(pq)
    np.testing.assert_array_equal(load_panel(f"wide:{pq}").matrix(), load_wide(csv).matrix())


def test_wide_interior_blank_is_a_gap(tmp_path: Path) -> None:
    path = _wide(tmp_path, ["x,1,,2,3", "y,0,0,3,1"])
    with pytest.raises(InputError, match=r"series 'x' has a blank at period '2024-02'.*\(line 2\)"):
        load_wide(path)
    np.testing.assert_array_equal(load_wide(path, fill_gaps=True).matrix()[0], [1, 0, 2, 3])


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (["x,1,2,-2,3"], r"negative demand '-2' for series 'x', period '2024-03' \(line 2\)"),
        (["x,1,2,n/a?,3"], r"non-numeric demand 'n/a\?' for series 'x', period '2024-03' \(line 2\)"),
        (["x,1,2,inf,3"], r"infinite demand 'inf' for series 'x', period '2024-03' \(line 2\)"),
        (["x,1,2,3,4", "x,1,2,3,4"], r"duplicate series 'x' in column 'sku' \(line 3\)"),
        (["x,1,2,3,4", "z,,,,"], r"series 'z' has no value in any period \(line 3\)"),
    ],
)
def test_wide_errors(tmp_path: Path, rows: list[str], message: str) -> None:
    with pytest.raises(InputError, match=message):
        load_wide(_wide(tmp_path, rows))


def test_wide_bad_header(tmp_path: Path) -> None:
    path = tmp_path / "w.csv"
    path.write_text("sku,2024-01,total\nx,1,2\n")
    with pytest.raises(InputError, match="period column header 'total' is not a date"):
        load_wide(path)


@pytest.mark.parametrize("spec", ["nope:x", "m5", "long:", "synthetic:abc", "synthetic:0", "synthetic:5:1:2"])
def test_bad_specs_are_input_errors(spec: str) -> None:
    with pytest.raises(InputError, match="--data"):
        load_panel(spec)


def test_synthetic_spec() -> None:
    panel = load_panel("synthetic:12:4")
    assert len(panel.series_ids) == 12 and panel.freq == "D"
    assert panel.source == "synthetic(seed=4)"
