"""The empirical error model's pure functions: known answers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from restock.forecasters.error_model import (
    PooledErrors,
    blend_quantiles,
    nan_quantile,
    origin_errors,
    recent_scale,
)

Q = np.array([0.05, 0.1, 0.5, 0.9, 0.98])


@settings(max_examples=60, deadline=None)
@given(
    arrays(
        float,
        st.tuples(st.integers(1, 4), st.integers(1, 9), st.integers(1, 3)),
        elements=st.one_of(st.floats(-1e6, 1e6), st.just(np.nan)),
    )
)
def test_nan_quantile_matches_numpy(x: np.ndarray) -> None:
    got = nan_quantile(x, Q, axis=1)
    has = np.isfinite(x).any(axis=1)
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning) if not has.all() else _null():
        want = np.moveaxis(np.nanquantile(x, Q, axis=1), 0, -1)
    np.testing.assert_allclose(got[has], want[has], rtol=1e-9, atol=1e-6)
    assert np.isnan(got[~has]).all()


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *args: object) -> None:
        return None


def test_origin_errors_known_values() -> None:
    demand = np.array([[1.0, 2.0, 4.0, 8.0]])
    forecasts = np.full((1, 2, 2), 3.0)  # made at columns 1 and 2, for h = 1, 2
    err, cum = origin_errors(demand, forecasts, np.array([1, 2]))
    np.testing.assert_array_equal(err[0, 0], [1.0, 5.0])  # 4-3, 8-3
    np.testing.assert_array_equal(cum[0, 0], [1.0, 6.0])  # 4-3, (4+8)-6
    assert err[0, 1, 0] == 5.0 and np.isnan(err[0, 1, 1])  # column 4 is beyond the history
    assert np.isnan(cum[0, 1, 1])


def test_blend_weights_own_errors_by_credibility() -> None:
    own = np.zeros((2, 30, 1))
    own[0] = 2.0  # series 0: 30 errors of 2
    own[1] = np.nan  # series 1: none
    pooled = np.full((1, 1), -1.0)  # scaled pooled error quantile
    out = blend_quantiles(
        own, pooled, scale=np.array([1.0, 4.0]), quantiles=np.array([0.5]), prior_errors=10.0
    )
    assert out[0, 0, 0] == pytest.approx(0.75 * 2.0 + 0.25 * -1.0)
    assert out[1, 0, 0] == pytest.approx(-4.0)  # pool only, times the series' scale


def test_pool_reproduces_a_known_distribution() -> None:
    rng = np.random.default_rng(0)
    scale = np.array([1.0, 10.0, 100.0])
    errors = rng.normal(size=(3, 20_000, 2)) * scale[:, None, None]  # scaled: standard normal
    pool = PooledErrors.from_errors(errors, errors, scale)
    per_bucket, cumulative = pool.at(np.array([0.1, 0.5, 0.9]), horizon=2)
    np.testing.assert_allclose(per_bucket, [[-1.2816, 0.0, 1.2816]] * 2, atol=0.03)
    assert pool.horizon == 2 and cumulative.shape == (2, 3)


def test_recent_scale_falls_back_to_whole_history() -> None:
    demand = np.array(
        [
            [np.nan, 4.0, 0.0, 2.0, 4.0],
            [6.0, 0.0, 0.0, 0.0, np.nan],
            [np.nan, np.nan, np.nan, np.nan, np.nan],
        ]
    )
    scale = recent_scale(demand, window=2)
    assert scale[0] == pytest.approx(3.0)
    assert scale[1] == pytest.approx(1.5)  # recent window all zero -> mean of all history
    assert np.isnan(scale[2])
