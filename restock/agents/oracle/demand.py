"""Discrete demand distributions for the exact oracle, parsed from short specs.

A spec is one of

============================  ========================================================================
``poisson:MEAN``              Poisson with mean ``MEAN`` (> 0)
``geometric:MEAN``            geometric on {0, 1, 2, ...} with mean ``MEAN`` (> 0): P(k) = (1-a) a^k,
                              a = MEAN / (1 + MEAN)
``negbin:MEAN:VAR``           negative binomial on {0, 1, ...} with mean ``MEAN`` and variance
                              ``VAR`` > ``MEAN`` (n = MEAN² / (VAR - MEAN), success prob MEAN / VAR)
``pmf:P0,P1,...,PK``          explicit probabilities of demand 0, 1, ..., K (non-negative, sum to 1
                              within 1e-9; renormalized exactly)
============================  ========================================================================

Distributions with unbounded support are truncated at the smallest ``K`` whose upper tail
P(D > K) is at most :data:`TAIL_MASS`; that tail mass is folded into the last point ``K``, so the
truncated pmf sums to one and its mean is below the true mean by at most the folded tail's excess.

>>> d = parse_demand("pmf:0.2,0.5,0.3")
>>> d.max_demand, round(d.mean, 6)
(2, 1.1)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from restock.errors import InputError

TAIL_MASS = 1e-9
"""Upper-tail probability folded into the last support point of an unbounded distribution."""

PMF_SUM_TOLERANCE = 1e-9
"""How far the probabilities of an explicit ``pmf:`` spec may sum away from 1."""

MAX_SUPPORT = 100_000
"""Largest truncation point accepted (a larger one means a mean too large for an exact DP)."""


@dataclass(frozen=True)
class DiscreteDemand:
    """A demand distribution on {0, 1, ..., max_demand}, one period, i.i.d. across periods."""

    spec: str
    """The spec it was parsed from (``"poisson:5"``), kept for reports."""
    pmf: NDArray[np.float64] = field(repr=False)
    """``pmf[k]`` = P(D = k), k = 0 .. max_demand; sums to 1."""

    @property
    def max_demand(self) -> int:
        """The largest demand with positive (folded) probability."""
        return int(self.pmf.shape[0] - 1)

    @property
    def mean(self) -> float:
        """Mean of the (truncated) distribution."""
        return float(np.arange(self.pmf.shape[0]) @ self.pmf)

    @property
    def variance(self) -> float:
        """Variance of the (truncated) distribution."""
        k = np.arange(self.pmf.shape[0])
        return float(((k - self.mean) ** 2) @ self.pmf)

    def cdf(self) -> NDArray[np.float64]:
        """``cdf[k]`` = P(D <= k)."""
        return np.cumsum(self.pmf)

    def quantile(self, fractile: float) -> int:
        """The smallest k with P(D <= k) >= fractile (a tiny float slack, 1e-12, absorbs round-off)."""
        return smallest_index_reaching(self.cdf(), fractile)


def smallest_index_reaching(cdf: NDArray[np.float64], fractile: float) -> int:
    """The smallest k with ``cdf[k] >= fractile - 1e-12`` (the last index if none)."""
    hits = np.nonzero(cdf >= fractile - 1e-12)[0]
    return int(hits[0]) if hits.size else int(cdf.shape[0] - 1)


def convolve_power(pmf: NDArray[np.float64], n: int) -> NDArray[np.float64]:
    """The pmf of the sum of ``n`` i.i.d. copies of ``pmf`` (``n = 0``: the point mass at 0)."""
    out: NDArray[np.float64] = np.ones(1)
    for _ in range(n):
        out = np.asarray(np.convolve(out, pmf), dtype=np.float64)
    return out


def truncate_tail(pmf_head: NDArray[np.float64], survival: NDArray[np.float64]) -> NDArray[np.float64]:
    """Cut at the first k with P(D > k) <= TAIL_MASS and fold that tail into point k.

    ``pmf_head[k]`` = P(D = k) and ``survival[k]`` = P(D > k) on a long enough grid.
    """
    below = np.nonzero(survival <= TAIL_MASS)[0]
    if not below.size:
        raise ValueError("grid too short to reach the tail mass")
    k = int(below[0])
    out = pmf_head[: k + 1].astype(np.float64).copy()
    out[k] += max(0.0, 1.0 - float(out.sum()))
    return out / out.sum()


def finite_number(value: Any) -> bool:
    """Whether ``value`` is a real number (int or float, numpy's too; not a bool) and finite: the one
    check of the oracles' numeric settings."""
    return (
        not isinstance(value, bool)
        and isinstance(value, int | float | np.integer | np.floating)
        and math.isfinite(value)
    )


def positive_number(spec: str, name: str, text: str) -> float:
    """The number ``text`` of demand spec ``spec`` (finite, > 0), or an InputError naming ``name``."""
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"demand spec {spec!r}: {name} must be a number, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise InputError(f"demand spec {spec!r}: {name} must be a finite number > 0, got {text!r}")
    return value


def _from_scipy(spec: str, dist: stats.rv_discrete, mean: float, sd: float) -> DiscreteDemand:
    top = math.ceil(mean + 60.0 * sd + 60.0)
    if top > MAX_SUPPORT:
        raise InputError(
            f"demand spec {spec!r}: mean {mean:g} and sd {sd:g} are too large for an exact oracle "
            f"(support beyond {MAX_SUPPORT})"
        )
    grid = np.arange(top + 1)
    return DiscreteDemand(spec=spec, pmf=truncate_tail(dist.pmf(grid), dist.sf(grid)))


def _parse_pmf(spec: str, body: str) -> DiscreteDemand:
    parts = [p.strip() for p in body.split(",")]
    values = []
    for i, text in enumerate(parts):
        try:
            v = float(text)
        except ValueError:
            raise InputError(
                f"demand spec {spec!r}: probability {i} must be a number, got {text!r}"
            ) from None
        if not math.isfinite(v) or v < 0:
            raise InputError(f"demand spec {spec!r}: probability {i} must be finite and >= 0, got {text!r}")
        values.append(v)
    total = math.fsum(values)
    if abs(total - 1.0) > PMF_SUM_TOLERANCE:
        raise InputError(f"demand spec {spec!r}: probabilities must sum to 1, got sum {total!r}")
    pmf = np.asarray(values, dtype=np.float64) / total
    last = int(np.nonzero(pmf > 0)[0][-1])
    return DiscreteDemand(spec=spec, pmf=pmf[: last + 1].copy())


def parse_demand(spec: str) -> DiscreteDemand:
    """Parse a demand spec (see the module docstring); a bad one raises :class:`InputError`."""
    kind, _, body = spec.strip().partition(":")
    kind = kind.lower()
    args = body.split(":") if body else []
    if kind == "pmf":
        if not body:
            raise InputError(f"demand spec {spec!r}: pmf needs probabilities, e.g. 'pmf:0.2,0.5,0.3'")
        return _parse_pmf(spec, body)
    if kind in ("poisson", "geometric"):
        if len(args) != 1:
            raise InputError(f"demand spec {spec!r}: {kind} takes one value, MEAN ('{kind}:5'), got {body!r}")
        mean = positive_number(spec, "MEAN", args[0])
        if kind == "poisson":
            return _from_scipy(spec, stats.poisson(mean), mean, math.sqrt(mean))
        a = mean / (1.0 + mean)
        # scipy's geom lives on {1, 2, ...}; shift it to {0, 1, ...}.
        return _from_scipy(spec, stats.geom(1.0 - a, loc=-1), mean, math.sqrt(mean * (1.0 + mean)))
    if kind == "negbin":
        if len(args) != 2:
            raise InputError(f"demand spec {spec!r}: negbin takes MEAN:VAR ('negbin:5:10'), got {body!r}")
        mean = positive_number(spec, "MEAN", args[0])
        var = positive_number(spec, "VAR", args[1])
        if var <= mean:
            raise InputError(f"demand spec {spec!r}: VAR must be > MEAN for negbin, got VAR {args[1]!r}")
        n = mean * mean / (var - mean)
        return _from_scipy(spec, stats.nbinom(n, mean / var), mean, math.sqrt(var))
    raise InputError(
        f"demand spec {spec!r}: unknown distribution {kind!r}; use poisson:MEAN, geometric:MEAN, "
        f"negbin:MEAN:VAR or pmf:P0,P1,..."
    )
