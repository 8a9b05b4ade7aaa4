"""One call that gives everything the oracle knows about an instance, ready for JSON or a table."""

from __future__ import annotations

from typing import Any

from restock.agents.oracle.baselines import CappedBaseStockEvaluator, best_base_stock, best_capped_base_stock
from restock.agents.oracle.conventions import restock_to_zipkin
from restock.agents.oracle.dual_index import IndexSearch, best_index_policies
from restock.agents.oracle.dual_sourcing import DualSourcingConfig, DualSourcingSolution, solve_dual_sourcing
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


def dual_sourcing_report(
    config: DualSourcingConfig,
) -> tuple[DualSourcingSolution, IndexSearch, dict[str, Any]]:
    """Solve ``config`` exactly and search the index policies on it.

    The dict has the keys of :meth:`DualSourcingSolution.summary` (``average_cost`` is the optimum, per
    period, purchases included) plus ``capped_dual_index``, ``dual_index`` and ``single_index``: each the
    best policy of its family ({expedite_level, regular_level, regular_cap, kind, regular_sees_expedite,
    average_cost, expedited_share, excess_cost, gap_percent}; ``excess_cost`` = cost - optimum,
    ``gap_percent`` = 100 (cost / optimum - 1), a percentage, None for a zero optimum), ``index_search``
    {chains, seconds}, and ``seconds`` for the whole (solve + search).
    """
    solution = solve_dual_sourcing(config)
    search = best_index_policies(config)
    out = solution.summary()
    optimum = solution.average_cost
    out["solve_seconds"] = out.pop("seconds")
    out["capped_dual_index"] = search.capped_dual_index.to_dict(optimum)
    out["dual_index"] = search.dual_index.to_dict(optimum)
    out["single_index"] = search.single_index.to_dict(optimum)
    out["index_search"] = {"chains": search.chains, "seconds": round(search.seconds, 3)}
    out["seconds"] = round(solution.seconds + search.seconds, 3)
    return solution, search, out
