"""The availability signal (``in_stock``): validation, aggregation, files, and M5's zero-run rule."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from shared_data import M5_TINY

from restock.data import aggregate, load_long
from restock.data.m5 import load_m5, zero_run_stockouts
from restock.data.panel import DemandPanel
from restock.errors import InputError


def _frame(in_stock: list[object]) -> pd.DataFrame:
    n = len(in_stock)
    return pd.DataFrame(
        {
            "series_id": ["a"] * n,
            "date": pd.date_range("2024-01-01", periods=n, freq="D"),
            "demand": np.arange(n, dtype=float),
            "in_stock": in_stock,
        }
    )


def test_in_stock_is_the_availability_signal_not_a_covariate() -> None:
    frame = _frame([1, 0, 1, 1])
    frame["promo"] = [0.0, 1.0, 0.0, 0.0]
    panel = DemandPanel.from_frame(frame, freq="D")
    assert panel.has_availability
    assert panel.covariates == ("promo",)
    assert panel.frame["in_stock"].tolist() == [1.0, 0.0, 1.0, 1.0]
    plain = panel.without_availability()
    assert not plain.has_availability and plain.covariates == ("promo",)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (2.0, ("out-of-range", "2.0")),
        (-0.5, ("out-of-range", "-0.5")),
        ("yes", ("non-numeric", "'yes'")),
        (None, ("missing",)),
        (np.inf, ("infinite", "inf")),
    ],
)
def test_bad_availability_is_named(value: object, words: tuple[str, ...]) -> None:
    with pytest.raises(InputError) as err:
        DemandPanel.from_frame(_frame([1, 1, value, 1]), freq="D", source="x.csv")
    msg = str(err.value)
    for word in ("x.csv", "in_stock", "series 'a'", "2024-01-03", "row 2", *words):
        assert word in msg, msg


def test_a_week_holds_the_share_of_its_days_in_stock() -> None:
    # 14 days from a Saturday: the first W-SAT week has 2 stock-out days, the second none
    flags = [1, 0, 1, 1, 0, 1, 1] + [1] * 7
    frame = _frame(flags).assign(date=pd.date_range("2024-01-06", periods=14, freq="D"))
    weekly = aggregate(DemandPanel.from_frame(frame, freq="D"), "W-SAT")
    assert weekly.frame["in_stock"].tolist() == pytest.approx([5 / 7, 1.0])
    assert weekly.frame["demand"].tolist() == [21.0, 70.0]


def test_long_file_reads_in_stock_and_names_a_text_flag(tmp_path: Path) -> None:
    good = tmp_path / "sales.csv"
    _frame([1, 0, 1]).assign(category="x").to_csv(good, index=False)
    panel = load_long(good, freq="D")
    assert panel.has_availability and "in_stock" not in panel.static.columns
    bad = tmp_path / "bad.csv"
    _frame([1, "out", 1]).to_csv(bad, index=False)
    with pytest.raises(
        InputError, match=r"bad.csv: non-numeric availability 'out' in column 'in_stock'.*row 3"
    ):
        load_long(bad, freq="D")


def test_zero_run_rule_on_a_constructed_series() -> None:
    # fast seller: 5 a day over 100 days with a 2-day and a 1-day zero run; rate 97*5/100 = 4.85,
    # threshold ceil(ln(1000) / 4.85) = ceil(1.42) = 2 days: the 2-day run is a stock-out, the 1-day one
    # is not (a Poisson(4.85) day without a sale has probability 0.8%, a run of two 0.006% < 0.1%)
    fast = np.full(100, 5.0)
    fast[[10, 11, 30]] = 0.0
    # slow seller: one unit every 5th day over 200 days, and a 50-day gap; rate 30/200 = 0.15, threshold
    # ceil(6.91 / 0.15) = 47 days: the gap is a stock-out, the 4-day runs between sales are not
    slow = np.where(np.arange(200) % 5 == 0, 1.0, 0.0)
    slow[100:150] = 0.0
    # a series that never sells, and a span that starts late (NaN before it)
    never = np.zeros(200)
    late = np.full(200, np.nan)
    late[150:] = 3.0
    late[160:163] = 0.0
    sales = np.full((4, 200), np.nan)
    sales[0, :100] = fast
    sales[1] = slow
    sales[2] = never
    sales[3] = late
    out = zero_run_stockouts(sales)
    assert np.flatnonzero(out[0]).tolist() == [10, 11]
    # the gap's run reaches from the last sale before it (day 95) to the next (day 150)
    assert np.flatnonzero(out[1]).tolist() == list(range(96, 150))
    assert not out[2].any()
    # rate 47 * 3 / 50 = 2.82: threshold ceil(2.45) = 3 days; the 3-day run counts, nothing outside the span
    assert np.flatnonzero(out[3]).tolist() == [160, 161, 162]


def test_zero_run_alpha_is_checked() -> None:
    with pytest.raises(InputError, match="alpha"):
        zero_run_stockouts(np.ones((1, 3)), alpha=1.5)


@pytest.mark.needs_data
def test_m5_loader_adds_the_inferred_flags() -> None:
    panel = load_m5(M5_TINY, infer_availability=True)
    assert panel.has_availability and "in_stock" not in panel.covariates
    flags = panel.frame["in_stock"]
    assert set(flags.unique()) <= {0.0, 1.0}
    # every flagged day sold nothing
    assert (panel.frame.loc[flags == 0, "demand"] == 0).all()
    assert 0 < (flags == 0).mean() < 0.5


@pytest.mark.needs_data
def test_the_m5_spec_option_turns_on_the_zero_run_rule() -> None:
    from restock.data import load_panel

    inferred = load_panel(f"m5:{M5_TINY}:zero-runs")
    pd.testing.assert_frame_equal(inferred.frame, load_m5(M5_TINY, infer_availability=True).frame)
    assert not load_panel(f"m5:{M5_TINY}").has_availability
    with pytest.raises(InputError, match="unknown m5 option 'stock'"):
        load_panel(f"m5:{M5_TINY}:stock")
