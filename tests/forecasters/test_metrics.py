import numpy as np
import pytest

from restock.forecasters.metrics import (
    coverage,
    mean_absolute_coverage_error,
    pinball_loss,
    weighted_quantile_loss,
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
