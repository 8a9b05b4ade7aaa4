"""The backorder twin of the lost-sales problem: value iteration, checked against the closed form.

Same timing and costs as :mod:`restock.agents.oracle.lost_sales`, except that unmet demand is backordered:
the net inventory (on-hand minus backorders) can go negative, and ``p`` is charged per unit backordered at
the end of each period. Then the state reduces to the inventory position x (net inventory + pipeline) at
the decision: ordering up to y >= x puts the net inventory at the end of period t+L at y - D_{L+1}
(D_{L+1}: demand of periods t .. t+L), so charging that period's expected cost now,

    G(y) = h E(y - D_{L+1})^+ + p E(D_{L+1} - y)^+,     next position x' = y - D,

is an equivalent average-cost problem (the standard reduction, e.g. Zipkin 2000, Foundations of
Inventory Management).
:func:`solve_backorder` runs relative value iteration on it without assuming the policy's form; base-stock
is optimal, with the level of the closed form :func:`backorder_base_stock`: the smallest S with
P(D_{L+1} <= S) >= p / (p + h), and cost G(S). A test checks that both agree.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from restock.agents.oracle.conventions import CONVENTION_NOTE
from restock.agents.oracle.demand import (
    TAIL_MASS,
    DiscreteDemand,
    convolve_power,
    parse_demand,
    smallest_index_reaching,
)
from restock.agents.oracle.lost_sales import (
    DEFAULT_MEMORY_LIMIT,
    check_cost_parameters,
    check_solver_parameters,
)
from restock.agents.oracle.policy import BaseStockPolicy
from restock.agents.oracle.rvi import relative_value_iteration
from restock.errors import InputError, bad_value

BYTES_PER_POST_ROW = 40
"""Bytes per post-decision (position, order-up-to) pair, besides its transitions."""

BYTES_PER_TRANSITION = 48
"""Peak bytes per nonzero transition probability while the matrix is built."""


@dataclass(frozen=True)
class BackorderConfig:
    """One backorder instance and how to solve it."""

    demand: str
    """Demand spec per period, e.g. ``"poisson:5"``."""
    lead_time: int
    """L in our convention: an order placed in period t arrives at the start of t+L."""
    penalty: float
    """Cost per unit backordered at the end of a period (p)."""
    holding: float = 1.0
    """Cost per unit on hand at the end of a period (h)."""
    tolerance: float = 1e-10
    """Stop when the span of the value difference is at most this times max(1, average cost)."""
    max_iterations: int = 10_000
    """Give up (``converged = False``) after this many sweeps."""
    memory_limit_bytes: int = DEFAULT_MEMORY_LIMIT
    """Refuse (InputError) an instance that would need more memory than this."""

    def __post_init__(self) -> None:
        if not isinstance(self.demand, str):
            raise bad_value("demand", self.demand, "must be a spec string such as 'poisson:5'")
        parse_demand(self.demand)
        check_cost_parameters(self.lead_time, self.holding, self.penalty)
        check_solver_parameters(self.tolerance, self.max_iterations, self.memory_limit_bytes)


def lead_demand_pmf(demand: DiscreteDemand, lead_time: int) -> NDArray[np.float64]:
    """pmf of D_{L+1}, the demand of the L+1 periods an order placed now must cover (our convention)."""
    return convolve_power(demand.pmf, lead_time + 1)


def backorder_cost_curve(
    demand: DiscreteDemand, lead_time: int, holding: float, penalty: float, top: int
) -> NDArray[np.float64]:
    """``G(y) = h E(y - D_{L+1})^+ + p E(D_{L+1} - y)^+`` for y = 0 .. top."""
    pmf = lead_demand_pmf(demand, lead_time)
    k = np.arange(pmf.shape[0], dtype=np.float64)
    y = np.arange(top + 1, dtype=np.float64)[:, None]
    return np.asarray(holding * (np.maximum(y - k, 0) @ pmf) + penalty * (np.maximum(k - y, 0) @ pmf))


def backorder_base_stock(
    demand: DiscreteDemand, lead_time: int, holding: float, penalty: float
) -> tuple[int, float]:
    """Closed form: (S, G(S)) with S the smallest level with P(D_{L+1} <= S) >= p / (p + h)."""
    cdf = np.cumsum(lead_demand_pmf(demand, lead_time))
    level = smallest_index_reaching(cdf, penalty / (penalty + holding))
    return level, float(backorder_cost_curve(demand, lead_time, holding, penalty, level)[level])


@dataclass(frozen=True)
class BackorderSolution:
    """The optimum of one backorder instance, with the closed form beside it."""

    config: BackorderConfig
    """The instance."""
    demand: DiscreteDemand = field(repr=False)
    """The parsed demand distribution."""
    average_cost: float
    """Optimal average cost per period found by value iteration."""
    lower: float
    """Lower bound on it."""
    upper: float
    """Upper bound on it."""
    iterations: int
    """Value-iteration sweeps."""
    converged: bool
    """Whether the bounds met the tolerance."""
    states: int
    """Inventory positions in the reduced state space."""
    base_stock_level: int
    """The order-up-to level value iteration chose (at positions at or below it)."""
    closed_form_level: int
    """The critical-fractile level of D_{L+1}."""
    closed_form_cost: float
    """G(closed_form_level)."""
    seconds: float
    """Wall time of the solve."""
    policy: BaseStockPolicy = field(repr=False)
    """The optimal policy: order up to ``base_stock_level``; ``on_hand`` is the net inventory here."""

    @property
    def gap(self) -> float:
        """Span of the last value difference (``upper - lower``)."""
        return self.upper - self.lower

    def summary(self) -> dict[str, Any]:
        """The JSON-ready figures of the solve."""
        return {
            "average_cost": self.average_cost,
            "lead_time": int(self.config.lead_time),
            "lead_time_convention": CONVENTION_NOTE,
            "penalty": float(self.config.penalty),
            "holding": float(self.config.holding),
            "demand": self.config.demand,
            "states": self.states,
            "iterations": self.iterations,
            "gap": self.gap,
            "converged": self.converged,
            "base_stock_level": self.base_stock_level,
            "closed_form": {"level": self.closed_form_level, "average_cost": self.closed_form_cost},
            "seconds": round(self.seconds, 3),
        }


def solve_backorder(config: BackorderConfig) -> BackorderSolution:
    """Relative value iteration over inventory positions (see the module docstring)."""
    t0 = time.perf_counter()
    demand = parse_demand(config.demand)
    lead, h, p = int(config.lead_time), float(config.holding), float(config.penalty)
    closed_level, closed_cost = backorder_base_stock(demand, lead, h, p)
    lead_cdf = np.cumsum(lead_demand_pmf(demand, lead))
    top = max(smallest_index_reaching(lead_cdf, 1.0 - TAIL_MASS), closed_level + 1)
    dmax = demand.max_demand
    # states: positions -dmax .. top (index x + dmax); post rows: (x, y) with max(x, 0) <= y <= top
    positions = np.arange(-dmax, top + 1)
    sizes = top - np.maximum(positions, 0) + 1
    rows_needed = int(sizes.sum())
    need = rows_needed * (BYTES_PER_POST_ROW + (dmax + 1) * BYTES_PER_TRANSITION)
    if need > config.memory_limit_bytes:
        raise InputError(
            f"backorder instance too large: demand {config.demand!r}, lead_time {lead} give "
            f"{positions.shape[0]:,} states and need about {need / 2**30:.2f} GiB "
            f"(limit {config.memory_limit_bytes / 2**30:.2f} GiB, memory_limit_bytes)"
        )
    starts = np.cumsum(sizes) - sizes
    owner = np.repeat(np.arange(positions.shape[0]), sizes)
    y = np.arange(rows_needed) - starts[owner] + np.maximum(positions, 0)[owner]
    cost = backorder_cost_curve(demand, lead, h, p, top)[y]
    d = np.arange(dmax + 1)
    rows = np.repeat(np.arange(rows_needed), dmax + 1)
    cols = (y[:, None] - d[None, :] + dmax).ravel()
    kernel = sp.csr_matrix(
        (np.tile(demand.pmf, rows_needed), (rows, cols)), shape=(rows_needed, positions.shape[0])
    )
    result = relative_value_iteration(
        kernel, cost, starts, tolerance=config.tolerance, max_iterations=config.max_iterations
    )
    chosen = y[starts + result.choice]
    level = int(chosen[dmax])  # the order-up-to level chosen at position 0
    return BackorderSolution(
        config=config,
        demand=demand,
        average_cost=result.average_cost,
        lower=result.lower,
        upper=result.upper,
        iterations=result.iterations,
        converged=result.converged,
        states=int(positions.shape[0]),
        base_stock_level=level,
        closed_form_level=closed_level,
        closed_form_cost=closed_cost,
        seconds=time.perf_counter() - t0,
        policy=BaseStockPolicy(lead_time=lead, level=level),
    )
