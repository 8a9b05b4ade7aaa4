"""Event priorities that make the order of events inside a period exact, and the event that carries one.

SimPy processes the event queue in order of ``(time, priority, event id)``. Every event the des engine
schedules is an :class:`At` event with one of the priorities below, so that within an integer period ``t``
the phases run in this order, whatever order the processes were started in:

==========  ===========  ===================================================================================
priority    phase        what happens
==========  ===========  ===================================================================================
10          ARRIVAL      shipments due in ``t`` arrive (vendor shipments and transfers)
11          STORE        a node whose SKUs share a storage volume takes in what arrived since the moment
                         began, pooled (one event per node and moment, scheduled by its first arrival)
20          REVIEW       at a review: the rule sees the state and orders; vendor orders are accepted
30 + level  TRANSFER     upstream nodes at ``level`` (0 = vendor-fed) ship to the nodes they feed
1000        DEMAND       customer demand is served at customer-facing nodes
1001        CLOSE        the period's flows and end state go into the history (booked when the step ends)
==========  ===========  ===================================================================================

A shipment with lead time 0 is scheduled from the REVIEW (or TRANSFER) phase at ``(t, ARRIVAL)``; it is the
smallest priority in the queue, so it is processed right after the event that created it (with the STORE
of its node, where one applies, next) and before the next transfer level and before demand: an order with
lead time 0 serves this period's demand, also through a chain of zero-lead-time transfers. SimPy's own
priorities (URGENT = 0 for a process start, NORMAL = 1) are below 10 and never collide with a phase.

``env.run(until=T)`` schedules its stop event at ``(T, URGENT)``: events due at the horizon ``T`` are never
processed, so shipments due at or after the horizon stay in transit.
"""

from __future__ import annotations

from typing import Any

import simpy
from simpy.events import Event

ARRIVAL = 10
STORE = 11
REVIEW = 20
TRANSFER = 30
DEMAND = 1000
CLOSE = 1001
MAX_LEVELS = DEMAND - TRANSFER
"""Most levels of nodes fed by nodes (a serial chain of this many nodes is the deepest network)."""

PHASE_NAMES = {ARRIVAL: "arrival", STORE: "store", REVIEW: "review", DEMAND: "demand", CLOSE: "close"}


class At(Event):
    """A timeout of ``delay`` periods processed at ``priority`` (SimPy's Timeout is always NORMAL)."""

    def __init__(self, env: simpy.Environment, delay: int, priority: int, value: Any = None) -> None:
        if delay < 0:
            raise ValueError(f"negative delay {delay}")
        self.env = env
        self.callbacks = []
        self._value = value
        self._ok = True
        self.priority = priority
        env.schedule(self, priority, delay)  # type: ignore[arg-type]
