"""The SimPy processes and events of the des engine, over one :class:`~.state.Sim`.

One process or event per node and event type handles the vector of all SKUs (and paths) of that node: the
SKUs' events coincide in time (same period, same phase), so one SimPy event per (node, period, phase)
processes them all as numpy arrays, in the same order a per-SKU event would (SKUs never interact):

* a review — one event per review period (:func:`review_event`) that the engine runs the environment
  until; it shows the rule the state there and places the orders (:func:`place_orders`: vendor orders
  ship at once, transfer requests wait for the TRANSFER phase) before running on;
* :func:`transfers` — per node that feeds other nodes: at every review, ships the requests of its children
  (rationed pro rata, the cut cancelled: :func:`~restock.simulator.rules.ration`); a node that backorders
  keeps what it cannot ship as a queue and ships from it in every period, oldest request first
  (:func:`~restock.simulator.rules.serve_queue`);
* a shipment — one scheduled :class:`~.events.At` event per (order, node, distinct lead time), due at
  ``(t + lead, ARRIVAL)``, whose callback :func:`arrive` delivers it; at a node whose SKUs share a
  storage volume, the shipments of one moment wait at its dock for one STORE event (:func:`store`) that
  takes them in together;
* :func:`customer_demand` — per customer-facing node: serves each period's demand;
* :func:`close` — writes each period's flows and end state into the history (:meth:`.state.Sim.close`).

Every event is an :class:`~.events.At` with an explicit priority: the order within a period is exact.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, cast

import numpy as np
import simpy
from simpy.events import Event

from restock.simulator import rules
from restock.simulator.des.events import ARRIVAL, CLOSE, DEMAND, REVIEW, STORE, TRANSFER, At
from restock.simulator.des.state import Sim

Proc = Generator[Event, Any, None]


def review_event(env: simpy.Environment, t: int) -> Event:
    """The review of period ``t``: an event at ``(t, REVIEW)``. The engine runs the environment until this
    event is processed (every arrival of ``t`` is in, no transfer or demand of ``t`` is), shows the rule
    the state, and places the orders (:func:`place_orders`) before it runs on."""
    return At(env, t - int(env.now), REVIEW, t)


def place_orders(env: simpy.Environment, sim: Sim, t: int, orders: np.ndarray) -> None:
    """Orders [P, A, N] on every arc at review ``t`` (already validated): an order to a vendor is rounded
    to case packs and the minimum order (:func:`~restock.simulator.rules.pack_order`); the source accepts
    min(q, capacity), and a node takes in at most its shared inbound capacity over all its SKUs and
    sources (:func:`~restock.simulator.rules.inbound_share`); what is cut is cancelled now. Vendor orders
    ship now, transfer requests wait for the TRANSFER phase of ``t``."""
    net = sim.net
    logging = sim.log is not None
    accepted = []
    for a in range(net.n_arcs):
        q = orders[:, a, :]
        m = net.arc_node[a]
        if sim.vendor_arc[a] and sim.packing is not None:
            q = rules.pack_order(q, *sim.packing)
        node = sim.at_node[m]
        node["ordered"] += q
        node["orders_placed"] += q > 0
        if logging:
            sim.emit(t, REVIEW, "order", m, net.arc_sources[a], q)
        capacity = None if sim.unlimited_capacity[a] else sim.paths.capacity[t, a]
        accepted.append(rules.accept(q, capacity))
        if capacity is not None:  # the capacity cut is cancelled now
            cut = q - accepted[a]
            node["cancelled"] += cut
            if logging:
                sim.emit(t, REVIEW, "cancel", m, net.arc_sources[a], cut, "capacity")
    if sim.inbound is not None:
        total = np.zeros(sim.shape[:2])  # [P, M]: what each node accepted over its SKUs and sources
        for a, acc in enumerate(accepted):
            total[:, net.arc_node[a]] += acc.sum(-1)
        share = rules.inbound_share(total, sim.inbound[t])  # [P, M]
        for a, acc in enumerate(accepted):
            m = net.arc_node[a]
            if (share[:, m] < 1).any():
                taken = acc * share[:, m, None]
                sim.at_node[m]["cancelled"] += acc - taken
                if logging:
                    sim.emit(t, REVIEW, "cancel", m, net.arc_sources[a], acc - taken, "inbound")
                accepted[a] = taken
    for a, acc in enumerate(accepted):
        if sim.vendor_arc[a]:
            dispatch(env, sim, t, a, acc)
        else:
            sim.requests[:, net.arc_node[a]] = acc


def dispatch(env: simpy.Environment, sim: Sim, t: int, a: int, qty: np.ndarray) -> None:
    """Ship ``qty`` [P, N] (>= 0) accepted on arc ``a`` in ``t``: one shipment event per distinct lead
    time among the positive quantities, due at ``(t + lead, ARRIVAL)`` at the arc's node."""
    m = sim.net.arc_node[a]
    sim.at_node[m]["in_transit"] += qty
    positive = qty > 0
    if not positive.any():
        return
    lead = sim.lead[:, t, a, :]
    fill = sim.paths.fill_rate[:, t, a, :]
    lead_pos = lead[positive]
    leads = sorted(set(lead_pos.tolist())) if lead_pos.size <= 64 else np.unique(lead_pos).tolist()
    if len(leads) == 1:  # one lead time (always so for one SKU on one path): qty is 0 wherever it differs
        sim.due[:, m, :, t + leads[0]] += qty
        _ship(env, sim, a, qty, fill, leads[0])
        return
    sim.due[sim.grid_p, m, sim.grid_n, t + lead] += qty
    for lt in leads:
        _ship(env, sim, a, np.where(lead == lt, qty, 0.0), fill, lt)


def _ship(env: simpy.Environment, sim: Sim, a: int, qty: np.ndarray, fill: np.ndarray, lead: int) -> None:
    event = At(env, lead, ARRIVAL, (sim, a, qty, fill))
    event.callbacks.append(arrive)


def arrive(event: Event) -> None:
    """A shipment of ``qty`` [P, N] on arc ``a`` arrives at its node: the ``fill`` share is delivered (the
    rest is cancelled on arrival); arrivals beyond the node's storage capacity are disposed. What a vendor
    delivers is bought at the arc's cost factor."""
    sim, a, qty, fill = cast(tuple[Sim, int, np.ndarray, np.ndarray], event.value)
    net = sim.net
    m = net.arc_node[a]
    node = sim.at_node[m]
    node["in_transit"] -= qty
    # a full fill (None) delivers everything, no storage limit (None) keeps everything: rules.NOTHING is cut
    delivered, cut = rules.accept_order(qty, None, fill if sim.fill_rate_cut[a] else None)
    disposed: Any
    if sim.volume_limited[m]:  # taken in with the moment's other arrivals at the node (:func:`store`)
        sim.dock[:, m] += delivered
        if not sim.docked[m]:
            sim.docked[m] = True
            At(event.env, 0, STORE, (sim, m)).callbacks.append(store)
        disposed = rules.NOTHING
    else:
        node["on_hand"][...], disposed = rules.receive(node["on_hand"], delivered, sim.storage[m])
    node["received"] += delivered
    factor = sim.cost_factor[a]
    if factor == 1.0:
        node["purchased"] += delivered
    elif factor:
        node["purchased"] += factor * delivered
    if cut is not rules.NOTHING:
        node["cancelled"] += cut
    if disposed is not rules.NOTHING:
        node["disposed"] += disposed
    if sim.log is not None:
        t, peer = int(event.env.now), net.arc_sources[a]
        sim.emit(t, ARRIVAL, "arrival", m, peer, delivered)
        if cut is not rules.NOTHING:
            sim.emit(t, ARRIVAL, "cancel", m, peer, cut, "fill")
        if disposed is not rules.NOTHING:
            sim.emit(t, ARRIVAL, "dispose", m, "", disposed)


def store(event: Event) -> None:
    """What arrived at a volume-limited node in this moment (every shipment processed since the moment
    began: at the ARRIVAL phase, or right after the review or transfer that sent it with lead time 0)
    goes on its shelves together: the arrivals beyond the room left in the node's shared storage volume
    are disposed, pro rata by volume (:func:`~restock.simulator.rules.receive`)."""
    sim, m = cast(tuple[Sim, int], event.value)
    t = int(event.env.now)
    node = sim.at_node[m]
    arriving = sim.dock[:, m].copy()
    sim.dock[:, m] = 0.0
    sim.docked[m] = False
    assert sim.storage_volume is not None
    # (the arrivals at the horizon, of the terminal state, meet the last period's limit)
    shared = (sim.unit_volume, float(sim.storage_volume[min(t, sim.horizon - 1), m]))
    node["on_hand"][...], disposed = rules.receive(node["on_hand"], arriving, sim.storage[m], shared)
    node["disposed"] += disposed
    if sim.log is not None and disposed.any():
        sim.emit(t, STORE, "dispose", m, "", disposed)


def transfers(env: simpy.Environment, sim: Sim, u: int) -> Proc:
    """Node ``u`` ships its children's requests: at every review, rationed pro rata when its on-hand falls
    short, the cut cancelled; if ``u`` backorders, the cut waits in its queue instead, and the queue is
    served first-come first-served in every period."""
    net = sim.net
    kids = list(net.children[u])
    prio = TRANSFER + net.levels[u]
    queue = sim.queues.get(u)
    reviews = set(sim.world.review_periods())
    periods = range(sim.horizon) if queue is not None else sorted(reviews)
    for t in periods:
        yield At(env, t - int(env.now), prio)
        new = np.moveaxis(sim.requests[:, kids, :], 1, 0) if t in reviews else None  # [C, P, N]
        if queue is None:
            assert new is not None
            shipped, left = rules.ration(new, sim.on_hand[:, u])
            cut = new - shipped
        else:
            if new is not None:
                if len(kids) == 1 and queue:  # one requester: first-come first-served is the total
                    queue[0] = queue[0] + new
                else:
                    queue.append(new)
            parts, owed, left = rules.serve_queue(queue, sim.on_hand[:, u])
            shipped = sum(parts[1:], parts[0]) if parts else np.zeros((len(kids), *sim.on_hand[:, u].shape))
            while owed and not owed[0].any():  # drop the requests served in full
                owed.pop(0)
            queue[:] = owed
            sim.owed[:, kids] = np.moveaxis(sum(owed[1:], owed[0]), 0, 1) if owed else 0.0
            cut = None
        sim.period["shipped_downstream"][:, u] += sim.on_hand[:, u] - left
        sim.on_hand[:, u] = left
        for i, c in enumerate(kids):
            sim.emit(t, prio, "transfer", u, net.names[c], shipped[i])
            if cut is not None:
                sim.period["cancelled"][:, c] += cut[i]
                sim.emit(t, prio, "cancel", c, net.names[u], cut[i], "rationing")
            dispatch(env, sim, t, c, shipped[i])
        if new is not None:
            sim.requests[:, kids] = 0.0


def customer_demand(env: simpy.Environment, sim: Sim, m: int) -> Proc:
    """Demand of each period at node ``m``: sales = min(demand, on-hand); the rest lost or backordered
    (:func:`~restock.simulator.rules.serve_lost_sales` / :func:`~restock.simulator.rules.serve_backorders`).

    Sales, lost units, backlog and on-hand go into the period's live rows; the period's demand (from the
    paths) is filled in when the period is booked (:meth:`.state.Sim.book`)."""
    demand = sim.paths.demand[:, :, m, :]
    node = sim.at_node[m]  # views of the live rows of node m
    on_hand, backlog, sales, lost = node["on_hand"], node["backlog"], node["sales"], node["lost"]
    backorder = sim.net.backorder[m]
    log = sim.log
    t = int(env.now)
    delay = 0
    while t < sim.horizon:
        yield At(env, delay, DEMAND)
        d = demand[:, t]
        if backorder:
            sales[...], backlog[...], on_hand[...] = rules.serve_backorders(on_hand, backlog, d)
        else:
            rules.serve_lost_sales(on_hand, d, out=(sales, lost, on_hand))
        if log is not None:
            sim.emit(t, DEMAND, "demand", m, "", d)
            sim.emit(t, DEMAND, "sale", m, "", sales)
            if not backorder:
                sim.emit(t, DEMAND, "lost", m, "", lost)
        t, delay = t + 1, 1


def close(env: simpy.Environment, sim: Sim) -> Proc:
    """Close every period, last of all events in it."""
    t = int(env.now)
    delay = 0
    while t < sim.horizon:
        yield At(env, delay, CLOSE)
        sim.close(t)
        t, delay = t + 1, 1
