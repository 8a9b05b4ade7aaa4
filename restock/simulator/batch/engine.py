"""The batch engine: one node, many SKUs and paths at once, as torch tensors (CPU or GPU), differentiable.

It simulates the same period as the des engine, with the same rules (:mod:`restock.simulator.rules`), for
every (path, SKU) pair at once: tensors of shape [P, N] (the node axis M = 1 is dropped inside and restored
at the interface). Within period t (DESIGN.md):

1. shipments due in t arrive (:func:`~restock.simulator.rules.receive`; beyond storage capacity disposed);
2. at a review the rule orders; the vendor accepts ``min(q, capacity[t])`` and will deliver the fill-rate
   share at the start of ``t + lead_time[t]`` (:func:`~restock.simulator.rules.accept_order`); lead time 0
   arrives now, before demand;
3. demand is served (:func:`~restock.simulator.rules.serve_lost_sales` or ``serve_backorders``);
4. cash flows are booked (:func:`~restock.simulator.rules.period_cash_flows`).

The pipeline
------------
Orders are placed only at reviews, and an order placed at review r arrives at most K periods later
(K = ``paths.max_lead_time``). So the engine keeps two *windows* of K + 1 rows [P, N] relative to the
current review r: relative row j holds the units due at r + j (accepted units, and the delivered share).
Placing an order is one ``scatter_add`` of the order into the row of its lead time; moving to the next
review moves the windows by ``review_period`` rows; a period reads its arrivals as a row (a view).

* Plain rollouts (``grad=False``, ``record=False``: training envs, benchmarks) keep each window as a
  ring updated in place: ``scatter_add_`` at row (base + lead) mod (K + 1); the rows just consumed are
  zeroed and ``base`` moves on; a review state gets a copy of the pipeline (K rows), so that what a
  caller holds never changes. A block's quantities are summed in place period by period (no per-period
  stacks), and every in-place operation (zeroing rows, copying the pipeline out) works one [P, N] slab
  at a time: below torch's parallel grain size (32,768 elements) nothing goes to the intra-op thread
  pool, whose threads stall on a busy machine (Catalog-v0 with 16,384 envs on two shared cores: twelve
  times the CPU time per step with two threads than with one when windows were copied whole).
  Against the out-of-place windows and stacked blocks this took about 20% less CPU time per forward
  rollout (50,000 SKUs x 364 days, float32, one thread), and for a catalog with K > review period
  (Catalog-v0's ``steady``: K = 14) it removes four window copies per review.
* With ``grad=True`` (or ``record=True``) everything stays out of place, so gradients flow from profit
  to every order quantity and records keep every period; the windows are rebuilt (``torch.cat``) at each
  review. Rows are read through one ``unbind`` per window and block: indexing a row would make autograd
  fill a whole zero window per row read in the backward pass (``SelectBackward``).

Cash flows are booked once per review block: ``period_cash_flows`` is linear in each quantity with a
per-SKU coefficient, and only the price changes with the period, so one call takes the block's sales
period by period (or, in a plain rollout, the revenue already summed as sales x price) and the other
quantities as block sums. The records (``record=True``) are built from the stacked per-period
quantities at the end of the run, not in the loop.

Storage: with an infinite storage capacity, ``receive`` is an addition (nothing can be disposed), and the
engine adds directly. An initial on-hand above the storage capacity is disposed in period 0 (the des
engine disposes it at the first arrival; the world model leaves the case open).

Sizes: a plain rollout holds the exogenous inputs (demand and price [T, P, N]), the lead times and fill
rates at reviews, block demand sums and two windows: about 11.2 bytes per SKU-period in float32
(``restock bench``); with ``grad=True`` autograd keeps about 16.5 more bytes per SKU-period until backward.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch

from restock.errors import InputError
from restock.simulator import rules
from restock.simulator.engines import rollout
from restock.simulator.flows import RECORD_COLUMNS, TOTAL_KEYS
from restock.simulator.paths import ExogenousPaths
from restock.simulator.policy import OrderRule, ReviewState, check_orders
from restock.simulator.records import SimulationResult
from restock.simulator.topology import node_costs
from restock.simulator.world import World

FLOW_KEYS: tuple[str, ...] = TOTAL_KEYS
"""Keys of the dict that :meth:`BatchEngine.step` returns (:data:`restock.simulator.flows.TOTAL_KEYS`)."""

_DTYPES = {"float32": torch.float32, "float64": torch.float64}


def resolve_dtype(dtype: torch.dtype | str) -> torch.dtype:
    """``torch.float32``/``torch.float64`` or their names; anything else is an :class:`InputError`."""
    if isinstance(dtype, str):
        if dtype not in _DTYPES:
            raise InputError(f"batch engine: dtype must be one of {sorted(_DTYPES)}, got {dtype!r}")
        return _DTYPES[dtype]
    if dtype not in _DTYPES.values():
        raise InputError(f"batch engine: dtype must be torch.float32 or torch.float64, got {dtype!r}")
    return dtype


def block_sums(x: torch.Tensor, starts: list[int], ends: list[int]) -> dict[int, torch.Tensor]:
    """``{a: x[a:b].sum(0)}`` for each block [a, b), as views of one sum per run of equal-length blocks.

    The same values as one ``sum`` per block (the same reduction over the same rows), in a handful of
    calls: a small ``sum`` per block goes through torch's intra-op thread pool each time, which costs a
    few ms a call (52 weekly blocks at 16,384 SKUs: 0.35 s in all, against 0.01 s).
    """
    out: dict[int, torch.Tensor] = {}
    i = 0
    while i < len(starts):
        n = ends[i] - starts[i]
        j = i + 1
        while j < len(starts) and ends[j] - starts[j] == n and starts[j] == ends[j - 1]:
            j += 1
        a = starts[i]
        sums = x[a : a + (j - i) * n].reshape(j - i, n, *x.shape[1:]).sum(1)
        for k in range(j - i):
            out[starts[i + k]] = sums[k]
        i = j
    return out


@dataclass(frozen=True)
class _Block:
    """Per-period quantities of one review block, stacked over its periods ([n, P, N] each)."""

    t0: int
    n: int
    """Periods in the block."""
    quantities: torch.Tensor | None
    """[4, n, P, N]: sales, received, end on-hand, and the shortage (lost units under lost sales, end
    backlog under backorders) of each period — what the cash flows need. None without records: then
    only their sums (:attr:`sums`) and the revenue are kept."""
    sums: tuple[torch.Tensor, ...] | None
    """The four quantities summed over the block, [P, N] each (without records only)."""
    revenue: torch.Tensor | None
    """[P, N] sales x price summed over the block (without records only)."""
    last_on_hand: torch.Tensor
    """[P, N] on-hand at the end of the block."""
    on_hand_start: torch.Tensor
    disposed: torch.Tensor
    ordered: torch.Tensor | None
    """[P, N] order placed in t0 (None for the periods before the first review)."""
    accepted: torch.Tensor | None
    accepted_arrived: torch.Tensor
    """[n, P, N] accepted units due in each period (delivered + fill-rate cut)."""


class TorchEngine:
    """What both batch engines share (:class:`BatchEngine`, one node;
    :class:`~restock.simulator.batch.network.NetworkEngine`, networks): the grad mode, :meth:`rollout` in
    it, and :meth:`result` from the engine's ``_records``."""

    name = "batch"
    world: World
    record: bool
    grad: bool
    initial_totals: dict[str, torch.Tensor]

    def reset(self) -> ReviewState:
        raise NotImplementedError

    def step(self, orders: Any) -> tuple[ReviewState, dict[str, torch.Tensor]]:
        raise NotImplementedError

    def rollout(self, rule: OrderRule) -> dict[str, torch.Tensor]:
        """Reset, then order with ``rule`` at every review (:func:`restock.simulator.engines.rollout`,
        the rule run in this engine's grad mode): the flows of the whole horizon per [P, M, N]."""

        def decide(state: ReviewState) -> Any:
            with self._grad_mode():
                return rule(state)

        return rollout(self, decide).totals

    def result(self) -> SimulationResult:
        """The per-period records of the periods simulated so far (``record=True`` only)."""
        if not self.record:
            raise InputError("batch engine: records were not kept; build the engine with record=True")
        return SimulationResult(
            records=self._records(), engine="batch", discount=float(self.world.economics.discount)
        )

    def _grad_mode(self) -> contextlib.AbstractContextManager[Any]:
        return contextlib.nullcontext() if self.grad else torch.no_grad()

    def _records(self) -> pd.DataFrame:
        raise NotImplementedError


class BatchEngine(TorchEngine):
    """Array engine for a single node: lost sales or backorders, stochastic lead times, fill rates,
    vendor capacity, weekly prices, fixed order cost, salvage, initial on-hand, storage capacity.

    Args:
        world: the parameters; its network must have exactly one node (use the des engine for networks).
        paths: the exogenous paths, M = 1.
        record: keep per-period quantities to build :meth:`result` records (costs memory; off for training).
        grad: build the autograd graph (gradients of any returned flow with respect to every order);
            False runs under ``torch.no_grad()``.
        device: torch device of every tensor (``"cpu"``, ``"cuda"``...).
        dtype: ``torch.float64`` (default, for parity with des) or ``torch.float32`` (faster).

    The interface (:class:`restock.simulator.engines.Engine`, shared with the des engine): :meth:`reset`
    returns the :class:`ReviewState` at the first review; :meth:`step` places orders [P, M, N] there,
    simulates up to the next review and returns the next state (the terminal state at the horizon) and the
    flows of the simulated periods summed per [P, M, N] (:data:`FLOW_KEYS`). The flows of the periods that
    :meth:`reset` simulates before the first review (``review_offset > 0``) are in :attr:`initial_totals` (as
    in the des engine): ``initial_totals`` plus the step flows sum to the totals of the horizon.
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
    ) -> None:
        nodes = world.network.nodes
        if len(nodes) != 1 or nodes[0].extra_sources:
            raise InputError(
                f"batch engine: world.network has {len(nodes)} node(s) {[n.name for n in nodes]} and "
                f"{len(world.network.arcs())} source(s); the single-node fast path takes one node with one "
                "source: use restock.simulator.batch.NetworkEngine (make_engine('batch', ...) picks it)"
            )
        expect = (world.horizon, 1, world.n_skus)
        got = (paths.horizon, paths.n_nodes, paths.n_skus)
        if got != expect:
            raise InputError(
                f"batch engine: paths have [periods, nodes, skus] = {list(got)}, world expects {list(expect)}"
            )
        if (
            world.ordering is not None
            or world.inbound_capacity is not None
            or world.storage_volume is not None
        ):
            raise InputError(
                "batch engine: the single-node fast path places orders as given (no case packs, minimum "
                "orders, shared inbound capacity or storage volume); use "
                "restock.simulator.batch.NetworkEngine (make_engine('batch', ...) picks it)"
            )
        costs = node_costs(world)
        if costs.transit_holding is not None:
            raise InputError(
                "batch engine: the single-node fast path has no holding cost in transit "
                f"(node {nodes[0].name!r}: transit_holding_factor {nodes[0].transit_holding_factor!r}); "
                "use restock.simulator.batch.NetworkEngine (make_engine('batch', ...) picks it)"
            )
        reviews = world.review_periods()
        if not reviews:
            raise InputError(
                f"batch engine: no review period before the horizon (horizon={world.horizon}, "
                f"review_offset={world.review_offset})"
            )
        self.world = world
        self.paths = paths
        self.record = record
        self.grad = grad
        self.device = torch.device(device)
        self.dtype = resolve_dtype(dtype)
        node = nodes[0]
        self.backorder = node.backorder
        # A tensor, not a Python float: rules.minimum would turn a float into a float32 tensor. None: no
        # storage limit (rules.receive then only adds).
        self.storage: torch.Tensor | None = (
            None
            if math.isinf(node.storage_capacity)
            else torch.tensor(float(node.storage_capacity), dtype=self.dtype, device=self.device)
        )
        self.n_paths, self.horizon, self.n_skus = paths.n_paths, world.horizon, world.n_skus
        self.review_period = world.review_period
        self.reviews = reviews
        self.max_lead = paths.max_lead_time
        """K: the pipeline of a review state covers t+1 .. t+K."""

        def tens(a: np.ndarray, dtype: torch.dtype | None = None) -> torch.Tensor:
            # at most one copy, straight into the engine's dtype; none for a writable C-contiguous array
            # of that dtype (float32 demand into a float32 engine); a broadcast view or a read-only
            # array is copied (torch takes no read-only memory)
            want = np.dtype(str(dtype or self.dtype).removeprefix("torch."))
            a = np.asarray(a)
            if a.dtype != want or not a.flags.c_contiguous or not a.flags.writeable:
                a = np.array(a, dtype=want, order="C")
            return torch.as_tensor(a, device=self.device)

        rv = np.asarray(reviews)
        # Exogenous inputs, period-major so that period t is a contiguous [P, N] slice.
        self._demand = tens(paths.demand[:, :, 0, :].transpose(1, 0, 2))
        self._price = tens(paths.price.transpose(1, 0, 2))
        # What the vendor does with an order is only needed at reviews: [n_reviews, P, N] (capacity [R, N]).
        self._lead = tens(paths.lead_time[:, rv, 0, :].transpose(1, 0, 2), torch.int64)
        self._fill = tens(paths.fill_rate[:, rv, 0, :].transpose(1, 0, 2))
        self._capacity = tens(paths.capacity[rv, 0, :])
        starts = [0] * (reviews[0] > 0) + reviews
        ends = [*starts[1:], world.horizon]
        self._block_demand = block_sums(self._demand, starts, ends)
        """Demand summed over each block (exogenous: computed once), by first period."""
        self._zero_lead = [bool(x) for x in (paths.lead_time[:, rv, 0, :] == 0).any(axis=(0, 2))]
        self._unlimited = [bool(x) for x in np.isinf(paths.capacity[rv, 0, :]).all(axis=-1)]
        """Per review: no capacity limit for any SKU (the vendor accepts every order whole)."""
        self._full_fill = [bool(x) for x in (paths.fill_rate[:, rv, 0, :] == 1).all(axis=(0, 2))]
        """Per review: every fill rate is 1 (the vendor delivers everything it accepts)."""
        econ = world.economics
        # the one vendor's cost factor, on every unit received
        self._unit_cost = tens(econ.unit_cost * world.network.vendor(node.source).unit_cost_factor)
        self._holding = tens(costs.holding[0])
        self._penalty = tens(costs.penalty[0])
        self._fixed = tens(econ.fixed_order_cost)
        self._salvage = tens(econ.salvage_value)
        self._initial = tens(np.tile(world.start_on_hand()[0], (self.n_paths, 1)))
        self._zero = torch.zeros((self.n_paths, self.n_skus), dtype=self.dtype, device=self.device)
        self._started = False
        self._in_place = not (grad or record)
        """Plain rollouts update the pipeline windows in place, as rings (see :meth:`_shift`)."""
        self._base = 0

    # ------------------------------------------------------------------ the interface

    def reset(self) -> ReviewState:
        """Back to period 0: simulate the periods before the first review; the state at the first review."""
        with self._grad_mode():
            shape = (self.max_lead + 1, self.n_paths, self.n_skus)
            self._acc = torch.zeros(shape, dtype=self.dtype, device=self.device)
            self._dlv = torch.zeros(shape, dtype=self.dtype, device=self.device)
            self._base = 0
            self._on_hand = self._initial.clone()
            self._backlog = self._zero
            self._blocks: list[_Block] = []
            self._review = 0
            first = self.reviews[0]
            if first > 0:
                flows = self._flows(self._simulate(0, first, None))
            else:
                flows = dict.fromkeys(FLOW_KEYS, self._zero)
            self.initial_totals = {k: self._fresh(flows[k]).unsqueeze(1) for k in FLOW_KEYS}
            self._t = first
            self._pending = self._arrive()
            self._started = True
            return self._state()

    def step(self, orders: Any) -> tuple[ReviewState, dict[str, torch.Tensor]]:
        """Place ``orders`` [P, M, N] at the current review; simulate up to the next review (excluded).

        Returns the state at the next review (the terminal state once the horizon is reached: on-hand
        after the arrivals due at the horizon) and the flows of the simulated periods summed per
        [P, M, N] (:data:`FLOW_KEYS`).
        """
        if not self._started:
            raise InputError("batch engine: call reset() before step()")
        if self._t >= self.horizon:
            raise InputError(f"batch engine: the horizon ({self.horizon}) is reached; call reset()")
        with self._grad_mode():
            q = torch.as_tensor(orders, dtype=self.dtype, device=self.device)
            check_orders(q, (self.n_paths, 1, self.n_skus), self._t)
            q = q.squeeze(1)  # a view (select's backward would fill a zero tensor)
            t0 = self._t
            t1 = min(t0 + self.review_period, self.horizon)
            block = self._simulate(t0, t1, q)
            flows = self._flows(block)
            self._review += 1
            self._t = t1
            self._shift(t1 - t0)
            self._pending = self._arrive()
            state = self._state()
            return state, {k: self._fresh(v).unsqueeze(1) for k, v in flows.items()}

    # ------------------------------------------------------------------ the periods

    def _receive(self, on_hand: torch.Tensor, arriving: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """:func:`rules.receive`; nothing disposed (no storage limit) is the engine's shared zero."""
        on_hand, disposed = rules.receive(on_hand, arriving, self.storage)
        return on_hand, self._zero if disposed is rules.NOTHING else disposed

    def _arrive(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Step 1 of the review period self._t: (on_hand_start, received, disposed, accepted_arrived)."""
        start = self._on_hand
        arriving = self._dlv[self._base]
        if self._in_place:  # the order of this review is added to the window in place: keep what arrived
            arriving = arriving.clone()
        self._on_hand, disposed = self._receive(start, arriving)
        return start, arriving, disposed, self._acc[self._base]

    def _state(self) -> ReviewState:
        """The state at period ``self._t`` after its arrivals (terminal at the horizon)."""
        if self._in_place:  # a copy (the window changes in place after this review), row by row
            size = self.max_lead + 1
            rows = torch.empty((self.max_lead, *self._acc.shape[1:]), dtype=self.dtype, device=self.device)
            for k, row in enumerate(rows.unbind(0)):
                row.copy_(self._acc[(self._base + 1 + k) % size])
        else:
            rows = self._acc[1:]  # a view; the window is never written in place
        pipeline = rows.permute(1, 2, 0).unsqueeze(1)
        return ReviewState(
            t=self._t,
            on_hand=self._on_hand.unsqueeze(1),
            backlog=self._fresh(self._backlog).unsqueeze(1),
            pipeline=pipeline,
            terminal=self._t >= self.horizon,
        )

    def _fresh(self, x: torch.Tensor) -> torch.Tensor:
        """``x``, or a new zero tensor if ``x`` is the engine's shared zero (callers may write to theirs)."""
        return torch.zeros_like(x) if x is self._zero else x

    def _shift(self, r: int) -> None:
        """Move the windows from the review just done to the next one (``r`` rows later: the review
        period, or fewer for the last block).

        In place (:attr:`_in_place`) the windows are rings: the rows just consumed are zeroed and become
        the last rows, and :attr:`_base` (the physical row of relative row 0) moves on. Otherwise a new
        window is built (``_base`` stays 0), so that every tensor a caller holds keeps its value.
        """
        size = self.max_lead + 1
        if self._in_place:
            if r >= size:
                for j in range(size):
                    self._acc[j].zero_()
                    self._dlv[j].zero_()
            else:
                for j in range(r):
                    self._acc[(self._base + j) % size].zero_()
                    self._dlv[(self._base + j) % size].zero_()
            self._base = (self._base + r) % size
        elif r > self.max_lead:
            self._acc = torch.zeros_like(self._acc)
            self._dlv = torch.zeros_like(self._dlv)
        else:
            pad = torch.zeros((r, *self._acc.shape[1:]), dtype=self.dtype, device=self.device)
            self._acc = torch.cat([self._acc[r:], pad])
            self._dlv = torch.cat([self._dlv[r:], pad])

    def _serve(
        self, on_hand: torch.Tensor, backlog: torch.Tensor, demand: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Step 3: (sales, lost, new backlog, new on-hand)."""
        if self.backorder:
            sales, backlog, on_hand = rules.serve_backorders(on_hand, backlog, demand)
            return sales, self._zero, backlog, on_hand
        sales, lost, on_hand = rules.serve_lost_sales(on_hand, demand)
        return sales, lost, backlog, on_hand

    def _simulate(self, t0: int, t1: int, orders: torch.Tensor | None) -> _Block:
        """Periods t0 .. t1-1: the order (if any) at t0, then demand; arrivals from the windows."""
        on_hand, backlog = self._on_hand, self._backlog
        keep = self.record
        starts, received, disposed, acc_arrived = [], [], [], []
        sales_l, short_l, on_hand_l = [], [], []
        accepted = None
        size = self.max_lead + 1
        # Without records only the block sums are kept: in place in a plain rollout (every operation
        # stays one [P, N] slab), out of place with grad (no stacked block for autograd to cut up)
        summed = not keep
        sums: list[torch.Tensor | None] = [None] * 4  # sales, received, on-hand, shortage
        revenue: torch.Tensor | None = None
        if self._in_place:
            sums = [torch.zeros_like(on_hand) for _ in range(4)]
            revenue = torch.zeros_like(on_hand)
        dlv_rows: tuple[torch.Tensor, ...] = ()
        acc_rows: tuple[torch.Tensor, ...] = ()
        for t in range(t0, t1):
            j = t - t0
            if j == 0 and orders is not None:
                start, rec, disp, acc_arr = self._pending
                i = self._review
                lead = self._lead[i]
                accepted = rules.accept(orders, None if self._unlimited[i] else self._capacity[i])
                delivered = rules.deliver(accepted, None if self._full_fill[i] else self._fill[i])
                slot = (lead if self._base == 0 else (lead + self._base) % size).unsqueeze(0)
                if self._in_place:
                    self._acc.scatter_add_(0, slot, accepted.unsqueeze(0))
                    self._dlv.scatter_add_(0, slot, delivered.unsqueeze(0))
                else:
                    self._acc = self._acc.scatter_add(0, slot, accepted.unsqueeze(0))
                    self._dlv = self._dlv.scatter_add(0, slot, delivered.unsqueeze(0))
                # rows as views of one unbind: reading rows by index would make autograd fill a zero
                # window per row read (SelectBackward); unbind's backward stacks the row gradients once
                dlv_rows, acc_rows = self._dlv.unbind(0), self._acc.unbind(0)
                if self._zero_lead[i]:  # lead time 0: arrives now, before demand
                    now = lead == 0
                    new = torch.where(now, delivered, 0.0)
                    on_hand, disp2 = self._receive(on_hand, new)
                    rec = rec + new
                    if keep:
                        disp = disp + disp2
                        acc_arr = acc_arr + torch.where(now, accepted, 0.0)
            elif orders is None:  # before the first review: nothing arrives
                start, rec, disp, acc_arr = on_hand, self._zero, self._zero, self._zero
                if t == 0:  # an initial on-hand above the storage capacity is disposed in period 0
                    on_hand, disp = self._receive(on_hand, self._zero)
            else:
                start = on_hand
                if j <= self.max_lead:
                    k = (self._base + j) % size
                    rec, acc_arr = dlv_rows[k], acc_rows[k]
                    on_hand, disp = self._receive(on_hand, rec)
                else:
                    rec, disp, acc_arr = self._zero, self._zero, self._zero
            sales, lost, backlog, on_hand = self._serve(on_hand, backlog, self._demand[t])
            if summed:
                short = backlog if self.backorder else lost
                if self._in_place:
                    assert revenue is not None and all(x is not None for x in sums)
                    revenue.addcmul_(sales, self._price[t])
                    for x, y in zip(sums, (sales, rec, on_hand, short), strict=True):
                        if y is not self._zero:
                            x.add_(y)  # type: ignore[union-attr]
                else:
                    revenue = (
                        sales * self._price[t]
                        if revenue is None
                        else torch.addcmul(revenue, sales, self._price[t])
                    )
                    for k, y in enumerate((sales, rec, on_hand, short)):
                        if y is not self._zero:
                            x = sums[k]
                            sums[k] = y if x is None else x + y
                continue
            received.append(rec)
            sales_l.append(sales)
            short_l.append(backlog if self.backorder else lost)
            on_hand_l.append(on_hand)
            if keep:
                starts.append(start)
                disposed.append(disp)
                acc_arrived.append(acc_arr)
        self._on_hand, self._backlog = on_hand, backlog

        def st(xs: list[torch.Tensor]) -> torch.Tensor:
            return torch.stack(xs) if xs else torch.empty(0)

        n = t1 - t0
        block = _Block(
            t0=t0,
            n=n,
            quantities=None
            if summed
            else torch.stack(sales_l + received + on_hand_l + short_l).view(4, n, *on_hand.shape),
            sums=tuple(self._zero if x is None else x for x in sums) if summed else None,
            revenue=(self._zero if revenue is None else revenue) if summed else None,
            last_on_hand=on_hand,
            on_hand_start=st(starts),
            disposed=st(disposed),
            ordered=orders,
            accepted=accepted,
            accepted_arrived=st(acc_arrived),
        )
        if keep:
            self._blocks.append(_detached(block))
        return block

    def _flows(self, b: _Block) -> dict[str, torch.Tensor]:
        """Step 4 over a block, summed per [P, N].

        ``period_cash_flows`` is linear in each quantity with a per-SKU coefficient; only the price changes
        with the period. So the sales go in period by period (with each period's price) and the other
        quantities as their sums over the block: one call books the whole block.
        """
        t0, n = b.t0, b.n
        if b.quantities is None:  # the block booked its revenue period by period (sales x price)
            assert b.sums is not None and b.revenue is not None
            sums, revenue = b.sums, b.revenue
        else:  # unbind, not select: see _simulate
            sums = b.quantities.sum(1).unbind(0)
            revenue = (b.quantities.unbind(0)[0] * self._price[t0 : t0 + n]).sum(0)
        ordered_positive = self._zero if b.ordered is None else (b.ordered > 0).to(self.dtype)
        out = rules.book_period(
            sales=revenue,  # the block's revenue at a price of 1
            purchased=sums[1],
            end_on_hand=sums[2],
            lost=sums[3],
            end_backlog=sums[3],
            orders_placed=ordered_positive,  # one order at most per block
            price=1.0,
            unit_cost=self._unit_cost,
            holding_cost=self._holding,
            penalty=self._penalty,
            fixed_order_cost=self._fixed,
            backorder=self.backorder,
            salvage_value=self._salvage,
            salvage_units=b.last_on_hand if t0 + n == self.horizon else None,
        )
        if not isinstance(out["salvage"], torch.Tensor):  # no salvage before the last block
            out["salvage"] = self._zero
        out["sales"] = sums[0]
        out["lost"] = self._zero if self.backorder else sums[3]
        out["demand"] = self._block_demand[t0]
        out["received"] = sums[1]
        out["on_hand_sum"] = sums[2]
        return out

    # ------------------------------------------------------------------ records

    def _records(self) -> pd.DataFrame:
        blocks = self._blocks
        p_len, n_len = self.n_paths, self.n_skus
        if not blocks:
            return pd.DataFrame(columns=list(RECORD_COLUMNS))

        def cat(name: str) -> torch.Tensor:
            return torch.cat([getattr(b, name) for b in blocks])

        t_len = sum(b.n for b in blocks)
        ordered = torch.zeros((t_len, p_len, n_len), dtype=self.dtype, device=self.device)
        accepted = torch.zeros_like(ordered)
        for b in blocks:
            if b.ordered is not None and b.accepted is not None:
                ordered[b.t0] = b.ordered
                accepted[b.t0] = b.accepted
        quantities = torch.cat([b.quantities for b in blocks if b.quantities is not None], dim=1)
        sales, received, on_hand, short = quantities
        acc_arrived = cat("accepted_arrived")
        zero = torch.zeros_like(short)
        lost, backlog = (zero, short) if self.backorder else (short, zero)
        cancelled = (ordered - accepted) + (acc_arrived - received)
        in_transit = torch.cumsum(accepted, 0) - torch.cumsum(acc_arrived, 0)
        salvage_units = torch.zeros_like(on_hand)
        if t_len == self.horizon:
            salvage_units[-1] = on_hand[-1]
        cash = rules.book_period(
            sales=sales,
            purchased=received,
            end_on_hand=on_hand,
            lost=lost,
            end_backlog=backlog,
            orders_placed=(ordered > 0).to(self.dtype),
            price=self._price[:t_len],
            unit_cost=self._unit_cost,
            holding_cost=self._holding,
            penalty=self._penalty,
            fixed_order_cost=self._fixed,
            backorder=self.backorder,
            salvage_value=self._salvage,
            salvage_units=salvage_units,
        )
        columns: dict[str, torch.Tensor] = {
            "on_hand_start": cat("on_hand_start"),
            "received": received,
            "disposed": cat("disposed"),
            "ordered": ordered,
            "cancelled": cancelled,
            "in_transit": in_transit,
            "owed": zero,
            "demand": self._demand[:t_len],
            "sales": sales,
            "lost": lost,
            "backlog": backlog,
            "shipped_downstream": torch.zeros_like(sales),
            "on_hand": on_hand,
            **cash,
        }
        # [T, P, N] -> rows ordered by (path, period, sku)
        data: dict[str, Any] = {
            "path": np.repeat(np.arange(p_len), t_len * n_len),
            "period": np.tile(np.repeat(np.arange(t_len), n_len), p_len),
            "node": _names(
                np.zeros(p_len * t_len * n_len, dtype=np.int64), [self.world.network.nodes[0].name]
            ),
            "sku": _names(np.tile(np.arange(n_len), p_len * t_len), list(self.world.skus)),
        }
        for name, x in columns.items():
            x = torch.broadcast_to(x, (t_len, p_len, n_len))
            data[name] = x.detach().to("cpu", torch.float64).permute(1, 0, 2).reshape(-1).numpy()
        return pd.DataFrame(data, columns=list(RECORD_COLUMNS))


def _names(codes: Any, names: list[str]) -> np.ndarray:
    """Names per row as an object column, like the des engine's (the strings themselves are shared)."""
    return np.asarray(names, dtype=object)[codes]


def _detached(b: _Block) -> _Block:
    def d(x: torch.Tensor | None) -> Any:
        return None if x is None else x.detach()

    return _Block(
        t0=b.t0,
        n=b.n,
        quantities=d(b.quantities),
        sums=None if b.sums is None else tuple(x.detach() for x in b.sums),
        revenue=d(b.revenue),
        last_on_hand=d(b.last_on_hand),
        on_hand_start=d(b.on_hand_start),
        disposed=d(b.disposed),
        ordered=d(b.ordered),
        accepted=d(b.accepted),
        accepted_arrived=d(b.accepted_arrived),
    )


def run(
    world: World,
    paths: ExogenousPaths,
    rule: OrderRule,
    *,
    record: bool = True,
    grad: bool = False,
    device: str | torch.device = "cpu",
    dtype: torch.dtype | str = torch.float64,
) -> SimulationResult:
    """Simulate ``world`` on ``paths`` with ``rule`` ordering at every review; the records of the run."""
    engine = BatchEngine(world, paths, record=record, grad=grad, device=device, dtype=dtype)
    engine.rollout(rule)
    return engine.result()


def rollout_totals(
    world: World,
    paths: ExogenousPaths,
    rule: OrderRule,
    *,
    grad: bool = False,
    device: str | torch.device = "cpu",
    dtype: torch.dtype | str = torch.float64,
) -> dict[str, torch.Tensor]:
    """The fast path: only the flows of the whole horizon per [P, M, N] (:data:`FLOW_KEYS`), no records.

    With ``grad=True`` the totals carry the autograd graph back to every order the rule placed (and to
    the rule's parameters): ``(-totals["reward"].sum()).backward()`` is one DirectBackprop step.
    """
    return BatchEngine(world, paths, record=False, grad=grad, device=device, dtype=dtype).rollout(rule)
