"""The exact average-cost optimum of the single-node, periodic-review, lost-sales inventory problem.

Model (our lead-time convention, :mod:`restock.agents.oracle.conventions`): i.i.d. integer demand D per
period; in period t the shipments due arrive, an order of any size q >= 0 is placed (it arrives at the
start of t+L), demand is met from on-hand and the excess is lost; holding ``h`` is charged per unit on hand
at the end of the period and the penalty ``p`` per unit lost. No fixed order cost, no purchase cost
(with lost sales a unit cost only rescales p, see Zipkin 2008). Criterion: long-run average cost per period.

Method: relative value iteration on the post-decision form (:mod:`restock.agents.oracle.rvi`) over all
states with inventory position at most ``cap``. The default cap is Morton's bound — the optimal base-stock
level of the same system with backorders, the smallest S with P(D_{L+1} <= S) >= p / (p + h), D_{L+1} the
demand of L+1 periods: an optimal lost-sales policy never raises the position above it (Morton 1969, used
this way by Zipkin 2008), so restricting the orders to it loses nothing. A larger cap gives the same cost
(a test checks this).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from restock.agents.oracle.conventions import CONVENTION_NOTE
from restock.agents.oracle.demand import DiscreteDemand, convolve_power, parse_demand, smallest_index_reaching
from restock.agents.oracle.policy import OrderTable
from restock.agents.oracle.rvi import relative_value_iteration
from restock.agents.oracle.statespace import (
    BYTES_PER_BLOCK_ENTRY,
    BYTES_PER_DENSE_CELL,
    BYTES_PER_POST_STATE,
    BYTES_PER_STATE,
    BYTES_PER_TRANSITION,
    KERNEL_BLOCK,
    build_space,
    decision_costs,
    decision_transitions,
    expected_period_cost,
    group_starts,
    leftover_matrix,
    simplex_size,
    transition_count,
)
from restock.errors import InputError, bad_value

DEFAULT_MEMORY_LIMIT = 2 * 2**30
"""Largest memory (bytes) an instance may need before the solver refuses it: 2 GiB."""


def is_integer(value: Any) -> bool:
    """An int or numpy integer, not a bool."""
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


MAX_LEAD_TIME = 1000
"""Most periods of an oracle's lead time: the lead-time demand is the convolution of that many demand pmfs,
and an exact state space is far beyond any memory limit long before (docs/oracle.md)."""


def check_lead_time(name: str, value: Any, minimum: int = 0) -> None:
    """``value`` an integer in [minimum, :data:`MAX_LEAD_TIME`] — else :class:`InputError` naming ``name``."""
    if not is_integer(value) or value < minimum:
        raise bad_value(name, value, f"must be an integer >= {minimum}")
    if value > MAX_LEAD_TIME:
        raise bad_value(name, value, f"must be at most {MAX_LEAD_TIME} periods")


def check_cost_parameters(lead_time: Any, holding: Any, penalty: Any) -> None:
    """Lead time an integer in [0, :data:`MAX_LEAD_TIME`], holding and penalty finite and > 0 — else
    :class:`InputError`."""
    check_lead_time("lead_time", lead_time)
    for name, value in (("holding", holding), ("penalty", penalty)):
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value <= 0
        ):
            raise bad_value(name, value, "must be a finite number > 0")


def check_solver_parameters(tolerance: Any, max_iterations: Any, memory_limit_bytes: Any) -> None:
    """Tolerance in (0, 1), iteration and memory limits positive integers — else :class:`InputError`."""
    if (
        isinstance(tolerance, bool)
        or not isinstance(tolerance, int | float | np.number)
        or not 0 < tolerance < 1
    ):
        raise bad_value("tolerance", tolerance, "must be a number in (0, 1)")
    if not is_integer(max_iterations) or max_iterations < 1:
        raise bad_value("max_iterations", max_iterations, "must be an integer >= 1")
    if not is_integer(memory_limit_bytes) or memory_limit_bytes < 1:
        raise bad_value("memory_limit_bytes", memory_limit_bytes, "must be an integer >= 1")


@dataclass(frozen=True)
class LostSalesConfig:
    """One lost-sales instance and how to solve it."""

    demand: str
    """Demand spec per period, e.g. ``"poisson:5"`` (see :mod:`restock.agents.oracle.demand`)."""
    lead_time: int
    """L in our convention (= Zipkin 2008's L): an order placed in period t arrives at the start of t+L."""
    penalty: float
    """Cost per unit of demand lost (p)."""
    holding: float = 1.0
    """Cost per unit on hand at the end of a period (h)."""
    position_cap: int | None = None
    """Largest inventory position after ordering; None: Morton's bound (exact); below it: restricted."""
    tolerance: float = 1e-8
    """Stop when the span of the value difference is at most this times max(1, average cost)."""
    max_iterations: int = 10_000
    """Give up (``converged = False``) after this many sweeps."""
    memory_limit_bytes: int = DEFAULT_MEMORY_LIMIT
    """Refuse (InputError) an instance whose state space would need more memory than this."""

    def __post_init__(self) -> None:
        if not isinstance(self.demand, str):
            raise bad_value("demand", self.demand, "must be a spec string such as 'poisson:5'")
        parse_demand(self.demand)
        check_cost_parameters(self.lead_time, self.holding, self.penalty)
        if self.position_cap is not None and (not is_integer(self.position_cap) or self.position_cap < 0):
            raise bad_value("position_cap", self.position_cap, "must be None or an integer >= 0")
        check_solver_parameters(self.tolerance, self.max_iterations, self.memory_limit_bytes)


@dataclass(frozen=True)
class LostSalesSolution:
    """The optimum of one instance; costs are per period, lead time in our convention."""

    config: LostSalesConfig
    """The instance."""
    demand: DiscreteDemand = field(repr=False)
    """The parsed (truncated) demand distribution."""
    cap: int
    """Largest inventory position after ordering that was allowed."""
    average_cost: float
    """Optimal long-run average cost per period (midpoint of the final bounds)."""
    lower: float
    """Lower bound on the optimal average cost."""
    upper: float
    """Upper bound on the optimal average cost."""
    iterations: int
    """Value-iteration sweeps."""
    converged: bool
    """Whether the bounds met the tolerance."""
    states: int
    """Pre-decision states (on-hand, pipeline) with position <= cap."""
    post_states: int
    """Post-decision states (state, order) — the rows one sweep evaluates."""
    transitions: int
    """Nonzero transition probabilities stored."""
    seconds: float
    """Wall time of the solve (build + iterations)."""
    policy: OrderTable = field(repr=False)
    """The optimal order in every state: ``policy.order(on_hand, pipeline)``."""

    @property
    def gap(self) -> float:
        """Span of the last value difference (``upper - lower``): the error bound on ``average_cost``."""
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
            "position_cap": self.cap,
            "states": self.states,
            "iterations": self.iterations,
            "gap": self.gap,
            "converged": self.converged,
            "seconds": round(self.seconds, 3),
        }


def morton_cap(demand: DiscreteDemand, lead_time: int, holding: float, penalty: float) -> int:
    """Smallest S with P(D_{L+1} <= S) >= p / (p + h): the optimal base-stock level with backorders."""
    lead_demand = convolve_power(demand.pmf, lead_time + 1)
    return smallest_index_reaching(np.cumsum(lead_demand), penalty / (penalty + holding))


def memory_needed(
    lead_time: int, cap: int, max_demand: int, *, every_order: bool = True, limit: int | None = None
) -> tuple[int, int]:
    """(pre-decision states, bytes) that solving with this lead time and cap would take.

    ``every_order``: the optimum (every order 0 .. cap - position at every state); False: a fixed policy
    (one post-decision row per state, :mod:`restock.agents.oracle.baselines`). The bytes count the
    transition matrix as stored (:data:`BYTES_PER_TRANSITION` per nonzero), the temporaries of one block of
    its build, per-state and per-post-decision-state vectors and the dense index; measured peaks stay
    below it (docs/oracle.md). ``limit``: when the per-state vectors and the dense index alone exceed it,
    their bytes are returned at once (counting the transitions takes one step per position up to ``cap``).
    """
    dims = max(lead_time, 1)
    states = simplex_size(dims, cap)
    dense = (cap + 1) ** dims
    floor = states * BYTES_PER_STATE + dense * BYTES_PER_DENSE_CELL
    if limit is not None and floor > limit:
        return states, floor  # beyond the limit already: the transition count would take cap steps
    if every_order:
        post = simplex_size(dims + 1, cap)
        nnz = transition_count(lead_time, cap, max_demand)
    else:
        post = states
        nnz = policy_transition_count(lead_time, cap, max_demand)
    need = (
        post * BYTES_PER_POST_STATE
        + states * BYTES_PER_STATE
        + nnz * BYTES_PER_TRANSITION
        + min(nnz, KERNEL_BLOCK) * BYTES_PER_BLOCK_ENTRY
        + dense * BYTES_PER_DENSE_CELL
    )
    return states, need


def policy_transition_count(lead_time: int, cap: int, max_demand: int) -> int:
    """At most how many nonzero transitions a fixed policy has on the states with position <= cap."""
    if lead_time == 0:  # the stock facing demand is at most cap
        return (cap + 1) * (min(cap, max_demand) + 1)
    dims = max(lead_time, 1)
    # states with on-hand s: the other dims - 1 coordinates sum to at most cap - s
    return sum(simplex_size(dims - 1, cap - s) * (min(s, max_demand) + 1) for s in range(cap + 1))


def check_size(
    lead_time: int,
    cap: int,
    max_demand: int,
    limit: int,
    what: str = "lost-sales instance",
    *,
    every_order: bool = True,
) -> None:
    """Refuse (InputError) a state space whose memory estimate exceeds ``limit`` bytes."""
    states, need = memory_needed(lead_time, cap, max_demand, every_order=every_order, limit=limit)
    if need > limit:
        raise InputError(
            f"{what} too large: lead_time {lead_time}, position cap {cap} give {states:,} states and need "
            f"about {need / 2**30:.2f} GiB (limit {limit / 2**30:.2f} GiB, memory_limit_bytes)"
        )


def solve_lost_sales(config: LostSalesConfig) -> LostSalesSolution:
    """Solve one instance exactly: optimal average cost and an optimal order table."""
    t0 = time.perf_counter()
    demand = parse_demand(config.demand)
    lead = int(config.lead_time)
    if config.position_cap is None:
        cap = morton_cap(demand, lead, config.holding, config.penalty)
    else:
        cap = int(config.position_cap)
    check_size(lead, cap, demand.max_demand, config.memory_limit_bytes)
    space = build_space(lead, cap)
    kernel = decision_transitions(space, leftover_matrix(demand.pmf, cap))
    post_cost = decision_costs(space, expected_period_cost(demand.pmf, cap, config.holding, config.penalty))
    starts = group_starts(space)
    result = relative_value_iteration(
        kernel, post_cost, starts, tolerance=config.tolerance, max_iterations=config.max_iterations
    )
    orders = result.choice  # a state's post-decision rows are its orders 0, 1, ... in turn
    table = np.zeros((cap + 1) ** space.dims, dtype=np.int32)
    table[space.dense_index(space.pre)] = orders
    return LostSalesSolution(
        config=config,
        demand=demand,
        cap=cap,
        average_cost=result.average_cost,
        lower=result.lower,
        upper=result.upper,
        iterations=result.iterations,
        converged=result.converged,
        states=space.size,
        post_states=int(kernel.shape[0]),
        transitions=int(kernel.nnz),
        seconds=time.perf_counter() - t0,
        policy=OrderTable(lead_time=lead, cap=cap, table=table),
    )
