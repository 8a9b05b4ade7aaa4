"""The SimPy processes of the des engine, as generator functions over one :class:`~.state.Sim`.

One process per node and event type handles a vector of SKUs (and of paths) per event:

* :func:`review` — at every review period, hands the state to the caller and waits for its orders, then
  places them (vendor orders are accepted at once; transfer requests wait for the TRANSFER phase);
* :func:`transfers` — per node that feeds other nodes: at every review, ships the requests of its children
  (rationed, see :mod:`.network`);
* :func:`shipment` — one per (order, node, lead time): waits the lead time, then delivers;
* :func:`customer_demand` — per customer-facing node: serves each period's demand;
* :func:`close` — books each period's cash flows and writes its record.

Every event is an :class:`~.events.At` with an explicit priority: the order within a period is exact.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import numpy as np
import simpy
from simpy.events import Event

from restock.simulator.des.events import ARRIVAL, CLOSE, DEMAND, REVIEW, TRANSFER, At, trigger
from restock.simulator.des.network import ration
from restock.simulator.des.state import Sim
from restock.simulator.rules import accept_order, receive, serve_backorders, serve_lost_sales

Proc = Generator[Event, Any, None]


def review(env: simpy.Environment, sim: Sim, handoff: dict[str, Event]) -> Proc:
    """At each review period: trigger ``handoff["reached"]`` with the state, wait for ``handoff["decision"]``
    (the orders [P, M, N], already validated), and place them."""
    for t in sim.world.review_periods():
        yield At(env, t - int(env.now), REVIEW)
        decision = Event(env)
        handoff["decision"] = decision
        trigger(handoff["reached"], sim.review_state(t), REVIEW)
        orders = yield decision
        place_orders(env, sim, t, orders)


def place_orders(env: simpy.Environment, sim: Sim, t: int, orders: np.ndarray) -> None:
    """Orders of every node at review ``t``: the source accepts min(q, capacity), the rest is cancelled."""
    net, per = sim.net, sim.period
    for m in range(net.n_nodes):
        q = orders[:, m, :]
        sim.emit(t, REVIEW, "order", m, net.sources[m], q)
        accepted, cut = accept_order(q, sim.paths.capacity[t, m], 1.0)
        per["ordered"][:, m] += q
        per["ordered_positive"][:, m] = q > 0
        per["cancelled"][:, m] += cut
        sim.emit(t, REVIEW, "cancel", m, net.sources[m], cut, "capacity")
        if net.source_index[m] < 0:
            dispatch(env, sim, t, m, accepted)
        else:
            sim.requests[:, m] = accepted


def dispatch(env: simpy.Environment, sim: Sim, t: int, m: int, qty: np.ndarray) -> None:
    """Start the shipments of ``qty`` [P, N] accepted for node ``m`` in ``t``: one per distinct lead time."""
    lead = sim.lead[:, t, m, :]
    sim.in_transit[:, m] += qty
    sim.due[sim.grid_p, m, sim.grid_n, t + lead] += qty
    positive = qty > 0
    if not positive.any():
        return
    fill = sim.paths.fill_rate[:, t, m, :]
    for lt in np.unique(lead[positive]).tolist():
        part = np.where(lead == lt, qty, 0.0)
        env.process(shipment(env, sim, m, part, fill, lt))


def shipment(env: simpy.Environment, sim: Sim, m: int, qty: np.ndarray, fill: np.ndarray, lead: int) -> Proc:
    """A shipment of ``qty`` [P, N] to node ``m``: after ``lead`` periods the ``fill`` share arrives (the rest
    is cancelled on arrival); arrivals beyond the node's storage capacity are disposed."""
    yield At(env, lead, ARRIVAL)
    t, per, net = int(env.now), sim.period, sim.net
    peer = net.sources[m]
    delivered, cut = accept_order(qty, np.inf, fill)
    sim.in_transit[:, m] -= qty
    per["cancelled"][:, m] += cut
    sim.on_hand[:, m], disposed = receive(sim.on_hand[:, m], delivered, net.storage_capacity[m])
    per["received"][:, m] += delivered
    if net.source_index[m] < 0:
        per["received_vendor"][:, m] += delivered
    per["disposed"][:, m] += disposed
    sim.emit(t, ARRIVAL, "arrival", m, peer, delivered)
    sim.emit(t, ARRIVAL, "cancel", m, peer, cut, "fill")
    sim.emit(t, ARRIVAL, "dispose", m, "", disposed)


def transfers(env: simpy.Environment, sim: Sim, u: int) -> Proc:
    """Node ``u`` ships its children's requests at every review, rationed when its on-hand falls short."""
    net, per = sim.net, sim.period
    kids = list(net.children[u])
    prio = TRANSFER + net.levels[u]
    for t in sim.world.review_periods():
        yield At(env, t - int(env.now), prio)
        req = np.moveaxis(sim.requests[:, kids, :], 1, 0)  # [C, P, N]
        shipped, left = ration(req, sim.on_hand[:, u])
        per["shipped_downstream"][:, u] += sim.on_hand[:, u] - left
        sim.on_hand[:, u] = left
        for i, c in enumerate(kids):
            sim.emit(t, prio, "transfer", u, net.names[c], shipped[i])
            cut = req[i] - shipped[i]
            per["cancelled"][:, c] += cut
            sim.emit(t, prio, "cancel", c, net.names[u], cut, "rationing")
            dispatch(env, sim, t, c, shipped[i])
        sim.requests[:, kids] = 0.0


def customer_demand(env: simpy.Environment, sim: Sim, m: int) -> Proc:
    """Demand of each period at node ``m``: sales = min(demand, on-hand); the rest lost or backordered."""
    demand = sim.paths.demand
    per = sim.period
    backorder = sim.net.backorder[m]
    for t in range(int(env.now), sim.horizon):
        yield At(env, t - int(env.now), DEMAND)
        d = demand[:, t, m, :]
        if backorder:
            sales, sim.backlog[:, m], sim.on_hand[:, m] = serve_backorders(
                sim.on_hand[:, m], sim.backlog[:, m], d
            )
            lost = None
        else:
            sales, lost, sim.on_hand[:, m] = serve_lost_sales(sim.on_hand[:, m], d)
            per["lost"][:, m] = lost
        per["demand"][:, m] = d
        per["sales"][:, m] = sales
        if sim.log is not None:
            sim.emit(t, DEMAND, "demand", m, "", d)
            sim.emit(t, DEMAND, "sale", m, "", sales)
            if lost is not None:
                sim.emit(t, DEMAND, "lost", m, "", lost)


def close(env: simpy.Environment, sim: Sim) -> Proc:
    """Book and record every period, last of all events in it."""
    for t in range(int(env.now), sim.horizon):
        yield At(env, t - int(env.now), CLOSE)
        sim.close(t)
