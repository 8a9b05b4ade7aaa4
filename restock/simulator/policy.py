"""What an engine shows a buying rule at a review, and the minimal rules that make the simulator usable.

The full Policy protocol (baselines, oracle, SB3 agents, DirectBackprop) lives in ``restock.agents``; the
simulator only needs a callable ``OrderRule`` from a :class:`ReviewState` to order quantities. The same
rules run on numpy arrays (des engine) and torch tensors (batch engine).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from restock.errors import InputError
from restock.simulator.arrays import is_tensor, like, minimum, relu
from restock.simulator.state import ReviewState

__all__ = [
    "BaseStock",
    "ConstantOrder",
    "EchelonBaseStock",
    "OrderRule",
    "OrderSchedule",
    "ReviewState",
    "base_stock_order",
    "check_orders",
    "echelon_position",
    "invalid_orders",
    "on_arcs",
]


class OrderRule(Protocol):
    """A buying rule as the engines call it: order quantities [P, A, N] (>= 0, finite) at a review, one
    per arc (source -> node, ``world.network.arcs()``). Where nodes have extra sources (A > M), a rule may
    return [P, M, N] instead: each node's order goes to its own ``source`` and nothing to the extra
    vendors (:func:`on_arcs`), so that a single-source rule runs unchanged."""

    def __call__(self, state: ReviewState) -> Any: ...


def on_arcs(orders: Any, n_nodes: int, n_arcs: int) -> Any:
    """``orders`` as orders per arc: [P, A, N] as they are; [P, M, N] (M < A) padded with zeros for the
    extra arcs (:class:`OrderRule`). Anything else is left for :func:`check_orders` to refuse."""
    if n_arcs == n_nodes:
        return orders
    tensor = is_tensor(orders)
    arr: Any = orders if tensor else np.asarray(orders, dtype=np.float64)
    if arr.ndim != 3 or arr.shape[1] != n_nodes:
        return orders
    if tensor:
        torch = sys.modules["torch"]
        pad = torch.zeros((arr.shape[0], n_arcs - n_nodes, arr.shape[2]), dtype=arr.dtype, device=arr.device)
        return torch.cat([arr, pad], 1)
    return np.concatenate([arr, np.zeros((arr.shape[0], n_arcs - n_nodes, arr.shape[2]))], 1)


def invalid_orders(orders: Any) -> Any:
    """Where ``orders`` (a numpy array or a torch tensor) is not a valid order: not finite, or below 0.
    :func:`check_orders` refuses any; the batch engine computes it inside its block of periods (one
    pass fused with the rest under ``torch.compile``) and calls :func:`check_orders` where it holds."""
    finite = orders.isfinite() if is_tensor(orders) else np.isfinite(orders)
    return ~finite | (orders < 0)


def check_orders(orders: Any, shape: tuple[int, ...], t: int) -> None:
    """Raise :class:`InputError` unless ``orders`` has ``shape`` and is finite and >= 0 (never clipped)."""
    tensor = is_tensor(orders)
    arr: Any = orders.detach() if tensor else np.asarray(orders)
    if tuple(arr.shape) != tuple(shape):
        raise InputError(
            f"policy returned orders of shape {tuple(arr.shape)} in period {t}, expected {shape}"
        )
    bad = invalid_orders(arr)
    if bool(bad.any()):
        first = bad.nonzero()[0] if tensor else np.argwhere(bad)[0]
        idx = tuple(int(i) for i in first)
        raise InputError(
            f"policy returned an invalid order {float(arr[idx])!r} at [path, node, sku]={list(idx)} "
            f"in period {t}; orders must be finite and >= 0"
        )


def base_stock_order(level: Any, position: Any, cap: Any = None) -> Any:
    """The base-stock order: ``max(level - position, 0)``, at most ``cap`` (None: no cap).

    The one base-stock rule: :class:`BaseStock` (engines), the baseline
    ``restock.agents.baselines.BaseStockPolicy`` and the DP oracle's ``BaseStockPolicy`` all call it. Works
    on numbers, numpy arrays and torch tensors (differentiable in ``level``).
    """
    q = relu(level - position)
    return q if cap is None else minimum(q, cap)


@dataclass(frozen=True)
class BaseStock:
    """Order up to ``level`` on the inventory position: q = max(S - position, 0).

    ``level`` is a scalar or an array broadcastable to [M, N].
    """

    level: Any

    def __call__(self, state: ReviewState) -> Any:
        return base_stock_order(like(self.level, state.on_hand), state.inventory_position)


def echelon_position(state: ReviewState, subtree: Any) -> Any:
    """The echelon inventory position of every node, [P, M, N].

    Node j's echelon is j and every node downstream of it (``subtree`` [M, M], row j; see
    ``restock.simulator.topology.Layout.subtree``). Its position is the stock on hand in the echelon,
    minus the customer backlog there, plus everything in transit to its nodes, plus what j's upstream node
    owes j. What a node of the echelon owes another one is inside the echelon and cancels out.
    """
    local = state.on_hand - state.backlog + state.pipeline.sum(-1)
    if is_tensor(local):
        position = sys.modules["torch"].einsum("jk,pkn->pjn", like(subtree, local), local)
    else:
        position = np.einsum("jk,pkn->pjn", np.asarray(subtree, dtype=np.float64), local)
    return position if state.owed is None else position + state.owed


@dataclass(frozen=True)
class EchelonBaseStock:
    """Order up to ``level`` on each node's echelon position (:func:`echelon_position`):
    q_j = max(S_j - echelon position_j, 0), at most ``cap`` (None: no cap).

    ``level`` and ``cap`` broadcast to [M, N]; ``subtree`` is the network's [M, M] echelon matrix.
    On a serial system with backorders at every stage the optimal policy has this form (Clark & Scarf).
    """

    level: Any
    subtree: Any
    cap: Any = None

    def __call__(self, state: ReviewState) -> Any:
        position = echelon_position(state, self.subtree)
        cap = None if self.cap is None else like(self.cap, state.on_hand)
        return base_stock_order(like(self.level, state.on_hand), position, cap)


@dataclass(frozen=True)
class ConstantOrder:
    """Order the same ``quantity`` (scalar or broadcastable to [M, N]) at every review."""

    quantity: Any

    def __call__(self, state: ReviewState) -> Any:
        if is_tensor(state.on_hand):
            return state.on_hand * 0 + like(self.quantity, state.on_hand)
        return np.zeros_like(state.on_hand) + np.asarray(self.quantity, dtype=float)


@dataclass(frozen=True)
class OrderSchedule:
    """Replay fixed orders: ``orders[r]`` ([P, M, N]) at the r-th review. For parity tests and replays."""

    orders: Any
    review_period: int
    review_offset: int = 0

    def __call__(self, state: ReviewState) -> Any:
        r = (state.t - self.review_offset) // self.review_period
        q = self.orders[r]
        if is_tensor(state.on_hand):
            return like(q, state.on_hand)
        return np.asarray(q, dtype=float)
