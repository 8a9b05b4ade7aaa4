"""Quantiles of Poisson and negative binomial counts, vectorised: ``scipy.stats.<dist>.ppf`` without its
per-element root finder.

``count_ppf(distribution, q, mean, dispersion)`` is the smallest whole k with CDF(k) >= q, the CDF being
scipy's own: ``special.pdtr(k, mean)`` for Poisson(mean); for the negative binomial with that mean and
variance ``dispersion x mean``, ``special.betainc(size, k + 1, p)`` with size ``mean / (dispersion - 1)``
and success probability p = ``1 / dispersion``. It starts from the Cornish-Fisher expansion around the
normal (within a unit or two of the answer) and steps up, then down, one unit at a time where the CDF
says so: a few vectorised CDF evaluations over the whole array instead of one root finding per element.

``level_quantiles(distribution, mean, levels, dispersion)`` gives the same quantiles at a few levels for
many means (a forecast table: a million SKUs x horizons): for a level q, the quantile is a step function
of the mean, k(mean) = #{j : CDF_mean(j) < q}, and CDF_mean(j) decreases in the mean, so it crosses q at
one mean b_j per j. The b_j (j up to the quantile at the largest mean: hundreds) are found by bisection,
and every mean is placed among them by ``searchsorted``; a mean within the bisection's last interval of
some b_j (a few ulps) is computed by :func:`count_ppf`. The cost is a few CDF evaluations per b_j and a
binary search per element, instead of a root finding per element (scipy: hours for a million SKUs).
"""

from __future__ import annotations

import numpy as np
from scipy import special


def count_ppf(distribution: str, q: np.ndarray, mean: np.ndarray, dispersion: float) -> np.ndarray:
    """The ``q`` quantiles (float64, whole numbers) of Poisson(``mean``) or of the negative binomial of
    that mean and dispersion (``distribution``: ``"poisson"`` or ``"negbin"``); 0 where the mean is 0.

    ``q`` and ``mean`` broadcast together; ``q`` must lie in (0, 1) (scipy gives -1 at 0, inf at 1).
    """
    q, mean = np.broadcast_arrays(np.asarray(q, dtype=np.float64), np.asarray(mean, dtype=np.float64))
    positive = mean > 0
    mu = np.where(positive, mean, 1.0)
    if distribution == "poisson":
        var, skew = mu, 1.0 / np.sqrt(mu)
        size = prob = None
    else:
        size, prob = mu / (dispersion - 1.0), 1.0 / dispersion
        var = dispersion * mu
        skew = (2.0 - prob) / np.sqrt(size * (1.0 - prob))

    def cdf(k: np.ndarray, idx: np.ndarray) -> np.ndarray:
        if size is None:
            return np.asarray(special.pdtr(k, mu.reshape(-1)[idx]))
        return np.asarray(special.betainc(size.reshape(-1)[idx], k + 1.0, prob))

    z = special.ndtri(np.clip(q, 1e-300, None))
    guess = np.floor(mu + np.sqrt(var) * (z + skew * (z * z - 1.0) / 6.0))
    k = np.maximum(np.nan_to_num(guess, nan=0.0, posinf=0.0, neginf=0.0), 0.0).reshape(-1)
    flat_q = q.reshape(-1)
    # up: until CDF(k) >= q
    idx = np.flatnonzero(cdf(k, np.arange(k.size)) < flat_q)
    while idx.size:
        k[idx] += 1.0
        idx = idx[cdf(k[idx], idx) < flat_q[idx]]
    # down: while CDF(k - 1) >= q (k > 0)
    idx = np.flatnonzero(k > 0)
    idx = idx[cdf(k[idx] - 1.0, idx) >= flat_q[idx]]
    while idx.size:
        k[idx] -= 1.0
        idx = idx[k[idx] > 0]
        idx = idx[cdf(k[idx] - 1.0, idx) >= flat_q[idx]]
    return np.where(positive, k.reshape(q.shape), 0.0)


BISECTIONS = 80
"""Halvings of each crossing point's bracket (from [0, largest mean] down to a few ulps)."""


def _cdf(distribution: str, k: np.ndarray, mean: np.ndarray, dispersion: float) -> np.ndarray:
    """CDF at whole k of the count of ``mean`` (scipy's: ``pdtr``, or ``betainc`` for the negbin)."""
    if distribution == "poisson":
        return np.asarray(special.pdtr(k, mean))
    return np.asarray(special.betainc(mean / (dispersion - 1.0), k + 1.0, 1.0 / dispersion))


def level_quantiles(distribution: str, mean: np.ndarray, levels: np.ndarray, dispersion: float) -> np.ndarray:
    """Quantiles [..., Q] at ``levels`` [Q] (in (0, 1)) of the counts of ``mean`` [...]: the values of
    :func:`count_ppf` (see the module docstring); 0 where the mean is 0."""
    mean = np.asarray(mean, dtype=np.float64)
    out = np.zeros((*mean.shape, len(levels)))
    top = float(mean.max(initial=0.0))
    if top <= 0:
        return out
    for i, q in enumerate(np.asarray(levels, dtype=np.float64)):
        n_steps = int(count_ppf(distribution, np.array([q]), np.array([top]), dispersion)[0])
        if n_steps * BISECTIONS > 4 * mean.size:  # few means, or huge ones: element by element is cheaper
            out[..., i] = count_ppf(distribution, np.full(mean.shape, q), mean, dispersion)
            continue
        j = np.arange(n_steps, dtype=np.float64)
        # CDF_mean(j) >= q at lo, < q at hi (at the largest mean the quantile is n_steps > j)
        lo, hi = np.zeros(n_steps), np.full(n_steps, top)
        for _ in range(BISECTIONS):
            mid = 0.5 * (lo + hi)
            above = _cdf(distribution, j, np.maximum(mid, 1e-300), dispersion) >= q
            lo, hi = np.where(above, mid, lo), np.where(above, hi, mid)
        lo = np.maximum.accumulate(lo)  # a lower bound for j is one for every larger j
        hi = np.minimum.accumulate(hi[::-1])[::-1]  # an upper bound for j is one for every smaller j
        sure = np.searchsorted(hi, mean, side="right")  # j with CDF_mean(j) < q for certain
        most = np.searchsorted(lo, mean, side="left")  # j whose CDF_mean(j) may be < q
        k = sure.astype(np.float64)
        unsure = np.flatnonzero((most != sure).reshape(-1) & (mean.reshape(-1) > 0))
        if unsure.size:
            k.reshape(-1)[unsure] = count_ppf(
                distribution, np.full(unsure.size, q), mean.reshape(-1)[unsure], dispersion
            )
        out[..., i] = np.where(mean > 0, k, 0.0)
    return out


TIE = 1e-12
"""A CDF within this of a level counts as reaching it (sums of a pmf with round probabilities, such as
uniform demand, hit levels such as 0.2 exactly, up to rounding)."""


def pmf_sum_quantiles(pmf: np.ndarray, periods: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Quantiles [K, Q] at ``levels`` [Q] of the sum of k independent periods with P(D = j) = ``pmf[j]``,
    for each k of ``periods`` [K] (k >= 1): the smallest whole x with P(sum <= x) >= level (the
    convention of :func:`count_ppf`), the distribution of each sum by repeated convolution."""
    pmf = np.asarray(pmf, dtype=np.float64)
    periods = np.asarray(periods, dtype=np.int64)
    levels = np.asarray(levels, dtype=np.float64)
    out = np.zeros((len(periods), len(levels)))
    wanted = {int(k): i for i, k in enumerate(periods)}
    power = np.ones(1)
    for k in range(1, int(periods.max(initial=0)) + 1):
        power = np.convolve(power, pmf)
        if k in wanted:
            cdf = np.cumsum(power)
            out[wanted[k]] = np.minimum(np.searchsorted(cdf, levels - TIE, side="left"), len(cdf) - 1)
    return out
