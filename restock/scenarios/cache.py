"""In-process caches of what does not change between draws of a scenario: data catalogs and forecast tables.

An env that builds a new episode at every reset draws new paths, but a replayed data set, and a forecast
table that does not depend on the paths (replayed data, the exact "true" tables), are the same every time:
loading M5 or refitting a forecaster for each episode would cost seconds per reset. Entries are keyed by
the (frozen, hashable) :class:`~restock.scenarios.schema.Scenario` **and** a stamp of its data files
(names, sizes and modification times), so a change of data or of any setting is a new key: a stale entry is
never served. Every input of a table is one of those: its forecaster, levels and buckets, and what it
learns from (``forecast.history``, the reference policy's ``history_cover``) are scenario fields, and a
data file's availability column is in the file. Cached arrays are made read-only. Each cache keeps its
:data:`MAX_ENTRIES` newest entries.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np

from restock.scenarios.schema import Scenario

MAX_ENTRIES = 8
"""Entries kept per cache (oldest evicted first)."""

V = TypeVar("V")


def data_stamp(scenario: Scenario) -> tuple[tuple[str, int, int], ...]:
    """(name, size, mtime_ns) of every file behind ``demand.source`` (empty for synthetic demand)."""
    if scenario.demand.kind != "data":
        return ()
    kind, _, rest = scenario.demand.source.partition(":")
    path = Path(rest)
    if not path.exists() and kind != "carparts":  # PATH:FREQ, m5:PATH:zero-runs
        path = Path(rest.rsplit(":", 1)[0])
    files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
    out = []
    for f in files:
        st = f.stat()
        out.append((str(f.resolve()), st.st_size, st.st_mtime_ns))
    return tuple(out)


def freeze(value: Any) -> Any:
    """Make every numpy array field of a dataclass read-only (in place) and return it."""
    for f in dataclasses.fields(value):
        arr = getattr(value, f.name)
        if isinstance(arr, np.ndarray):
            arr.flags.writeable = False
    return value


class ScenarioCache(Generic[V]):
    """A small FIFO cache of values computed from a scenario (and its data files)."""

    def __init__(self) -> None:
        self._entries: OrderedDict[Any, V] = OrderedDict()

    def get(self, scenario: Scenario, extra: Any, compute: Callable[[], V]) -> V:
        """The cached value for (scenario, data stamp, ``extra``), computing it on a miss."""
        key = (scenario, data_stamp(scenario), extra)
        if key in self._entries:
            return self._entries[key]
        value = compute()
        self._entries[key] = value
        while len(self._entries) > MAX_ENTRIES:
            self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
