"""The true-distribution forecaster: exact closed forms and convolutions, calibration on fresh draws."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from restock.data import aggregate
from restock.data.panel import DemandPanel
from restock.data.synthetic import SyntheticConfig, SyntheticTruth, generate_catalog
from restock.errors import InputError
from restock.forecasters import make
from restock.forecasters.true_distribution import TrueDistributionForecaster, sum_pmfs
from restock.seeding import generator

Q = (0.02, 0.1, 0.25, 0.5, 0.75, 0.9, 0.98)
QA = np.array(Q)
START = pd.Timestamp("2022-01-01")  # a Saturday


def _truth(mu: np.ndarray, size: float, zero_prob: float = 0.0, spike_prob: float = 0.0) -> SyntheticTruth:
    s, t = mu.shape
    return SyntheticTruth(
        series_ids=[f"s{i}" for i in range(s)],
        dates=pd.date_range(START, periods=t, freq="D"),
        mu=mu,
        size=np.full(s, size),
        zero_prob=np.full(s, zero_prob),
        spike_prob=np.full(s, spike_prob),
        spike_scale=np.full(s, 5.0),
        spike_size=1.0,
        span=np.tile([0, t], (s, 1)),
    )


def _weekly_panel(truth: SyntheticTruth) -> DemandPanel:
    weeks = pd.date_range(START, periods=len(truth.dates) // 7, freq="W-SAT")
    frame = pd.DataFrame(
        [{"series_id": s, "date": w, "demand": 1.0} for s in truth.series_ids for w in weeks]
    )
    return DemandPanel.from_frame(frame, freq="W-SAT")


@pytest.mark.parametrize("m", [0.3, 2.5, 40.0])
def test_poisson_days_give_poisson_weeks_exactly(m: float) -> None:
    truth = _truth(np.full((2, 7 * 20), m), size=np.inf)
    panel = _weekly_panel(truth)
    fc = TrueDistributionForecaster(truth).fit(panel).predict(panel, panel.dates[9], horizon=6, quantiles=Q)
    for h in range(6):
        np.testing.assert_array_equal(fc.per_bucket[:, h], np.tile(stats.poisson.ppf(QA, 7 * m), (2, 1)))
        np.testing.assert_array_equal(
            fc.cumulative[:, h], np.tile(stats.poisson.ppf(QA, 7 * m * (h + 1)), (2, 1))
        )


def test_negative_binomial_days_sum_to_a_negative_binomial() -> None:
    # Seven i.i.d. NB(mean m, size r) days sum to NB(mean 7m, size 7r).
    m, r = 3.0, 0.7
    truth = _truth(np.full((1, 7 * 12), m), size=r)
    panel = _weekly_panel(truth)
    fc = TrueDistributionForecaster(truth).predict(panel, panel.dates[4], horizon=3, quantiles=Q)
    for h in range(3):
        n = 7 * r * (h + 1)
        expected = stats.nbinom.ppf(QA, n, r / (r + m))
        np.testing.assert_array_equal(fc.cumulative[0, h], expected)
    np.testing.assert_array_equal(fc.per_bucket[0, 0], stats.nbinom.ppf(QA, 7 * r, r / (r + m)))


def _zinb_spike_day_pmf(mu: float, r: float, zp: float, sp: float, c: float, n: int) -> np.ndarray:
    k = np.arange(n)
    base = (1 - zp) * stats.nbinom.pmf(k, r, r / (r + mu))
    base[0] += zp
    spike = sp * stats.nbinom.pmf(k, 1.0, 1.0 / (1.0 + c * mu))
    spike[0] += 1 - sp
    return np.convolve(base, spike)[:n]


def test_pmfs_match_direct_convolution_with_zero_inflation_and_spikes() -> None:
    rng = np.random.default_rng(0)
    mu = rng.uniform(0.2, 4.0, (1, 14))
    r, zp, sp, c, n = 1.7, 0.3, 0.05, 5.0, 1024
    per, cum = sum_pmfs(
        mu, np.repeat([0, 1], 7), 2, np.array([r]), np.array([zp]), np.array([sp]), np.array([c]), 1.0, n
    )
    direct = np.zeros(n)
    direct[0] = 1.0
    for d in range(14):
        direct = np.convolve(direct, _zinb_spike_day_pmf(mu[0, d], r, zp, sp, c, n))[:n]
        if d == 6:
            np.testing.assert_allclose(per[0, 0], direct, atol=1e-12)
    np.testing.assert_allclose(cum[0, 1], direct, atol=1e-12)
    # The probability of a zero week is the product of the daily zero probabilities.
    p0 = np.prod([_zinb_spike_day_pmf(x, r, zp, sp, c, 2)[0] for x in mu[0, 7:]])
    assert per[0, 1, 0] == pytest.approx(p0, rel=1e-10)


def test_calibrated_on_freshly_sampled_demand() -> None:
    """Discrete demand: P(Y <= q-quantile) >= q and P(Y < q-quantile) <= q, on draws never seen before."""
    catalog = generate_catalog(SyntheticConfig(n_skus=60, n_days=364, seed=11, level_max=30.0))
    truth = catalog.truth
    weekly = aggregate(catalog.panel, "W-SAT")
    model = make("true-distribution", truth=truth).fit(weekly)
    cut_idx = np.arange(8, 48, 5)
    horizon = 4
    forecasts = [model.predict(weekly, truth.dates[7 * int(i)], horizon, Q) for i in cut_idx]
    rng = generator(5, "test-true-distribution")
    draws = np.stack([truth.sample(rng) for _ in range(40)])  # [R, S, 364]
    weeks = draws.reshape(draws.shape[0], draws.shape[1], 52, 7).sum(axis=-1)  # W-SAT weeks from day 0
    live = truth.mu.reshape(len(truth.series_ids), 52, 7).min(axis=-1) > 0  # whole week inside the span
    le, lt, n = np.zeros(len(Q)), np.zeros(len(Q)), 0
    cum_le, cum_lt = np.zeros(len(Q)), np.zeros(len(Q))
    for i, fc in zip(cut_idx, forecasts, strict=True):
        for h in range(horizon):
            w = i + 1 + h
            mask = live[:, w]
            y = weeks[:, mask, w][..., None]  # [R, S', 1]
            qb = fc.per_bucket[mask, h][None]
            le += (y <= qb).sum(axis=(0, 1))
            lt += (y < qb).sum(axis=(0, 1))
            yc = weeks[:, mask, i + 1 : w + 1].sum(axis=-1)[..., None]
            qc = fc.cumulative[mask, h][None]
            cum_le += (yc <= qc).sum(axis=(0, 1))
            cum_lt += (yc < qc).sum(axis=(0, 1))
            n += y.shape[0] * y.shape[1]
    assert n > 20_000
    tol = 0.01
    for a, b in ((le, lt), (cum_le, cum_lt)):
        assert (a / n >= QA - tol).all(), (a / n, Q)
        assert (b / n <= QA + tol).all(), (b / n, Q)


def test_forecasts_zero_before_launch_and_after_end_of_life() -> None:
    mu = np.full((1, 7 * 10), 2.0)
    mu[0, 42:] = 0.0  # discontinued from week 6
    truth = _truth(mu, size=3.0)
    panel = _weekly_panel(truth)
    fc = TrueDistributionForecaster(truth).predict(panel, panel.dates[4], horizon=4, quantiles=Q)
    assert (fc.per_bucket[0, 0] > 0).any()
    np.testing.assert_array_equal(fc.per_bucket[0, 1:], 0.0)
    np.testing.assert_array_equal(fc.cumulative[0, 3], fc.cumulative[0, 0])


def test_bad_requests_are_input_errors() -> None:
    truth = _truth(np.full((1, 70), 1.0), size=2.0)
    panel = _weekly_panel(truth)
    with pytest.raises(InputError, match="needs the synthetic truth"):
        make("true-distribution")
    other = DemandPanel.from_frame(
        pd.DataFrame({"series_id": "zz", "date": panel.dates, "demand": 1.0}), freq="W-SAT"
    )
    with pytest.raises(InputError, match=r"\['zz'\] are not in the synthetic truth"):
        TrueDistributionForecaster(truth).fit(other)
    with pytest.raises(InputError, match=r"truth covers 2022-01-01 \.\. 2022-03-11, not 2022-03-12"):
        TrueDistributionForecaster(truth).predict(panel, panel.dates[8], horizon=2)
    with pytest.raises(InputError, match="unknown parameter"):
        TrueDistributionForecaster(truth, tail=3)
    with pytest.raises(InputError, match="only a synthetic spec has a known truth"):
        make("true-distribution", catalog="m5:somewhere")


def test_built_from_a_synthetic_spec() -> None:
    from restock.data import load_catalog

    model = make("true-distribution", catalog="synthetic:15:6")
    assert isinstance(model, TrueDistributionForecaster)
    np.testing.assert_array_equal(model.truth.mu, load_catalog("synthetic:15:6").truth.mu)


def test_daily_buckets_and_chunking_give_the_same_exact_answer() -> None:
    truth = _truth(np.full((3, 7 * 6), 1.5), size=np.inf)
    days = DemandPanel.from_frame(
        pd.DataFrame(
            [{"series_id": s, "date": d, "demand": 0.0} for s in truth.series_ids for d in truth.dates[:20]]
        ),
        freq="D",
    )
    fc = TrueDistributionForecaster(truth).predict(days, truth.dates[10], horizon=5, quantiles=Q)
    np.testing.assert_array_equal(fc.per_bucket[0, 4], stats.poisson.ppf(QA, 1.5))
    np.testing.assert_array_equal(fc.cumulative[2, 4], stats.poisson.ppf(QA, 7.5))
    chunked = TrueDistributionForecaster(truth, max_cells=1).predict(days, truth.dates[10], 5, Q)
    np.testing.assert_array_equal(chunked.cumulative, fc.cumulative)


def test_predict_table_equals_one_predict_per_cutoff() -> None:
    catalog = generate_catalog(SyntheticConfig(n_skus=20, n_days=364, seed=2, level_max=20.0))
    weekly = aggregate(catalog.panel, "W-SAT")
    model = TrueDistributionForecaster(catalog.truth).fit(weekly)
    cutoffs = [weekly.dates[i] for i in (10, 11, 12, 30)]  # overlapping windows and a separate one
    table = model.predict_table(weekly, cutoffs, horizon=5, quantiles=Q)
    assert table.model == "true-distribution" and list(table.cutoffs) == cutoffs
    for i, cutoff in enumerate(cutoffs):
        one = model.predict(weekly, cutoff, horizon=5, quantiles=Q)
        np.testing.assert_array_equal(table.at(i).per_bucket, one.per_bucket)
        np.testing.assert_array_equal(table.at(i).cumulative, one.cumulative)
