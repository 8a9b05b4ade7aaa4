"""Learning demand from censored sales: the product-limit estimator, the censored pinball loss, and the
forecasters fitted on sales with stock-out flags (docs/censoring.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from scipy import stats

from restock.data.panel import DemandPanel
from restock.forecasters import make
from restock.forecasters.censoring import censored_quantiles, product_limit, window_censored
from restock.forecasters.error_model import blend_quantiles
from restock.forecasters.mq.features import FeatureSpec, encode_panel
from restock.forecasters.mq.layers import censored_pinball, forking_loss, pinball
from restock.forecasters.mq.windows import WindowSource
from restock.seeding import generator

# ---------------------------------------------------------------- the product-limit estimator


def test_product_limit_is_kaplan_meier_by_hand() -> None:
    # values 1, 2+, 3, 4 (2 censored): S = 3/4 after 1, unchanged at 2+, x (1 - 1/2) at 3, 0 at 4
    f = product_limit(np.ones(4), np.array([True, False, True, True]), np.array([4]))
    assert f.tolist() == pytest.approx([0.25, 0.25, 0.625, 1.0])


def test_product_limit_without_censoring_is_the_weighted_ecdf() -> None:
    # two segments: weights 1, 2, 1 and 0.5, 0.5
    f = product_limit(np.array([1.0, 2.0, 1.0, 0.5, 0.5]), np.ones(5, dtype=bool), np.array([3, 2]))
    assert f.tolist() == pytest.approx([0.25, 0.75, 1.0, 0.5, 1.0])


def test_weighted_product_limit_by_hand() -> None:
    # weights 0.5, 0.25, 0.25, the middle one censored: S = 0.5, unchanged, then the last takes the rest
    f = product_limit(np.array([0.5, 0.25, 0.25]), np.array([True, False, True]), np.array([3]))
    assert f.tolist() == pytest.approx([0.5, 0.5, 1.0])


def test_censored_quantiles_step_and_reach() -> None:
    x = np.array([[1.0, 2.0, 3.0, 4.0, np.nan], [1.0, 2.0, 3.0, np.nan, np.nan], [np.nan] * 5])
    c = np.array([[0, 1, 0, 0, 0], [0, 0, 1, 0, 0], [0] * 5], dtype=bool)
    out = censored_quantiles(x, c, np.array([0.25, 0.5, 0.9]), axis=1)
    # row 0: F = .25, .25, .625, 1 -> 1, 3, 4; row 1: F = 1/3, 2/3 then a censored 3: 0.9 is never
    # reached and reads the largest value; row 2: no value
    assert out[0].tolist() == [1.0, 3.0, 4.0]
    assert out[1].tolist() == [1.0, 2.0, 3.0]
    assert np.isnan(out[2]).all()


def test_a_slice_censored_throughout_reads_its_values_as_they_are() -> None:
    # nothing is exact: no level is reached, and each level reads the values' own step quantile (a lower
    # bound), never the largest value at every level
    x = np.array([[5.0, 1.0, 3.0, 2.0]])
    out = censored_quantiles(x, np.ones_like(x, dtype=bool), np.array([0.25, 0.5, 0.75, 1.0]), axis=1)
    assert out[0].tolist() == [1.0, 2.0, 3.0, 5.0]


def test_window_censored_marks_targets_and_sums() -> None:
    censored = np.array([[False, False, True, False, False]])
    per, cum = window_censored(censored, np.array([0, 2]), 2)
    assert per[0].tolist() == [[False, True], [False, False]]
    assert cum[0].tolist() == [[False, True], [False, False]]
    per, cum = window_censored(censored, np.array([1]), 3)
    assert per[0, 0].tolist() == [True, False, False] and cum[0, 0].tolist() == [True, True, True]


def test_censored_errors_raise_the_error_quantiles() -> None:
    errors = np.array([[[-2.0], [-1.0], [0.0], [1.0], [2.0]]])  # [S=1, N=5, H=1]
    censored = np.zeros_like(errors, dtype=bool)
    censored[0, 1, 0] = True
    q = np.array([0.5])
    plain = blend_quantiles(errors, np.zeros((1, 1)), np.ones(1), q, 0.0)
    aware = blend_quantiles(errors, np.zeros((1, 1)), np.ones(1), q, 0.0, censored)
    # plain: the median 0; product-limit: F = .2 at -2, the censored -1 moves its mass up, F(0) = .2 +
    # .8/3 = .47 < .5, F(1) = .73: the median is 1
    assert plain[0, 0, 0] == pytest.approx(0.0)
    assert aware[0, 0, 0] == pytest.approx(1.0)


# ---------------------------------------------------------------- the censored pinball loss


def test_censored_pinball_by_hand() -> None:
    levels = torch.tensor([0.1, 0.5, 0.9])
    target = torch.tensor([10.0, 10.0, 10.0])
    pred = torch.tensor([[8.0, 8.0, 8.0], [10.0, 10.0, 10.0], [12.0, 12.0, 12.0]])  # under, equal, over
    plain = pinball(pred, target, levels)
    # under by 2: tau * 2; over by 2: (1 - tau) * 2
    np.testing.assert_allclose(plain, [[0.2, 1.0, 1.8], [0, 0, 0], [1.8, 1.0, 0.2]], atol=1e-6)
    in_stock = censored_pinball(pred, target, levels, torch.zeros(3))
    np.testing.assert_allclose(in_stock, plain)
    out = censored_pinball(pred, target, levels, torch.ones(3))
    # a stock-out: the sale 10 is a lower bound; below it pays tau * gap, at or above it nothing
    np.testing.assert_allclose(out, [[0.2, 1.0, 1.8], [0, 0, 0], [0, 0, 0]], atol=1e-6)


def test_forking_loss_counts_censored_targets_only_from_below() -> None:
    levels = torch.tensor([0.5])
    pred = torch.tensor([[[[12.0], [8.0]]]])  # [B=1, L=1, H=2, Q=1]
    target = torch.tensor([[[10.0, 10.0]]])
    mask, weight = torch.ones(1, 1, 2), torch.ones(1, 1)
    assert float(forking_loss(pred, target, mask, levels, weight)) == pytest.approx(1.0)  # (1 + 1) / 2
    censored = torch.tensor([[[1.0, 1.0]]])
    assert float(forking_loss(pred, target, mask, levels, weight, censored)) == pytest.approx(0.5)


def test_windows_carry_the_stock_out_flags_of_their_targets() -> None:
    dates = pd.date_range("2020-01-04", periods=12, freq="W-SAT")
    flags = np.ones(12)
    flags[[5, 9]] = 0.0
    frame = pd.DataFrame({"series_id": "a", "date": dates, "demand": np.arange(12.0), "in_stock": flags})
    panel = DemandPanel.from_frame(frame, freq="W-SAT")
    arrays = encode_panel(panel, FeatureSpec.from_panel(panel, max_vocab=10))
    assert arrays.censored is not None and np.flatnonzero(arrays.censored[0]).tolist() == [5, 9]
    batch = WindowSource(arrays, context=4, horizon=2).batch(np.array([0]), np.array([7]))
    # window ends at 7: creation times 4..7, targets g+1, g+2
    expect = [[g + h in (5, 9) for h in (1, 2)] for g in range(4, 8)]
    assert batch.censored[0].astype(bool).tolist() == expect
    assert batch.cum_censored[0].astype(bool).tolist() == np.logical_or.accumulate(expect, axis=1).tolist()


# ---------------------------------------------------------------- forecasters fitted on sales

RATE = 20.0


def _sales_panel(flags: bool) -> DemandPanel:
    """Weekly Poisson(20) demand sold from a stock drawn in 14..35 each week: sales = min(demand, stock),
    a stock-out (in_stock 0) when the stock ran out."""
    rng = generator(0, "test-censoring-panel")
    s, t = 20, 120
    demand = rng.poisson(RATE, (s, t)).astype(float)
    stock = rng.integers(14, 36, (s, t)).astype(float)
    sales = np.minimum(demand, stock)
    dates = pd.date_range("2020-01-04", periods=t, freq="W-SAT")
    frame = pd.DataFrame(
        {
            "series_id": np.repeat([f"s{i:02d}" for i in range(s)], t),
            "date": np.tile(dates, s),
            "demand": sales.ravel(),
        }
    )
    if flags:
        frame["in_stock"] = (demand < stock).astype(float).ravel()
    return DemandPanel.from_frame(frame, freq="W-SAT")


@pytest.mark.parametrize("model", ["quantile-forest", "ets"])
def test_stock_out_flags_bring_the_quantiles_back_to_demand(model: str) -> None:
    levels = (0.5, 0.9)
    truth = stats.poisson.ppf(levels, RATE)  # 20, 26
    got = {}
    for flags in (False, True):
        panel = _sales_panel(flags)
        fitted = make(model, **type(make(model)).get_test_params()).fit(panel)
        fc = fitted.predict(panel, panel.dates[-1], 2, levels)
        got[flags] = fc.per_bucket[:, 0].mean(axis=0)
    # sales read as demand are too low at both levels; the flags bring them closer to the truth
    assert (got[False] < truth - 1).all()
    assert (np.abs(got[True] - truth) < np.abs(got[False] - truth)).all(), got


def test_an_availability_column_without_a_stock_out_leaves_the_error_quantiles_empirical() -> None:
    """All flags False is the same as no flags: numpy's (interpolated) quantiles, not product-limit steps."""
    from restock.forecasters.error_model import error_quantiles

    errors = np.array([[1.0, 2.0, 3.0, 4.0]])
    q = np.array([0.1, 0.5, 0.9])
    plain = error_quantiles(errors, q, axis=1)
    np.testing.assert_allclose(plain, [[1.3, 2.5, 3.7]])
    np.testing.assert_array_equal(error_quantiles(errors, q, axis=1, censored=np.zeros((1, 4), bool)), plain)


def test_epoch_plan_gives_a_small_panel_enough_steps_and_leaves_a_large_one_alone() -> None:
    from restock.forecasters.mq.config import MQConfig
    from restock.forecasters.mq.train import epoch_plan

    cfg = MQConfig()
    assert epoch_plan(280, cfg) == (cfg.windows_per_series, cfg.batch_size)  # m5-tiny: as before
    per_series, batch = epoch_plan(12, cfg)
    assert batch == cfg.min_batch_size
    assert -(-12 * per_series // batch) >= cfg.min_steps_per_epoch  # was 1 step an epoch


def test_mqcnn_learns_poisson_quantiles_on_a_small_panel() -> None:
    """12 series x 104 weeks of Poisson(20), the panel size of a scenario's fit: the default network
    (with its step floor) gives P50 and P90 near the true 20 and 26 (before the floor: P90 coverage 1.0)."""
    rng = generator(0, "test-mq-small-panel")
    s, t = 12, 104
    dates = pd.date_range("2020-01-04", periods=t, freq="W-SAT")
    frame = pd.DataFrame(
        {
            "series_id": np.repeat([f"s{i:02d}" for i in range(s)], t),
            "date": np.tile(dates, s),
            "demand": rng.poisson(RATE, (s, t)).astype(float).ravel(),
        }
    )
    panel = DemandPanel.from_frame(frame, freq="W-SAT")
    fc = make("mqcnn", num_threads=1).fit(panel).predict(panel, panel.dates[-1], 2, (0.5, 0.9))
    got = fc.per_bucket[:, 0].mean(axis=0)
    assert np.abs(got - stats.poisson.ppf((0.5, 0.9), RATE)).max() < 2.0, got
