"""The per-period record both engines write, and the result of a run.

One row per (path, period, node, SKU): the key columns, then every field of
:class:`restock.simulator.flows.PeriodFlows` (units in that period, money in currency units) in its order;
the fields' docstrings there say what each column holds, and the conservation laws both engines obey.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from restock.simulator.flows import MONEY_COLUMNS, RECORD_COLUMNS

__all__ = ["MONEY_COLUMNS", "RECORD_COLUMNS", "SimulationResult"]


@dataclass(frozen=True)
class SimulationResult:
    """What a run returns: the per-period records and, from the des engine, the event log."""

    records: pd.DataFrame
    """One row per (path, period, node, sku) with :data:`RECORD_COLUMNS`."""
    events: pd.DataFrame = field(default_factory=pd.DataFrame)
    """The des engine's event log (time, priority, kind, node, sku, quantity, ...); empty for batch."""
    engine: str = ""
    discount: float = 1.0
