"""The typed state of a supply chain at a period boundary, shared by both engines and every caller.

The rules of a period (:mod:`restock.simulator.rules`) take a state and a period's exogenous draws and
give the next state and the period's flows (:class:`restock.simulator.flows.PeriodFlows`). What a policy
sees at a review is this state; what an engine returns at the horizon is this state too, marked
``terminal`` (there is no ``None`` at the end of an episode).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ReviewState:
    """The state at the start of period ``t``, after that period's arrivals and before its demand.

    Arrays are numpy (des) or torch (batch), with a leading path axis P, then nodes M (the order of
    ``world.network.nodes``), then SKUs N. Orders are placed per arc (source -> node,
    ``world.network.arcs()``), but what arrives from every source of a node joins the same stock, so the
    pipeline is per node, by arrival period, summed over the node's sources: what a policy needs (a
    dual-index policy's expedited position is the part due within the expedited lead time). Age classes
    (perishables) would add an axis to ``on_hand`` here, and only here.

    At the horizon (``t == world.horizon``) an engine returns the state with ``terminal=True``: on-hand
    after the arrivals due at the horizon, the backlog then, and the pipeline of what is still due after it
    (the same definitions as at a review, so an observation of it means what it means at a review).
    """

    t: int
    on_hand: Any
    """[P, M, N] units on hand."""
    backlog: Any
    """[P, M, N] backordered units waiting (0 under lost sales)."""
    pipeline: Any
    """[P, M, N, K] units accepted by the source and due in periods t+1 .. t+K (index k: due t+1+k).
    The vendor confirms the arrival period when it accepts an order; a fill-rate cut is seen on arrival."""
    terminal: bool = False
    """True for the state at the horizon: no review, no further step."""
    owed: Any = None
    """[P, M, N] units node m requested from its upstream node that wait there, not yet shipped (the
    upstream node backorders them); None: nothing is owed anywhere (one node, or no backorders upstream)."""
    owes: Any = None
    """[P, M, N] units node m owes the nodes it feeds (the sum of their ``owed``); None with ``owed``."""
    position: Any = None
    """[P, M, N] :attr:`inventory_position` where the engine computed it with the state (the single-node
    batch engine does, in its block of periods); None: computed from the fields when asked for."""

    @property
    def inventory_position(self) -> Any:
        """The installation position, [P, M, N]: on-hand - backlog + everything in the pipeline, + what the
        upstream node owes this node - what this node owes the nodes it feeds."""
        if self.position is not None:
            return self.position
        position = self.on_hand - self.backlog + self.pipeline.sum(-1)
        return position if self.owed is None else position + self.owed - self.owes
