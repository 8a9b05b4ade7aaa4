"""The vectorised count quantiles are scipy's ppf, value for value."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from restock.scenarios.counts import count_ppf, level_quantiles

LEVELS = np.array([1e-6, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999])


def _scipy(distribution: str, q: np.ndarray, mean: np.ndarray, dispersion: float) -> np.ndarray:
    if distribution == "poisson":
        out = stats.poisson.ppf(q, mean)
    else:
        size = mean / (dispersion - 1.0)
        out = stats.nbinom.ppf(q, np.where(size > 0, size, 1.0), 1.0 / dispersion)
    return np.where(mean > 0, out, 0.0)


@pytest.mark.parametrize(("distribution", "dispersion"), [("poisson", 1.0), ("negbin", 2.0), ("negbin", 5.0)])
def test_level_and_count_quantiles_are_scipys(distribution: str, dispersion: float) -> None:
    rng = np.random.default_rng(3)
    mean = np.concatenate([[0.0, 1e-4, 0.5, 1.0, 2.0], rng.uniform(0, 4, 400), rng.uniform(4, 300, 2000)])
    q = np.broadcast_to(LEVELS, (mean.size, LEVELS.size))
    want = _scipy(distribution, q, np.broadcast_to(mean[:, None], q.shape), dispersion)
    # the crossing-point search (many means) and the element-by-element one (few means) agree with scipy
    np.testing.assert_array_equal(level_quantiles(distribution, mean, LEVELS, dispersion), want)
    np.testing.assert_array_equal(level_quantiles(distribution, mean[:7], LEVELS, dispersion), want[:7])
    np.testing.assert_array_equal(count_ppf(distribution, q, mean[:, None], dispersion), want)


def test_level_quantiles_of_a_table_keep_its_shape() -> None:
    mean = np.array([[[1.0, 2.0], [0.0, 7.5]]])
    out = level_quantiles("negbin", mean, LEVELS[:3], 2.0)
    assert out.shape == (1, 2, 2, 3)
    assert (out[0, 1, 0] == 0).all() and (np.diff(out, axis=-1) >= 0).all()
