"""Index policies for dual sourcing — capped dual index, dual index, single index — costed exactly.

The model, the event order and the reduced state (e, p_1..p_m) are those of
:mod:`restock.agents.oracle.dual_sourcing`: e is the *expedited position* (net inventory plus the open
orders arriving by t + L_E; for L_E = 0 the net inventory after the period's arrivals), p the regular
orders arriving later, and ``IP = e + p_1 + ... + p_m`` the full inventory position. With levels
S_e <= S_r and a cap u on the regular order, at the review:

* **capped dual index** (Sun & Van Mieghem 2019): expedite ``q_E = max(0, S_e - e)``, then order
  regular ``q_R = min(u, max(0, S_r - (IP + q_E)))``;
* **dual index** (Veeraraghavan & Scheller-Wolf 2008): the same with no cap (u = inf);
* **single index** (Scheller-Wolf, Veeraraghavan & van Houtum 2007): expedite ``max(0, S_e - IP)``, then
  regular ``max(0, S_r - (IP + q_E))`` — both on the full position.

The regular order sees the expedited order placed in the same review (as in Veeraraghavan &
Scheller-Wolf's dual index, which this caps). Sun & Van Mieghem's eq. (3), as implemented in the public
``idinn`` package, computes the regular order from the position *before* this period's expedited order;
:class:`IndexPolicy` has ``regular_sees_expedite`` for that variant, and on the six Gijsbrechts et al.
instances it is never better (docs/sourcing.md).

**Exact evaluation.** Every rule above depends on the state only through ``e - S_e`` and the pipeline,
given ``Δ = S_r - S_e`` and u. So, for each (rule, Δ, u), one Markov chain on the *relative* state
``(e - S_e, p)`` — the states reachable from (0, empty pipeline), enumerated breadth-first — has a
stationary distribution (:func:`restock.agents.oracle.rvi.stationary_distribution`, exact sparse solve)
that gives the purchase cost ``E[c_E q_E + c_R q_R]`` and the distribution of the overshoot
``O = z - S_e`` (z = e + q_E), both free of S_e; the average cost at any S_e is then

    E[c_E q_E + c_R q_R] + E G(S_e + O),

and its minimum over *every* integer S_e is found exactly (G is convex, so the search range follows from
the support of O). :func:`evaluate_index_policy` costs one policy this way; a test checks it against
policy evaluation on the oracle's grid.

**Search** (:func:`best_index_policies`): exhaustive over Δ in 0..(l + 1) r (l = L_R - L_E; r the
demand's reach, :func:`restock.agents.oracle.dual_sourcing.demand_reach`, = max D for a short pmf): from
"expedite every unit" to "never expedite" — with Δ >= l max D the expedited position never falls below
S_e — and over u in 1..r and inf (u >= max D orders as u = inf once the position has reached S_r), and
over all S_e; the single index over Δ in the same range. Ties go to the smallest Δ, then u.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from restock.agents.oracle.demand import DiscreteDemand, parse_demand
from restock.agents.oracle.dual_sourcing import DualSourcingConfig, demand_reach, period_cost, window_pmf
from restock.agents.oracle.lost_sales import is_integer
from restock.agents.oracle.rvi import stationary_distribution
from restock.errors import InputError, bad_value

IndexKind = Literal["dual", "single"]

ZERO_COST = 1e-9
"""An optimum at or below this is taken as zero: no relative gap is reported against it."""

MAX_CHAIN_STATES = 2_000_000
"""Largest relative chain enumerated (a larger one is refused with an :class:`InputError`)."""


@dataclass(frozen=True)
class IndexPolicy:
    """A (capped) dual index or single index policy for dual sourcing (module docstring)."""

    expedite_level: int
    """S_e: the expedited position (dual) or full position (single) is raised to it by expediting."""
    regular_level: int
    """S_r >= S_e: the full position after the expedited order is raised to it by the regular order."""
    regular_cap: int | None = None
    """u >= 0: the largest regular order (None: no cap, the dual index)."""
    kind: IndexKind = "dual"
    """``"dual"``: expedite on the expedited position; ``"single"``: on the full position."""
    regular_sees_expedite: bool = True
    """Whether the regular order counts the expedited order of the same review (False: Sun & Van
    Mieghem's eq. (3) as idinn implements it, regular order from the position before expediting)."""

    def __post_init__(self) -> None:
        for name in ("expedite_level", "regular_level"):
            if not is_integer(getattr(self, name)):
                raise bad_value(name, getattr(self, name), "must be an integer")
        if self.regular_level < self.expedite_level:
            raise bad_value(
                "regular_level", self.regular_level, f"must be >= expedite_level ({self.expedite_level})"
            )
        if self.regular_cap is not None and (not is_integer(self.regular_cap) or self.regular_cap < 0):
            raise bad_value("regular_cap", self.regular_cap, "must be None or an integer >= 0")
        if self.kind not in ("dual", "single"):
            raise bad_value("kind", self.kind, "must be 'dual' or 'single'")

    @property
    def delta(self) -> int:
        """Δ = S_r - S_e."""
        return int(self.regular_level) - int(self.expedite_level)

    def reduced_orders(
        self, e: NDArray[np.int64], later: NDArray[np.int64]
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """(q_E, q_R) in reduced states: expedited positions ``e`` (n,), later regular orders (n, m)."""
        return _orders(
            np.asarray(e, dtype=np.int64) - int(self.expedite_level),
            np.asarray(later, dtype=np.int64),
            self.delta,
            self.regular_cap,
            self.kind,
            self.regular_sees_expedite,
        )

    def orders(
        self, net_inventory: int, pipeline: Sequence[int] = (), expedited_lead_time: int = 0
    ) -> tuple[int, int]:
        """(expedited, regular) order at the review of period t, after its arrivals.

        ``pipeline[i]`` arrives at the start of t+1+i (regular and expedited orders together, L_R - 1
        entries); the first ``expedited_lead_time`` of them count in the expedited position.
        """
        le = int(expedited_lead_time)
        e = np.array([int(net_inventory) + sum(pipeline[:le])], dtype=np.int64)
        later = np.array([list(pipeline[le:])], dtype=np.int64).reshape(1, -1)
        qe, qr = self.reduced_orders(e, later)
        return int(qe[0]), int(qr[0])

    def to_dict(self) -> dict[str, Any]:
        return {
            "expedite_level": int(self.expedite_level),
            "regular_level": int(self.regular_level),
            "regular_cap": None if self.regular_cap is None else int(self.regular_cap),
            "kind": self.kind,
            "regular_sees_expedite": self.regular_sees_expedite,
        }


def _orders(
    u: NDArray[np.int64],
    later: NDArray[np.int64],
    delta: int,
    cap: int | None,
    kind: IndexKind,
    sees_expedite: bool,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Orders at relative positions ``u = e - S_e`` (everything shifted by S_e; S_r is at ``delta``)."""
    position = u + later.sum(axis=1)
    qe = np.maximum(-(u if kind == "dual" else position), 0)
    qr = np.maximum(delta - position - (qe if sees_expedite else 0), 0)
    if cap is not None:
        qr = np.minimum(qr, cap)
    return qe.astype(np.int64), qr.astype(np.int64)


@dataclass(frozen=True)
class RelativeChain:
    """The stationary behaviour of one (kind, Δ, cap) family, free of S_e (module docstring)."""

    states: int
    """Relative states reachable from (0, empty pipeline)."""
    purchase_cost: float
    """E[c_E q_E + c_R q_R] per period."""
    expedited: float
    """E[q_E] per period."""
    overshoot_min: int
    """Smallest overshoot O = z - S_e with positive probability (entry 0 of ``overshoot``)."""
    overshoot: NDArray[np.float64] = field(repr=False)
    """``overshoot[k]`` = P(O = overshoot_min + k)."""

    def cost_at(self, levels: NDArray[np.int64], window: NDArray[np.float64], h: float, b: float) -> Any:
        """Average cost at each S_e of ``levels``."""
        o = self.overshoot_min + np.arange(self.overshoot.shape[0])
        g = period_cost(window, h, b, (np.asarray(levels)[:, None] + o[None, :]).reshape(-1))
        return self.purchase_cost + g.reshape(len(levels), -1) @ self.overshoot

    def best_level(self, window: NDArray[np.float64], h: float, b: float) -> tuple[int, float]:
        """The S_e of least average cost (the smallest among ties) and that cost."""
        top = window.shape[0] - 1
        o_max = self.overshoot_min + self.overshoot.shape[0] - 1
        # below -o_max every S_e + O is < 0 (G falls), above top - overshoot_min all are > top (G rises)
        levels = np.arange(-o_max - 1, top - self.overshoot_min + 2)
        costs = self.cost_at(levels, window, h, b)
        i = int(np.argmin(costs))
        return int(levels[i]), float(costs[i])


def relative_chain(
    config: DualSourcingConfig,
    demand: DiscreteDemand,
    delta: int,
    cap: int | None,
    kind: IndexKind,
    sees_expedite: bool = True,
) -> RelativeChain:
    """Enumerate and solve the chain of ``(e - S_e, p)`` under one (kind, Δ, cap) (module docstring)."""
    m = config.lead_time_difference - 1
    dmax = demand.max_demand
    support = np.nonzero(demand.pmf > 0)[0]
    top = max(delta, 0) + (dmax if not sees_expedite else 0)  # largest regular order
    p_max = top if cap is None else min(cap, top)
    u_lo = -(m * p_max + dmax) - 1
    u_hi = max(delta, 0) + (m + 2) * (dmax + p_max) + 1
    radix = p_max + 1
    span = u_hi - u_lo + 1
    if span * radix**m > np.iinfo(np.int64).max // 4:
        raise InputError(f"index policy chain too large to enumerate: Δ {delta}, cap {cap}")

    def encode(u: NDArray[np.int64], later: NDArray[np.int64]) -> NDArray[np.int64]:
        if (u < u_lo).any() or (u > u_hi).any() or (later < 0).any() or (later > p_max).any():
            raise RuntimeError("relative chain left its enumeration box")  # a bound above is wrong
        code = u - u_lo
        for j in range(m):
            code = code * radix + later[:, j]
        return np.asarray(code, dtype=np.int64)

    def decode(code: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        later = np.zeros((code.shape[0], m), dtype=np.int64)
        rest = code.copy()
        for j in range(m - 1, -1, -1):
            later[:, j] = rest % radix
            rest //= radix
        return rest + u_lo, later

    def step(code: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
        """(q_E, q_R, successor codes shape (n, |support|)) of states ``code``."""
        u, later = decode(code)
        qe, qr = _orders(u, later, delta, cap, kind, sees_expedite)
        z = u + qe
        if m >= 1:
            w, rest = z + later[:, 0], np.column_stack([later[:, 1:], qr])
        else:
            w, rest = z + qr, later
        encode(w - support[-1], rest)  # checks the lowest successors; u is the leading digit, so
        top = encode(w - support[0], rest)  # a larger demand only lowers the code by radix^m per unit
        nxt = top[:, None] - (support - support[0])[None, :] * radix**m
        return qe, qr, nxt

    start = encode(np.zeros(1, dtype=np.int64), np.zeros((1, m), dtype=np.int64))
    visited = frontier = start
    while frontier.size:
        successors = np.unique(step(frontier)[2])
        frontier = np.setdiff1d(successors, visited, assume_unique=True)
        visited = np.union1d(visited, frontier)
        if visited.size > MAX_CHAIN_STATES:
            raise InputError(
                f"index policy chain too large: more than {MAX_CHAIN_STATES:,} states (Δ {delta}, cap {cap})"
            )
    qe, qr, nxt = step(visited)
    n = visited.size
    cols = np.searchsorted(visited, nxt)
    transition = sp.csr_matrix(
        (np.tile(demand.pmf[support], n), (np.repeat(np.arange(n), support.size), cols.reshape(-1))),
        shape=(n, n),
    )
    pi = stationary_distribution(transition, int(np.searchsorted(visited, start[0])))
    u, _ = decode(visited)
    on = pi > 0
    z = (u + qe)[on]
    o_min = int(z.min())
    overshoot = np.bincount(z - o_min, weights=pi[on])
    purchase = float(pi @ (float(config.expedited_cost) * qe + float(config.regular_cost) * qr))
    return RelativeChain(
        states=n,
        purchase_cost=purchase,
        expedited=float(pi @ qe),
        overshoot_min=o_min,
        overshoot=np.asarray(overshoot, dtype=np.float64),
    )


def evaluate_index_policy(config: DualSourcingConfig, policy: IndexPolicy) -> float:
    """The exact long-run average cost of ``policy`` on ``config`` (module docstring)."""
    demand = parse_demand(config.demand)
    chain = relative_chain(
        config, demand, policy.delta, policy.regular_cap, policy.kind, policy.regular_sees_expedite
    )
    window = window_pmf(demand, int(config.expedited_lead_time))
    cost = chain.cost_at(
        np.array([policy.expedite_level]), window, float(config.holding), float(config.backorder)
    )
    return float(cost[0])


@dataclass(frozen=True)
class IndexResult:
    """The best policy of one family and its exact average cost."""

    policy: IndexPolicy
    """The parameters."""
    average_cost: float
    """Its long-run average cost per period."""
    expedited_share: float
    """Long-run fraction of the units bought that it expedites."""

    def to_dict(self, optimum: float | None = None) -> dict[str, Any]:
        """Its parameters and cost; with ``optimum``, ``excess_cost`` = cost - optimum and ``gap_percent``
        = 100 (cost / optimum - 1), a percentage (None when the optimum is 0: nothing to divide by)."""
        out: dict[str, Any] = {
            **self.policy.to_dict(),
            "average_cost": self.average_cost,
            "expedited_share": self.expedited_share,
        }
        if optimum is not None:
            out["excess_cost"] = self.average_cost - optimum
            out["gap_percent"] = 100.0 * (self.average_cost / optimum - 1.0) if optimum > ZERO_COST else None
        return out


@dataclass(frozen=True)
class IndexSearch:
    """The best capped dual index, dual index and single index policies of one instance."""

    capped_dual_index: IndexResult
    """Best over Δ, cap (1..max D and none) and S_e."""
    dual_index: IndexResult
    """Best with no cap."""
    single_index: IndexResult
    """Best single index."""
    chains: int
    """Relative chains solved."""
    seconds: float
    """Wall time of the search."""


def delta_range(config: DualSourcingConfig, demand: DiscreteDemand) -> range:
    """Δ = 0 .. (l + 1) r, l = L_R - L_E, r the demand's reach (module docstring)."""
    return range((config.lead_time_difference + 1) * demand_reach(demand) + 1)


def best_index_policies(config: DualSourcingConfig, *, regular_sees_expedite: bool = True) -> IndexSearch:
    """Exhaustive search of the three families (module docstring)."""
    t0 = time.perf_counter()
    demand = parse_demand(config.demand)
    window = window_pmf(demand, int(config.expedited_lead_time))
    h, b = float(config.holding), float(config.backorder)
    caps: list[int | None] = [*range(1, demand_reach(demand) + 1), None]
    best: dict[str, IndexResult] = {}
    chains = 0

    def consider(names: tuple[str, ...], kind: IndexKind, delta: int, cap: int | None) -> None:
        nonlocal chains
        chain = relative_chain(config, demand, delta, cap, kind, regular_sees_expedite)
        chains += 1
        level, cost = chain.best_level(window, h, b)
        result = IndexResult(
            policy=IndexPolicy(
                expedite_level=level,
                regular_level=level + delta,
                regular_cap=cap,
                kind=kind,
                regular_sees_expedite=regular_sees_expedite,
            ),
            average_cost=cost,
            expedited_share=chain.expedited / demand.mean if demand.mean > 0 else 0.0,
        )
        for name in names:
            current = best.get(name)
            if current is None or cost < current.average_cost - 1e-12 * max(1.0, abs(cost)):
                best[name] = result

    for delta in delta_range(config, demand):
        for cap in caps:
            names = ("capped_dual_index",) if cap is not None else ("capped_dual_index", "dual_index")
            consider(names, "dual", delta, cap)
        consider(("single_index",), "single", delta, None)
    if not math.isfinite(best["capped_dual_index"].average_cost):
        raise RuntimeError("index policy search found no finite cost")
    return IndexSearch(
        capped_dual_index=best["capped_dual_index"],
        dual_index=best["dual_index"],
        single_index=best["single_index"],
        chains=chains,
        seconds=time.perf_counter() - t0,
    )
