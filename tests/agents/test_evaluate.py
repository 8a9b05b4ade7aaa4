"""Paired evaluation: common random numbers, exact-zero self comparison, KPI rows, bad orders, specs."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from baseline_worlds import zero_lead_scenario

from restock.agents.baselines import BaseStockPolicy, NewsvendorPolicy
from restock.agents.evaluate import eval_seeds, evaluate
from restock.agents.specs import KNOWN, resolve_policy
from restock.errors import InputError
from restock.seeding import EVAL_SEED_OFFSET
from restock.simulator.records import RECORD_COLUMNS


@dataclass
class Bad:
    """Orders ``value`` from period ``after`` on."""

    value: float
    after: int = 0
    name: str = "bad"

    def act(self, batch, state):  # type: ignore[no-untyped-def]
        return np.full(batch.size, self.value if state.t >= self.after else 1.0)


@dataclass
class NodeSpy:
    """Base-stock per node, remembering which nodes it was asked about."""

    level: float
    name: str = "spy"
    nodes: list[int] = field(default_factory=list)

    def act(self, batch, state):  # type: ignore[no-untyped-def]
        self.nodes.append(batch.node)
        return np.maximum(self.level - batch.position(state), 0.0)


def test_a_policy_against_itself_has_exactly_zero_saving(tmp_path: Path) -> None:
    sc = zero_lead_scenario(tmp_path, horizon=20, n_paths=2)
    ev = evaluate({"newsvendor": NewsvendorPolicy(), "copy": NewsvendorPolicy(name="copy")}, sc, 3)
    row = ev.summary.set_index("policy").loc["copy"]
    assert (row["saving_vs_newsvendor"], row["ci_low"], row["ci_high"]) == (0.0, 0.0, 0.0)
    assert row["n_seeds"] == 3


def test_rows_summary_and_records(tmp_path: Path) -> None:
    sc = zero_lead_scenario(tmp_path, horizon=20, n_paths=2)
    ev = evaluate([BaseStockPolicy(8.0)], sc, [5, 6], keep_records=True)
    # the reference newsvendor was added, every policy ran on every seed
    assert list(ev.summary["policy"]) == ["newsvendor", "base-stock"]
    assert sorted(zip(ev.rows["policy"], ev.rows["seed"], strict=True)) == [
        ("base-stock", 5), ("base-stock", 6), ("newsvendor", 5), ("newsvendor", 6)
    ]  # fmt: skip
    for kpi in ("profit", "revenue", "purchase_cost", "holding_cost", "penalty_cost", "fixed_order_cost",
                "fill_rate", "cycle_service_level", "in_stock_rate", "avg_on_hand", "inventory_turns",
                "lost_units"):  # fmt: skip
        assert kpi in ev.rows.columns
    for col in ("profit", "saving_vs_newsvendor", "ci_low", "ci_high", "n_seeds", "fill_rate"):
        assert col in ev.summary.columns
    rec = ev.records[("base-stock", 6)]
    assert tuple(rec.columns) == RECORD_COLUMNS and rec.attrs["review_period"] == 1
    base = ev.rows[ev.rows["policy"] == "base-stock"].set_index("seed")["profit"]
    nv = ev.rows[ev.rows["policy"] == "newsvendor"].set_index("seed")["profit"]
    s = ev.summary.set_index("policy").loc["base-stock"]
    assert s["saving_vs_newsvendor"] == pytest.approx((base - nv).mean())
    assert s["ci_low"] < s["saving_vs_newsvendor"] < s["ci_high"]
    assert rec["reward"].sum() / 2 == pytest.approx(base.loc[6])
    json.dumps(ev.to_dict())


def test_both_engines_give_the_same_evaluation(tmp_path: Path) -> None:
    sc = zero_lead_scenario(tmp_path, horizon=20, n_paths=2)
    a = evaluate([NewsvendorPolicy(), BaseStockPolicy(9.0)], sc, 2, engine="des")
    b = evaluate([NewsvendorPolicy(), BaseStockPolicy(9.0)], sc, 2, engine="batch")
    cols = ["profit", "fill_rate", "cycle_service_level", "avg_on_hand", "inventory_turns"]
    np.testing.assert_allclose(a.rows[cols].to_numpy(float), b.rows[cols].to_numpy(float), rtol=1e-9)


@pytest.mark.parametrize("value", [float("nan"), -1.0, float("inf")])
def test_invalid_orders_are_input_errors_naming_policy_and_period(tmp_path: Path, value: float) -> None:
    sc = zero_lead_scenario(tmp_path, horizon=20, n_paths=1)
    with pytest.raises(InputError, match=r"policy 'bad' .* in period 4"):
        evaluate([Bad(value, after=4)], sc, 1)


def test_evaluation_seeds_are_disjoint_from_training_seeds() -> None:
    assert eval_seeds(3) == [EVAL_SEED_OFFSET, EVAL_SEED_OFFSET + 1, EVAL_SEED_OFFSET + 2]
    assert eval_seeds([4, 2]) == [4, 2]
    for bad in (0, [1, 1], True):
        with pytest.raises(InputError):
            eval_seeds(bad)  # type: ignore[arg-type]


def test_a_network_gets_one_decision_batch_per_node() -> None:
    from restock.scenarios import load

    spy = NodeSpy(60.0)
    ev = evaluate([spy], load("warehouse-3fc", ["horizon=28"]), 1)
    assert sorted(set(spy.nodes)) == [0, 1, 2, 3]
    assert ev.rows["nodes"].iloc[0] == 4


def test_unknown_spec_lists_the_known_names(tmp_path: Path) -> None:
    sc = zero_lead_scenario(tmp_path)
    with pytest.raises(InputError, match=r"unknown policy 'nope'.*newsvendor.*oracle.*runs/<dir>"):
        resolve_policy("nope", sc)
    assert len(set(KNOWN)) == len(KNOWN) == 18
    assert {"single-index", "dual-index", "capped-dual-index"} <= set(KNOWN)
    with pytest.raises(InputError, match="no such run folder"):
        resolve_policy("runs/missing", sc)


def test_true_newsvendor_is_the_newsvendor_when_forecasts_are_exact(tmp_path: Path) -> None:
    sc = zero_lead_scenario(tmp_path, horizon=20, n_paths=2)
    ev = evaluate({"newsvendor": NewsvendorPolicy(), "true": resolve_policy("true-newsvendor", sc)}, sc, 2)
    assert ev.summary.set_index("policy").loc["true", "saving_vs_newsvendor"] == 0.0


def test_tuning_on_another_scenario_needs_the_same_skus(tmp_path: Path) -> None:
    from restock.agents.baselines import TuningConfig

    sc = zero_lead_scenario(tmp_path, horizon=20, n_paths=2, n_skus=3)
    (tmp_path / "other").mkdir()
    (tmp_path / "longer").mkdir()
    other = zero_lead_scenario(tmp_path / "other", horizon=20, n_paths=2, n_skus=2)
    with pytest.raises(InputError, match="tuned levels do not fit"):
        resolve_policy("constant", sc, train_scenario=other)
    longer = zero_lead_scenario(tmp_path / "longer", horizon=30, n_paths=2, n_skus=3)
    cfg = TuningConfig(train_seeds=1, grid=4, rounds=1)
    policy = resolve_policy("constant", sc, tuning=cfg, train_scenario=longer)
    assert policy.name == "constant"
