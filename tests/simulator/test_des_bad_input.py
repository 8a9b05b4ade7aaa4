"""Bad input to the des engine: an InputError naming the field and the value, never a silent clip."""

from __future__ import annotations

import math

import numpy as np
import pytest
from des_cases import make_paths, one_warehouse_world, single_world

from restock.errors import InputError
from restock.simulator.des import DesEngine, run
from restock.simulator.paths import ExogenousPaths
from restock.simulator.policy import ConstantOrder, ReviewState
from restock.simulator.world import FillRate, LeadTime, Network, Node, Vendor


def good() -> ExogenousPaths:
    return make_paths(np.ones((1, 4, 1, 2)), lead_time=1, fill_rate=0.9, capacity=5.0, price=2.0)


@pytest.mark.parametrize(
    ("field", "index", "value", "match"),
    [
        ("demand", (0, 2, 0, 1), -1.0, r"paths.demand\[0, 2, 0, 1\] must be finite and >= 0, got -1.0"),
        ("demand", (0, 0, 0, 0), np.nan, r"paths.demand\[0, 0, 0, 0\] must be finite and >= 0, got nan"),
        ("demand", (0, 1, 0, 0), np.inf, r"paths.demand\[0, 1, 0, 0\] must be finite and >= 0, got inf"),
        ("lead_time", (0, 3, 0, 0), -2, r"paths.lead_time\[0, 3, 0, 0\] must be >= 0, got -2"),
        ("fill_rate", (0, 1, 0, 1), 1.5, r"paths.fill_rate\[0, 1, 0, 1\] must be in \[0, 1\], got 1.5"),
        ("fill_rate", (0, 1, 0, 0), -0.1, r"paths.fill_rate\[0, 1, 0, 0\] must be in \[0, 1\], got -0.1"),
        ("capacity", (2, 0, 1), -3.0, r"paths.capacity\[2, 0, 1\] must be >= 0 \(inf for none\), got -3.0"),
        ("capacity", (2, 0, 1), np.nan, r"paths.capacity\[2, 0, 1\] must be >= 0 \(inf for none\), got nan"),
        ("price", (0, 0, 1), -1.0, r"paths.price\[0, 0, 1\] must be finite and >= 0, got -1.0"),
    ],
)
def test_bad_paths_are_rejected_at_construction_and_by_the_engine(
    field: str, index: tuple[int, ...], value: float, match: str
) -> None:
    arrays = {k: getattr(good(), k).copy() for k in ("demand", "lead_time", "fill_rate", "capacity", "price")}
    arrays[field][index] = value
    with pytest.raises(InputError, match=match):
        ExogenousPaths(**arrays)
    # arrays are mutable: a value broken after construction is caught when the engine starts
    paths = good()
    getattr(paths, field)[index] = value
    with pytest.raises(InputError, match=match):
        DesEngine(single_world(4, n_skus=2), paths)


def test_fractional_lead_times_are_rejected() -> None:
    p = good()
    paths = ExogenousPaths(p.demand, np.full(p.demand.shape, 1.5), p.fill_rate, p.capacity, p.price)
    with pytest.raises(
        InputError, match=r"paths.lead_time\[0, 0, 0, 0\] must be a whole number of periods, got 1.5"
    ):
        DesEngine(single_world(4, n_skus=2), paths)


def test_paths_that_do_not_fit_the_world_are_rejected() -> None:
    with pytest.raises(InputError, match=r"4 periods, world\.horizon is 5"):
        DesEngine(single_world(5, n_skus=2), good())
    with pytest.raises(InputError, match="2 SKUs, the world has 3"):
        DesEngine(single_world(4, n_skus=3), good())
    with pytest.raises(InputError, match=r"1 nodes, the network has 3 \(\['wh', 'fc0', 'fc1'\]\)"):
        DesEngine(one_warehouse_world(4, n_skus=2), good())
    with pytest.raises(InputError, match="no review period within the horizon 4"):
        DesEngine(single_world(4, n_skus=2, review_period=7, review_offset=5), good())


def test_network_paths_rules_are_enforced() -> None:
    world = one_warehouse_world(3)
    demand = np.zeros((1, 3, 3, 1))
    demand[0, 1, 0, 0] = 2.0
    with pytest.raises(
        InputError, match=r"paths.demand at node 'wh' \(not customer-facing\) must be 0; period 1"
    ):
        DesEngine(world, make_paths(demand))
    fill = np.ones((1, 3, 3, 1))
    fill[0, 0, 2, 0] = 0.5
    with pytest.raises(
        InputError, match=r"fill_rate at node 'fc1' \(fed by node 'wh'\) must be 1 for transfers, got 0.5"
    ):
        DesEngine(world, make_paths(np.zeros((1, 3, 3, 1)), fill_rate=fill))


@pytest.mark.parametrize("value", [np.nan, -1.0, np.inf])
def test_bad_orders_from_a_rule_raise_and_name_the_value(value: float) -> None:
    with pytest.raises(
        InputError, match=rf"invalid order {value!r} at \[path, node, sku\]=\[0, 0, 1\] in period 0"
    ):
        run(single_world(4, n_skus=2), good(), ConstantOrder(np.array([1.0, value])))


def test_a_rejected_order_leaves_nothing_half_written() -> None:
    engine = DesEngine(single_world(4, n_skus=2), good())
    state = engine.reset()
    with pytest.raises(InputError):
        engine.step(np.array([[[3.0, -1.0]]]))
    res = engine.result()
    assert res.events.empty and res.records.empty  # nothing of the rejected review was written
    nxt: ReviewState | None
    nxt, _ = engine.step(np.array([[[3.0, 1.0]]]))
    assert nxt is not None and state.t == 0 and nxt.t == 1
    assert engine.result().records["ordered"].tolist() == [3.0, 1.0]


def test_bad_world_parameters_name_field_and_value() -> None:
    with pytest.raises(InputError, match=r"lead_time\.value must be >= 0, got -1"):
        LeadTime(value=-1)
    with pytest.raises(InputError, match=r"lead_time.values must be >= 0, got \[2, -1\]"):
        LeadTime("empirical", values=(2, -1), probs=(0.5, 0.5))
    with pytest.raises(InputError, match=r"fill_rate\.mean must be in \[0, 1\], got 1\.2"):
        FillRate(mean=1.2)
    with pytest.raises(InputError, match=r"vendor 'v': capacity must be >= 0, got -5\.0"):
        Vendor("v", capacity=-5.0)
    with pytest.raises(InputError, match=r"node 'a': storage_capacity must be >= 0, got -1\.0"):
        Node("a", "v", storage_capacity=-1.0)
    with pytest.raises(
        InputError,
        match="node 'a': transfer_lead_time must be >= 0, got -2",
    ):
        Node("a", "v", transfer_lead_time=-2)
    with pytest.raises(InputError, match="node 'a': transfer_lead_time must be a whole number of periods"):
        Node("a", "v", transfer_lead_time=1.5)  # type: ignore[arg-type]
    for factor in ("holding_factor", "transit_holding_factor", "penalty_factor"):
        for value in (-0.5, math.nan, math.inf):
            with pytest.raises(
                InputError, match=f"node 'a': {factor} must be finite and >= 0, got {value!r}"
            ):
                Node("a", "v", **{factor: value})
    with pytest.raises(InputError, match="node 'fc' has unknown source 'ghost'"):
        Network(vendors=(Vendor("v"),), nodes=(Node("fc", "ghost"),))
    with pytest.raises(InputError, match=r"unknown SKU\(s\) \['nope'\]"):
        single_world(2, n_skus=2).sku_index(["sku0", "nope"])
    with pytest.raises(InputError, match="unknown node 'nope'"):
        single_world(2).network.node("nope")
