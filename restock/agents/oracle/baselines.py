"""Exact average costs of base-stock and capped base-stock policies under lost sales, and the best ones.

A capped base-stock policy (Xin 2021, "Understanding the performance of capped base-stock policies in
lost-sales inventory models", Operations Research 69(1)) orders ``min(max(S - position, 0), r)`` where the
position is on-hand plus pipeline at the decision (after the period's arrivals); ``r = None`` is plain
base-stock. Its chain never leaves the states with position <= S, so it is evaluated exactly on that state
space (:func:`restock.agents.oracle.rvi.evaluate_policy`), with the same transitions as the optimum.

The best levels are found by a local search around a start (Morton's bound for S, the last best r for r)
that stops in each direction after ``patience`` consecutive levels no better than the best so far; every
cost it compares is exact. In all the instances we tabulate the cost is unimodal in S and in r, which is
what makes this search return the global best.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from restock.agents.oracle.demand import DiscreteDemand
from restock.agents.oracle.lost_sales import DEFAULT_MEMORY_LIMIT, check_size
from restock.agents.oracle.rvi import IterationResult, evaluate_policy
from restock.agents.oracle.statespace import (
    StateSpace,
    build_space,
    expected_period_cost,
    leftover_matrix,
    stock_facing_demand,
    transitions,
)

PATIENCE = 2
"""Levels no better than the best in a row before the local search stops in that direction."""


@dataclass(frozen=True)
class PolicyCost:
    """The exact average cost of one base-stock (``cap = None``) or capped base-stock policy."""

    level: int
    """Order-up-to level S of the inventory position."""
    cap: int | None
    """Largest order r per period (None: plain base-stock)."""
    average_cost: float
    """Long-run average cost per period (midpoint of the final bounds)."""
    gap: float
    """Span of the last value difference: the error bound on ``average_cost``."""

    def to_dict(self) -> dict[str, Any]:
        return {"level": self.level, "cap": self.cap, "average_cost": self.average_cost, "gap": self.gap}


@dataclass
class CappedBaseStockEvaluator:
    """Evaluates (capped) base-stock policies of one instance, reusing state spaces across calls."""

    demand: DiscreteDemand
    """Demand per period."""
    lead_time: int
    """L in our convention."""
    holding: float
    """Holding cost per unit and period (h)."""
    penalty: float
    """Penalty per unit lost (p)."""
    tolerance: float = 1e-8
    """Relative stopping tolerance of each policy evaluation."""
    max_iterations: int = 10_000
    """Sweep limit of each policy evaluation."""
    memory_limit_bytes: int = DEFAULT_MEMORY_LIMIT
    """Refuse (InputError) a level whose state space would need more memory than this."""

    def __post_init__(self) -> None:
        self._spaces: dict[int, StateSpace] = {}
        self._warm: dict[int, NDArray[np.float64]] = {}
        self._costs: dict[tuple[int, int | None], PolicyCost] = {}

    def _space(self, level: int) -> StateSpace:
        if level not in self._spaces:
            check_size(
                self.lead_time,
                level,
                self.demand.max_demand,
                self.memory_limit_bytes,
                "base-stock evaluation",
                every_order=False,
            )
            self._spaces[level] = build_space(self.lead_time, level)
        return self._spaces[level]

    def evaluate(self, level: int, cap: int | None = None) -> PolicyCost:
        """Exact average cost of ordering ``min(max(level - position, 0), cap)`` every period."""
        key = (level, None if cap is None or cap >= level else cap)
        if key in self._costs:
            return self._costs[key]
        space = self._space(level)
        position = space.pre.sum(axis=1)
        q = np.maximum(level - position, 0)
        if key[1] is not None:
            q = np.minimum(q, key[1])
        post = np.column_stack([space.pre, q])
        matrix = transitions(space, post, leftover_matrix(self.demand.pmf, level))
        cost = expected_period_cost(self.demand.pmf, level, self.holding, self.penalty)
        result: IterationResult = evaluate_policy(
            matrix,
            cost[stock_facing_demand(self.lead_time, post)],
            tolerance=self.tolerance,
            max_iterations=self.max_iterations,
            initial=self._warm.get(level),
        )
        self._warm[level] = result.values
        out = PolicyCost(level=level, cap=key[1], average_cost=result.average_cost, gap=result.gap)
        self._costs[key] = out
        return out


def local_argmin(f: Callable[[int], float], start: int, lo: int, hi: int, patience: int = PATIENCE) -> int:
    """The best integer in [lo, hi] found walking both ways from ``start`` (see the module docstring)."""
    best, best_value = start, f(start)
    for step in (-1, 1):
        x, worse = start, 0
        while worse < patience and lo <= x + step <= hi:
            x += step
            value = f(x)
            if value < best_value - 1e-12 * max(1.0, abs(best_value)):
                best, best_value, worse = x, value, 0
            else:
                worse += 1
    return best


def best_base_stock(evaluator: CappedBaseStockEvaluator, start: int, max_level: int) -> PolicyCost:
    """The best base-stock level S in [0, max_level], searched from ``start``."""
    level = local_argmin(lambda s: evaluator.evaluate(s).average_cost, min(start, max_level), 0, max_level)
    return evaluator.evaluate(level)


def best_capped_base_stock(evaluator: CappedBaseStockEvaluator, start: int, max_level: int) -> PolicyCost:
    """The best (S, r) with S in [0, max_level], r in [1, S]; never worse than the best base-stock."""
    plain = best_base_stock(evaluator, start, max_level)
    first_cap = max(1, math.ceil(evaluator.demand.mean) + 1)
    best_cap: dict[int, int] = {}
    last = [first_cap]

    def best_for_level(level: int) -> float:
        if level == 0:
            return evaluator.evaluate(0).average_cost
        r = local_argmin(lambda c: evaluator.evaluate(level, c).average_cost, min(last[0], level), 1, level)
        best_cap[level] = last[0] = r
        return evaluator.evaluate(level, r).average_cost

    level = local_argmin(best_for_level, plain.level, 0, max_level)
    capped = evaluator.evaluate(level, best_cap.get(level))
    return capped if capped.average_cost < plain.average_cost else plain
