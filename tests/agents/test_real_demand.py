"""The real-demand experiment (benchmarks/m5_real_demand.py) on a small slice of m5-tiny.

Three items, 8-week windows, one training year, a one-iteration DirectBackprop: the pipeline of the
full benchmark (windows of the data, forecasts from the quantile forest, tuning on the training window,
training, paired evaluation on the last window) end to end, with known answers where there are some.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import replace
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest
from shared_data import M5_TINY

from restock.agents.baselines import NewsvendorPolicy
from restock.agents.evaluate import evaluate
from restock.scenarios import draw
from restock.seeding import eval_seed

ROOT = Path(__file__).resolve().parents[2]
ITEMS = ("FOODS_3_586_CA_1", "HOBBIES_2_025_CA_1", "HOUSEHOLD_1_179_CA_1")
SMALL = ("catalog.skus=[" + ", ".join(f'"{s}"' for s in ITEMS) + "]", "horizon=56", "warmup=364")
LAST_DAY = pd.Timestamp("2016-04-24")  # d_1913, the last day of sales_train_evaluation.csv

pytestmark = pytest.mark.needs_data  # every test reads m5-tiny


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("m5_real_demand", ROOT / "benchmarks" / "m5_real_demand.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["m5_real_demand"] = module
    spec.loader.exec_module(module)
    return module


def small_config(bench: ModuleType, **changes: object) -> object:
    options = {
        "n_paths": 2,
        "rollout_periods": 56,
        "hidden": (8,),
        "eval_every": 1,
        "eval_paths": 2,
        "final_eval_paths": 2,
    }
    cfg = bench.ExperimentConfig(
        overrides=SMALL,
        train_years=1,
        tune_paths=2,
        eval_seeds=3,
        paths=2,
        tau_grid=(0.5, 0.8, 0.95),
        cover_grid=(1.0, 2.0),
        dbp_options=options,
        dbp_iterations=1,
        extra_forecasters=("ets",),
        data=f"m5:{M5_TINY}",
    )
    return cfg if not changes else replace(cfg, **changes)


def test_windows_are_consecutive_years_ending_with_the_data(bench: ModuleType) -> None:
    ev, train = bench.windows(small_config(bench, train_years=2))
    eval_dates = draw(ev.scenario, 0, 1).catalog.dates
    assert eval_dates[-1] == LAST_DAY
    assert pd.Timestamp(ev.start) == LAST_DAY - pd.Timedelta(days=55) == eval_dates[364]
    # oldest first; each ends the day before the next one starts
    assert [w.name for w in train] == ["train-1", "train-2"]
    starts = [pd.Timestamp(w.start) for w in [*train, ev]]
    for w, nxt in zip(train, starts[1:], strict=True):
        dates = draw(w.scenario, 0, 1).catalog.dates
        assert dates[364] == pd.Timestamp(w.start)
        assert dates[-1] + pd.Timedelta(days=1) == nxt


def test_items_not_yet_on_sale_are_left_out_of_a_window(bench: ModuleType) -> None:
    ev, _ = bench.windows(small_config(bench))
    panel = draw(ev.scenario, 0, 1).catalog.panel
    # the panel starts a series at its first sale: HOBBIES_2_025_CA_1 first sold on 2014-05-22 (d_1210)
    assert bench.priced_items(panel, ITEMS, pd.Timestamp("2014-05-22")) == [ITEMS[0], ITEMS[2]]
    assert bench.priced_items(panel, ITEMS, pd.Timestamp("2014-05-23")) == list(ITEMS)


def test_the_rollout_agrees_with_evaluate_on_the_batch_engine(bench: ModuleType) -> None:
    ev, _ = bench.windows(small_config(bench))
    policy = NewsvendorPolicy(0.8, name="nv")
    ep = bench.episode(ev, eval_seed(1), 2)
    mine = bench.rollout(policy, ep)["reward"].mean(0).sum()
    theirs = evaluate({"nv": policy}, ev.scenario, [eval_seed(1)], engine="batch", n_paths=2, reference="nv")
    assert mine == pytest.approx(float(theirs.rows["profit"].iloc[0]), rel=1e-9)


def test_the_whole_pipeline_on_a_small_slice(bench: ModuleType, tmp_path: Path) -> None:
    result = bench.run(small_config(bench), run_root=tmp_path, say=lambda _: None)
    rows = {r["policy"]: r for r in result["summary"]}
    base = [
        "newsvendor",
        "newsvendor-tuned",
        "newsvendor-tuned-global",
        "newsvendor-tuned-horizon",
        "base-stock",
    ]
    assert list(rows) == [*base, *(f"{n}@ets" for n in base), "directbackprop"]
    assert set(result["forecast_wql"]) == {"quantile-forest", "ets"}
    tuned = result["tuned"]
    # the global tau is the grid value with the best training profit; every item's tau is on the grid
    assert tuned["tau"] == max(tuned["tau_profit"], key=tuned["tau_profit"].get)
    assert set(tuned["tau_items"]) == set(ITEMS) and set(tuned["tau_items"].values()) <= {0.5, 0.8, 0.95}
    ref = rows["newsvendor-tuned"]
    assert "saving_vs_newsvendor-tuned" not in ref
    for name, row in rows.items():
        if name == "newsvendor-tuned":
            continue
        saving = row["saving_vs_newsvendor-tuned"]
        assert saving == pytest.approx(row["profit"] - ref["profit"], rel=1e-9, abs=1e-9)
        assert row["ci_low"] <= saving <= row["ci_high"]
        assert 0.0 <= row["fill_rate"] <= 1.0
    assert Path(result["directbackprop_run"]).parent == tmp_path
    vs = result["directbackprop_vs"]["newsvendor-tuned"]
    assert vs["mean"] == pytest.approx(rows["directbackprop"]["saving_vs_newsvendor-tuned"], rel=1e-12)
    assert set(result["directbackprop_vs"]) == set(rows) - {"directbackprop"}
    assert all(len(v) == 3 for v in result["per_seed_profit"].values())
    assert result["windows"] == {"train": ["2016-01-04"], "eval": "2016-02-29", "horizon": 56}
    table = bench.markdown(result)
    assert table.count("\n") == 2 + len(rows) - 1 and np.isfinite(ref["profit"])


def test_the_horizon_newsvendor_is_the_newsvendor_until_the_year_ends(bench: ModuleType) -> None:
    from restock.envs.features import ObservationConfig
    from restock.envs.observer import Observer
    from restock.simulator.policy import ReviewState

    ev, _ = bench.windows(small_config(bench))
    ep = bench.episode(ev, eval_seed(0), 2)
    batch = Observer(ep.world, ep.paths.price, ep.forecasts, 0, ObservationConfig())
    tau = np.array([0.8, 0.9, 0.95])
    horizon = bench.HorizonNewsvendor(tau)
    plain = NewsvendorPolicy(tau)

    def empty(t: int) -> ReviewState:
        p, n = batch.n_paths, batch.n_skus
        return ReviewState(
            t=t, on_hand=np.zeros((p, 1, n)), backlog=np.zeros((p, 1, n)), pipeline=np.zeros((p, 1, n, 21))
        )

    # 56 - 28 = 28 periods left >= E[L] + R = 13.3 + 7: the same order-up-to levels
    np.testing.assert_allclose(horizon.act(batch, empty(28)), plain.act(batch, empty(28)), rtol=1e-12)
    # at the last review only 7 periods are left: the tau quantile of the last week's demand
    last = horizon.act(batch, empty(49))
    want = [ep.forecasts.cumulative_quantile(0, 7, i, 7.0, float(tau[i])) for i in range(3)]
    np.testing.assert_allclose(last, np.tile(want, 2), rtol=1e-12)
    assert (last <= plain.act(batch, empty(49))).all() and want[0] < plain.act(batch, empty(49))[0]


def test_valued_quarters_by_hand(bench: ModuleType) -> None:
    flows = np.array([10.0, 20.0, 30.0, 40.0])
    stock = np.array([5.0, 7.0, 2.0, 4.0, 9.0])  # at cost; the last (9) is salvaged inside the flows
    np.testing.assert_allclose(bench.valued_quarters(flows, stock), [12.0, 15.0, 32.0, 36.0])
    assert [bench.quarter_of(t, 56) for t in (0, 13, 14, 41, 42, 55)] == [0, 0, 1, 2, 3, 3]


def test_the_quarters_add_up_to_the_year(bench: ModuleType) -> None:
    from restock.agents.evaluate import engine_rule
    from restock.envs.core import to_numpy
    from restock.envs.features import ObservationConfig
    from restock.envs.observer import Observer
    from restock.simulator.batch import BatchEngine

    ev, _ = bench.windows(small_config(bench))
    ep = bench.episode(ev, eval_seed(2), 2)
    out = bench.rollout(NewsvendorPolicy(0.9, name="nv"), ep)
    for key in ("reward", "revenue", "purchase_cost", "salvage"):
        np.testing.assert_allclose(out[f"q_{key}"].sum(0), out[key], rtol=1e-9, atol=1e-9)
    econ = ep.world.economics
    # the stock salvaged at the end, valued at cost, and the salvage booked on it
    np.testing.assert_allclose(out["stock_value"][-1], out["end_stock"] * econ.unit_cost, rtol=1e-12)
    np.testing.assert_allclose(out["salvage"], out["end_stock"] * econ.salvage_value, rtol=1e-9)
    # the stock at the first review of the second quarter (period 14) is what the engine holds then
    engine = BatchEngine(ep.world, ep.paths, record=False)
    state = engine.reset()
    policy = NewsvendorPolicy(0.9, name="nv")
    observer = Observer(ep.world, ep.paths.price, ep.forecasts, 0, ObservationConfig())
    rule = engine_rule(policy, [observer])
    while state.t < 14:
        state, _ = engine.step(rule(state))
    np.testing.assert_allclose(out["stock_value"][1], to_numpy(state.on_hand)[:, 0] * econ.unit_cost)
    assert out["end_stock"].sum() > 0 and (out["stock_value"][0] > 0).all()  # 21 days' cover at the start
    valued = bench.valued_quarters(out["q_reward"], out["stock_value"])
    np.testing.assert_allclose(valued.sum(0), out["reward"] - out["stock_value"][0], rtol=1e-9, atol=1e-9)
    cut = bench.quarter_measures(3)
    np.testing.assert_allclose(cut["cut-cost"](out), valued[:3].sum(0), rtol=1e-9, atol=1e-9)
    # the same cut with the stock valued at salvage (half its cost here) is lower by half that stock's cost
    half = 0.5 * out["stock_value"][3]
    np.testing.assert_allclose(cut["cut-salvage"](out), cut["cut-cost"](out) - half, rtol=1e-9, atol=1e-9)


def test_the_capped_base_stock_is_tuned_on_the_latest_training_window(bench: ModuleType) -> None:
    from restock.agents.baselines.tuning import TuningConfig, tune

    cfg = small_config(bench, capped_base_stock=True)
    _, train = bench.windows(cfg)
    policy = bench.capped_base_stock(cfg, train[-1], list(ITEMS), lambda _: None)
    # the library's tuning on that window, with the benchmark's seeds and paths
    want, _ = tune(
        "capped-base-stock", train[-1].scenario, seed=0, config=TuningConfig(train_seeds=2, n_paths=1)
    )
    np.testing.assert_array_equal(policy.level, want.level)
    np.testing.assert_array_equal(policy.cap, want.cap)
    with pytest.raises(SystemExit, match="items differ"):
        bench.capped_base_stock(cfg, train[-1], list(ITEMS[:2]), lambda _: None)


def test_an_end_offset_moves_every_window_back(bench: ModuleType) -> None:
    ev, train = bench.windows(small_config(bench, end_offset=91))
    assert draw(ev.scenario, 0, 1).catalog.dates[-1] == LAST_DAY - pd.Timedelta(days=91)
    assert [w.start for w in [*train, ev]] == ["2015-10-05", "2015-11-30"]
