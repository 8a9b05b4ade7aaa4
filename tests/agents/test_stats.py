import numpy as np
import pytest
from scipy import stats

from restock.agents.stats import paired_difference


def test_paired_difference_matches_scipy_t_interval() -> None:
    rng = np.random.default_rng(0)
    b = rng.normal(100, 10, size=12)
    a = b + rng.normal(3, 1, size=12)
    res = paired_difference(a, b)
    d = a - b
    lo, hi = stats.t.interval(0.95, df=11, loc=d.mean(), scale=stats.sem(d))
    assert res.mean == pytest.approx(d.mean())
    assert (res.ci_low, res.ci_high) == pytest.approx((lo, hi))
    assert res.relative == pytest.approx(d.mean() / abs(b.mean()))


def test_pairing_removes_common_noise() -> None:
    # A constant improvement of 1 under huge common noise: the paired CI is tight around 1.
    rng = np.random.default_rng(1)
    b = rng.normal(0, 1000, size=20)
    res = paired_difference(b + 1.0, b)
    assert res.ci_low == pytest.approx(1.0) and res.ci_high == pytest.approx(1.0)


def test_single_pair_has_infinite_interval_and_bad_shapes_raise() -> None:
    res = paired_difference(np.array([2.0]), np.array([1.0]))
    assert res.ci_low == -np.inf and res.ci_high == np.inf
    with pytest.raises(ValueError, match="equal-length"):
        paired_difference(np.ones(3), np.ones(4))
