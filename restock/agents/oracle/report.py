"""One call that gives everything the oracle knows about an instance, ready for JSON or a table."""

from __future__ import annotations

from typing import Any

from restock.agents.oracle.baselines import CappedBaseStockEvaluator, best_base_stock, best_capped_base_stock
from restock.agents.oracle.conventions import restock_to_zipkin
from restock.agents.oracle.lost_sales import LostSalesConfig, LostSalesSolution, solve_lost_sales


def baseline_search_limit(cap: int) -> int:
    """Highest base-stock level the baseline searches may reach: well above Morton's bound."""
    return 2 * cap + 10


def lost_sales_report(config: LostSalesConfig) -> tuple[LostSalesSolution, dict[str, Any]]:
    """Solve ``config`` and evaluate the best base-stock and capped base-stock policies on it.

    Returns the solution and a dict with the keys of :meth:`LostSalesSolution.summary` plus
    ``lead_time_zipkin``, ``best_base_stock`` and ``best_capped_base_stock`` ({level, cap, average_cost,
    gap}) and ``optimality_gap_base_stock`` / ``optimality_gap_capped_base_stock`` (relative excess cost).
    """
    solution = solve_lost_sales(config)
    lead = int(config.lead_time)
    evaluator = CappedBaseStockEvaluator(
        demand=solution.demand,
        lead_time=lead,
        holding=float(config.holding),
        penalty=float(config.penalty),
        tolerance=config.tolerance,
        max_iterations=config.max_iterations,
        memory_limit_bytes=config.memory_limit_bytes,
    )
    limit = baseline_search_limit(solution.cap)
    plain = best_base_stock(evaluator, solution.cap, limit)
    capped = best_capped_base_stock(evaluator, solution.cap, limit)
    out = solution.summary()
    out["lead_time_zipkin"] = restock_to_zipkin(lead) if lead >= 1 else None
    out["best_base_stock"] = plain.to_dict()
    out["best_capped_base_stock"] = capped.to_dict()
    out["optimality_gap_base_stock"] = plain.average_cost / solution.average_cost - 1.0
    out["optimality_gap_capped_base_stock"] = capped.average_cost / solution.average_cost - 1.0
    return solution, out
