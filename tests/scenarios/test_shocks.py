"""Each shock kind's exact effect on the exogenous paths, and the shocks a scenario must refuse."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scenario_tables import raw, scenario, with_shocks

from restock.errors import InputError
from restock.scenarios import draw, from_raw
from restock.scenarios.build import ScenarioDraw

W = 14  # warm-up periods of the test scenario (rates are indexed from period -W)
APPAREL = np.array([False, False, False, True, True, True])  # SKU003..SKU005


def rate(d: ScenarioDraw) -> np.ndarray:
    """[T, M, N] demand rate of the simulated periods."""
    assert d.rate is not None
    return d.rate[W:]


def draws(
    *shocks: dict, seed: int = 3, n_paths: int = 3, **changes: Any
) -> tuple[ScenarioDraw, ScenarioDraw]:
    base = draw(scenario(**changes), seed, n_paths)
    shocked = draw(with_shocks(*shocks, **changes), seed, n_paths)
    return base, shocked


def test_categories_are_assigned_in_blocks_by_share() -> None:
    d = draw(scenario(), 0, 1)
    assert d.catalog.category == ("staples",) * 3 + ("apparel",) * 3
    assert d.catalog.skus == tuple(f"SKU{i:03d}" for i in range(6))


def test_demand_multiplier_scales_exactly_the_targeted_skus_in_exactly_the_window() -> None:
    base, shocked = draws(
        {"kind": "demand_multiplier", "start": 7, "end": 21, "factor": 8.0, "category": "apparel"}
    )
    ratio = rate(shocked) / rate(base)  # [T, M, N]; both nodes are customer-facing
    t = np.arange(28)[:, None, None]
    expected = np.where(((t >= 7) & (t < 21)) & APPAREL[None, None, :], 8.0, 1.0)
    np.testing.assert_array_equal(ratio, np.broadcast_to(expected, ratio.shape))
    # common random numbers: demand is identical wherever the rate did not change ...
    same = np.broadcast_to(expected == 1.0, base.paths.demand.shape[1:])
    np.testing.assert_array_equal(shocked.paths.demand[:, same], base.paths.demand[:, same])
    # ... larger (never smaller) where it did, and the history is untouched
    assert (shocked.paths.demand[:, ~same] >= base.paths.demand[:, ~same]).all()
    assert shocked.paths.demand[:, ~same].sum() > 4 * base.paths.demand[:, ~same].sum()
    np.testing.assert_array_equal(shocked.history, base.history)


def test_demand_multiplier_can_target_skus_and_a_node() -> None:
    base, shocked = draws(
        {
            "kind": "demand_multiplier",
            "start": 0,
            "end": 5,
            "factor": 0.0,
            "skus": ["SKU001"],
            "node": "outlet",
        }
    )
    ratio = np.divide(rate(shocked), rate(base))
    assert (ratio[:5, 1, 1] == 0).all() and (ratio[5:, 1, 1] == 1).all()
    ratio[:5, 1, 1] = 1.0
    assert (ratio == 1).all()
    assert (shocked.paths.demand[:, :5, 1, 1] == 0).all()


def test_demand_curve_interpolates_between_equally_spaced_points() -> None:
    base, shocked = draws({"kind": "demand_curve", "start": 4, "end": 13, "curve": [1.0, 3.0, 2.0]})
    ratio = rate(shocked)[:, 0, 0] / rate(base)[:, 0, 0]
    # points at periods 4, 8, 12 with values 1, 3, 2
    np.testing.assert_allclose(ratio[4:13], [1.0, 1.5, 2.0, 2.5, 3.0, 2.75, 2.5, 2.25, 2.0])
    assert (ratio[:4] == 1).all() and (ratio[13:] == 1).all()


def test_overlapping_demand_multipliers_compose() -> None:
    base, shocked = draws(
        {"kind": "demand_multiplier", "start": 0, "end": 10, "factor": 2.0},
        {"kind": "demand_multiplier", "start": 5, "end": 15, "factor": 3.0},
    )
    ratio = rate(shocked)[:, 0, 0] / rate(base)[:, 0, 0]
    np.testing.assert_array_equal(ratio[[0, 5, 9, 10, 14, 15]], [2.0, 6.0, 6.0, 3.0, 3.0, 1.0])


def test_launch_has_no_demand_before_start_ramps_up_and_has_no_history_or_stock() -> None:
    nodes = [
        {"name": "store", "source": "vendor", "initial_cover": 7.0},
        {"name": "outlet", "source": "backup"},
    ]
    base, shocked = draws({"kind": "launch", "start": 10, "end": 14, "skus": ["SKU002"]}, nodes=nodes)
    ratio = rate(shocked)[:, 0, 2] / rate(base)[:, 0, 2]
    np.testing.assert_allclose(ratio[8:16], [0, 0, 0.25, 0.5, 0.75, 1.0, 1.0, 1.0])
    assert (shocked.paths.demand[:, :10, :, 2] == 0).all()
    assert (shocked.history[..., 2] == 0).all() and base.history[..., 2].sum() > 0
    start = shocked.world.start_on_hand()
    assert start[0, 2] == 0 and start[0, 1] == 28.0  # 7 x 4
    np.testing.assert_array_equal(
        shocked.paths.demand[..., [0, 1, 3, 4, 5]], base.paths.demand[..., [0, 1, 3, 4, 5]]
    )


def test_price_change_moves_price_and_demand_by_the_category_elasticity() -> None:
    base, shocked = draws({"kind": "price_change", "start": 7, "end": 14, "factor": 0.8})
    price = shocked.paths.price / base.paths.price
    assert np.allclose(price[:, 7:14], 0.8) and np.allclose(price[:, :7], 1) and np.allclose(price[:, 14:], 1)
    ratio = rate(shocked) / rate(base)
    np.testing.assert_allclose(ratio[7:14, :, :3], 0.8**-1.0)  # staples: elasticity -1
    np.testing.assert_allclose(ratio[7:14, :, 3:], 0.8**-2.0)  # apparel: elasticity -2
    assert np.allclose(ratio[:7], 1) and np.allclose(ratio[14:], 1)
    # the unit cost is a fraction of the list price, not of the promotion price
    np.testing.assert_allclose(shocked.world.economics.unit_cost, base.world.economics.unit_cost)


def test_lead_time_multiplier_hits_orders_placed_in_the_window_at_that_vendor_only() -> None:
    base, shocked = draws(
        {"kind": "lead_time_multiplier", "start": 7, "end": 14, "factor": 2.5, "vendor": "vendor"}
    )
    lead = shocked.paths.lead_time
    assert (lead[:, 7:14, 0] == 8).all()  # rint(3 x 2.5)
    assert (lead[:, :7, 0] == 3).all() and (lead[:, 14:, 0] == 3).all()
    np.testing.assert_array_equal(lead[:, :, 1], base.paths.lead_time[:, :, 1])  # outlet's vendor unaffected
    assert [d.kind for d in shocked.world.network.vendor("vendor").disruptions] == ["lead_time_multiplier"]
    assert shocked.world.network.vendor("backup").disruptions == ()


def test_fill_rate_drop_and_capacity_cut() -> None:
    _, shocked = draws(
        {"kind": "fill_rate_drop", "start": 3, "end": 10, "factor": 0.6},
        {"kind": "capacity_cut", "start": 5, "end": 20, "factor": 0.25, "vendor": "vendor"},
    )
    fill = shocked.paths.fill_rate
    assert np.allclose(fill[:, 3:10], 0.6) and np.allclose(fill[:, :3], 1) and np.allclose(fill[:, 10:], 1)
    cap = shocked.paths.capacity
    assert (cap[5:20, 0] == 25.0).all() and (cap[:5, 0] == 100.0).all() and (cap[20:, 0] == 100.0).all()
    assert np.isinf(cap[:, 1]).all()


def test_vendor_outage_holds_every_shipment_due_inside_the_window_until_its_end() -> None:
    _, shocked = draws({"kind": "vendor_outage", "start": 10, "end": 17, "vendor": "vendor"})
    lead = shocked.paths.lead_time[:, :, 0]
    t = np.arange(28)[None, :, None]
    due = t + lead
    assert not ((due >= 10) & (due < 17)).any()
    np.testing.assert_array_equal(lead[:, 7:14], np.broadcast_to(17 - t[:, 7:14], lead[:, 7:14].shape))
    assert (lead[:, :7] == 3).all() and (lead[:, 14:] == 3).all()


def test_transfer_delay_adds_periods_to_transfers_ordered_in_the_window() -> None:
    nodes = [
        {"name": "dc", "source": "vendor", "customer_facing": False},
        {"name": "store", "source": "dc", "transfer_lead_time": 1},
    ]
    changes: dict[str, Any] = {"nodes": nodes, "vendors": [raw()["vendors"][0]]}
    base, shocked = draws(
        {"kind": "transfer_delay", "start": 2, "end": 9, "node": "store", "periods": 4}, **changes
    )
    lead = shocked.paths.lead_time
    assert (lead[:, 2:9, 1] == 5).all() and (lead[:, :2, 1] == 1).all() and (lead[:, 9:, 1] == 1).all()
    np.testing.assert_array_equal(lead[:, :, 0], base.paths.lead_time[:, :, 0])
    assert (shocked.paths.demand[:, :, 0] == 0).all()  # the dc has no customers


@pytest.mark.parametrize(
    ("shocks", "message"),
    [
        ([{"kind": "price_change", "start": 0, "end": 10, "factor": 0.8, "category": "apparel"},
          {"kind": "price_change", "start": 5, "end": 15, "factor": 1.2, "skus": ["SKU004"]}],
         r"'shocks.0' and 'shocks.1' contradict each other"),
        ([{"kind": "fill_rate_drop", "start": 0, "end": 10, "factor": 0.5},
          {"kind": "fill_rate_drop", "start": 9, "end": 12, "factor": 0.7, "vendor": "vendor"}],
         r"'shocks.0' and 'shocks.1' contradict each other"),
        ([{"kind": "launch", "start": 0, "end": 3, "skus": ["SKU001"]},
          {"kind": "launch", "start": 10, "end": 12, "skus": ["SKU001", "SKU002"]}],
         r"contradict each other"),
        ([{"kind": "demand_multiplier", "start": 20, "end": 40, "factor": 2.0}],
         r"'shocks.0'.*horizon \(28\)"),
        ([{"kind": "demand_multiplier", "start": -1, "end": 4, "factor": 2.0}], r"'shocks.0'.*\[-1, 4\)"),
        ([{"kind": "demand_multiplier", "start": 4, "end": 4, "factor": 2.0}], r"'shocks.0'.*\[4, 4\)"),
        ([{"kind": "demand_multiplier", "start": 0, "end": 4, "factor": 2.0, "category": "toys"}],
         r"'shocks.0.category' matches no SKU.*'toys'"),
        ([{"kind": "demand_multiplier", "start": 0, "end": 4, "factor": 2.0, "skus": ["NOPE"]}],
         r"'shocks.0.skus' names SKUs not in the catalog"),
        ([{"kind": "demand_multiplier", "start": 0, "end": 4}], r"'shocks.0.factor' is required"),
        ([{"kind": "fill_rate_drop", "start": 0, "end": 4, "factor": 1.5}], r"'shocks.0.factor'.*1.5"),
        ([{"kind": "capacity_cut", "start": 0, "end": 4, "factor": 0.5, "vendor": "backup"}],
         r"'shocks.0.vendor'.*unlimited capacity"),
        ([{"kind": "vendor_outage", "start": 0, "end": 4, "vendor": "acme"}], r"'shocks.0.vendor'.*'acme'"),
        ([{"kind": "vendor_outage", "start": 0, "end": 4, "category": "apparel"}],
         r"'shocks.0.category'.*does not apply"),
        ([{"kind": "transfer_delay", "start": 0, "end": 4, "node": "store", "periods": 2}],
         r"'shocks.0.node'.*fed by another node"),
        ([{"kind": "demand_curve", "start": 0, "end": 4, "curve": [2.0]}], r"'shocks.0.curve'"),
        ([{"kind": "meteor", "start": 0, "end": 4}], r"'shocks.0.kind'.*meteor"),
    ],
)  # fmt: skip
def test_bad_shocks_are_refused_naming_file_and_key(shocks: list, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        with_shocks(*shocks)
    assert "test.toml" in str(info.value)


def test_a_data_path_that_does_not_exist_is_refused(at_root) -> None:
    table = raw(
        demand={"kind": "data", "source": "m5:../shared/data/no-such-folder"}, forecast={"model": "ets"}
    )
    table["economics"] = {"unit_cost": "0.6 * price"}
    with pytest.raises(
        InputError, match=r"test.toml: key 'demand.source' names a path that does not exist.*no-such-folder"
    ):
        from_raw(table, "test.toml")
