"""MQ features and forking-sequence windows: known answers on hand-built panels."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from restock.data.panel import DemandPanel
from restock.errors import InputError
from restock.forecasters.mq.features import CALENDAR, FeatureSpec, encode_panel
from restock.forecasters.mq.windows import WindowSource, causal_mean, history_features, season_length

DATES = pd.date_range("2021-01-02", periods=12, freq="W-SAT")


def _panel(with_nan_cov: bool = False) -> DemandPanel:
    rows = []
    for t, d in enumerate(DATES):  # series a: demand t, full span; price missing on week 3
        rows.append(("a", d, float(t), np.nan if t == 3 else 2.0 + (t >= 6), float(t == 5)))
    for t, d in enumerate(DATES[8:]):  # series b: launched on week 8, all zero
        rows.append(("b", d, 0.0, 4.0, np.nan if with_nan_cov and t == 1 else 0.0))
    frame = pd.DataFrame(rows, columns=["series_id", "date", "demand", "price", "event"])
    static = pd.DataFrame({"cat": ["x", "y"]}, index=["a", "b"])
    return DemandPanel.from_frame(frame, freq="W-SAT", static=static, source="test.csv")


def test_known_inputs_price_age_and_events() -> None:
    panel = _panel()
    spec = FeatureSpec.from_panel(panel, max_vocab=10)
    arr = encode_panel(panel, spec, grid_end=DATES[-1] + 2 * pd.offsets.Week(weekday=5))
    names = spec.known_names
    assert arr.y.shape == (2, 14) and arr.known.shape == (2, 14, len(names))
    assert np.isnan(arr.y[:, 12:]).all() and np.isnan(arr.y[1, :8]).all()
    assert list(arr.first) == [0, 8]
    price_known = arr.known[0, :, names.index("price_known")]
    assert price_known[3] == 0 and price_known[2] == 1 and price_known[12] == 0  # filled, then carried
    rel = arr.known[0, :, names.index("price_rel")]
    mean_price = np.mean([2.0] * 5 + [3.0] * 6)  # week 3 (missing) left out of the mean
    assert rel[0] == pytest.approx(2.0 / mean_price) and rel[13] == pytest.approx(3.0 / mean_price)
    change = arr.known[0, :, names.index("price_change")]
    assert change[6] == pytest.approx(np.log(1.5)) and change[5] == 0
    age = arr.known[:, :, names.index("age")]
    assert age[1, 7] == 0 and age[1, 10] == pytest.approx(np.log1p(2) / 4)
    assert arr.known[0, 5, names.index("event")] == 1.0 and arr.known[0, 4, names.index("event")] == 0.0
    assert np.allclose(np.hypot(arr.known[0, :, 0], arr.known[0, :, 1]), 1.0)  # month on the unit circle
    assert len(CALENDAR) == 6 and list(arr.static[:, 0]) == [1, 2]


def test_nan_covariate_names_column_series_and_date() -> None:
    panel = _panel(with_nan_cov=True)
    spec = FeatureSpec.from_panel(panel, max_vocab=10)
    with pytest.raises(InputError, match=r"test.csv.*'event'.*'b'.*2021-03-06"):
        encode_panel(panel, spec)


def test_hide_after_removes_demand_but_keeps_known_future() -> None:
    panel = _panel()
    spec = FeatureSpec.from_panel(panel, max_vocab=10)
    arr = encode_panel(panel, spec, hide_after=DATES[5])
    assert np.isnan(arr.y[0, 6:]).all() and arr.y[0, 5] == 5.0
    assert (
        arr.known[0, 6, spec.known_names.index("price_rel")]
        > arr.known[0, 5, spec.known_names.index("price_rel")]
    )


def test_windows_targets_masks_padding_and_causal_scale() -> None:
    panel = _panel()
    spec = FeatureSpec.from_panel(panel, max_vocab=10)
    arr = encode_panel(panel, spec)
    L, H = 5, 3
    src = WindowSource(arr, L, H, scale_window=3)
    b = src.batch(np.array([0, 0, 1]), np.array([2, 6, 10]), limit=8, creation_from=None)
    # window 0 ends at 2: positions -2..2 padded on the left (scale 1, level 0)
    assert list(b.obs_in[0]) == [0, 0, 1, 1, 1]
    # scale of grid g = mean demand of g-2..g (series a has demand g): 0 -> 1 (no level), 0.5, 1
    assert list(b.scale[0]) == pytest.approx([1.0, 1.0, 1.0, 0.5, 1.0])
    assert list(b.level[0]) == pytest.approx([0.0, 0.0, 0.0, np.log1p(0.5), np.log1p(1.0)])
    # window 1 = grid 2..6: scales 1..5, the encoder reads y[g] / scale[g]
    assert list(b.scale[1]) == pytest.approx([1.0, 2.0, 3.0, 4.0, 5.0])
    assert list(b.y_in[1]) == pytest.approx([2 / 1, 3 / 2, 4 / 3, 5 / 4, 6 / 5])
    # creation at position 4 (grid 6, scale 5): targets y[7], y[8] (limit 8), y[9] masked
    assert list(b.target[1, 4]) == pytest.approx([7 / 5, 8 / 5, 0.0])
    assert list(b.mask[1, 4]) == [1, 1, 0]
    assert list(b.cum_target[1, 4]) == pytest.approx([7 / 5, 15 / 5, 0.0])
    # creation at position 3 (grid 5, scale 4): targets over its own scale
    assert list(b.target[1, 3]) == pytest.approx([6 / 4, 7 / 4, 8 / 4])
    assert list(b.cum_mask[1, 3]) == [1, 1, 1] and list(b.cum_mask[1, 4]) == [1, 1, 0]
    # padded creation times (before the series starts) never count
    assert b.mask[0, :2].sum() == 0 and b.mask[0, 2].sum() == 3
    # series b is all zero: scale 1, level 0
    assert (b.scale[2] == 1.0).all() and (b.level[2] == 0.0).all() and list(b.obs_in[2]) == [0, 0, 1, 1, 1]
    v = src.batch(np.array([0]), np.array([10]), limit=11, creation_from=9)
    assert v.mask[0, :3].sum() == 0 and list(v.mask[0, 3]) == [1, 1, 0] and list(v.mask[0, 4]) == [1, 0, 0]


def test_scale_falls_back_to_the_whole_history_and_reads_before_the_window() -> None:
    y = np.array([[4.0, 0.0, 0.0, 0.0, 0.0, 0.0], [np.nan, np.nan, 0.0, 0.0, 6.0, 0.0]])
    # series 0: the last 2 buckets sell nothing from g=2 on: the whole-history mean 4/(g+1) takes over
    assert list(causal_mean(y, 2)[0]) == pytest.approx([4.0, 2.0, 4 / 3, 1.0, 0.8, 4 / 6])
    assert list(causal_mean(y, 2)[1]) == pytest.approx([0.0, 0.0, 0.0, 0.0, 3.0, 3.0])
    # a window cut after the series start still scales with the history before the window
    panel = _panel()
    src = WindowSource(encode_panel(panel, FeatureSpec.from_panel(panel, 10)), 2, 1, scale_window=4)
    b = src.batch(np.array([0]), np.array([9]))
    assert list(b.scale[0]) == pytest.approx([(5 + 6 + 7 + 8) / 4, (6 + 7 + 8 + 9) / 4])


def test_no_window_input_depends_on_a_later_bucket() -> None:
    """Changing demand at grid position k changes nothing a creation time before k sees (scale included)."""
    panel = _panel()
    spec = FeatureSpec.from_panel(panel, 10)
    arr = encode_panel(panel, spec)
    base = WindowSource(arr, 6, 2, scale_window=3, history_season=2).batch(np.array([0]), np.array([9]))
    y = arr.y.copy()
    y[0, 7] = 100.0  # window position 3
    moved = WindowSource(replace(arr, y=y), 6, 2, scale_window=3, history_season=2).batch(
        np.array([0]), np.array([9])
    )
    assert base.history.shape == (1, 6, 4 + 2 + 2)
    for name in ("y_in", "scale", "level", "obs_in", "history"):
        a, b = getattr(base, name), getattr(moved, name)
        assert np.array_equal(a[:, :3], b[:, :3]), name
        assert not np.array_equal(a, b) or name == "obs_in", name


def test_history_features_known_answers() -> None:
    """Rolling means, zero share and seasonal lags on a season of 3 buckets, over the given scale."""
    y = np.array(
        [[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], [np.nan, np.nan, 0.0, 2.0, np.nan, 4.0, 0.0, 0.0]]
    )
    scale = np.full(y.shape, 2.0)
    f = history_features(y, scale, horizon=4, season=3)
    assert f.shape == (2, 8, 4 + 2 + 4)
    # mean of the last 4 buckets up to g, over scale 2: g=5 -> (2+3+4+5)/4/2
    assert f[0, 5, 0] == pytest.approx(3.5 / 2)
    assert f[0, 1, 0] == pytest.approx(0.5 / 2)  # only 2 buckets so far
    assert f[0, 7, 3] == pytest.approx(3.5 / 2)  # 52-bucket mean = mean of everything so far
    assert f[1, 1, 0] == 0.0  # nothing observed yet
    assert f[1, 6, 0] == pytest.approx((2.0 + 4.0 + 0.0) / 3 / 2)  # the unobserved bucket 4 is skipped
    # share of zeros among the observed buckets so far
    assert f[0, 7, 4] == pytest.approx(1 / 8) and f[1, 7, 4] == pytest.approx(3 / 5)
    # seasonal lag flag: y[g + 1 - 3] observed
    assert list(f[0, :, 5]) == [0, 0, 1, 1, 1, 1, 1, 1]
    assert list(f[1, :, 5]) == [0, 0, 0, 0, 1, 1, 0, 1]
    # target g+h one season back: h=1..3 -> y[g+h-3]; h=4 -> y[g+4-6] (never after g)
    assert list(f[0, 5, 6:]) == pytest.approx([3 / 2, 4 / 2, 5 / 2, 3 / 2])
    assert list(f[0, 1, 6:]) == pytest.approx([0.0, 0.0, 1 / 2, 0.0])  # before the grid: 0
    assert list(f[1, 6, 6:]) == pytest.approx([0.0, 4 / 2, 0.0, 0.0])  # y[4] unobserved: 0
    assert (season_length("W-SAT"), season_length("MS"), season_length("D")) == (52, 12, 7)


def test_history_features_never_read_a_later_bucket() -> None:
    """Changing demand at k changes no long-history input of a bucket before k, for any horizon."""
    rng = np.random.default_rng(0)
    y = rng.poisson(3.0, size=(3, 30)).astype(float)
    scale = causal_mean(y, 4) + 1.0
    for horizon in (1, 5, 8):
        base = history_features(y, scale, horizon=horizon, season=4)
        for k in (5, 17, 29):
            moved_y = y.copy()
            moved_y[:, k] += 50.0
            moved = history_features(moved_y, scale, horizon=horizon, season=4)
            assert np.array_equal(base[:, :k], moved[:, :k]), (horizon, k)
            assert not np.array_equal(base[:, k:], moved[:, k:])


def test_burn_in_drops_creation_times_whose_history_the_window_cut() -> None:
    panel = _panel()
    spec = FeatureSpec.from_panel(panel, max_vocab=10)
    src = WindowSource(encode_panel(panel, spec), 5, 2)
    b = src.batch(np.array([0, 0, 1]), np.array([9, 3, 10]), limit=11, burn_in=3)
    # series a, window 5..9 starts after the series: positions 0..2 lack history the forecast would see
    assert list(b.mask[0, :, 0]) == [0, 0, 0, 1, 1]
    # window -1..3 starts before the series (padding): every creation time from the launch on counts
    assert list(b.mask[1, :, 0]) == [0, 1, 1, 1, 1]
    # series b launched at 8, window 6..10 holds its launch: nothing is cut
    assert list(b.mask[2, :, 0]) == [0, 0, 1, 1, 1]
