"""MQ-RNN / MQ-CNN / MQTransformer: known answers, causality, determinism, bad input."""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch
from scipy import stats

from restock.data.panel import DemandPanel
from restock.errors import InputError
from restock.forecasters import available, make
from restock.forecasters.mq import MQCNN, MQRNN, MQConfig, MQForecaster, MQTransformer
from restock.forecasters.mq.features import FeatureSpec, encode_panel
from restock.forecasters.mq.layers import non_crossing
from restock.forecasters.mq.networks import MQNet
from restock.forecasters.mq.train import lr_schedule, net_inputs, to_tensors
from restock.forecasters.mq.windows import WindowSource
from restock.seeding import generator, int_seed

MODELS = [MQRNN, MQCNN, MQTransformer]
RATES = {"low": 3.0, "mid": 10.0, "high": 30.0}


def poisson_panel(n_per_cat: int = 20, weeks: int = 60, seed: int = 0) -> DemandPanel:
    """i.i.d. Poisson weekly demand; the rate is set by the series' category (the known answer)."""
    rng = generator(seed, "test-mq-poisson")
    dates = pd.date_range("2020-01-04", periods=weeks, freq="W-SAT")
    frames, cats = [], {}
    for cat, lam in RATES.items():
        for i in range(n_per_cat):
            sid = f"{cat}-{i:02d}"
            cats[sid] = cat
            frames.append(
                pd.DataFrame(
                    {"series_id": sid, "date": dates, "demand": rng.poisson(lam, weeks).astype(float)}
                )
            )
    static = pd.DataFrame({"category": cats})
    return DemandPanel.from_frame(pd.concat(frames), freq="W-SAT", static=static, source="poisson")


def tiny(cls: type[MQForecaster], **kw: object) -> MQForecaster:
    params: dict[str, Any] = {**cls.get_test_params(), **kw}
    return cls(**params)


@pytest.fixture(scope="module")
def panel() -> DemandPanel:
    torch.set_num_threads(1)
    return poisson_panel()


def test_registered_and_contract_shapes(panel: DemandPanel) -> None:
    assert {"mqrnn", "mqcnn", "mqtransformer"} <= set(available())
    model = make("mqcnn", **MQCNN.get_test_params()).fit(panel.until(panel.dates[-9]))
    f = model.predict(panel, panel.dates[-9], horizon=5, quantiles=(0.1, 0.5, 0.9))
    assert f.per_bucket.shape == (60, 5, 3) and f.cumulative.shape == (60, 5, 3)
    assert (np.diff(f.per_bucket, axis=-1) >= 0).all() and (f.per_bucket >= 0).all()
    assert f.cutoff == panel.dates[-9] and list(f.quantiles) == [0.1, 0.5, 0.9]


@pytest.mark.parametrize("cls", [MQCNN, pytest.param(MQTransformer, marks=pytest.mark.slow)])
def test_recovers_known_poisson_quantiles(cls: type[MQForecaster], panel: DemandPanel) -> None:
    """Trained on i.i.d. Poisson demand, the network's quantiles are the Poisson quantiles of the
    category's rate, per bucket and for the 8-week sum (which is not the sum of the weekly quantiles)."""
    # i.i.d. demand needs no long context: every creation time of a 16-week window trains (burn_in=0)
    small = {"hidden_size": 32, "context_size": 16, "global_hidden": 64, "local_hidden": 32}
    model = cls(context_length=16, burn_in=0, epochs=25, windows_per_series=8, batch_size=32, seed=1, **small)
    model.fit(panel)
    cutoff = panel.dates[-1]
    f = model.predict(panel, cutoff, horizon=8, quantiles=(0.1, 0.5, 0.9))
    cats = panel.static["category"].to_numpy()
    for cat, lam in RATES.items():
        rows = cats == cat
        for j, q in enumerate((0.1, 0.5, 0.9)):
            true_1 = stats.poisson.ppf(q, lam)
            true_8 = stats.poisson.ppf(q, 8 * lam)
            got_1 = np.median(f.per_bucket[rows, :, j])
            got_8 = np.median(f.cumulative[rows, 7, j])
            assert abs(got_1 - true_1) <= 0.2 * lam + 1.0, (cat, q, got_1, true_1)
            assert abs(got_8 - true_8) <= 0.12 * 8 * lam + 2.0, (cat, q, got_8, true_8)
    # the true 8-week P90 is 0.88 x the sum of the weekly P90s; the cumulative head is below the sum
    hi = cats == "high"
    assert np.median(f.cumulative[hi, 7, 2]) < 0.98 * np.median(f.per_bucket[hi, :, 2].sum(axis=1))


@pytest.mark.parametrize("transformer,encoder", [(False, "lstm"), (False, "cnn"), (True, "cnn")])
def test_forecasts_never_see_later_buckets(transformer: bool, encoder: str, panel: DemandPanel) -> None:
    """Forking sequences are causal: changing demand at window position k changes no forecast created
    before k (encoder, alignment attention and feedback attention all included)."""
    cfg = MQConfig(
        encoder=encoder,
        context_length=16,
        hidden_size=8,
        cnn_channels=8,
        attention_size=4,
        history_features=True,
    )
    spec = FeatureSpec.from_panel(panel, 100)
    torch.manual_seed(0)
    net = MQNet(cfg, spec, 16, transformer).eval()
    src = WindowSource(encode_panel(panel, spec), 16, 8, history_season=52)
    t = to_tensors(src.batch(np.arange(4), np.full(4, 30)), "cpu")
    assert t["history"].shape == (4, 16, cfg.n_history()) and cfg.n_history() == 4 + 2 + 8
    base = net(*net_inputs(t))
    for name in ("y_in", "history"):  # demand, and the long-history inputs built from it
        t[name] = t[name].clone()
        t[name][:, 10] += 5.0
        moved = net(*net_inputs(t))
        assert torch.equal(base["per_bucket"][:, :10], moved["per_bucket"][:, :10]), name
        assert not torch.allclose(base["per_bucket"][:, 10:], moved["per_bucket"][:, 10:]), name
        base = moved


@pytest.mark.parametrize("transformer,encoder", [(False, "gru"), (False, "cnn"), (True, "cnn")])
def test_last_only_forward_equals_the_full_forward(
    transformer: bool, encoder: str, panel: DemandPanel
) -> None:
    """``predict`` runs the decoders for the last creation times only; it must give the same forecast."""
    cfg = MQConfig(
        encoder=encoder,
        context_length=40,
        hidden_size=8,
        cnn_channels=8,
        attention_size=4,
        history_features=True,
    )
    spec = FeatureSpec.from_panel(panel, 100)
    torch.manual_seed(0)
    net = MQNet(cfg, spec, 40, transformer).eval()
    src = WindowSource(encode_panel(panel, spec), 40, 8, history_season=52)
    t = to_tensors(src.batch(np.arange(4), np.full(4, 50)), "cpu")
    full = net(*net_inputs(t))
    part = net(*net_inputs(t), last=9 if transformer else 1)
    for key in ("per_bucket", "cumulative"):
        torch.testing.assert_close(part[key][:, -1], full[key][:, -1])


def test_non_crossing_head() -> None:
    raw = torch.randn(50, 12) * 10
    out = non_crossing(raw)
    assert (out[:, 1:] >= out[:, :-1]).all() and torch.equal(out[:, 0], raw[:, 0])


@pytest.mark.parametrize("cls", MODELS)
def test_same_seed_same_forecast_and_future_is_ignored(cls: type[MQForecaster], panel: DemandPanel) -> None:
    cutoff = panel.dates[-9]
    a = tiny(cls, seed=3).fit(panel.until(cutoff)).predict(panel, cutoff)
    b = tiny(cls, seed=3).fit(panel.until(cutoff))
    assert np.array_equal(a.per_bucket, b.predict(panel, cutoff).per_bucket)
    scrambled = panel.frame.copy()
    after = scrambled["date"] > cutoff
    scrambled.loc[after, "demand"] = scrambled.loc[after, "demand"].to_numpy()[::-1] * 7
    other = DemandPanel.from_frame(scrambled, freq=panel.freq, static=panel.static)
    assert np.array_equal(a.per_bucket, b.predict(other, cutoff).per_bucket)
    c = tiny(cls, seed=4).fit(panel.until(cutoff)).predict(panel, cutoff)
    assert not np.array_equal(a.per_bucket, c.per_bucket)


def test_short_new_and_all_zero_series(panel: DemandPanel) -> None:
    cutoff = panel.dates[-9]
    extra = [
        pd.DataFrame({"series_id": "short", "date": panel.dates[-12:], "demand": 10.0}),  # 4 weeks of history
        pd.DataFrame({"series_id": "zero", "date": panel.dates, "demand": 0.0}),
        pd.DataFrame({"series_id": "new", "date": panel.dates[-4:], "demand": 5.0}),  # launches after cutoff
    ]
    frame = pd.concat([panel.frame, *extra])
    static = pd.concat(
        [panel.static, pd.DataFrame({"category": ["mid"] * 3}, index=["short", "zero", "new"])]
    )
    full = DemandPanel.from_frame(frame, freq="W-SAT", static=static)
    model = tiny(MQCNN).fit(full.until(cutoff))
    f = model.predict(full, cutoff)
    ids = f.series_ids
    assert np.isfinite(f.per_bucket).all()
    zero = f.per_bucket[ids.index("zero")]
    short = f.per_bucket[ids.index("short")]
    assert zero[:, 5].max() < short[:, 5].min()  # an all-zero history forecasts far below a 10/week one
    # the series without history at the cutoff gets the launch fallback
    assert np.allclose(f.per_bucket[ids.index("new")], model.launch_per_bucket_[:8])


def test_bad_predict_requests(panel: DemandPanel) -> None:
    model = tiny(MQCNN).fit(panel)
    with pytest.raises(InputError, match="horizon"):
        model.predict(panel, panel.dates[-1], horizon=9)
    with pytest.raises(InputError, match="trained range"):
        model.predict(panel, panel.dates[-1], quantiles=(0.01, 0.5))
    with_cov = panel.frame.assign(promo=0.0)
    other = DemandPanel.from_frame(with_cov, freq="W-SAT", static=panel.static, source="promo.csv")
    with pytest.raises(InputError, match=r"covariates \[\].*promo.csv.*\['promo'\]"):
        model.predict(other, panel.dates[-1])
    with pytest.raises(InputError, match="encoder"):
        MQCNN(encoder="lstm")


def test_interpolated_quantiles_lie_between_trained_ones(panel: DemandPanel) -> None:
    model = tiny(MQRNN).fit(panel)
    full = model.predict(panel, panel.dates[-1])
    mid = model.predict(panel, panel.dates[-1], quantiles=(0.45, 0.5))
    q40, q50 = full.per_bucket[..., 4], full.per_bucket[..., 5]
    assert np.allclose(mid.per_bucket[..., 1], q50)
    assert np.allclose(mid.per_bucket[..., 0], (q40 + q50) / 2)


def test_ensemble_is_the_mean_of_its_members_and_survives_a_checkpoint(
    panel: DemandPanel, tmp_path: Path
) -> None:
    """``ensemble=2`` forecasts the average of a network trained with ``seed`` and one trained with the
    spawned member seed, and its checkpoint predicts the same."""
    cutoff = panel.dates[-9]
    train = panel.until(cutoff)
    pair = tiny(MQCNN, seed=3, ensemble=2).fit(train)
    one = tiny(MQCNN, seed=3).fit(train).predict(panel, cutoff)
    two = tiny(MQCNN, seed=int_seed(3, "mq-ensemble", 1)).fit(train).predict(panel, cutoff)
    assert not np.allclose(one.per_bucket, two.per_bucket)
    got = pair.predict(panel, cutoff)
    np.testing.assert_allclose(got.per_bucket, (one.per_bucket + two.per_bucket) / 2, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got.cumulative, (one.cumulative + two.cumulative) / 2, rtol=1e-5, atol=1e-5)
    assert len(pair.member_results_) == 2
    again = MQCNN.load(pair.save(tmp_path / "pair.pt"), panel).predict(panel, cutoff)
    assert np.array_equal(again.per_bucket, got.per_bucket)


def test_cosine_schedule_decays_to_the_floor() -> None:
    cfg = MQConfig(learning_rate=0.01, min_lr_ratio=0.1)
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=cfg.learning_rate)
    sched = lr_schedule(opt, cfg, total_steps=10)
    seen = []
    for _ in range(10):
        seen.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert seen[0] == pytest.approx(0.01) and opt.param_groups[0]["lr"] == pytest.approx(0.001)
    assert seen[5] == pytest.approx(0.001 + 0.009 * 0.5)  # half way down the half cosine
    assert all(a > b for a, b in itertools.pairwise(seen))
    flat = lr_schedule(opt, replace(cfg, lr_schedule="constant"), total_steps=10)
    assert flat.get_last_lr()[0] == pytest.approx(0.01)


def test_recent_buckets_train_on_recent_forecasts_only(panel: DemandPanel) -> None:
    """With ``recent_buckets`` the network never reads demand older than its windows and scales reach:
    changing weeks 0..15 of a 60-week panel (split at 51, recent from 41, windows and 13-week scales reach
    back to week 18) leaves the trained network's forecast unchanged; without it the forecast moves.
    (The long-history inputs reach 52 weeks further back, so they are off here.)"""
    early = panel.frame["date"] <= panel.dates[15]
    frame = panel.frame.copy()
    frame.loc[early, "demand"] = frame.loc[early, "demand"].to_numpy() * 3 + 1
    other = DemandPanel.from_frame(frame, freq=panel.freq, static=panel.static)
    cutoff = panel.dates[-1]
    for recent, same in ((10, True), (None, False)):
        a = tiny(MQCNN, recent_buckets=recent, history_features=False).fit(panel).predict(panel, cutoff)
        b = tiny(MQCNN, recent_buckets=recent, history_features=False).fit(other).predict(panel, cutoff)
        assert np.array_equal(a.per_bucket, b.per_bucket) == same, recent
