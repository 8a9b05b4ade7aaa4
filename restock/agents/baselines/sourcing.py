"""Dual sourcing: single-index, dual-index and capped dual-index policies for a node with two vendors.

A node orders from a regular vendor (slow, cheap: lead time L_r) and an expedited one (fast, dear: lead
time L_e < L_r); one is the node's ``source``, the other its extra vendor, and which is which follows from
their mean lead times. Writing NI for the net inventory (on-hand - backlog), IP for the inventory position
(NI + every open order) and IP_e for the *expedited position* (NI + the open orders due within L_e
periods, the stock an expedited order placed now arrives to), each policy orders at a review, expedited
first:

=================  ====================================================================================
policy             orders (q_e expedited, q_r regular)
=================  ====================================================================================
single-index       ``q_e = max(S_e - IP, 0)``; ``q_r = max(S_r - IP - q_e, 0)`` (Scheller-Wolf,
                   Veeraraghavan & van Houtum 2007: both on the one position IP)
dual-index         ``q_e = max(S_e - IP_e, 0)``; ``q_r = max(S_r - IP - q_e, 0)`` (Veeraraghavan &
                   Scheller-Wolf 2008)
capped-dual-index  ``q_e = max(S_e - IP_e, 0)``; ``q_r = min(max(S_r - IP - q_e, 0), r)`` (Sun & Van
                   Mieghem 2019: the regular order at most r per review)
=================  ====================================================================================

With L_e = 0 an expedited order arrives at once, before the period's demand: IP_e is then NI. Levels are
absolute units per node and SKU (:mod:`restock.agents.baselines.params`), S_r >= S_e, and may be
negative (backorders). The lead times the
policy uses are the vendors' mean lead times, rounded (exact for deterministic lead times, the case of the
published instances). :mod:`restock.agents.baselines.tuning` tunes each on training paths; ``restock
oracle dual-sourcing`` gives the exact optimum of the textbook instances.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from restock.agents.baselines.params import as_param, per_point
from restock.errors import InputError
from restock.simulator.policy import base_stock_order

if TYPE_CHECKING:
    from restock.envs.observer import Observer
    from restock.simulator.policy import ReviewState

Index = Literal["single", "dual"]

INDEX_POLICIES: dict[str, tuple[Index, bool]] = {
    "single-index": ("single", False),
    "dual-index": ("dual", False),
    "capped-dual-index": ("dual", True),
}
"""The dual-sourcing policies by name: (the position the expedited order looks at, capped regular order)."""


def regular_and_expedited(observer: Observer) -> tuple[int, int, int]:
    """(row of the regular source, row of the expedited source, the expedited lead time in periods) among
    ``observer.sources``: the node must have exactly two vendors with different mean lead times."""
    net = observer.world.network
    node = net.nodes[observer.node]
    if len(observer.sources) != 2:
        raise InputError(
            f"a dual-sourcing policy needs a node with two sources; node {node.name!r} has "
            f"{list(observer.sources)} (add the second vendor to its extra_sources)"
        )
    if not all(net.is_vendor(s) for s in observer.sources):
        raise InputError(
            f"a dual-sourcing policy orders from two vendors; node {node.name!r} is fed by node "
            f"{node.source!r}"
        )
    means = [round(net.vendor(s).lead_time.expected()) for s in observer.sources]
    if means[0] == means[1]:
        raise InputError(
            f"a dual-sourcing policy needs a fast and a slow vendor; node {node.name!r}'s vendors "
            f"{list(observer.sources)} have the same mean lead time {means[0]}"
        )
    fast = int(np.argmin(means))
    return 1 - fast, fast, means[fast]


def index_orders(
    *,
    position: np.ndarray,
    expedited_position: np.ndarray,
    expedited_level: np.ndarray,
    regular_level: np.ndarray,
    cap: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    """(q_e, q_r) of the module docstring's table from the positions and levels (pure, elementwise)."""
    q_e = base_stock_order(expedited_level, expedited_position)
    return q_e, base_stock_order(regular_level, position + q_e, cap)


@dataclass
class DualIndexPolicy:
    """A policy of the module docstring's table: ``index`` "single" or "dual", ``cap`` None (no cap) or
    the most units of the regular order per review."""

    expedited_level: Any
    regular_level: Any
    cap: Any = None
    index: Index = "dual"
    name: str = "dual-index"

    def __post_init__(self) -> None:
        if self.index not in ("single", "dual"):
            raise InputError(f"policy {self.name!r}: index must be 'single' or 'dual', got {self.index!r}")
        # levels may be negative: under backorders the positions are (a level below every position never
        # orders)
        self._se = as_param(f"{self.name}.Se", self.expedited_level, low=-math.inf)
        self._sr = as_param(f"{self.name}.Sr", self.regular_level, low=-math.inf)
        self._cap = None if self.cap is None else as_param(f"{self.name}.cap", self.cap, allow_inf=True)
        if self._se.shape == self._sr.shape and (self._sr < self._se).any():
            raise InputError(
                f"policy {self.name!r}: the regular level Sr must be >= the expedited level Se, got "
                f"Se={self.expedited_level!r}, Sr={self.regular_level!r}"
            )

    def act_sources(self, observer: Observer, state: ReviewState) -> np.ndarray:
        """Orders [2, B]: one row per source of the node (``observer.sources`` order)."""
        regular, expedited, lead = regular_and_expedited(observer)
        position = observer.position(state)
        q_e, q_r = index_orders(
            position=position,
            expedited_position=position
            if self.index == "single"
            else observer.position_due_within(state, lead),
            expedited_level=per_point(f"{self.name}.Se", self._se, observer),
            regular_level=per_point(f"{self.name}.Sr", self._sr, observer),
            cap=None if self._cap is None else per_point(f"{self.name}.cap", self._cap, observer),
        )
        out = np.empty((2, observer.size))
        out[expedited], out[regular] = q_e, q_r
        return out
