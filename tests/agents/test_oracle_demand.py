"""Demand specs of the exact oracle: parsing, truncation, and errors that name the spec and the value."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from restock.agents.oracle.demand import TAIL_MASS, convolve_power, parse_demand
from restock.errors import InputError


@pytest.mark.parametrize(
    ("spec", "mean", "var"),
    [
        ("poisson:5", 5.0, 5.0),
        ("poisson:0.3", 0.3, 0.3),
        ("geometric:4", 4.0, 20.0),
        ("negbin:5:12", 5.0, 12.0),
    ],
)
def test_unbounded_specs_keep_mean_and_variance(spec: str, mean: float, var: float) -> None:
    d = parse_demand(spec)
    assert d.pmf.sum() == pytest.approx(1.0, abs=1e-12)
    assert (d.pmf >= 0).all()
    assert d.mean == pytest.approx(mean, rel=1e-7)
    assert d.variance == pytest.approx(var, rel=1e-6)


def test_poisson_truncation_point_and_folded_tail() -> None:
    d = parse_demand("poisson:5")
    k = d.max_demand
    assert stats.poisson(5).sf(k) <= TAIL_MASS < stats.poisson(5).sf(k - 1)
    np.testing.assert_allclose(d.pmf[:-1], stats.poisson(5).pmf(np.arange(k)), rtol=1e-12)
    assert d.pmf[-1] == pytest.approx(stats.poisson(5).pmf(k) + stats.poisson(5).sf(k), rel=1e-9)


def test_geometric_is_on_zero_one_two() -> None:
    d = parse_demand("geometric:1")  # a = 1/2: P(k) = 2^-(k+1)
    np.testing.assert_allclose(d.pmf[:4], [0.5, 0.25, 0.125, 0.0625], rtol=1e-12)


def test_explicit_pmf_and_quantile() -> None:
    d = parse_demand("pmf:0.2,0.5,0.3")
    np.testing.assert_allclose(d.pmf, [0.2, 0.5, 0.3])
    assert [d.quantile(f) for f in (0.1, 0.2, 0.5, 0.7, 0.71, 1.0)] == [0, 0, 1, 1, 2, 2]
    assert parse_demand("pmf:0.5,0.5,0,0").max_demand == 1  # trailing zeros dropped


def test_convolve_power_is_the_sum_distribution() -> None:
    d = parse_demand("poisson:2")
    three = convolve_power(d.pmf, 3)
    np.testing.assert_allclose(three[:20], stats.poisson(6).pmf(np.arange(20)), atol=1e-8)
    assert convolve_power(d.pmf, 0).tolist() == [1.0]


@pytest.mark.parametrize(
    ("spec", "names"),
    [
        ("poisson:-1", ["poisson:-1", "-1"]),
        ("poisson:abc", ["poisson:abc", "abc"]),
        ("poisson:nan", ["poisson:nan", "nan"]),
        ("poisson", ["poisson"]),
        ("geometric:0", ["geometric:0", "0"]),
        ("negbin:5:4", ["negbin:5:4", "VAR", "4"]),
        ("negbin:5", ["negbin:5"]),
        ("pmf:0.2,0.2", ["pmf:0.2,0.2", "sum"]),
        ("pmf:0.5,-0.5,1", ["-0.5"]),
        ("pmf:", ["pmf"]),
        ("weibull:3", ["weibull:3", "weibull"]),
        ("poisson:1e9", ["poisson:1e9"]),
    ],
)
def test_bad_specs_name_the_spec_and_the_value(spec: str, names: list[str]) -> None:
    with pytest.raises(InputError) as info:
        parse_demand(spec)
    message = str(info.value)
    assert "\n" not in message
    for name in names:
        assert name in message


def test_negbin_matches_scipy_parametrization() -> None:
    d = parse_demand("negbin:4:10")
    n, prob = 16 / 6, 0.4
    np.testing.assert_allclose(d.pmf[:15], stats.nbinom(n, prob).pmf(np.arange(15)), rtol=1e-9)
    assert math.isclose(d.mean, 4.0, rel_tol=1e-7)
