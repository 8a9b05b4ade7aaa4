"""Parity: the batch engine against a plain-Python reference loop of the same rules, and against des.

Random worlds cover lost sales and backorders, stochastic lead times (0 included), fill rates < 1, finite
vendor capacities, storage capacity, changing prices, salvage, fixed order costs, initial on-hand and a
review offset; orders come from :class:`OrderSchedule` (random quantities, zeros included) and from
:class:`BaseStock` (which reads the review state, so the states must agree too).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import torch

from restock.simulator import rules
from restock.simulator.batch import BatchEngine
from restock.simulator.paths import ExogenousPaths
from restock.simulator.policy import BaseStock, OrderRule, OrderSchedule, ReviewState
from restock.simulator.records import RECORD_COLUMNS
from restock.simulator.world import Economics, Network, Node, Vendor, World

NUMERIC = [c for c in RECORD_COLUMNS if c not in ("path", "period", "node", "sku")]


@dataclass(frozen=True)
class Case:
    world: World
    paths: ExogenousPaths
    schedule: np.ndarray
    """[n_reviews, P, 1, N] random orders."""
    levels: np.ndarray
    """[1, N] base-stock levels."""


def random_case(seed: int, *, backorder: bool | None = None) -> Case:
    """A random single-node world and its paths; every feature switched on or off at random."""
    rng = np.random.default_rng(seed)
    p, n = int(rng.integers(1, 4)), int(rng.integers(1, 5))
    review = int(rng.integers(1, 6))
    horizon = int(rng.integers(review + 1, 30))
    offset = int(rng.integers(0, review))
    max_lead = int(rng.integers(0, 9))
    if backorder is None:
        backorder = bool(rng.integers(0, 2))
    storage = float(rng.uniform(5, 40)) if rng.random() < 0.5 else math.inf
    economics = Economics(
        unit_cost=rng.uniform(0.5, 3, n),
        holding_cost=rng.uniform(0, 0.3, n),
        lost_sale_penalty=rng.uniform(0, 2, n),
        fixed_order_cost=rng.uniform(0, 5, n) * (rng.random() < 0.7),
        salvage_value=rng.uniform(0, 0.5, n),
    )
    skus = tuple(f"sku{i}" for i in range(n))
    node = Node("store", source="vendor", backorder=backorder, storage_capacity=storage)
    world = World(
        skus=skus,
        economics=economics,
        network=Network.single(Vendor("vendor"), node),
        horizon=horizon,
        review_period=review,
        review_offset=offset,
        # at most the storage capacity: the engines dispose an initial excess in different periods
        # (batch: period 0; des: at the first arrival), a case the world model leaves open
        initial_on_hand=np.minimum(rng.integers(0, 15, (1, n)).astype(float), storage),
    )
    demand = rng.poisson(rng.uniform(1, 6, n), (p, horizon, 1, n)).astype(float)
    if rng.random() < 0.5:  # non-integer demand too
        demand = demand * rng.uniform(0.5, 1.5, demand.shape)
    lead = rng.integers(0, max_lead + 1, (p, horizon, 1, n))
    fill = np.where(rng.random((p, horizon, 1, n)) < 0.5, 1.0, rng.uniform(0.3, 1.0, (p, horizon, 1, n)))
    capacity = np.where(rng.random((horizon, 1, n)) < 0.5, math.inf, rng.uniform(0, 25, (horizon, 1, n)))
    price = np.repeat(rng.uniform(2, 6, (p, (horizon + 6) // 7, n)), 7, axis=1)[:, :horizon]
    paths = ExogenousPaths(demand=demand, lead_time=lead, fill_rate=fill, capacity=capacity, price=price)
    n_rev = len(world.review_periods())
    schedule = rng.uniform(0, 30, (n_rev, p, 1, n)) * (rng.random((n_rev, p, 1, n)) < 0.8)
    levels = rng.uniform(5, 40, (1, n))
    return Case(world, paths, schedule, levels)


def reference(world: World, paths: ExogenousPaths, rule: OrderRule) -> dict[str, Any]:
    """A plain loop over paths and periods with an explicit list of shipments, on the same rules.

    Returns the record columns as [P, T, N] arrays and the review states seen by the rule.
    """
    p_len, t_len, _, n = paths.demand.shape
    node = world.network.nodes[0]
    econ = world.economics
    k_len = paths.max_lead_time
    out: dict[str, np.ndarray] = {c: np.zeros((p_len, t_len, n)) for c in NUMERIC}
    states: list[list[ReviewState]] = []
    for p in range(p_len):
        on_hand = world.start_on_hand()[0].copy()
        backlog = np.zeros(n)
        shipments: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (due, accepted, delivered)
        in_transit = np.zeros(n)
        path_states = []
        for t in range(t_len):
            rec = {c: np.zeros(n) for c in NUMERIC}
            rec["on_hand_start"] = on_hand.copy()
            due_acc = sum((np.where(d == t, a, 0.0) for d, a, _ in shipments), np.zeros(n))
            due_dlv = sum((np.where(d == t, x, 0.0) for d, _, x in shipments), np.zeros(n))
            on_hand, disposed = rules.receive(on_hand, due_dlv, node.storage_capacity)
            rec["received"] += due_dlv
            rec["disposed"] += disposed
            rec["cancelled"] += due_acc - due_dlv
            in_transit -= due_acc
            ordered_positive = np.zeros(n)
            if world.is_review(t):
                pipeline = np.zeros((n, k_len))
                for k in range(k_len):
                    pipeline[:, k] = sum(
                        (np.where(d == t + 1 + k, a, 0.0) for d, a, _ in shipments), np.zeros(n)
                    )
                state = ReviewState(
                    t, on_hand[None, None].copy(), backlog[None, None].copy(), pipeline[None, None]
                )
                path_states.append(state)
                q = np.asarray(rule(state), dtype=float).reshape(n)
                cap = paths.capacity[t, 0]
                accepted = np.minimum(q, cap)
                delivered, _ = rules.accept_order(q, cap, paths.fill_rate[p, t, 0])
                due = t + paths.lead_time[p, t, 0]
                shipments.append((due, accepted, delivered))
                rec["ordered"] = q
                rec["cancelled"] += q - accepted
                in_transit += accepted
                now = due == t
                on_hand, disposed = rules.receive(
                    on_hand, np.where(now, delivered, 0.0), node.storage_capacity
                )
                rec["received"] += np.where(now, delivered, 0.0)
                rec["disposed"] += disposed
                rec["cancelled"] += np.where(now, accepted - delivered, 0.0)
                in_transit -= np.where(now, accepted, 0.0)
                ordered_positive = (q > 0).astype(float)
            demand = paths.demand[p, t, 0]
            if node.backorder:
                sales, backlog, on_hand = rules.serve_backorders(on_hand, backlog, demand)
                lost = np.zeros(n)
            else:
                sales, lost, on_hand = rules.serve_lost_sales(on_hand, demand)
            cash = rules.period_cash_flows(
                sales=sales,
                purchased=rec["received"],
                end_on_hand=on_hand,
                lost=lost,
                end_backlog=backlog,
                orders_placed=ordered_positive,
                price=paths.price[p, t],
                unit_cost=econ.unit_cost,
                holding_cost=econ.holding_cost,
                penalty=econ.lost_sale_penalty,
                fixed_order_cost=econ.fixed_order_cost,
                backorder=node.backorder,
            )
            rec.update(cash)
            rec["salvage"] = on_hand * econ.salvage_value if t == t_len - 1 else np.zeros(n)
            rec["reward"] = rec["revenue"] + rec["salvage"] - sum(cash[c] for c in rules.COST_COMPONENTS)
            rec.update(demand=demand, sales=sales, lost=lost, backlog=backlog, on_hand=on_hand)
            rec["in_transit"] = in_transit.copy()
            for c in NUMERIC:
                out[c][p, t] = rec[c]
        states.append(path_states)
    return {**out, "states": states}


class PerPath:
    """Apply a batch rule to one path of the reference (the rule sees a [1, 1, N] state)."""

    def __init__(self, rule: OrderRule, path: int) -> None:
        self.rule, self.path = rule, path

    def __call__(self, state: ReviewState) -> Any:
        if isinstance(self.rule, OrderSchedule):
            r = (state.t - self.rule.review_offset) // self.rule.review_period
            return np.asarray(self.rule.orders[r][self.path : self.path + 1], dtype=float)
        return self.rule(state)


def reference_all_paths(world: World, paths: ExogenousPaths, rule: OrderRule) -> dict[str, Any]:
    parts = [reference(world, paths.path(p), PerPath(rule, p)) for p in range(paths.n_paths)]
    out = {c: np.concatenate([x[c] for x in parts]) for c in NUMERIC}
    out["states"] = [x["states"][0] for x in parts]
    return out


def batch_arrays(world: World, paths: ExogenousPaths, rule: OrderRule) -> tuple[dict[str, np.ndarray], list]:
    """Run the batch engine step by step; record columns as [P, T, N] and the states at each review."""
    engine = BatchEngine(world, paths)
    state: ReviewState | None = engine.reset()
    states = []
    while not state.terminal:
        states.append(state)
        state, _ = engine.step(rule(state))
    rec = engine.result().records
    p_len, t_len, n = paths.n_paths, paths.horizon, paths.n_skus
    return {c: rec[c].to_numpy().reshape(p_len, t_len, n) for c in NUMERIC}, states


def rules_for(case: Case) -> dict[str, OrderRule]:
    w = case.world
    return {
        "schedule": OrderSchedule(case.schedule, w.review_period, w.review_offset),
        "base_stock": BaseStock(case.levels),
    }


@pytest.mark.parametrize("seed", range(24))
@pytest.mark.parametrize("rule_name", ["schedule", "base_stock"])
def test_batch_matches_reference_loop(seed: int, rule_name: str) -> None:
    case = random_case(seed)
    rule = rules_for(case)[rule_name]
    ref = reference_all_paths(case.world, case.paths, rule)
    got, states = batch_arrays(case.world, case.paths, rule)
    for c in NUMERIC:
        np.testing.assert_allclose(got[c], ref[c], rtol=1e-9, atol=1e-9, err_msg=c)
    for i, state in enumerate(states):
        for p in range(case.paths.n_paths):
            want = ref["states"][p][i]
            assert state.t == want.t
            for f in ("on_hand", "backlog", "pipeline"):
                np.testing.assert_allclose(
                    getattr(state, f)[p].numpy(), getattr(want, f)[0], atol=1e-9, err_msg=f
                )


@pytest.mark.parametrize("backorder", [False, True])
def test_both_service_models_are_exercised(backorder: bool) -> None:
    """The sweep above is random; make sure each service model meets stockouts and disposals here."""
    case = random_case(101, backorder=backorder)
    world = World(
        skus=case.world.skus,
        economics=case.world.economics,
        network=Network.single(
            Vendor("vendor"), Node("store", "vendor", backorder=backorder, storage_capacity=12.0)
        ),
        horizon=case.world.horizon,
        review_period=case.world.review_period,
        review_offset=case.world.review_offset,
        initial_on_hand=case.world.initial_on_hand,
    )
    rule = OrderSchedule(case.schedule * 2, world.review_period, world.review_offset)
    ref = reference_all_paths(world, case.paths, rule)
    got, _ = batch_arrays(world, case.paths, rule)
    assert ref["disposed"].sum() > 0
    assert (ref["backlog"].sum() if backorder else ref["lost"].sum()) > 0
    for c in NUMERIC:
        np.testing.assert_allclose(got[c], ref[c], rtol=1e-9, atol=1e-9, err_msg=c)


def test_float32_close_to_float64() -> None:
    case = random_case(7)
    rule = rules_for(case)["base_stock"]
    r64 = BatchEngine(case.world, case.paths, record=False).rollout(rule)
    r32 = BatchEngine(case.world, case.paths, record=False, dtype=torch.float32).rollout(rule)
    for k, v in r64.items():
        np.testing.assert_allclose(r32[k].double().numpy(), v.numpy(), rtol=1e-4, atol=1e-3, err_msg=k)


def des_arrays(
    world: World, paths: ExogenousPaths, rule: OrderRule
) -> tuple[dict[str, np.ndarray], list, list]:
    """Run the des engine step by step: record columns [P, T, N], states, and step flows."""
    from restock.simulator.des import DesEngine

    engine = DesEngine(world, paths)
    state: ReviewState | None = engine.reset()
    states, flows = [], [engine.initial_totals]
    while not state.terminal:
        states.append(state)
        state, f = engine.step(rule(state))
        flows.append(f)
    rec = engine.result().records.sort_values(["path", "period", "sku"], kind="stable")
    p_len, t_len, n = paths.n_paths, paths.horizon, paths.n_skus
    return {c: rec[c].to_numpy().reshape(p_len, t_len, n) for c in NUMERIC}, states, flows


@pytest.mark.parametrize("seed", range(24))
@pytest.mark.parametrize("rule_name", ["schedule", "base_stock"])
def test_batch_matches_des_period_by_period(seed: int, rule_name: str) -> None:
    case = random_case(seed)
    rule = rules_for(case)[rule_name]
    want, want_states, want_flows = des_arrays(case.world, case.paths, rule)
    engine = BatchEngine(case.world, case.paths)
    state: ReviewState | None = engine.reset()
    flows = [engine.initial_totals]
    i = 0
    while not state.terminal:
        want_state = want_states[i]
        assert state.t == want_state.t
        for name in ("on_hand", "backlog", "pipeline"):
            np.testing.assert_allclose(
                getattr(state, name).numpy(), getattr(want_state, name), rtol=1e-6, atol=1e-9
            )
        state, step_flows = engine.step(rule(state))
        flows.append(step_flows)
        i += 1
    assert i == len(want_states)
    got = engine.result().records
    p_len, t_len, n = case.paths.n_paths, case.paths.horizon, case.paths.n_skus
    for c in NUMERIC:
        np.testing.assert_allclose(
            got[c].to_numpy().reshape(p_len, t_len, n), want[c], rtol=1e-6, atol=1e-9, err_msg=c
        )
    for mine, theirs in zip(flows, want_flows, strict=True):
        for k in theirs:
            np.testing.assert_allclose(mine[k].numpy(), theirs[k], rtol=1e-6, atol=1e-9, err_msg=k)


@pytest.mark.parametrize("backorder", [False, True])
def test_batch_matches_des_on_sampled_paths_with_disruptions(backorder: bool) -> None:
    """Paths from ``sample_paths``: negative-binomial lead times, Beta fill rates, a capacity, and an outage,
    a lead-time multiplier and a capacity cut applied by the world model (long lead times: a wide window)."""
    from restock.simulator.paths import sample_paths
    from restock.simulator.world import Disruption, FillRate, LeadTime

    vendor = Vendor(
        "vendor",
        lead_time=LeadTime("negative_binomial", shift=1, mean=4.0, var=6.0),
        fill_rate=FillRate(mean=0.9, concentration=20.0),
        capacity=60.0,
        disruptions=(
            Disruption("outage", 20, 35),
            Disruption("lead_time_multiplier", 40, 55, factor=2.0),
            Disruption("capacity_multiplier", 60, 70, factor=0.3),
        ),
    )
    n, horizon = 4, 84
    world = World(
        skus=tuple(f"s{i}" for i in range(n)),
        economics=Economics.uniform(
            n,
            unit_cost=1.0,
            holding_cost=0.05,
            lost_sale_penalty=1.0,
            fixed_order_cost=2.0,
            salvage_value=0.3,
        ),
        network=Network.single(vendor, Node("store", "vendor", backorder=backorder, storage_capacity=150.0)),
        horizon=horizon,
        review_period=7,
        review_offset=2,
        initial_on_hand=np.full((1, n), 20.0),
    )
    paths = sample_paths(
        world,
        lambda rng, p: rng.poisson(8.0, (p, horizon, 1, n)).astype(float),
        lambda rng, p: np.repeat(rng.uniform(2, 4, (p, horizon // 7, n)), 7, axis=1),
        n_paths=3,
        seed=4,
    )
    assert paths.max_lead_time >= 15  # the outage holds shipments: a long pipeline
    rule = BaseStock(np.full((1, n), 90.0))
    want, _, _ = des_arrays(world, paths, rule)
    got, _ = batch_arrays(world, paths, rule)
    for c in NUMERIC:
        np.testing.assert_allclose(got[c], want[c], rtol=1e-6, atol=1e-9, err_msg=c)
    assert want["cancelled"].sum() > 0 and (want["backlog"].sum() if backorder else want["lost"].sum()) > 0
