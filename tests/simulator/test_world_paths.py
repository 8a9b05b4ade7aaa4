"""The world model, exogenous paths, period rules and review state.

Tests of world.py, paths.py, rules.py and policy.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from restock.errors import InputError
from restock.simulator import rules
from restock.simulator.paths import ExogenousPaths, apply_disruption, sample_paths
from restock.simulator.policy import BaseStock, ConstantOrder, OrderSchedule, ReviewState, check_orders
from restock.simulator.world import Disruption, Economics, FillRate, LeadTime, Network, Node, Vendor, World


def world_with(vendor: Vendor, horizon: int = 20, n_skus: int = 2) -> World:
    return World(
        skus=tuple(f"s{i}" for i in range(n_skus)),
        economics=Economics.uniform(n_skus),
        network=Network.single(vendor),
        horizon=horizon,
        review_period=1,
    )


def sample(world: World, n_paths: int = 3, seed: int = 0) -> ExogenousPaths:
    t, m, n = world.horizon, len(world.network.nodes), world.n_skus
    return sample_paths(
        world,
        lambda rng, p: rng.poisson(2.0, (p, t, m, n)).astype(float),
        lambda rng, p: np.full((p, t, n), 3.0),
        n_paths=n_paths,
        seed=seed,
    )


# --- lead times and fill rates: the moments they promise -------------------------------------------


@pytest.mark.parametrize(
    ("dist", "mean", "var"),
    [
        (LeadTime(value=3), 3.0, 0.0),
        (LeadTime("empirical", values=(1, 4), probs=(0.25, 0.75)), 3.25, 0.25 * 0.75 * 9),
        (LeadTime("shifted_poisson", shift=2, mean=5.0), 5.0, 3.0),
        (LeadTime("negative_binomial", shift=1, mean=4.0, var=6.0), 4.0, 6.0),
    ],
)
def test_lead_time_distributions_have_their_moments(dist: LeadTime, mean: float, var: float) -> None:
    draws = dist.sample(np.random.default_rng(0), 200_000)
    assert draws.dtype == np.int64 and draws.min() >= 0
    assert dist.expected() == mean
    assert draws.mean() == pytest.approx(mean, abs=5 * math.sqrt(var / 200_000) + 1e-12)
    assert draws.var() == pytest.approx(var, rel=0.03, abs=1e-12)
    assert dist.upper() >= np.quantile(draws, 0.9999)


def test_fill_rate_beta_mean_and_constant() -> None:
    draws = FillRate(mean=0.8, concentration=10.0).sample(np.random.default_rng(1), 100_000)
    assert draws.mean() == pytest.approx(0.8, abs=0.003)
    assert draws.var() == pytest.approx(0.8 * 0.2 / 11, rel=0.05)  # Beta: m (1 - m) / (a + b + 1)
    assert (FillRate(mean=0.7).sample(np.random.default_rng(1), 5) == 0.7).all()


# --- sampling paths --------------------------------------------------------------------------------


def test_sample_paths_is_reproducible_from_its_seed_and_per_component() -> None:
    world = world_with(Vendor("vendor", lead_time=LeadTime("shifted_poisson", shift=1, mean=3.0)))
    a, b, c = sample(world, seed=5), sample(world, seed=5), sample(world, seed=6)
    for name in ("demand", "lead_time", "fill_rate", "capacity", "price"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.demand, c.demand) and not np.array_equal(a.lead_time, c.lead_time)
    assert a.demand.shape == (3, 20, 1, 2) and a.lead_time.min() >= 1
    # one path of many is the path alone
    np.testing.assert_array_equal(a.path(1).demand[0], a.demand[1])
    np.testing.assert_array_equal(a.skus(np.array([1])).lead_time[..., 0], a.lead_time[..., 1])


def test_sample_paths_draws_lead_times_sku_by_sku_from_one_generator() -> None:
    """Runs of SKUs with the same distribution are drawn in one call: the numbers are those of one call per
    SKU, in SKU order, from the lead-time generator."""
    from restock import seeding

    base, other = LeadTime("shifted_poisson", shift=1, mean=3.0), LeadTime("shifted_poisson", mean=6.0)
    vendor = Vendor("v", lead_time=base, lead_time_by_sku={"s2": other, "s3": other})
    world = world_with(vendor, n_skus=6)
    got = sample(world, n_paths=2, seed=4).lead_time[:, :, 0, :]
    rng = seeding.generator(4, f"lead_time/{world.network.nodes[0].name}")
    want = np.stack([[base, base, other, other, base, base][j].sample(rng, (2, 20)) for j in range(6)], -1)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("lead_block", [65_536, 2])
def test_a_shard_of_the_skus_gets_the_lead_times_and_fill_rates_of_the_whole_draw(
    monkeypatch: pytest.MonkeyPatch, lead_block: int
) -> None:
    """``sample_paths(shard=(catalog SKUs, first))``: per-SKU stochastic lead times, a Beta fill rate and a
    deterministic run, each shard equal to its SKUs of the whole catalog's draw (any block size)."""
    from restock.simulator import paths as paths_module

    monkeypatch.setattr(paths_module, "LEAD_BLOCK", lead_block)
    base, other = LeadTime("shifted_poisson", shift=1, mean=3.0), LeadTime(value=4)
    vendor = Vendor(
        "v",
        lead_time=base,
        lead_time_by_sku={"s2": other, "s3": other, "s6": LeadTime("negative_binomial", mean=3.0, var=5.0)},
        fill_rate=FillRate(mean=0.8, concentration=5.0),
    )
    world = world_with(vendor, n_skus=8)
    whole = sample(world, n_paths=2, seed=9)
    for first, stop in [(0, 3), (2, 4), (3, 8), (5, 6)]:
        part = world.take_skus(np.arange(first, stop))
        got = sample_paths(
            part,
            lambda rng, p, k=stop - first: np.zeros((p, 20, 1, k)),
            lambda rng, p, k=stop - first: np.ones((p, 20, k)),
            n_paths=2,
            seed=9,
            shard=(world.skus, first),
        )
        for name in ("lead_time", "fill_rate", "capacity"):
            np.testing.assert_array_equal(
                getattr(got, name), getattr(whole, name)[..., first:stop], err_msg=name
            )
    with pytest.raises(InputError, match=r"not SKUs 1 \.\. 3 of the catalog"):
        sample_paths(world.take_skus([0, 1, 2]), lambda r, p: np.zeros((p, 20, 1, 3)),
                     lambda r, p: np.ones((p, 20, 3)), n_paths=1, seed=0, shard=(world.skus, 1))  # fmt: skip


def test_sample_paths_per_sku_lead_times_and_transfer_lead_times() -> None:
    vendor = Vendor("v", lead_time=LeadTime(value=2), lead_time_by_sku={"s1": LeadTime(value=5)})
    net = Network(
        vendors=(vendor,),
        nodes=(Node("wh", "v", customer_facing=False), Node("fc", "wh", transfer_lead_time=3)),
    )
    world = World(("s0", "s1"), Economics.uniform(2), net, horizon=10, review_period=1)
    t, n = 10, 2

    def demand(rng: np.random.Generator, p: int) -> np.ndarray:
        d = np.zeros((p, t, 2, n))
        d[:, :, 1] = 1.0
        return d

    paths = sample_paths(world, demand, lambda rng, p: np.ones((p, t, n)), n_paths=2, seed=0)
    assert (paths.lead_time[:, :, 0, 0] == 2).all() and (paths.lead_time[:, :, 0, 1] == 5).all()
    assert (paths.lead_time[:, :, 1] == 3).all() and (paths.fill_rate[:, :, 1] == 1).all()

    def bad_demand(rng: np.random.Generator, p: int) -> np.ndarray:
        return np.ones((p, t, 2, n))

    with pytest.raises(InputError, match="'wh', which is not customer-facing"):
        sample_paths(world, bad_demand, lambda rng, p: np.ones((p, t, n)), n_paths=1, seed=0)


def test_disruptions_change_the_paths_as_documented() -> None:
    lead = np.full((1, 10, 1), 2, dtype=np.int64)
    fill = np.full((1, 10, 1), 0.9)
    cap = np.full((10, 1), np.inf)
    # outage [4, 7): orders due in 4, 5, 6 (placed in 2, 3, 4) arrive at 7 instead
    out_lead, _, _ = apply_disruption(Disruption("outage", 4, 7), lead, fill, cap)
    due = np.arange(10) + out_lead[0, :, 0]
    assert due.tolist() == [2, 3, 7, 7, 7, 7, 8, 9, 10, 11]
    mult, _, _ = apply_disruption(Disruption("lead_time_multiplier", 1, 3, 2.5), lead, fill, cap)
    assert mult[0, :, 0].tolist() == [2, 5, 5, 2, 2, 2, 2, 2, 2, 2]
    _, f, _ = apply_disruption(Disruption("fill_rate_multiplier", 0, 2, 0.5), lead, fill, cap)
    assert f[0, :3, 0].tolist() == [0.45, 0.45, 0.9]
    # an unlimited vendor cut to factor 0 accepts nothing (inf x 0 is not nan), factor 0.5 stays unlimited
    _, _, c0 = apply_disruption(Disruption("capacity_multiplier", 3, 5, 0.0), lead, fill, cap)
    assert c0[:, 0].tolist() == [math.inf] * 3 + [0.0, 0.0] + [math.inf] * 5
    _, _, c5 = apply_disruption(
        Disruption("capacity_multiplier", 3, 5, 0.5), lead, fill, np.full((10, 1), 8.0)
    )
    assert c5[3:6, 0].tolist() == [4.0, 4.0, 8.0]
    with pytest.raises(InputError, match="factor must be <= 1"):
        apply_disruption(Disruption("fill_rate_multiplier", 0, 2, 1.5), lead, fill, cap)
    # through sample_paths: an outage of an unlimited vendor by capacity factor 0
    world = world_with(
        Vendor("vendor", disruptions=(Disruption("capacity_multiplier", 2, 4, 0.0),)), horizon=6
    )
    assert sample(world).capacity[:, 0, 0].tolist() == [math.inf, math.inf, 0.0, 0.0, math.inf, math.inf]


# --- the world -------------------------------------------------------------------------------------


def test_network_topology_children_and_errors() -> None:
    net = Network(
        vendors=(Vendor("v"),),
        nodes=(
            Node("fc1", "dc"),
            Node("dc", "wh", customer_facing=False),
            Node("wh", "v", customer_facing=False),
        ),
    )
    assert [n.name for n in net.topological_order()] == ["wh", "dc", "fc1"]
    assert [n.name for n in net.children("dc")] == ["fc1"] and [n.name for n in net.demand_nodes] == ["fc1"]
    with pytest.raises(InputError, match="cycle"):
        Network(vendors=(Vendor("v"),), nodes=(Node("a", "b"), Node("b", "a")))
    with pytest.raises(InputError, match="unknown source 'nowhere'"):
        Network(vendors=(Vendor("v"),), nodes=(Node("a", "nowhere"),))
    with pytest.raises(InputError, match="duplicate node"):
        Network(vendors=(Vendor("v"),), nodes=(Node("a", "v"), Node("a", "v")))
    with pytest.raises(InputError, match="unknown node 'zz'"):
        net.node("zz")
    with pytest.raises(InputError, match="unknown vendor 'zz'"):
        net.vendor("zz")


def test_world_reviews_skus_and_validation() -> None:
    world = World(
        ("a", "b", "c"), Economics.uniform(3), Network.single(), horizon=20, review_period=7, review_offset=3
    )
    assert world.review_periods() == [3, 10, 17]
    assert world.sku_index(["c", "a"]).tolist() == [2, 0]
    with pytest.raises(InputError, match=r"unknown SKU\(s\) \['x'\]"):
        world.sku_index(["a", "x"])
    with pytest.raises(InputError, match="review_offset"):
        World(("a",), Economics.uniform(1), Network.single(), horizon=5, review_period=2, review_offset=2)
    with pytest.raises(InputError, match="initial_on_hand"):
        World(("a",), Economics.uniform(1), Network.single(), horizon=5, initial_on_hand=np.ones((2, 1)))
    with pytest.raises(InputError, match="economics has 1 SKUs but 2"):
        World(("a", "b"), Economics.uniform(1), Network.single(), horizon=5)
    with pytest.raises(InputError, match=r"economics.holding_cost\[1\] must be finite and >= 0, got -1.0"):
        Economics.uniform(2, holding_cost=1.0).__class__(
            unit_cost=np.ones(2), holding_cost=np.array([0.0, -1.0]), lost_sale_penalty=np.ones(2),
            fixed_order_cost=np.zeros(2), salvage_value=np.zeros(2),
        )  # fmt: skip
    with pytest.raises(InputError, match="unknown field"):
        Economics.uniform(1, holding=1.0)


# --- the rules of a period -------------------------------------------------------------------------


def test_rules_on_numpy_match_torch_and_stay_differentiable() -> None:
    q, cap, fill = np.array([5.0, 10.0, 0.0]), np.array([8.0, 4.0, 3.0]), np.array([0.5, 1.0, 0.2])
    delivered, cancelled = rules.accept_order(q, cap, fill)
    assert delivered.tolist() == [2.5, 4.0, 0.0] and cancelled.tolist() == [2.5, 6.0, 0.0]
    kept, disposed = rules.receive(np.array([3.0, 0.0]), np.array([4.0, 2.0]), 5.0)
    assert kept.tolist() == [5.0, 2.0] and disposed.tolist() == [2.0, 0.0]
    sales, lost, left = rules.serve_lost_sales(np.array([3.0, 5.0]), np.array([4.0, 2.0]))
    assert (sales.tolist(), lost.tolist(), left.tolist()) == ([3.0, 2.0], [1.0, 0.0], [0.0, 3.0])
    shipped, backlog, left = rules.serve_backorders(
        np.array([3.0, 5.0]), np.array([2.0, 1.0]), np.array([4.0, 2.0])
    )
    assert (shipped.tolist(), backlog.tolist(), left.tolist()) == ([3.0, 3.0], [3.0, 0.0], [0.0, 2.0])
    qt = torch.tensor(q, requires_grad=True)
    d_t, _ = rules.accept_order(qt, torch.tensor(cap), torch.tensor(fill))
    np.testing.assert_array_equal(d_t.detach().numpy(), delivered)
    d_t.sum().backward()
    assert qt.grad is not None and qt.grad.tolist() == [0.5, 0.0, 0.2]  # capacity binds on the second
    flows = rules.period_cash_flows(
        sales=np.array([2.0]), purchased=np.array([3.0]), end_on_hand=np.array([4.0]), lost=np.array([1.0]),
        end_backlog=np.array([5.0]), orders_placed=np.array([1.0]), price=10.0, unit_cost=2.0,
        holding_cost=0.5, penalty=3.0, fixed_order_cost=7.0, backorder=False,
    )  # fmt: skip
    assert {k: float(v[0]) for k, v in flows.items()} == {
        "revenue": 20.0, "purchase_cost": 6.0, "holding_cost": 2.0, "penalty_cost": 3.0,
        "fixed_order_cost": 7.0,
    }  # fmt: skip


# --- review state and order rules ------------------------------------------------------------------


def test_review_state_and_order_rules() -> None:
    state = ReviewState(
        t=7,
        on_hand=np.array([[[3.0, 0.0]]]),
        backlog=np.array([[[0.0, 2.0]]]),
        pipeline=np.array([[[[1.0, 2.0], [0.0, 4.0]]]]),
    )
    assert state.inventory_position.tolist() == [[[6.0, 2.0]]]
    assert BaseStock(np.array([[5.0, 9.0]]))(state).tolist() == [[[0.0, 7.0]]]
    assert ConstantOrder(2.5)(state).tolist() == [[[2.5, 2.5]]]
    sched = OrderSchedule(np.arange(8.0).reshape(4, 1, 1, 2), review_period=3, review_offset=1)
    assert sched(state).tolist() == [[[4.0, 5.0]]]  # t = 7 is review 2 of 1, 4, 7, ...
    ts = ReviewState(
        7, torch.tensor(state.on_hand), torch.tensor(state.backlog), torch.tensor(state.pipeline)
    )
    assert BaseStock(np.array([[5.0, 9.0]]))(ts).tolist() == [[[0.0, 7.0]]]


@pytest.mark.parametrize(
    ("orders", "match"),
    [
        (np.array([[[1.0, np.nan]]]), r"invalid order nan at \[path, node, sku\]=\[0, 0, 1\] in period 3"),
        (np.array([[[-2.0, 1.0]]]), r"invalid order -2.0 at \[path, node, sku\]=\[0, 0, 0\]"),
        (np.array([[[1.0, np.inf]]]), "invalid order inf"),
        (torch.tensor([[[1.0, -1.0]]]), "invalid order -1.0"),
        (np.zeros((1, 2, 2)), r"shape \(1, 2, 2\) in period 3, expected \(1, 1, 2\)"),
    ],
)
def test_check_orders_rejects_without_clipping(orders: object, match: str) -> None:
    with pytest.raises(InputError, match=match):
        check_orders(orders, (1, 1, 2), 3)
