"""The one list of what a period moves: every unit and money quantity, as the fields of :class:`PeriodFlows`.

Every list of names in Restock derives from these fields: the records' columns (:data:`RECORD_COLUMNS`),
the money columns and cost components, the totals an engine step returns (:data:`TOTAL_KEYS`), the cash
and unit keys of the envs, the KPI inputs and the TensorBoard tags. A new rule that books a new quantity
adds one field here (and its formula in :mod:`restock.simulator.rules`); nothing else lists names.

Each field carries its kind in ``metadata``:

* ``"level"``: a stock level at a period boundary (on-hand at the start or end, the backlog, units in
  transit); a step total of a level, where it has one, is its sum over the periods (``total`` names it);
* ``"units"``: units that moved in the period;
* ``"money"``: currency booked in the period, with ``sign`` +1 (income) or -1 (a cost) in the reward.

This module holds names only (no numpy, no torch), so that every layer may read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Literal

Kind = Literal["level", "units", "money"]


def _m(
    kind: Kind, doc: str, *, sign: int = 0, total: str | None = None, series: int | None = None
) -> dict[str, Any]:
    """The metadata of a field of :class:`PeriodFlows`: its kind, what it holds, its sign in the reward
    (money), its name among a step's totals (if a step totals it) and its rank in a per-period series."""
    return {"kind": kind, "doc": doc, "sign": sign, "total": total, "series": series}


@dataclass
class PeriodFlows:
    """What one period of one (path, node, SKU) moved and booked, in the records' column order.

    The engines hold these quantities as arrays (numpy in des, torch in batch); the dataclass is the
    schema. Conservation laws (tested on both engines):
    cumulative ordered = cumulative received + cumulative cancelled + in_transit + owed;
    on_hand = on_hand_start + received - disposed - sales - shipped_downstream;
    demand = sales + lost (lost sales); cumulative demand = cumulative sales + backlog (backorders).
    """

    on_hand_start: Any = field(metadata=_m("level", "on-hand at the start of the period, before arrivals"))
    received: Any = field(
        metadata=_m(
            "units",
            "units that arrived (the delivered share of orders due now, incl. L = 0)",
            total="received",
            series=6,
        )
    )
    disposed: Any = field(
        metadata=_m("units", "arriving units beyond the node's storage capacity, thrown away")
    )
    ordered: Any = field(metadata=_m("units", "units ordered this period (0 outside reviews)", series=5))
    cancelled: Any = field(
        metadata=_m(
            "units",
            "the capacity cut of this period's order plus the fill-rate cut of shipments due now",
            series=7,
        )
    )
    in_transit: Any = field(
        metadata=_m(
            "level",
            "units accepted and not yet arrived at the end of the period (before a fill cut)",
            series=8,
        )
    )
    owed: Any = field(
        metadata=_m(
            "level",
            "units requested from the upstream node and not yet shipped at the end of the period (the "
            "upstream node backorders them)",
        )
    )
    demand: Any = field(metadata=_m("units", "customer demand of the period", total="demand", series=0))
    sales: Any = field(
        metadata=_m(
            "units",
            "units shipped to customers (under backorders incl. waiting backlog)",
            total="sales",
            series=1,
        )
    )
    lost: Any = field(
        metadata=_m("units", "units of demand lost (0 under backorders)", total="lost", series=2)
    )
    backlog: Any = field(metadata=_m("level", "backordered units waiting at the end of the period", series=3))
    shipped_downstream: Any = field(metadata=_m("units", "units transferred to child nodes (networks only)"))
    on_hand: Any = field(
        metadata=_m("level", "on-hand at the end of the period", total="on_hand_sum", series=4)
    )
    revenue: Any = field(metadata=_m("money", "sales x price", sign=+1))
    salvage: Any = field(
        metadata=_m("money", "salvage value x end on-hand in the last period (else 0)", sign=+1)
    )
    purchase_cost: Any = field(metadata=_m("money", "unit cost x units received", sign=-1))
    holding_cost: Any = field(
        metadata=_m(
            "money", "holding cost x end on-hand (+ the node's transit holding cost x in transit)", sign=-1
        )
    )
    penalty_cost: Any = field(
        metadata=_m("money", "penalty x lost (lost sales) or x end backlog (backorders)", sign=-1)
    )
    fixed_order_cost: Any = field(
        metadata=_m("money", "fixed cost if an order with a positive quantity was placed", sign=-1)
    )
    reward: Any = field(
        metadata=_m("money", "revenue + salvage - the costs (the sum of the signed money fields)")
    )


FLOW_FIELDS = fields(PeriodFlows)
QUANTITY_COLUMNS: tuple[str, ...] = tuple(f.name for f in FLOW_FIELDS)
"""Every quantity of a period, in the records' order."""
KEY_COLUMNS: tuple[str, ...] = ("path", "period", "node", "sku")
"""The columns that say which (path, period, node, SKU) a record row is."""
RECORD_COLUMNS: tuple[str, ...] = (*KEY_COLUMNS, *QUANTITY_COLUMNS)
"""The columns of the per-period records both engines write."""
MONEY_COLUMNS: tuple[str, ...] = tuple(f.name for f in FLOW_FIELDS if f.metadata["kind"] == "money")
"""Money columns, reward last."""
REWARD_TERMS: dict[str, int] = {
    f.name: f.metadata["sign"] for f in FLOW_FIELDS if f.metadata["kind"] == "money" and f.metadata["sign"]
}
"""The money amounts that make the reward, with their sign (+1 income, -1 cost)."""
COST_COMPONENTS: tuple[str, ...] = tuple(k for k, s in REWARD_TERMS.items() if s < 0)
"""The costs, in the order the engines report them."""
MONEY_AMOUNTS: tuple[str, ...] = tuple(REWARD_TERMS)
"""The money amounts the reward adds up (every money column but the reward)."""
UNIT_TOTALS: tuple[str, ...] = tuple(
    f.metadata["total"] for f in FLOW_FIELDS if f.metadata["total"] and f.metadata["kind"] == "units"
)
"""Units moved that an engine step totals (received, demand, sales, lost)."""
LEVEL_TOTALS: tuple[str, ...] = tuple(
    f.metadata["total"] for f in FLOW_FIELDS if f.metadata["total"] and f.metadata["kind"] == "level"
)
"""Levels an engine step sums over its periods (``on_hand_sum``: end on-hand summed over the periods)."""
TOTAL_KEYS: tuple[str, ...] = (*MONEY_COLUMNS, *UNIT_TOTALS, *LEVEL_TOTALS)
"""The keys of the totals an engine step returns per [P, M, N]: money, units moved, summed levels."""
TOTAL_SOURCES: dict[str, str] = {
    **{k: k for k in MONEY_COLUMNS},
    **{f.metadata["total"]: f.name for f in FLOW_FIELDS if f.metadata["total"]},
}
"""For each step total, the record column it sums over the step's periods."""
_SERIES = sorted(
    (f for f in FLOW_FIELDS if f.metadata["series"] is not None), key=lambda f: f.metadata["series"]
)
SERIES_SUMS: tuple[str, ...] = ("reward", *MONEY_AMOUNTS, *(f.name for f in _SERIES))
"""Record columns a per-period series sums over nodes and SKUs: the reward, the money, then units."""
