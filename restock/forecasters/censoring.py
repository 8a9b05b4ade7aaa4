"""Right-censored observations: the product-limit (Kaplan-Meier) distribution, plain and weighted.

Sales are demand censored by stock: on a period out of stock (``in_stock < 1``) the sale is a lower bound
of the demand. Quantile forecasters that read a distribution off past values (the quantile forest's leaf
neighbours, the error model's past errors) read it here with the product-limit estimator instead of the
empirical distribution function: sorted by value, each exact value j removes its weight's share of the
mass still at risk, ``S <- S (1 - w_j / R_j)`` with ``R_j`` the weight of the values >= it; a censored
value only leaves the risk set (its mass moves to the larger values). Without censoring this is the
empirical distribution. At tied values the exact ones come first (the usual convention). When the
largest values are censored the estimate never reaches 1; what a level beyond its reach reads is said
where it is read (:func:`censored_quantiles`, :func:`restock.forecasters.forest_quantiles.impute_censored`).

Everything here is a small pure function over arrays (Beran 1981 for the weighted, conditional case:
forest weights as kernel weights).
"""

from __future__ import annotations

import numpy as np

_NEAR_ONE = 1.0 - 1e-15  # the largest hazard kept: log(1 - h) stays finite


def product_limit(weights: np.ndarray, exact: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The product-limit distribution function after each value of consecutive segments.

    ``weights`` and ``exact`` (bool: not censored) are flat [n], ordered by value within each segment
    (exact before censored at ties); ``counts`` [G] the segments' lengths (summing to n). Returns F [n] in
    [0, 1], non-decreasing within each segment: the estimated P(value <= this one) of its segment.
    """
    w = np.asarray(weights, dtype=np.float64)
    counts = np.asarray(counts, dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    seg = np.repeat(np.arange(len(counts)), counts)
    cum = np.concatenate([[0.0], np.cumsum(w)])
    total = (cum[starts + counts] - cum[starts])[seg]
    at_risk = total - (cum[:-1] - cum[starts][seg])  # weight of this value and the larger ones
    with np.errstate(invalid="ignore", divide="ignore"):
        hazard = np.where(exact & (at_risk > 0), w / at_risk, 0.0)
    log_s = np.concatenate([[0.0], np.cumsum(np.log1p(-np.minimum(hazard, _NEAR_ONE)))])
    f = 1.0 - np.exp(log_s[1:] - log_s[starts][seg])
    # float noise must not break monotonicity within a segment (searches rely on it)
    return np.clip(np.maximum.accumulate(f + seg) - seg, 0.0, 1.0)


def censored_quantiles(x: np.ndarray, censored: np.ndarray, quantiles: np.ndarray, axis: int) -> np.ndarray:
    """Product-limit quantiles of ``x`` along ``axis`` ignoring NaN, the quantile axis last.

    ``censored`` (bool, the shape of ``x``) marks lower bounds. The q-quantile is the smallest value whose
    estimated distribution function reaches q. A level it never reaches (the largest values censored:
    nothing says where the rest of the mass lies) reads the larger of the value where the estimate stops
    rising and the q-quantile of the values read as exact (a lower bound: every value bounds its own from
    below), so a slice censored throughout falls back to its values as they are. NaN for a slice with no
    finite value. The analogue of :func:`restock.forecasters.error_model.nan_quantile` for
    censored values (a step quantile: no interpolation between values).
    """
    q = np.asarray(quantiles, dtype=np.float64)
    xs = np.moveaxis(np.asarray(x, dtype=np.float64), axis, -1)
    cs = np.moveaxis(np.asarray(censored, dtype=bool), axis, -1)
    lead = xs.shape[:-1]
    flat, flat_c = xs.reshape(-1, xs.shape[-1]), cs.reshape(-1, xs.shape[-1])
    rows, n = flat.shape
    finite = np.isfinite(flat)
    key = np.where(finite, flat, np.inf)
    order = np.lexsort((flat_c, key), axis=-1) if n else np.zeros((rows, 0), dtype=np.int64)
    vals = np.take_along_axis(key, order, axis=-1)
    fin = np.take_along_axis(finite, order, axis=-1)
    exact = fin & ~np.take_along_axis(flat_c, order, axis=-1)
    f = product_limit(fin.ravel().astype(np.float64), exact.ravel(), np.full(rows, n)).reshape(rows, n)
    count = fin.sum(axis=-1)
    last = np.maximum(count - 1, 0)
    f_top = np.take_along_axis(f, last[:, None], axis=-1)[:, 0]
    f = np.where(fin, f, 2.0)  # NaN slots sort last and are never picked below
    reach = (f >= f_top[:, None] - 1e-12).argmax(axis=-1)  # where the estimate stops rising
    pos = np.empty((rows, len(q)), dtype=np.int64)
    out = np.empty((rows, len(q)))
    for i, level in enumerate(q):
        reached = (f >= level - 1e-12) & fin
        pos[:, i] = np.where(reached.any(axis=-1), reached.argmax(axis=-1), -1)
        if n == 0:
            continue
        km = np.take_along_axis(vals, np.maximum(pos[:, i], 0)[:, None], axis=-1)[:, 0]
        at_reach = np.take_along_axis(vals, reach[:, None], axis=-1)[:, 0]
        step = np.minimum(np.ceil(level * count - 1e-9).astype(np.int64) - 1, last).clip(min=0)
        lower = np.take_along_axis(vals, step[:, None], axis=-1)[:, 0]  # the values read as exact
        out[:, i] = np.where(pos[:, i] >= 0, km, np.maximum(lower, at_reach))
    if n == 0:
        out[:] = np.nan
    out[count == 0] = np.nan
    return out.reshape(*lead, len(q))


def window_censored(censored: np.ndarray, origins: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Which targets of forecasts made at ``origins`` are lower bounds: ([S, N, H], [S, N, H]) bool.

    ``censored`` is [S, T]; at ``[s, i, h-1]`` the first array says whether column ``origins[i] + h`` is
    censored, the second whether any of ``origins[i] + 1 .. origins[i] + h`` is (a sum of values of which
    one is a lower bound is a lower bound). Columns beyond the history are not censored.
    """
    s, t = censored.shape
    cols = origins[:, None] + np.arange(1, horizon + 1)[None, :]
    padded = np.concatenate([censored, np.zeros((s, horizon), dtype=bool)], axis=1)
    per = padded[:, np.minimum(cols, t + horizon - 1)]
    return per, np.logical_or.accumulate(per, axis=2)
