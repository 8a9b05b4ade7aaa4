"""Relative value iteration (average cost) and exact policy evaluation on a finite chain.

Both work on the post-decision form of the Bellman equation::

    h(s) + g = min over post-decision states u of s [ c(u) + sum_s' K(u, s') h(s') ]

where the post-decision states of s are contiguous rows ``starts[s] .. starts[s+1]-1`` of ``K`` and ``c``.
Each sweep gives Odoni's bounds ``min_s (T h - h)(s) <= g* <= max_s (T h - h)(s)``; the sweep stops when
their span is at most ``tolerance`` times ``max(1, |g|)``, and the midpoint is reported as ``g``.

:func:`iterate` is the loop itself, for any one-period operator: the two functions below hand it a
sparse post-decision Bellman operator and a fixed policy's operator; the dual-sourcing oracle hands it a
dense operator that minimizes over its two orders in two stages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse import csgraph
from scipy.sparse.linalg import spsolve


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


@dataclass(frozen=True)
class Sweeps:
    """What :func:`iterate` ends with: the bounds, the sweep count and the last relative values."""

    lower: float
    """min of the last value difference ``T h - h``."""
    upper: float
    """max of the last value difference."""
    iterations: int
    """Sweeps performed."""
    converged: bool
    """Whether ``upper - lower`` reached the tolerance within the iteration limit."""
    values: NDArray[np.float64]
    """Relative values h (h[0] = 0) at the end."""


def iterate(
    operator: Callable[[NDArray[np.float64]], NDArray[np.float64]],
    initial: NDArray[np.float64],
    *,
    tolerance: float,
    max_iterations: int,
) -> Sweeps:
    """Relative value iteration with any one-period operator ``T`` (a Bellman or a policy operator).

    Each sweep sets ``h <- T h - (T h)[0]`` and stops once Odoni's bounds on ``T h - h`` are within
    ``tolerance`` (relative, see the module docstring). ``T`` may take arrays of any shape; ``[0]`` is the
    first element in C order.
    """
    h = initial.copy()
    lo = -np.inf
    hi = np.inf
    it = 0
    for it in range(1, max_iterations + 1):  # noqa: B007 - `it` is reported after the loop
        new = operator(h)
        diff = new - h
        lo, hi = float(diff.min()), float(diff.max())
        h = new - new.flat[0]
        if _done(lo, hi, tolerance):
            break
    return Sweeps(lower=lo, upper=hi, iterations=it, converged=_done(lo, hi, tolerance), values=h)


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
    last_q = [post_cost]

    def bellman(h: NDArray[np.float64]) -> NDArray[np.float64]:
        q = post_cost + kernel @ h
        last_q[0] = q
        return np.asarray(np.minimum.reduceat(q, starts), dtype=np.float64)

    sweeps = iterate(
        bellman,
        np.zeros(n) if initial is None else initial,
        tolerance=tolerance,
        max_iterations=max_iterations,
    )
    q = last_q[0]
    best = np.minimum.reduceat(q, starts)
    sizes = np.diff(np.append(starts, q.shape[0]))
    is_best = q <= np.repeat(best, sizes)
    # first minimizing offset in each group (the smallest order among ties)
    offset = np.arange(q.shape[0]) - np.repeat(starts, sizes)
    masked = np.where(is_best, offset, np.iinfo(np.int64).max)
    choice = np.minimum.reduceat(masked, starts)
    return IterationResult(
        average_cost=0.5 * (sweeps.lower + sweeps.upper),
        lower=sweeps.lower,
        upper=sweeps.upper,
        iterations=sweeps.iterations,
        converged=sweeps.converged,
        values=sweeps.values,
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
    sweeps = iterate(
        lambda h: np.asarray(cost + transition @ h, dtype=np.float64),
        np.zeros(n) if initial is None else initial,
        tolerance=tolerance,
        max_iterations=max_iterations,
    )
    return IterationResult(
        average_cost=0.5 * (sweeps.lower + sweeps.upper),
        lower=sweeps.lower,
        upper=sweeps.upper,
        iterations=sweeps.iterations,
        converged=sweeps.converged,
        values=sweeps.values,
        choice=np.zeros(n, dtype=np.int64),
    )


def stationary_distribution(transition: sp.csr_matrix, start: int) -> NDArray[np.float64]:
    """The long-run distribution of a chain started in state ``start`` (zero off the states it reaches).

    The states reachable from ``start`` form a closed set; on it ``pi (I - P) = 0`` with one equation
    replaced by ``sum(pi) = 1`` is solved exactly (sparse LU). That needs a single closed class among the
    reachable states (a unichain policy); otherwise the system is singular and this raises ValueError.
    """
    reach = np.sort(csgraph.breadth_first_order(transition, start, directed=True, return_predecessors=False))
    sub = transition[reach][:, reach]
    n = reach.shape[0]
    balance = (sp.identity(n, format="csr") - sub).T.tocsr()
    system = sp.vstack([sp.csr_matrix(np.ones((1, n))), balance[1:]]).tocsc()
    rhs = np.zeros(n)
    rhs[0] = 1.0
    with np.errstate(all="raise"):
        try:
            solved = np.asarray(spsolve(system, rhs), dtype=np.float64)
        except (RuntimeError, FloatingPointError) as exc:
            raise ValueError(
                f"stationary distribution: the chain from state {start} is not unichain"
            ) from exc
    if not np.isfinite(solved).all() or solved.min() < -1e-9:
        raise ValueError(f"stationary distribution: the chain from state {start} is not unichain")
    pi = np.zeros(transition.shape[0])
    pi[reach] = np.maximum(solved, 0.0)
    return pi / pi.sum()
