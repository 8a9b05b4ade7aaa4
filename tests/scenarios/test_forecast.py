"""The scenario forecast table: exact quantiles, interpolation, foresight, networks, rolling origin."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scenario_tables import scenario, with_shocks
from scipy import stats

from restock.errors import InputError
from restock.scenarios import draw
from restock.scenarios.forecast import forecast_table

SINGLE = {
    "vendors": [{"name": "vendor", "lead_time": {"kind": "deterministic", "value": 3}}],
    "nodes": [{"name": "store", "source": "vendor"}],
}


def test_true_table_is_exact_for_poisson_sums() -> None:
    d = draw(scenario(**SINGLE), 0, 2)
    f = forecast_table(d)
    assert f.model == "true" and list(f.review_periods) == [0, 7, 14, 21]
    assert list(f.cover) == list(range(1, 57))  # max(lead time 3 + 2 reviews of 7, 8 buckets of 7)
    for k in (1, 4, 10):
        np.testing.assert_array_equal(
            f.cumulative[0, 0, 0, 2, k - 1], stats.poisson.ppf(f.quantiles, 4.0 * k)
        )
    np.testing.assert_array_equal(f.per_bucket[0, 0, 0, 0, 3], stats.poisson.ppf(f.quantiles, 28.0))


def test_true_table_is_exact_for_negbin_sums_and_calibrated_on_the_paths() -> None:
    demand = {"kind": "stationary", "distribution": "negbin", "mean": 4.0, "dispersion": 3.0}
    d = draw(scenario(demand=demand, **SINGLE), 4, 400)
    f = forecast_table(d)
    k = 10
    # NB with mean 40 and variance 120 over 10 periods: size 20, success probability 1/3
    np.testing.assert_array_equal(f.cumulative[0, 0, 0, 0, k - 1], stats.nbinom.ppf(f.quantiles, 20.0, 1 / 3))
    sums = d.paths.demand[:, 7 : 7 + k, 0, :].sum(axis=1)  # [P, N] demand over the cover from review 1
    for tau in (0.5, 0.9):
        q = f.cumulative_quantiles(1, k, tau)[0, 0]
        share = (sums <= q[None, :]).mean()
        assert tau - 0.04 < share < tau + 0.08  # discrete: P(S <= q_tau) >= tau


def test_reads_interpolate_linearly_in_tau_and_horizon() -> None:
    f = forecast_table(draw(scenario(**SINGLE), 0, 1))
    levels = list(f.quantiles)
    i, j = levels.index(0.8), levels.index(0.9)
    lo, hi = f.cumulative[0, 0, 0, 1, 6, i], f.cumulative[0, 0, 0, 1, 6, j]
    assert f.cumulative_quantile(0, 2, 1, 7, 0.85) == pytest.approx((lo + hi) / 2)
    a, b = f.cumulative[0, 0, 0, 1, 5, j], f.cumulative[0, 0, 0, 1, 6, j]
    assert f.cumulative_quantile(0, 2, 1, 6.25, 0.9) == pytest.approx(0.75 * a + 0.25 * b)
    assert f.cumulative_quantile(0, 2, 1, 0.5, 0.9) == pytest.approx(0.5 * f.cumulative[0, 0, 0, 1, 0, j])
    # vectorized: a tau and a horizon per SKU
    out = f.cumulative_quantiles(1, np.arange(1, 7), np.full(6, 0.9))
    assert out.shape == (1, 1, 6)
    np.testing.assert_array_equal(out[0, 0], f.cumulative[0, 0, 0, np.arange(6), np.arange(6), j])
    with pytest.raises(InputError, match="tau"):
        f.cumulative_quantiles(0, 7, 0.9999)
    with pytest.raises(InputError, match="horizon"):
        f.cumulative_quantiles(0, 57, 0.5)
    with pytest.raises(InputError, match="not a review"):
        f.review_index(3)
    assert f.review_index(14) == 2


def test_cumulative_by_bucket_reads_whole_review_periods() -> None:
    d = draw(scenario(forecast={"max_cover": 28, "buckets": 4}, **SINGLE), 0, 1)
    f = forecast_table(d)
    by_bucket = f.cumulative_by_bucket()
    assert by_bucket.shape == (1, 1, 1, 6, 4, len(f.quantiles))
    np.testing.assert_array_equal(by_bucket[..., 1, :], f.cumulative[..., 13, :])


def test_foresight_sees_the_shocked_rates_and_surprise_does_not() -> None:
    shock = {"kind": "demand_multiplier", "start": 7, "end": 14, "factor": 3.0, "category": "apparel"}
    blind = forecast_table(draw(with_shocks(shock, **SINGLE), 0, 1))
    seen = forecast_table(draw(with_shocks(shock, forecast={"foresee": True}, **SINGLE), 0, 1))
    assert blind.cumulative.shape[1] == 1 and seen.cumulative.shape[1] == 4
    # review 1 (period 7), apparel SKU 4, cover 10: 7 shocked periods at 12 and 3 at 4
    np.testing.assert_array_equal(
        seen.cumulative[0, 1, 0, 4, 9], stats.poisson.ppf(seen.quantiles, 7 * 12 + 3 * 4)
    )
    np.testing.assert_array_equal(blind.cumulative[0, 0, 0, 4, 9], stats.poisson.ppf(blind.quantiles, 40))
    # review 0 sees the shock in the second week; staples never change
    np.testing.assert_array_equal(seen.per_bucket[0, 0, 0, 4, 1], stats.poisson.ppf(seen.quantiles, 84))
    np.testing.assert_array_equal(seen.cumulative[0, :, 0, 0], blind.cumulative[0, np.zeros(4, int), 0, 0])


def test_a_warehouse_sees_the_demand_of_the_stores_it_feeds() -> None:
    nodes = [
        {"name": "dc", "source": "vendor", "customer_facing": False},
        {"name": "a", "source": "dc", "transfer_lead_time": 1},
        {"name": "b", "source": "dc", "transfer_lead_time": 1, "demand_share": 0.5},
    ]
    f = forecast_table(draw(scenario(nodes=nodes, vendors=SINGLE["vendors"]), 0, 1))
    for m, rate in ((0, 6.0), (1, 4.0), (2, 2.0)):
        np.testing.assert_array_equal(f.cumulative[0, 0, m, 0, 4], stats.poisson.ppf(f.quantiles, 5 * rate))


def test_forecaster_table_is_rolling_origin_and_never_looks_ahead() -> None:
    s = scenario(
        warmup=70,
        horizon=42,
        forecast={"model": "seasonal-naive", "buckets": 2, "max_cover": 14, "quantiles": [0.1, 0.5, 0.9]},
        **SINGLE,
    )
    d = draw(s, 0, 2)
    f = forecast_table(d)
    assert f.cumulative.shape == (2, 6, 1, 6, 2, 3) and list(f.cover) == [7, 14]
    assert (np.diff(f.cumulative, axis=-1) >= 0).all() and (f.cumulative >= 0).all()
    # scramble everything from period 21 on: the forecasts at reviews 0, 7, 14 and 21 must not move
    demand = d.paths.demand.copy()
    demand[:, 21:] = demand[:, 21:][:, ::-1] * 3 + 5
    changed = dataclasses.replace(d, paths=dataclasses.replace(d.paths, demand=demand))
    g = forecast_table(changed)
    np.testing.assert_array_equal(g.cumulative[:, :4], f.cumulative[:, :4])
    assert not np.array_equal(g.cumulative[:, 4:], f.cumulative[:, 4:])


def test_a_short_history_for_a_forecaster_is_an_error() -> None:
    s = scenario(warmup=14, forecast={"model": "seasonal-naive", "buckets": 4}, **SINGLE)
    with pytest.raises(InputError, match=r"'warmup' \(14\)"):
        forecast_table(draw(s, 0, 1))


def test_an_unknown_forecaster_is_refused_at_load() -> None:
    with pytest.raises(InputError, match=r"'forecast.model'.*'prophecy'"):
        scenario(forecast={"model": "prophecy"})
