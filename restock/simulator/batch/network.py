"""The batch engine on networks: trees of nodes, many SKUs and paths at once as torch tensors, differentiable.

It simulates the period of the des engine (docs/simulator.md, :mod:`restock.simulator.des.events`) for
every (path, node, SKU) at once, with the same rules (:mod:`restock.simulator.rules`), on tensors
[P, M, N]. Within period t:

1. ARRIVAL: the shipments due in t arrive at every node (:func:`~restock.simulator.rules.receive`, the
   fill-rate cut of vendor shipments cancelled on arrival);
2. REVIEW (review periods): the rule orders [P, M, N]; each node's source accepts up to its capacity; a
   vendor-fed node's order ships at once with the period's lead time and fill rate (lead time 0 arrives
   now), a node-fed node's order becomes a transfer request;
3. TRANSFER, upstream levels first: a node ships its children's requests from its on-hand, pro rata when
   it falls short (:func:`~restock.simulator.rules.ration`); under lost sales there the cut is cancelled,
   at a review; a node that backorders keeps the cut in a queue and serves it first-come first-served in
   every period (:func:`~restock.simulator.rules.serve_queue`). A transfer ships with the child's lead time
   of the period (0: it arrives now, before the next level ships);
4. DEMAND at customer-facing nodes (lost or backordered per node);
5. booking (:func:`~restock.simulator.rules.book_period`, with per-node holding and penalty coefficients
   and the holding cost of units in transit, :func:`~restock.simulator.topology.node_costs`).

Every update is out of place with ``grad=True``, so the profit is differentiable with respect to every
order, through transfers and rationing. Gradients through rationing are those of ``min`` and of the share
``available / requested`` (piecewise smooth); whether a queue's oldest request is done is a comparison
with 0 (no gradient through it, as for any ``min``).

Booking per review block
------------------------
The money of a period is linear in its quantities with a coefficient per node and SKU; only the price
changes with the period. So a step books its block once: the quantities are summed over the block's
periods (sales as sales x price, the revenue at a price of 1) and :func:`~restock.simulator.rules.
book_period` runs once on the sums (as in :class:`~restock.simulator.batch.engine.BatchEngine`). The
records (``record=True``) keep every period's quantities; their money is booked from them, all periods at
once, when :meth:`NetworkEngine.result` builds them. Quantities that no step total needs (units in transit
without a holding cost in transit, cancellations, disposals, shipments downstream) are only computed for
the records.

The pipeline
------------
A window of K + 1 rows [P, M, N] (K = ``paths.max_lead_time``): the units due in t + j (accepted, and the
delivered share where some fill rate is below 1: a fill-rate cut shows on arrival). Shipments are grouped
by the nodes they go to (the vendor-fed nodes; the children of each shipping node), and ship only the
lead times that occur among those nodes in that period (lead 0: the share that arrives now).

A shipment puts every unit in its row with one ``index_add`` per window, at positions precomputed from
the lead times (no mask per lead time: on this CPU a comparison or ``where`` costs ten times an add);
what lands in the row of the current period (lead time 0) arrives at once.

* Plain rollouts (``grad=False``, ``record=False``) keep the window as a ring [K + 1, P, M, N] updated
  in place: a shipment of period t lands in rows (t + lead) mod (K + 1); a row is zeroed when it
  arrives, and skipped while nothing was shipped into it; block sums are added in place; a review state
  gets a copy of the pipeline, so that what a caller holds never changes.
* Otherwise the window is a list of rows (moving to the next period drops row 0 and appends a zero row:
  nothing is copied); a shipment fills a fresh window and is added to the rows of the lead times that
  occur.

A group of nodes that are consecutive in the node order (the children of a node usually are) is a slice
of the M axis, a view; other groups go through ``index_select``.

It also runs a single node (M = 1), where :class:`~restock.simulator.batch.engine.BatchEngine` is the fast
path; the parity tests run both against des.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from restock.errors import InputError
from restock.simulator import rules
from restock.simulator.batch.compiled import check_compile
from restock.simulator.batch.engine import TorchEngine, block_sums, resolve_dtype
from restock.simulator.flows import KEY_COLUMNS, MONEY_COLUMNS, QUANTITY_COLUMNS, TOTAL_KEYS, TOTAL_SOURCES
from restock.simulator.paths import ExogenousPaths, check_fit
from restock.simulator.policy import ReviewState, check_orders, on_arcs
from restock.simulator.topology import layout, node_costs
from restock.simulator.world import World

_UNITS = tuple(c for c in QUANTITY_COLUMNS if c not in MONEY_COLUMNS)
"""The record columns of units and levels (the money of the records is booked from them)."""


@dataclass(frozen=True)
class _Rows:
    """A group of arcs that ship together (the vendor-fed nodes' own arcs, a node's children, the extra
    vendors' arcs). Arc m < M is node m's own source, so for the first two groups arcs are nodes."""

    nodes: tuple[int, ...]
    """The node each arc delivers to (a node may occur twice among extra arcs)."""
    index: torch.Tensor
    """[C] the arcs, as an index of the A axis (of orders, lead times, fill rates) and, for own arcs, of
    the M axis."""
    span: slice | None
    """The arcs as a slice where they are consecutive (then :meth:`pick` is a view)."""
    leads: tuple[tuple[int, ...], ...]
    """Per period: the lead times that occur among these arcs' shipments of the period."""
    to: torch.Tensor
    """[C] the nodes, as an index of the M axis (where :meth:`NetworkEngine._spread` puts the rows)."""
    to_span: slice | None
    """The nodes as a slice of the M axis where they are consecutive and distinct."""

    def pick(self, x: torch.Tensor) -> torch.Tensor:
        """The group's rows of ``x`` [P, A, ...] (or [P, M, ...] for own arcs): [P, C, ...]."""
        return x[:, self.span] if self.span is not None else x.index_select(1, self.index)


class NetworkEngine(TorchEngine):
    """The batch engine over a tree of nodes (see the module docstring).

    Args are those of :class:`~restock.simulator.batch.engine.BatchEngine`: ``record`` (keep every
    period's quantities for :meth:`result`), ``grad`` (build the autograd graph), ``device``, ``dtype``,
    ``compile`` (:data:`~restock.simulator.batch.compiled.COMPILE_MODES`; the network engine has no
    compiled path yet: ``"auto"`` and ``"off"`` run eager, ``"on"`` is an :class:`InputError`).
    """

    def __init__(
        self,
        world: World,
        paths: ExogenousPaths,
        *,
        record: bool = True,
        grad: bool = False,
        device: str | torch.device = "cpu",
        dtype: torch.dtype | str = torch.float64,
        compile: str = "off",
    ) -> None:
        # no compiled path for networks yet: "auto" runs eager, "on" is refused
        if check_compile(compile) == "on":
            raise InputError(
                "batch engine: compile='on' is not available for the network engine (only the single-node "
                "engine has a compiled path); use compile='auto' or 'off'"
            )
        self.compile = compile
        try:
            check_fit(world, paths)
        except InputError as exc:
            raise InputError(f"batch engine: {exc}") from None
        self.world, self.paths = world, paths
        self.record, self.grad = record, grad
        self.device, self.dtype = torch.device(device), resolve_dtype(dtype)
        self.net = net = layout(world)
        self.horizon = world.horizon
        self.reviews = world.review_periods()
        self._review_set = set(self.reviews)
        self.max_lead = k = paths.max_lead_time
        self.shape = (paths.n_paths, net.n_nodes, world.n_skus)
        self.order_shape = (paths.n_paths, net.n_arcs, world.n_skus)
        """[P, A, N] of orders (one per arc; A = M unless nodes have extra sources)."""
        self._in_place = not (grad or record)
        """Plain rollouts keep the window as a ring updated in place (see the module docstring)."""

        def tens(a: Any, dtype: torch.dtype | None = None) -> torch.Tensor:
            return torch.as_tensor(np.ascontiguousarray(a), dtype=dtype or self.dtype, device=self.device)

        def column(values: Any) -> torch.Tensor:  # [M] -> [1, M, 1]
            return tens(np.asarray(values, dtype=np.float64)[None, :, None])

        column_arcs = column  # [A] -> [1, A, 1]

        # period-major exogenous inputs: period t is a [P, M, N] slice
        self._demand = tens(paths.demand.transpose(1, 0, 2, 3))
        self._price = tens(paths.price.transpose(1, 0, 2)[:, :, None, :])  # [T, P, 1, N]
        self._capacity = tens(paths.capacity)  # [T, A, N]
        # where a shipment of period t lands: the window row (its lead time in a list of rows, row j due in
        # t + j; (t + lead time) mod (K + 1) in a ring), as a position in the flattened window [K+1, P, M, N]
        # of the arc's node
        lead = paths.lead_time.transpose(1, 0, 2, 3)
        slot = torch.tensor(lead, dtype=torch.int64, device=self.device)  # a copy: updated in place below
        if self._in_place:
            slot.add_(torch.arange(self.horizon, device=self.device).view(-1, 1, 1, 1)).remainder_(k + 1)
        p_len, m_len, n_len = self.shape
        cells = p_len * m_len * n_len
        at = torch.tensor(net.arc_node, device=self.device).view(1, -1, 1) * n_len
        at = at + torch.arange(p_len, device=self.device).view(-1, 1, 1) * (m_len * n_len)
        slot.mul_(cells).add_(at + torch.arange(n_len, device=self.device))
        self._slot = slot
        """[T, P, A, N] the position in the flattened window a shipment of period t on arc a goes to."""
        present = np.stack([(paths.lead_time == v).any(axis=(0, 3)) for v in range(k + 1)], -1)  # [T, A, K+1]
        self._unlimited = np.isinf(paths.capacity).all(axis=(1, 2)).tolist()
        self._full_fill = (paths.fill_rate == 1).all(axis=(0, 2, 3)).tolist()
        self._one_window = all(self._full_fill)
        """Every fill rate is 1: the delivered window is the accepted one."""
        self._fill = None if self._one_window else tens(paths.fill_rate.transpose(1, 0, 2, 3))
        vendor_fed = np.asarray(net.source_index) < 0
        factor = net.arc_cost_factor
        into = [factor[[a for a in range(net.n_arcs) if net.arc_node[a] == m]] for m in range(net.n_nodes)]
        self._value_window = any((f != f[0]).any() for f in into)
        """Some node buys at different cost factors from its sources: a window of the units' value (units
        x cost factor) tracks what arrives; else each node buys at one factor (0: a transfer)."""
        self._node_factor = None if self._value_window else column([f[0] for f in into])
        """[1, M, 1] the cost factor of every unit a node receives (without a value window)."""
        self._arc_factor = tens(factor[None, :, None])  # [1, A, 1]
        order = world.ordering
        self._packing = (
            None
            if order is None
            else tuple(None if a is None else tens(a) for a in (order.case_pack, order.minimum_order))
        )
        """(case pack, minimum order) [N] of vendor orders (None: orders are placed as given)."""
        vendor_arc = np.array([world.network.is_vendor(src) for src, _ in world.network.arcs()])
        self._vendor_arc = None if vendor_arc.all() else column_arcs(vendor_arc) > 0
        """[1, A, 1] bool: arcs from a vendor (None: all of them), where orders are packed."""
        cap = world.inbound_capacity
        self._inbound = None if cap is None else tens(cap)
        """[T, M] the nodes' shared inbound capacity per review (None: unlimited)."""
        self._arc_to_node = torch.tensor(net.arc_node, device=self.device)
        """[A] the node of each arc."""
        self._channels = ("acc",) + ("dlv",) * (not self._one_window) + ("val",) * self._value_window
        """The windows kept: accepted units, the delivered share (where some fill rate is below 1), their
        value (where a node buys at several cost factors)."""
        storage = net.storage_capacity
        self._storage = None if np.isinf(storage).all() else column(storage)
        volume = world.storage_volume
        self._volume = None if volume is None else tens(volume)
        """[T, M] the storage volume each node's SKUs share (None: no limit anywhere)."""
        self._unit_volume = None if world.unit_volume is None else tens(world.unit_volume)
        """[N] the volume of a unit of each SKU (None: 1)."""
        backorder = np.asarray(net.backorder)
        self._backorder = column(backorder) > 0  # [1, M, 1] bool
        self._any_backorder, self._all_backorder = bool(backorder.any()), bool(backorder.all())
        eco, costs = world.economics, node_costs(world)
        self._unit_cost, self._fixed = tens(eco.unit_cost), tens(eco.fixed_order_cost)
        self._salvage = tens(eco.salvage_value)
        self._holding, self._penalty = tens(costs.holding), tens(costs.penalty)
        self._transit = None if costs.transit_holding is None else tens(costs.transit_holding)
        self._track_transit = record or self._transit is not None
        """Units in transit are needed for the records and for a holding cost in transit only."""
        self._initial = tens(np.broadcast_to(world.start_on_hand()[None], self.shape).copy())
        self._zero = torch.zeros(self.shape, dtype=self.dtype, device=self.device)
        starts = [0] * (self.reviews[0] > 0) + self.reviews
        ends = [*starts[1:], self.horizon]
        self._block_demand = block_sums(self._demand, starts, ends)
        """Demand summed over each step's block of periods (exogenous: once), by first period."""

        def span(index: list[int]) -> slice | None:
            consecutive = index == list(range(index[0], index[0] + len(index)))
            return slice(index[0], index[0] + len(index)) if consecutive else None

        def rows(arcs: list[int]) -> _Rows:
            leads = np.asarray(present[:, arcs].any(1))  # [T, K + 1]
            nodes = [net.arc_node[a] for a in arcs]
            return _Rows(
                nodes=tuple(nodes),
                index=torch.tensor(arcs, device=self.device),
                span=span(arcs),
                leads=tuple(tuple(np.flatnonzero(row).tolist()) for row in leads),
                to=torch.tensor(nodes, device=self.device),
                to_span=span(nodes) if len(set(nodes)) == len(nodes) else None,
            )

        self._vendor_rows = rows(np.flatnonzero(vendor_fed).tolist()) if vendor_fed.any() else None
        self._extra_rows = rows(list(net.extra_arcs)) if net.extra_arcs else None
        """The arcs of the nodes' extra vendors (None: every node has one source)."""
        self._arc_nodes = None if self._extra_rows is None else self._extra_rows.to
        """[A - M] the node of each extra arc (for sums of arcs per node)."""
        # transfers, by level of the shipping node (upstream first)
        self._levels: list[list[int]] = []
        for u in net.shippers():
            level = net.levels[u]
            while len(self._levels) <= level:
                self._levels.append([])
            self._levels[level].append(u)
        self._kids = {u: rows(list(net.children[u])) for u in net.shippers()}
        self._self = {u: torch.tensor([u], device=self.device) for u in net.shippers()}
        self._queued = [u for u in net.shippers() if net.backorder[u]]
        """Shippers that backorder their children's requests (a queue each)."""
        self._keep = {
            u: column(np.isin(np.arange(net.n_nodes), net.children[u], invert=True)) for u in self._queued
        }
        """[1, M, 1] per queued shipper: 0 at its children (their owed units are recomputed), 1 elsewhere."""
        self.initial_totals: dict[str, torch.Tensor] = {}
        self._rec: dict[str, torch.Tensor] = {}
        """The record columns of the current period (records only)."""
        self._t = -1

    # ------------------------------------------------------------------ the interface

    def reset(self) -> ReviewState:
        """Back to period 0: simulate the periods before the first review; the state at the first review."""
        with self._grad_mode():
            rows = self.max_lead + 1
            if self._in_place:
                self._ring = {
                    c: torch.zeros((rows, *self.shape), dtype=self.dtype, device=self.device)
                    for c in self._channels
                }
                self._empty = [True] * rows
                """Ring rows nothing was shipped into since they last arrived."""
            else:
                self._win = {c: [self._zero] * rows for c in self._channels}
            self._on_hand = self._initial.clone()
            self._backlog = self._zero
            self._in_transit = self._zero
            self._owed = self._zero
            self._accepted = self._zero
            self._queues: dict[int, list[torch.Tensor]] = {u: [] for u in self._queued}
            self._periods: list[dict[str, torch.Tensor]] = []
            self._sums: dict[str, torch.Tensor] = {}
            self._t = 0
            self._arrive()
            first = self.reviews[0]
            self.initial_totals = (
                self._run_until(first, None) if first > 0 else dict.fromkeys(TOTAL_KEYS, self._zero)
            )
            return self._state()

    def step(self, orders: Any) -> tuple[ReviewState, dict[str, torch.Tensor]]:
        """Place ``orders`` [P, M, N] at the current review; simulate up to the next review (excluded).

        Returns the state there (terminal at the horizon) and the flows of the simulated periods per
        [P, M, N] (:data:`restock.simulator.flows.TOTAL_KEYS`)."""
        if self._t < 0:
            raise InputError("batch engine: call reset() before step()")
        if self._t >= self.horizon:
            raise InputError(f"batch engine: the horizon ({self.horizon}) is reached; call reset()")
        with self._grad_mode():
            q = torch.as_tensor(
                on_arcs(orders, self.shape[1], self.order_shape[1]), dtype=self.dtype, device=self.device
            )
            check_orders(q, self.order_shape, self._t)
            nxt = next((r for r in self.reviews if r > self._t), self.horizon)
            totals = self._run_until(nxt, q)
            return self._state(), totals

    # ------------------------------------------------------------------ the periods

    def _state(self) -> ReviewState:
        """The state at period ``self._t`` after its arrivals (terminal at the horizon)."""
        k = self.max_lead
        if self._in_place:  # a copy (the ring changes in place after this review), row by row
            size, t = k + 1, self._t
            pipeline = torch.empty((k, *self.shape), dtype=self.dtype, device=self.device)
            for j, row in enumerate(pipeline.unbind(0)):
                r = (t + 1 + j) % size
                if self._empty[r]:
                    row.zero_()
                else:
                    row.copy_(self._ring["acc"][r])
            pipeline = pipeline.permute(1, 2, 3, 0)
        elif k:
            pipeline = torch.stack(self._win["acc"][1 : k + 1]).permute(1, 2, 3, 0)
        else:
            pipeline = self._zero.unsqueeze(-1)[..., :0]
        return ReviewState(
            t=self._t,
            on_hand=self._on_hand,
            backlog=self._backlog,
            pipeline=pipeline,
            terminal=self._t >= self.horizon,
            owed=self._owed if self._queued else None,
            owes=self._owes() if self._queued else None,
        )

    def _owes(self) -> torch.Tensor:
        """[P, M, N] what each node owes the nodes it feeds."""
        owes = self._zero
        for u in self._queued:
            total = self._kids[u].pick(self._owed).sum(1, keepdim=True)
            owes = owes + torch.zeros_like(self._zero).index_add(1, self._self[u], total)
        return owes

    def _add(self, key: str, x: torch.Tensor) -> None:
        """Add ``x`` [P, M, N] to the block sum ``key`` (in place in a plain rollout)."""
        if x is self._zero:
            return
        sums = self._sums
        if key not in sums:
            sums[key] = x.clone() if self._in_place else x
        elif self._in_place:
            sums[key].add_(x)
        else:
            sums[key] = sums[key] + x

    def _note(self, key: str, x: torch.Tensor) -> None:
        """Add ``x`` [P, M, N] to the period's record column ``key`` (records only)."""
        rec = self._rec
        rec[key] = x if rec[key] is self._zero else rec[key] + x

    def _spread(self, rows: _Rows, x: torch.Tensor) -> torch.Tensor:
        """A group's rows [P, C, N] as [P, M, N] at their nodes (summed where two go to one node; zero
        elsewhere)."""
        if rows.to_span is None:
            return torch.zeros_like(self._zero).index_add(1, rows.to, x)
        a, b, m = rows.to_span.start, rows.to_span.stop, self.shape[1]
        return x if (a, b) == (0, m) else F.pad(x, (0, 0, a, m - b))

    def _per_node(self, x: torch.Tensor) -> torch.Tensor:
        """Per-arc ``x`` [P, A, N] summed per node: [P, M, N]."""
        if self._arc_nodes is None:
            return x
        m = self.shape[1]
        return x[:, :m].index_add(1, self._arc_nodes, x[:, m:])

    def _receive(self, on_hand: torch.Tensor, arriving: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """:func:`rules.receive` in period ``self._t`` (the arrivals of one moment, pooled); nothing
        disposed is the engine's shared zero."""
        shared = None
        if self._volume is not None:  # (the arrivals at the horizon meet the last period's limit)
            shared = (self._unit_volume, self._volume[min(self._t, self.horizon - 1)])
        on_hand, disposed = rules.receive(on_hand, arriving, self._storage, shared)
        return on_hand, self._zero if disposed is rules.NOTHING else disposed

    def _arrive(self) -> None:
        """Step 1 of period ``self._t``: what is due arrives (in the block of that period)."""
        t = self._t
        if self.record:
            self._rec = dict.fromkeys((*_UNITS, "orders_placed", "purchased"), self._zero)
            self._rec["on_hand_start"] = self._on_hand
        if self._in_place:
            r = t % (self.max_lead + 1)
            if not self._empty[r] or (t == 0 and self._storage is not None):
                self._take_in(self._ring_row(r))
                self._clear(r)
            return
        row = {c: w[0] for c, w in self._win.items()}
        if any(x is not self._zero for x in row.values()) or (t == 0 and self._storage is not None):
            # (an initial on-hand above the storage capacity is disposed in period 0)
            self._take_in(row)

    def _take_in(self, row: dict[str, torch.Tensor]) -> None:
        """Units due now arrive: a row [P, M, N] of each window (:attr:`_channels`): accepted, of which
        delivered, and their value."""
        acc = row["acc"]
        dlv = row.get("dlv", acc)
        self._on_hand, disposed = self._receive(self._on_hand, dlv)
        self._add("received", dlv)
        if "val" in row:
            self._add("purchased", row["val"])
        if self._track_transit:
            self._in_transit = self._in_transit - acc
        if self.record:
            self._note("received", dlv)
            self._note("disposed", disposed)
            if acc is not dlv:
                self._note("cancelled", acc - dlv)
            if "val" in row:
                self._note("purchased", row["val"])

    def _ring_row(self, r: int) -> dict[str, torch.Tensor]:
        """Ring row ``r`` of each window: [P, M, N] views."""
        return {c: ring[r] for c, ring in self._ring.items()}

    def _clear(self, r: int) -> None:
        """Ring row ``r`` has arrived: zero it."""
        for ring in self._ring.values():
            ring[r].zero_()
        self._empty[r] = True

    def _ship(
        self, t: int, rows: _Rows, parts: dict[str, torch.Tensor], *, take_now: bool = True
    ) -> dict[str, torch.Tensor] | None:
        """Units leave in period ``t`` on the arcs ``rows``: ``parts`` [P, C, N] per window (accepted, their
        delivered share, their value; a window missing from ``parts`` gets nothing), due at t + each arc's
        lead time of the period; lead time 0 arrives now.

        One ``index_add`` per window puts every unit in its row (no mask per lead time). A ring takes
        the units in place; otherwise they go to a fresh window of K + 1 rows, added to the rows of the
        lead times that occur. Either way, what lands in the row of period t itself (lead time 0)
        arrives now, or, with ``take_now`` False, is returned (None: nothing has lead time 0) for the
        caller to take in with the other arrivals of the moment (:meth:`_take_now`)."""
        leads = rows.leads[t]
        slot = rows.pick(self._slot[t]).reshape(-1)
        if self._track_transit:
            self._in_transit = self._in_transit + self._spread(rows, parts["acc"])
        if self._in_place:
            for c, ring in self._ring.items():
                if c in parts:
                    ring.view(-1).index_add_(0, slot, parts[c].reshape(-1))
            size = self.max_lead + 1
            for v in leads:
                self._empty[(t + v) % size] = False
            if leads[0] != 0:
                return None
            now = self._ring_row(t % size)
            if take_now:
                self._take_now(t, [now])
            return now
        fresh: dict[str, tuple[torch.Tensor, ...]] = {}
        for c in self._win:
            x = parts.get(c)
            if x is not None:  # the delivered share is often the accepted units themselves
                same = next((d for d in fresh if parts[d] is x), None)
                fresh[c] = fresh[same] if same is not None else self._window(slot, x)
        for v in leads:
            if v == 0:
                continue
            for c, window in fresh.items():
                due = self._win[c][v]
                self._win[c][v] = window[v] if due is self._zero else due + window[v]
        if leads[0] != 0:
            return None
        now = {c: window[0] for c, window in fresh.items()}
        if take_now:
            self._take_now(t, [now])
        return now

    def _take_now(self, t: int, due: list[dict[str, torch.Tensor]]) -> None:
        """Take in, together, what several shipments of period ``t`` bring with lead time 0 (``due``: the
        rows :meth:`_ship` returned; in a ring they are views of one row, which then is cleared)."""
        if self._in_place:
            self._take_in(due[-1])
            self._clear(t % (self.max_lead + 1))
            return
        row = due[0]
        for more in due[1:]:
            row = {c: x + more[c] for c, x in row.items()}
        self._take_in(row)

    def _window(self, slot: torch.Tensor, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """``x`` (C arcs' rows) in a fresh window at the positions ``slot``: its K + 1 rows [P, M, N]."""
        size = self.max_lead + 1
        window = torch.zeros(size * self._zero.numel(), dtype=self.dtype, device=self.device)
        return window.index_add_(0, slot, x.reshape(-1)).view(size, *self.shape).unbind(0)

    def _shipment(self, t: int, rows: _Rows, accepted: torch.Tensor) -> dict[str, torch.Tensor]:
        """What vendor arcs ``rows`` ship of their ``accepted`` units [P, C, N] in ``t``, per window."""
        fill = None if self._fill is None or self._full_fill[t] else rows.pick(self._fill[t])
        delivered = rules.deliver(accepted, fill)
        parts = {"acc": accepted, "dlv": delivered}
        if self._value_window:
            parts["val"] = delivered * rows.pick(self._arc_factor)
        return parts

    def _order(self, t: int, q: torch.Tensor) -> None:
        """Step 2: the orders [P, A, N] of review ``t`` (vendor orders in case packs and at least the
        minimum order: :func:`~restock.simulator.rules.pack_order`, the gradient straight through; each
        node's accepted orders cut pro rata to its shared inbound capacity:
        :func:`~restock.simulator.rules.inbound_share`)."""
        if self._packing is not None:
            packed = rules.pack_order(q, *self._packing)
            q = packed if self._vendor_arc is None else torch.where(self._vendor_arc, packed, q)
        self._sums["orders_placed"] = self._per_node((q > 0).to(self.dtype))  # one review per block
        accepted = rules.accept(q, None if self._unlimited[t] else self._capacity[t])
        if self._inbound is not None:  # the nodes' shared inbound capacity, over SKUs and sources
            share = rules.inbound_share(self._per_node(accepted).sum(-1), self._inbound[t])  # [P, M]
            accepted = accepted * share.index_select(1, self._arc_to_node).unsqueeze(-1)
        if self.record:
            self._rec["ordered"] = self._per_node(q)
            self._rec["orders_placed"] = self._sums["orders_placed"]
            self._note("cancelled", self._per_node(q - accepted))
        self._accepted = accepted[:, : self.shape[1]]  # node-fed nodes' own arcs: the transfer requests
        due = []  # what arrives now from every source: one moment, taken in together
        for rows in (self._vendor_rows, self._extra_rows):
            if rows is not None:
                now = self._ship(t, rows, self._shipment(t, rows, rows.pick(accepted)), take_now=False)
                if now is not None:
                    due.append(now)
        if due:
            self._take_now(t, due)

    def _transfers(self, t: int, review: bool) -> None:
        """Step 3: every shipping node, upstream levels first."""
        for level in self._levels:
            for u in level:
                if u in self._queues:
                    shipped = self._serve_queue(u, review)
                elif review:
                    shipped = self._ration(u)
                else:
                    continue
                if shipped is not None:
                    out = shipped.movedim(0, 1)
                    self._ship(t, self._kids[u], {"acc": out, "dlv": out})

    def _take(self, u: int, shipped: torch.Tensor) -> None:
        """Node ``u`` ships ``shipped`` [C, P, N] to its children: off its on-hand."""
        total = shipped.sum(0).unsqueeze(1)
        self._on_hand = self._on_hand.index_add(1, self._self[u], total, alpha=-1)
        if self.record:
            self._note("shipped_downstream", torch.zeros_like(self._zero).index_add(1, self._self[u], total))

    def _ration(self, u: int) -> torch.Tensor:
        """A lost-sales node ships its children's requests of this review, pro rata; the cut is cancelled."""
        kids = self._kids[u]
        req = kids.pick(self._accepted).movedim(1, 0)  # [C, P, N]
        shipped, _ = rules.ration(req, self._on_hand[:, u])
        if self.record:
            self._note("cancelled", self._spread(kids, (req - shipped).movedim(0, 1)))
        self._take(u, shipped)
        return shipped

    def _serve_queue(self, u: int, review: bool) -> torch.Tensor | None:
        """A backordering node adds this review's requests to its queue and ships from it, oldest first."""
        kids, queue = self._kids[u], self._queues[u]
        if review:
            new = kids.pick(self._accepted).movedim(1, 0)  # [C, P, N]
            if len(kids.nodes) == 1 and queue:  # one requester: first-come first-served is the total
                queue[0] = queue[0] + new
            else:
                queue.append(new)
        if not queue:
            return None
        parts, owed, _ = rules.serve_queue(queue, self._on_hand[:, u])
        while owed and not bool(owed[0].detach().any()):  # drop the requests served in full
            owed.pop(0)
        queue[:] = owed
        waiting = sum(owed[1:], owed[0]) if owed else torch.zeros_like(parts[0])
        self._owed = self._owed * self._keep[u] + self._spread(kids, waiting.movedim(0, 1))
        shipped = sum(parts[1:], parts[0])
        self._take(u, shipped)
        return shipped

    def _demand_step(self, t: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Step 4: (sales, lost); the backlog and on-hand move on."""
        d, on_hand = self._demand[t], self._on_hand
        if self._all_backorder:
            sales, self._backlog, self._on_hand = rules.serve_backorders(on_hand, self._backlog, d)
            return sales, self._zero
        sales, lost, left = rules.serve_lost_sales(on_hand, d)
        if not self._any_backorder:
            self._on_hand = left
            return sales, lost
        b = self._backorder
        sales_b, backlog, left_b = rules.serve_backorders(on_hand, self._backlog, d)
        self._backlog = torch.where(b, backlog, 0.0)
        self._on_hand = torch.where(b, left_b, left)
        return torch.where(b, sales_b, sales), torch.where(b, 0.0, lost)

    def _run_until(self, t1: int, orders: torch.Tensor | None) -> dict[str, torch.Tensor]:
        """Periods self._t .. t1-1 (the first with ``orders`` if given); their totals; arrivals of t1."""
        t0 = self._t
        transfers_every_period = bool(self._queued)
        while self._t < t1:
            t = self._t
            review = t in self._review_set and orders is not None
            if review:
                assert orders is not None
                self._order(t, orders)
                orders = None
            if review or transfers_every_period:
                self._transfers(t, review)
            sales, lost = self._demand_step(t)
            self._add("sales", sales)
            self._add("on_hand", self._on_hand)
            self._add("backlog", self._backlog)
            if self._transit is not None:
                self._add("in_transit", self._in_transit)
            revenue = self._sums.get("revenue")
            if revenue is None:
                self._sums["revenue"] = sales * self._price[t]
            elif self._in_place:
                revenue.addcmul_(sales, self._price[t])
            else:
                self._sums["revenue"] = torch.addcmul(revenue, sales, self._price[t])
            if self.record:
                self._rec.update(
                    sales=sales,
                    lost=lost,
                    demand=self._demand[t],
                    backlog=self._backlog,
                    on_hand=self._on_hand,
                    in_transit=self._in_transit,
                    owed=self._owed,
                )
                self._periods.append({k: v.detach() for k, v in self._rec.items()})
            if not self._in_place:
                for window in self._win.values():
                    window.pop(0)
                    window.append(self._zero)
            self._t = t + 1
            if self._t < t1:
                self._arrive()
        totals = self._book(t0, t1)
        self._sums = {}
        self._arrive()
        return totals

    def _book(self, t0: int, t1: int) -> dict[str, torch.Tensor]:
        """Step 5 for the block of periods t0 .. t1-1, from its sums: its totals per [P, M, N]."""
        sums, zero, demand = self._sums, self._zero, self._block_demand[t0]
        sales = sums["sales"]
        # lost sales: demand - sales over the block (sales is demand at a backordering node)
        lost = zero if self._all_backorder else demand - sales
        if self._any_backorder and not self._all_backorder:
            lost = torch.where(self._backorder, 0.0, lost)
        backlog, received, on_hand = (sums.get(k, zero) for k in ("backlog", "received", "on_hand"))
        # at a lost-sales node the penalty is on the lost units, at a backordering one on the end backlog
        # (each is 0 at the other kind of node)
        shortage = backlog if self._all_backorder else lost + backlog if self._any_backorder else lost
        money = rules.book_period(
            sales=sums["revenue"],  # the block's revenue at a price of 1
            purchased=sums.get("purchased", zero)
            if self._node_factor is None
            else received * self._node_factor,
            end_on_hand=on_hand,
            lost=shortage,
            end_backlog=shortage,
            orders_placed=self._sums.get("orders_placed", zero),  # one review per block at most
            price=1.0,
            unit_cost=self._unit_cost,
            holding_cost=self._holding,
            penalty=self._penalty,
            fixed_order_cost=self._fixed,
            backorder=False,
            in_transit=sums.get("in_transit", zero),
            transit_holding_cost=self._transit,
            salvage_value=self._salvage,
            salvage_units=self._on_hand if t1 == self.horizon else None,
        )
        if not isinstance(money["salvage"], torch.Tensor):
            money["salvage"] = zero
        columns = {
            **{k: torch.broadcast_to(v, self.shape) for k, v in money.items()},
            "demand": demand,
            "sales": sales,
            "lost": lost,
            "received": received,
            "on_hand": on_hand,
        }
        return {k: columns[TOTAL_SOURCES[k]] for k in TOTAL_KEYS}

    # ------------------------------------------------------------------ records

    def _records(self) -> pd.DataFrame:
        """One row per (path, period, node, SKU), in the des engine's order."""
        p, m, n = self.shape
        t = len(self._periods)
        rows = p * t * m * n
        grid = np.indices((p, t, m, n)).reshape(4, rows)
        data: dict[str, Any] = {
            "path": grid[0],
            "period": grid[1],
            "node": np.asarray(self.net.names, dtype=object)[grid[2]],
            "sku": np.asarray(self.world.skus, dtype=object)[grid[3]],
        }
        if not t:
            return pd.DataFrame(
                {**data, **{c: np.zeros(0) for c in QUANTITY_COLUMNS}},
                columns=[*KEY_COLUMNS, *QUANTITY_COLUMNS],
            )
        internal = ("orders_placed",) + ("purchased",) * (self._node_factor is None)
        x = {c: torch.stack([period[c] for period in self._periods], 1) for c in (*_UNITS, *internal)}
        on_hand = x["on_hand"]
        salvage_units = torch.zeros_like(on_hand)
        if t == self.horizon:
            salvage_units[:, -1] = on_hand[:, -1]
        shortage = x["lost"] + x["backlog"]  # each is 0 at the other kind of node
        money = rules.book_period(
            sales=x["sales"],
            purchased=x["purchased"] if self._node_factor is None else x["received"] * self._node_factor,
            end_on_hand=on_hand,
            lost=shortage,
            end_backlog=shortage,
            orders_placed=x["orders_placed"],
            price=self._price[:t].transpose(0, 1),  # [P, T, 1, N]
            unit_cost=self._unit_cost,
            holding_cost=self._holding,
            penalty=self._penalty,
            fixed_order_cost=self._fixed,
            backorder=False,
            in_transit=x["in_transit"],
            transit_holding_cost=self._transit,
            salvage_value=self._salvage,
            salvage_units=salvage_units,
        )
        for c in QUANTITY_COLUMNS:
            col = x[c] if c in x else torch.broadcast_to(money[c], on_hand.shape)
            data[c] = col.to("cpu", torch.float64).reshape(-1).numpy()
        return pd.DataFrame(data, columns=[*KEY_COLUMNS, *QUANTITY_COLUMNS])
