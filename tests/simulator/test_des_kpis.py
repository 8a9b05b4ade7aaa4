"""KPIs over records: hand-computed values on tiny runs and hand-made records."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from des_cases import make_paths, one_warehouse_world, single_world

from restock.simulator import kpis
from restock.simulator.des import run
from restock.simulator.policy import BaseStock
from restock.simulator.records import RECORD_COLUMNS, SimulationResult


def trace_case(level: float = 10.0, n_paths: int = 1) -> SimulationResult:
    """The run of test_des_engine's first trace: records known period by period."""
    world = single_world(
        6, review_period=2, lead=1, holding_cost=0.1, lost_sale_penalty=2.0, unit_cost=1.0, discount=0.9
    )
    demand = np.tile(np.array([3, 1, 4, 1, 5, 9], dtype=float).reshape(1, 6, 1, 1), (n_paths, 1, 1, 1))
    return run(
        world, make_paths(demand, lead_time=1, fill_rate=0.5, capacity=8.0, price=3.0), BaseStock(level)
    )


def test_kpi_table_of_a_known_run() -> None:
    res = trace_case()
    table = kpis.kpi_table(res)
    rewards = [-6.0, -1.3, 7.0, -0.75, 2.5, -3.0]
    assert table["profit"] == pytest.approx(sum(rewards))
    assert table["discounted_profit"] == pytest.approx(sum(0.9**t * r for t, r in enumerate(rewards)))
    assert table["revenue"] == pytest.approx(3.0 * 11.25)
    assert table["purchase_cost"] == pytest.approx(4.0 + 3.5 + 3.75)
    assert table["holding_cost"] == pytest.approx(0.1 * 5.5)
    assert table["penalty_cost"] == pytest.approx(2.0 * 11.75)
    assert table["fixed_order_cost"] == 0.0 and table["salvage"] == 0.0
    assert table["fill_rate"] == pytest.approx(11.25 / 23.0)
    assert table["lost_units"] == pytest.approx(11.75)
    assert table["avg_on_hand"] == pytest.approx(5.5 / 6)
    assert table["inventory_turns"] == pytest.approx(11.25 / (5.5 / 6))
    assert table["in_stock_rate"] == pytest.approx(5 / 6)  # on hand at demand time: 0, 4, 3, 3.5, 2.5, 3.75
    assert table["cycle_service_level"] == 0.0  # every two-period cycle loses a sale
    assert (table["periods"], table["skus"], table["nodes"], table["paths"]) == (6, 1, 1, 1)
    assert table["engine"] == "des"
    # money and units are per path: two identical paths give the same figures
    two = kpis.kpi_table(trace_case(n_paths=2))
    for key in ("profit", "revenue", "lost_units", "avg_on_hand", "fill_rate", "inventory_turns"):
        assert two[key] == pytest.approx(table[key])
    assert two["paths"] == 2


def test_saving_against_a_reference_on_the_same_paths() -> None:
    ours, ref = trace_case(10.0), trace_case(5.0)
    table = kpis.kpi_table(ours, reference=ref)
    diff = kpis.profit(ours.records) - kpis.profit(ref.records)
    assert table["saving"] == pytest.approx(diff)
    assert table["saving_relative"] == pytest.approx(diff / abs(kpis.profit(ref.records)))
    assert kpis.saving(ref.records, ref.records) == {"saving": 0.0, "saving_relative": 0.0}


def hand_records(
    lost: list[float], backlog: list[float], on_hand: list[float], sales: list[float]
) -> pd.DataFrame:
    t = len(lost)
    rows: dict[str, Any] = {c: np.zeros(t) for c in RECORD_COLUMNS}
    rows.update(path=np.zeros(t, dtype=int), period=np.arange(t), node=["store"] * t, sku=["a"] * t)
    rows.update(
        lost=np.array(lost), backlog=np.array(backlog), on_hand=np.array(on_hand), sales=np.array(sales)
    )
    rows["demand"] = rows["sales"] + rows["lost"]
    return pd.DataFrame(rows, columns=list(RECORD_COLUMNS))


def test_cycle_service_level_counts_cycles_from_the_review_offset() -> None:
    # review period 2, offset 1: cycles {0}, {1, 2}, {3, 4}, {5}
    rec = hand_records(
        lost=[0, 0, 1, 0, 0, 0],
        backlog=[0, 0, 0, 0, 2, 0],
        on_hand=[1, 1, 0, 1, 0, 1],
        sales=[1, 1, 1, 1, 1, 0],
    )
    assert kpis.cycle_service_level(rec, review_period=2, review_offset=1) == pytest.approx(0.5)
    assert kpis.cycle_service_level(rec, review_period=3) == pytest.approx(0.0)  # {0,1,2} and {3,4,5}
    assert kpis.cycle_service_level(rec, review_period=1) == pytest.approx(4 / 6)
    # on hand at demand time = end on hand + sales: 2, 2, 1, 2, 1, 1 -> all in stock; then one empty period
    assert kpis.in_stock_rate(rec) == 1.0
    rec.loc[5, "on_hand"] = 0.0
    assert kpis.in_stock_rate(rec) == pytest.approx(5 / 6)
    # only customer-facing nodes count
    assert kpis.in_stock_rate(rec, demand_nodes=["elsewhere"]) == 1.0


def test_degenerate_ratios() -> None:
    rec = hand_records(lost=[0, 0], backlog=[0, 0], on_hand=[0, 0], sales=[0, 0])
    assert kpis.fill_rate(rec) == 1.0
    assert kpis.inventory_turns(rec, {"a": 1.0}) == 0.0
    rec["sales"] = [1.0, 1.0]
    assert kpis.inventory_turns(rec, {"a": 1.0}) == float("inf")
    # without attrs the unit cost is inferred from purchase cost / received
    res = trace_case()
    bare = SimulationResult(records=pd.DataFrame(res.records), engine="x")
    bare.records.attrs.clear()
    assert kpis.kpi_table(bare, review_period=2)["inventory_turns"] == pytest.approx(11.25 / (5.5 / 6))


def test_service_kpis_count_customer_facing_nodes_only() -> None:
    world = one_warehouse_world(6, n_skus=2, unit_cost=1.0)
    demand = np.zeros((1, 6, 3, 2))
    demand[0, :, 1:] = 2.0
    res = run(world, make_paths(demand), BaseStock(np.array([[6.0, 6.0], [3.0, 1.0], [2.0, 0.0]])))
    table = kpis.kpi_table(res)
    fcs = res.records[res.records["node"] != "wh"]
    assert table["in_stock_rate"] == pytest.approx(((fcs["on_hand"] + fcs["sales"]) > 0).mean())
    assert table["cycle_service_level"] == pytest.approx(((fcs["lost"] == 0) & (fcs["backlog"] == 0)).mean())
    # fc1 never stocks sku1 and fc0 sells its one unit of sku1: the warehouse (always stocked) is not counted
    assert table["in_stock_rate"] == 0.75
    assert table["cycle_service_level"] == 0.5
    bare = SimulationResult(records=pd.DataFrame(res.records), engine="x")
    bare.records.attrs.clear()  # as the batch engine writes them: demand nodes are inferred
    assert kpis.kpi_table(bare)["in_stock_rate"] == table["in_stock_rate"]
