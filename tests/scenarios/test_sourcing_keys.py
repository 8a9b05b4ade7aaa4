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
