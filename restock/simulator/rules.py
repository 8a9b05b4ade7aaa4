"""The rules of one period, as small pure functions shared by both engines.

Each function works elementwise on numpy arrays and on torch tensors alike (so the batch engine stays
differentiable: only ``minimum``/``maximum``-style operations, no in-place writes, no casts to int).
Within period t, in this order (DESIGN.md):

1. Shipments due in t arrive and become on-hand (:func:`receive`; beyond a SKU's storage capacity, or the
   room left in the storage volume its node's SKUs share, they are disposed).
2. At a review the policy orders; an order to a vendor is rounded to its SKU's case packs and minimum
   order quantity (:func:`pack_order`); the source accepts up to its capacity and will deliver the
   fill-rate share (:func:`accept_order`); where a node's accepted orders over all SKUs and sources exceed
   its shared inbound capacity of the period they are cut pro rata (:func:`inbound_share`). An order with
   lead time 0 arrives now, before demand.
3. Demand arrives and is served from on-hand (:func:`serve_lost_sales` or :func:`serve_backorders`).
4. Costs and revenue are booked (:func:`book_period`: :func:`period_cash_flows`, :func:`salvage` in the
   last period, and the :func:`reward`).

The names of the quantities are the fields of :class:`restock.simulator.flows.PeriodFlows`. Fast paths
for an unlimited capacity, a full fill or no storage limit live inside these functions (an engine calls
them every period and never writes a rule inline).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import numpy as np

from restock.simulator.arrays import floor, minimum, relu, straight_through, where
from restock.simulator.flows import COST_COMPONENTS, REWARD_TERMS

A = TypeVar("A")
"""A numpy array or a torch tensor (torch is never imported here: see :mod:`restock.simulator.arrays`)."""

__all__ = [
    "COST_COMPONENTS",
    "NOTHING",
    "accept",
    "accept_order",
    "book_period",
    "deliver",
    "inbound_share",
    "minimum",
    "pack_order",
    "period_cash_flows",
    "pro_rata",
    "ration",
    "receive",
    "relu",
    "reward",
    "salvage",
    "serve_backorders",
    "serve_lost_sales",
    "serve_queue",
    "storage_share",
]


NOTHING = 0.0
"""What :func:`receive` and :func:`accept_order` return for a quantity that is zero by construction (no
storage limit: nothing disposed; no capacity limit and a full fill: nothing cancelled)."""


def pack_order(quantity: A, case_pack: Any, minimum_order: Any) -> A:
    """An order to a vendor in whole case packs, at least the minimum order quantity when positive.

    ``quantity`` is rounded to the nearest multiple of ``case_pack`` (halves up: 1.5 packs are 2), then a
    positive order below ``minimum_order`` is raised to it (a multiple of the case pack; 0 stays 0).
    ``case_pack`` None is units of 1 without rounding (real-valued orders pass unchanged), ``minimum_order``
    None is no minimum. On torch tensors the gradient passes straight through the rounding (d out / d
    quantity = 1: :func:`~restock.simulator.arrays.straight_through`), so a learned policy keeps a
    gradient."""
    if case_pack is None and minimum_order is None:
        return quantity
    out: Any = quantity
    if case_pack is not None:
        out = floor(quantity / case_pack + 0.5) * case_pack  # type: ignore[operator]
    if minimum_order is not None:
        out = where(out > 0, where(out < minimum_order, minimum_order, out), 0.0)  # type: ignore[operator]
    return straight_through(quantity, out)  # type: ignore[no-any-return]


def accept(quantity: A, capacity: Any) -> A:
    """The units a source accepts of an order: ``min(quantity, capacity)``; ``capacity`` None: unlimited."""
    return quantity if capacity is None else minimum(quantity, capacity)  # type: ignore[no-any-return]


def deliver(accepted: A, fill_rate: Any) -> A:
    """The units the source will deliver of what it accepted; ``fill_rate`` None: a full fill."""
    return accepted if fill_rate is None else accepted * fill_rate  # type: ignore[operator, no-any-return]


def accept_order(quantity: A, capacity: Any, fill_rate: Any) -> tuple[A, A]:
    """An order as the source handles it: (delivered, cancelled).

    The source accepts ``min(quantity, capacity)``; of that it will deliver the ``fill_rate`` share. The
    rest of the order (capacity cut plus fill-rate cut) is cancelled. ``delivered + cancelled == quantity``.
    ``capacity`` None is no limit and ``fill_rate`` None a full fill; with both, nothing is cancelled
    (:data:`NOTHING`).
    """
    delivered = deliver(accept(quantity, capacity), fill_rate)
    if capacity is None and fill_rate is None:
        return delivered, NOTHING  # type: ignore[return-value]
    return delivered, quantity - delivered  # type: ignore[operator]


def receive(
    on_hand: A, arriving: A, storage_capacity: Any, shared: tuple[Any, Any] | None = None
) -> tuple[A, A]:
    """Add arriving units [..., N] to on-hand up to the storage limits: (new on-hand, disposed overflow).

    Two limits, the per-SKU one first:

    * ``storage_capacity`` [N] or a number: the most units of one SKU held; what the SKU would hold above
      it is disposed (also stock already held above it: an initial on-hand). None (or inf): no limit.
    * ``shared``: (``unit_volume`` [N] or None for 1, ``storage_volume`` [...]) a volume the node's N SKUs
      share. The room left is ``storage_volume`` less the volume of the stock held (never below 0); the
      arriving units of every SKU are cut by the one share of that room their volume fills
      (:func:`storage_share`), and the cut is disposed. Stock already held is never disposed (a limit
      that falls below it only stops arrivals). An engine pools every arrival of one moment at the node
      (the start of the period; the orders of lead time 0 of a review; the transfers of one upstream
      node) into one call, so the share does not depend on the order in which shipments arrive.

    With neither limit nothing is disposed (:data:`NOTHING`). Disposed units have been delivered, so they
    are bought: an overflow costs its purchase and earns nothing.
    """
    total = on_hand + arriving  # type: ignore[operator]
    per_sku = not (
        storage_capacity is None or (isinstance(storage_capacity, float) and storage_capacity == np.inf)
    )
    if not per_sku and shared is None:
        return total, NOTHING  # type: ignore[return-value]
    kept = minimum(total, storage_capacity) if per_sku else total
    disposed: Any = total - kept if per_sku else NOTHING  # type: ignore[operator]
    if shared is None:
        return kept, disposed
    unit_volume, storage_volume = shared
    held = minimum(on_hand, storage_capacity) if per_sku else on_hand
    coming = kept - held  # type: ignore[operator]
    share = storage_share(held, coming, unit_volume, storage_volume)
    cut = coming * (1.0 - share[..., None])  # type: ignore[index, operator]
    return kept - cut, cut if disposed is NOTHING else disposed + cut  # type: ignore[operator]


def storage_share(held: A, arriving: A, unit_volume: Any, storage_volume: Any) -> A:
    """The share [...] of ``arriving`` units [..., N] a shared storage volume takes in: the room left,
    ``storage_volume`` less the volume ``held`` (at least 0), over the arriving volume, pro rata
    (:func:`pro_rata`: 1 where it fits). ``unit_volume`` [N] (None: 1 per unit)."""
    if unit_volume is not None:
        held, arriving = held * unit_volume, arriving * unit_volume  # type: ignore[operator]
    room = relu(storage_volume - held.sum(-1))  # type: ignore[attr-defined]
    return pro_rata(arriving.sum(-1), room)  # type: ignore[attr-defined]


def pro_rata(total: A, available: Any) -> A:
    """The share of requests totalling ``total`` that ``available`` fills, each in proportion to its size:
    1 where they fit, ``available / total`` where they exceed it. Differentiable in both arguments (the
    share's denominator is never 0, and an unlimited ``available`` (inf) where they fit gives no NaN in a
    gradient)."""
    short = total > available  # type: ignore[operator]
    ratio = where(short, available, 1.0) / where(short, total, 1.0)  # type: ignore[operator]
    return where(short, ratio, 1.0)  # type: ignore[no-any-return]


def ration(requests: A, available: A) -> tuple[A, A]:
    """Fill ``requests`` [C, ...] of C requesters from ``available`` [...] in proportion to their size
    (:func:`pro_rata`).

    Returns (shipped [C, ...], left [...]). Where the requests fit, each is filled in full and the rest is
    left; where they exceed what is available, every request gets the same share ``available / total``
    and nothing is left.
    """
    total = requests.sum(0)  # type: ignore[attr-defined]
    share = pro_rata(total, available)
    return requests * share, where(total > available, 0.0, available - total)  # type: ignore[operator]


def inbound_share(accepted_total: A, inbound_capacity: Any) -> A:
    """The share of a review's accepted orders a node takes in under its shared inbound limit: the orders
    of every SKU and every source of the node, ``accepted_total`` in all [...], are cut pro rata
    (:func:`pro_rata`) to ``inbound_capacity`` [...] units; the cut is cancelled."""
    return pro_rata(accepted_total, inbound_capacity)


def serve_queue(cohorts: list[A], available: A) -> tuple[list[A], list[A], A]:
    """Ship a queue of requests first-come first-served from ``available`` [...].

    ``cohorts``: the open requests, oldest first, each [C, ...] (what each of C requesters asked for at
    one review and still waits for). The oldest cohort is served first; within a cohort the requesters
    share pro rata (:func:`ration`). Returns (shipped per cohort, still owed per cohort, left [...]).
    """
    shipped, owed = [], []
    left = available
    for cohort in cohorts:
        out, left = ration(cohort, left)
        shipped.append(out)
        owed.append(cohort - out)  # type: ignore[operator]
    return shipped, owed, left


def serve_lost_sales(on_hand: A, demand: A, out: tuple[Any, Any, Any] | None = None) -> tuple[A, A, A]:
    """Lost sales: (sales, lost, new on-hand) with sales = min(demand, on-hand).

    ``out``: numpy arrays (sales, lost, on-hand; on-hand may be ``on_hand`` itself) to write the result
    into instead of allocating (the des engine serves every period this way; the same arithmetic)."""
    if out is not None:
        sales, lost, left = out
        np.minimum(demand, on_hand, out=sales)  # type: ignore[call-overload]
        np.subtract(demand, sales, out=lost)  # type: ignore[call-overload]
        np.subtract(on_hand, sales, out=left)  # type: ignore[call-overload]
        return sales, lost, left
    sales = minimum(demand, on_hand)
    return sales, demand - sales, on_hand - sales  # type: ignore[operator]


def serve_backorders(on_hand: A, backlog: A, demand: A) -> tuple[A, A, A]:
    """Backorders: the backlog and today's demand are served first-come first-served from on-hand.

    Returns (units shipped, new backlog, new on-hand). Units shipped count as sales (revenue is booked when
    a unit ships, including units that had waited in the backlog).
    """
    due = backlog + demand  # type: ignore[operator]
    shipped = minimum(due, on_hand)
    return shipped, due - shipped, on_hand - shipped


def period_cash_flows(
    *,
    sales: A,
    purchased: A,
    end_on_hand: A,
    lost: A,
    end_backlog: A,
    orders_placed: A,
    price: Any,
    unit_cost: Any,
    holding_cost: Any,
    penalty: Any,
    fixed_order_cost: Any,
    backorder: bool,
    in_transit: Any = None,
    transit_holding_cost: Any = None,
    out: Mapping[str, Any] | None = None,
) -> dict[str, A]:
    """The booked amounts of one period (all >= 0); reward = revenue - the four costs.

    ``purchased``: the units received from vendors, each weighted by its vendor's ``unit_cost_factor``
    (transfers between nodes cost nothing). ``orders_placed``: the number of orders with a positive
    quantity placed this period (one per arc at most: two sources, two orders).
    The penalty is per lost unit (lost sales) or per unit of end-of-period backlog (backorders). Holding
    is charged on the end on-hand and, where ``transit_holding_cost`` is given, on the units ``in_transit``
    at the end of the period too.
    ``out``: numpy arrays by amount name to write the amounts into (the des engine books into its history
    rows this way), instead of new arrays.
    """
    o = out or {}
    holding = _times(end_on_hand, holding_cost, o.get("holding_cost"))
    if transit_holding_cost is not None:
        if o.get("holding_cost") is None:
            holding = holding + in_transit * transit_holding_cost
        else:
            holding += in_transit * transit_holding_cost
    return {
        "revenue": _times(sales, price, o.get("revenue")),
        "purchase_cost": _times(purchased, unit_cost, o.get("purchase_cost")),
        "holding_cost": holding,
        "penalty_cost": _times(end_backlog if backorder else lost, penalty, o.get("penalty_cost")),
        "fixed_order_cost": _times(orders_placed, fixed_order_cost, o.get("fixed_order_cost")),
    }


def _times(quantity: Any, coefficient: Any, out: Any) -> Any:
    """``quantity x coefficient``, into ``out`` when given (a numpy array of the result's shape)."""
    return quantity * coefficient if out is None else np.multiply(quantity, coefficient, out=out)


def salvage(end_on_hand: A, salvage_value: Any) -> A:
    """The value of what is left on hand at the end of the last period (book it in that period only)."""
    return end_on_hand * salvage_value  # type: ignore[operator, no-any-return]


_INCOME = tuple(k for k, sign in REWARD_TERMS.items() if sign > 0)
_COSTS = tuple(k for k, sign in REWARD_TERMS.items() if sign < 0)


def reward(amounts: Mapping[str, A], out: Any = None) -> A:
    """Revenue + salvage - purchase, holding, penalty and fixed order costs (:data:`flows.REWARD_TERMS`,
    their signs). ``out``: a numpy array to write it into.
    On numpy the costs are taken off in place, on the one new array (or ``out``) the income makes; torch
    tensors stay out of place (differentiable)."""
    if out is None:
        total: Any = amounts[_INCOME[0]]
        for name in _INCOME[1:]:
            total = total + amounts[name]
        fresh = type(total) is np.ndarray and len(_INCOME) > 1
    else:
        total, fresh = out, True
        np.copyto(total, amounts[_INCOME[0]])  # type: ignore[arg-type]
        for name in _INCOME[1:]:
            total += amounts[name]
    for name in _COSTS:
        if fresh:
            total -= amounts[name]
        else:
            total = total - amounts[name]
    return total  # type: ignore[no-any-return]


def book_period(
    *, salvage_value: Any = 0.0, salvage_units: Any = None, out: Mapping[str, Any] | None = None, **flows: Any
) -> dict[str, Any]:
    """Every money amount of a period (:data:`flows.MONEY_COLUMNS`): the cash flows, salvage, reward.

    ``flows``: the keyword arguments of :func:`period_cash_flows` (the period's quantities, prices, costs
    and the service model). ``salvage_units``: the units valued at ``salvage_value``: the end on-hand of
    the last period of the horizon where the booking covers it, 0 elsewhere (None: no salvage in what is
    booked). ``out``: numpy arrays by money column to write into (salvage is then left as it is unless
    booked).
    """
    o = out or {}
    amounts: dict[str, Any] = period_cash_flows(**flows, out=out)
    if salvage_units is None:
        amounts["salvage"] = o.get("salvage", 0.0)
    else:
        amounts["salvage"] = _times(salvage_units, salvage_value, o.get("salvage"))
    amounts["reward"] = reward(amounts, o.get("reward"))
    return amounts
