"""The per-period record both engines write, and the result of a run.

One row per (path, period, node, SKU). Quantities are units in that period; money in currency units.

==================  ======================================================================================
path, period        the path index and the period t
node, sku           names
on_hand_start       on-hand at the start of the period, before arrivals
received            units that arrived this period (delivered share of orders due now, incl. L = 0)
disposed            arriving units beyond the node's storage capacity, thrown away
ordered             units ordered this period (0 outside reviews)
cancelled           units cancelled this period: the capacity cut of this period's order, plus the
                    fill-rate cut of shipments due this period
in_transit          units accepted and not yet arrived, at the end of the period (before any fill cut)
demand              customer demand of the period
sales               units shipped to customers this period (under backorders, incl. waiting backlog)
lost                units of demand lost this period (0 under backorders)
backlog             backordered units waiting at the end of the period (0 under lost sales)
shipped_downstream  units transferred to child nodes this period (network only)
on_hand             on-hand at the end of the period
revenue             sales x price
salvage             salvage value x end on-hand in the last period (else 0)
purchase_cost       unit cost x units received
holding_cost        holding cost x end on-hand
penalty_cost        penalty x lost (lost sales) or x end backlog (backorders)
fixed_order_cost    fixed cost if an order with positive quantity was placed
reward              revenue + salvage - the four costs
==================  ======================================================================================

Conservation laws hold per (path, node, SKU) and are tested on both engines:
cumulative ordered = cumulative received + cumulative cancelled + in_transit;
on_hand = on_hand_start + received - disposed - sales - shipped_downstream;
demand = sales + lost (lost sales); cumulative demand = cumulative sales + backlog (backorders).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

RECORD_COLUMNS: tuple[str, ...] = (
    "path",
    "period",
    "node",
    "sku",
    "on_hand_start",
    "received",
    "disposed",
    "ordered",
    "cancelled",
    "in_transit",
    "demand",
    "sales",
    "lost",
    "backlog",
    "shipped_downstream",
    "on_hand",
    "revenue",
    "salvage",
    "purchase_cost",
    "holding_cost",
    "penalty_cost",
    "fixed_order_cost",
    "reward",
)

MONEY_COLUMNS: tuple[str, ...] = (
    "revenue",
    "salvage",
    "purchase_cost",
    "holding_cost",
    "penalty_cost",
    "fixed_order_cost",
    "reward",
)


@dataclass(frozen=True)
class SimulationResult:
    """What a run returns: the per-period records and, from the des engine, the event log."""

    records: pd.DataFrame
    """One row per (path, period, node, sku) with :data:`RECORD_COLUMNS`."""
    events: pd.DataFrame = field(default_factory=pd.DataFrame)
    """The des engine's event log (time, priority, kind, node, sku, quantity, ...); empty for batch."""
    engine: str = ""
    discount: float = 1.0
