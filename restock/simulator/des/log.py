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
        cols: dict[str, list[np.ndarray]] = {c: [] for c in EVENT_COLUMNS}
        for time, prio, kind, node, peer, reason, qty in self.entries:
            p, n = np.nonzero(qty)
            k = len(p)
            cols["time"].append(np.full(k, time, dtype=np.int64))
            cols["priority"].append(np.full(k, prio, dtype=np.int64))
            cols["kind"].append(np.full(k, kind, dtype=object))
            cols["node"].append(np.full(k, self.nodes[node], dtype=object))
            cols["peer"].append(np.full(k, peer, dtype=object))
            cols["path"].append(p.astype(np.int64))
            cols["sku"].append(np.asarray(self.skus, dtype=object)[n])
            cols["quantity"].append(qty[p, n].astype(np.float64))
            cols["reason"].append(np.full(k, reason, dtype=object))
        if not self.entries:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in EVENT_COLUMNS})
        return pd.DataFrame({c: np.concatenate(v) for c, v in cols.items()})


def trace(
    events: pd.DataFrame, columns: Sequence[str] = ("time", "kind", "node", "sku", "quantity")
) -> list[tuple]:
    """The log as a list of tuples of ``columns`` (for exact-trace tests: ``assert trace(log) == [...]``)."""
    return list(events[list(columns)].itertuples(index=False, name=None))
