"""Order rules the oracle hands out: the optimal table, base-stock and capped base-stock.

All of them answer ``order(on_hand, pipeline) -> int`` at the moment of the decision in our convention
(see :mod:`restock.agents.oracle.conventions`): in period t, **after** the shipments due in t have arrived
and **before** the demand of t,

* ``on_hand`` — units on hand (>= 0 with lost sales; the net inventory, possibly negative, with backorders),
* ``pipeline`` — the open orders in the order they arrive: ``pipeline[i]`` arrives at the start of period
  t+1+i, i = 0 .. L-2. It has L-1 entries for L >= 1 and none for L = 0 or L = 1. The order returned now
  arrives at the start of t+L.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from restock.errors import InputError
from restock.simulator.policy import base_stock_order


def pipeline_length(lead_time: int) -> int:
    """How many open orders the decision sees: L-1 for L >= 1, none for L = 0."""
    return max(lead_time - 1, 0)


def _check_pipeline(lead_time: int, pipeline: Sequence[int]) -> None:
    if len(pipeline) != pipeline_length(lead_time):
        raise InputError(
            f"pipeline must have {pipeline_length(lead_time)} entries for lead time {lead_time}, "
            f"got {list(pipeline)!r}"
        )


@dataclass(frozen=True)
class OrderTable:
    """The optimal lost-sales order for every state with position <= ``cap``: one table lookup.

    States with position above ``cap`` order 0 (the cap bounds the optimal position after ordering).
    """

    lead_time: int
    """L in our convention."""
    cap: int
    """Largest position after ordering; states above it order 0."""
    table: NDArray[np.int32] = field(repr=False)
    """Order per dense mixed-radix index (base cap+1) of (on_hand, pipeline...); 0 outside the space."""

    def order(self, on_hand: int, pipeline: Sequence[int] = ()) -> int:
        """The optimal order quantity in state (``on_hand``, ``pipeline``) — see the module docstring."""
        _check_pipeline(self.lead_time, pipeline)
        if on_hand < 0 or any(q < 0 for q in pipeline):
            raise InputError(
                f"lost-sales state must be >= 0, got on_hand {on_hand!r}, pipeline {list(pipeline)!r}"
            )
        index = 0
        base = self.cap + 1
        for coordinate in (on_hand, *pipeline):
            if coordinate > self.cap:
                return 0
            index = index * base + coordinate
        return int(self.table[index])

    def orders(self, on_hand: NDArray[np.int64], pipeline: NDArray[np.int64]) -> NDArray[np.int64]:
        """Vectorized :meth:`order`: ``on_hand`` shape (n,), ``pipeline`` shape (n, L-1)."""
        coords = np.column_stack([np.asarray(on_hand, dtype=np.int64), np.asarray(pipeline, dtype=np.int64)])
        if coords.shape[1] != max(self.lead_time, 1):
            raise InputError(
                f"pipeline must have {pipeline_length(self.lead_time)} columns, got {coords.shape[1] - 1}"
            )
        if (coords < 0).any():
            raise InputError("lost-sales states must be >= 0")
        inside = (coords <= self.cap).all(axis=1)
        weights = (self.cap + 1) ** np.arange(coords.shape[1] - 1, -1, -1, dtype=np.int64)
        index = np.where(inside, coords @ weights, 0)
        return np.where(inside, self.table[index], 0).astype(np.int64)


@dataclass(frozen=True)
class BaseStockPolicy:
    """Order up to ``level`` on the inventory position, at most ``cap`` units a period (Xin 2021).

    ``order = min(max(level - (on_hand + sum(pipeline)), 0), cap)``; ``cap = None`` is plain base-stock.
    """

    lead_time: int
    """L in our convention (fixes the pipeline length)."""
    level: int
    """Order-up-to level S of the inventory position."""
    cap: int | None = None
    """Largest order r per period (None: no cap)."""

    def order(self, on_hand: int, pipeline: Sequence[int] = ()) -> int:
        """The order in state (``on_hand``, ``pipeline``) — see the module docstring."""
        _check_pipeline(self.lead_time, pipeline)
        return int(base_stock_order(self.level, on_hand + sum(pipeline), self.cap))
