"""The exact average-cost optimum of dual sourcing with backorders (a regular and an expedited source).

**Model** (Veeraraghavan & Scheller-Wolf 2008; Sun & Van Mieghem 2019; the instances of Gijsbrechts,
Boute, Van Mieghem & Zhang 2022). One item, i.i.d. integer demand D per period, unmet demand backordered.
Two sources: regular (lead time L_R, unit cost c_R) and expedited (lead time L_E < L_R, unit cost
c_E > c_R). Within period t, in our convention (DESIGN.md: arrivals, review, demand, booking):

1. the orders due in t arrive: the regular order placed in t - L_R and the expedited one placed in t - L_E;
2. the review sees the net inventory x (on hand minus backorders, after those arrivals) and the open
   orders by arrival period, and places an expedited order q_E, arriving at the start of t + L_E, and a
   regular order q_R, arriving at the start of t + L_R; with L_E = 0 the expedited order arrives at once
   and serves this period's demand;
3. demand D_t is met from stock, the rest backordered: the net inventory becomes y = x (+ q_E if
   L_E = 0) - D_t;
4. the period books ``c_E q_E + c_R q_R + h max(y, 0) + b max(-y, 0)``.

Criterion: long-run average cost per period, purchases included (with c_R = 100, mean demand 2 the
optimum is about 217: 200 of it is regular buying). This is the model and timing of Gijsbrechts et al.
(2022, section 5, from Sun & Van Mieghem 2019): their L_R = 2, 3, 4 and L_E = 0 are ours as they stand.

**State reduction** (the standard one, e.g. Whittemore & Saunders 1977; Veeraraghavan & Scheller-Wolf
2008). The orders arriving in t+1 .. t+L_E cannot be changed and are summed into the *expedited position*
``e = x + (open orders arriving by t + L_E)``; the expedited order raises it to ``z = e + q_E``, and the
net inventory at the end of period t + L_E is ``z - D[t .. t+L_E]``. Charging that period's expected
holding and backorder cost now,

    G(z) = h E(z - D_{L_E+1})^+ + b E(D_{L_E+1} - z)^+     (D_{L_E+1}: demand of L_E + 1 periods)

gives an equivalent average-cost problem on the state ``(e, p_1, ..., p_m)``, m = L_R - L_E - 1, where
p_i is the regular order arriving at t + L_E + i (placed in t + L_E + i - L_R). One period:

    cost c_E q_E + c_R q_R + G(e + q_E);     next state (e + q_E - D + p_1, p_2, ..., p_m, q_R)

(for m = 0: ``e' = e + q_E + q_R - D``). For L_E = 0 the reduced state is the full one: e is the net
inventory after arrivals and p the regular pipeline.

**Method.** Relative value iteration (:func:`restock.agents.oracle.rvi.iterate`) on a dense grid,
minimizing over the two orders in two stages: with ``w = z + p_1``,

    V(w, p_2.., q_R) = E h(w - D, p_2, .., q_R),     W(w, p_2..) = min_{q_R} c_R q_R + V(w, p_2.., q_R),
    (T h)(e, p) = min_{z >= e} [c_E (z - e) + G(z) + W(z + p_1, p_2, ...)]

and the last minimum is a suffix minimum along e, so one sweep costs a few passes over the grid.

**Bounds.** The grid holds e in [``min_position``, ``max_position``] (lo, hi) and regular orders (so the
pipeline entries) in [0, ``max_regular_order``]; the expedited order may raise e up to hi. Below, the
grid is kept closed by a constraint, never by forgiving backorders: the orders must keep the next state on
the grid whatever the demand (``e + q_E + p_1 - max D >= lo``; for m = 0 ``e + q_E + q_R - max D >= lo``),
so at the floor the policy is made to expedite. Every policy of the bounded problem is thus a policy of
the real one. Above, a next position beyond hi (reachable only from states already far overstocked) is
clipped to hi. After solving, the stationary distribution of the optimal policy is computed (from e = 0,
empty pipeline; exact sparse solve) and the probability of each way it can touch an edge — an expedited
order forced to the floor or a transition clipped below, a transition clipped above or an expedite up to
hi, a regular order of ``max_regular_order`` — is reported (``boundary_mass``); above
``boundary_tolerance`` the solve is refused, naming the bound to widen. With no mass there, the optimal
policy of the bounded problem runs unchanged in the unbounded system, so its cost is attained there; a
test checks that widening every bound leaves the optimum unchanged.
Defaults, with the demand's *reach* r = the smallest k with P(D > k) <= 1e-6 (r = max D for a short
pmf): ``max_regular_order = 2 r``, ``min_position = -(L_E + 1) r - max D`` and ``max_position`` the
single-source base-stock level at L_R plus r.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from restock.agents.oracle.demand import DiscreteDemand, convolve_power, finite_number, parse_demand
from restock.agents.oracle.lost_sales import (
    DEFAULT_MEMORY_LIMIT,
    check_lead_time,
    check_solver_parameters,
    is_integer,
)
from restock.agents.oracle.rvi import iterate, stationary_distribution
from restock.errors import InputError, bad_value

BYTES_PER_GRID_STATE = 160
"""Peak bytes per grid state during a sweep (values, the two stages' arrays and temporaries)."""

BOUNDARY_TOLERANCE = 1e-9
"""Default largest stationary probability the optimal policy may put on the edges of the grid."""

REACH_TAIL = 1e-6
"""Tail probability that defines a demand's *reach* (:func:`demand_reach`), which sizes default grids."""

DUAL_SOURCING_CONVENTION = (
    "restock: an order placed in period t arrives at the start of period t+L, before that period's "
    "demand (L=0 serves the same period); the same L_R, L_E as Gijsbrechts et al. (2022)"
)
"""One line that reports print next to the lead times."""


@dataclass(frozen=True)
class DualSourcingConfig:
    """One dual-sourcing instance with backorders and how to solve it (see the module docstring)."""

    demand: str
    """Demand spec per period, e.g. ``"pmf:0.2,0.2,0.2,0.2,0.2"`` (any spec of
    :func:`restock.agents.oracle.demand.parse_demand`)."""
    regular_lead_time: int
    """L_R >= 1 in our convention: a regular order placed in period t arrives at the start of t + L_R."""
    expedited_lead_time: int
    """L_E, 0 <= L_E < L_R: an expedited order placed in t arrives at the start of t + L_E (0: at once,
    before this period's demand)."""
    regular_cost: float
    """c_R >= 0: cost per unit ordered from the regular source."""
    expedited_cost: float
    """c_E > c_R: cost per unit ordered from the expedited source."""
    holding: float
    """h > 0: cost per unit of positive net inventory at the end of a period."""
    backorder: float
    """b > 0: cost per unit backordered (negative net inventory) at the end of a period."""
    max_regular_order: int | None = None
    """Largest regular order, hence largest pipeline entry, on the grid (None: 2 x the demand's reach,
    :func:`demand_reach`; = 2 x max demand for a short pmf)."""
    min_position: int | None = None
    """Lowest expedited position e on the grid (None: -(L_E + 1) x reach - max demand)."""
    max_position: int | None = None
    """Highest expedited position e on the grid and highest level an expedited order may raise it to
    (None: the single-source base-stock level at L_R plus the reach)."""
    tolerance: float = 1e-10
    """Stop when the span of the value difference is at most this times max(1, average cost)."""
    max_iterations: int = 100_000
    """Give up (``converged = False``) after this many sweeps."""
    memory_limit_bytes: int = DEFAULT_MEMORY_LIMIT
    """Refuse (InputError) a grid that would need more memory than this."""
    boundary_tolerance: float = BOUNDARY_TOLERANCE
    """Refuse (InputError) a solution whose optimal policy puts more stationary probability than this on
    the edges of the grid (see the module docstring)."""

    def __post_init__(self) -> None:
        if not isinstance(self.demand, str):
            raise bad_value("demand", self.demand, "must be a spec string such as 'pmf:0.2,0.3,0.5'")
        if parse_demand(self.demand).mean <= 0:
            raise bad_value("demand", self.demand, "must have a positive mean (nothing to buy otherwise)")
        check_lead_time("regular_lead_time", self.regular_lead_time, 1)
        check_lead_time("expedited_lead_time", self.expedited_lead_time)
        if self.expedited_lead_time >= self.regular_lead_time:
            raise bad_value(
                "expedited_lead_time",
                self.expedited_lead_time,
                f"must be < regular_lead_time ({self.regular_lead_time})",
            )
        if not finite_number(self.regular_cost) or self.regular_cost < 0:
            raise bad_value("regular_cost", self.regular_cost, "must be a finite number >= 0")
        if not finite_number(self.expedited_cost):
            raise bad_value("expedited_cost", self.expedited_cost, "must be a finite number")
        if self.expedited_cost <= self.regular_cost:
            raise bad_value(
                "expedited_cost", self.expedited_cost, f"must be > regular_cost ({self.regular_cost!r})"
            )
        for name in ("holding", "backorder"):
            value = getattr(self, name)
            if not finite_number(value) or value <= 0:
                raise bad_value(name, value, "must be a finite number > 0")
        if self.max_regular_order is not None and (
            not is_integer(self.max_regular_order) or self.max_regular_order < 1
        ):
            raise bad_value("max_regular_order", self.max_regular_order, "must be None or an integer >= 1")
        for name in ("min_position", "max_position"):
            value = getattr(self, name)
            if value is not None and not is_integer(value):
                raise bad_value(name, value, "must be None or an integer")
        if self.min_position is not None and self.min_position > 0:
            raise bad_value("min_position", self.min_position, "must be <= 0")
        if self.max_position is not None and self.max_position < 0:
            raise bad_value("max_position", self.max_position, "must be >= 0")
        if self.min_position is not None and self.max_position is not None:
            dmax = parse_demand(self.demand).max_demand
            if self.max_position - self.min_position < dmax:
                raise bad_value(
                    "max_position",
                    self.max_position,
                    f"must be at least max demand ({dmax}) above min_position ({self.min_position})",
                )
        check_solver_parameters(self.tolerance, self.max_iterations, self.memory_limit_bytes)
        if not finite_number(self.boundary_tolerance) or not 0 <= self.boundary_tolerance < 1:
            raise bad_value("boundary_tolerance", self.boundary_tolerance, "must be a number in [0, 1)")

    @property
    def lead_time_difference(self) -> int:
        """l = L_R - L_E >= 1."""
        return int(self.regular_lead_time) - int(self.expedited_lead_time)


def window_pmf(demand: DiscreteDemand, expedited_lead_time: int) -> NDArray[np.float64]:
    """pmf of D_{L_E+1}: the demand an expedited order placed now must cover (our convention)."""
    return convolve_power(demand.pmf, expedited_lead_time + 1)


def period_cost(
    pmf: NDArray[np.float64], holding: float, backorder: float, z: NDArray[np.int64]
) -> NDArray[np.float64]:
    """``G(z) = h E(z - D)^+ + b E(D - z)^+`` for D ~ ``pmf`` (on 0..K) at any integers z.

    >>> period_cost(np.array([0.5, 0.5]), 1.0, 9.0, np.array([-1, 0, 1, 2])).tolist()
    [13.5, 4.5, 0.5, 1.5]
    """
    k = np.arange(pmf.shape[0], dtype=np.float64)
    mean = float(k @ pmf)
    short = np.maximum(k[None, :] - k[:, None], 0.0) @ pmf  # short[j] = E(D - j)^+, j = 0..K
    zz = np.asarray(z, dtype=np.int64)
    under = np.where(zz < 0, mean - zz, short[np.clip(zz, 0, pmf.shape[0] - 1)])
    under = np.where(zz >= pmf.shape[0], 0.0, under)
    over = zz - mean + under  # E(z - D)^+ = z - E D + E(D - z)^+
    return np.asarray(holding * over + backorder * under, dtype=np.float64)


def demand_reach(demand: DiscreteDemand) -> int:
    """The smallest k with P(D > k) <= :data:`REACH_TAIL` (at least 1): max D for short pmfs such as the
    uniform on {0..4}, far less for a truncated long tail (geometric:1 has max D 29, reach 19)."""
    survival = 1.0 - np.cumsum(demand.pmf)
    return max(1, int(np.nonzero(survival <= REACH_TAIL)[0][0]))


def single_source_level(demand: DiscreteDemand, lead_time: int, holding: float, backorder: float) -> int:
    """The smallest S with P(D_{L+1} <= S) >= b / (b + h): base-stock with one source of lead time L."""
    cdf = np.cumsum(convolve_power(demand.pmf, lead_time + 1))
    return int(np.nonzero(cdf >= backorder / (backorder + holding) - 1e-12)[0][0])


@dataclass(frozen=True)
class Grid:
    """The bounded state space of the reduced model: e in [lo, hi], pipeline entries in [0, max_order]."""

    lo: int
    """Lowest expedited position."""
    hi: int
    """Highest expedited position (and highest level an expedited order raises it to)."""
    max_order: int
    """Largest regular order (pipeline entries are in 0..max_order)."""
    pipeline: int
    """m = L_R - L_E - 1: regular orders in the state beyond the expedited window."""
    max_demand: int
    """Largest demand of one period (the floor constraint keeps e + q_E + p_1 - max_demand >= lo)."""

    @property
    def positions(self) -> int:
        """Number of expedited positions, hi - lo + 1."""
        return self.hi - self.lo + 1

    @property
    def shape(self) -> tuple[int, ...]:
        """(positions, max_order + 1, ..., max_order + 1): m pipeline axes."""
        return (self.positions,) + (self.max_order + 1,) * self.pipeline

    @property
    def size(self) -> int:
        """Number of grid states."""
        return int(np.prod(self.shape))

    def coordinates(self) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Every grid state in C order: (e, shape (n,)) and (pipeline, shape (n, m))."""
        idx = np.indices(self.shape).reshape(len(self.shape), -1)
        return (idx[0] + self.lo).astype(np.int64), idx[1:].T.astype(np.int64)

    def index(self, e: NDArray[np.int64], pipeline: NDArray[np.int64]) -> NDArray[np.int64]:
        """Flat (C order) index of states (e, pipeline); the caller keeps them on the grid."""
        flat = np.asarray(e, dtype=np.int64) - self.lo
        for j in range(self.pipeline):
            flat = flat * (self.max_order + 1) + pipeline[:, j]
        return np.asarray(flat, dtype=np.int64)

    def to_dict(self) -> dict[str, int]:
        return {"min_position": self.lo, "max_position": self.hi, "max_regular_order": self.max_order}


def grid_for(config: DualSourcingConfig, demand: DiscreteDemand) -> Grid:
    """The grid of ``config`` with its defaults filled in (module docstring), refused if too large."""
    dmax, reach = demand.max_demand, demand_reach(demand)
    le, lr = int(config.expedited_lead_time), int(config.regular_lead_time)
    q = int(config.max_regular_order) if config.max_regular_order is not None else 2 * reach
    lo = int(config.min_position) if config.min_position is not None else -(le + 1) * reach - dmax
    hi = (
        int(config.max_position)
        if config.max_position is not None
        else single_source_level(demand, lr, float(config.holding), float(config.backorder)) + reach
    )
    if hi - lo < dmax:
        name, value = ("max_position", hi) if config.max_position is not None else ("min_position", lo)
        raise bad_value(name, value, f"leaves fewer than max demand ({dmax}) positions between the bounds")
    grid = Grid(lo=lo, hi=hi, max_order=q, pipeline=config.lead_time_difference - 1, max_demand=dmax)
    need = grid.size * BYTES_PER_GRID_STATE * (grid.positions + q) // grid.positions
    if need > config.memory_limit_bytes:
        raise InputError(
            f"dual-sourcing instance too large: lead times {lr}/{le}, positions {lo}..{hi} and regular "
            f"orders up to {q} give {grid.size:,} states and need about {need / 2**30:.2f} GiB "
            f"(limit {config.memory_limit_bytes / 2**30:.2f} GiB, memory_limit_bytes)"
        )
    return grid


@dataclass(frozen=True)
class DualSourcingTable:
    """The optimal orders in every state of the grid: ``orders(net_inventory, pipeline) -> (q_E, q_R)``."""

    regular_lead_time: int
    """L_R in our convention."""
    expedited_lead_time: int
    """L_E in our convention."""
    grid: Grid
    """The states the table covers (reduced: expedited position and the later regular orders)."""
    expedite: NDArray[np.int64] = field(repr=False)
    """Expedited order per grid state (array of ``grid.shape``)."""
    regular: NDArray[np.int64] = field(repr=False)
    """Regular order per grid state (array of ``grid.shape``)."""

    def reduce(
        self, net_inventory: NDArray[np.int64], pipeline: NDArray[np.int64]
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Full state -> reduced (e, later regular orders); pipeline shape (n, L_R - 1), nearest first."""
        pipeline = np.asarray(pipeline, dtype=np.int64).reshape(len(net_inventory), -1)
        if pipeline.shape[1] != self.regular_lead_time - 1:
            raise InputError(
                f"pipeline must have {self.regular_lead_time - 1} entries (orders arriving in t+1 .. "
                f"t+{self.regular_lead_time - 1}) for regular lead time {self.regular_lead_time}, "
                f"got {pipeline.shape[1]}"
            )
        le = self.expedited_lead_time
        e = np.asarray(net_inventory, dtype=np.int64) + pipeline[:, :le].sum(axis=1)
        return e, pipeline[:, le:]

    def orders_many(
        self, net_inventory: NDArray[np.int64], pipeline: NDArray[np.int64]
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Vectorized :meth:`orders`: ``net_inventory`` shape (n,), ``pipeline`` shape (n, L_R - 1)."""
        e, later = self.reduce(np.atleast_1d(net_inventory), pipeline)
        g = self.grid
        inside = (e >= g.lo) & (e <= g.hi) & ((later >= 0) & (later <= g.max_order)).all(axis=1)
        if not inside.all():
            i = int(np.nonzero(~inside)[0][0])
            raise InputError(
                f"state (expedited position {int(e[i])}, later regular orders {later[i].tolist()}) is "
                f"outside the solved grid (positions {g.lo}..{g.hi}, orders 0..{g.max_order})"
            )
        flat = g.index(e, later)
        return self.expedite.reshape(-1)[flat], self.regular.reshape(-1)[flat]

    def orders(self, net_inventory: int, pipeline: Sequence[int] = ()) -> tuple[int, int]:
        """(expedited, regular) order at the review of period t (after the arrivals of t, step 2).

        ``pipeline[i]`` is what arrives at the start of t+1+i, i = 0 .. L_R - 2, regular and expedited
        orders together; the expedited order returned arrives at t + L_E, the regular one at t + L_R.
        """
        qe, qr = self.orders_many(
            np.array([net_inventory], dtype=np.int64), np.array([list(pipeline)], dtype=np.int64)
        )
        return int(qe[0]), int(qr[0])


@dataclass(frozen=True)
class GridChain:
    """A fixed policy on the grid as a Markov chain: transitions, costs and where it touches the edges."""

    transition: sp.csr_matrix
    """State -> state probabilities (grid states in C order)."""
    cost: NDArray[np.float64]
    """Expected cost of one period per state: c_E q_E + c_R q_R + G(e + q_E)."""
    clip_low: NDArray[np.float64]
    """Per state, the probability that the next position falls below ``grid.lo`` (and is clipped)."""
    clip_high: NDArray[np.float64]
    """Per state, the probability that it exceeds ``grid.hi`` (clipped)."""


def grid_chain(
    config: DualSourcingConfig,
    demand: DiscreteDemand,
    grid: Grid,
    expedite: NDArray[np.int64],
    regular: NDArray[np.int64],
) -> GridChain:
    """The chain of the policy (``expedite``, ``regular`` arrays of ``grid.shape``) on ``grid``."""
    e, later = grid.coordinates()
    qe, qr = expedite.reshape(-1).astype(np.int64), regular.reshape(-1).astype(np.int64)
    z = e + qe
    if (qe < 0).any() or (qr < 0).any() or (z > grid.hi).any() or (qr > grid.max_order).any():
        raise InputError(
            "policy leaves the grid: orders must be >= 0, regular orders <= max_regular_order "
            f"({grid.max_order}) and expedited ones raise the position to at most {grid.hi}"
        )
    if grid.pipeline >= 1:
        w = z + later[:, 0]
        rest = np.column_stack([later[:, 1:], qr])
    else:
        w = z + qr
        rest = np.zeros((e.shape[0], 0), dtype=np.int64)
    pmf = demand.pmf
    n = e.shape[0]
    rows, cols, probs = [], [], []
    low = np.zeros(n)
    high = np.zeros(n)
    for d in np.nonzero(pmf > 0)[0]:
        nxt = w - d
        low += pmf[d] * (nxt < grid.lo)
        high += pmf[d] * (nxt > grid.hi)
        rows.append(np.arange(n))
        cols.append(grid.index(np.clip(nxt, grid.lo, grid.hi), rest))
        probs.append(np.full(n, pmf[d]))
    transition = sp.csr_matrix(
        (np.concatenate(probs), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n)
    )
    window = window_pmf(demand, int(config.expedited_lead_time))
    cost = (
        float(config.expedited_cost) * qe
        + float(config.regular_cost) * qr
        + period_cost(window, float(config.holding), float(config.backorder), z)
    )
    return GridChain(transition=transition, cost=cost, clip_low=low, clip_high=high)


@dataclass(frozen=True)
class BoundaryMass:
    """Stationary probability, under a policy, of each way it can touch the edges of the grid."""

    below: float
    """Of an expedited order forced up to the floor (``e + q_E + p_1 - max D = min_position``, more than
    ``e``) or a transition clipped at ``min_position``."""
    above: float
    """Of a transition clipped at ``max_position``, or an expedited order up to ``max_position``."""
    regular_cap: float
    """Of a regular order equal to ``max_regular_order``."""

    @property
    def total(self) -> float:
        return self.below + self.above + self.regular_cap

    def to_dict(self) -> dict[str, float]:
        return {"below": self.below, "above": self.above, "regular_cap": self.regular_cap}


def boundary_mass(
    chain: GridChain, grid: Grid, expedite: NDArray[np.int64], regular: NDArray[np.int64]
) -> tuple[BoundaryMass, NDArray[np.float64]]:
    """Where the policy's stationary distribution (from e = 0, empty pipeline) touches the grid's edges."""
    start_e = np.array([min(max(0, grid.lo), grid.hi)], dtype=np.int64)
    start = int(grid.index(start_e, np.zeros((1, grid.pipeline), dtype=np.int64))[0])
    pi = stationary_distribution(chain.transition, start)
    e, later = grid.coordinates()
    qe, qr = expedite.reshape(-1), regular.reshape(-1)
    at_top = ((e + qe) >= grid.hi) & (qe > 0)
    reach = e + qe + (later[:, 0] if grid.pipeline >= 1 else qr)
    at_floor = (reach - grid.max_demand <= grid.lo) & (qe > 0)
    mass = BoundaryMass(
        below=float(pi @ chain.clip_low + pi[at_floor].sum()),
        above=float(pi @ chain.clip_high + pi[at_top].sum()),
        regular_cap=float(pi[qr >= grid.max_order].sum()),
    )
    return mass, pi


@dataclass(frozen=True)
class DualSourcingSolution:
    """The optimum of one dual-sourcing instance; costs per period, lead times in our convention."""

    config: DualSourcingConfig
    """The instance."""
    demand: DiscreteDemand = field(repr=False)
    """The parsed demand distribution."""
    grid: Grid
    """The state space solved on."""
    average_cost: float
    """Optimal long-run average cost per period, purchases included (midpoint of the final bounds)."""
    lower: float
    """Lower bound on it (Odoni)."""
    upper: float
    """Upper bound on it."""
    iterations: int
    """Value-iteration sweeps."""
    converged: bool
    """Whether the bounds met the tolerance."""
    boundary: BoundaryMass
    """Stationary probability of the optimal policy at the edges of the grid (<= boundary_tolerance)."""
    expedited_share: float
    """Long-run fraction of the units bought that the optimal policy expedites."""
    seconds: float
    """Wall time of the solve (iterations, policy, boundary check)."""
    policy: DualSourcingTable = field(repr=False)
    """The optimal orders: ``policy.orders(net_inventory, pipeline) -> (q_E, q_R)``."""

    @property
    def gap(self) -> float:
        """Span of the last value difference (``upper - lower``): the error bound on ``average_cost``."""
        return self.upper - self.lower

    def summary(self) -> dict[str, Any]:
        """The JSON-ready figures of the solve."""
        cfg = self.config
        return {
            "average_cost": self.average_cost,
            "demand": cfg.demand,
            "regular_lead_time": int(cfg.regular_lead_time),
            "expedited_lead_time": int(cfg.expedited_lead_time),
            "lead_time_convention": DUAL_SOURCING_CONVENTION,
            "regular_cost": float(cfg.regular_cost),
            "expedited_cost": float(cfg.expedited_cost),
            "holding": float(cfg.holding),
            "backorder": float(cfg.backorder),
            "states": self.grid.size,
            "grid": self.grid.to_dict(),
            "boundary_mass": self.boundary.total,
            "iterations": self.iterations,
            "gap": self.gap,
            "converged": self.converged,
            "expedited_share": self.expedited_share,
            "seconds": round(self.seconds, 3),
        }


def _operator(config: DualSourcingConfig, demand: DiscreteDemand, grid: Grid) -> Any:
    """The two-stage Bellman operator on the grid and the function that reads the policy off it."""
    pmf = demand.pmf
    support = np.nonzero(pmf > 0)[0]
    m, q_max, n_e = grid.pipeline, grid.max_order, grid.positions
    w = np.arange(grid.lo, grid.hi + q_max + 1)  # w = z + p_1 (or z + q_R when m = 0)
    gathers = [np.clip(w - d - grid.lo, 0, n_e - 1) for d in support]
    z = np.arange(grid.lo, grid.hi + 1)
    window = window_pmf(demand, int(config.expedited_lead_time))
    c_e, c_r = float(config.expedited_cost), float(config.regular_cost)
    g = period_cost(window, float(config.holding), float(config.backorder), z)
    column = (n_e,) + (1,) * m
    f_base = (c_e * z + g).reshape(column)
    minus_ce_e = (-c_e * z).reshape(column)
    buy = c_r * np.arange(q_max + 1, dtype=np.float64)
    # the floor: the next position must stay >= lo for every demand (module docstring)
    below_floor = np.where(w - grid.max_demand < grid.lo, np.inf, 0.0)
    if m >= 1:
        reach = np.arange(n_e)[:, None] + np.arange(q_max + 1)[None, :]  # index of z + p_1 in w
        floor = below_floor[reach].reshape((n_e, q_max + 1) + (1,) * (m - 1))

    def regular_stage(h: NDArray[np.float64]) -> NDArray[np.float64]:
        """c_R q_R + E h(w - D, ..., q_R): axes (w, p_2.., q_R) for m >= 1, (z, q_R) for m = 0."""
        v = pmf[support[0]] * h[gathers[0]]
        for d, rows in zip(support[1:], gathers[1:], strict=True):
            v = v + pmf[d] * h[rows]
        if m >= 1:
            return np.asarray(v + buy, dtype=np.float64)
        v = v + below_floor
        return np.stack([v[q : q + n_e] + buy[q] for q in range(q_max + 1)], axis=-1)

    def expedite_stage(best_regular: NDArray[np.float64]) -> NDArray[np.float64]:
        """F(z, p) = c_E z + G(z) + W(z + p_1, p_2, ...) on the grid's shape."""
        if m >= 1:
            flat = best_regular.reshape(best_regular.shape[0], -1)
            return np.asarray(flat[reach].reshape(grid.shape) + floor + f_base, dtype=np.float64)
        return np.asarray(best_regular + f_base, dtype=np.float64)

    def bellman(h: NDArray[np.float64]) -> NDArray[np.float64]:
        f = expedite_stage(regular_stage(h).min(axis=-1))
        return np.asarray(np.minimum.accumulate(f[::-1], axis=0)[::-1] + minus_ce_e, dtype=np.float64)

    def policy(h: NDArray[np.float64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        stage = regular_stage(h)
        f = expedite_stage(stage.min(axis=-1))
        expedite = np.zeros(grid.shape, dtype=np.int64)
        for i in range(n_e):  # the smallest minimizing z >= e: the smallest expedited order among ties
            expedite[i] = np.argmin(f[i:], axis=0)
        best_q = np.argmin(stage, axis=-1)  # the smallest minimizing regular order
        e, later = grid.coordinates()
        zz = e + expedite.reshape(-1)
        if m >= 1:
            flat_q = best_q.reshape(best_q.shape[0], -1)
            radix = (q_max + 1) ** np.arange(m - 2, -1, -1, dtype=np.int64)
            regular = flat_q[zz + later[:, 0] - grid.lo, later[:, 1:] @ radix]
        else:
            regular = best_q[zz - grid.lo]
        return expedite, regular.reshape(grid.shape).astype(np.int64)

    return bellman, policy


def solve_dual_sourcing(config: DualSourcingConfig) -> DualSourcingSolution:
    """Relative value iteration on the reduced model (module docstring): optimal cost and order table."""
    t0 = time.perf_counter()
    demand = parse_demand(config.demand)
    grid = grid_for(config, demand)
    bellman, read_policy = _operator(config, demand, grid)
    sweeps = iterate(
        bellman, np.zeros(grid.shape), tolerance=config.tolerance, max_iterations=config.max_iterations
    )
    expedite, regular = read_policy(sweeps.values)
    chain = grid_chain(config, demand, grid, expedite, regular)
    mass, pi = boundary_mass(chain, grid, expedite, regular)
    _check_boundary(config, grid, mass)
    bought_e = float(pi @ expedite.reshape(-1))
    bought = bought_e + float(pi @ regular.reshape(-1))
    return DualSourcingSolution(
        config=config,
        demand=demand,
        grid=grid,
        average_cost=0.5 * (sweeps.lower + sweeps.upper),
        lower=sweeps.lower,
        upper=sweeps.upper,
        iterations=sweeps.iterations,
        converged=sweeps.converged,
        boundary=mass,
        expedited_share=bought_e / bought if bought > 0 else 0.0,
        seconds=time.perf_counter() - t0,
        policy=DualSourcingTable(
            regular_lead_time=int(config.regular_lead_time),
            expedited_lead_time=int(config.expedited_lead_time),
            grid=grid,
            expedite=expedite,
            regular=regular,
        ),
    )


def _check_boundary(config: DualSourcingConfig, grid: Grid, mass: BoundaryMass) -> None:
    tol = config.boundary_tolerance
    hits = [
        (mass.below, "min_position", grid.lo, "lower it"),
        (mass.above, "max_position", grid.hi, "raise it"),
        (mass.regular_cap, "max_regular_order", grid.max_order, "raise it"),
    ]
    for value, name, bound, fix in hits:
        if value > tol:
            raise InputError(
                f"dual-sourcing grid too small: the optimal policy puts stationary probability "
                f"{value:.3g} on {name} = {bound} (boundary_tolerance {tol:g}); {fix} "
                f"(--{name.replace('_', '-')} on the command line)"
            )
