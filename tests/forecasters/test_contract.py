"""The generic forecaster contract, run over every registered forecaster with its ``get_test_params()``.

The panel is the 40-SKU synthetic catalog (seed 0) in weekly buckets: real-looking demand with prices,
holiday and promotion covariates, products that end, and products launched in the bucket right after the
cutoff (no history at the cutoff, demand in the horizon).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest

from restock.data import aggregate, load_panel
from restock.data.panel import DemandPanel
from restock.errors import InputError
from restock.forecasters import available, make
from restock.forecasters.base import Forecaster, QuantileForecast
from restock.forecasters.history import span_bounds

QUANTILES = (0.1, 0.5, 0.9)
HORIZON = 6
MODELS = available()


@cache
def weekly_panel() -> DemandPanel:
    return aggregate(load_panel("synthetic:40:0"), "W-SAT")


@cache
def cutoff() -> pd.Timestamp:
    return pd.Timestamp(weekly_panel().dates[51])  # 2021-12-25; launches on 2022-01-01 follow


@cache
def fitted_model(name: str) -> Forecaster:
    return make(name, **_params(name)).fit(weekly_panel().until(cutoff()))


@cache
def fitted_forecast(name: str) -> QuantileForecast:
    return fitted_model(name).predict(weekly_panel(), cutoff(), HORIZON, QUANTILES)


def _fit_predict(name: str, panel: DemandPanel) -> QuantileForecast:
    model = make(name, **_params(name))
    model.fit(panel.until(cutoff()))
    return model.predict(panel, cutoff(), HORIZON, QUANTILES)


def _params(name: str) -> dict:
    from restock.forecasters import registered

    return dict(registered(name).get_test_params())  # type: ignore[attr-defined]


def test_the_registry_holds_the_classical_models() -> None:
    assert {"seasonal-naive", "ets", "croston", "tsb", "quantile-forest"} <= set(MODELS)


@pytest.mark.parametrize("name", MODELS)
def test_shapes_and_identity(name: str) -> None:
    fc = fitted_forecast(name)
    panel = weekly_panel()
    assert fc.series_ids == panel.series_ids
    assert fc.cutoff == cutoff()
    assert fc.per_bucket.shape == fc.cumulative.shape == (len(panel.series_ids), HORIZON, len(QUANTILES))
    np.testing.assert_array_equal(fc.quantiles, QUANTILES)


@pytest.mark.parametrize("name", MODELS)
def test_quantiles_never_cross_and_are_non_negative(name: str) -> None:
    fc = fitted_forecast(name)
    for arr in (fc.per_bucket, fc.cumulative):
        assert (np.diff(arr, axis=-1) >= 0).all()
        assert (arr >= 0).all()


@pytest.mark.parametrize("name", MODELS)
def test_no_look_ahead_demand_after_the_cutoff_is_ignored(name: str) -> None:
    panel = weekly_panel()
    frame = panel.frame.copy()
    after = frame["date"] > cutoff()
    rng = np.random.default_rng(1)
    frame.loc[after, "demand"] = rng.permutation(frame.loc[after, "demand"].to_numpy()) * 3.0 + 7.0
    scrambled = DemandPanel(frame, panel.static, panel.freq, panel.source, panel.covariates)
    # fitting sees only rows up to the cutoff, so the fitted model is shared; predict is what is tested
    a, b = fitted_forecast(name), fitted_model(name).predict(scrambled, cutoff(), HORIZON, QUANTILES)
    np.testing.assert_array_equal(a.per_bucket, b.per_bucket)
    np.testing.assert_array_equal(a.cumulative, b.cumulative)


@pytest.mark.parametrize("name", MODELS)
def test_deterministic_under_a_seed(name: str) -> None:
    again = _fit_predict(name, weekly_panel())
    np.testing.assert_array_equal(fitted_forecast(name).per_bucket, again.per_bucket)
    np.testing.assert_array_equal(fitted_forecast(name).cumulative, again.cumulative)


@pytest.mark.parametrize("name", MODELS)
def test_series_without_history_at_the_cutoff_get_a_forecast(name: str) -> None:
    panel = weekly_panel()
    first, _ = span_bounds(panel.matrix())
    new = panel.dates[first] == panel.dates[52]
    assert new.any(), "the test panel must hold a product launched right after the cutoff"
    fc = fitted_forecast(name)
    # finite (checked by QuantileForecast), and the launches are expected to sell: not a degenerate zero
    assert fc.cumulative[new][:, -1, -1].sum() > 0
    assert (fc.cumulative[new][:, -1, -1] >= fc.per_bucket[new][:, 0, -1]).all()


@pytest.mark.parametrize("name", MODELS)
def test_horizon_longer_than_the_history_is_an_input_error(name: str) -> None:
    panel = weekly_panel()
    model = fitted_model(name)
    # 3 buckets of history at dates[2], 6 asked for; restock.forecasters.history.check_request does this
    with pytest.raises(InputError, match="horizon"):
        model.predict(panel, panel.dates[2], horizon=HORIZON, quantiles=QUANTILES)


def test_unknown_model_names_list_the_known_ones() -> None:
    with pytest.raises(InputError) as err:
        make("no-such-model")
    for name in ("seasonal-naive", "quantile-forest"):
        assert name in str(err.value)
