"""The synthetic catalog: deterministic, consistent with its truth, and retail-like."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from restock.data import aggregate, bucket_start
from restock.data.profile import summarize
from restock.data.synthetic import (
    SyntheticCatalog,
    SyntheticConfig,
    day_moments,
    generate_catalog,
    sample_demand,
)
from restock.errors import InputError
from restock.seeding import generator


def test_same_seed_same_catalog_other_seed_other_catalog(small_catalog: SyntheticCatalog) -> None:
    again = generate_catalog(small_catalog.config)
    pd.testing.assert_frame_equal(again.panel.frame, small_catalog.panel.frame)
    np.testing.assert_array_equal(again.truth.mu, small_catalog.truth.mu)
    other = generate_catalog(replace(small_catalog.config, seed=4))
    assert not np.array_equal(other.truth.mu, small_catalog.truth.mu)


def test_panel_rows_are_exactly_the_truth_spans(small_catalog: SyntheticCatalog) -> None:
    panel, truth = small_catalog.panel, small_catalog.truth
    assert panel.series_ids == truth.series_ids
    assert (panel.dates == truth.dates).all()
    observed = np.isfinite(panel.matrix())
    np.testing.assert_array_equal(observed, truth.in_span())
    assert (truth.mu[~observed] == 0).all()
    # Inside spans mu is 0 only on off-shelf days (M5-like zero runs).
    assert 0.6 < (truth.mu[observed] > 0).mean() < 1.0


def test_demand_agrees_with_the_truth_moments(small_catalog: SyntheticCatalog) -> None:
    # The realised total is within 4 standard deviations of its expectation under the truth.
    demand = np.nan_to_num(small_catalog.panel.matrix())
    mean, var = small_catalog.truth.moments()
    assert abs(demand.sum() - mean.sum()) < 4 * np.sqrt(var.sum())
    live = var.sum(axis=1) > 0
    per_series = (demand.sum(axis=1) - mean.sum(axis=1))[live] / np.sqrt(var.sum(axis=1)[live])
    assert np.abs(per_series).max() < 5 and abs(per_series.mean()) < 0.5


def test_zinb_sampler_moments_and_zeros() -> None:
    rng = generator(0, "test-synthetic-sampler")
    mu = np.full((3, 200_000), 4.0)
    size, zp = np.array([0.5, 3.0, np.inf]), np.array([0.3, 0.0, 0.1])
    x = sample_demand(mu, size, zp, np.zeros(3), np.ones(3), 1.0, rng)
    mean, var = day_moments(mu[:, :1], size, zp, np.zeros(3), np.ones(3), 1.0)
    np.testing.assert_allclose(x.mean(axis=1), mean[:, 0], rtol=0.02)
    np.testing.assert_allclose(x.var(axis=1), var[:, 0], rtol=0.05)
    np.testing.assert_allclose(var[:, 0], [0.7 * (4 + 32 + 16) - 2.8**2, 4 + 16 / 3, 0.9 * 20 - 3.6**2])
    p0 = zp + (1 - zp) * np.array([(1 + 4 / 0.5) ** -0.5, (1 + 4 / 3) ** -3, np.exp(-4.0)])
    np.testing.assert_allclose((x == 0).mean(axis=1), p0, atol=0.005)


def test_spikes_are_rare_and_heavy() -> None:
    rng = generator(1, "test-synthetic-spikes")
    mu = np.full((1, 400_000), 1.0)
    args = (np.array([np.inf]), np.zeros(1))
    plain = sample_demand(mu, *args, np.zeros(1), np.array([10.0]), 1.0, rng)
    spiky = sample_demand(mu, *args, np.array([0.01]), np.array([10.0]), 1.0, rng)
    assert spiky.mean() == pytest.approx(1.0 + 0.01 * 10.0, rel=0.02)
    assert (spiky > 12).mean() > 0.002 > (plain > 12).mean()


def test_retail_structure(small_catalog: SyntheticCatalog) -> None:
    panel, truth, cfg = small_catalog.panel, small_catalog.truth, small_catalog.config
    assert set(panel.static["category"]) == set(cfg.categories)
    assert panel.static["store"].nunique() == cfg.n_stores
    assert set(panel.covariates) == {"holiday", "promo"}
    # Life cycles: some products launch during the panel, some reach their end of life.
    assert (truth.span[:, 0] > 0).any() and (truth.span[:, 1] < cfg.n_days).any()
    f = panel.frame
    # Prices are weekly (Saturday to Friday) and lower during promotions.
    week = bucket_start(f["date"], "W-SAT")
    assert (f.groupby([f["series_id"], week])["price"].nunique() == 1).all()
    by_promo = f.groupby(["series_id", "promo"])["price"].mean().unstack().dropna()
    assert (by_promo[1.0] < by_promo[0.0]).mean() > 0.9
    # Holidays are flagged on the day (Christmas 2021) and weekends sell more than mid-week.
    assert f.loc[f["date"] == pd.Timestamp("2021-12-25"), "holiday"].eq(1.0).all()
    dow = f["date"].dt.dayofweek
    assert f.loc[dow >= 5, "demand"].mean() > 1.2 * f.loc[dow.isin([1, 2]), "demand"].mean()


def test_promotions_raise_the_truth_by_the_category_elasticity(small_catalog: SyntheticCatalog) -> None:
    cfg = small_catalog.config
    no_promo = generate_catalog(replace(cfg, promo_week_prob=0.0))
    with_promo = small_catalog
    promo = (with_promo.panel.matrix("promo") == 1.0) & (no_promo.truth.mu > 0)
    ratio = with_promo.truth.mu[promo] / no_promo.truth.mu[promo]
    price_ratio = with_promo.panel.matrix("price")[promo] / no_promo.panel.matrix("price")[promo]
    cats = np.broadcast_to(with_promo.panel.static["category"].to_numpy()[:, None], promo.shape)[promo]
    elasticity = np.asarray(cfg.elasticity)[[cfg.categories.index(c) for c in cats]]
    np.testing.assert_allclose(ratio, price_ratio**elasticity, rtol=0.02)  # prices are rounded to cents
    assert (ratio > 1).all()


def test_default_catalog_resembles_m5_in_zeros_and_class_mix() -> None:
    summary = summarize(generate_catalog(SyntheticConfig(n_skus=400)).panel)
    assert 0.3 < float(summary["share_zero"]) < 0.5  # m5-tiny: 0.42 inside spans
    for name in ("smooth", "intermittent", "erratic", "lumpy"):
        assert float(summary[f"share_{name}"]) > 0.08, name
    weekly = summarize(aggregate(generate_catalog(SyntheticConfig(n_skus=100)).panel))
    assert weekly["freq"] == "W-SAT"


@pytest.mark.parametrize(
    "bad", [{"n_skus": 0}, {"weekly_profile": (1.0,)}, {"elasticity": (-1.0,)}, {"share_existing": 1.5}]
)
def test_invalid_configs_are_input_errors(bad: dict) -> None:
    with pytest.raises(InputError, match=f"invalid {next(iter(bad))}"):
        SyntheticConfig(**bad)
