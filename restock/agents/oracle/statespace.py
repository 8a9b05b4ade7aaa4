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

**Transitions.** From post-decision state (x, q_1, ..., q_L) the next pre-decision state is
((x - D)^+ + q_1, q_2, ..., q_L) (L = 0: ((x + q - D)^+)): only the first coordinate is random, one entry
per leftover y = (s - D)^+ of the stock s facing demand. The sparse matrix is written straight into its CSR
arrays (float64 values, int32 columns: :data:`BYTES_PER_TRANSITION` per nonzero), a block of at most
:data:`KERNEL_BLOCK` candidate entries at a time, and for the optimum the post-decision rows themselves are
never built (:func:`decision_transitions` derives each block's rows from its pre-decision states). The
matrix is the one a single COO triple of every entry would give, entry for entry and in the same order (a
test), so the value iteration's arithmetic is unchanged; building it that way peaked at about 88 bytes per
nonzero, which refused Zipkin's geometric L = 4 instances.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

BYTES_PER_TRANSITION = 12
"""Bytes per stored nonzero transition probability: its float64 value and its int32 column."""

KERNEL_BLOCK = 1 << 19
"""Candidate transitions computed at a time while a transition matrix is built: the temporaries of one
block (:data:`BYTES_PER_BLOCK_ENTRY` each) are all the build needs beyond the matrix itself."""

BYTES_PER_BLOCK_ENTRY = 120
"""Peak bytes per candidate transition of a block while it is computed (index and value temporaries)."""

BYTES_PER_POST_STATE = 64
"""Bytes per post-decision state: its cost, the value-iteration sweep's vectors, the choice of the order."""

BYTES_PER_STATE = 96
"""Bytes per pre-decision state (coordinates, value vectors, group offsets)."""

BYTES_PER_DENSE_CELL = 12
"""Bytes per cell of the dense mixed-radix index (int64 lookup) and of the order table (int32)."""


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


def order_counts(space: StateSpace) -> NDArray[np.int64]:
    """Orders each pre-decision state may place (0 .. cap - position): its post-decision rows."""
    return np.asarray(space.cap - space.pre.sum(axis=1) + 1, dtype=np.int64)


def _tail_weights(space: StateSpace) -> NDArray[np.int64]:
    """Mixed-radix weights of the coordinates after the first of a pre-decision state (dims - 1 of them)."""
    return (space.cap + 1) ** np.arange(space.dims - 2, -1, -1, dtype=np.int64)


def _post_parts(
    space: StateSpace, post: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """(stock facing demand, units that join it next period, dense index of the rest of the next state)
    of each post-decision row ``post`` (pre-decision coordinates..., order)."""
    stock = stock_facing_demand(space.lead_time, post)
    if space.lead_time == 0:
        zero = np.zeros_like(stock)
        return stock, zero, zero
    # next state: (leftover + post[1], post[2], ..., post[dims]); post[1] arrives next period
    return stock, np.asarray(post[:, 1]), np.asarray(post[:, 2:] @ _tail_weights(space))


def _decision_parts(
    space: StateSpace, first: int, last: int
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """:func:`_post_parts` of every (state, order) row of pre-decision states ``first .. last - 1``, in
    the order of :func:`simplex_points` ``(dims + 1, cap)``, without building those rows."""
    pre = space.pre[first:last]
    sizes = space.cap - pre.sum(axis=1) + 1
    owner = np.repeat(np.arange(pre.shape[0], dtype=np.int64), sizes)
    order = np.arange(owner.shape[0], dtype=np.int64) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    on_hand = pre[owner, 0]
    if space.lead_time == 0:
        zero = np.zeros_like(order)
        return on_hand + order, zero, zero
    if space.dims == 1:  # L = 1: the order itself arrives next period
        return on_hand, order, np.zeros_like(order)
    # the rest of the next state: (pipeline[1], ..., pipeline[L-2], order), the order's weight is 1
    rest = pre[:, 2:] @ _tail_weights(space)[:-1]
    return on_hand, pre[owner, 1], rest[owner] + order


def _entries(
    space: StateSpace,
    parts: tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]],
    leftover: NDArray[np.float64],
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """(nonzeros per row, their columns, their probabilities) of a block of post-decision rows given by
    their :func:`_post_parts`; columns ascend within a row."""
    stock, carry, rest = parts
    counts = stock + 1
    rows = np.repeat(np.arange(stock.shape[0], dtype=np.int64), counts)
    y = np.arange(rows.shape[0], dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
    prob = leftover[stock[rows], y]
    keep = prob > 0
    rows, y, prob = rows[keep], y[keep], prob[keep]
    dense = (y + carry[rows]) * (space.cap + 1) ** (space.dims - 1) + rest[rows]
    cols = space.lookup[dense]
    if (cols < 0).any():
        raise ValueError("a transition leaves the state space: a post-decision position exceeds the cap")
    return np.bincount(rows, minlength=stock.shape[0]), cols, prob


def _blocks(candidates: NDArray[np.int64], budget: int) -> list[tuple[int, int]]:
    """Consecutive ranges of items whose candidate counts sum to at most ``budget`` (one item at least)."""
    total = np.cumsum(candidates)
    out, first, done = [], 0, 0
    while first < candidates.shape[0]:
        last = max(int(np.searchsorted(total, done + budget, side="right")), first + 1)
        out.append((first, last))
        done, first = int(total[last - 1]), last
    return out


def _assemble(
    space: StateSpace,
    blocks: Iterator[tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]],
    rows: int,
    nnz: int,
    leftover: NDArray[np.float64],
) -> sp.csr_matrix:
    """The CSR matrix of ``rows`` post-decision rows, filled block by block into arrays of its final size
    (``nnz`` nonzeros: float64 values, int32 columns), never as a COO triple of the whole matrix."""
    indptr = np.zeros(rows + 1, dtype=np.int64)
    indices = np.empty(nnz, dtype=np.int32 if space.size < 2**31 else np.int64)
    data = np.empty(nnz, dtype=np.float64)
    row = pos = 0
    for parts in blocks:
        per_row, cols, prob = _entries(space, parts, leftover)
        k, m = cols.shape[0], per_row.shape[0]
        indices[pos : pos + k] = cols
        data[pos : pos + k] = prob
        indptr[row + 1 : row + 1 + m] = pos + np.cumsum(per_row)
        row, pos = row + m, pos + k
    if row != rows or pos != nnz:
        raise AssertionError(f"transition matrix built {row} rows and {pos} nonzeros, expected {rows}, {nnz}")
    return sp.csr_matrix((data, indices, indptr), shape=(rows, space.size))


def transitions(space: StateSpace, post: NDArray[np.int64], leftover: NDArray[np.float64]) -> sp.csr_matrix:
    """The one-period transition matrix from post-decision states ``post`` to pre-decision states.

    ``post`` rows are (pre-decision coordinates..., order); their sums must be <= ``space.cap``.
    ``leftover`` is :func:`leftover_matrix` (lost sales). Row i holds P(next state | post[i]).
    """
    stock, carry, rest = _post_parts(space, post)
    nonzero = (leftover > 0).sum(axis=1)
    blocks = _blocks(stock + 1, KERNEL_BLOCK)
    parts = ((stock[a:b], carry[a:b], rest[a:b]) for a, b in blocks)
    return _assemble(space, parts, post.shape[0], int(nonzero[stock].sum()), leftover)


def decision_transitions(space: StateSpace, leftover: NDArray[np.float64]) -> sp.csr_matrix:
    """:func:`transitions` of every post-decision state, ``simplex_points(dims + 1, cap)`` — each
    pre-decision state's orders 0 .. cap - position in turn — built a block of states at a time."""
    nonzero = (leftover > 0).sum(axis=1)
    sizes = order_counts(space)
    on_hand = space.pre[:, 0]
    if space.lead_time == 0:  # stock x + q for q = 0 .. n - 1
        through = np.concatenate([[0], np.cumsum(nonzero)])
        nnz = int((through[on_hand + sizes] - through[on_hand]).sum())
        candidates = sizes * (on_hand + 1) + sizes * (sizes - 1) // 2
    else:  # stock x for every order
        nnz = int((sizes * nonzero[on_hand]).sum())
        candidates = sizes * (on_hand + 1)
    parts = (_decision_parts(space, a, b) for a, b in _blocks(candidates, KERNEL_BLOCK))
    return _assemble(space, parts, int(sizes.sum()), nnz, leftover)


def decision_costs(space: StateSpace, cost: NDArray[np.float64]) -> NDArray[np.float64]:
    """``cost`` of the stock facing demand (``cost[s]``, s = 0 .. cap) at every post-decision state, in
    the order of :func:`decision_transitions`."""
    sizes = order_counts(space)
    on_hand = space.pre[:, 0]
    if space.lead_time != 0:
        return np.repeat(cost[on_hand], sizes)
    order = np.arange(int(sizes.sum()), dtype=np.int64) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    return np.asarray(cost[np.repeat(on_hand, sizes) + order])
