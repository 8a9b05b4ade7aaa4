"""What an engine shows a buying rule at a review, and the minimal rules that make the simulator usable.

The full Policy protocol (baselines, oracle, SB3 agents, DirectBackprop) lives in ``restock.agents``; the
simulator only needs a callable ``OrderRule`` from a :class:`ReviewState` to order quantities. The same
rules run on numpy arrays (des engine) and torch tensors (batch engine).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import torch

from restock.errors import InputError
from restock.simulator.rules import relu


@dataclass(frozen=True)
class ReviewState:
    """The state at a review in period ``t``, after that period's arrivals and before its demand.

    Arrays are numpy (des) or torch (batch), with a leading path axis P, then nodes M, then SKUs N.
    """

    t: int
    on_hand: Any
    """[P, M, N] units on hand."""
    backlog: Any
    """[P, M, N] backordered units waiting (0 under lost sales)."""
    pipeline: Any
    """[P, M, N, K] units accepted by the source and due in periods t+1 .. t+K (index k: due t+1+k).
    The vendor confirms the arrival period when it accepts an order; a fill-rate cut is seen on arrival."""

    @property
    def inventory_position(self) -> Any:
        """On-hand - backlog + everything in the pipeline, [P, M, N]."""
        return self.on_hand - self.backlog + self.pipeline.sum(-1)


class OrderRule(Protocol):
    """A buying rule as the engines call it: order quantities [P, M, N] (>= 0, finite) at a review."""

    def __call__(self, state: ReviewState) -> Any: ...


def check_orders(orders: Any, shape: tuple[int, ...], t: int) -> None:
    """Raise :class:`InputError` unless ``orders`` has ``shape`` and is finite and >= 0 (never clipped)."""
    arr = orders.detach() if isinstance(orders, torch.Tensor) else np.asarray(orders)
    if tuple(arr.shape) != tuple(shape):
        raise InputError(
            f"policy returned orders of shape {tuple(arr.shape)} in period {t}, expected {shape}"
        )
    finite = torch.isfinite(arr) if isinstance(arr, torch.Tensor) else np.isfinite(arr)
    bad = ~finite | (arr < 0)
    if bool(bad.any()):
        first = bad.nonzero()[0] if isinstance(bad, torch.Tensor) else np.argwhere(bad)[0]
        idx = tuple(int(i) for i in first)
        raise InputError(
            f"policy returned an invalid order {float(arr[idx])!r} at [path, node, sku]={list(idx)} "
            f"in period {t}; orders must be finite and >= 0"
        )


@dataclass(frozen=True)
class BaseStock:
    """Order up to ``level`` on the inventory position: q = max(S - position, 0).

    ``level`` is a scalar or an array broadcastable to [M, N].
    """

    level: Any

    def __call__(self, state: ReviewState) -> Any:
        level = self.level
        if isinstance(state.on_hand, torch.Tensor):
            level = torch.as_tensor(level, dtype=state.on_hand.dtype, device=state.on_hand.device)
        return relu(level - state.inventory_position)


@dataclass(frozen=True)
class ConstantOrder:
    """Order the same ``quantity`` (scalar or broadcastable to [M, N]) at every review."""

    quantity: Any

    def __call__(self, state: ReviewState) -> Any:
        if isinstance(state.on_hand, torch.Tensor):
            q = torch.as_tensor(self.quantity, dtype=state.on_hand.dtype, device=state.on_hand.device)
            return torch.zeros_like(state.on_hand) + q
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
        if isinstance(state.on_hand, torch.Tensor):
            return torch.as_tensor(q, dtype=state.on_hand.dtype, device=state.on_hand.device)
        return np.asarray(q, dtype=float)
