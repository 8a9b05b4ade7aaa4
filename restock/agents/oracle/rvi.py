"""Relative value iteration (average cost) and exact policy evaluation on a finite chain.

Both work on the post-decision form of the Bellman equation::

    h(s) + g = min over post-decision states u of s [ c(u) + sum_s' K(u, s') h(s') ]

where the post-decision states of s are contiguous rows ``starts[s] .. starts[s+1]-1`` of ``K`` and ``c``.
Each sweep gives Odoni's bounds ``min_s (T h - h)(s) <= g* <= max_s (T h - h)(s)``; the sweep stops when
their span is at most ``tolerance`` times ``max(1, |g|)``, and the midpoint is reported as ``g``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray


@dataclass(frozen=True)
class IterationResult:
    """What a run of (relative) value iteration ends with."""

    average_cost: float
    """Midpoint of the final bounds on the optimal (or evaluated) average cost per period."""
    lower: float
    """Lower bound on the average cost (min of the last value difference)."""
    upper: float
    """Upper bound on the average cost (max of the last value difference)."""
    iterations: int
    """Sweeps performed."""
    converged: bool
    """Whether ``upper - lower`` reached the tolerance within the iteration limit."""
    values: NDArray[np.float64]
    """Relative values h (h[0] = 0) at the end."""
    choice: NDArray[np.int64]
    """Per pre-decision state, the offset of the best post-decision state in its group (0 for evaluation)."""

    @property
    def gap(self) -> float:
        """Span of the last value difference: ``upper - lower``."""
        return self.upper - self.lower


def _done(lo: float, hi: float, tolerance: float) -> bool:
    return hi - lo <= tolerance * max(1.0, abs(0.5 * (lo + hi)))


def relative_value_iteration(
    kernel: sp.csr_matrix,
    post_cost: NDArray[np.float64],
    starts: NDArray[np.int64],
    *,
    tolerance: float,
    max_iterations: int,
    initial: NDArray[np.float64] | None = None,
) -> IterationResult:
    """Minimize the average cost; ``starts[s]`` is the first post-decision row of pre-decision state s."""
    n = starts.shape[0]
    h = np.zeros(n) if initial is None else initial.copy()
    lo = -np.inf
    hi = np.inf
    it = 0
    q = post_cost
    for it in range(1, max_iterations + 1):  # noqa: B007 - `it` is reported after the loop
        q = post_cost + kernel @ h
        new = np.minimum.reduceat(q, starts)
        diff = new - h
        lo, hi = float(diff.min()), float(diff.max())
        h = new - new[0]
        if _done(lo, hi, tolerance):
            break
    best = np.minimum.reduceat(q, starts)
    sizes = np.diff(np.append(starts, q.shape[0]))
    is_best = q <= np.repeat(best, sizes)
    # first minimizing offset in each group (the smallest order among ties)
    offset = np.arange(q.shape[0]) - np.repeat(starts, sizes)
    masked = np.where(is_best, offset, np.iinfo(np.int64).max)
    choice = np.minimum.reduceat(masked, starts)
    return IterationResult(
        average_cost=0.5 * (lo + hi),
        lower=lo,
        upper=hi,
        iterations=it,
        converged=_done(lo, hi, tolerance),
        values=h,
        choice=choice,
    )


def evaluate_policy(
    transition: sp.csr_matrix,
    cost: NDArray[np.float64],
    *,
    tolerance: float,
    max_iterations: int,
    initial: NDArray[np.float64] | None = None,
) -> IterationResult:
    """Average cost of a fixed policy: ``transition`` is its state -> state matrix, ``cost`` per state."""
    n = cost.shape[0]
    h = np.zeros(n) if initial is None else initial.copy()
    lo = -np.inf
    hi = np.inf
    it = 0
    for it in range(1, max_iterations + 1):  # noqa: B007
        new = cost + transition @ h
        diff = new - h
        lo, hi = float(diff.min()), float(diff.max())
        h = new - new[0]
        if _done(lo, hi, tolerance):
            break
    return IterationResult(
        average_cost=0.5 * (lo + hi),
        lower=lo,
        upper=hi,
        iterations=it,
        converged=_done(lo, hi, tolerance),
        values=h,
        choice=np.zeros(n, dtype=np.int64),
    )
