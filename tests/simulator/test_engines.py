"""The engine protocol, its registry, the one rollout, the terminal state and the one list of flow names."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import numpy as np
import pytest
import torch
from des_cases import make_paths, single_world
from test_parity import random_case, rules_for

from restock.errors import InputError
from restock.simulator import ENGINE_NAMES, RunningTotals, check_engine, make_engine, rollout
from restock.simulator.batch import BatchEngine
from restock.simulator.des import DesEngine
from restock.simulator.flows import (
    COST_COMPONENTS,
    MONEY_COLUMNS,
    RECORD_COLUMNS,
    TOTAL_KEYS,
    PeriodFlows,
)
from restock.simulator.policy import BaseStock, OrderRule, OrderSchedule
from restock.simulator.rules import reward
from restock.simulator.state import ReviewState


def test_registry_names_every_engine_and_refuses_others() -> None:
    assert ENGINE_NAMES == ("des", "batch")
    world = single_world(4)
    paths = make_paths(np.ones((1, 4, 1, 1)))
    assert isinstance(make_engine("des", world, paths), DesEngine)
    assert isinstance(make_engine("batch", world, paths), BatchEngine)
    for bad in ("simpy", "", None, 3):
        with pytest.raises(InputError, match=r"engine must be one of \['des', 'batch'\], got"):
            check_engine(bad)


def test_flow_names_derive_from_the_period_flows_fields() -> None:
    names = tuple(f.name for f in fields(PeriodFlows))
    assert RECORD_COLUMNS == ("path", "period", "node", "sku", *names)
    assert MONEY_COLUMNS[-1] == "reward" and set(COST_COMPONENTS) < set(MONEY_COLUMNS)
    amounts = {"revenue": 10.0, "salvage": 2.0, "purchase_cost": 3.0, "holding_cost": 1.0}
    amounts |= {"penalty_cost": 0.5, "fixed_order_cost": 4.0}
    assert reward(amounts) == 10.0 + 2.0 - 3.0 - 1.0 - 0.5 - 4.0
    assert reward({k: np.array([v]) for k, v in amounts.items()}).tolist() == [
        10.0 + 2.0 - 3.0 - 1.0 - 0.5 - 4.0
    ]


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_a_step_returns_every_total_key_and_rollout_sums_them_to_the_records(engine: str) -> None:
    case = random_case(5)
    rule = rules_for(case)["base_stock"]
    eng = make_engine(engine, case.world, case.paths)
    seen: list[int] = []
    out = rollout(eng, rule, on_step=lambda s, q, f, n: seen.append(s.t) or None)
    assert set(out.totals) == set(TOTAL_KEYS)
    assert seen == case.world.review_periods() and out.periods == case.world.horizon
    assert out.state.terminal and out.state.t == case.world.horizon
    rec = eng.result().records
    for key in (*MONEY_COLUMNS, "sales", "lost", "demand", "received"):
        total = np.asarray(out.totals[key], dtype=float).sum()
        assert total == pytest.approx(rec[key].sum(), rel=1e-9, abs=1e-9), key


def test_rollout_counts_only_the_reviews_from_count_from() -> None:
    case = random_case(3)
    w = case.world
    rule = rules_for(case)["schedule"]
    later = w.review_periods()[2]
    full = rollout(make_engine("des", w, case.paths), rule)
    part = rollout(make_engine("des", w, case.paths), rule, count_from=later, keys=("reward",))
    assert set(part.totals) == {"reward"} and part.periods == w.horizon - later
    rec = make_engine("des", w, case.paths)
    rollout(rec, rule)
    records = rec.result().records
    assert part.totals["reward"].sum() == pytest.approx(records.loc[records.period >= later, "reward"].sum())
    assert full.totals["reward"].sum() == pytest.approx(records["reward"].sum())


def test_stepping_past_the_terminal_state_is_refused() -> None:
    world = single_world(3)
    paths = make_paths(np.ones((1, 3, 1, 1)))
    for engine in ENGINE_NAMES:
        eng = make_engine(engine, world, paths)
        out = rollout(eng, BaseStock(2.0))
        assert out.state.terminal
        with pytest.raises((InputError, RuntimeError), match=r"horizon|over"):
            eng.step(np.zeros((1, 1, 1)))


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_terminal_state_receives_what_is_due_at_the_horizon_and_keeps_the_rest_in_the_pipeline(
    engine: str,
) -> None:
    """Horizon 6, reviews at 0, 2, 4; lead times 2 (order of t2 arrives at t4), 2 (t4 -> t6 = the horizon)
    and, for the order of t4 on the second SKU, 4 (due t8). Demand 1 per period."""
    world = single_world(6, n_skus=2, review_period=2, unit_cost=1.0)
    lead = np.full((1, 6, 1, 2), 2)
    lead[0, 4, 0, 1] = 4
    paths = make_paths(np.ones((1, 6, 1, 2)), lead_time=lead)
    orders = np.array([[[[3.0, 3.0]]], [[[5.0, 5.0]]], [[[7.0, 9.0]]]])
    eng = make_engine(engine, world, paths)
    out = rollout(eng, OrderSchedule(orders, 2))
    end = out.state
    assert end.terminal and end.t == 6
    # on-hand: 3 arrived at t2 and 5 at t4, 4 sold since (t0, t1 lost); the order of t4 on SKU 0
    # (7 units) arrives at the horizon, SKU 1's (9 units) is due at t8
    on_hand = np.asarray(end.on_hand, dtype=float)
    assert on_hand.tolist() == [[[4.0 + 7.0, 4.0]]]
    pipeline = np.asarray(end.pipeline, dtype=float)[0, 0]  # [sku, k], index k: due at 6 + 1 + k
    assert pipeline[0].sum() == 0 and pipeline[1].tolist() == [0.0, 9.0, 0.0, 0.0]
    # what arrives at the horizon is not booked: purchase cost counts the units received in 0..5
    assert np.asarray(out.totals["purchase_cost"], dtype=float).sum() == pytest.approx(16.0)


@pytest.mark.parametrize("seed", range(8))
def test_terminal_states_of_both_engines_agree(seed: int) -> None:
    case = random_case(seed)
    rule = rules_for(case)["base_stock"]
    des = rollout(make_engine("des", case.world, case.paths), rule).state
    batch = rollout(make_engine("batch", case.world, case.paths), rule).state
    assert des.terminal and batch.terminal and des.t == batch.t == case.world.horizon
    for name in ("on_hand", "backlog", "pipeline"):
        got = getattr(batch, name)
        assert isinstance(got, torch.Tensor)
        np.testing.assert_allclose(got.numpy(), getattr(des, name), rtol=1e-9, atol=1e-9, err_msg=name)


def test_a_review_state_is_not_terminal() -> None:
    state = ReviewState(t=0, on_hand=np.zeros((1, 1, 1)), backlog=np.zeros((1, 1, 1)), pipeline=np.zeros(0))
    assert not state.terminal


def test_unlimited_limits_are_fast_paths_inside_the_rules() -> None:
    from restock.simulator import rules

    q, fill = np.array([5.0, 0.0, 7.0]), np.array([0.5, 1.0, 0.2])
    assert rules.accept(q, None) is q and rules.deliver(q, None) is q
    delivered, cancelled = rules.accept_order(q, None, None)
    assert delivered is q and cancelled is rules.NOTHING
    delivered, cancelled = rules.accept_order(q, None, fill)  # a fill cut without a capacity limit
    np.testing.assert_allclose(delivered, [2.5, 0.0, 1.4])
    np.testing.assert_allclose(cancelled, [2.5, 0.0, 5.6])
    for limit in (None, float("inf")):
        kept, disposed = rules.receive(np.array([3.0, 1.0]), np.array([4.0, 2.0]), limit)
        assert kept.tolist() == [7.0, 3.0] and disposed is rules.NOTHING
    assert rules.book_period(
        sales=np.array([2.0]), purchased=np.array([3.0]), end_on_hand=np.array([4.0]), lost=np.array([1.0]),
        end_backlog=np.array([0.0]), orders_placed=np.array([1.0]), price=10.0, unit_cost=2.0,
        holding_cost=0.5, penalty=3.0, fixed_order_cost=7.0, backorder=False, salvage_value=1.5,
        salvage_units=np.array([4.0]),
    )["reward"].tolist() == [20.0 + 6.0 - 6.0 - 2.0 - 3.0 - 7.0]  # fmt: skip


# ------------------------------------------------------------------ running totals


def _summed_by_hand(engine: BatchEngine, rule: OrderRule, count_from: int = 0) -> dict[str, torch.Tensor]:
    """The totals of the summing path, added by hand: initial totals (count_from 0), then every step's
    flows from ``count_from`` on, ``total + flow`` in step order."""
    state = engine.reset()
    totals = dict(engine.initial_totals) if count_from == 0 else {}
    while not state.terminal:
        nxt, flows = engine.step(rule(state))
        if state.t >= count_from:
            totals = {k: totals[k] + v if k in totals else v for k, v in flows.items()}
        state = nxt
    return totals


@pytest.mark.parametrize("seed", range(10))
def test_running_totals_are_the_summed_step_flows_bit_for_bit(seed: int) -> None:
    case = random_case(seed)
    rule = rules_for(case)["base_stock" if seed % 2 else "schedule"]
    eng = BatchEngine(case.world, case.paths, record=False)
    want = _summed_by_hand(eng, rule)
    assert isinstance(eng, RunningTotals) and not isinstance(
        make_engine("des", case.world, case.paths), RunningTotals
    )
    steps: list[int] = []
    for out in (
        rollout(eng, rule),  # step_totals: no step flows
        rollout(eng, rule, on_step=lambda s, q, f, n: steps.append(s.t) or None),  # step, and the totals
    ):
        assert set(out.totals) == set(TOTAL_KEYS) and out.periods == case.world.horizon
        for k in TOTAL_KEYS:
            torch.testing.assert_close(out.totals[k], want[k], rtol=0, atol=0, msg=k)
    assert steps == case.world.review_periods()
    picked = rollout(eng, rule, keys=("reward", "sales"))
    assert set(picked.totals) == {"reward", "sales"}
    torch.testing.assert_close(picked.totals["reward"], want["reward"], rtol=0, atol=0)
    # the totals of one rollout are not touched by the next (new tensors at every reset)
    kept = {k: v.clone() for k, v in picked.totals.items()}
    rollout(eng, BaseStock(case.levels * 2.0))
    for k, v in kept.items():
        torch.testing.assert_close(picked.totals[k], v, rtol=0, atol=0)


def test_rollout_sums_the_step_flows_itself_from_count_from_on() -> None:
    case = random_case(3)
    rule = rules_for(case)["schedule"]
    later = case.world.review_periods()[2]
    eng = BatchEngine(case.world, case.paths, record=False)
    want = _summed_by_hand(eng, rule, count_from=later)
    part = rollout(eng, rule, count_from=later, keys=("reward", "holding_cost"))
    assert set(part.totals) == {"reward", "holding_cost"}
    for k in part.totals:
        torch.testing.assert_close(part.totals[k], want[k], rtol=0, atol=0, msg=k)
    # and it reads the engine's running totals only where it counts everything (from period 0)
    engine = _Marked(eng)
    assert rollout(engine, rule).totals["reward"] is engine.mark
    assert rollout(engine, rule, keys=("reward",)).totals["reward"] is engine.mark
    assert rollout(engine, rule, count_from=later).totals["reward"] is not engine.mark


class _Marked:
    """A batch engine whose running totals are a marked tensor (which path did rollout take?)."""

    def __init__(self, engine: BatchEngine) -> None:
        self.engine, self.name, self.mark = engine, engine.name, torch.zeros(1)

    @property
    def initial_totals(self) -> dict[str, torch.Tensor]:
        return self.engine.initial_totals

    def reset(self) -> ReviewState:
        return self.engine.reset()

    def step(self, orders: Any) -> tuple[ReviewState, dict[str, torch.Tensor]]:
        return self.engine.step(orders)

    def step_totals(self, orders: Any) -> ReviewState:
        return self.engine.step_totals(orders)

    def running_totals(self) -> dict[str, torch.Tensor]:
        return dict.fromkeys(TOTAL_KEYS, self.mark)

    def result(self) -> Any:
        return self.engine.result()


@pytest.mark.parametrize("backorder", [False, True])
def test_the_gradient_through_the_running_totals_is_the_summing_paths(backorder: bool) -> None:
    case = random_case(7, backorder=backorder)
    w = case.world
    grads = []
    for running in (True, False):
        orders = torch.tensor(case.schedule, requires_grad=True)
        rule = OrderSchedule(orders, w.review_period, w.review_offset)
        eng = BatchEngine(w, case.paths, record=False, grad=True)
        totals = rollout(eng, rule).totals if running else _summed_by_hand(eng, rule)
        assert totals["reward"].requires_grad
        totals["reward"].sum().backward()
        assert orders.grad is not None
        grads.append(orders.grad)
    assert float(grads[0].abs().max()) > 0
    torch.testing.assert_close(grads[0], grads[1], rtol=0, atol=0)


def test_running_totals_before_reset_are_refused() -> None:
    case = random_case(0)
    with pytest.raises(InputError, match=r"call reset\(\) before running_totals"):
        BatchEngine(case.world, case.paths).running_totals()
