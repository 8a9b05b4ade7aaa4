"""KPIs over a rollout's totals: hand-computed totals, numpy and torch alike, and the same numbers as the
records-based KPIs (kpi_table) on the same rollout of either engine."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
import torch
from test_parity import random_case, rules_for

from restock.simulator import ENGINE_NAMES, kpis, make_engine, rollout
from restock.simulator.flows import MONEY_AMOUNTS, TOTAL_KEYS
from restock.simulator.policy import BaseStock


def hand_totals() -> dict[str, np.ndarray]:
    """Totals of 2 paths x 1 node x 2 SKUs over 4 periods, [P, M, N], written out by hand."""
    t = {k: np.zeros((2, 1, 2)) for k in TOTAL_KEYS}
    t["revenue"] = np.array([[[30.0, 10.0]], [[20.0, 0.0]]])
    t["salvage"] = np.array([[[1.0, 0.0]], [[0.0, 1.0]]])
    t["purchase_cost"] = np.array([[[12.0, 4.0]], [[8.0, 4.0]]])
    t["holding_cost"] = np.array([[[1.0, 1.0]], [[2.0, 2.0]]])
    t["penalty_cost"] = np.array([[[0.0, 2.0]], [[4.0, 0.0]]])
    t["fixed_order_cost"] = np.array([[[0.5, 0.5]], [[0.5, 0.5]]])
    # reward = revenue + salvage - costs: path 0: 17.5 + 2.5 = 20; path 1: 5.5 - 6.5 = -1
    t["reward"] = np.array([[[17.5, 2.5]], [[5.5, -6.5]]])
    t["demand"] = np.array([[[10.0, 6.0]], [[8.0, 0.0]]])
    t["sales"] = np.array([[[10.0, 5.0]], [[6.0, 0.0]]])
    t["lost"] = t["demand"] - t["sales"]
    t["on_hand_sum"] = np.array([[[4.0, 8.0]], [[6.0, 6.0]]])
    return t


def test_totals_kpis_of_hand_computed_totals() -> None:
    t = hand_totals()
    assert kpis.totals_sum(t, "reward") == 19.0
    assert kpis.totals_points(t) == 4
    assert kpis.totals_profit(t, 2) == 9.5  # (20 - 1) / 2
    assert kpis.totals_lost_units(t, 2) == 1.5  # (1 + 2) / 2
    assert kpis.totals_fill_rate(t) == pytest.approx(21.0 / 24.0)
    assert kpis.totals_money(t, 2) == {
        "revenue": 30.0,
        "salvage": 1.0,
        "purchase_cost": 14.0,
        "holding_cost": 3.0,
        "penalty_cost": 3.0,
        "fixed_order_cost": 1.0,
    }
    assert list(kpis.totals_money(t, 2)) == list(MONEY_AMOUNTS)
    assert kpis.totals_money({"reward": t["reward"], "holding_cost": t["holding_cost"]}, 2) == {
        "holding_cost": 3.0
    }
    # 4 points x 4 periods
    assert kpis.totals_avg_on_hand_per_point(t, 4) == 24.0 / 16.0
    assert kpis.totals_cost_per_period(t, 4) == -19.0 / 16.0
    assert kpis.totals_per_point_period(t, "holding_cost", 4) == 6.0 / 16.0
    np.testing.assert_array_equal(kpis.totals_path_rates(t, "reward", 2, 4), [20.0 / 8.0, -1.0 / 8.0])


def test_totals_kpis_take_torch_tensors_and_flat_decision_points() -> None:
    t = hand_totals()
    flat = {k: torch.as_tensor(v.reshape(-1)) for k, v in t.items()}  # [B] path-major, as the Observer
    assert kpis.totals_profit(flat, 2) == 9.5
    assert kpis.totals_points(flat) == 4
    assert kpis.totals_cost_per_period(flat, 4) == -19.0 / 16.0
    rates = kpis.totals_path_rates(flat, "reward", 2, 4)
    assert isinstance(rates, np.ndarray) and rates.dtype == np.float64
    np.testing.assert_array_equal(rates, [2.5, -0.125])
    single = {"reward": torch.tensor([1.5, 2.0], dtype=torch.float32, requires_grad=True)}
    assert kpis.totals_path_rates(single, "reward", 2, 2).dtype == np.float32
    assert kpis.totals_profit(single, 2) == 1.75


def test_shared_definitions_and_their_edge_cases() -> None:
    assert kpis.fill_rate_of(3.0, 4.0) == 0.75
    assert kpis.fill_rate_of(0.0, 0.0) == 1.0
    assert math.isnan(kpis.fill_rate_of(0.0, 0.0, no_demand=math.nan))
    assert kpis.totals_fill_rate({"sales": np.zeros(3), "demand": np.zeros(3)}) == 1.0
    assert kpis.mean_per_period(12.0, 3, 2) == 2.0
    assert kpis.mean_per_period(5.0, 0, 0) == 5.0  # no period counted: no division by zero
    assert kpis.saving_of(90.0, 120.0) == {"saving": -30.0, "saving_relative": -0.25}
    assert kpis.saving_of(-90.0, -120.0) == {"saving": 30.0, "saving_relative": 0.25}
    assert kpis.relative_saving(90.0, 120.0, scale=100.0) == -25.0
    assert math.isnan(kpis.relative_saving(1.0, 0.0))
    assert kpis.totals_path_rates({"reward": np.ones(4)}, "reward", 2, 0).tolist() == [1.0, 1.0]


@pytest.mark.parametrize("engine", ENGINE_NAMES)
@pytest.mark.parametrize("seed", [1, 4, 7])
def test_totals_kpis_equal_the_records_kpis_of_the_same_rollout(engine: str, seed: int) -> None:
    case = random_case(seed)
    eng = make_engine(engine, case.world, case.paths)
    out = rollout(eng, rules_for(case)["base_stock"])
    result = eng.result()
    table = kpis.kpi_table(result)
    p = case.paths.n_paths
    assert out.periods == case.world.horizon == table["periods"]
    assert kpis.totals_profit(out.totals, p) == pytest.approx(table["profit"], rel=1e-9, abs=1e-9)
    assert kpis.totals_fill_rate(out.totals) == pytest.approx(table["fill_rate"], rel=1e-9)
    assert kpis.totals_lost_units(out.totals, p) == pytest.approx(table["lost_units"], rel=1e-9, abs=1e-9)
    money = kpis.totals_money(out.totals, p)
    assert list(money) == list(MONEY_AMOUNTS)
    for k, v in money.items():
        assert v == pytest.approx(table[k], rel=1e-9, abs=1e-9), k
    # kpi_table's avg_on_hand sums over nodes and SKUs: the per-point figure times the points of a path
    points_per_path = kpis.totals_points(out.totals) // p
    assert points_per_path == table["skus"] * table["nodes"]
    per_point = kpis.totals_avg_on_hand_per_point(out.totals, out.periods)
    assert per_point * points_per_path == pytest.approx(table["avg_on_hand"], rel=1e-9, abs=1e-9)


def test_records_and_totals_give_the_same_saving() -> None:
    case = random_case(2)
    runs = []
    for rule in ("base_stock", "schedule"):
        eng = make_engine("des", case.world, case.paths)
        runs.append((rollout(eng, rules_for(case)[rule]), eng.result()))
    (ours, ours_rec), (ref, ref_rec) = runs
    p = case.paths.n_paths
    from_records = kpis.saving(ours_rec.records, ref_rec.records)
    from_totals = kpis.saving_of(kpis.totals_profit(ours.totals, p), kpis.totals_profit(ref.totals, p))
    assert from_totals["saving"] == pytest.approx(from_records["saving"], rel=1e-9, abs=1e-9)
    assert from_totals["saving_relative"] == pytest.approx(from_records["saving_relative"], rel=1e-9)
    assert from_records["saving"] != 0.0


def _sums(engine: str, world, paths, levels) -> kpis.RunSums:  # type: ignore[no-untyped-def]
    eng = make_engine(engine, world, paths, record=False)
    counter = kpis.CycleCounter([n.customer_facing for n in world.network.nodes])
    done = rollout(eng, BaseStock(levels), on_step=counter)
    return kpis.rollout_sums(world, paths.n_paths, eng, done, counter)


@pytest.mark.parametrize("engine", ENGINE_NAMES)
@pytest.mark.parametrize("seed", [3, 5, 8])
def test_run_sums_of_sku_shards_merge_into_the_whole_runs_kpis(engine: str, seed: int) -> None:
    """SKUs of one node do not interact: the KPIs of the whole catalog are those of its shards' sums added
    up (sums of flows, not averages of ratios), and they are the records' KPIs where totals give them."""
    case = random_case(seed)
    n = case.world.n_skus
    if n < 2:
        case = random_case(seed + 100)
        n = case.world.n_skus
    assert n >= 2 and case.world.inbound_capacity is None and case.world.storage_volume is None
    whole = _sums(engine, case.world, case.paths, case.levels)
    cut = n // 2
    parts = [np.arange(cut), np.arange(cut, n)]
    shards = [_sums(engine, case.world.take_skus(i), case.paths.skus(i), case.levels[:, i]) for i in parts]
    merged = shards[0].merge(shards[1])
    assert merged.skus == n and merged.cycles == whole.cycles
    got, want = merged.kpis(), whole.kpis()
    assert set(got) == set(want)
    for key, value in want.items():
        if isinstance(value, float):
            assert got[key] == pytest.approx(value, rel=1e-12, abs=1e-9), key
        else:
            assert got[key] == value, key
    eng = make_engine(engine, case.world, case.paths)
    rollout(eng, BaseStock(case.levels))
    table = kpis.kpi_table(eng.result())
    for key in ("profit", "fill_rate", "inventory_turns", "avg_on_hand", "lost_units"):
        assert got[key] == pytest.approx(table[key], rel=1e-9, abs=1e-9), key
    if not case.world.network.nodes[0].backorder:
        assert got["cycle_service_level"] == pytest.approx(table["cycle_service_level"], rel=1e-12)
    with pytest.raises(ValueError, match="different n_paths"):
        merged.merge(replace(whole, n_paths=whole.n_paths + 1))
