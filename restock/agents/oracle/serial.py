"""The exact optimum of an N-stage serial system with backorders (Clark & Scarf 1960; Chen & Zheng 1994).

**Model** (Snyder & Shen, *Fundamentals of Supply Chain Theory*, 2nd ed., ch. 6, the stochastic-service
serial model; Chen & Zheng 1994). Stages 1..N in a line: stage 1 meets i.i.d. customer demand D per period,
stage j orders from stage j+1, stage N from an outside supplier with unlimited stock; unmet demand and
unmet internal orders are backordered. Costs per period: ``h_j`` per unit of *echelon* net inventory of
stage j (on hand at j and downstream, in transit downstream of j, minus stage 1's backorders), and a
penalty ``p`` per unit backordered at stage 1. With installation holding rates h'_j (h'_{N+1} = 0),
``h_j = h'_j - h'_{j+1}`` (the textbook convention) and the echelon cost equals installation holding on
on-hand stock, holding at the upstream rate h'_{j+1} on stock in transit to stage j, plus ``p`` per
backorder (:func:`installation_holding`).

**Lead times — the textbook's convention.** Stage j's lead time L_j counts the periods of demand that fall
between stage j's order and the moment that order can be used: the echelon base-stock recursion takes the
expectation over D_j, the demand of L_j periods, at every stage, stage 1 included. That is the
continuous-review reading of Snyder & Shen's chapter 6 (lead-time demand over L_j time units), or periodic
review where each period's demand is seen *before* the period's orders are placed (stockpyl's sequence of
events, in which Example 6.1 keeps its lead times). In Restock's event order (DESIGN.md: arrivals, review,
demand, booking; an order placed in t arrives at the start of t+l) stage 1's order also covers the demand
of the period it is placed in, so ``L_1 = l_1 + 1`` and ``L_j = l_j`` for j >= 2 (:class:`RestockChain`).

**Recursion** (Chen & Zheng 1994, as in Snyder & Shen's Theorem for the serial SSM)::

    C_0(x)  = (p + h'_1) x^-                          h'_1 = h_1 + ... + h_N
    Ĉ_j(x)  = h_j x + C_{j-1}(min(x, S*_{j-1}))        (for j = 1 the min is dropped)
    C_j(y)  = E Ĉ_j(y - D_j),     S*_j = argmin_y C_j(y),     j = 1 .. N

The echelon base-stock policy with levels S*_1..S*_N is optimal and ``C_N(S*_N)`` is the optimal expected
cost per period. :func:`serial_cost` runs the same recursion at given levels (no minimization).

**Numerics.** The functions live on a uniform grid of step δ that covers every level and every argument
they are evaluated at (the top is extended by the constant C_{j-1}(S*_{j-1}) above S*_{j-1}), and each
expectation is one discrete convolution:

* ``poisson:MEAN`` — δ = 1, D_j ~ Poisson(L_j MEAN) exactly, its pmf cut at the first K with
  P(D_j > K) <= :data:`SERIAL_TAIL_MASS` (1e-12) and that tail folded into K. Levels are integers and the
  sums are exact up to the folded tail.
* ``normal:MEAN:SD`` — D_j ~ Normal(L_j MEAN, sqrt(L_j) SD), cut at ±7.03 of its standard deviations
  (tail mass 1e-12 each side, folded into the end points) and rounded to the grid (mass of
  [kδ - δ/2, kδ + δ/2) on kδ), δ = SD / :data:`NORMAL_STEPS_PER_SD`. The rounding perturbs every
  expectation by O(δ²) and the level found is a grid point, so levels are within δ/2 of the exact
  minimizers and the cost is within O(δ²) of the exact optimum (halving δ changes Example 6.1's cost by
  less than 1e-6 relative; see ``tests/agents/test_oracle_serial.py``). Negative demand, which a normal
  law allows, is kept (it is what the textbook's normal model means).

Levels are searched on the grid between the lowest total lead-time demand (or -1) and the highest; a
minimizer at the bottom of that range raises an error rather than being reported. Ties (C_j within
:data:`TIE_TOLERANCE` of its minimum, relative) go to the smallest level, as the critical-fractile rule
does for one stage. With h_j = 0, C_j is non-increasing and the optimal S*_j is not unique: the smallest
level reaching the infimum is reported, and any larger one costs the same.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from scipy import signal, stats

from restock.agents.oracle.demand import finite_number, positive_number
from restock.agents.oracle.lost_sales import is_integer
from restock.errors import InputError, bad_value

SERIAL_TAIL_MASS = 1e-12
"""Tail probability of each stage's lead-time demand folded into its end point(s)."""

NORMAL_STEPS_PER_SD = 100
"""Default grid points per one-period demand standard deviation for ``normal:`` demand (δ = SD / 100)."""

MAX_GRID_POINTS = 5_000_000
"""Largest grid accepted (a larger one is refused with an :class:`InputError`)."""

TIE_TOLERANCE = 1e-11
"""Levels whose C_j is within this (relative) of the minimum count as minimizers; the smallest is taken."""

DIRECT_CONVOLUTION_LIMIT = 50_000_000
"""Grid points x demand points up to which convolutions are summed directly (beyond: FFT)."""

SERIAL_CONVENTION = (
    "snyder-shen: stage j's echelon sees L_j periods of demand between its order and that order's use "
    "(continuous-review reading of Snyder & Shen ch. 6; periodic review with demand before ordering); "
    "restock's event order: L_1 = l_1 + 1, L_j = l_j for j >= 2"
)
"""One line that reports print next to the lead times."""

DemandKind = Literal["poisson", "normal"]


@dataclass(frozen=True)
class SerialDemand:
    """Stationary i.i.d. demand per period at stage 1, parsed from ``poisson:MEAN`` or ``normal:MEAN:SD``."""

    spec: str
    """The spec it was parsed from, kept for reports."""
    kind: DemandKind
    """``poisson`` (integer units, grid step 1) or ``normal`` (continuous)."""
    mean: float
    """Mean demand per period."""
    sd: float
    """Standard deviation per period (sqrt(MEAN) for Poisson)."""

    @property
    def discrete(self) -> bool:
        """Integer demand (levels are integers)."""
        return self.kind == "poisson"

    def lead_time_support(self, periods: int, step: float) -> tuple[int, int]:
        """The grid indices (k0, k1) that the demand of ``periods`` periods is cut to (both kept)."""
        if periods == 0:
            return 0, 0
        if self.kind == "poisson":
            dist = stats.poisson(periods * self.mean)
            k = int(dist.isf(SERIAL_TAIL_MASS))
            while dist.sf(k) > SERIAL_TAIL_MASS:
                k += 1
            while k > 0 and dist.sf(k - 1) <= SERIAL_TAIL_MASS:
                k -= 1
            return 0, k
        m, s = periods * self.mean, math.sqrt(periods) * self.sd
        z = float(stats.norm.isf(SERIAL_TAIL_MASS))
        return math.floor((m - z * s) / step), math.ceil((m + z * s) / step)

    def lead_time_masses(self, periods: int, step: float) -> tuple[int, NDArray[np.float64]]:
        """Demand of ``periods`` periods on the grid of ``step``: (k0, w) with P(D ≈ (k0 + i) step) = w[i]."""
        k0, k1 = self.lead_time_support(periods, step)
        if periods == 0:
            return 0, np.ones(1)
        if self.kind == "poisson":
            w = stats.poisson.pmf(np.arange(k1 + 1), periods * self.mean)
            w[-1] += stats.poisson.sf(k1, periods * self.mean)  # the folded tail, <= SERIAL_TAIL_MASS
            return 0, np.asarray(w / w.sum(), dtype=np.float64)
        m, s = periods * self.mean, math.sqrt(periods) * self.sd
        edges = (np.arange(k0, k1 + 2) - 0.5) * step  # edges[i] .. edges[i+1] rounds to (k0 + i) step
        u = (edges - m) / s
        lower = stats.norm.cdf(u)  # accurate below the mean
        upper = stats.norm.sf(u)  # accurate above it
        w = np.where(u[1:] <= 0, lower[1:] - lower[:-1], upper[:-1] - upper[1:])
        w[0] += lower[0]
        w[-1] += upper[-1]
        return k0, np.asarray(w / w.sum(), dtype=np.float64)


def _check_stages(lead_times: Sequence[Any], costs: Sequence[Any], costs_name: str, unit: str) -> None:
    """One lead time (an integer >= 0) and one holding cost (finite, >= 0) per stage (``unit``)."""
    if len(lead_times) != len(costs):
        raise InputError(
            f"lead_times and {costs_name} must have one entry per {unit}, got {len(lead_times)} "
            f"lead times {list(lead_times)!r} and {len(costs)} holding costs {list(costs)!r}"
        )
    for j, lead in enumerate(lead_times, start=1):
        if not is_integer(lead) or lead < 0:
            raise bad_value(f"lead_times[{unit} {j}]", lead, "must be an integer >= 0")
    for j, h in enumerate(costs, start=1):
        if not finite_number(h) or h < 0:
            raise bad_value(f"{costs_name}[{unit} {j}]", h, "must be a finite number >= 0")


def parse_serial_demand(spec: str) -> SerialDemand:
    """``poisson:MEAN`` or ``normal:MEAN:SD`` (MEAN, SD finite, > 0); anything else: :class:`InputError`."""
    if not isinstance(spec, str):
        raise bad_value("demand", spec, "must be a spec string such as 'poisson:5' or 'normal:5:1'")
    kind, _, body = spec.strip().partition(":")
    kind = kind.lower()
    args = body.split(":") if body else []
    if kind == "poisson":
        if len(args) != 1:
            raise InputError(
                f"demand spec {spec!r}: poisson takes one value, MEAN ('poisson:5'), got {body!r}"
            )
        mean = positive_number(spec, "MEAN", args[0])
        return SerialDemand(spec=spec, kind="poisson", mean=mean, sd=math.sqrt(mean))
    if kind == "normal":
        if len(args) != 2:
            raise InputError(f"demand spec {spec!r}: normal takes MEAN:SD ('normal:5:1'), got {body!r}")
        return SerialDemand(
            spec=spec,
            kind="normal",
            mean=positive_number(spec, "MEAN", args[0]),
            sd=positive_number(spec, "SD", args[1]),
        )
    raise InputError(
        f"demand spec {spec!r}: unknown distribution {kind!r} for a serial system; use poisson:MEAN or "
        f"normal:MEAN:SD"
    )


@dataclass(frozen=True)
class SerialConfig:
    """One serial instance in the textbook's terms; every per-stage tuple lists stage 1 (customer) first."""

    demand: str
    """Demand per period at stage 1: ``poisson:MEAN`` or ``normal:MEAN:SD``."""
    lead_times: tuple[int, ...]
    """L_1..L_N (a list is accepted), integers >= 0, textbook convention (:data:`SERIAL_CONVENTION`):
    stage j's echelon sees L_j periods of demand; L_N is the outside supplier's lead time to stage N."""
    echelon_holding: tuple[float, ...]
    """h_1..h_N >= 0: cost per unit of echelon net inventory per period (h'_j - h'_{j+1})."""
    penalty: float
    """p > 0: cost per unit backordered at stage 1 at the end of a period."""
    grid_step: float | None = None
    """Grid step δ for ``normal:`` demand (default SD / :data:`NORMAL_STEPS_PER_SD`); Poisson uses 1."""
    max_grid_points: int = MAX_GRID_POINTS
    """Refuse (InputError) an instance whose grid would have more points than this."""

    def __post_init__(self) -> None:
        demand = parse_serial_demand(self.demand)
        for name in ("lead_times", "echelon_holding"):
            value = getattr(self, name)
            if isinstance(value, str) or not isinstance(value, Sequence) or not value:
                raise bad_value(name, value, "must be a non-empty sequence, stage 1 first")
            object.__setattr__(self, name, tuple(value))  # lists are accepted, kept as tuples
        _check_stages(self.lead_times, self.echelon_holding, "echelon_holding", "stage")
        if not finite_number(self.penalty) or self.penalty <= 0:
            raise bad_value("penalty", self.penalty, "must be a finite number > 0")
        if self.grid_step is not None:
            if demand.discrete:
                raise bad_value("grid_step", self.grid_step, "applies to normal demand only (Poisson uses 1)")
            if not finite_number(self.grid_step) or self.grid_step <= 0:
                raise bad_value("grid_step", self.grid_step, "must be None or a finite number > 0")
        if not is_integer(self.max_grid_points) or self.max_grid_points < 1:
            raise bad_value("max_grid_points", self.max_grid_points, "must be an integer >= 1")

    @property
    def stages(self) -> int:
        """N."""
        return len(self.lead_times)

    def step(self) -> float:
        """The grid step δ: 1 for Poisson, else ``grid_step`` or SD / :data:`NORMAL_STEPS_PER_SD`."""
        demand = parse_serial_demand(self.demand)
        if demand.discrete:
            return 1.0
        return float(self.grid_step) if self.grid_step is not None else demand.sd / NORMAL_STEPS_PER_SD


def installation_holding(echelon_holding: Sequence[float]) -> tuple[float, ...]:
    """h'_j = h_j + ... + h_N (stage 1 first): the holding rate of a unit on hand at stage j."""
    return tuple(float(x) for x in np.cumsum(np.asarray(echelon_holding, dtype=np.float64)[::-1])[::-1])


def local_levels(echelon_levels: Sequence[float]) -> tuple[float, ...]:
    """Installation (local) base-stock levels of echelon levels S_1..S_N (stage 1 first).

    The echelon position of stage j-1 never exceeds that of stage j, so levels S_j < S_{j-1} act as
    S'_{j-1} = min(S_{j-1}, ..., S_N); then s_1 = S'_1 and s_j = S'_j - S'_{j-1} >= 0. A stage following
    s_j on its local position (on hand + in transit to it - its backorders to stage j-1) behaves exactly
    as the echelon policy.
    """
    effective = np.minimum.accumulate(np.asarray(echelon_levels, dtype=np.float64)[::-1])[::-1]
    return tuple(round(float(x), 12) for x in np.diff(effective, prepend=0.0))


@dataclass(frozen=True)
class _Grid:
    step: float
    lo: int  # grid index of the first point: x_i = (lo + i) step
    size: int
    masses: tuple[tuple[int, NDArray[np.float64]], ...]  # per stage: (k0, w)
    search_lo: int  # lowest grid index a level may take


def _grid(config: SerialConfig, demand: SerialDemand, extra_levels: Sequence[float] = ()) -> _Grid:
    step = config.step()
    support = [demand.lead_time_support(int(L), step) for L in config.lead_times]
    search_lo = min(0, sum(k0 for k0, _ in support)) - 1
    hi = sum(k1 for _, k1 in support) + 1
    for level in extra_levels:
        hi = max(hi, math.ceil(level / step) + 1)
        search_lo = min(search_lo, math.floor(level / step) - 1)
    # C_j must be valid from search_lo up, so the grid reaches down by every stage's largest demand.
    lo = search_lo - sum(max(0, k1) for _, k1 in support)
    size = hi - lo + 1
    if size > config.max_grid_points:
        raise InputError(
            f"serial instance too large: demand {config.demand!r}, lead_times {list(config.lead_times)!r} "
            f"need a grid of {size:,} points (limit {config.max_grid_points:,}, max_grid_points); "
            f"use a coarser grid_step"
        )
    masses = tuple(demand.lead_time_masses(int(L), step) for L in config.lead_times)
    return _Grid(step=step, lo=lo, size=size, masses=masses, search_lo=search_lo)


def _expect(values: NDArray[np.float64], k0: int, w: NDArray[np.float64]) -> NDArray[np.float64]:
    """E values[i - k] over k ~ (k0 + index of w), for every i, with values held constant above the top.

    ``values`` may be NaN on a prefix (not computed there); entries whose window reaches into it are NaN.
    """
    n, m = values.shape[0], w.shape[0]
    known = np.nonzero(~np.isnan(values))[0]
    first = int(known[0])
    top_pad = max(0, -k0)  # negative demand reads above the grid
    padded = np.concatenate([np.full(first, values[first]), values[first:], np.full(top_pad, values[-1])])
    if padded.shape[0] * m <= DIRECT_CONVOLUTION_LIMIT:
        full = np.convolve(padded, w)
    else:
        full = signal.fftconvolve(padded, w)
    # full[t] = sum_i w[i] padded[t - i], so out[y] = sum_i w[i] values[y - k0 - i] = full[y - k0]
    out = np.full(n, np.nan)
    t = np.arange(n) - k0
    ok = (t - (m - 1) >= first) & (t <= padded.shape[0] - 1)
    out[ok] = full[t[ok]]
    return out


def _interp(values: NDArray[np.float64], grid: _Grid, level: float) -> float:
    """values at ``level`` (linear between grid points)."""
    pos = level / grid.step - grid.lo
    i = min(max(math.floor(pos), 0), grid.size - 2)
    frac = pos - i
    return float(values[i] + frac * (values[i + 1] - values[i]))


def _recursion(
    config: SerialConfig, demand: SerialDemand, grid: _Grid, fixed: Sequence[float] | None
) -> tuple[tuple[float, ...], float]:
    """Levels (minimizers, or ``fixed``) and C_N at the last level."""
    h = np.asarray(config.echelon_holding, dtype=np.float64)
    x = (grid.lo + np.arange(grid.size)) * grid.step
    below = (config.penalty + float(h.sum())) * np.maximum(-x, 0.0)  # C_{j-1}(min(x, S_{j-1})), j = 1
    levels: list[float] = []
    cost = math.nan
    for j in range(config.stages):
        k0, w = grid.masses[j]
        mean_d = float((k0 + np.arange(w.shape[0])) @ w) * grid.step
        c = h[j] * (x - mean_d) + _expect(below, k0, w)
        first = grid.search_lo - grid.lo
        if not np.isfinite(c[first:]).all():  # the grid is built so that this cannot happen
            raise RuntimeError("serial recursion: grid does not cover the search range")
        if fixed is None:
            best = float(np.min(c[first:]))
            ties = c[first:] <= best + TIE_TOLERANCE * max(1.0, abs(best))
            i = first + int(np.argmax(ties))  # the smallest minimizer
            if i == first:
                raise InputError(
                    f"serial recursion: stage {j + 1}'s minimizer lies at the bottom of the search range "
                    f"({(grid.lo + i) * grid.step:g}); the instance is outside what the grid covers"
                )
            level = round((grid.lo + i) * grid.step, 12)  # a grid point, without the product's round-off
            level_cost = float(c[i])
        else:
            level = float(fixed[j])
            level_cost = _interp(c, grid, level)
        levels.append(round(level) if demand.discrete else level)
        cost = level_cost
        below = np.where(x < level, c, level_cost)
    return tuple(levels), cost


@dataclass(frozen=True)
class SerialSolution:
    """The optimal echelon base-stock levels and cost of one serial instance (stage 1 first)."""

    config: SerialConfig
    """The instance (textbook convention)."""
    echelon_levels: tuple[float, ...]
    """S*_1..S*_N: optimal echelon base-stock levels (integers for Poisson demand)."""
    average_cost: float
    """C_N(S*_N): optimal expected cost per period, echelon holding + backorder penalty (textbook)."""
    local_levels: tuple[float, ...]
    """Installation base-stock levels of the same policy (:func:`local_levels`)."""
    grid_step: float
    """The grid step δ used."""
    grid_points: int
    """Points on the grid."""
    seconds: float
    """Wall time of the solve."""
    convention: str = SERIAL_CONVENTION
    """How the lead times are counted."""

    def summary(self) -> dict[str, Any]:
        """The JSON-ready figures of the solve, with the Restock equivalent where there is one."""
        cfg = self.config
        chain = RestockChain.from_serial(cfg)
        discrete = parse_serial_demand(cfg.demand).discrete
        return {
            "echelon_levels": list(self.echelon_levels),
            "average_cost": self.average_cost,
            "local_levels": [round(s) if discrete else s for s in self.local_levels],
            "lead_times": [int(L) for L in cfg.lead_times],
            "echelon_holding": [float(v) for v in cfg.echelon_holding],
            "installation_holding": list(installation_holding(cfg.echelon_holding)),
            "penalty": float(cfg.penalty),
            "demand": cfg.demand,
            "lead_time_convention": self.convention,
            "restock": None
            if chain is None
            else {
                "lead_times": list(chain.lead_times),
                "average_cost": chain.restock_cost(self.average_cost),
            },
            "grid_step": self.grid_step,
            "grid_points": self.grid_points,
            "seconds": round(self.seconds, 3),
        }


def solve_serial(config: SerialConfig) -> SerialSolution:
    """The Chen–Zheng recursion (module docstring): optimal echelon levels and the optimal cost."""
    t0 = time.perf_counter()
    demand = parse_serial_demand(config.demand)
    grid = _grid(config, demand)
    levels, cost = _recursion(config, demand, grid, None)
    return SerialSolution(
        config=config,
        echelon_levels=levels,
        average_cost=cost,
        local_levels=local_levels(levels),
        grid_step=grid.step,
        grid_points=grid.size,
        seconds=time.perf_counter() - t0,
    )


def serial_cost(config: SerialConfig, echelon_levels: Sequence[float]) -> float:
    """Expected cost per period (textbook) of the echelon base-stock policy with the given levels.

    The same recursion with each S*_j replaced by the given S_j (levels between grid points for normal
    demand are handled by linear interpolation of C_j). One level per stage: integers for Poisson demand,
    finite numbers for normal demand.
    """
    if len(echelon_levels) != config.stages:
        raise InputError(
            f"echelon_levels must have one entry per stage ({config.stages}), got {list(echelon_levels)!r}"
        )
    demand = parse_serial_demand(config.demand)
    for j, level in enumerate(echelon_levels, start=1):
        if not finite_number(level) or (demand.discrete and float(level) != round(float(level))):
            what = "an integer (Poisson demand)" if demand.discrete else "a finite number"
            raise bad_value(f"echelon_levels[stage {j}]", level, f"must be {what}")
    grid = _grid(config, demand, extra_levels=[float(s) for s in echelon_levels])
    return _recursion(config, demand, grid, [float(s) for s in echelon_levels])[1]


@dataclass(frozen=True)
class RestockChain:
    """A serial chain as a Restock network world would describe it, and its textbook twin.

    Node 1 is customer-facing (backorders, penalty ``penalty`` per unit of end-of-period backlog), node j
    is fed by node j+1 with ``transfer_lead_time`` l_j, node N by a vendor with deterministic lead time l_N;
    each node books ``installation_holding[j]`` per unit of end-of-period on-hand; nothing is charged on
    stock in transit. The correspondence assumes a review every period, full fills, no capacity limits,
    backorders at the internal nodes too (a request a node cannot ship waits and ships first later), no
    fixed order cost, and purchase cost and revenue left out (in the long run they are constants:
    unit cost x mean demand, price x mean demand).

    With Restock's event order (arrivals, review and transfers upstream first, demand, booking), an order
    placed by node j in period t can be shipped on by node j at the review of t + l_j, having seen l_j
    periods of demand, while node 1's order also covers the demand of t + l_1: the echelon positions evolve
    exactly as in the textbook system with ``L_1 = l_1 + 1`` and ``L_j = l_j`` (j >= 2), echelon holding
    ``h_j = h'_j - h'_{j+1}`` and the same penalty, so the same echelon base-stock levels are optimal. The
    costs differ by constants that no policy changes (long-run averages, mean demand μ):

    * echelon j >= 2 is booked after the demand of the period in which its stock becomes usable, not
      before: ``-μ h_j`` for each j >= 2;
    * the textbook charges h'_{j+1} on stock in transit to stage j (μ l_j units on average at the end of a
      period); Restock does not: ``-μ h'_{j+1} l_j`` for j = 1..N-1.

    So Restock's expected holding + penalty cost per period = textbook cost - :meth:`cost_offset`
    (checked on both engines: tests/simulator/test_serial_oracle_engines.py).
    """

    demand: str
    """Demand per period at node 1 (``poisson:MEAN`` or ``normal:MEAN:SD``)."""
    lead_times: tuple[int, ...]
    """l_1..l_N in Restock's convention: an order placed in t arrives at the start of t + l_j."""
    installation_holding: tuple[float, ...]
    """h'_1..h'_N: holding cost per unit on hand at node j at the end of a period (non-increasing in j)."""
    penalty: float
    """Cost per unit of node 1's customer backlog at the end of a period."""

    def __post_init__(self) -> None:
        parse_serial_demand(self.demand)
        if not self.lead_times:
            raise bad_value("lead_times", self.lead_times, "must be a non-empty sequence, node 1 first")
        _check_stages(self.lead_times, self.installation_holding, "installation_holding", "node")
        drops = np.diff(np.asarray(self.installation_holding, dtype=np.float64))
        if (drops > 0).any():
            j = int(np.nonzero(drops > 0)[0][0]) + 1
            raise InputError(
                f"installation_holding must not increase upstream (echelon holding >= 0), got node {j} "
                f"{self.installation_holding[j - 1]!r} < node {j + 1} {self.installation_holding[j]!r}"
            )

    @classmethod
    def from_serial(cls, config: SerialConfig) -> RestockChain | None:
        """The Restock chain whose textbook twin is ``config`` (None when L_1 = 0: no Restock lead time)."""
        if config.lead_times[0] < 1:
            return None
        leads = (int(config.lead_times[0]) - 1, *(int(L) for L in config.lead_times[1:]))
        return cls(
            demand=config.demand,
            lead_times=leads,
            installation_holding=installation_holding(config.echelon_holding),
            penalty=float(config.penalty),
        )

    def serial_config(self, **options: Any) -> SerialConfig:
        """The textbook instance (``options``: ``grid_step``, ``max_grid_points``)."""
        hp = np.asarray(self.installation_holding, dtype=np.float64)
        echelon = hp - np.append(hp[1:], 0.0)
        return SerialConfig(
            demand=self.demand,
            lead_times=(int(self.lead_times[0]) + 1, *(int(v) for v in self.lead_times[1:])),
            echelon_holding=tuple(float(v) for v in echelon),
            penalty=float(self.penalty),
            **options,
        )

    def cost_offset(self) -> float:
        """Textbook cost minus Restock's booked holding + penalty cost, per period (see the class doc)."""
        mu = parse_serial_demand(self.demand).mean
        hp = [float(v) for v in self.installation_holding] + [0.0]
        echelon_up = sum(hp[j] - hp[j + 1] for j in range(1, len(self.lead_times)))
        transit = sum(hp[j + 1] * int(self.lead_times[j]) for j in range(len(self.lead_times) - 1))
        return mu * (echelon_up + transit)

    def restock_cost(self, textbook_cost: float) -> float:
        """Restock's expected holding + penalty cost per period for a textbook cost of the same policy."""
        return textbook_cost - self.cost_offset()
