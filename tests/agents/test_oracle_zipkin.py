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

from restock.agents.oracle import (
    LostSalesConfig,
    lost_sales_report,
    morton_cap,
    parse_demand,
    solve_lost_sales,
)
from restock.agents.oracle.lost_sales import DEFAULT_MEMORY_LIMIT, check_size, memory_needed

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


ZIPKIN_2008_GEOMETRIC = {(2, 4): 10.24, (2, 19): 20.89, (4, 4): 10.61, (4, 19): 22.95}
"""(L, p) -> optimal average cost, geometric demand with mean 5, h = 1 (Zipkin 2008, the cells given to us
in issue 16)."""


@pytest.mark.parametrize("penalty", [4, 19])
def test_zipkin_geometric_lead_time_two(penalty: int) -> None:
    sol = solve_lost_sales(LostSalesConfig(demand="geometric:5", lead_time=2, penalty=float(penalty)))
    assert sol.converged
    assert round(sol.average_cost, 2) == pytest.approx(ZIPKIN_2008_GEOMETRIC[(2, penalty)], abs=1e-9)


@pytest.mark.parametrize("penalty", [4, 9, 19, 39])
def test_every_geometric_lead_time_four_cell_fits_the_default_memory_limit(penalty: int) -> None:
    """The largest cells of the geometric table (L = 4; p = 19: 270,725 states, 25.8 M transitions) are
    within the default 2 GiB; the estimate used to say 2.37 GiB for p = 19 and refuse it."""
    demand = parse_demand("geometric:5")
    cap = morton_cap(demand, 4, 1.0, float(penalty))
    states, need = memory_needed(4, cap, demand.max_demand)
    assert need < DEFAULT_MEMORY_LIMIT
    if penalty == 19:
        assert (cap, states) == (48, 270_725)
        assert need < 0.75 * 2**30
    check_size(4, cap, demand.max_demand, DEFAULT_MEMORY_LIMIT)  # does not raise


@pytest.mark.slow
def test_zipkin_geometric_lead_time_four_p4() -> None:
    sol = solve_lost_sales(LostSalesConfig(demand="geometric:5", lead_time=4, penalty=4.0))
    assert sol.converged and sol.states == 73_815
    assert round(sol.average_cost, 2) == pytest.approx(ZIPKIN_2008_GEOMETRIC[(4, 4)], abs=1e-9)
