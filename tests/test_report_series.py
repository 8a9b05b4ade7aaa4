"""Per-period series, shock phases, review-cycle sums and markdown tables: known answers by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from restock.reporting.figures import cycle_sums
from restock.reporting.markdown import markdown_table
from restock.reporting.series import Phases, period_series, phase_kpis, shock_phases


def _records() -> pd.DataFrame:
    # 2 seeds x 2 paths x 3 periods x 2 SKUs; demand 4 per SKU, sales 3 in period 1 else 4; reward = sales
    rows = []
    for seed in (10, 11):
        for path in (0, 1):
            for period in range(3):
                for sku in ("A", "B"):
                    sales = 3.0 if period == 1 else 4.0
                    rows.append(
                        {
                            "seed": seed,
                            "path": path,
                            "period": period,
                            "node": "s",
                            "sku": sku,
                            "demand": 4.0,
                            "sales": sales,
                            "lost": 4.0 - sales,
                            "on_hand": float(period),
                            "reward": sales,
                            "revenue": 2 * sales,
                            "purchase_cost": sales,
                            "holding_cost": 0.0,
                            "penalty_cost": 4.0 - sales,
                            "ordered": 5.0 * (period == 0),
                            "received": 0.0,
                        }
                    )
    return pd.DataFrame(rows)


def test_period_series_sums_skus_and_averages_episodes() -> None:
    s = period_series(_records())
    assert s["period"].tolist() == [0, 1, 2]
    assert s["reward"].tolist() == [8.0, 6.0, 8.0]  # two SKUs per episode, same on all 4 episodes
    assert s["cumulative_profit"].tolist() == [8.0, 14.0, 22.0]
    assert s["fill_rate"].tolist() == [1.0, 0.75, 1.0]
    assert s["on_hand"].tolist() == [0.0, 2.0, 4.0]
    assert s["ordered"].tolist() == [10.0, 0.0, 0.0]


def test_fill_rate_is_one_without_demand() -> None:
    r = _records().assign(demand=0.0, sales=0.0)
    assert period_series(r)["fill_rate"].tolist() == [1.0, 1.0, 1.0]


def test_shock_phases_span_the_shocks_and_mark_inner_boundaries() -> None:
    assert shock_phases([], 100) is None
    p = shock_phases([(70, 133), (70, 250), (84, 200)], 364)
    assert p == Phases(70, 250, 364, (84, 133, 200))
    assert p.bounds() == {"before": (0, 70), "during": (70, 250), "after": (250, 364)}
    assert p.label(np.array([0, 69, 70, 249, 250])).tolist() == [
        "before",
        "before",
        "during",
        "during",
        "after",
    ]
    assert shock_phases([(-5, 500)], 364) == Phases(0, 364, 364, ())


def test_phase_kpis_split_the_series() -> None:
    k = phase_kpis(_records(), Phases(1, 2, 3))
    assert k["phase"].tolist() == ["before", "during", "after"]
    assert k["profit"].tolist() == [8.0, 6.0, 8.0]
    assert k["fill_rate"].tolist() == [1.0, 0.75, 1.0]
    assert k["lost_units"].tolist() == [0.0, 2.0, 0.0]
    # an empty phase is left out
    assert phase_kpis(_records(), Phases(0, 3, 3))["phase"].tolist() == ["during"]


def test_cycle_sums_follow_the_review_offset() -> None:
    s = pd.DataFrame({"period": range(10), "ordered": [1.0] * 10})
    out = cycle_sums(s, "ordered", review_period=4, review_offset=2)
    assert out["period"].tolist() == [-2, 2, 6] and out["value"].tolist() == [2.0, 4.0, 4.0]


def test_markdown_table() -> None:
    frame = pd.DataFrame({"policy": ["a|b", "c"], "profit": [1234567.8, 0.5], "n": [1, 2]})
    assert markdown_table(frame).splitlines() == [
        "| policy | profit | n |",
        "|---|---:|---:|",
        "| a\\|b | 1,234,568 | 1 |",
        "| c | 0.5 | 2 |",
    ]
    assert "inf" in markdown_table(pd.DataFrame({"x": [float("inf")]}))


@pytest.mark.parametrize("bad", [pd.DataFrame({"sku": ["A"]})])
def test_forecast_figure_names_missing_columns(bad: pd.DataFrame) -> None:
    from restock.reporting.figures import forecast_figure

    with pytest.raises(ValueError, match="lack columns"):
        forecast_figure(bad, None)
