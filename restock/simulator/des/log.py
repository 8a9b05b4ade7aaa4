"""The event log: one entry per (event, node) holding a vector of quantities over [paths, SKUs].

Entries are appended in the order SimPy processes the events (a list of tuples, cheap in the hot path);
:meth:`EventLog.frame` expands them to one row per (event, path, SKU) with a nonzero quantity.

=========  ==========================================================================================
time       the period
priority   the SimPy priority of the event (see :mod:`restock.simulator.des.events`)
kind       ``order`` (units ordered by ``node`` from ``peer``), ``cancel`` (units of an order of
           ``node`` cancelled: ``reason`` capacity, fill or rationing), ``transfer`` (units shipped by
           ``node`` to ``peer``), ``arrival`` (units delivered to ``node`` from ``peer``),
           ``dispose`` (units beyond ``node``'s storage capacity), ``demand``, ``sale``, ``lost``
node       the node the event happens at
peer       the vendor or node on the other side ("" for demand, sale, lost, dispose)
path, sku  which path and SKU
quantity   units (> 0 or < 0 never: only nonzero quantities are rows, and they are positive)
reason     for ``cancel``: ``capacity`` / ``fill`` / ``rationing``; else ""
=========  ==========================================================================================
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

EVENT_COLUMNS: tuple[str, ...] = (
    "time",
    "priority",
    "kind",
    "node",
    "peer",
    "path",
    "sku",
    "quantity",
    "reason",
)

Entry = tuple[int, int, str, int, str, str, np.ndarray]


class EventLog:
    """An append-only log of vector events (see the module docstring for the frame it expands to)."""

    def __init__(self, nodes: Sequence[str], skus: Sequence[str]) -> None:
        self.nodes = tuple(nodes)
        self.skus = tuple(skus)
        self.entries: list[Entry] = []

    def add(
        self, time: int, priority: int, kind: str, node: int, peer: str, qty: np.ndarray, reason: str = ""
    ) -> None:
        """Log ``qty`` [P, N] (copied) for ``kind`` at ``node``; all-zero quantities are not logged."""
        if qty.any():
            self.entries.append((time, priority, kind, node, peer, reason, qty.copy()))

    def frame(self) -> pd.DataFrame:
        """One row per (entry, path, SKU) with a nonzero quantity, in processing order."""
        if not self.entries:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in EVENT_COLUMNS})
        time, prio, kind, node, peer, reason, qty = zip(*self.entries, strict=True)
        stacked = np.stack(qty)
        e, p, n = np.nonzero(stacked)  # row-major: entries in order, then paths, then SKUs
        quantity = stacked[e, p, n]

        def per_entry(values: tuple, dtype: type) -> np.ndarray:
            return np.asarray(values, dtype=dtype)[e]

        return pd.DataFrame(
            {
                "time": per_entry(time, np.int64),
                "priority": per_entry(prio, np.int64),
                "kind": per_entry(kind, object),
                "node": np.asarray(self.nodes, dtype=object)[per_entry(node, np.int64)],
                "peer": per_entry(peer, object),
                "path": p.astype(np.int64),
                "sku": np.asarray(self.skus, dtype=object)[n],
                "quantity": quantity.astype(np.float64),
                "reason": per_entry(reason, object),
            },
            copy=False,  # fresh arrays: no copy, and no consolidation of the object columns
        )


def trace(
    events: pd.DataFrame, columns: Sequence[str] = ("time", "kind", "node", "sku", "quantity")
) -> list[tuple]:
    """The log as a list of tuples of ``columns`` (for exact-trace tests: ``assert trace(log) == [...]``)."""
    return list(events[list(columns)].itertuples(index=False, name=None))
