"""Normal demand censored at zero: draws by inversion, moments, and exact quantiles of sums.

The model of ``[demand] distribution = "normal"`` (key ``cv``). In a period whose mean rate is ``m`` (the
SKU's catalog mean x the node's demand share x the demand shocks), demand is

    D = max(0, X),   X ~ Normal(m, (cv m)^2)

**censored** at zero, not truncated: the probability Phi(-1/cv) that X falls below 0 becomes an atom of
demand 0 (nothing is redrawn), so the mean shifts up. Demand is a real number, never rounded (both
engines take real demand). With phi, Phi the standard normal density and distribution function, mu = m,
sigma = cv m and a = mu / sigma = 1 / cv:

    E[D]     = mu Phi(a) + sigma phi(a)                  (>= mu)
    E[D^2]   = (mu^2 + sigma^2) Phi(a) + mu sigma phi(a)
    P(D = 0) = Phi(-a)

so E[D] / m = Phi(1/cv) + cv phi(1/cv): 1 + 3e-5 at cv = 0.3, 1.0043 at cv = 0.5, 1.083 at cv = 1.
D = m Y with Y = max(0, 1 + cv Z) one shape for every rate: a demand shock multiplies demand itself.

Draws are by inversion, D = m max(0, 1 + cv Phi^-1(u)) (:func:`draw`), like the integer models of
:func:`restock.scenarios.build.stationary_demand`: the same uniforms give the same demand wherever the rate
is the same (common random numbers across scenarios), and more demand wherever it is higher.

A sum of censored normals is not normal (nor is a sum's quantile a sum of quantiles):
:func:`window_quantiles` computes the quantiles of sums of independent ``s Y`` terms numerically, by a
discretized convolution. Each term's distribution is put on a grid of step ``h`` (the mass of
[(i - 1/2) h, (i + 1/2) h) at i h, the atom at 0 in cell 0), the terms' grids are multiplied in Fourier
space (FFT), and the sum's distribution function, read at the cell edges, is interpolated linearly; the
sum's atom at 0 (the product of its terms' atoms) is exact. Errors:

* rounding a term to the grid moves it by at most h / 2, so a sum of n terms by at most n h / 2; in
  practice the roundings nearly cancel, adding a variance of about n h^2 / 12. The grid keeps h below
  1/32 (``cells_per_sd``) of the terms' root-mean-square standard deviation, so that this is below
  1e-4 of the sum's variance. Sums are done in octaves of their length (1, 2-3, 4-7, ... periods),
  each on its own grid of at most :data:`MAX_GRID` cells;
* the grid covers E[S] + 10 L, L^2 = sum (cv s)^2: S is an L-Lipschitz function of normal variables, so
  the mass beyond (the only mass lost, or wrapped around by the FFT) is below exp(-50) ~ 2e-22.

Measured (``tests/scenarios/test_censored_normal.py``): within 3e-4 of cv x m of the closed form for one
period, within 2e-4 standard deviations of the normal law where censoring is negligible (cv = 0.1, up to
60 periods), within 5e-4 standard deviations of a grid 16 times finer (the largest gaps are low
quantiles of sums that are often near 0, and the far tail of one period), and within Monte-Carlo error
of 200,000 draws where censoring matters (cv = 0.8 and 2).
"""

from __future__ import annotations

import numpy as np
from scipy import special

TAIL_LIPSCHITZ = 10.0
"""The grid covers E[S] + TAIL_LIPSCHITZ x L (see the module docstring): P(beyond) < exp(-50)."""
CELLS_PER_SD = 32
"""Default least number of grid cells per root-mean-square standard deviation of a sum's terms."""
MIN_GRID = 2**8
MAX_GRID = 2**16
"""Fewest and most grid cells (powers of two)."""


def unit_moments(cv: float) -> tuple[float, float]:
    """(mean, variance) of Y = max(0, 1 + cv Z): demand per unit of its rate (module docstring)."""
    mean, var = moments(1.0, cv)
    return float(mean), float(var)


def moments(mu: np.ndarray | float, sigma: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """(mean, variance) of max(0, X) for X ~ Normal(mu, sigma^2), sigma > 0 (the closed forms above)."""
    mu, sigma = np.asarray(mu, dtype=np.float64), np.asarray(sigma, dtype=np.float64)
    a = mu / sigma
    cdf, pdf = special.ndtr(a), np.exp(-0.5 * a * a) / np.sqrt(2.0 * np.pi)
    mean = mu * cdf + sigma * pdf
    second = (mu * mu + sigma * sigma) * cdf + mu * sigma * pdf
    return mean, second - mean * mean


def draw(rate: np.ndarray, cv: float, uniforms: np.ndarray) -> np.ndarray:
    """Demand by inversion: the ``uniforms`` quantile of max(0, Normal(rate, (cv rate)^2)), shaped like the
    uniforms (``rate`` broadcasts against them; 0 where the rate is 0)."""
    shape = np.maximum(0.0, 1.0 + cv * special.ndtri(uniforms))
    return np.asarray(rate, dtype=np.float64) * shape


def window_quantiles(
    scales: np.ndarray,
    starts: np.ndarray,
    lengths: np.ndarray,
    cv: float,
    levels: np.ndarray,
    *,
    cells_per_sd: int = CELLS_PER_SD,
) -> np.ndarray:
    """[W, K, Q] quantiles of windowed sums of independent censored normals.

    ``scales`` [T, C]: period t holds C independent terms ``scales[t, c] x Y`` (Y = max(0, 1 + cv Z), so
    a term is max(0, Normal(s, (cv s)^2)); scale 0 is no demand). For each window ``starts[w]`` and each
    length ``lengths[k]`` (increasing, >= 1), the ``levels`` quantiles of the sum over the periods
    ``starts[w] .. starts[w] + lengths[k] - 1`` (which must lie inside ``scales``). Windows with the same
    scales are computed once, and so are periods with the same scales.
    """
    scales = np.asarray(scales, dtype=np.float64)
    starts = np.asarray(starts, dtype=np.int64)
    lengths = np.asarray(lengths, dtype=np.int64)
    levels = np.asarray(levels, dtype=np.float64)
    if scales.ndim != 2 or (scales < 0).any() or not np.isfinite(scales).all():
        raise ValueError(f"window_quantiles: scales must be [T, C], finite and >= 0, got {scales.shape}")
    if lengths.ndim != 1 or len(lengths) == 0 or lengths[0] < 1 or (np.diff(lengths) <= 0).any():
        raise ValueError(f"window_quantiles: lengths must increase from >= 1, got {lengths.tolist()}")
    longest = int(lengths[-1])
    if len(starts) and (starts.min() < 0 or starts.max() + longest > scales.shape[0]):
        raise ValueError("window_quantiles: a window reaches outside the scales")
    out = np.zeros((len(starts), len(lengths), len(levels)))
    done: dict[bytes, np.ndarray] = {}
    for w, start in enumerate(starts):
        window = scales[start : start + longest]
        key = window.tobytes()
        if key not in done:
            done[key] = _window_quantiles(window, lengths, cv, levels, cells_per_sd)
        out[w] = done[key]
    return out


def _window_quantiles(
    scales: np.ndarray, lengths: np.ndarray, cv: float, levels: np.ndarray, cells_per_sd: int
) -> np.ndarray:
    """[K, Q] quantiles of the sums over the first ``lengths[k]`` periods of ``scales`` [L, C].

    Lengths are done in octaves (1, 2-3, 4-7, ...), each on one grid fitted to its sums (module
    docstring): a sum of 40 periods needs no grid fine enough for one period.
    """
    octave = np.floor(np.log2(lengths)).astype(np.int64)
    out = np.zeros((len(lengths), len(levels)))
    for o in np.unique(octave):
        part = octave == o
        out[part] = _prefix_quantiles(scales, lengths[part], cv, levels, cells_per_sd)
    return out


def _prefix_quantiles(
    scales: np.ndarray, lengths: np.ndarray, cv: float, levels: np.ndarray, cells_per_sd: int
) -> np.ndarray:
    """[K, Q] quantiles of the sums over the first ``lengths[k]`` periods of ``scales``, on one grid."""
    out = np.zeros((len(lengths), len(levels)))
    scales = scales[: lengths[-1]]
    unit_mean, unit_var = unit_moments(cv)
    squares = (scales * scales).sum(axis=1)
    var = np.cumsum(unit_var * squares)[lengths - 1]
    count = np.cumsum((scales > 0).sum(axis=1))[lengths - 1]
    upper = float(unit_mean * scales.sum() + TAIL_LIPSCHITZ * cv * np.sqrt(squares.sum()))
    if upper <= 0:
        return out  # no demand in these periods
    # rounding n terms to the grid adds a variance of about n h^2 / 12: keep h below the terms' rms sd
    rms = np.sqrt(var[count > 0] / count[count > 0])
    cells = 2 ** int(np.ceil(np.log2(max(cells_per_sd * upper / float(rms.min()), 1.0))))
    n = int(min(max(cells, MIN_GRID), MAX_GRID))
    h = upper / (n - 1)
    edges = (np.arange(n) + 0.5) * h  # cell i holds [(i - 1/2) h, (i + 1/2) h); cell 0 from 0 (the atom)
    x = np.concatenate([[0.0], edges])
    log_atom = float(special.log_ndtr(-1.0 / cv))  # log P(Y = 0)
    steps: dict[bytes, np.ndarray] = {}  # a period's Fourier transform (the product of its terms')
    wanted = {int(k): j for j, k in enumerate(lengths)}
    g = np.ones(n // 2 + 1, dtype=complex)
    terms = 0
    for t, row in enumerate(scales):
        key = row.tobytes()
        if key not in steps:
            steps[key] = np.prod([np.fft.rfft(_term_pmf(s, cv, edges)) for s in row[row > 0]], axis=0)
        g = g * steps[key]
        terms += int((row > 0).sum())
        k = wanted.get(t + 1)
        if k is not None and terms:
            cdf = np.cumsum(np.fft.irfft(g, n=n))
            out[k] = _interpolated_quantiles(x, np.exp(terms * log_atom), cdf, levels)
    return out


def _term_pmf(scale: float, cv: float, edges: np.ndarray) -> np.ndarray:
    """Masses of scale x Y in the grid cells whose upper edges are ``edges`` (cell 0 holds the atom); 0
    beyond scale x (1 + TAIL_LIPSCHITZ cv), where less than Phi(-TAIL_LIPSCHITZ) ~ 8e-24 lies."""
    top = min(int(np.searchsorted(edges, scale * (1.0 + TAIL_LIPSCHITZ * cv))) + 1, len(edges))
    a = (edges[:top] / scale - 1.0) / cv  # Z at each upper edge
    below, above = special.ndtr(a), special.ndtr(-a)
    pmf = np.zeros(len(edges))
    pmf[0] = below[0]
    # differences of the lower tail left of the mean, of the upper tail right of it (no cancellation)
    pmf[1:top] = np.where(a[:-1] >= 0, above[:-1] - above[1:], below[1:] - below[:-1])
    return pmf


def _interpolated_quantiles(x: np.ndarray, atom: float, cdf: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Quantiles of a distribution with ``atom`` at 0 and distribution function ``cdf`` at ``x[1:]``,
    linear in between (0 for a level at or below the atom)."""
    f = np.maximum.accumulate(np.concatenate([[atom], np.clip(cdf, atom, 1.0)]))
    j = np.minimum(np.searchsorted(f, levels, side="left"), len(f) - 1)  # first point with F >= level
    lo = np.maximum(j - 1, 0)
    span = f[j] - f[lo]
    frac = np.where(span > 0, (levels - f[lo]) / np.where(span > 0, span, 1.0), 1.0)
    return np.where(levels <= atom, 0.0, x[lo] + np.clip(frac, 0.0, 1.0) * (x[j] - x[lo]))
