"""demand.kind = "catalog": the synthetic retail catalog, fresh draws from its truth, exact forecasts."""

from __future__ import annotations

import numpy as np
import pytest
from scenario_tables import raw

from restock.errors import InputError
from restock.scenarios import draw, from_raw
from restock.scenarios.build import catalog_mu
from restock.scenarios.forecast import forecast_table

SHOCK = {"kind": "demand_multiplier", "start": 7, "end": 14, "factor": 3.0}


def catalog_scenario(*shocks: dict, foresee: bool = False):
    table = raw(
        horizon=28,
        warmup=112,
        catalog={"n_skus": 4},
        demand={"kind": "catalog", "stores": 2},
        economics={"unit_cost": "0.6 * price", "holding_cost": "0.25 * cost / year"},
        vendors=[{"name": "vendor", "lead_time": {"kind": "deterministic", "value": 2}}],
        nodes=[{"name": "store", "source": "vendor", "initial_cover": 7.0}],
        forecast={"model": "true", "foresee": foresee, "buckets": 2, "quantiles": [0.1, 0.5, 0.9]},
        shocks=list(shocks),
    )
    return from_raw(table, "test.toml")


def test_catalog_draws_fresh_paths_from_its_truth() -> None:
    d = draw(catalog_scenario(), 0, 3)
    assert d.paths.demand.shape == (3, 28, 1, 4) and d.history.shape == (3, 112, 1, 4)
    assert d.catalog.truth is not None and len(d.catalog.skus) == 4
    x = d.paths.demand
    assert (x == np.rint(x)).all() and (x >= 0).all()
    assert not np.array_equal(x[0], x[1])  # a new draw per path
    again = draw(catalog_scenario(), 0, 3)
    np.testing.assert_array_equal(again.paths.demand, x)  # same seed, same draw
    # its own prices and categories; unit cost 60% of the mean price; stock for 7 days of mean demand
    assert (d.paths.price > 0).all() and set(d.catalog.category) <= {"FOODS", "HOUSEHOLD", "HOBBIES"}
    np.testing.assert_allclose(d.world.economics.unit_cost, 0.6 * d.paths.price[0].mean(axis=0))
    assert d.world.initial_on_hand.sum() > 0


def test_a_demand_shock_scales_the_truths_mean_exactly_in_the_window() -> None:
    s = catalog_scenario(SHOCK)
    d = draw(s, 0, 1)
    base = draw(catalog_scenario(), 0, 1)
    ratio = catalog_mu(s, d.catalog)[112:] / np.where(
        catalog_mu(base.scenario, base.catalog)[112:] > 0,
        catalog_mu(base.scenario, base.catalog)[112:],
        np.nan,
    )
    t = np.arange(28)
    inside = (t >= 7) & (t < 14)
    assert np.allclose(ratio[inside][~np.isnan(ratio[inside])], 3.0)
    assert np.allclose(ratio[~inside][~np.isnan(ratio[~inside])], 1.0)


def test_the_truth_table_foresees_the_shock_only_when_asked() -> None:
    blind = forecast_table(draw(catalog_scenario(SHOCK), 0, 2))
    seen = forecast_table(draw(catalog_scenario(SHOCK, foresee=True), 0, 2))
    assert blind.model == "true" and blind.cumulative.shape[:2] == (1, 4)  # the truth reads no demand
    # review 1 (period 7) over one week: the shocked week
    lift = seen.cumulative[0, 1, 0, :, 0, 1] / np.maximum(blind.cumulative[0, 1, 0, :, 0, 1], 1e-9)
    assert (lift[blind.cumulative[0, 1, 0, :, 0, 1] >= 5] > 2.0).all()
    np.testing.assert_array_equal(seen.cumulative[:, 3], blind.cumulative[:, 3])  # after the shock


def test_catalog_needs_n_skus() -> None:
    table = raw(demand={"kind": "catalog"}, catalog={"skus": ["a"]}, economics={})
    with pytest.raises(InputError, match=r"'catalog.n_skus' is required for catalog demand"):
        from_raw(table, "test.toml")
