"""Zipkin (2008)'s 16 lost-sales instances: optimal, best base-stock and best capped base-stock costs.

Poisson demand with mean 5, h = 1, p in {4, 9, 19, 39}, L in {1, 2, 3, 4} (our lead-time convention,
which equals Zipkin's). Prints one JSON document, then a markdown table (docs/oracle.md quotes it)::

    nice .venv/bin/python benchmarks/zipkin_table.py            # JSON + markdown
    nice .venv/bin/python benchmarks/zipkin_table.py --markdown # markdown only
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from restock.agents.oracle import BackorderConfig, LostSalesConfig, lost_sales_report, solve_backorder

ZIPKIN_2008 = {
    (1, 4): 4.04, (2, 4): 4.40, (3, 4): 4.60, (4, 4): 4.73,
    (1, 9): 5.44, (2, 9): 6.09, (3, 9): 6.53, (4, 9): 6.84,
    (1, 19): 6.68, (2, 19): 7.66, (3, 19): 8.36, (4, 19): 8.89,
    (1, 39): 7.80, (2, 39): 9.11, (3, 39): 10.04, (4, 39): 10.79,
}  # fmt: skip
"""(L, p) -> optimal average cost as given in issue 6 (Zipkin 2008; see test_oracle_zipkin.py)."""


def rows() -> list[dict[str, Any]]:
    out = []
    for penalty in (4, 9, 19, 39):
        for lead in (1, 2, 3, 4):
            t0 = time.perf_counter()
            config = LostSalesConfig(demand="poisson:5", lead_time=lead, penalty=float(penalty))
            _, report = lost_sales_report(config)
            backorder = solve_backorder(
                BackorderConfig(demand="poisson:5", lead_time=lead, penalty=float(penalty))
            )
            report["published"] = ZIPKIN_2008[(lead, penalty)]
            report["relative_difference"] = report["average_cost"] / report["published"] - 1.0
            report["backorder_average_cost"] = backorder.average_cost
            report["backorder_base_stock_level"] = backorder.base_stock_level
            report["total_seconds"] = round(time.perf_counter() - t0, 3)
            out.append(report)
    return out


def markdown(table: list[dict[str, Any]]) -> str:
    lines = [
        "| p | L | optimal | Zipkin (2008) | diff | states | iters | gap | base-stock S: cost (excess) "
        "| capped S, r: cost (excess) | backorder S: cost | seconds |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in table:
        b, c = r["best_base_stock"], r["best_capped_base_stock"]
        excess_b = 100 * r["optimality_gap_base_stock"]
        excess_c = 100 * r["optimality_gap_capped_base_stock"]
        cells = [
            f"{r['penalty']:g}",
            f"{r['lead_time']}",
            f"{r['average_cost']:.4f}",
            f"{r['published']:.2f}",
            f"{100 * r['relative_difference']:+.2f}%",
            f"{r['states']:,}",
            f"{r['iterations']}",
            f"{r['gap']:.1e}",
            f"{b['level']}: {b['average_cost']:.4f} ({excess_b:.2f}%)",
            f"{c['level']}, {c['cap']}: {c['average_cost']:.4f} ({excess_c:.2f}%)",
            f"{r['backorder_base_stock_level']}: {r['backorder_average_cost']:.4f}",
            f"{r['total_seconds']:.2f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    t0 = time.perf_counter()
    table = rows()
    if "--markdown" not in sys.argv:
        print(json.dumps({"instances": table, "total_seconds": round(time.perf_counter() - t0, 2)}, indent=1))
    print(markdown(table))
    print(f"\ntotal {time.perf_counter() - t0:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
