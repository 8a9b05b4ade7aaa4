"""The mutable state of a des run (:class:`Sim`), its per-period history and the totals it books.

Parameters (world, paths, layout) are read-only here; the processes in
:mod:`restock.simulator.des.processes` mutate the arrays of one :class:`Sim`. Every array is indexed
[P paths, M nodes, N SKUs] so that one event handles a vector of SKUs (and of paths).

Record keeping is cheap by construction:

* The live quantities (this period's flows and the node state) are the rows of one array; the CLOSE event
  of a period copies them into a history buffer in one operation and zeroes the flows in another.
* The cash flows of the closed periods are booked in one vectorized pass over the periods closed since the
  last booking (:meth:`Sim.book`, called when a step ends and by :meth:`Sim.records`). They are the same
  elementwise rules (:func:`restock.simulator.rules.book_period`, salvage and reward included) applied to
  the same per-period quantities, so each period's amounts are what a per-period booking gives.
* With records, the history holds every period (it *is* the records, built into a DataFrame once, at the
  end); without records it is a window of the longest stretch between two bookings (a review period).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from restock.simulator.des.log import EventLog
from restock.simulator.flows import KEY_COLUMNS, MONEY_COLUMNS, QUANTITY_COLUMNS, TOTAL_KEYS, TOTAL_SOURCES
from restock.simulator.paths import ExogenousPaths
from restock.simulator.policy import ReviewState
from restock.simulator.rules import book_period
from restock.simulator.topology import Layout, node_costs
from restock.simulator.world import World

PERIOD_KEYS: tuple[str, ...] = (
    "sales",
    "lost",
    "received",
    "purchased",
    "disposed",
    "ordered",
    "orders_placed",
    "cancelled",
    "shipped_downstream",
)
"""Flows of the current period that the events write (zeroed when it closes); ``purchased`` (units
received from vendors weighted by their cost factors) and ``orders_placed`` (positive orders placed) are
what purchase and fixed order costs are booked on."""
STATE_KEYS: tuple[str, ...] = ("on_hand", "backlog", "in_transit", "owed")
"""Node state, as it stands when a period closes."""
LIVE_KEYS = PERIOD_KEYS + STATE_KEYS
DERIVED_KEYS: tuple[str, ...] = ("demand", "on_hand_start")
"""Rows filled when the periods are booked: demand from the paths, on_hand_start = the previous period's
end on-hand."""
HIST_KEYS = LIVE_KEYS + DERIVED_KEYS + MONEY_COLUMNS
"""Rows of the history buffer: what a CLOSE copies, the derived rows, then the booked money."""
_ROW = {k: i for i, k in enumerate(HIST_KEYS)}
_N_PERIOD, _N_LIVE = len(PERIOD_KEYS), len(LIVE_KEYS)
_TOTAL_ROWS = np.array([_ROW[TOTAL_SOURCES[k]] for k in TOTAL_KEYS])


class Sim:
    """Arrays of one run, mutated by the processes; the records and event log they write."""

    def __init__(
        self, world: World, paths: ExogenousPaths, net: Layout, *, record: bool, log_events: bool
    ) -> None:
        self.world, self.paths, self.net = world, paths, net
        p, t_len, m, n = paths.demand.shape
        self.shape = (p, m, n)
        self.horizon = t_len
        self.max_lead = paths.max_lead_time
        self.lead = paths.lead_time.astype(np.int64, copy=False)
        self._live = np.zeros((len(LIVE_KEYS), p, m, n))
        self.period = {k: self._live[i] for i, k in enumerate(PERIOD_KEYS)}
        """This period's flows per node (views of the live array; zeroed when the period closes)."""
        self.on_hand, self.backlog, self.in_transit, self.owed = self._live[_N_PERIOD:]
        self.on_hand[...] = world.start_on_hand()
        self._end_before = self.on_hand.copy()
        """End on-hand of the period before the first unbooked one (the start on-hand at first)."""
        self.at_node = [{k: self._live[i][:, j] for i, k in enumerate(LIVE_KEYS)} for j in range(m)]
        """Per node j: views [P, N] of its live rows (``at_node[j]["sales"] is period["sales"][:, j]``)."""
        self.due = np.zeros((*self.shape, t_len + self.max_lead + 1))
        """Accepted units by the period they are due in (the vendor's confirmed schedule)."""
        self.requests = np.zeros(self.shape)
        """Transfer requests of node-fed nodes at the current review (after the capacity cut)."""
        self.queues: dict[int, list[np.ndarray]] = {u: [] for u in net.shippers() if net.backorder[u]}
        """Per node that backorders its children's requests: what it owes them, oldest request first, as
        cohorts [C, P, N] (one per review; one in all for a single child, where the order is moot)."""
        self.grid_p, self.grid_n = np.indices((p, n))
        arcs = range(paths.n_arcs)
        self.arc_shape = (p, paths.n_arcs, n)
        """[P, A, N] of orders."""
        self.unlimited_capacity = [bool(np.isinf(paths.capacity[:, a]).all()) for a in arcs]
        """Per arc: no capacity limit in any period (every order is accepted in full)."""
        self.fill_rate_cut = [bool((paths.fill_rate[:, :, a] != 1).any()) for a in arcs]
        """Per arc: whether any shipment's fill rate is below 1 (else every accepted unit is delivered)."""
        order = world.ordering
        self.packing = None if order is None else (order.case_pack, order.minimum_order)
        """(case pack, minimum order) [N] of vendor orders (None: orders are placed as given)."""
        self.vendor_arc = [a >= m or net.source_index[a] < 0 for a in arcs]
        """Per arc: from a vendor (else a transfer request to the node's upstream node)."""
        self.inbound = world.inbound_capacity
        """[T, M] the nodes' shared inbound capacity per review (None: unlimited)."""
        self.cost_factor = [float(f) for f in net.arc_cost_factor]
        """Per arc: the purchase cost factor of a unit received (0: a transfer, nothing is bought)."""
        self.storage = [None if np.isinf(c) else float(c) for c in net.storage_capacity]
        """Per node: the storage capacity, None for no limit (nothing is ever disposed)."""
        vol = world.storage_volume
        self.storage_volume = vol
        """[T, M] the volume each node's SKUs share per period (None: no limit)."""
        self.unit_volume = world.unit_volume
        """[N] the volume of a unit of each SKU (None: 1)."""
        self.volume_limited = [vol is not None and not bool(np.isinf(vol[:, j]).all()) for j in range(m)]
        """Per node: whether a shared storage volume limits it (its arrivals wait at the dock for the
        moment's STORE event, which takes them in together)."""
        self.dock = np.zeros(self.shape)
        """Units delivered at a volume-limited node in the current moment, not yet taken in [P, M, N]."""
        self.docked = [False] * m
        """Per node: a STORE event is scheduled for what waits at its dock."""
        self.record = record
        bounds = [0, *world.review_periods(), t_len]
        slots = t_len if record else max(b - a for a, b in itertools.pairwise(bounds))
        self._hist = np.zeros((len(HIST_KEYS), max(slots, 1), p, m, n))
        """[row, slot, P, M, N]: period t is slot t - self._base (all periods with records)."""
        self._base = 0
        self._views: dict[tuple[int, int], dict[str, np.ndarray]] = {}
        self._acc = np.zeros((len(HIST_KEYS), *self.shape))
        """Every history row summed over the periods booked since the last :meth:`take_totals`."""
        self.closed = 0
        """Number of periods closed so far."""
        self.booked = 0
        """Number of periods whose cash flows are booked (and added to the step totals)."""
        self.log = EventLog(net.names, world.skus) if log_events else None
        self.eco = world.economics
        self.costs = node_costs(world)
        bo = np.array(net.backorder)
        self.groups = [(slice(None), bool(bo[0]))] if bo.all() or not bo.any() else [
            (np.flatnonzero(bo), True), (np.flatnonzero(~bo), False)]  # fmt: skip
        self._price = np.moveaxis(paths.price, 1, 0)[:, :, None, :]  # [T, P, 1, N] view
        self._demand = np.moveaxis(paths.demand, 1, 0)  # [T, P, M, N] view

    # --- what the rule sees ---------------------------------------------------------------------------
    def review_state(self, t: int) -> ReviewState:
        """The state at the start of ``t`` after its arrivals (terminal at the horizon)."""
        k = self.max_lead
        return ReviewState(
            t=t,
            on_hand=self.on_hand.copy(),
            backlog=self.backlog.copy(),
            pipeline=self.due[..., t + 1 : t + 1 + k].copy(),
            terminal=t >= self.horizon,
            owed=self.owed.copy() if self.queues else None,
            owes=self._owes() if self.queues else None,
        )

    def _owes(self) -> np.ndarray:
        """[P, M, N] what each node owes the nodes it feeds."""
        owes = np.zeros(self.shape)
        for u in self.queues:
            owes[:, u] = self.owed[:, list(self.net.children[u])].sum(axis=1)
        return owes

    def emit(
        self, time: int, prio: int, kind: str, node: int, peer: str, qty: np.ndarray, reason: str = ""
    ) -> None:
        """Log an event of the horizon (the arrivals of the terminal state, at the horizon, are not)."""
        if self.log is not None and time < self.horizon:
            self.log.add(time, prio, kind, node, peer, qty, reason)

    # --- the end of a period --------------------------------------------------------------------------
    def close(self, t: int) -> None:
        """Write period ``t``'s flows and end state into the history, start period t + 1."""
        self._hist[:_N_LIVE, t - self._base] = self._live
        self.closed = t + 1
        self._live[:_N_PERIOD] = 0.0

    def _rows(self, a: int, b: int) -> dict[str, np.ndarray]:
        """Views of history slots [a, b) per row name ("*": all rows); kept for the window's few shapes."""
        rows = self._views.get((a, b))
        if rows is None:
            h = self._hist[:, a:b]  # [row, w, P, M, N]
            rows = {k: h[i] for k, i in _ROW.items()}
            rows["*"] = h
            if not self.record:  # the window is always booked from slot 0: one entry per stretch length
                self._views[(a, b)] = rows
        return rows

    def book(self) -> None:
        """Book the cash flows of the periods closed since the last booking (rules.book_period), in one
        pass over those periods, and add them and the unit totals to the step totals."""
        a, b = self.booked - self._base, self.closed - self._base
        if b <= a:
            return
        r, eco = self._rows(a, b), self.eco
        price = self._price[self.booked : self.closed]
        r["demand"][...] = self._demand[self.booked : self.closed]  # the derived rows
        end_on_hand = r["on_hand"]
        if self.record:  # only the records show it
            start = r["on_hand_start"]
            start[0] = self._end_before
            start[1:] = end_on_hand[:-1]
            self._end_before[...] = end_on_hand[-1]
        last = None
        if self.closed == self.horizon:  # salvage in the last period (slots are not reused after it)
            last = np.zeros((b - a, 1, 1, 1))
            last[-1] = 1.0
        h, costs = r["*"], self.costs
        for idx, backorder in self.groups:  # one group unless lost-sales and backorder nodes mix
            whole = isinstance(idx, slice)  # every node: book straight into the history rows (views)
            rows = r if whole else {k: h[i][:, :, idx] for k, i in _ROW.items()}
            transit = None if costs.transit_holding is None else costs.transit_holding[idx]
            money = book_period(
                sales=rows["sales"],
                purchased=rows["purchased"],
                end_on_hand=rows["on_hand"],
                lost=rows["lost"],
                end_backlog=rows["backlog"],
                orders_placed=rows["orders_placed"],
                price=price,
                unit_cost=eco.unit_cost,
                holding_cost=costs.holding[idx],
                penalty=costs.penalty[idx],
                fixed_order_cost=eco.fixed_order_cost,
                backorder=backorder,
                in_transit=rows["in_transit"],
                transit_holding_cost=transit,
                salvage_value=eco.salvage_value,
                salvage_units=None if last is None else rows["on_hand"] * last,
                out=r if whole else None,
            )
            if not whole:  # a group of nodes: its rows were copies
                for k in MONEY_COLUMNS:
                    h[_ROW[k]][:, :, idx] = money[k]
        self._acc += h.sum(axis=1)
        self.booked = self.closed
        if not self.record:
            self._base = self.closed

    def take_totals(self) -> dict[str, np.ndarray]:
        """Book what is closed; the step totals accumulated since the last call, and reset them."""
        self.book()
        out = self._acc.take(_TOTAL_ROWS, axis=0)  # a copy
        self._acc.fill(0.0)
        return dict(zip(TOTAL_KEYS, out, strict=True))

    # --- results ----------------------------------------------------------------------------------------
    def records(self) -> pd.DataFrame:
        """The records of the periods closed so far, one row per (path, period, node, SKU)."""
        p, m, n = self.shape
        t = 0
        if self.record:
            self.book()
            t = self.closed
        rows = p * t * m * n
        cols: dict[str, np.ndarray] = {}
        grid = np.indices((p, t, m, n)).reshape(4, rows)
        cols["path"] = grid[0]
        cols["period"] = grid[1]
        cols["node"] = np.asarray(self.net.names, dtype=object)[grid[2]]
        cols["sku"] = np.asarray(self.world.skus, dtype=object)[grid[3]]
        for c in QUANTITY_COLUMNS:
            cols[c] = np.ascontiguousarray(np.moveaxis(self._hist[_ROW[c], :t], 0, 1)).reshape(rows)
        df = pd.DataFrame({c: cols[c] for c in (*KEY_COLUMNS, *QUANTITY_COLUMNS)}, copy=False)
        df.attrs.update(
            review_period=self.world.review_period,
            review_offset=self.world.review_offset,
            horizon=self.horizon,
            discount=self.eco.discount,
            demand_nodes=[
                name for name, cf in zip(self.net.names, self.net.customer_facing, strict=True) if cf
            ],
            unit_cost=dict(zip(self.world.skus, self.eco.unit_cost.tolist(), strict=True)),
        )
        return df
