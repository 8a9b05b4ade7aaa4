"""States of the single-node periodic-review inventory chain and their one-period transitions.

Our lead-time convention (DESIGN.md): within period t, (1) shipments due arrive, (2) the review places an
order that arrives at the start of period t+L, (3) demand is served from on-hand, (4) costs are booked
on the end-of-period on-hand and on the units short.

**Pre-decision state** (the moment of the decision, after the period's arrivals), ``dims = max(L, 1)``
integer coordinates::

    (on_hand, pipeline[0], ..., pipeline[L-2])

``pipeline[i]`` is the open order that arrives at the start of period t+1+i; the order placed now will
arrive at t+L (for L = 1 the pipeline is empty; for L = 0 the order arrives at once, before demand).

**Post-decision state**: the pre-decision state with the order appended (``dims + 1`` coordinates).

Only states whose inventory position (the sum of the coordinates) is at most ``cap`` are kept: a policy
that never raises the position after ordering above ``cap`` never leaves them. Both sets are enumerated in
lexicographic order, so the post-decision states that share a pre-decision state (its orders 0, 1, ...,
cap - position) are contiguous and in the order of the quantity ordered, and a pre-decision state's
position in :attr:`StateSpace.pre` is its number. A dense mixed-radix index (base ``cap + 1``) maps a
coordinate tuple to that number through :attr:`StateSpace.lookup`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

BYTES_PER_TRANSITION = 88
"""Peak bytes per nonzero transition probability while a transition matrix is built (measured: ~80)."""

BYTES_PER_STATE = 64
"""Bytes per pre- or post-decision state (coordinates, value vectors, costs, policy)."""


def simplex_points(dims: int, total: int) -> NDArray[np.int64]:
    """All ``dims``-tuples of integers >= 0 with sum <= ``total``, in lexicographic order (n x dims).

    >>> simplex_points(2, 1).tolist()
    [[0, 0], [0, 1], [1, 0]]
    """
    points = np.arange(total + 1, dtype=np.int64)[:, None]
    for _ in range(dims - 1):
        room = total - points.sum(axis=1)
        counts = room + 1
        rows = np.repeat(np.arange(points.shape[0]), counts)
        starts = np.cumsum(counts) - counts
        last = np.arange(rows.shape[0], dtype=np.int64) - np.repeat(starts, counts)
        points = np.hstack([points[rows], last[:, None]])
    return points


def simplex_size(dims: int, total: int) -> int:
    """``len(simplex_points(dims, total))`` without building it: C(total + dims, dims)."""
    return math.comb(total + dims, dims)


def transition_count(lead_time: int, cap: int, max_demand: int) -> int:
    """The number of nonzero transitions out of all post-decision states (for memory estimates)."""
    dims = max(lead_time, 1)
    count = 0
    if lead_time == 0:
        # post-decision state (x, q): the stock facing demand is x + q; n states have stock s.
        for s in range(cap + 1):
            count += (s + 1) * min(s, max_demand) + 1
        return count
    for s in range(cap + 1):
        count += simplex_size(dims, cap - s) * (min(s, max_demand) + 1)
    return count


def leftover_matrix(pmf: NDArray[np.float64], cap: int) -> NDArray[np.float64]:
    """``M[s, y]`` = P((s - D)^+ = y): what is left of stock ``s`` after one period's demand (lost sales)."""
    survival = np.concatenate([[1.0], 1.0 - np.cumsum(pmf)])  # survival[k] = P(D >= k)
    m = np.zeros((cap + 1, cap + 1))
    for s in range(cap + 1):
        d = s - np.arange(1, s + 1)  # y = 1..s needs D = s - y
        ok = d < pmf.shape[0]
        m[s, 1 : s + 1][ok] = pmf[d[ok]]
        m[s, 0] = max(0.0, float(survival[s])) if s < survival.shape[0] else 0.0
    return m


def expected_period_cost(
    pmf: NDArray[np.float64], top: int, holding: float, penalty: float
) -> NDArray[np.float64]:
    """``h E(s - D)^+ + p E(D - s)^+`` for stock s = 0 .. top facing one period's demand (lost sales)."""
    k = np.arange(pmf.shape[0], dtype=np.float64)
    s = np.arange(top + 1, dtype=np.float64)[:, None]
    over = np.maximum(s - k, 0.0) @ pmf
    under = np.maximum(k - s, 0.0) @ pmf
    return np.asarray(holding * over + penalty * under, dtype=np.float64)


def stock_facing_demand(space_lead_time: int, post: NDArray[np.int64]) -> NDArray[np.int64]:
    """The on-hand stock that meets the period's demand after the decision ``post``.

    It is the on-hand for L >= 1 (the order is still on its way) and on-hand + order for L = 0.
    """
    if space_lead_time == 0:
        return np.asarray(post[:, 0] + post[:, 1], dtype=np.int64)
    return np.asarray(post[:, 0], dtype=np.int64)


@dataclass(frozen=True)
class StateSpace:
    """The pre-decision states of one lead time and position cap, and the index that finds them."""

    lead_time: int
    """L in our convention (an order placed in t arrives at the start of t+L)."""
    cap: int
    """Largest inventory position (on-hand + pipeline, after ordering) a state may have."""
    pre: NDArray[np.int64] = field(repr=False)
    """Pre-decision states, one row each: (on_hand, pipeline[0], ..., pipeline[L-2])."""
    lookup: NDArray[np.int64] = field(repr=False)
    """Dense mixed-radix index (base cap+1) -> row of :attr:`pre` (-1 outside the space)."""

    @property
    def dims(self) -> int:
        return int(self.pre.shape[1])

    @property
    def size(self) -> int:
        return int(self.pre.shape[0])

    def dense_index(self, points: NDArray[np.int64]) -> NDArray[np.int64]:
        """Mixed-radix index (base cap+1) of each row of ``points`` (rows of ``dims`` coordinates)."""
        weights = (self.cap + 1) ** np.arange(self.dims - 1, -1, -1, dtype=np.int64)
        return points @ weights


def build_space(lead_time: int, cap: int) -> StateSpace:
    """All pre-decision states with position <= cap for lead time ``lead_time`` (our convention)."""
    dims = max(lead_time, 1)
    pre = simplex_points(dims, cap)
    lookup = np.full((cap + 1) ** dims, -1, dtype=np.int64)
    space = StateSpace(lead_time=lead_time, cap=cap, pre=pre, lookup=lookup)
    lookup[space.dense_index(pre)] = np.arange(pre.shape[0])
    return space


def group_starts(space: StateSpace) -> NDArray[np.int64]:
    """First row, in ``simplex_points(dims + 1, cap)``, of each pre-decision state's post-decision states.

    Pre-decision state s owns ``cap - position(s) + 1`` consecutive rows (orders 0 .. cap - position).
    """
    sizes = space.cap - space.pre.sum(axis=1) + 1
    return np.asarray(np.cumsum(sizes) - sizes, dtype=np.int64)


def transitions(space: StateSpace, post: NDArray[np.int64], leftover: NDArray[np.float64]) -> sp.csr_matrix:
    """The one-period transition matrix from post-decision states ``post`` to pre-decision states.

    ``post`` rows are (pre-decision coordinates..., order); their sums must be <= ``space.cap``.
    ``leftover`` is :func:`leftover_matrix` (lost sales). Row i holds P(next state | post[i]).
    """
    stock = stock_facing_demand(space.lead_time, post)
    if space.lead_time == 0:
        carry = np.zeros_like(stock)
        tail = np.zeros((post.shape[0], 0), dtype=np.int64)
    else:
        carry = post[:, 1]  # the order that arrives next period joins what is left
        tail = post[:, 2:]
    counts = stock + 1
    rows = np.repeat(np.arange(post.shape[0], dtype=np.int64), counts)
    starts = np.cumsum(counts) - counts
    y = np.arange(rows.shape[0], dtype=np.int64) - np.repeat(starts, counts)
    s = stock[rows]
    prob = leftover[s, y]
    keep = prob > 0
    rows, y, prob = rows[keep], y[keep], prob[keep]
    nxt_first = y + carry[rows]
    tail_weights = (space.cap + 1) ** np.arange(tail.shape[1] - 1, -1, -1, dtype=np.int64)
    dense = nxt_first * (space.cap + 1) ** tail.shape[1] + (tail @ tail_weights)[rows]
    cols = space.lookup[dense]
    if (cols < 0).any():
        raise ValueError("a transition leaves the state space: a post-decision position exceeds the cap")
    return sp.csr_matrix((prob, (rows, cols)), shape=(post.shape[0], space.size))
