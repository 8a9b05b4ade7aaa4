"""The observation builder: known answers for each pure function, and scale invariance."""

from __future__ import annotations

import numpy as np
import pytest

from restock.envs.features import (
    ObservationConfig,
    StaticFeatures,
    build_observations,
    cover_weights,
    critical_fractile,
    cumulative_at,
    feature_names,
    forecast_features,
    forecast_scale,
    interp_quantiles,
    lead_time_moments,
    observation_template,
    pipeline_buckets,
    static_columns,
)
from restock.errors import InputError
from restock.simulator.world import LeadTime


def test_pipeline_buckets_sum_by_review_period_and_keep_the_tail_in_the_last() -> None:
    pipe = np.arange(1.0, 31.0)[None, :]  # due t+1 .. t+30
    out = pipeline_buckets(pipe, review_period=7, n_buckets=3)
    assert out.tolist() == [[sum(range(1, 8)), sum(range(8, 15)), sum(range(15, 31))]]
    short = pipeline_buckets(np.array([[5.0, 0.0, 2.0]]), review_period=7, n_buckets=2)
    assert short.tolist() == [[7.0, 0.0]]


def test_interp_quantiles_is_linear_between_levels_and_per_row() -> None:
    levels = np.array([0.1, 0.5, 0.9])
    values = np.array([[10.0, 20.0, 40.0], [0.0, 1.0, 2.0]])
    assert interp_quantiles(levels, values, 0.5).tolist() == [20.0, 1.0]
    assert interp_quantiles(levels, values, 0.7).tolist() == pytest.approx([30.0, 1.5])
    assert interp_quantiles(levels, values, np.array([0.1, 0.9])).tolist() == pytest.approx([10.0, 2.0])


def test_cumulative_quantiles_interpolate_in_the_horizon_from_zero() -> None:
    cover = np.array([7, 14])
    cum = np.array([[[7.0, 14.0], [14.0, 28.0]]])  # [B=1, K=2, Q=2]
    for h, want in ((3.5, [3.5, 7.0]), (7.0, [7.0, 14.0]), (10.5, [10.5, 21.0]), (14.0, [14.0, 28.0])):
        k0, k1, w = cover_weights(cover, np.array([h]))
        assert cumulative_at(cum, k0, k1, w)[0].tolist() == pytest.approx(want)
    with pytest.raises(InputError, match="beyond its longest cover"):
        cover_weights(cover, np.array([15.0]))


def test_lead_time_moments_match_the_distributions() -> None:
    assert lead_time_moments(LeadTime("deterministic", value=4)) == (4.0, 0.0)
    mean, std = lead_time_moments(LeadTime("empirical", values=(1, 3), probs=(0.5, 0.5)))
    assert (mean, std) == pytest.approx((2.0, 1.0))
    assert lead_time_moments(LeadTime("shifted_poisson", shift=2, mean=6.0)) == pytest.approx((6.0, 2.0))


def test_critical_fractile_known_answer() -> None:
    # p=10, c=6, b=1: underage 5; h=0.02 over R=7: overage 0.14 -> 5 / 5.14
    tau = critical_fractile(np.array([10.0]), np.array([6.0]), np.array([0.02]), np.array([1.0]), 7)
    assert tau[0] == pytest.approx(5 / 5.14)


def test_feature_names_match_the_feature_count() -> None:
    for cfg in (ObservationConfig(), ObservationConfig(n_pipeline_buckets=2, obs_quantiles=(0.5,))):
        assert len(feature_names(cfg)) == cfg.n_features == len(set(feature_names(cfg)))
    with pytest.raises(InputError, match="obs_quantiles"):
        ObservationConfig(obs_quantiles=(0.5, 1.2))


def _obs(scale_units: float) -> np.ndarray:
    """Observation of a SKU whose every unit quantity is multiplied by ``scale_units``."""
    levels = np.array([0.1, 0.5, 0.9])
    per_bucket = scale_units * np.array([[[5.0, 7.0, 9.0]] * 4])
    cfg = ObservationConfig()
    static = StaticFeatures(
        scale=forecast_scale(per_bucket, levels, cfg.scale_floor),
        ref_price=np.array([10.0]),
        unit_cost=np.array([6.0]),
        holding_cost=np.array([0.02]),
        penalty=np.array([1.0]),
        lead_time_mean=np.array([3.0]),
        lead_time_std=np.array([0.0]),
    )
    return build_observations(
        config=cfg,
        static=static,
        net_inventory=np.array([12.0 * scale_units]),
        pipeline=scale_units * np.array([[0.0, 0.0, 4.0, 0, 0, 0, 0, 6.0]]),
        per_bucket=per_bucket,
        cum_lt=scale_units * np.array([[8.0, 10.0, 13.0]]),
        levels=levels,
        price=np.array([10.0]),
        t=91,
        horizon=364,
        review_period=7,
    )[0]


def test_observations_are_scale_free_and_have_known_values() -> None:
    slow, fast = _obs(1.0), _obs(50.0)
    np.testing.assert_allclose(slow, fast, rtol=1e-6)
    named = dict(zip(feature_names(ObservationConfig()), slow.tolist(), strict=True))
    assert named["net_inventory"] == pytest.approx(12 / 7)
    assert named["pipeline_b0"] == pytest.approx(4 / 7) and named["pipeline_b1"] == pytest.approx(6 / 7)
    assert named["forecast_h1_q90"] == pytest.approx(9 / 7)
    assert named["cum_lt_q50"] == pytest.approx(10 / 7)
    assert named["unit_cost"] == pytest.approx(0.6) and named["holding_cost"] == pytest.approx(0.014)
    assert named["lead_time_mean"] == pytest.approx(3 / 7)
    assert named["horizon_left"] == pytest.approx(273 / 364)
    assert named["week_sin"] == pytest.approx(np.sin(2 * np.pi * 91 / 365.25), abs=1e-6)
    assert slow.dtype == np.float32


def test_observation_template_gives_the_same_observations_rounded_once_to_float32() -> None:
    """A kept template (forecast and economics columns) changes nothing, and every feature is its
    float64 value rounded once to float32."""
    rng = np.random.default_rng(0)
    b, cfg, levels = 6, ObservationConfig(), np.array([0.1, 0.5, 0.9])
    per_bucket = np.sort(rng.uniform(1, 30, (b, 5, 3)), axis=-1)
    cum_lt = np.sort(rng.uniform(5, 80, (b, 3)), axis=-1)
    static = StaticFeatures(
        scale=forecast_scale(per_bucket, levels, cfg.scale_floor),
        ref_price=rng.uniform(1, 20, b),
        unit_cost=rng.uniform(0.5, 1, b),
        holding_cost=rng.uniform(0.01, 0.1, b),
        penalty=rng.uniform(0, 2, b),
        lead_time_mean=rng.uniform(1, 9, b),
        lead_time_std=rng.uniform(0, 2, b),
    )
    args = {
        "config": cfg,
        "static": static,
        "net_inventory": rng.uniform(-5, 40, b),
        "pipeline": rng.uniform(0, 9, (b, 30)),
        "per_bucket": per_bucket,
        "cum_lt": cum_lt,
        "levels": levels,
        "price": rng.uniform(1, 20, b),
        "t": 40,
        "horizon": 364,
        "review_period": 7,
    }
    plain = build_observations(**args)
    block = forecast_features(cfg, per_bucket, cum_lt, levels, static.scale)
    template = observation_template(cfg, static, block, static_columns(static, 7))
    kept = build_observations(**args, template=template)
    assert plain.dtype == kept.dtype == np.float32
    np.testing.assert_array_equal(plain, kept)
    assert not template[:, 0].any()  # the template is never written to
    named = dict(zip(feature_names(cfg), plain.T, strict=True))
    s = static.scale
    np.testing.assert_array_equal(named["net_inventory"], (args["net_inventory"] / s).astype(np.float32))
    np.testing.assert_array_equal(
        named["pipeline_b3"], (args["pipeline"][:, 21:].sum(axis=1) / s).astype(np.float32)
    )
    np.testing.assert_array_equal(named["forecast_h2_q50"], (per_bucket[:, 1, 1] / s).astype(np.float32))
    np.testing.assert_array_equal(named["penalty"], (static.penalty / static.ref_price).astype(np.float32))
