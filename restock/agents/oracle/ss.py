"""The optimal (s, S) policy of a periodic-review backorder system with a fixed order cost, exactly:
Zheng & Federgruen (1991), and the exact average cost of any given (s, S).

**Model, in Restock's event order** (:mod:`restock.agents.oracle.conventions`): i.i.d. integer demand D per
period; within period t, (1) the shipments due arrive, (2) the review sees the inventory position x (net
inventory + open orders, negative under backlog) and, under (s, S), orders S - x when x <= s (a fixed cost
K per order), which arrives at the start of period t+L (L = 0 serves this period's demand), (3) demand is
served, the rest backordered, (4) holding h per unit of end-of-period on-hand and p per unit of
end-of-period backlog. Criterion: long-run average cost per period.

**Reduction.** With y the position after the review in t, the net inventory at the end of t+L is
y - D_{L+1} (D_{L+1}: the demand of periods t .. t+L, L+1 periods), so charging that period's expected cost
to period t,

    G(y) = h E(y - D_{L+1})^+ + p E(D_{L+1} - y)^+,

leaves the long-run average unchanged and the problem is the zero-lead-time one with one-period cost G
(the same G as :func:`restock.agents.oracle.backorder.backorder_cost_curve`). This is Zheng & Federgruen's
G with "L+1 periods of demand" for our L; with L = 0 it is the textbook newsvendor cost of one period
(Snyder & Shen, *Fundamentals of Supply Chain Theory*, sec. 4.6: their Example 4.7 is our L = 0).

**Average cost of (s, S)** (renewal reward, Zheng & Federgruen 1991 eq. (2)): a cycle starts when an order
raises the position to S and ends at the next order; the position visits S - j, j = 0, 1, ..., S - s - 1,
and spends m(j) periods there on average, with

    m(0) = 1 / (1 - p_0),   m(j) = (sum_{l=1}^{j} p_l m(j - l)) / (1 - p_0),   M(n) = sum_{j<n} m(j)

(p_l = P(D = l); M(n) is the expected cycle length), so

    c(s, S) = (K + sum_{j=0}^{S-s-1} m(j) G(S - j)) / M(S - s).

**Algorithm** (Zheng & Federgruen 1991, sec. 3; G convex with minimum at y*, the smallest minimizer):

0. S0 = y*; s = y* - 1; while c(s, S0) > G(s): s = s - 1 (the best reorder point for S0); c0 = c(s, S0).
1. For S = S0 + 1, S0 + 2, ... while G(S) <= c0: if c(s, S) < c0, then S0 = S; while
   c(s, S0) <= G(s + 1): s = s + 1 (the best reorder point for the new S0); c0 = c(s, S0).
2. (s, S0) is optimal, with cost c0.

It needs h > 0 and p > 0 (G grows without bound both ways) and P(D > 0) > 0. K = 0 gives s = y* - 1,
S = y*, cost G(y*): base-stock, the backorder oracle's level and cost (a test). Ties keep the first pair
found; another pair of the same cost may exist (tests compare costs with a brute-force search).

Unbounded demand is truncated as everywhere in the oracle (:data:`~restock.agents.oracle.demand.TAIL_MASS`),
so costs are exact up to that tail (about 1e-9 relative).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from restock.agents.oracle.backorder import backorder_base_stock, lead_demand_pmf
from restock.agents.oracle.conventions import CONVENTION_NOTE
from restock.agents.oracle.demand import DiscreteDemand, parse_demand
from restock.agents.oracle.lost_sales import check_lead_time, is_integer
from restock.errors import InputError, bad_value

MAX_SPAN = 1_000_000
"""Largest S - s the search may reach: beyond it the instance is refused (an InputError)."""


def _finite(name: str, value: Any, *, positive: bool) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float | np.number)
        or not math.isfinite(value)
        or value < 0
        or (positive and value == 0)
    ):
        raise bad_value(name, value, f"must be a finite number {'> 0' if positive else '>= 0'}")


@dataclass(frozen=True)
class SSConfig:
    """One (s, S) instance: periodic review every period, backorders, a fixed cost per order."""

    demand: str
    """Demand spec per period, e.g. ``"poisson:6"`` (:mod:`restock.agents.oracle.demand`)."""
    fixed_cost: float
    """K >= 0: cost per order placed (any positive quantity)."""
    backorder: float
    """p > 0: cost per unit backordered at the end of a period."""
    holding: float = 1.0
    """h > 0: cost per unit on hand at the end of a period."""
    lead_time: int = 0
    """L in our convention: an order placed in period t arrives at the start of t+L (L = 0: at once)."""

    def __post_init__(self) -> None:
        if not isinstance(self.demand, str):
            raise bad_value("demand", self.demand, "must be a spec string such as 'poisson:6'")
        demand = parse_demand(self.demand)
        if demand.pmf[0] >= 1.0:
            raise bad_value("demand", self.demand, "must put positive probability on a demand > 0")
        _finite("fixed_cost", self.fixed_cost, positive=False)
        _finite("backorder", self.backorder, positive=True)
        _finite("holding", self.holding, positive=True)
        check_lead_time("lead_time", self.lead_time)


def one_period_cost(
    lead_pmf: NDArray[np.float64], holding: float, backorder: float, y: NDArray[np.int64]
) -> NDArray[np.float64]:
    """``G(y) = h E(y - X)^+ + p E(X - y)^+`` for any integers ``y`` (negative too), X ~ ``lead_pmf``
    on {0, 1, ...}: ``(h + p) E(y - X)^+ - p (y - E X)``, with E(y - X)^+ from cumulative sums."""
    k = np.arange(lead_pmf.shape[0], dtype=np.float64)
    cdf = np.cumsum(lead_pmf)
    first = np.cumsum(k * lead_pmf)
    mean = float(first[-1])
    y = np.asarray(y, dtype=np.int64)
    inside = np.clip(y, 0, lead_pmf.shape[0] - 1)
    over = np.where(y < 0, 0.0, y * cdf[inside] - first[inside])  # E(y - X)^+ (y beyond the top: y - E X)
    return np.asarray((holding + backorder) * over - backorder * (y - mean), dtype=np.float64)


def renewal_mass(pmf: NDArray[np.float64], n: int) -> NDArray[np.float64]:
    """``m(0 .. n-1)``: m(j) is the expected number of periods in which the demand since the last order
    totals exactly j (module docstring); ``m(0) = 1 / (1 - p_0)``."""
    p0 = float(pmf[0])
    tail = pmf[1:]  # p_1, p_2, ...
    m = np.zeros(n)
    for j in range(n):
        width = min(j, tail.shape[0])
        renewed = float(tail[:width] @ m[j - width : j][::-1]) if width else 0.0  # sum_l p_l m(j - l)
        m[j] = ((1.0 if j == 0 else 0.0) + renewed) / (1.0 - p0)
    return m


@dataclass
class SSCostModel:
    """Exact average costs c(s, S) of one instance (module docstring); the renewal masses grow on demand."""

    config: SSConfig
    """The instance."""
    evaluations: int = 0
    """How many c(s, S) have been computed."""

    def __post_init__(self) -> None:
        self.demand: DiscreteDemand = parse_demand(self.config.demand)
        self._lead_pmf = lead_demand_pmf(self.demand, int(self.config.lead_time))
        self._m = renewal_mass(self.demand.pmf, 64)
        self._cum = np.concatenate([[0.0], np.cumsum(self._m)])

    def G(self, y: int | NDArray[np.int64]) -> Any:
        """The one-period cost G at position(s) after ordering ``y``."""
        out = one_period_cost(
            self._lead_pmf, float(self.config.holding), float(self.config.backorder), np.asarray(y)
        )
        return float(out) if np.ndim(y) == 0 else out

    def _grow(self, n: int) -> None:
        if n > MAX_SPAN:
            raise InputError(
                f"(s, S) instance {self.config.demand!r}, fixed_cost {self.config.fixed_cost!r}: S - s "
                f"would exceed {MAX_SPAN:,}; the instance is too large for the exact search"
            )
        if n > self._m.shape[0]:
            self._m = renewal_mass(self.demand.pmf, max(n, 2 * self._m.shape[0]))
            self._cum = np.concatenate([[0.0], np.cumsum(self._m)])

    def cycle_length(self, span: int) -> float:
        """M(span): the expected number of periods between orders of an (s, S) with S - s = span."""
        self._grow(span)
        return float(self._cum[span])

    def average_cost(self, s: int, S: int) -> float:
        """c(s, S): the long-run average cost per period of (s, S), s < S integers."""
        if not (is_integer(s) and is_integer(S)) or s >= S:
            raise InputError(f"(s, S) must be integers with s < S, got s={s!r}, S={S!r}")
        n = int(S) - int(s)
        self._grow(n)
        self.evaluations += 1
        g = self.G(int(S) - np.arange(n, dtype=np.int64))
        return float((float(self.config.fixed_cost) + self._m[:n] @ g) / self._cum[n])


def ss_average_cost(config: SSConfig, s: int, S: int) -> float:
    """The exact long-run average cost per period of the (s, S) policy ``s``, ``S`` on ``config``."""
    return SSCostModel(config).average_cost(s, S)


@dataclass(frozen=True)
class SSSolution:
    """The optimal (s, S) of one instance; costs per period, lead time in our convention."""

    config: SSConfig
    """The instance."""
    demand: DiscreteDemand = field(repr=False)
    """The parsed (truncated) demand distribution."""
    s: int
    """Optimal reorder point: order when the inventory position is at or below it."""
    S: int
    """Optimal order-up-to level."""
    average_cost: float
    """c(s, S): the optimal long-run average cost per period."""
    cycle_length: float
    """Expected periods between orders, M(S - s)."""
    base_stock_level: int
    """y*, the minimizer of G: the optimal level without fixed cost."""
    base_stock_cost: float
    """G(y*): what base-stock would cost without the fixed cost (a lower bound on ``average_cost``)."""
    evaluations: int
    """c(s, S) evaluations the search made."""
    seconds: float
    """Wall time of the solve."""

    def summary(self) -> dict[str, Any]:
        """The JSON-ready figures of the solve."""
        return {
            "s": self.s,
            "S": self.S,
            "average_cost": self.average_cost,
            "lead_time": int(self.config.lead_time),
            "lead_time_convention": CONVENTION_NOTE,
            "fixed_cost": float(self.config.fixed_cost),
            "holding": float(self.config.holding),
            "backorder": float(self.config.backorder),
            "demand": self.config.demand,
            "mean_demand": self.demand.mean,
            "cycle_length": self.cycle_length,
            "base_stock_level": self.base_stock_level,
            "base_stock_cost": self.base_stock_cost,
            "evaluations": self.evaluations,
            "seconds": round(self.seconds, 4),
        }


def solve_ss(config: SSConfig) -> SSSolution:
    """The optimal (s, S) and its cost by Zheng & Federgruen's algorithm (module docstring)."""
    t0 = time.perf_counter()
    model = SSCostModel(config)
    y_star, g_star = backorder_base_stock(
        model.demand, int(config.lead_time), float(config.holding), float(config.backorder)
    )
    c = model.average_cost
    G = model.G
    # step 0: the best reorder point for S0 = y*
    S0 = y_star
    s = y_star - 1
    while c(s, S0) > G(s):
        s -= 1
    c0 = c(s, S0)
    # step 1: raise S while G(S) <= c0; on an improvement, raise s to its best for the new S
    S = S0 + 1
    while G(S) <= c0:
        if c(s, S) < c0:
            S0 = S
            while c(s, S0) <= G(s + 1):
                s += 1
            c0 = c(s, S0)
        S += 1
    return SSSolution(
        config=config,
        demand=model.demand,
        s=int(s),
        S=int(S0),
        average_cost=float(c0),
        cycle_length=model.cycle_length(S0 - s),
        base_stock_level=int(y_star),
        base_stock_cost=float(g_star),
        evaluations=model.evaluations,
        seconds=time.perf_counter() - t0,
    )
