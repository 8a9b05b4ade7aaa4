import numpy as np
import pytest

from restock.forecasters.metrics import (
    coverage,
    forecast_volatility,
    mean_absolute_coverage_error,
    mean_wql,
    pinball_loss,
    quantile_at,
    series_pinball,
    weighted_quantile_loss,
    wql_by_group,
)


def test_pinball_known_values() -> None:
    q = np.array([0.1, 0.5, 0.9])
    # actual 10, prediction 8 for every quantile: under-forecast by 2 -> q * 2
    np.testing.assert_allclose(pinball_loss(np.array([10.0]), np.full((1, 3), 8.0), q)[0], [0.2, 1.0, 1.8])
    # over-forecast by 2 -> (1 - q) * 2
    np.testing.assert_allclose(pinball_loss(np.array([10.0]), np.full((1, 3), 12.0), q)[0], [1.8, 1.0, 0.2])


def test_wql_of_perfect_forecast_is_zero_and_scales_with_error() -> None:
    y = np.array([1.0, 2.0, 3.0, np.nan])
    q = np.array([0.5])
    assert weighted_quantile_loss(y, y[:, None], q)[0] == 0.0
    # median off by 1 everywhere: 2 * (3 * 0.5) / 6 = 0.5
    assert weighted_quantile_loss(y, (y + 1)[:, None], q)[0] == pytest.approx(0.5)


def test_coverage_and_calibration() -> None:
    rng = np.random.default_rng(0)
    y = rng.normal(size=200_000)
    q = np.array([0.1, 0.5, 0.9])
    pred = np.tile(np.quantile(y, q), (y.size, 1))
    np.testing.assert_allclose(coverage(y, pred), q, atol=1e-3)
    assert mean_absolute_coverage_error(y, pred, q) < 1e-3


def test_wql_rejects_all_zero_actuals() -> None:
    with pytest.raises(ValueError, match="sum to zero"):
        weighted_quantile_loss(np.zeros(3), np.zeros((3, 1)), np.array([0.5]))


def test_wql_by_group_splits_the_mean_wql_by_actual_volume() -> None:
    rng = np.random.default_rng(0)
    q = np.array([0.1, 0.5, 0.9])
    actual = rng.poisson(5.0, size=(3, 4, 2)).astype(float)
    actual[:, 3] *= 10  # a high-volume series
    actual[0, 0, 0] = np.nan  # outside a span: ignored
    pred = np.sort(rng.gamma(5.0, 1.0, size=(3, 4, 2, 3)), axis=-1)
    groups = np.array(["a", "a", "b", "b"])
    parts = wql_by_group(actual, pred, q, groups)
    assert list(parts) == ["a", "b"]
    # each group's wQL is the plain mean wQL of its own series
    assert parts["a"][0] == pytest.approx(mean_wql(actual[:, :2], pred[:, :2], q))
    assert parts["b"][0] == pytest.approx(mean_wql(actual[:, 2:], pred[:, 2:], q))
    # shares sum to 1, and the whole is the volume-weighted sum of the groups' wQL
    assert sum(share for _, share in parts.values()) == pytest.approx(1.0)
    vol = {g: np.nansum(actual[:, groups == g]) for g in ("a", "b")}
    whole = sum(parts[g][0] * vol[g] for g in vol) / sum(vol.values())
    assert whole == pytest.approx(mean_wql(actual, pred, q))
    assert 2 * series_pinball(actual, pred, q).sum() / np.nansum(actual) == pytest.approx(whole)
    with pytest.raises(ValueError, match="one group per series"):
        wql_by_group(actual, pred, q, groups[:3])


def test_forecast_volatility_known_answers() -> None:
    flat = np.ones((4, 3, 5))
    assert forecast_volatility(flat) == 0.0
    # target of (c, h) = c + h: the forecast of each target goes 2 -> 4 between cutoffs 0 and 1
    f = np.zeros((2, 1, 3))
    f[0, 0] = [9.0, 2.0, 2.0]  # targets 1, 2, 3
    f[1, 0] = [4.0, 4.0, 7.0]  # targets 2, 3, 4
    assert forecast_volatility(f) == pytest.approx(2.0 / 3.0)  # mean |4-2| / mean level 3
    with pytest.raises(ValueError):
        forecast_volatility(np.ones((1, 3, 5)))


def test_quantile_at_is_exact_on_a_level_and_linear_between() -> None:
    q = np.array([0.1, 0.5, 0.9])
    pred = np.array([[1.0, 3.0, 7.0], [2.0, 2.0, 2.0]])
    np.testing.assert_allclose(quantile_at(pred, q, 0.5), [3.0, 2.0])
    np.testing.assert_allclose(quantile_at(pred, q, 0.7), [5.0, 2.0])
    np.testing.assert_allclose(quantile_at(pred, q, 0.9), [7.0, 2.0])
    with pytest.raises(ValueError, match="tau"):
        quantile_at(pred, q, 0.95)
