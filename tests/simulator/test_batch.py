"""The batch engine: a hand-computed trace, the step interface, conservation laws and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from restock.errors import InputError
from restock.simulator.batch import FLOW_KEYS, BatchEngine, rollout_totals, run
from restock.simulator.paths import ExogenousPaths
from restock.simulator.policy import BaseStock, ConstantOrder, OrderSchedule, ReviewState
from restock.simulator.world import Economics, Network, Node, Vendor, World


def tiny(*, backorder: bool = False, horizon: int = 8, offset: int = 0) -> tuple[World, ExogenousPaths]:
    """One SKU, one path, review every 4 periods, lead time 2, demand 3 a day, 5 units on hand."""
    world = World(
        skus=("a",),
        economics=Economics.uniform(
            1, unit_cost=1.0, holding_cost=0.1, lost_sale_penalty=0.5, fixed_order_cost=3.0, salvage_value=0.2
        ),
        network=Network.single(node=Node("store", "vendor", backorder=backorder)),
        horizon=horizon,
        review_period=4,
        review_offset=offset,
        initial_on_hand=np.array([[5.0]]),
    )
    shape = (1, horizon, 1, 1)
    paths = ExogenousPaths(
        demand=np.full(shape, 3.0),
        lead_time=np.full(shape, 2, dtype=np.int64),
        fill_rate=np.ones(shape),
        capacity=np.full((horizon, 1, 1), math.inf),
        price=np.full((1, horizon, 1), 2.0),
    )
    return world, paths


def test_hand_computed_trace_lost_sales() -> None:
    world, paths = tiny()
    orders = np.array([10.0, 0.0]).reshape(2, 1, 1, 1)
    rec = run(world, paths, OrderSchedule(orders, 4)).records
    assert rec["on_hand"].tolist() == [2, 0, 7, 4, 1, 0, 0, 0]
    assert rec["lost"].tolist() == [0, 1, 0, 0, 0, 2, 3, 3]
    assert rec["received"].tolist() == [0, 0, 10, 0, 0, 0, 0, 0]
    assert rec["in_transit"].tolist() == [10, 10, 0, 0, 0, 0, 0, 0]
    assert rec["ordered"].tolist() == [10, 0, 0, 0, 0, 0, 0, 0]
    assert rec["fixed_order_cost"].tolist() == [3, 0, 0, 0, 0, 0, 0, 0]
    # revenue 2 x 15 sold - purchase 10 - holding 0.1 x 14 - penalty 0.5 x 9 - one fixed cost 3
    assert rec["reward"].sum() == pytest.approx(30 - 10 - 1.4 - 4.5 - 3)
    assert (rec["node"] == "store").all() and (rec["sku"] == "a").all()


def test_hand_computed_trace_backorders_and_salvage() -> None:
    world, paths = tiny(backorder=True)
    orders = np.array([10.0, 6.0]).reshape(2, 1, 1, 1)
    rec = run(world, paths, OrderSchedule(orders, 4)).records
    # t1 backlog 1; t2 10 arrive, ship 1 + 3; t4 order 6 (due t6); t5 backlog 3; t6 6 arrive, ship 3 + 3
    assert rec["backlog"].tolist() == [0, 1, 0, 0, 0, 3, 0, 3]
    assert rec["sales"].tolist() == [3, 2, 4, 3, 3, 0, 6, 0]
    assert rec["on_hand"].tolist() == [2, 0, 6, 3, 0, 0, 0, 0]
    assert rec["lost"].tolist() == [0] * 8
    assert rec["penalty_cost"].sum() == pytest.approx(0.5 * 7)


def test_salvage_of_end_on_hand_in_last_period() -> None:
    world, paths = tiny()
    rec = run(world, paths, OrderSchedule(np.array([30.0, 0.0]).reshape(2, 1, 1, 1), 4)).records
    assert rec["on_hand"].iloc[-1] == 12  # 5 + 30 - 23 sold
    assert rec["salvage"].tolist() == [0] * 7 + [pytest.approx(0.2 * 12)]


def test_step_interface_and_flows_sum_to_records() -> None:
    world, paths = tiny(horizon=11, offset=2)  # two periods before the first review; a last partial block
    engine = BatchEngine(world, paths)
    first = engine.reset()
    assert (
        first.t == 2
        and tuple(first.on_hand.shape) == (1, 1, 1)
        and tuple(first.pipeline.shape) == (1, 1, 1, 2)
    )
    assert first.on_hand.item() == 0  # 5 - 3 - 2 sold before the first review
    state: ReviewState | None = first
    seen, rewards = [], []
    while not state.terminal:
        seen.append(state.t)
        state, flows = engine.step(torch.full((1, 1, 1), 4.0, dtype=torch.float64))
        assert set(flows) == set(FLOW_KEYS) and all(v.shape == (1, 1, 1) for v in flows.values())
        rewards.append(flows["reward"].item())
    assert seen == [2, 6, 10]
    rec = engine.result().records
    assert engine.initial_totals["reward"].item() == pytest.approx(rec["reward"].iloc[:2].sum())
    assert rewards[0] == pytest.approx(rec["reward"].iloc[2:6].sum())
    assert engine.initial_totals["reward"].item() + sum(rewards) == pytest.approx(rec["reward"].sum())
    with pytest.raises(InputError, match="horizon"):
        engine.step(torch.zeros(1, 1, 1))


def test_pipeline_state_shows_accepted_units_by_due_period() -> None:
    world, paths = tiny(horizon=12)
    lead = paths.lead_time.copy()
    lead[0, 4] = 5  # the order at t4 is due at t9
    fill = paths.fill_rate.copy()
    fill[0, 4] = 0.5
    paths = ExogenousPaths(paths.demand, lead, fill, paths.capacity, paths.price)
    engine = BatchEngine(world, paths)
    engine.reset()
    state, _ = engine.step(np.full((1, 1, 1), 7.0))
    assert state is not None and state.t == 4
    state, _ = engine.step(np.full((1, 1, 1), 8.0))
    assert state is not None and state.t == 8
    # due t9: 8 accepted (the fill cut is only seen on arrival)
    assert state.pipeline[0, 0, 0].tolist() == [8.0, 0, 0, 0, 0]
    engine.step(np.zeros((1, 1, 1)))
    rec = engine.result().records
    assert rec["received"].iloc[9] == 4 and rec["cancelled"].iloc[9] == 4


def test_capacity_cut_is_cancelled_at_order_time() -> None:
    world, paths = tiny()
    cap = paths.capacity.copy()
    cap[0] = 6.0
    paths = ExogenousPaths(paths.demand, paths.lead_time, paths.fill_rate, cap, paths.price)
    rec = run(world, paths, ConstantOrder(10.0)).records
    assert rec["cancelled"].iloc[0] == 4 and rec["in_transit"].iloc[0] == 6 and rec["received"].iloc[2] == 6


def test_conservation_laws_on_random_runs() -> None:
    rng = np.random.default_rng(3)
    p, t, n = 3, 40, 5
    world = World(
        skus=tuple("abcde"),
        economics=Economics.uniform(n, unit_cost=1, holding_cost=0.1),
        network=Network.single(node=Node("store", "vendor", storage_capacity=30.0)),
        horizon=t,
        review_period=7,
        review_offset=3,
    )
    paths = ExogenousPaths(
        demand=rng.poisson(4, (p, t, 1, n)).astype(float),
        lead_time=rng.integers(0, 12, (p, t, 1, n)),
        fill_rate=rng.uniform(0.5, 1, (p, t, 1, n)),
        capacity=rng.uniform(10, 40, (t, 1, n)),
        price=np.full((p, t, n), 3.0),
    )
    rec = run(world, paths, BaseStock(45.0)).records
    g = rec.groupby(["path", "sku"], observed=True)
    cum = g[["ordered", "received", "cancelled"]].cumsum()
    np.testing.assert_allclose(
        cum["ordered"], cum["received"] + cum["cancelled"] + rec["in_transit"], atol=1e-9
    )
    np.testing.assert_allclose(
        rec["on_hand"], rec["on_hand_start"] + rec["received"] - rec["disposed"] - rec["sales"], atol=1e-9
    )
    np.testing.assert_allclose(rec["demand"], rec["sales"] + rec["lost"], atol=1e-9)
    assert rec["disposed"].sum() > 0 and rec["lost"].sum() > 0 and (rec["in_transit"].iloc[-5:] > 0).any()
    assert len(rec) == p * t * n


def test_totals_fast_path_equals_records() -> None:
    world, paths = tiny(horizon=30)
    totals = rollout_totals(world, paths, BaseStock(12.0))
    rec = run(world, paths, BaseStock(12.0)).records
    for k in (
        "revenue",
        "salvage",
        "purchase_cost",
        "holding_cost",
        "penalty_cost",
        "reward",
        "sales",
        "lost",
    ):
        assert totals[k].item() == pytest.approx(rec[k].sum()), k
    assert totals["on_hand_sum"].item() == pytest.approx(rec["on_hand"].sum())


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -1.0])
def test_invalid_orders_raise_and_are_never_clipped(bad: float) -> None:
    world, paths = tiny()
    engine = BatchEngine(world, paths)
    engine.reset()
    with pytest.raises(InputError, match="invalid order"):
        engine.step(np.full((1, 1, 1), bad))


def test_wrong_order_shape_and_step_before_reset_raise() -> None:
    world, paths = tiny()
    engine = BatchEngine(world, paths)
    with pytest.raises(InputError, match="reset"):
        engine.step(np.zeros((1, 1, 1)))
    engine.reset()
    with pytest.raises(InputError, match="shape"):
        engine.step(np.zeros((1, 1)))


def test_networks_point_to_the_network_engine() -> None:
    world, paths = tiny()
    net = Network(
        vendors=(Vendor("vendor"),),
        nodes=(Node("dc", "vendor", customer_facing=False), Node("store", "dc")),
    )
    world2 = World(skus=world.skus, economics=world.economics, network=net, horizon=world.horizon)
    with pytest.raises(InputError, match="NetworkEngine"):
        BatchEngine(world2, paths)


def test_bad_settings_and_mismatched_paths_raise() -> None:
    world, paths = tiny()
    with pytest.raises(InputError, match="dtype"):
        BatchEngine(world, paths, dtype="int8")
    short = ExogenousPaths(
        paths.demand[:, :5],
        paths.lead_time[:, :5],
        paths.fill_rate[:, :5],
        paths.capacity[:5],
        paths.price[:, :5],
    )
    with pytest.raises(InputError, match="paths"):
        BatchEngine(world, short)
    with pytest.raises(InputError, match="record=True"):
        BatchEngine(world, paths, record=False).result()


def test_same_inputs_same_rollout() -> None:
    world, paths = tiny(horizon=20)
    a = rollout_totals(world, paths, BaseStock(9.0), dtype="float32")
    b = rollout_totals(world, paths, BaseStock(9.0), dtype="float32")
    assert all(torch.equal(a[k], b[k]) for k in FLOW_KEYS)


@pytest.mark.parametrize(("max_lead", "review", "backorder"), [(11, 4, False), (2, 5, True), (8, 4, True)])
def test_plain_rollout_in_place_windows_match_the_recording_engine(
    max_lead: int, review: int, backorder: bool
) -> None:
    """A plain engine (no records, no grad) keeps its pipeline windows as rings updated in place; its
    states and flows must equal the recording engine's at every review, and a state a caller holds must
    keep its value while the run goes on."""
    rng = np.random.default_rng(max_lead)
    p, t, n = 2, 37, 3
    world = World(
        skus=tuple("abc"),
        economics=Economics.uniform(n, unit_cost=1.0, holding_cost=0.1, fixed_order_cost=0.5),
        network=Network.single(node=Node("store", "vendor", backorder=backorder, storage_capacity=40.0)),
        horizon=t,
        review_period=review,
        review_offset=2,
        initial_on_hand=np.full((1, n), 50.0),
    )
    paths = ExogenousPaths(
        demand=rng.poisson(4, (p, t, 1, n)).astype(float),
        lead_time=rng.integers(0, max_lead + 1, (p, t, 1, n)),
        fill_rate=rng.uniform(0.5, 1, (p, t, 1, n)),
        capacity=rng.uniform(10, 40, (t, 1, n)),
        price=rng.uniform(2, 4, (p, t, n)),
    )
    plain, recording = BatchEngine(world, paths, record=False), BatchEngine(world, paths)
    a, b = plain.reset(), recording.reset()
    held: list[tuple[ReviewState, ReviewState]] = []
    while not (a.terminal or b.terminal):
        held.append((a, b))
        for f in ("on_hand", "backlog", "pipeline"):
            torch.testing.assert_close(getattr(a, f), getattr(b, f), rtol=0, atol=1e-12)
        orders = torch.as_tensor(rng.uniform(0, 30, (p, 1, n)))
        (a, fa), (b, fb) = plain.step(orders), recording.step(orders)
        for k in FLOW_KEYS:
            torch.testing.assert_close(fa[k], fb[k], rtol=0, atol=1e-9, msg=k)
    assert a.terminal and b.terminal and len(held) == len(world.review_periods())  # (was: None at the end)
    for f in ("on_hand", "backlog", "pipeline"):  # the terminal states agree too
        torch.testing.assert_close(getattr(a, f), getattr(b, f), rtol=0, atol=1e-12)
    # orders due more than one review period after the next review were seen (the ring wraps around)
    assert any(float(s.pipeline[..., review - 1 :].sum()) > 0 for s, _ in held) or max_lead < 2 * review
    for s, r in held:  # the states handed out earlier are unchanged
        for f in ("on_hand", "backlog", "pipeline"):
            torch.testing.assert_close(getattr(s, f), getattr(r, f), rtol=0, atol=1e-12)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize(
    ("bounds", "shape"),
    [
        ([0, 3, 10, 17, 24, 30], (30, 2, 37)),  # a short first block, weekly blocks, a short last one
        ([0, 7, 14, 21, 28], (28, 1, 5000)),  # equal blocks only
        ([0, 1, 2, 9, 30, 31], (31, 3, 11)),  # every length changes
    ],
)
def test_block_sums_are_the_per_block_sums_bit_for_bit(
    bounds: list[int], shape: tuple[int, ...], dtype: torch.dtype
) -> None:
    from restock.simulator.batch.engine import block_sums

    x = torch.as_tensor(np.random.default_rng(3).gamma(0.7, 3.1, shape), dtype=dtype)  # not whole units
    starts, ends = bounds[:-1], bounds[1:]
    got = block_sums(x, starts, ends)
    assert list(got) == starts
    for a, b in zip(starts, ends, strict=True):
        assert torch.equal(got[a], x[a:b].sum(0)), (a, b)
