"""Paired comparison statistics: small pure functions.

Every policy is evaluated on the same exogenous paths (common random numbers), so a comparison is a
*paired* difference per seed. Its mean and Student-t 95% confidence interval are what a saving means.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class PairedDifference:
    """Mean of ``a - b`` over paired samples, with a two-sided confidence interval."""

    mean: float
    ci_low: float
    ci_high: float
    n: int
    relative: float
    """Mean difference relative to |mean of b| (NaN when mean of b is 0)."""


def paired_difference(a: np.ndarray, b: np.ndarray, confidence: float = 0.95) -> PairedDifference:
    """Mean and t-interval of ``a - b`` for paired samples (one value per seed/path).

    With a single pair the interval is infinite; with zero variance it collapses to the mean.
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if a.shape != b.shape or a.ndim != 1 or a.size == 0:
        raise ValueError(f"paired_difference needs two equal-length 1-d samples, got {a.shape} and {b.shape}")
    d = a - b
    mean = float(d.mean())
    base = float(np.abs(b.mean()))
    rel = mean / base if base > 0 else float("nan")
    if d.size == 1:
        return PairedDifference(mean, -np.inf, np.inf, 1, rel)
    sem = float(d.std(ddof=1) / np.sqrt(d.size))
    half = float(stats.t.ppf(0.5 + confidence / 2, df=d.size - 1)) * sem
    return PairedDifference(mean, mean - half, mean + half, int(d.size), rel)
