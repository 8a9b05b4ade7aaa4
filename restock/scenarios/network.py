"""A scenario's vendors and nodes as a :class:`~restock.simulator.world.Network`.

:func:`scenario_network` is the one conversion from the ``[[vendors]]`` and ``[[nodes]]`` sections to the
simulator's network: validation runs it to check them, and the builder runs it with the vendor shocks
attached as disruptions. Every error names the file, the dotted key of the entry at fault
(``nodes.1.source``) and its value:

* names: a vendor or node name used twice, or by both a vendor and a node; at least one node;
* sources: a node's ``source`` names a vendor or another node, and following sources from any node leads
  back to a vendor (no cycle such as a <- b <- a); its ``extra_sources`` name vendors, each once, never
  its ``source``;
* settings a node cannot honour are refused, never ignored: ``transfer_lead_time`` (other than 0) on a
  node fed by a vendor (the vendor's ``lead_time`` applies), ``demand_share`` on a node that is not
  customer-facing (its demand is that of the nodes it feeds), and a node that is not customer-facing and
  feeds no node (nothing would ever leave it);
* values: ``transfer_lead_time`` >= 0 (or a valid lead-time table), ``storage_capacity``,
  ``inbound_capacity`` and ``storage_volume`` >= 0, ``demand_share`` finite and >= 0, ``initial_cover``
  finite and >= 0, the cost factors (``holding_factor``, ``transit_holding_factor``, ``penalty_factor``)
  finite and >= 0, vendor ``capacity`` >= 0, ``unit_cost_factor`` finite and >= 0, and each vendor's
  lead time and fill rate.
"""

from __future__ import annotations

import math

import numpy as np

from restock.errors import InputError
from restock.scenarios.parsing import Where
from restock.scenarios.schema import LeadTimeConfig, NodeConfig, Scenario
from restock.simulator.world import Disruption, FillRate, LeadTime, Network, Node, Vendor


def lead_time(config: LeadTimeConfig, where: Where) -> LeadTime:
    """The simulator's lead-time distribution of ``config`` (an error names ``where``)."""
    c = config
    try:
        return LeadTime(c.kind, c.value, c.values, c.probs, c.shift, c.mean, c.var)
    except InputError as exc:
        raise where.refuse(str(exc)) from None


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
            raise vw.child("fill_rate").refuse(str(exc)) from None
        if not v.capacity >= 0:
            raise vw.child("capacity").error(v.capacity, "must be >= 0 (inf: unlimited)")
        own = tuple(d for name, d in disruptions if name == v.name)
        f = v.unit_cost_factor
        if not (math.isfinite(f) and f >= 0):
            raise vw.child("unit_cost_factor").error(f, "must be finite and >= 0")
        vendors.append(
            Vendor(v.name, lead, fill_rate=fill, capacity=v.capacity, disruptions=own, unit_cost_factor=f)
        )
    check_nodes(scenario)
    nodes = []
    for i, n in enumerate(scenario.nodes):
        try:
            nodes.append(
                Node(
                    n.name,
                    n.source,
                    extra_sources=n.extra_sources,
                    customer_facing=n.customer_facing,
                    backorder=n.backorder,
                    storage_capacity=n.storage_capacity,
                    transfer_lead_time=transfer_lead_time(n, w.child("nodes").child(i)),
                    holding_factor=n.holding_factor,
                    transit_holding_factor=n.transit_holding_factor,
                    penalty_factor=n.penalty_factor,
                )
            )
        except InputError as exc:  # a check the simulator has and check_nodes lacks
            raise w.child("nodes").child(i).refuse(str(exc)) from None
    try:
        return Network(vendors=tuple(vendors), nodes=tuple(nodes))
    except InputError as exc:  # likewise
        raise InputError(f"scenario {w.source}: keys 'vendors'/'nodes': {exc}") from None


def transfer_lead_time(node: NodeConfig, where: Where) -> int | LeadTime:
    """A node's transfer lead time for the simulator: whole periods, or the distribution of its table."""
    lead = node.transfer_lead_time
    if isinstance(lead, LeadTimeConfig):
        return lead_time(lead, where.child("transfer_lead_time"))
    return lead


def check_nodes(scenario: Scenario) -> None:
    """The checks of the module docstring on ``[[vendors]]`` names and ``[[nodes]]``: the first failure
    is an InputError naming the file, the key and the value."""
    w = Where(scenario.source)
    if not scenario.nodes:
        raise w.child("nodes").error([], "must list at least one node")
    vendor_at: dict[str, int] = {}
    for i, v in enumerate(scenario.vendors):
        if v.name in vendor_at:
            raise (
                w.child("vendors")
                .child(i)
                .child("name")
                .error(v.name, f"must not repeat the name of vendors.{vendor_at[v.name]}")
            )
        vendor_at[v.name] = i
    node_at: dict[str, int] = {}
    for i, n in enumerate(scenario.nodes):
        nw = w.child("nodes").child(i).child("name")
        if n.name in node_at:
            raise nw.error(n.name, f"must not repeat the name of nodes.{node_at[n.name]}")
        if n.name in vendor_at:
            raise nw.error(n.name, f"must not be the name of a vendor too (vendors.{vendor_at[n.name]})")
        node_at[n.name] = i
    for i, n in enumerate(scenario.nodes):
        _check_node(n, w.child("nodes").child(i), vendor_at, node_at)
        for key in ("inbound_capacity", "storage_volume"):
            _check_limit(getattr(n, key), w.child("nodes").child(i).child(key), scenario.horizon)
    for i, n in enumerate(scenario.nodes):
        cycle = _cycle_from(n, scenario.nodes, node_at)
        if cycle:
            raise (
                w.child("nodes")
                .child(i)
                .child("source")
                .error(
                    n.source,
                    f"must lead back to a vendor, but nodes feed each other in a cycle {' <- '.join(cycle)} "
                    "(x <- y: x is fed by y)",
                )
            )
    feeders = {n.source for n in scenario.nodes}
    for i, n in enumerate(scenario.nodes):
        if not n.customer_facing and n.name not in feeders:
            raise (
                w.child("nodes")
                .child(i)
                .child("customer_facing")
                .error(
                    n.customer_facing,
                    f"must be true for node {n.name!r}, which feeds no node: without customers or a node "
                    "to feed, nothing would leave it",
                )
            )


def _check_limit(value: float | tuple[float, ...], w: Where, horizon: int) -> None:
    """A node's shared limit: a number >= 0 (inf: unlimited), or a path of ``horizon`` of them."""
    if isinstance(value, tuple):
        if len(value) != horizon:
            raise w.error(f"{len(value)} values", f"must hold one value per period (horizon = {horizon})")
        for t, v in enumerate(value):
            if not v >= 0:
                raise w.child(t).error(v, "must be >= 0 (inf: unlimited)")
    elif not value >= 0:
        raise w.error(value, "must be >= 0 (inf: unlimited)")


def limit_path(value: float | tuple[float, ...], horizon: int) -> np.ndarray:
    """[T] a node's shared limit per period (one number repeated, or its path)."""
    return np.asarray(value if isinstance(value, tuple) else (value,) * horizon, dtype=np.float64)


def _check_node(n: NodeConfig, nw: Where, vendor_at: dict[str, int], node_at: dict[str, int]) -> None:
    """One node's source and settings (its name is checked by the caller)."""
    if n.source == n.name:
        raise nw.child("source").error(n.source, "must name a vendor or another node, not the node itself")
    if n.source not in vendor_at and n.source not in node_at:
        raise nw.child("source").error(
            n.source,
            f"must name a vendor ({', '.join(map(repr, vendor_at)) or 'none'}) or another node "
            f"({', '.join(repr(x) for x in node_at if x != n.name) or 'none'})",
        )
    for j, extra in enumerate(n.extra_sources):
        if extra not in vendor_at:
            raise (
                nw.child("extra_sources")
                .child(j)
                .error(extra, f"must name a vendor ({', '.join(map(repr, vendor_at)) or 'none'})")
            )
        if extra == n.source or n.extra_sources.index(extra) != j:
            raise (
                nw.child("extra_sources")
                .child(j)
                .error(extra, f"must not repeat the node's source {n.source!r} or another extra source")
            )
    lead = n.transfer_lead_time
    if isinstance(lead, LeadTimeConfig):
        lead_time(lead, nw.child("transfer_lead_time"))  # its own checks
    elif lead < 0:
        raise nw.child("transfer_lead_time").error(lead, "must be >= 0")
    if n.source in vendor_at and lead != 0:
        raise nw.child("transfer_lead_time").error(
            n.transfer_lead_time,
            f"applies only to a node fed by another node; node {n.name!r} is fed by vendor {n.source!r}, "
            "whose lead_time applies (remove the key)",
        )
    if not n.storage_capacity >= 0:
        raise nw.child("storage_capacity").error(n.storage_capacity, "must be >= 0 (inf: unlimited)")
    for key in ("holding_factor", "transit_holding_factor", "penalty_factor"):
        value = getattr(n, key)
        if not (math.isfinite(value) and value >= 0):
            raise nw.child(key).error(value, "must be finite and >= 0")
    if n.demand_share is not None:
        if not n.customer_facing:
            raise nw.child("demand_share").error(
                n.demand_share,
                f"applies only to a customer-facing node; node {n.name!r} has customer_facing = false "
                "(its demand is that of the nodes it feeds)",
            )
        if not (math.isfinite(n.demand_share) and n.demand_share >= 0):
            raise nw.child("demand_share").error(n.demand_share, "must be finite and >= 0")
    if not (math.isfinite(n.initial_cover) and n.initial_cover >= 0):
        raise nw.child("initial_cover").error(n.initial_cover, "must be finite and >= 0")


def _cycle_from(start: NodeConfig, nodes: tuple[NodeConfig, ...], node_at: dict[str, int]) -> list[str]:
    """The names of the cycle ``start`` lies on, from ``start`` back to it, following sources (empty when
    following sources from ``start`` reaches a vendor or a cycle ``start`` is not on)."""
    chain = [start.name]
    name = start.source
    while name in node_at:
        if name == start.name:
            return [*chain, name]
        if name in chain:
            return []  # a cycle upstream of start: reported at a node on it
        chain.append(name)
        name = nodes[node_at[name]].source
    return []
