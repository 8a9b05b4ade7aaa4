"""The rules of one period, as small pure functions shared by both engines.

Each function works elementwise on numpy arrays and on torch tensors alike (so the batch engine stays
differentiable: only ``minimum``/``maximum``-style operations, no in-place writes, no casts to int).
Within period t, in this order (DESIGN.md):

1. Shipments due in t arrive and become on-hand (:func:`receive`; beyond storage capacity they are disposed).
2. At a review the policy orders; the source accepts up to its capacity and will deliver the fill-rate
   share (:func:`accept_order`). An order with lead time 0 arrives now, before demand.
3. Demand arrives and is served from on-hand (:func:`serve_lost_sales` or :func:`serve_backorders`).
4. Costs and revenue are booked (:func:`period_cash_flows`).
"""

from __future__ import annotations

from typing import Any, TypeVar

import numpy as np
import torch

A = TypeVar("A", np.ndarray, torch.Tensor)


def minimum(a: Any, b: Any) -> Any:
    """Elementwise minimum for numpy arrays, torch tensors and scalars."""
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        ref = a if isinstance(a, torch.Tensor) else b
        return torch.minimum(
            torch.as_tensor(a, dtype=ref.dtype, device=ref.device),
            torch.as_tensor(b, dtype=ref.dtype, device=ref.device),
        )
    return np.minimum(a, b)


def relu(a: A) -> A:
    """max(a, 0), keeping torch tensors differentiable."""
    if isinstance(a, torch.Tensor):
        return a.clamp(min=0.0)
    return np.maximum(a, 0.0)


def accept_order(quantity: A, capacity: Any, fill_rate: Any) -> tuple[A, A]:
    """An order as the source handles it: (delivered, cancelled).

    The source accepts ``min(quantity, capacity)``; of that it will deliver the ``fill_rate`` share. The
    rest of the order (capacity cut plus fill-rate cut) is cancelled. ``delivered + cancelled == quantity``.
    """
    accepted = minimum(quantity, capacity)
    delivered = accepted * fill_rate
    return delivered, quantity - delivered


def receive(on_hand: A, arriving: A, storage_capacity: Any) -> tuple[A, A]:
    """Add arriving units to on-hand up to the storage capacity: (new on-hand, disposed overflow)."""
    total = on_hand + arriving
    kept = minimum(total, storage_capacity)
    return kept, total - kept


def serve_lost_sales(on_hand: A, demand: A) -> tuple[A, A, A]:
    """Lost sales: (sales, lost, new on-hand) with sales = min(demand, on-hand)."""
    sales = minimum(demand, on_hand)
    return sales, demand - sales, on_hand - sales


def serve_backorders(on_hand: A, backlog: A, demand: A) -> tuple[A, A, A]:
    """Backorders: the backlog and today's demand are served first-come first-served from on-hand.

    Returns (units shipped, new backlog, new on-hand). Units shipped count as sales (revenue is booked when
    a unit ships, including units that had waited in the backlog).
    """
    due = backlog + demand
    shipped = minimum(due, on_hand)
    return shipped, due - shipped, on_hand - shipped


def period_cash_flows(
    *,
    sales: A,
    received: A,
    end_on_hand: A,
    lost: A,
    end_backlog: A,
    ordered_positive: A,
    price: Any,
    unit_cost: Any,
    holding_cost: Any,
    penalty: Any,
    fixed_order_cost: Any,
    backorder: bool,
) -> dict[str, A]:
    """The booked amounts of one period (all >= 0); reward = revenue - the four costs.

    ``ordered_positive`` is 1 where an order with a positive quantity was placed this period, else 0.
    The penalty is per lost unit (lost sales) or per unit of end-of-period backlog (backorders).
    """
    return {
        "revenue": sales * price,
        "purchase_cost": received * unit_cost,
        "holding_cost": end_on_hand * holding_cost,
        "penalty_cost": (end_backlog if backorder else lost) * penalty,
        "fixed_order_cost": ordered_positive * fixed_order_cost,
    }


COST_COMPONENTS = ("purchase_cost", "holding_cost", "penalty_cost", "fixed_order_cost")
"""Names of the cost components, in the order the engines report them."""
