"""Forecasters that learn from sales (``forecast.history``): the warm-up run, its panel, its checks, and
the known answer that the stock-out flags bring the forecasts back to demand (docs/censoring.md)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from scenario_tables import scenario

from restock.errors import InputError
from restock.forecasters.metrics import coverage, mean_wql
from restock.scenarios import draw, load
from restock.scenarios.cache import ScenarioCache
from restock.scenarios.forecast import bucket_panel, forecast_table, served_rate
from restock.scenarios.sales import reference_cover, reference_level, warmup_records, warmup_sales

SINGLE = {
    "horizon": 28,
    "warmup": 21,
    "vendors": [{"name": "vendor", "lead_time": {"kind": "deterministic", "value": 2}}],
    "nodes": [{"name": "store", "source": "vendor"}],
    "forecast": {"model": "ets", "history": "sales"},
}


def test_default_history_is_demand() -> None:
    assert scenario().forecast.history == "demand"
    assert scenario().forecast.history_cover is None


@pytest.mark.parametrize("engine", ["batch", "des"])
def test_warmup_sales_are_min_of_demand_and_stock_on_the_draws_demand(engine: str) -> None:
    d = draw(scenario(**SINGLE), 0, 2)
    rec = warmup_records(d, engine)
    # the run covers history + horizon on the draw's own demand
    demand = np.concatenate([d.history, d.paths.demand], axis=1)[:, :, 0]  # [P, W + T, N]
    rec = rec.sort_values(["path", "period", "sku"])
    order = np.argsort(d.world.skus)
    np.testing.assert_array_equal(rec["demand"].to_numpy().reshape(2, 49, 6), demand[:, :, order])
    # lost sales: what sold is the demand, or the stock there was (start on-hand + arrivals)
    stock = rec["on_hand_start"] + rec["received"] - rec["disposed"]
    np.testing.assert_allclose(rec["sales"], np.minimum(rec["demand"], stock))
    sales, in_stock = warmup_sales(d, engine)
    assert sales.shape == in_stock.shape == (2, 49, 6)
    assert (sales <= demand).all() and (sales < demand).any()  # the reference policy under-stocks
    # a period short of demand always ends out of stock (the flag); a flagged one ran out
    assert (in_stock[sales < demand] == 0).all()
    assert set(np.unique(in_stock)) == {0.0, 1.0}


def test_both_engines_give_the_same_sales_history() -> None:
    d = draw(scenario(**SINGLE), 3, 2)
    for a, b in zip(warmup_sales(d, "batch"), warmup_sales(d, "des"), strict=True):
        np.testing.assert_allclose(a, b)


def test_reference_level_is_cover_periods_of_mean_demand() -> None:
    d = draw(scenario(**SINGLE), 0, 2)
    assert reference_cover(d) == 2 + 7  # lead time + review period
    np.testing.assert_allclose(reference_level(d), 9 * d.history.mean(axis=(0, 1)))
    covered = scenario(**{**SINGLE, "forecast": {"model": "ets", "history": "sales", "history_cover": 20.0}})
    assert reference_cover(draw(covered, 0, 2)) == 20.0


def test_sales_panel_holds_bucket_sales_and_in_stock_shares() -> None:
    d = draw(scenario(**SINGLE), 0, 2)
    sales, in_stock = warmup_sales(d)
    panel, starts = bucket_panel(d, 1, (sales[1], in_stock[1]))
    assert panel.has_availability
    first = panel.frame[panel.frame["series_id"] == d.catalog.skus[0]]
    w = d.scenario.warmup
    for k, a in enumerate(starts):
        cols = slice(w + a, w + a + 7)
        assert first["demand"].iloc[k] == sales[1, cols, 0].sum()
        assert first["in_stock"].iloc[k] == pytest.approx(in_stock[1, cols, 0].mean())
    plain, _ = bucket_panel(d, 1, (sales[1], None))
    assert not plain.has_availability


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"history": "sales", "model": "true"}, "forecast.history"),
        ({"history": "stock", "model": "ets"}, "forecast.history"),
        ({"history_cover": 5.0, "model": "ets"}, "forecast.history_cover"),
        ({"history": "sales", "model": "ets", "history_cover": -1.0}, "forecast.history_cover"),
        ({"history": "sales", "model": "ets", "history_cover": 0.0}, "forecast.history_cover"),
        ({"history": "sales", "model": "ets", "history_cover": 1e300}, "forecast.history_cover"),
    ],
)
def test_bad_history_settings_are_named(change: dict, key: str) -> None:
    with pytest.raises(InputError, match=f"test.toml: key '{key}'"):
        scenario(forecast=change)


def test_sales_history_needs_one_lost_sales_node() -> None:
    with pytest.raises(InputError, match=r"key 'forecast.history'.*one node with lost sales"):
        scenario(forecast={"model": "ets", "history": "sales"})  # BASE has two nodes
    backorder = {**SINGLE, "nodes": [{"name": "store", "source": "vendor", "backorder": True}]}
    with pytest.raises(InputError, match=r"key 'forecast.history'.*one node with lost sales"):
        scenario(**backorder)


def test_the_history_is_part_of_every_cache_key() -> None:
    cache: ScenarioCache[str] = ScenarioCache()
    base = scenario(**SINGLE)
    for s in (base, dataclasses.replace(base, forecast=dataclasses.replace(base.forecast, history="demand"))):
        cache.get(s, "data", lambda s=s: s.forecast.history)
    assert len(cache) == 2


def _scores(history: str) -> tuple[float, float]:
    """Mean wQL (P10 .. P90) and P90 coverage of a small ETS table against the true weekly demand."""
    s = load(
        "steady",
        overrides=[
            "horizon=182",
            "warmup=364",
            "catalog.n_skus=6",
            'forecast.model="ets"',
            f'forecast.history="{history}"',
            "forecast.quantiles=[0.1, 0.3, 0.5, 0.7, 0.9]",
        ],
    )
    d = draw(s, 0, 2)
    table = forecast_table(d)
    actual = table.realized_buckets(served_rate(d.scenario, d.paths.demand))[:, :, 0, :, 0]  # one node
    pred = table.per_bucket[:, :, 0, :, 0]
    ok = np.isfinite(actual)
    levels = np.asarray(table.quantiles)
    return float(mean_wql(actual[ok], pred[ok], levels)), float(coverage(actual[ok], pred[ok][:, [4]])[0])


def test_stock_out_flags_bring_the_forecasts_back_to_the_true_demand() -> None:
    """The known answer of docs/censoring.md, small: ETS fitted on a base-stock policy's sales with the
    stock-out flags beats the same model fitted on the sales read as demand, scored on the true demand."""
    raw_wql, raw_cov = _scores("sales-as-demand")
    aware_wql, aware_cov = _scores("sales")
    assert aware_wql < raw_wql
    assert raw_cov < 0.9 - 0.03  # sales read as demand under-cover
    assert abs(aware_cov - 0.9) < abs(raw_cov - 0.9)


def test_replayed_data_with_stock_out_flags_is_read_as_sales(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A long file whose ``in_stock`` marks stock-outs: the forecaster of a replay gets the flags, and its
    quantiles rise above those of the same sales without them."""
    rng = np.random.default_rng(0)
    days = pd.date_range("2022-01-01", periods=168, freq="D")
    demand = rng.poisson(6.0, (3, len(days)))
    stock = rng.integers(3, 10, demand.shape)
    frame = pd.DataFrame(
        {
            "series_id": np.repeat(["a", "b", "c"], len(days)),
            "date": np.tile(days, 3),
            "demand": np.minimum(demand, stock).ravel(),
            "price": 2.0,
            "in_stock": (demand < stock).astype(float).ravel(),
        }
    )
    flagged, plain = tmp_path / "flagged.csv", tmp_path / "plain.csv"
    frame.to_csv(flagged, index=False)
    frame.drop(columns="in_stock").to_csv(plain, index=False)
    tables = {}
    for path in (flagged, plain):
        s = scenario(
            **{**SINGLE, "forecast": {"model": "ets"}, "warmup": 112, "horizon": 56},
            demand={"kind": "data", "source": f"long:{path}:D"},
            economics={"unit_cost": "0.6 * price"},
            catalog={"n_skus": 3},
        )
        d = draw(s, 0, 1)
        assert (d.catalog.in_stock is not None) == (path == flagged)
        tables[path.name] = forecast_table(d)
    higher = tables["flagged.csv"].per_bucket[..., -1] > tables["plain.csv"].per_bucket[..., -1]
    assert higher.mean() > 0.9
