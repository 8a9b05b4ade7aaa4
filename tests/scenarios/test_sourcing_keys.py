"""Scenario keys of several sources, order constraints and shared capacity: named errors, and their effect."""

from __future__ import annotations

import pytest

from restock.errors import InputError
from restock.scenarios import load
from restock.scenarios.build import build_world

TWO_VENDORS = (
    "vendors=[{name='slow', lead_time={kind='deterministic', value=3}}, "
    "{name='fast', lead_time={kind='deterministic', value=0}, unit_cost_factor=1.2}]"
)


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        (
            [TWO_VENDORS, "nodes=[{name='store', source='slow', extra_sources=['nope']}]"],
            "nodes.0.extra_sources.0",
        ),
        ([TWO_VENDORS, "nodes=[{name='store', source='slow', extra_sources=['slow']}]"], "must not repeat"),
        (
            [TWO_VENDORS, "nodes=[{name='store', source='slow', extra_sources=['fast', 'fast']}]"],
            "must not repeat",
        ),
        (
            ["vendors=[{name='vendor', unit_cost_factor=-1.0}]"],
            "vendors.0.unit_cost_factor",
        ),
        (["ordering.case_pack=0"], "ordering.case_pack"),
        (["ordering.case_pack=6", "ordering.minimum_order=9"], "whole number of case packs"),
        (["nodes=[{name='store', source='vendor', inbound_capacity=-5.0}]"], "nodes.0.inbound_capacity"),
        (["shocks=[{kind='inbound_cut', start=1, end=5, node='store', factor=0.5}]"], "unlimited inbound"),
        (
            [
                "nodes=[{name='store', source='vendor', inbound_capacity=100.0}]",
                "shocks=[{kind='inbound_cut', start=1, end=5, node='store', factor=1.5}]",
            ],
            "factor",
        ),
        (["family.name='dual-sourcing'", "family.instance='L0-c105'"], "family.instance"),
        (["nodes=[{name='store', source='vendor', storage_volume=-1.0}]"], "nodes.0.storage_volume"),
        (["catalog.unit_volume=-2.0"], "catalog.unit_volume"),
        (
            ["horizon=28", "nodes=[{name='store', source='vendor', inbound_capacity=[5.0, 6.0]}]"],
            "must hold one value per period .horizon = 28.",
        ),
        (
            ["horizon=3", "nodes=[{name='store', source='vendor', storage_volume=[5.0, -1.0, 2.0]}]"],
            "nodes.0.storage_volume.1",
        ),
        (["catalog.unit_volume=nan"], "catalog.unit_volume"),
        (["catalog.unit_volume_range=[2.0, 1.0]"], "catalog.unit_volume_range"),
        (
            ["shocks=[{kind='storage_cut', start=1, end=5, node='store', factor=0.5}]"],
            "unlimited storage_vol",
        ),
        (
            [
                "nodes=[{name='store', source='vendor', storage_volume=100.0}]",
                "shocks=[{kind='storage_cut', start=1, end=5, node='store', factor=-0.5}]",
            ],
            "factor",
        ),
    ],
)
def test_bad_keys_name_the_key(overrides: list[str], words: str) -> None:
    with pytest.raises(InputError, match=words.replace("[", r"\[")):
        build_world(load("steady", overrides), 0, 1)


def test_two_vendors_reach_the_world() -> None:
    world, paths = build_world(
        load("steady", [TWO_VENDORS, "nodes=[{name='store', source='slow', extra_sources=['fast']}]"]), 0, 1
    )
    assert world.network.arcs() == [("slow", 0), ("fast", 0)]
    assert world.network.vendor("fast").unit_cost_factor == 1.2
    assert paths.lead_time.shape[2] == 2 and (paths.lead_time[:, :, 1] == 0).all()


def test_a_shared_storage_volume_and_its_cut_reach_the_world() -> None:
    scenario = load(
        "steady",
        [
            "catalog.n_skus=6",
            "catalog.unit_volume_range=[0.5, 2.0]",
            "nodes=[{name='store', source='vendor', storage_volume=300.0}]",
            "shocks=[{kind='storage_cut', start=7, end=14, node='store', factor=0.25}]",
        ],
    )
    world, _ = build_world(scenario, 0, 1)
    assert world.storage_volume is not None and world.unit_volume is not None
    assert world.storage_volume.shape == (scenario.horizon, 1)
    assert world.storage_volume[:7, 0].tolist() == [300.0] * 7
    assert world.storage_volume[7:14, 0].tolist() == [75.0] * 7
    assert world.storage_volume[14:, 0].min() == 300.0
    assert ((0.5 <= world.unit_volume) & (world.unit_volume <= 2.0)).all()
    assert len(set(world.unit_volume.tolist())) == 6  # drawn per SKU
    again, _ = build_world(scenario, 5, 1)  # the catalog seed, not the path seed, draws the volumes
    assert again.unit_volume.tolist() == world.unit_volume.tolist()  # type: ignore[union-attr]
    plain, _ = build_world(load("steady", ["catalog.n_skus=6"]), 0, 1)
    assert plain.storage_volume is None and plain.unit_volume is None


def test_a_limit_path_per_period_reaches_the_world_with_its_cut() -> None:
    path = [100.0 + t for t in range(28)]
    scenario = load(
        "steady",
        [
            "horizon=28",
            "catalog.n_skus=2",
            f"nodes=[{{name='store', source='vendor', inbound_capacity={path}}}]",
            "shocks=[{kind='inbound_cut', start=7, end=14, node='store', factor=0.5}]",
        ],
    )
    world, _ = build_world(scenario, 0, 1)
    assert world.inbound_capacity is not None
    want = [v * (0.5 if 7 <= t < 14 else 1.0) for t, v in enumerate(path)]
    assert world.inbound_capacity[:, 0].tolist() == want
