"""Zipkin (2008)'s published optimal costs, reproduced; and the baselines against them.

Reference: P. Zipkin (2008), "Old and new methods for lost-sales inventory systems", Operations Research
56(5), 1256-1263 — Poisson demand with mean 5, h = 1, p in {4, 9, 19, 39}, lead time L in {1, 2, 3, 4}
(his L is ours: see restock.agents.oracle.conventions). The table below is the one the papers that
benchmark on these instances reproduce (Xin & Goldberg; Gijsbrechts et al. 2022, MSOM 24(3); Temizöz et
al., "Deep Controlled Learning"), as given to us in issue 6; we could not open the original table here.

Our exact values round to the same two decimals in 15 of the 16 cells. The exception is L = 1, p = 39:
we get 7.836 (stable under a larger position cap and a smaller tolerance), i.e. 7.84, against 7.80 in our
copy of the table — 0.46% apart; we suspect a transcription slip (7.84 -> 7.80) in that copy.
"""

from __future__ import annotations

import pytest

from restock.agents.oracle import LostSalesConfig, lost_sales_report, solve_lost_sales

ZIPKIN_2008 = {
    (1, 4): 4.04, (2, 4): 4.40, (3, 4): 4.60, (4, 4): 4.73,
    (1, 9): 5.44, (2, 9): 6.09, (3, 9): 6.53, (4, 9): 6.84,
    (1, 19): 6.68, (2, 19): 7.66, (3, 19): 8.36, (4, 19): 8.89,
    (1, 39): 7.80, (2, 39): 9.11, (3, 39): 10.04, (4, 39): 10.79,
}  # fmt: skip
"""(L, p) -> optimal average cost per period, Zipkin (2008)."""

SUSPECT = {(1, 39)}
"""Cells whose published value we do not reproduce to two decimals (see the module docstring)."""


def check(lead: int, penalty: int) -> None:
    sol = solve_lost_sales(LostSalesConfig(demand="poisson:5", lead_time=lead, penalty=float(penalty)))
    published = ZIPKIN_2008[(lead, penalty)]
    assert sol.converged
    assert sol.average_cost == pytest.approx(published, rel=0.005)
    if (lead, penalty) not in SUSPECT:
        assert round(sol.average_cost, 2) == pytest.approx(published, abs=1e-9)


@pytest.mark.parametrize("penalty", [4, 9, 19, 39])
@pytest.mark.parametrize("lead", [1, 2, 3])
def test_zipkin_small_instances(lead: int, penalty: int) -> None:
    check(lead, penalty)


@pytest.mark.slow
@pytest.mark.parametrize(("lead", "penalty"), sorted(ZIPKIN_2008))
def test_zipkin_all_sixteen_with_baselines(lead: int, penalty: int) -> None:
    check(lead, penalty)
    _, report = lost_sales_report(LostSalesConfig(demand="poisson:5", lead_time=lead, penalty=float(penalty)))
    best, capped = report["best_base_stock"], report["best_capped_base_stock"]
    assert report["average_cost"] <= capped["average_cost"] + 1e-7 <= best["average_cost"] + 2e-7
    # base-stock is within a few percent of optimal on these instances (Zipkin 2008), capped closer still
    assert 0 < report["optimality_gap_base_stock"] < 0.10
    assert 0 <= report["optimality_gap_capped_base_stock"] < 0.03


def test_the_lead_time_is_not_shifted_by_one() -> None:
    """DESIGN.md read Zipkin's L as our L+1; the table says otherwise: our L+1 misses it by far."""
    ours_shifted = solve_lost_sales(LostSalesConfig(demand="poisson:5", lead_time=2, penalty=4.0))
    assert ours_shifted.average_cost == pytest.approx(ZIPKIN_2008[(2, 4)], rel=0.005)
    assert abs(ours_shifted.average_cost / ZIPKIN_2008[(1, 4)] - 1) > 0.05
