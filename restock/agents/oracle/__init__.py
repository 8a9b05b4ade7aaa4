"""The exact oracle: optimal policies and costs of single-node lost-sales, backorder and dual-sourcing
inventory, of serial systems and of SKUs sharing a capacity.

* :func:`parse_demand` — ``poisson:MEAN``, ``geometric:MEAN``, ``negbin:MEAN:VAR``, ``pmf:P0,P1,...``.
* :func:`solve_lost_sales` (:class:`LostSalesConfig`) — relative value iteration; the optimal average cost
  and an :class:`OrderTable` with ``order(on_hand, pipeline) -> int``.
* :func:`solve_backorder` (:class:`BackorderConfig`) — the backorder twin, checked against the closed form
  :func:`backorder_base_stock`.
* :class:`CappedBaseStockEvaluator`, :func:`best_base_stock`, :func:`best_capped_base_stock` — exact costs
  of the classical baselines; :func:`lost_sales_report` — all of it for one instance.
* :func:`solve_serial` (:class:`SerialConfig`) — exact echelon base-stock levels and cost of an N-stage
  serial system with backorders (Chen & Zheng 1994); :func:`serial_cost` at given levels;
  :class:`RestockChain` — the same chain in Restock's terms.
* :func:`solve_dual_sourcing` (:class:`DualSourcingConfig`) — dual sourcing with backorders (a regular and
  an expedited source) by relative value iteration; :func:`best_index_policies` and
  :func:`evaluate_index_policy` — the capped dual index, dual index and single index policies costed
  exactly; :func:`dual_sourcing_report` — all of it for one instance.
* :func:`solve_ss` (:class:`SSConfig`) — the optimal (s, S) policy with a fixed order cost under backorders
  (Zheng & Federgruen 1991); :func:`ss_average_cost` / :class:`SSCostModel` — the exact cost of any (s, S).
* :func:`solve_shared_capacity` (:class:`SharedCapacityConfig`) — one node whose K SKUs share an inbound
  capacity (lost sales, lead time 0): the optimal average profit by relative value iteration and the exact
  profit of the Lagrangian newsvendor and of the pro-rata-cut newsvendor.
* :mod:`~restock.agents.oracle.conventions` — our lead time vs Zipkin (2008)'s.

Lead times are in our convention everywhere (an order placed in period t arrives at the start of t+L),
except :class:`SerialConfig`, which takes the textbook's (Snyder & Shen ch. 6; :data:`SERIAL_CONVENTION`)
and maps to ours through :class:`RestockChain`.
"""

from restock.agents.oracle.backorder import (
    BackorderConfig,
    BackorderSolution,
    backorder_base_stock,
    solve_backorder,
)
from restock.agents.oracle.baselines import (
    CappedBaseStockEvaluator,
    PolicyCost,
    best_base_stock,
    best_capped_base_stock,
)
from restock.agents.oracle.conventions import CONVENTION_NOTE, restock_to_zipkin, zipkin_to_restock
from restock.agents.oracle.demand import TAIL_MASS, DiscreteDemand, parse_demand
from restock.agents.oracle.dual_index import (
    IndexPolicy,
    IndexResult,
    IndexSearch,
    best_index_policies,
    evaluate_index_policy,
)
from restock.agents.oracle.dual_sourcing import (
    DualSourcingConfig,
    DualSourcingSolution,
    DualSourcingTable,
    solve_dual_sourcing,
)
from restock.agents.oracle.lost_sales import LostSalesConfig, LostSalesSolution, morton_cap, solve_lost_sales
from restock.agents.oracle.policy import BaseStockPolicy, OrderTable
from restock.agents.oracle.report import dual_sourcing_report, lost_sales_report
from restock.agents.oracle.serial import (
    SERIAL_CONVENTION,
    RestockChain,
    SerialConfig,
    SerialSolution,
    parse_serial_demand,
    serial_cost,
    solve_serial,
)
from restock.agents.oracle.shared_capacity import (
    SharedCapacityConfig,
    SharedCapacitySolution,
    solve_shared_capacity,
)
from restock.agents.oracle.ss import SSConfig, SSCostModel, SSSolution, solve_ss, ss_average_cost

__all__ = [
    "CONVENTION_NOTE",
    "SERIAL_CONVENTION",
    "TAIL_MASS",
    "BackorderConfig",
    "BackorderSolution",
    "BaseStockPolicy",
    "CappedBaseStockEvaluator",
    "DiscreteDemand",
    "DualSourcingConfig",
    "DualSourcingSolution",
    "DualSourcingTable",
    "IndexPolicy",
    "IndexResult",
    "IndexSearch",
    "LostSalesConfig",
    "LostSalesSolution",
    "OrderTable",
    "PolicyCost",
    "RestockChain",
    "SSConfig",
    "SSCostModel",
    "SSSolution",
    "SerialConfig",
    "SerialSolution",
    "SharedCapacityConfig",
    "SharedCapacitySolution",
    "backorder_base_stock",
    "best_base_stock",
    "best_capped_base_stock",
    "best_index_policies",
    "dual_sourcing_report",
    "evaluate_index_policy",
    "lost_sales_report",
    "morton_cap",
    "parse_demand",
    "parse_serial_demand",
    "restock_to_zipkin",
    "serial_cost",
    "solve_backorder",
    "solve_dual_sourcing",
    "solve_lost_sales",
    "solve_serial",
    "solve_shared_capacity",
    "solve_ss",
    "ss_average_cost",
    "zipkin_to_restock",
]
