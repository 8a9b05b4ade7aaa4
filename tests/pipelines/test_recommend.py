"""Order recommendations: known answers on a forecaster whose quantiles are exact Poisson quantiles, the
position that counts (open orders due today, within the cover, after it), zero orders with their reason,
the expected fill rate against closed forms, a trained run deciding through its own observation layout,
and bad snapshots refused with their file, row and column before anything is written."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm, poisson

import restock
from restock.data.panel import DemandPanel
from restock.envs.features import critical_fractile
from restock.errors import InputError
from restock.forecasters.base import QuantileForecast
from restock.forecasters.registry import REGISTRY
from restock.pipelines.recommend import RecommendSpec, expected_sales, fill_rate, recommend, recommend_to

RATE = {"a": 3, "b": 1}
"""Units a day of each series of the history (constant: the fake forecaster's Poisson mean)."""
FIRST, DAYS = pd.Timestamp("2024-01-01"), 56
TODAY = FIRST + pd.Timedelta(days=DAYS)
"""The day after the history's last date."""


class PoissonForecaster:
    """Exact quantiles of Poisson demand at each series' mean weekly demand in the history (a known law)."""

    name: ClassVar[str] = "test-poisson"

    def fit(self, panel: DemandPanel) -> Self:
        self.mean_ = panel.frame.groupby("series_id")["demand"].mean()
        return self

    def predict(
        self, panel: DemandPanel, cutoff: pd.Timestamp, horizon: int = 8, quantiles: Sequence[float] = (0.5,)
    ) -> QuantileForecast:
        ids = list(panel.series_ids)
        lv = np.asarray(quantiles, dtype=np.float64)
        mean = self.mean_.loc[ids].to_numpy()[:, None, None]
        h = np.arange(1, horizon + 1)[None, :, None]
        return QuantileForecast(
            ids, cutoff, lv, poisson.ppf(lv, mean + 0 * h), poisson.ppf(lv, mean * h).astype(np.float64)
        )

    @classmethod
    def get_test_params(cls) -> dict[str, Any]:
        return {}


@pytest.fixture(autouse=True)
def poisson_forecaster(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(REGISTRY, PoissonForecaster.name, PoissonForecaster)


@pytest.fixture
def history(tmp_path: Path) -> Path:
    days = pd.date_range(FIRST, periods=DAYS, freq="D")
    frame = pd.concat(
        pd.DataFrame({"series_id": s, "date": days, "demand": r, "price": 10.0}) for s, r in RATE.items()
    )
    path = tmp_path / "sales.csv"
    frame.to_csv(path, index=False)
    return path


def day(offset: int) -> str:
    return str((TODAY + pd.Timedelta(days=offset)).date())


def write(tmp_path: Path, text: str, name: str = "snapshot.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


ECON = "price,unit_cost,holding_cost,lost_sale_penalty"
PRICE, COST, HOLD, PENALTY = 10.0, 6.0, 0.05, 1.0


def spec(snapshot: Path, history: Path, **kw: Any) -> RecommendSpec:
    return RecommendSpec(str(snapshot), str(history), forecaster="test-poisson", **kw)


def test_the_order_is_the_newsvendor_quantile_minus_the_position(tmp_path: Path, history: Path) -> None:
    # a: 5 on hand + 4 due today (on hand first) + 6 due in 3 days (in the 14-day cover) + 50 due in 20 days
    # (after it): position 15. b: 500 on hand, far above its target: nothing to order, and why.
    snap = write(
        tmp_path,
        f"sku,on_hand,open_orders,lead_time,{ECON}\n"
        f'a,5,"4@{day(0)}; 6@{day(3)}; 50@{day(20)}",7,{PRICE},{COST},{HOLD},{PENALTY}\n'
        f"b,500,,7,{PRICE},{COST},{HOLD},{PENALTY}\n",
    )
    tau = float(critical_fractile(np.array(PRICE), np.array(COST), np.array(HOLD), np.array(PENALTY), 7))
    levels = (0.05, 0.5, tau, 0.999)  # tau* is a level: the newsvendor reads it without interpolation
    out = recommend(spec(snap, history, quantiles=levels)).set_index("sku")
    a, b = out.loc["a"], out.loc["b"]
    target_a = poisson.ppf(tau, RATE["a"] * 14)  # demand over lead time 7 + review period 7
    assert (a["on_hand"], a["open_orders_in_cover"], a["open_orders_later"]) == (9, 6, 50)
    assert a["inventory_position"] == 15 and a["cover_days"] == 14
    assert a["target_level"] == target_a
    assert a["order_qty"] == target_a - 15 and a["reason"] == ""
    assert a["demand_p50"] == poisson.ppf(0.5, 42)
    target_b = poisson.ppf(tau, RATE["b"] * 14)
    assert b["order_qty"] == 0 and b["target_level"] == target_b
    assert b["reason"] == f"inventory position 500 >= target {target_b:g}"


def test_defaults_lead_time_and_prices_from_the_history(tmp_path: Path, history: Path) -> None:
    # no economics: price = the history's last price (10), cost 60% of it, holding 25% of cost a year, no
    # penalty; no lead_time column: --lead-time (14 days, so a 21-day cover)
    snap = write(tmp_path, "sku,on_hand\na,0\n")
    out = recommend(spec(snap, history, lead_time=14)).iloc[0]
    tau = critical_fractile(np.array(10.0), np.array(6.0), np.array(0.25 * 6 / 365), np.array(0.0), 7)
    levels = np.asarray(RecommendSpec("x", "y").quantiles)
    want = np.interp(float(tau), levels, poisson.ppf(levels, RATE["a"] * 21))
    assert out["cover_days"] == 21
    assert out["target_level"] == pytest.approx(want, rel=1e-12)
    assert out["order_qty"] == math.ceil(want)


def test_expected_sales_match_the_normal_loss_function() -> None:
    mu, sigma = 100.0, 20.0
    levels = np.linspace(0.0005, 0.9995, 1000)
    values = np.broadcast_to(norm.ppf(levels, mu, sigma), (3, 1000))
    stock = np.array([80.0, 100.0, 130.0])
    z = (stock - mu) / sigma
    closed = mu - sigma * (norm.pdf(z) - z * norm.sf(z))  # E[min(D, S)] = mu - sigma L(z)
    assert expected_sales(levels, values, stock) == pytest.approx(closed, rel=2e-4)
    assert fill_rate(levels, values, stock) == pytest.approx(closed / mu, rel=2e-4)
    assert expected_sales(levels, values, np.full(3, np.inf)) == pytest.approx(mu, rel=1e-4)


def test_the_fill_rate_of_an_order_matches_the_poisson_closed_form(tmp_path: Path, history: Path) -> None:
    # b's economics make its critical fractile 0.5 / (0.5 + 0.5 x 7) = 0.125: a low target, a low fill rate
    snap = write(
        tmp_path, f"sku,on_hand,lead_time,{ECON}\na,5,7,{PRICE},{COST},{HOLD},{PENALTY}\nb,9,7,10,9.5,0.5,0\n"
    )
    levels = tuple(np.linspace(0.001, 0.999, 999))
    out = recommend(spec(snap, history, quantiles=levels)).set_index("sku")
    for sku, row in out.iterrows():
        mean = RATE[str(sku)] * 14
        stock = row["inventory_position"] + row["order_qty"]
        sales = poisson.sf(np.arange(int(stock)), mean).sum()  # E[min(D, S)] = sum_{k < S} P(D > k)
        assert row["expected_fill_rate"] == pytest.approx(sales / mean, abs=2e-3)
    assert out.loc["b", "expected_fill_rate"] < 0.9 < out.loc["a", "expected_fill_rate"]


def test_today_inside_the_history_uses_only_what_was_known(tmp_path: Path, history: Path) -> None:
    frame = pd.read_csv(history)
    later = pd.to_datetime(frame["date"]) >= TODAY - pd.Timedelta(days=7)
    frame.loc[later, "demand"] = 1000  # the last week, after --today: never seen
    frame.to_csv(history, index=False)
    snap = write(tmp_path, f"sku,on_hand,lead_time,{ECON}\na,0,7,{PRICE},{COST},{HOLD},{PENALTY}\n")
    seen = recommend(spec(snap, history, today=day(-7))).iloc[0]
    assert seen["demand_p50"] == poisson.ppf(0.5, RATE["a"] * 14)


def test_the_api_writes_the_orders_and_a_node_column_is_carried(tmp_path: Path, history: Path) -> None:
    snap = write(tmp_path, "node,sku,on_hand\nnorth,a,3\nsouth,a,40\n")
    out_file = tmp_path / "out" / "orders.csv"
    frame = restock.recommend(snap, history, forecaster="test-poisson", out=out_file)
    assert list(frame["node"]) == ["north", "south"] and list(frame["sku"]) == ["a", "a"]
    assert frame["target_level"].nunique() == 1  # the same series, the same forecast and economics
    assert frame.loc[0, "order_qty"] - frame.loc[1, "order_qty"] == 37
    assert pd.read_csv(out_file)["order_qty"].tolist() == frame["order_qty"].tolist()
    with pytest.raises(InputError, match="unknown option 'lead_tme'"):
        restock.recommend(snap, history, forecaster="test-poisson", lead_tme=3)


BAD: dict[str, tuple[str, tuple[str, ...]]] = {
    "unknown sku": ("sku,on_hand\na,1\nzzz,2\n", ("row 3", "'sku'", "zzz")),
    "negative on-hand": ("sku,on_hand\na,-3\n", ("row 2", "'on_hand'", "-3")),
    "nan on-hand": ("sku,on_hand\na,nan\n", ("row 2", "'on_hand'", "nan")),
    "inf price": ("sku,on_hand,price\na,1,inf\n", ("row 2", "'price'", "inf")),
    "duplicate": ("sku,on_hand\na,1\nb,1\na,2\n", ("row 4", "duplicate", "'a'", "row 2")),
    "missing column": ("sku,stock\na,1\n", ("on_hand",)),
    "unknown column": ("sku,on_hand,onhand\na,1,1\n", ("onhand",)),
    "past order": (f'sku,on_hand,open_orders\na,1,"5@{day(-1)}"\n', ("row 2", "'open_orders'", day(-1))),
    "bad order": ('sku,on_hand,open_orders\na,1,"five@2024-03-01"\n', ("row 2", "'open_orders'", "five")),
    "fractional lead time": ("sku,on_hand,lead_time\na,1,2.5\n", ("row 2", "'lead_time'", "2.5")),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_snapshots_name_file_row_and_column_and_write_nothing(
    case: str, tmp_path: Path, history: Path
) -> None:
    text, words = BAD[case]
    snap = write(tmp_path, text)
    out = tmp_path / "orders.csv"
    with pytest.raises(InputError) as err:
        recommend_to(spec(snap, history), out)
    message = str(err.value)
    assert all(w in message for w in (*words, "snapshot.csv")), message
    assert not out.exists() and not list(tmp_path.glob(".orders.csv*"))


def test_bad_options_are_refused_before_any_work(tmp_path: Path, history: Path) -> None:
    snap = write(tmp_path, "sku,on_hand\na,1\n")
    with pytest.raises(InputError, match="--today"):
        recommend(spec(snap, history, today=day(1)))
    with pytest.raises(InputError, match="--today 'someday'"):
        spec(snap, history, today="someday")
    with pytest.raises(InputError, match="--out"):
        recommend_to(spec(snap, tmp_path / "missing.csv"), tmp_path / "snapshot.csv" / "x.csv")
    with pytest.raises(InputError, match=r"--tune-weeks 26: .* needs 4 weeks of history before them"):
        recommend(spec(snap, history, policy="newsvendor-tuned"))  # 8 weeks of history
    with pytest.raises(InputError, match="--policy 'echelon-base-stock'"):
        recommend(spec(snap, history, policy="echelon-base-stock"))
    with pytest.raises(InputError, match="crystal-ball"):
        recommend(RecommendSpec(str(snap), str(history), policy="crystal-ball"))


@pytest.fixture(scope="module")
def dbp_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DirectBackprop run of two iterations on 2 SKUs, observing 2 pipeline and 2 forecast buckets (not
    the default layout, so an observer of the default layout would be refused)."""
    from restock.agents.training import TrainSpec, train

    options = {
        "n_paths": 8, "rollout_periods": 28, "burn_in": 0, "hidden": [8], "eval_every": 1, "eval_periods": 28,
        "eval_paths": 4, "final_eval_paths": 4, "train_episodes": 1, "threads": 1,
        "observation.n_pipeline_buckets": 2, "observation.n_forecast_buckets": 2,
    }  # fmt: skip
    spec = TrainSpec(
        agent="directbackprop",
        scenario="steady",
        timesteps=2 * 8 * 28 * 2,
        scenario_overrides=("catalog.n_skus=2", "horizon=28"),
        options=options,
    )
    return train(spec, root=tmp_path_factory.mktemp("runs"), progress=False)


def test_a_trained_run_orders_through_its_own_observation_layout(
    tmp_path: Path, history: Path, dbp_run: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from restock.agents.directbackprop.policy import DirectBackpropPolicy
    from restock.envs.features import ObservationConfig

    seen: list[tuple[Any, np.ndarray, np.ndarray]] = []
    act = DirectBackpropPolicy.act

    def spy(self: DirectBackpropPolicy, observer: Any, state: Any) -> np.ndarray:
        orders = act(self, observer, state)
        seen.append((observer.obs_config, observer.observe(state) * observer.static.scale[:, None], orders))
        return orders

    monkeypatch.setattr(DirectBackpropPolicy, "act", spy)
    snap = write(
        tmp_path,
        f"sku,on_hand,open_orders,lead_time,{ECON}\n"
        f'a,5,"4@{day(0)}; 6@{day(3)}; 8@{day(9)}",7,{PRICE},{COST},{HOLD},{PENALTY}\n'
        f"b,500,,7,{PRICE},{COST},{HOLD},{PENALTY}\n",
    )
    out = recommend(spec(snap, history, policy=str(dbp_run), whole_units=False))
    ((layout, unscaled, orders),) = seen
    assert layout == ObservationConfig(n_pipeline_buckets=2, n_forecast_buckets=2)
    # the observation holds the snapshot's state: net inventory (5 + 4 due today), the open orders by week
    assert unscaled[:, 0] == pytest.approx([9.0, 500.0]) and unscaled[:, 1:3] == pytest.approx(
        np.array([[6.0, 8.0], [0.0, 0.0]])
    )
    assert out["order_qty"].to_numpy() == pytest.approx(orders)
    assert out["target_level"].to_numpy() == pytest.approx(np.array([23.0, 500.0]) + orders)
    zero = out[out["order_qty"] == 0]
    assert all(r.startswith("the policy orders nothing at inventory position") for r in zero["reason"])


@pytest.fixture(scope="module")
def ppo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A PPO run of one update on 2 SKUs (an SB3 model saved as weights)."""
    from restock.agents.training import TrainSpec, train

    options = {
        "torch_threads": 1,
        "figure_skus": 0,
        "eval_paths": 2,
        "n_envs": 4,
        "n_steps": 4,
        "batch_size": 16,
    }
    spec = TrainSpec(
        agent="ppo",
        scenario="steady",
        timesteps=16,
        scenario_overrides=("catalog.n_skus=2", "horizon=28"),
        options=options,
    )
    return train(spec, root=tmp_path_factory.mktemp("runs"), progress=False)


def test_an_sb3_run_orders_what_its_model_predicts_on_the_snapshot(
    tmp_path: Path, history: Path, ppo_run: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The SB3 model sees the snapshot's state in its training layout, and its deterministic action,
    mapped to units by the action settings it was trained with, is the recommended order."""
    from restock.agents.sb3.train import SB3Policy
    from restock.agents.training import load_policy
    from restock.envs.actions import ActionMap

    seen: list[tuple[np.ndarray, np.ndarray]] = []
    act = SB3Policy.act

    def spy(self: SB3Policy, observer: Any, state: Any) -> np.ndarray:
        orders = act(self, observer, state)
        action, _ = self.model.predict(observer.observe(state).astype(np.float32), deterministic=True)
        action = np.asarray(action, dtype=np.float64)[:, 0]
        seen.append((ActionMap(self.action_config, observer).orders(action, state)[0], orders))
        return orders

    monkeypatch.setattr(SB3Policy, "act", spy)
    snap = write(
        tmp_path,
        f"sku,on_hand,open_orders,lead_time,{ECON}\n"
        f'a,5,"4@{day(0)}; 6@{day(3)}",7,{PRICE},{COST},{HOLD},{PENALTY}\n'
        f"b,0,,7,{PRICE},{COST},{HOLD},{PENALTY}\n",
    )
    out = recommend(spec(snap, history, policy=str(ppo_run), whole_units=False))
    ((expected, orders),) = seen
    assert isinstance(load_policy(ppo_run), SB3Policy)
    np.testing.assert_allclose(orders, expected, rtol=1e-6)
    assert out["order_qty"].to_numpy() == pytest.approx(orders)
    assert list(out["sku"]) == ["a", "b"] and (out["order_qty"] >= 0).all()


def test_the_tuned_newsvendor_orders_up_to_the_demand_of_the_cover_on_steady_demand(
    tmp_path: Path, history: Path
) -> None:
    # the history is 3 units a day exactly: replayed over the 4 weeks before today, the best order-up-to
    # level over lead time 7 + review period 7 is 42 (no shortage, the least stock), far below the economic
    # newsvendor's quantile of the forecast's Poisson(42)
    snap = write(tmp_path, f"sku,on_hand,lead_time,{ECON}\na,10,7,{PRICE},{COST},{HOLD},{PENALTY}\n")
    tuned = recommend(spec(snap, history, policy="newsvendor-tuned", tune_weeks=4)).iloc[0]
    plain = recommend(spec(snap, history)).iloc[0]
    assert 42 <= tuned["target_level"] <= 43.5 < plain["target_level"]
    assert tuned["order_qty"] == math.ceil(tuned["target_level"] - 10)


def test_the_tuning_episode_replays_the_weeks_before_today(tmp_path: Path, history: Path) -> None:
    from restock.data.snapshot import read_snapshot
    from restock.envs.features import ObservationConfig
    from restock.pipelines.recommend import _inputs, training_episode

    frame = pd.read_csv(history)
    frame.loc[frame["series_id"] == "b", "demand"] = np.arange(DAYS) % 4  # 0, 1, 2, 3, 0, ...
    frame.to_csv(history, index=False)
    snap = write(tmp_path, f"sku,on_hand,lead_time,{ECON}\nb,1,14,{PRICE},{COST},{HOLD},{PENALTY}\n")
    s = spec(snap, history, tune_weeks=3)
    ep = training_episode(_inputs(s, read_snapshot(snap), ObservationConfig()))
    assert ep.world.horizon == 21 and ep.paths.n_paths == 1
    assert ep.paths.demand[0, :, 0, 0].tolist() == (np.arange(DAYS - 21, DAYS) % 4).tolist()
    assert (ep.paths.lead_time == 14).all() and ep.world.economics.salvage_value.tolist() == [COST]
    assert ep.world.initial_on_hand.tolist() == [[1.5 * 21]]  # mean 1.5 a day over the 21-day cover
    assert ep.forecasts.review_periods.tolist() == [0, 7, 14]
