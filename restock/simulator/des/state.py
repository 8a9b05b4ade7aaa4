"""The mutable state of a des run (:class:`Sim`) and the per-period records it writes.

Parameters (world, paths, layout) are read-only here; the processes in
:mod:`restock.simulator.des.processes` mutate the arrays of one :class:`Sim`. Every array is indexed
[P paths, M nodes, N SKUs] so that one event handles a vector of SKUs (and of paths).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from restock.simulator.des.log import EventLog
from restock.simulator.des.network import Layout
from restock.simulator.paths import ExogenousPaths
from restock.simulator.policy import ReviewState
from restock.simulator.records import RECORD_COLUMNS
from restock.simulator.rules import period_cash_flows
from restock.simulator.world import World

FLOW_KEYS: tuple[str, ...] = (
    "revenue",
    "salvage",
    "purchase_cost",
    "holding_cost",
    "penalty_cost",
    "fixed_order_cost",
    "reward",
)
"""Money amounts a step returns, summed over its periods per [P, M, N]."""
UNIT_KEYS: tuple[str, ...] = ("sales", "lost", "demand", "received", "on_hand_sum")
"""Unit totals a step returns (``on_hand_sum``: end-of-period on-hand summed over the periods)."""

_NUMERIC = tuple(c for c in RECORD_COLUMNS if c not in ("path", "period", "node", "sku"))
_PERIOD = ("received", "received_vendor", "disposed", "ordered", "ordered_positive", "cancelled", "demand",
           "sales", "lost", "shipped_downstream")  # fmt: skip
_RECORDED_PERIOD = (
    "received",
    "disposed",
    "ordered",
    "cancelled",
    "demand",
    "sales",
    "lost",
    "shipped_downstream",
)


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
        self.on_hand = np.broadcast_to(world.start_on_hand(), self.shape).astype(np.float64)
        self.on_hand_start = self.on_hand.copy()
        self.backlog = np.zeros(self.shape)
        self.in_transit = np.zeros(self.shape)
        self.due = np.zeros((*self.shape, t_len + self.max_lead + 1))
        """Accepted units by the period they are due in (the vendor's confirmed schedule)."""
        self.requests = np.zeros(self.shape)
        """Transfer requests of node-fed nodes at the current review (after the capacity cut)."""
        # one array per kind of quantity, with a named view per row: one fill / one += per period
        self._period = np.zeros((len(_PERIOD), *self.shape))
        self.period = {k: self._period[i] for i, k in enumerate(_PERIOD)}
        """This period's flows per node (zeroed when the period closes)."""
        self._flows = np.zeros((len(FLOW_KEYS), *self.shape))
        self.flows = {k: self._flows[i] for i, k in enumerate(FLOW_KEYS)}
        self._acc = np.zeros((len(FLOW_KEYS) + len(UNIT_KEYS), *self.shape))
        self._acc_units = [_PERIOD.index(k) for k in UNIT_KEYS[:-1]]
        self.grid_p, self.grid_n = np.indices((p, n))
        self.record = record
        self._rec = (
            np.zeros((len(_NUMERIC), p, t_len, m, n)) if record else np.zeros((len(_NUMERIC), 0, 0, 0, 0))
        )
        self.rec = {c: self._rec[i] for i, c in enumerate(_NUMERIC)}
        self._rec_period = [_NUMERIC.index(k) for k in _RECORDED_PERIOD]
        self._rec_period_src = [_PERIOD.index(k) for k in _RECORDED_PERIOD]
        self._rec_flows = [_NUMERIC.index(k) for k in FLOW_KEYS]
        self.closed = 0
        """Number of periods closed (recorded) so far."""
        self.log = EventLog(net.names, world.skus) if log_events else None
        eco = world.economics
        self.eco = eco
        bo = np.array(net.backorder)
        self.groups = [(slice(None), bool(bo[0]))] if bo.all() or not bo.any() else [
            (np.flatnonzero(bo), True), (np.flatnonzero(~bo), False)]  # fmt: skip

    # --- what the rule sees ---------------------------------------------------------------------------
    def review_state(self, t: int) -> ReviewState:
        k = self.max_lead
        return ReviewState(
            t=t,
            on_hand=self.on_hand.copy(),
            backlog=self.backlog.copy(),
            pipeline=self.due[..., t + 1 : t + 1 + k].copy(),
        )

    def emit(
        self, time: int, prio: int, kind: str, node: int, peer: str, qty: np.ndarray, reason: str = ""
    ) -> None:
        if self.log is not None:
            self.log.add(time, prio, kind, node, peer, qty, reason)

    # --- the end of a period --------------------------------------------------------------------------
    def close(self, t: int) -> None:
        """Book the cash flows of period ``t`` (rules.period_cash_flows), write its record, start t + 1."""
        per, eco, flows = self.period, self.eco, self.flows
        price = self.paths.price[:, t, None, :]
        for idx, backorder in self.groups:
            f = period_cash_flows(
                sales=per["sales"][:, idx],
                received=per["received_vendor"][:, idx],
                end_on_hand=self.on_hand[:, idx],
                lost=per["lost"][:, idx],
                end_backlog=self.backlog[:, idx],
                ordered_positive=per["ordered_positive"][:, idx],
                price=price,
                unit_cost=eco.unit_cost,
                holding_cost=eco.holding_cost,
                penalty=eco.lost_sale_penalty,
                fixed_order_cost=eco.fixed_order_cost,
                backorder=backorder,
            )
            for k, v in f.items():
                flows[k][:, idx] = v
        if t == self.horizon - 1:
            np.multiply(eco.salvage_value, self.on_hand, out=flows["salvage"])
        reward = flows["reward"]
        np.add(flows["revenue"], flows["salvage"], out=reward)
        reward -= flows["purchase_cost"]
        reward -= flows["holding_cost"]
        reward -= flows["penalty_cost"]
        reward -= flows["fixed_order_cost"]
        n_flows = len(FLOW_KEYS)
        acc = self._acc
        acc[:n_flows] += self._flows
        acc[n_flows:-1] += self._period[self._acc_units]
        acc[-1] += self.on_hand
        if self.record:
            rec = self._rec
            rec[self._rec_period, :, t] = self._period[self._rec_period_src]
            rec[self._rec_flows, :, t] = self._flows
            self.rec["on_hand_start"][:, t] = self.on_hand_start
            self.rec["in_transit"][:, t] = self.in_transit
            self.rec["backlog"][:, t] = self.backlog
            self.rec["on_hand"][:, t] = self.on_hand
        self.closed = t + 1
        np.copyto(self.on_hand_start, self.on_hand)
        self._period.fill(0.0)

    def take_totals(self) -> dict[str, np.ndarray]:
        """The step totals accumulated since the last call, and reset them."""
        out = {k: self._acc[i].copy() for i, k in enumerate(FLOW_KEYS + UNIT_KEYS)}
        self._acc.fill(0.0)
        return out

    # --- results ----------------------------------------------------------------------------------------
    def records(self) -> pd.DataFrame:
        """The records of the periods closed so far, one row per (path, period, node, SKU)."""
        p, m, n = self.shape
        t = self.closed if self.record else 0
        rows = p * t * m * n
        cols: dict[str, np.ndarray] = {}
        grid = np.indices((p, t, m, n)).reshape(4, rows)
        cols["path"] = grid[0]
        cols["period"] = grid[1]
        cols["node"] = np.asarray(self.net.names, dtype=object)[grid[2]]
        cols["sku"] = np.asarray(self.world.skus, dtype=object)[grid[3]]
        for c in _NUMERIC:
            cols[c] = self.rec[c][:, :t].reshape(rows).copy()
        df = pd.DataFrame({c: cols[c] for c in RECORD_COLUMNS}, copy=False)
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
