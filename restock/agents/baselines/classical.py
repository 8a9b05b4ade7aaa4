"""Classical inventory policies on the inventory position, with levels in units per node and SKU.

Writing ``IP`` for the inventory position at the review (on-hand - backlog + every open order), each
policy orders, per decision point:

==================  =====================================================================================
policy              order q at a review
==================  =====================================================================================
base-stock          ``q = max(S - IP, 0)``: order up to the level S (installation base-stock in a network).
echelon base-stock  ``q = max(S - EIP, 0)`` on the node's echelon position EIP (its stock and everything
                    downstream of it, in transit included, plus what its upstream node owes it).
capped base-stock   ``q = min(max(S - IP, 0), r)``: base-stock, at most r units per review (Xin 2021,
                    near-optimal for lost sales with long lead times).
(s, S)              ``q = S - IP`` if ``IP <= s`` else 0 (s <= S): order up to S when at or below s;
                    s < 0 only at a node that backorders (see :class:`SSPolicy`).
(r, Q)              ``q = n Q`` with n the smallest integer such that ``IP + n Q > r`` when ``IP <= r``,
                    else 0: whole lots of Q that lift the position above the reorder point r
                    (the periodic-review (r, nQ) rule).
constant            ``q = Q`` at every review (Q = 0 never orders).
==================  =====================================================================================

Where vendor orders come in case packs with a minimum (``World.ordering``), base-stock (uncapped) and
(s, S) round their order *up* to whole packs and the minimum (``Observer.pack_up``): the position after
ordering is at least the level, and the vendor's rounding leaves the order unchanged.

Parameters are absolute units: a scalar, [N], [M, N] or [P, M, N] (see
:mod:`restock.agents.baselines.params`). :mod:`restock.agents.baselines.tuning` chooses them per node and
SKU by simulation on training paths, searching grids scaled by each SKU's forecast scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from restock.agents.baselines.params import as_param, per_point
from restock.agents.policy import checked_orders
from restock.errors import InputError
from restock.simulator.policy import base_stock_order

if TYPE_CHECKING:
    from restock.envs.observer import Observer
    from restock.simulator.policy import ReviewState


@dataclass
class BaseStockPolicy:
    """Order up to ``level`` on the position, at most ``cap`` units per review (None or inf: no cap)."""

    level: Any
    cap: Any = None
    name: str = "base-stock"

    def __post_init__(self) -> None:
        self._level = as_param(f"{self.name}.level", self.level)
        self._cap = None if self.cap is None else as_param(f"{self.name}.cap", self.cap, allow_inf=True)

    def act(self, batch: Observer, state: ReviewState) -> np.ndarray:
        level = self.levels(batch, state)
        cap = None if self._cap is None else per_point(f"{self.name}.cap", self._cap, batch)
        q = base_stock_order(level, self.position(batch, state), cap)
        if cap is None:  # whole case packs, up to at least the level (a cap is a limit: not rounded up)
            q = batch.pack_up(q)
        return checked_orders(self.name, q, batch.size, state.t)

    def levels(self, batch: Observer, state: ReviewState) -> np.ndarray:
        """The order-up-to levels [B] (units; the same at every review)."""
        return per_point(f"{self.name}.level", self._level, batch)

    def position(self, batch: Observer, state: ReviewState) -> np.ndarray:
        """The position the level is compared with: the installation position."""
        return batch.position(state)


@dataclass
class EchelonBaseStockPolicy(BaseStockPolicy):
    """Order up to ``level`` on the node's *echelon* position (its stock, everything downstream of it and
    in transit to them, plus what its upstream node owes it), at most ``cap`` units per review.

    At a node that feeds no other node it is base-stock. On a serial system with backorders at every
    stage the optimal policy has this form (Clark & Scarf 1960; ``restock oracle serial``).
    """

    name: str = "echelon-base-stock"

    def position(self, batch: Observer, state: ReviewState) -> np.ndarray:
        """The node's echelon position."""
        return batch.echelon_position(state)


@dataclass
class SSPolicy:
    """(s, S): order up to ``S`` when the position is at or below ``s``.

    ``S >= 0`` and ``s <= S`` (``s = S`` is base-stock at S; on whole units ``s = S - 1`` is the same
    policy). ``s`` may be negative where the node backorders: there the position falls below 0 and the
    optimum of a high fixed order cost lets the backlog build before ordering (Zheng & Federgruen 1991;
    ``restock oracle s-S``). At a node with lost sales the position is never below 0, so an ``s < 0``
    would never order: it is refused (an :class:`InputError` naming ``s-S.s``, the value and the node) at
    the first review of that node.
    """

    s: Any
    S: Any
    name: str = "s-S"

    def __post_init__(self) -> None:
        self._s = as_param(f"{self.name}.s", self.s, low=None)
        self._S = as_param(f"{self.name}.S", self.S)
        try:
            above = np.broadcast_to(self._s > self._S, np.broadcast_shapes(self._s.shape, self._S.shape))
        except ValueError:
            return  # shapes that do not broadcast are checked per node at the review (per_point)
        if above.any():
            idx = tuple(int(i) for i in np.argwhere(above)[0])
            s_at, big_at = (
                np.broadcast_to(self._s, above.shape)[idx],
                np.broadcast_to(self._S, above.shape)[idx],
            )
            raise InputError(
                f"policy {self.name!r}: s must be <= S, got s={float(s_at)!r}, S={float(big_at)!r}"
                + (f" at {list(idx)}" if idx else "")
            )

    def act(self, batch: Observer, state: ReviewState) -> np.ndarray:
        s = per_point(f"{self.name}.s", self._s, batch)
        big = per_point(f"{self.name}.S", self._S, batch)
        if (s < 0).any():
            node = batch.world.network.nodes[batch.node]
            if not node.backorder:
                raise InputError(
                    f"policy {self.name!r}: {self.name}.s = {float(s.min())!r} < 0 at node {node.name!r}, "
                    "which loses unmet demand (backorder = false): its inventory position is never below "
                    "0, so the policy would never order; a negative reorder point needs backorders"
                )
        ip = batch.position(state)
        q = np.where(ip <= s, np.maximum(big - ip, 0.0), 0.0)
        return checked_orders(self.name, batch.pack_up(q), batch.size, state.t)


@dataclass
class RQPolicy:
    """(r, nQ): when the position is at or below ``r``, order the fewest lots of ``Q`` that lift it above."""

    r: Any
    Q: Any
    name: str = "r-Q"

    def __post_init__(self) -> None:
        self._r = as_param(f"{self.name}.r", self.r)
        self._q = as_param(f"{self.name}.Q", self.Q)
        if (self._q <= 0).any():
            raise InputError(f"policy {self.name!r}: the lot size Q must be > 0, got {self.Q!r}")

    def act(self, batch: Observer, state: ReviewState) -> np.ndarray:
        r = per_point(f"{self.name}.r", self._r, batch)
        lot = per_point(f"{self.name}.Q", self._q, batch)
        ip = batch.position(state)
        lots = np.where(ip <= r, np.floor((r - ip) / lot) + 1.0, 0.0)
        return checked_orders(self.name, lots * lot, batch.size, state.t)


@dataclass
class ConstantPolicy:
    """Order ``quantity`` at every review."""

    quantity: Any
    name: str = "constant"

    def __post_init__(self) -> None:
        self._q = as_param(f"{self.name}.quantity", self.quantity)

    def act(self, batch: Observer, state: ReviewState) -> np.ndarray:
        return checked_orders(
            self.name, per_point(f"{self.name}.quantity", self._q, batch), batch.size, state.t
        )
