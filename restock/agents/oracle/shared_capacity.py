"""The exact average-profit optimum of one node whose SKUs share an inbound capacity, and the exact profit
of the Lagrangian newsvendor and of the pro-rata-cut newsvendor on the same instance.

**Model.** One node, K SKUs (K = 2 or 3 in practice), lost sales, i.i.d. integer demand D_k per SKU and
period, independent across SKUs. A review every period, lead time 0 (an order arrives at once and serves
this period's demand: our convention, DESIGN.md). The node takes in at most C units per period over all
its SKUs (``World.inbound_capacity``). Within period t:

1. (no shipment is in transit: with lead time 0 everything ordered has arrived);
2. the review sees the on-hand x = (x_1, ..., x_K) left at the end of period t - 1 and orders
   q_k >= 0 with ``q_1 + ... + q_K <= C``; the levels after ordering are y = x + q;
3. demand is served: sales_k = min(D_k, y_k), the rest is lost; the on-hand becomes (y_k - D_k)^+;
4. the period books revenue p_k sales_k, purchase c_k q_k (paid on receipt, at once), holding h_k per
   unit on hand at its end and the penalty b_k per unit lost.

Criterion: the long-run average **profit** per period (revenue - purchase - holding - penalty), to be
maximized; ``average_cost`` is its negative. Started with empty shelves (x = 0).

**Reduction.** Over a run the units bought equal the units sold plus the change in on-hand, so
``sum_t c_k q_k = sum_t c_k sales_k + c_k (x_end - x_start)``; on the bounded grid the last term, divided
by the number of periods, vanishes, and the average profit is the average of a reward of the levels y alone:

    r(y) = sum_k (p_k - c_k) E min(D_k, y_k) - h_k E(y_k - D_k)^+ - b_k E(D_k - y_k)^+

(the relative values differ from the booked ones by ``c . x``; the average is the same, and the
stationary components below book c_k q_k as it is paid; a test checks both against a simulation).
The Bellman equation on the post-decision levels y:

    h(x) + g = max over y in F(x) of [ r(y) + E h((y - D)^+) ],
    F(x) = { y integer : x <= y <= X, sum_k (y_k - x_k) <= C },

where the expectation is separable (the SKUs' demands are independent): with
``P_k[y, x'] = P((y - D_k)^+ = x')`` it is a contraction of h with P_1, ..., P_K along its axes
(``P_1 h P_2^T`` for two SKUs). The max over F(x) is a recursion over the capacity:
``M_0 = Q``, ``M_j(x) = max(Q(x), max_k M_{j-1}(x + e_k))`` (x + e_k on the grid), ``M_C`` is the max
over F(x) — C passes of K shifted maxima over the grid (a suffix max along each axis once C reaches
``sum_k X_k`` and cannot bind). :func:`restock.agents.oracle.rvi.iterate` runs it with Odoni's bounds.

**Bounds.** On-hand and levels lie in 0..X_k per SKU. The grid is closed under the dynamics
(``(y - D)^+ <= y <= X``), so every policy of the bounded problem is a policy of the real one and the
bounded optimum is attained there; it can only fall short of the unbounded optimum where an optimal
policy would order beyond X_k. The solve computes the stationary distribution of the optimal policy
(from x = 0) and its mass on levels y_k = X_k (``boundary_mass``). The default grid starts at
``X_k = max(S_k, r_k) + min(C, r_k)``, S_k the newsvendor level (below) and r_k the demand's reach (the
smallest k with P(D > k) <= 1e-6, :func:`~restock.agents.oracle.dual_sourcing.demand_reach`): room to
build stock ahead of a binding capacity; while that mass exceeds ``boundary_tolerance`` every X_k grows
by r_k and the instance is solved again (at most :data:`MAX_WIDENINGS` times: a capacity well below the
mean demand makes the optimum order C in every period, and the stock it builds in quiet periods has a
long tail). A grid given as ``max_on_hand`` is not widened: there the solve is refused, naming it. With
no mass at the top, the optimal policy of the bounded problem never meets the grid's edge in the long
run: a sign, not a proof, that the grid does not bind (a test checks that a wider grid leaves the optimum
unchanged).

**Policies evaluated exactly** (relative value iteration with the policy's operator, and the stationary
distribution by power iteration of the lazy chain from x = 0):

* ``newsvendor`` — the critical fractile tau_k = (p_k - c_k + b_k) / (p_k - c_k + b_k + h_k)
  (:func:`restock.envs.features.critical_fractile`, R = 1) gives the level S_k = Q_k(tau_k), the exact
  quantile of D_k (the smallest s with P(D_k <= s) >= tau_k); it orders (S_k - x_k)^+ and, where the
  total exceeds C, the orders are cut pro rata as the engines cut them (``rules.inbound_share``), in whole
  units: each SKU keeps the floor of its share ``q_k C / sum q`` and the units left go one each to the
  largest fractional parts (ties to the lower SKU index), so the total is exactly C.
* ``lagrangian`` — the Lagrangian newsvendor with exact quantiles: at price lambda >= 0 per unit of
  capacity, tau_k(lambda) = (p_k - c_k - lambda + b_k) / (p_k - c_k - lambda + b_k + h_k) and the order is
  (Q_k(tau_k(lambda)) - x_k)^+; lambda* is the smallest lambda >= 0 whose total order fits in C. The total
  is a non-increasing step function of lambda that changes only at the breakpoints
  ``lambda = p_k - c_k + b_k - h_k F_k(s) / (1 - F_k(s))`` (where tau_k(lambda) crosses a value of the
  cdf F_k), and at a breakpoint it already takes its lower value, so lambda* is 0 or one of the
  breakpoints and is found exactly by scanning them (the simulator's baseline bisects,
  :func:`restock.agents.baselines.capacity.capacity_price`; a test checks both find the same price).
  With exact quantiles some price always fits (for lambda >= p_k - c_k + b_k, tau_k = 0 and Q_k = 0), so
  no pro rata cut is ever needed; what the engines cut is the part that the forecast table's lowest level
  cannot price away. **Integrality:** at lambda* the orders may sum to less than C (a level drops by
  several units at once where the pmf has gaps, or several SKUs' levels drop at the same price); this
  rule leaves the slack unused.
* ``lagrangian-filled`` — the same, then the slack ``C - sum q(lambda*)`` goes to the SKUs whose orders
  the price lowered at lambda* (their order just below lambda* less the order at it), pro rata to what the
  price took from each in whole units (largest remainders, as above); the total is then C wherever the
  price is positive. This is the integer counterpart of the engines' continuous price, at which the
  interpolated quantiles fill the capacity exactly.

Without backorders (lost sales only); backorders would need a floor on the net inventory (as the
dual-sourcing grid keeps one) and are not implemented.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from restock.agents.oracle.demand import DiscreteDemand, finite_number, parse_demand
from restock.agents.oracle.dual_sourcing import demand_reach
from restock.agents.oracle.lost_sales import DEFAULT_MEMORY_LIMIT, check_solver_parameters, is_integer
from restock.agents.oracle.rvi import Sweeps, iterate
from restock.envs.features import critical_fractile
from restock.errors import InputError, bad_value

MAX_SKUS = 4
"""Most SKUs accepted (the grid grows as the product of the SKUs' ranges)."""

BYTES_PER_GRID_STATE = 256
"""Peak bytes per grid state (values, the contraction's and the capacity recursion's arrays, the policy
tables and their temporaries)."""

BOUNDARY_TOLERANCE = 1e-9
"""Default largest stationary probability the optimal policy may put on a level at the top of the grid."""

MAX_WIDENINGS = 20
"""Most times the default grid is widened (by each SKU's reach) before a solve is refused."""

STATIONARY_TOLERANCE = 1e-13
"""Power iteration for a stationary distribution stops when one step changes it by at most this (L1)."""

POLICIES = ("optimal", "lagrangian", "lagrangian-filled", "newsvendor")
"""The policies a solve reports, in its order."""


@dataclass(frozen=True)
class SharedCapacityConfig:
    """One node, K SKUs sharing an inbound capacity, lost sales, lead time 0 (see the module docstring).

    Every per-SKU field is a sequence of K values, SKU 1 first."""

    demand: tuple[str, ...]
    """Demand spec per SKU and period, e.g. ``("poisson:3", "poisson:2")``
    (:func:`restock.agents.oracle.demand.parse_demand`); independent across SKUs."""
    price: tuple[float, ...]
    """p_k >= 0: revenue per unit sold."""
    unit_cost: tuple[float, ...]
    """c_k >= 0: purchase cost per unit ordered (paid at once: lead time 0)."""
    holding: tuple[float, ...]
    """h_k > 0: cost per unit on hand at the end of a period."""
    penalty: tuple[float, ...]
    """b_k >= 0: cost per unit of demand lost (on top of the lost margin)."""
    capacity: int
    """C >= 0: the most units the node takes in per period over all its SKUs."""
    max_on_hand: tuple[int, ...] | None = None
    """X_k, the top of the grid per SKU (None: max(S_k, reach_k) + min(C, reach_k), module docstring);
    at least the newsvendor level S_k."""
    tolerance: float = 1e-10
    """Stop when the span of the value difference is at most this times max(1, |average profit|)."""
    max_iterations: int = 100_000
    """Give up (``converged = False``) after this many sweeps."""
    memory_limit_bytes: int = DEFAULT_MEMORY_LIMIT
    """Refuse (InputError) a grid that would need more memory than this."""
    boundary_tolerance: float = BOUNDARY_TOLERANCE
    """Refuse (InputError) a solution whose optimal policy puts more stationary probability than this on
    levels at the top of the grid."""

    def __post_init__(self) -> None:
        names = ("demand", "price", "unit_cost", "holding", "penalty")
        for name in names:
            value = getattr(self, name)
            if isinstance(value, str) or not isinstance(value, Sequence) or not value:
                raise bad_value(name, value, "must be a non-empty sequence with one value per SKU")
            object.__setattr__(self, name, tuple(value))
        k = len(self.demand)
        if k > MAX_SKUS:
            raise bad_value("demand", self.demand, f"must list at most {MAX_SKUS} SKUs")
        for name in names[1:]:
            if len(getattr(self, name)) != k:
                raise bad_value(name, getattr(self, name), f"must have one value per SKU ({k}, as demand)")
        for i, spec in enumerate(self.demand):
            if not isinstance(spec, str):
                raise bad_value(f"demand[{i}]", spec, "must be a spec string such as 'poisson:3'")
            if parse_demand(spec).mean <= 0:
                raise bad_value(f"demand[{i}]", spec, "must have a positive mean")
        for name, positive in (("price", False), ("unit_cost", False), ("holding", True), ("penalty", False)):
            for i, value in enumerate(getattr(self, name)):
                if not finite_number(value) or value < 0 or (positive and value == 0):
                    raise bad_value(
                        f"{name}[{i}]", value, f"must be a finite number {'> 0' if positive else '>= 0'}"
                    )
        if not is_integer(self.capacity) or self.capacity < 0:
            raise bad_value("capacity", self.capacity, "must be an integer >= 0")
        if self.max_on_hand is not None:
            tops = self.max_on_hand
            if isinstance(tops, str) or not isinstance(tops, Sequence) or len(tops) != k:
                raise bad_value("max_on_hand", tops, f"must be None or one integer per SKU ({k})")
            object.__setattr__(self, "max_on_hand", tuple(tops))
            levels = newsvendor_levels(self)
            for i, top in enumerate(tops):
                if not is_integer(top) or top < levels[i]:
                    raise bad_value(
                        f"max_on_hand[{i}]", top, f"must be an integer >= the newsvendor level {levels[i]}"
                    )
        check_solver_parameters(self.tolerance, self.max_iterations, self.memory_limit_bytes)
        if not finite_number(self.boundary_tolerance) or not 0 <= self.boundary_tolerance < 1:
            raise bad_value("boundary_tolerance", self.boundary_tolerance, "must be a number in [0, 1)")

    @property
    def skus(self) -> int:
        """K, the number of SKUs."""
        return len(self.demand)

    def demands(self) -> list[DiscreteDemand]:
        """The parsed demand distribution of every SKU."""
        return [parse_demand(spec) for spec in self.demand]


def _array(values: Sequence[float]) -> NDArray[np.float64]:
    return np.asarray([float(v) for v in values], dtype=np.float64)


def fractiles(config: SharedCapacityConfig, price_of_capacity: float = 0.0) -> NDArray[np.float64]:
    """tau_k(lambda) = (p_k - c_k - lambda + b_k) / (p_k - c_k - lambda + b_k + h_k), [K], in [0, 1]."""
    return critical_fractile(
        _array(config.price),
        _array(config.unit_cost) + price_of_capacity,
        _array(config.holding),
        _array(config.penalty),
        1,
    )


def levels_at(
    config: SharedCapacityConfig, demands: Sequence[DiscreteDemand], price_of_capacity: float
) -> NDArray[np.int64]:
    """The exact newsvendor levels Q_k(tau_k(lambda)) [K] at capacity price ``price_of_capacity``."""
    taus = fractiles(config, price_of_capacity)
    return np.array([d.quantile(float(t)) for d, t in zip(demands, taus, strict=True)], dtype=np.int64)


def newsvendor_levels(config: SharedCapacityConfig) -> NDArray[np.int64]:
    """S_k = Q_k(tau_k(0)): the levels of the newsvendor that ignores the capacity."""
    return levels_at(config, config.demands(), 0.0)


def price_breakpoints(config: SharedCapacityConfig, demands: Sequence[DiscreteDemand]) -> NDArray[np.float64]:
    """0 and every price lambda > 0 at which some SKU's level Q_k(tau_k(lambda)) drops, ascending."""
    margin = _array(config.price) - _array(config.unit_cost) + _array(config.penalty)
    out = [0.0]
    for k, d in enumerate(demands):
        cdf = d.cdf()[:-1]
        cdf = cdf[cdf < 1.0]
        lam = margin[k] - float(config.holding[k]) * cdf / (1.0 - cdf)
        out.extend(float(v) for v in lam if v > 0)
    return np.unique(np.asarray(out, dtype=np.float64))


@dataclass(frozen=True)
class SkuModel:
    """One SKU's one-period arrays on its grid 0..top of levels y."""

    demand: DiscreteDemand = field(repr=False)
    """Its demand distribution."""
    top: int
    """X_k: the highest on-hand and level on the grid."""
    transition: NDArray[np.float64] = field(repr=False)
    """``transition[y, x']`` = P((y - D)^+ = x'), y, x' in 0..top."""
    sales: NDArray[np.float64] = field(repr=False)
    """E min(D, y), y = 0..top."""
    leftover: NDArray[np.float64] = field(repr=False)
    """E (y - D)^+."""
    lost: NDArray[np.float64] = field(repr=False)
    """E (D - y)^+."""


def sku_model(demand: DiscreteDemand, top: int) -> SkuModel:
    """The one-period arrays of a SKU with demand ``demand`` on levels 0..``top``."""
    pmf = demand.pmf
    survival = np.concatenate([1.0 - np.cumsum(pmf), np.zeros(max(0, top + 1 - pmf.shape[0]))])
    survival = np.maximum(survival, 0.0)
    sales = np.concatenate([[0.0], np.cumsum(survival[:top])])  # E min(D, y) = sum_{j<y} P(D > j)
    y = np.arange(top + 1, dtype=np.float64)
    transition = np.zeros((top + 1, top + 1))
    for level in range(top + 1):
        d = level - np.arange(1, level + 1)  # demand that leaves x' = 1 .. level
        transition[level, 1 : level + 1] = np.where(
            d < pmf.shape[0], pmf[np.minimum(d, pmf.shape[0] - 1)], 0.0
        )
        transition[level, 0] = 1.0 - transition[level, 1:].sum()
    return SkuModel(
        demand=demand,
        top=top,
        transition=transition,
        sales=sales,
        leftover=y - sales,
        lost=np.maximum(demand.mean - sales, 0.0),
    )


def _along(matrix: NDArray[np.float64], values: NDArray[np.float64], axis: int) -> NDArray[np.float64]:
    """``sum_j matrix[i, j] values[..., j, ...]`` along ``axis``."""
    return np.asarray(
        np.moveaxis(np.tensordot(matrix, values, axes=([1], [axis])), 0, axis), dtype=np.float64
    )


def expected_next(models: Sequence[SkuModel], values: NDArray[np.float64]) -> NDArray[np.float64]:
    """``E values((y - D)^+)`` for every level y on the grid (the demands are independent)."""
    out = values
    for k, m in enumerate(models):
        out = _along(m.transition, out, k)
    return out


def next_distribution(models: Sequence[SkuModel], levels: NDArray[np.float64]) -> NDArray[np.float64]:
    """The distribution of the next on-hand (y - D)^+ given the distribution ``levels`` of y."""
    out = levels
    for k, m in enumerate(models):
        out = _along(m.transition.T, out, k)
    return out


def _shifted(values: NDArray[np.float64], axis: int) -> tuple[tuple[slice, ...], tuple[slice, ...]]:
    """Index pairs (x, x + e_axis) over the states with x_axis below the top."""
    low = [slice(None)] * values.ndim
    high = [slice(None)] * values.ndim
    low[axis] = slice(0, -1)
    high[axis] = slice(1, None)
    return tuple(low), tuple(high)


def capacity_max(q: NDArray[np.float64], capacity: int) -> NDArray[np.float64]:
    """``max over y in F(x) of q(y)`` for every grid state x (module docstring: the recursion in C)."""
    steps = min(capacity, sum(s - 1 for s in q.shape))
    if steps == sum(s - 1 for s in q.shape):  # the capacity cannot bind: a suffix max along each axis
        out = q
        for axis in range(q.ndim):
            out = np.flip(np.maximum.accumulate(np.flip(out, axis), axis=axis), axis)
        return out
    best = q
    for _ in range(steps):
        new = q.copy()
        for axis in range(q.ndim):
            low, high = _shifted(q, axis)
            np.maximum(new[low], best[high], out=new[low])
        best = new
    return best


def capacity_argmax(q: NDArray[np.float64], capacity: int) -> NDArray[np.int64]:
    """The flat index of a best y in F(x) for every grid state x: the recursion of :func:`capacity_max`
    carrying indices (on a tie the level found first: no order, then with fewer units, lower SKUs first)."""
    steps = min(capacity, sum(s - 1 for s in q.shape))
    own = np.arange(q.size, dtype=np.int64).reshape(q.shape)
    best, where = q, own
    for _ in range(steps):
        new, at = q.copy(), own.copy()
        for axis in range(q.ndim):
            low, high = _shifted(q, axis)
            better = best[high] > new[low]
            new[low] = np.where(better, best[high], new[low])
            at[low] = np.where(better, where[high], at[low])
        best, where = new, at
    return where


@dataclass(frozen=True)
class Grid:
    """The state space: on-hand x_k in 0..tops[k] per SKU, in C order."""

    tops: tuple[int, ...]
    """X_k per SKU."""

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(t + 1 for t in self.tops)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    def states(self) -> NDArray[np.int64]:
        """Every state x, [size, K], in C order (flat index i is row i)."""
        return np.indices(self.shape).reshape(len(self.shape), -1).T.astype(np.int64)

    def index(self, levels: NDArray[np.int64]) -> NDArray[np.int64]:
        """Flat (C order) index of levels [n, K] on the grid."""
        return np.asarray(np.ravel_multi_index(tuple(levels.T), self.shape), dtype=np.int64)


def default_tops(
    config: SharedCapacityConfig, demands: Sequence[DiscreteDemand], widenings: int
) -> tuple[int, ...]:
    """X_k = max(S_k, r_k) + min(C, r_k) + ``widenings`` x r_k (module docstring)."""
    cap = int(config.capacity)
    levels = levels_at(config, demands, 0.0)
    return tuple(
        max(int(s), demand_reach(d)) + min(cap, demand_reach(d)) + widenings * demand_reach(d)
        for s, d in zip(levels, demands, strict=True)
    )


def grid_for(config: SharedCapacityConfig, demands: Sequence[DiscreteDemand], widenings: int = 0) -> Grid:
    """The grid of ``config`` (the default tops after ``widenings`` widenings where ``max_on_hand`` is
    None), refused if too large."""
    if config.max_on_hand is not None:
        tops = tuple(int(t) for t in config.max_on_hand)
    else:
        tops = default_tops(config, demands, widenings)
    grid = Grid(tops=tops)
    need = grid.size * BYTES_PER_GRID_STATE
    if need > config.memory_limit_bytes:
        raise InputError(
            f"shared-capacity instance too large: on-hand 0..{list(tops)} gives {grid.size:,} states and "
            f"needs about {need / 2**30:.2f} GiB (limit {config.memory_limit_bytes / 2**30:.2f} GiB, "
            "memory_limit_bytes)"
        )
    return grid


def apportion(weights: NDArray[np.int64], total: NDArray[np.int64]) -> NDArray[np.int64]:
    """Split ``total`` [n] units over the K columns of ``weights`` [n, K] in proportion, in whole units:
    the floor of each share, then one unit each to the largest remainders (ties to the lower column).
    The parts sum to ``total`` and none exceeds its weight where ``total <= weights.sum(1)``.

    >>> apportion(np.array([[3, 3, 2]]), np.array([5])).tolist()
    [[2, 2, 1]]
    """
    weights = np.asarray(weights, dtype=np.int64)
    total = np.asarray(total, dtype=np.int64)
    whole = np.maximum(weights.sum(axis=1), 1)
    base = weights * total[:, None] // whole[:, None]
    remainder = weights * total[:, None] % whole[:, None]
    left = total - base.sum(axis=1)
    order = np.argsort(-remainder, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(weights.shape[1])[None, :].repeat(weights.shape[0], 0), axis=1)
    return np.asarray(base + (rank < left[:, None]), dtype=np.int64)


def newsvendor_orders(config: SharedCapacityConfig, on_hand: NDArray[np.int64]) -> NDArray[np.int64]:
    """Orders [n, K] of the newsvendor that ignores the capacity, then cut pro rata in whole units."""
    wanted = np.maximum(newsvendor_levels(config)[None, :] - on_hand, 0)
    return apportion(wanted, np.minimum(wanted.sum(axis=1), int(config.capacity)))


@dataclass(frozen=True)
class LagrangianOrders:
    """What the Lagrangian newsvendor does in each of n states."""

    orders: NDArray[np.int64]
    """[n, K] at the price (the ``lagrangian`` rule: the slack is left unused)."""
    filled: NDArray[np.int64]
    """[n, K] with the slack handed to the SKUs the price cut (the ``lagrangian-filled`` rule)."""
    price: NDArray[np.float64]
    """[n]: lambda*, the smallest price >= 0 at which the orders fit."""


def lagrangian_orders(config: SharedCapacityConfig, on_hand: NDArray[np.int64]) -> LagrangianOrders:
    """The Lagrangian newsvendor with exact quantiles in every state ``on_hand`` [n, K] (module docstring):
    the breakpoints are scanned, the feasible ones form a suffix, the first of them is lambda*."""
    demands = config.demands()
    prices = price_breakpoints(config, demands)
    levels = np.stack([levels_at(config, demands, float(lam)) for lam in prices])  # [B, K]
    cap = int(config.capacity)
    on_hand = np.asarray(on_hand, dtype=np.int64)
    infeasible = np.zeros(on_hand.shape[0], dtype=np.int64)
    for row in levels:
        infeasible += np.maximum(row[None, :] - on_hand, 0).sum(axis=1) > cap
    if (infeasible >= prices.shape[0]).any():  # cannot happen: Q_k = 0 at the last breakpoint
        raise AssertionError("no capacity price fits")
    orders = np.maximum(levels[infeasible] - on_hand, 0)
    before = np.maximum(levels[np.maximum(infeasible - 1, 0)] - on_hand, 0)  # just below lambda*
    cut = np.where((infeasible > 0)[:, None], before - orders, 0)
    slack = np.where(infeasible > 0, cap - orders.sum(axis=1), 0)
    return LagrangianOrders(orders=orders, filled=orders + apportion(cut, slack), price=prices[infeasible])


@dataclass(frozen=True)
class PolicyProfit:
    """The exact long-run figures of one stationary policy, started with empty shelves; per period."""

    name: str
    """``optimal``, ``lagrangian``, ``lagrangian-filled`` or ``newsvendor``."""
    average_profit: float
    """Long-run average profit (relative value iteration with the policy's operator: midpoint of the
    bounds)."""
    gap: float
    """Span of the final bounds on ``average_profit``."""
    iterations: int
    """Sweeps of the evaluation."""
    converged: bool
    """Whether the bounds met the tolerance."""
    revenue: float
    """sum_k p_k E sales_k under the stationary distribution."""
    purchase: float
    """sum_k c_k E q_k."""
    holding: float
    """sum_k h_k E on-hand_k at the end of the period."""
    penalty: float
    """sum_k b_k E lost_k."""
    fill_rate: tuple[float, ...]
    """E sales_k / E D_k per SKU."""
    mean_level: tuple[float, ...]
    """E y_k, the level after ordering, per SKU."""
    mean_order: float
    """E sum_k q_k."""
    capacity_used: float
    """P(sum_k q_k = C): the share of periods that take in all the capacity."""
    above_newsvendor: float
    """P(y_k > S_k for some k): periods that hold more than the capacity-blind newsvendor level."""
    top_mass: float
    """P(y_k = X_k for some k): stationary mass on levels at the top of the grid."""
    mean_price: float | None = None
    """Lagrangian policies: E lambda*, the capacity price."""
    priced: float | None = None
    """Lagrangian policies: P(lambda* > 0)."""

    @property
    def stationary_profit(self) -> float:
        """revenue - purchase - holding - penalty (equals ``average_profit`` up to the tolerances)."""
        return self.revenue - self.purchase - self.holding - self.penalty

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "average_profit": self.average_profit,
            "average_cost": -self.average_profit,
            "gap": self.gap,
            "iterations": self.iterations,
            "converged": self.converged,
            "revenue": self.revenue,
            "purchase": self.purchase,
            "holding": self.holding,
            "penalty": self.penalty,
            "fill_rate": list(self.fill_rate),
            "mean_level": list(self.mean_level),
            "mean_order": self.mean_order,
            "capacity_used": self.capacity_used,
            "above_newsvendor": self.above_newsvendor,
            "top_mass": self.top_mass,
        }
        if self.mean_price is not None:
            out["mean_price"] = self.mean_price
            out["priced"] = self.priced
        return out


@dataclass(frozen=True)
class Instance:
    """An instance's grid and one-period arrays, shared by the solve and every policy evaluation."""

    config: SharedCapacityConfig
    grid: Grid
    models: tuple[SkuModel, ...] = field(repr=False)
    reward: NDArray[np.float64] = field(repr=False)
    """r(y) on the grid (module docstring)."""

    def expected_next(self, values: NDArray[np.float64]) -> NDArray[np.float64]:
        return expected_next(self.models, values)


def build_instance(config: SharedCapacityConfig, widenings: int = 0) -> Instance:
    """The grid (:func:`grid_for`) and r(y) of ``config``."""
    demands = config.demands()
    grid = grid_for(config, demands, widenings)
    models = tuple(sku_model(d, top) for d, top in zip(demands, grid.tops, strict=True))
    reward = np.zeros(grid.shape)
    for k, m in enumerate(models):
        per_level = (
            (float(config.price[k]) - float(config.unit_cost[k])) * m.sales
            - float(config.holding[k]) * m.leftover
            - float(config.penalty[k]) * m.lost
        )
        shape = [1] * len(grid.shape)
        shape[k] = grid.shape[k]
        reward = reward + per_level.reshape(shape)
    return Instance(config=config, grid=grid, models=models, reward=reward)


def stationary(instance: Instance, levels: NDArray[np.int64]) -> NDArray[np.float64]:
    """The stationary distribution over on-hand states of the policy whose level in state i is the grid
    state ``levels[i]`` (flat index), started at x = 0: power iteration of the lazy chain (same
    stationary distribution, aperiodic) until a step changes it by at most :data:`STATIONARY_TOLERANCE`."""
    g = instance.grid
    pi: NDArray[np.float64] = np.zeros(g.size)
    pi[0] = 1.0
    for _ in range(instance.config.max_iterations):
        at_level = np.asarray(np.bincount(levels, weights=pi, minlength=g.size), dtype=np.float64)
        at_level = at_level.reshape(g.shape)
        new = 0.5 * (pi + next_distribution(instance.models, at_level).reshape(-1))
        done = float(np.abs(new - pi).sum()) <= STATIONARY_TOLERANCE
        pi = new
        if done:
            return np.asarray(pi / pi.sum(), dtype=np.float64)
    raise InputError(
        f"shared-capacity: the stationary distribution did not settle within max_iterations = "
        f"{instance.config.max_iterations} steps (to {STATIONARY_TOLERANCE:g}); raise max_iterations"
    )


def evaluate_levels(
    instance: Instance,
    name: str,
    levels: NDArray[np.int64],
    price: NDArray[np.float64] | None = None,
) -> PolicyProfit:
    """The exact figures of the stationary policy that raises state i to the grid state ``levels[i]``
    (flat index; ``price``: its capacity price per state, for the Lagrangian policies)."""
    cfg, g = instance.config, instance.grid
    x = g.states()
    y = np.stack(np.unravel_index(levels, g.shape), axis=1).astype(np.int64)
    q = y - x
    if (q < 0).any() or (q.sum(axis=1) > int(cfg.capacity)).any():
        raise InputError(f"policy {name!r} orders a negative quantity or beyond the capacity {cfg.capacity}")
    reward = instance.reward.reshape(-1)[levels]
    sweeps = iterate(
        lambda h: np.asarray(
            reward + instance.expected_next(h).reshape(-1)[levels], dtype=np.float64
        ).reshape(g.shape),
        np.zeros(g.shape),
        tolerance=cfg.tolerance,
        max_iterations=cfg.max_iterations,
    )
    pi = stationary(instance, levels)
    sales = np.stack([m.sales[y[:, k]] for k, m in enumerate(instance.models)], axis=1)
    leftover = np.stack([m.leftover[y[:, k]] for k, m in enumerate(instance.models)], axis=1)
    lost = np.stack([m.lost[y[:, k]] for k, m in enumerate(instance.models)], axis=1)
    e_sales, e_left, e_lost, e_q = pi @ sales, pi @ leftover, pi @ lost, pi @ q
    s0 = newsvendor_levels(cfg)
    means = np.array([m.demand.mean for m in instance.models])
    return PolicyProfit(
        name=name,
        average_profit=0.5 * (sweeps.lower + sweeps.upper),
        gap=sweeps.upper - sweeps.lower,
        iterations=sweeps.iterations,
        converged=sweeps.converged,
        revenue=float(_array(cfg.price) @ e_sales),
        purchase=float(_array(cfg.unit_cost) @ e_q),
        holding=float(_array(cfg.holding) @ e_left),
        penalty=float(_array(cfg.penalty) @ e_lost),
        fill_rate=tuple(float(v) for v in e_sales / means),
        mean_level=tuple(float(v) for v in pi @ y),
        mean_order=float(e_q.sum()),
        capacity_used=float(pi[q.sum(axis=1) == int(cfg.capacity)].sum()),
        above_newsvendor=float(pi[(y > s0[None, :]).any(axis=1)].sum()),
        top_mass=float(pi[(y >= np.array(g.tops)[None, :]).any(axis=1)].sum()),
        mean_price=None if price is None else float(pi @ price),
        priced=None if price is None else float(pi[price > 0].sum()),
    )


def evaluate_orders(
    instance: Instance,
    name: str,
    orders: Callable[[NDArray[np.int64]], NDArray[np.int64]],
) -> PolicyProfit:
    """:func:`evaluate_levels` of a policy given as orders [n, K] per on-hand state [n, K]."""
    x = instance.grid.states()
    return evaluate_levels(instance, name, instance.grid.index(x + orders(x)))


@dataclass(frozen=True)
class SharedCapacitySolution:
    """The optimum of one shared-capacity instance and the exact profit of the baselines; per period."""

    config: SharedCapacityConfig
    """The instance."""
    grid: Grid
    """The state space solved on."""
    average_profit: float
    """Optimal long-run average profit per period (midpoint of the final bounds); its negative is the
    optimal ``average_cost``."""
    lower: float
    """Lower bound on it (Odoni)."""
    upper: float
    """Upper bound on it."""
    iterations: int
    """Value-iteration sweeps."""
    converged: bool
    """Whether the bounds met the tolerance."""
    newsvendor_levels: tuple[int, ...]
    """S_k, the levels of the capacity-blind newsvendor."""
    policies: dict[str, PolicyProfit]
    """Exact figures of each policy of :data:`POLICIES` (``optimal``: the table read off the solve)."""
    optimal_levels: NDArray[np.int64] = field(repr=False)
    """The optimal level y(x) per on-hand state, [*grid.shape, K]."""
    seconds: float
    """Wall time of the solve and of every evaluation."""

    @property
    def gap(self) -> float:
        """Span of the last value difference: the error bound on ``average_profit``."""
        return self.upper - self.lower

    def gap_percent(self, name: str) -> float | None:
        """100 (optimum - policy) / |optimum| (None where the optimum is 0)."""
        if self.average_profit == 0:
            return None
        return 100.0 * (self.average_profit - self.policies[name].average_profit) / abs(self.average_profit)

    def level(self, on_hand: Sequence[int]) -> tuple[int, ...]:
        """The optimal levels after ordering in state ``on_hand`` (on the grid)."""
        idx = tuple(int(v) for v in on_hand)
        if len(idx) != len(self.grid.tops):
            raise InputError(f"on_hand must have {len(self.grid.tops)} entries, got {list(on_hand)}")
        if any(v < 0 or v > t for v, t in zip(idx, self.grid.tops, strict=True)):
            raise InputError(f"on_hand {list(idx)} is outside the grid 0..{list(self.grid.tops)}")
        return tuple(int(v) for v in self.optimal_levels[idx])

    def summary(self) -> dict[str, Any]:
        """The JSON-ready figures of the solve."""
        cfg = self.config
        means = [d.mean for d in cfg.demands()]
        return {
            "average_profit": self.average_profit,
            "average_cost": -self.average_profit,
            "objective": "maximize the long-run average profit per period (average_cost = -average_profit)",
            "lead_time": 0,
            "lead_time_convention": "restock: an order arrives at once and serves this period's demand",
            "demand": list(cfg.demand),
            "mean_demand": means,
            "price": [float(v) for v in cfg.price],
            "unit_cost": [float(v) for v in cfg.unit_cost],
            "holding": [float(v) for v in cfg.holding],
            "penalty": [float(v) for v in cfg.penalty],
            "capacity": int(cfg.capacity),
            "capacity_share_of_mean_demand": int(cfg.capacity) / sum(means),
            "newsvendor_levels": list(self.newsvendor_levels),
            "grid": {"max_on_hand": list(self.grid.tops), "states": self.grid.size},
            "boundary_mass": self.policies["optimal"].top_mass,
            "lower": self.lower,
            "upper": self.upper,
            "gap": self.gap,
            "iterations": self.iterations,
            "converged": self.converged,
            "optimal_levels_from_empty": list(self.level([0] * cfg.skus)),
            "policies": {
                name: {**p.to_dict(), "gap_percent": self.gap_percent(name)}
                for name, p in self.policies.items()
            },
            "seconds": round(self.seconds, 3),
        }


def solve_optimum(
    config: SharedCapacityConfig, widenings: int = 0
) -> tuple[Instance, Sweeps, NDArray[np.int64], PolicyProfit]:
    """Relative value iteration on one grid: (instance, sweeps, the optimal level per state as a flat
    index, the optimal table's exact figures)."""
    inst = build_instance(config, widenings)
    cap = int(config.capacity)

    def bellman(h: NDArray[np.float64]) -> NDArray[np.float64]:
        return capacity_max(inst.reward + inst.expected_next(h), cap)

    sweeps = iterate(
        bellman, np.zeros(inst.grid.shape), tolerance=config.tolerance, max_iterations=config.max_iterations
    )
    best = capacity_argmax(inst.reward + inst.expected_next(sweeps.values), cap).reshape(-1)
    return inst, sweeps, best, evaluate_levels(inst, "optimal", best)


def solve_shared_capacity(config: SharedCapacityConfig) -> SharedCapacitySolution:
    """Relative value iteration for the optimum (on a default grid widened until the optimal policy stays
    off its top, module docstring), then the exact figures of each policy of :data:`POLICIES`."""
    t0 = time.perf_counter()
    widenings = 0
    inst, sweeps, best, optimal = solve_optimum(config)
    while (
        optimal.top_mass > config.boundary_tolerance
        and config.max_on_hand is None
        and widenings < MAX_WIDENINGS
    ):
        widenings += 1
        inst, sweeps, best, optimal = solve_optimum(config, widenings)
    if optimal.top_mass > config.boundary_tolerance:
        raise InputError(
            f"shared-capacity grid too small: the optimal policy puts stationary probability "
            f"{optimal.top_mass:.3g} on levels at max_on_hand = {list(inst.grid.tops)} (boundary_tolerance "
            f"{config.boundary_tolerance:g}); raise it (--max-on-hand on the command line)"
        )
    states = inst.grid.states()
    lag = lagrangian_orders(config, states)
    policies = {
        "optimal": optimal,
        "lagrangian": evaluate_levels(inst, "lagrangian", inst.grid.index(states + lag.orders), lag.price),
        "lagrangian-filled": evaluate_levels(
            inst, "lagrangian-filled", inst.grid.index(states + lag.filled), lag.price
        ),
        "newsvendor": evaluate_orders(inst, "newsvendor", lambda x: newsvendor_orders(config, x)),
    }
    levels = np.stack(np.unravel_index(best, inst.grid.shape), axis=-1).reshape(
        (*inst.grid.shape, config.skus)
    )
    return SharedCapacitySolution(
        config=config,
        grid=inst.grid,
        average_profit=0.5 * (sweeps.lower + sweeps.upper),
        lower=sweeps.lower,
        upper=sweeps.upper,
        iterations=sweeps.iterations,
        converged=sweeps.converged,
        newsvendor_levels=tuple(int(v) for v in newsvendor_levels(config)),
        policies=policies,
        optimal_levels=levels.astype(np.int64),
        seconds=time.perf_counter() - t0,
    )
