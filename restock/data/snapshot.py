"""A stock snapshot: what a buyer has today, per SKU (and node), read from a CSV file and checked.

``restock recommend --snapshot SNAPSHOT.csv`` reads one row per (node, SKU):

=====================  ========  ==========================================================================
column                 required  meaning
=====================  ========  ==========================================================================
``sku``                yes       the series of the demand history (its ``series_id``) this row buys for
``node``               no        a label of the stocking location; (node, sku) pairs are unique
``on_hand``            yes       units on hand now, a finite number >= 0
``open_orders``        no        open orders with their expected arrival dates, ``QTY@YYYY-MM-DD`` items
                                 separated by ``;`` (e.g. ``40@2016-04-28; 25@2016-05-05``); blank: none
``lead_time``          no        the vendor's lead time of a new order in days, a whole number >= 0
``price``              no        selling price per unit
``unit_cost``          no        purchase cost per unit
``holding_cost``       no        holding cost per unit and day
``lost_sale_penalty``  no        goodwill cost per unit of demand lost, on top of the lost margin
=====================  ========  ==========================================================================

A blank cell of an optional column takes that column's default (the job documents them:
:mod:`restock.pipelines.recommend`). Unknown columns are an error (a typo would otherwise be a silently
ignored setting). Every error names the file, the row (its line in the file, the header is line 1), the
column and the value: a missing required column, a duplicate (node, sku), a number that is not one, NaN or
inf, a negative quantity, a lead time that is not a whole number of days, an open order that is not
``QTY@DATE``. :func:`check_snapshot` adds the checks that need the history and today's date: a SKU the
history does not hold, an open order due before today.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from restock.errors import InputError

REQUIRED: tuple[str, ...] = ("sku", "on_hand")
"""The columns every snapshot has."""
NUMBERS: tuple[str, ...] = ("lead_time", "price", "unit_cost", "holding_cost", "lost_sale_penalty")
"""The optional number columns (a blank cell: the job's default, NaN in :class:`Snapshot`)."""
COLUMNS: tuple[str, ...] = ("sku", "node", "on_hand", "open_orders", *NUMBERS)
"""Every column a snapshot may have."""
MAX_QUANTITY = 1e9
"""Most units of an on-hand or open-order quantity (beyond it money KPIs lose their precision)."""


@dataclass(frozen=True)
class OpenOrder:
    """One open order: ``quantity`` units expected on ``arrival``."""

    quantity: float
    arrival: pd.Timestamp


@dataclass(frozen=True)
class Snapshot:
    """A checked snapshot: one entry per row of the file, in file order (see the module docstring)."""

    source: str
    """The file it was read from (named by every error)."""
    lines: tuple[int, ...]
    """The line of each row in the file (the header is line 1)."""
    sku: tuple[str, ...]
    node: tuple[str, ...] | None
    """None: the file has no ``node`` column."""
    on_hand: np.ndarray
    """[N] units on hand."""
    open_orders: tuple[tuple[OpenOrder, ...], ...]
    numbers: dict[str, np.ndarray]
    """Each of :data:`NUMBERS`: [N] values, NaN where the cell is blank or the column absent."""

    @property
    def n_rows(self) -> int:
        return len(self.sku)

    @property
    def keys(self) -> tuple[str, ...]:
        """A unique name per row: ``node/sku``, or ``sku`` without a node column."""
        if self.node is None:
            return self.sku
        return tuple(f"{n}/{s}" for n, s in zip(self.node, self.sku, strict=True))

    def where(self, row: int, column: str) -> str:
        """``FILE: row LINE (sku 'X'), column 'C'`` for errors about row index ``row``."""
        return f"{self.source}: row {self.lines[row]} (sku {self.sku[row]!r}), column {column!r}"


def read_snapshot(path: str | Path) -> Snapshot:
    """Read and check the snapshot CSV at ``path`` (see the module docstring); errors are InputErrors."""
    src = Path(path)
    if not src.is_file():
        raise InputError(
            f"--snapshot {src}: {'is a folder, not a file' if src.is_dir() else 'file not found'}"
        )
    try:
        frame = pd.read_csv(src, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError) as exc:
        raise InputError(f"{src}: not a readable CSV file ({exc})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise InputError(f"{src}: missing column(s) {missing}; a snapshot needs {list(REQUIRED)}")
    unknown = [c for c in frame.columns if c not in COLUMNS]
    if unknown:
        raise InputError(f"{src}: unknown column(s) {unknown}; a snapshot's columns are {list(COLUMNS)}")
    if frame.empty:
        raise InputError(f"{src}: holds no rows")
    cells = frame.apply(lambda col: col.str.strip())
    lines = tuple(int(i) + 2 for i in range(len(cells)))
    sku = tuple(cells["sku"])
    node = tuple(cells["node"]) if "node" in cells.columns else None

    def where(row: int, column: str) -> str:
        return f"{src}: row {lines[row]} (sku {sku[row]!r}), column {column!r}"

    for row, s in enumerate(sku):
        if not s:
            raise InputError(f"{where(row, 'sku')}: is blank")
        if node is not None and not node[row]:
            raise InputError(f"{where(row, 'node')}: is blank")
    keys = list(zip(node or [""] * len(sku), sku, strict=True))
    seen: dict[tuple[str, str], int] = {}
    for row, key in enumerate(keys):
        if key in seen:
            what = f"node {key[0]!r}, sku {key[1]!r}" if node is not None else f"sku {key[1]!r}"
            raise InputError(
                f"{src}: row {lines[row]}: duplicate row for {what} (first on row {lines[seen[key]]})"
            )
        seen[key] = row
    on_hand = np.array(
        [_quantity(cells["on_hand"].iat[r], where(r, "on_hand"), blank_ok=False) for r in range(len(sku))]
    )
    numbers: dict[str, np.ndarray] = {}
    for column in NUMBERS:
        values = np.full(len(sku), np.nan)
        if column in cells.columns:
            for r in range(len(sku)):
                values[r] = _quantity(cells[column].iat[r], where(r, column), blank_ok=True)
                if column == "lead_time" and not math.isnan(values[r]):
                    if values[r] != int(values[r]):
                        raise InputError(
                            f"{where(r, column)}: must be a whole number of days, got {values[r]:g}"
                        )
        numbers[column] = values
    price = numbers["price"]
    bad = price == 0
    if bad.any():
        r = int(np.flatnonzero(bad)[0])
        raise InputError(f"{where(r, 'price')}: must be > 0, got 0")
    orders = tuple(
        _open_orders(cells["open_orders"].iat[r], where(r, "open_orders")) if "open_orders" in cells else ()
        for r in range(len(sku))
    )
    return Snapshot(str(src), lines, sku, node, on_hand, orders, numbers)


def _quantity(text: str, where: str, *, blank_ok: bool) -> float:
    """A cell as a finite number >= 0 (at most :data:`MAX_QUANTITY`); blank: NaN if ``blank_ok``."""
    if text == "":
        if blank_ok:
            return math.nan
        raise InputError(f"{where}: is blank; expected a number >= 0")
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{where}: expected a number >= 0, got {text!r}") from None
    if not math.isfinite(value) or value < 0 or value > MAX_QUANTITY:
        raise InputError(f"{where}: must be a finite number in [0, {MAX_QUANTITY:g}], got {text!r}")
    return value


def _open_orders(text: str, where: str) -> tuple[OpenOrder, ...]:
    """``QTY@DATE; QTY@DATE`` as open orders (blank: none)."""
    out = []
    for item in (part.strip() for part in text.split(";")):
        if not item:
            continue
        qty, at, date = (p.strip() for p in item.partition("@"))
        if not at:
            raise InputError(f"{where}: open order {item!r} is not QTY@YYYY-MM-DD")
        quantity = _quantity(qty, f"{where}: open order {item!r}", blank_ok=False)
        try:
            arrival = pd.Timestamp(date).as_unit("ns")  # (a far year fits only a coarser unit: refused)
        except (ValueError, OverflowError):
            raise InputError(f"{where}: open order {item!r}: {date!r} is not a date (YYYY-MM-DD)") from None
        if pd.isna(arrival) or arrival != arrival.normalize():
            raise InputError(f"{where}: open order {item!r}: {date!r} is not a date (YYYY-MM-DD)")
        out.append(OpenOrder(quantity, arrival))
    return tuple(out)


def check_snapshot(
    snapshot: Snapshot, series: set[str], today: pd.Timestamp, history: str, max_lead_time: int
) -> None:
    """Raise an InputError naming the row and column unless every SKU is a series of the history
    (``series``, read from ``history``), no lead time exceeds ``max_lead_time`` days and no open order is
    due before ``today``."""
    lead = snapshot.numbers["lead_time"]
    for row, sku in enumerate(snapshot.sku):
        if lead[row] > max_lead_time:
            raise InputError(
                f"{snapshot.where(row, 'lead_time')}: must be at most {max_lead_time} days, got {lead[row]:g}"
            )
        if sku not in series:
            raise InputError(
                f"{snapshot.where(row, 'sku')}: {sku!r} is not a series of the history {history}"
            )
        for order in snapshot.open_orders[row]:
            if order.arrival < today:
                raise InputError(
                    f"{snapshot.where(row, 'open_orders')}: an open order of {order.quantity:g} units is due "
                    f"on {order.arrival.date()}, before today ({today.date()}); remove it, add what arrived "
                    "to on_hand, or give its new date"
                )
