"""A scenario's vendors and nodes as a :class:`~restock.simulator.world.Network`.

:func:`scenario_network` is the one conversion from the ``[[vendors]]`` and ``[[nodes]]`` sections to the
simulator's network: validation runs it to check them (errors name the file and the key), and the
builder runs it with the vendor shocks attached as disruptions.
"""

from __future__ import annotations

import math

from restock.errors import InputError
from restock.scenarios.parsing import Where
from restock.scenarios.schema import LeadTimeConfig, Scenario
from restock.simulator.world import Disruption, FillRate, LeadTime, Network, Node, Vendor


def lead_time(config: LeadTimeConfig, where: Where) -> LeadTime:
    """The simulator's lead-time distribution of ``config`` (an error names ``where``)."""
    c = config
    try:
        return LeadTime(c.kind, c.value, c.values, c.probs, c.shift, c.mean, c.var)
    except InputError as exc:
        raise InputError(f"scenario {where.source}: key {where.key!r}: {exc}") from None


def scenario_network(scenario: Scenario, disruptions: tuple[tuple[str, Disruption], ...] = ()) -> Network:
    """The vendors and nodes of ``scenario``, with ``(vendor name, disruption)`` pairs attached to their
    vendors (the vendor shocks; none: the network without shocks)."""
    w = Where(scenario.source)
    vendors = []
    for i, v in enumerate(scenario.vendors):
        vw = w.child("vendors").child(i)
        lead = lead_time(v.lead_time, vw.child("lead_time"))
        try:
            fill = FillRate(v.fill_rate.mean, v.fill_rate.concentration)
        except InputError as exc:
            raise InputError(f"scenario {w.source}: key '{vw.key}.fill_rate': {exc}") from None
        if not v.capacity >= 0:
            raise vw.child("capacity").error(v.capacity, "must be >= 0 (inf: unlimited)")
        own = tuple(d for name, d in disruptions if name == v.name)
        vendors.append(Vendor(v.name, lead, fill_rate=fill, capacity=v.capacity, disruptions=own))
    nodes = []
    for i, n in enumerate(scenario.nodes):
        nw = w.child("nodes").child(i)
        if not n.demand_share >= 0:
            raise nw.child("demand_share").error(n.demand_share, "must be >= 0")
        if not (math.isfinite(n.initial_cover) and n.initial_cover >= 0):
            raise nw.child("initial_cover").error(n.initial_cover, "must be finite and >= 0")
        try:
            nodes.append(
                Node(
                    n.name,
                    n.source,
                    customer_facing=n.customer_facing,
                    backorder=n.backorder,
                    storage_capacity=n.storage_capacity,
                    transfer_lead_time=n.transfer_lead_time,
                )
            )
        except InputError as exc:
            raise InputError(f"scenario {w.source}: key '{nw.key}': {exc}") from None
    try:
        return Network(vendors=tuple(vendors), nodes=tuple(nodes))
    except InputError as exc:
        raise InputError(f"scenario {w.source}: keys 'vendors'/'nodes': {exc}") from None
