"""Base-stock and capped base-stock costs: exact values, and the local search against exhaustive search."""

from __future__ import annotations

import pytest

from restock.agents.oracle import (
    BaseStockPolicy,
    CappedBaseStockEvaluator,
    best_base_stock,
    best_capped_base_stock,
    morton_cap,
    parse_demand,
)
from restock.agents.oracle.statespace import expected_period_cost


def evaluator(lead: int, penalty: float) -> CappedBaseStockEvaluator:
    return CappedBaseStockEvaluator(
        demand=parse_demand("poisson:5"), lead_time=lead, holding=1.0, penalty=penalty
    )


def test_zero_lead_time_base_stock_costs_the_newsvendor_cost_of_its_level() -> None:
    ev = evaluator(0, 9.0)
    exact = expected_period_cost(ev.demand.pmf, 15, 1.0, 9.0)
    assert [ev.evaluate(s).average_cost for s in range(16)] == pytest.approx(exact.tolist(), rel=1e-9)


def test_one_period_lead_time_base_stock_by_hand() -> None:
    """L = 1, demand 0 or 1 with P(1) = 0.7, h = 1, p = 5; x = on-hand after arrivals, q = max(S - x, 0).

    S = 1: from x = 1 (q = 0) the next x is 1 w.p. 0.3 and 0 w.p. 0.7; from x = 0 (q = 1) it is 1.
    Stationary pi(1) = 1/1.7, pi(0) = 0.7/1.7; cost(1) = h P(D=0) = 0.3, cost(0) = p E D = 3.5:
    g = (0.3 + 0.7 * 3.5) / 1.7 = 2.75 / 1.7.
    S = 2: x lives on {1, 2}, next x = 2 w.p. 0.3 and 1 w.p. 0.7 from either; cost(2) = h E(2 - D) = 1.3,
    cost(1) = 0.3: g = 0.3 * 1.3 + 0.7 * 0.3 = 0.6.
    """
    ev = CappedBaseStockEvaluator(demand=parse_demand("pmf:0.3,0.7"), lead_time=1, holding=1.0, penalty=5.0)
    assert ev.evaluate(1).average_cost == pytest.approx(2.75 / 1.7, abs=1e-8)
    assert ev.evaluate(2).average_cost == pytest.approx(0.6, abs=1e-8)


def test_capped_with_large_cap_is_base_stock() -> None:
    ev = evaluator(2, 9.0)
    assert ev.evaluate(19, 19).average_cost == ev.evaluate(19).average_cost
    assert ev.evaluate(19, 100).cap is None


@pytest.mark.parametrize(("lead", "penalty"), [(1, 4.0), (1, 39.0), (2, 9.0)])
def test_local_search_finds_the_exhaustive_best(lead: int, penalty: float) -> None:
    ev = evaluator(lead, penalty)
    start = morton_cap(ev.demand, lead, 1.0, penalty)
    top = start + 6
    plain = [ev.evaluate(s).average_cost for s in range(top + 1)]
    assert best_base_stock(ev, start, top).average_cost == pytest.approx(min(plain), abs=1e-12)
    grid = [ev.evaluate(s, r).average_cost for s in range(1, top + 1) for r in range(1, s + 1)]
    capped = best_capped_base_stock(ev, start, top)
    assert capped.average_cost == pytest.approx(min(grid), abs=1e-12)
    assert capped.cap is not None and capped.average_cost < min(plain)


def test_base_stock_policy_orders() -> None:
    plain = BaseStockPolicy(lead_time=3, level=20)
    capped = BaseStockPolicy(lead_time=3, level=20, cap=4)
    assert plain.order(5, (3, 2)) == 10 and capped.order(5, (3, 2)) == 4
    assert plain.order(25, (0, 0)) == 0
