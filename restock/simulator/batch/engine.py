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

The block function
------------------
The periods of one review block are one pure function of tensors,
:func:`restock.simulator.batch.block.simulate_block`: (state, orders, the vendor's answer, the block's
demand and prices, the parameters) -> (the state at the next review, the block's flows). It calls the
rules period by period and writes nothing in place, so that the one function runs eager, under autograd
(``grad=True``: gradients flow from profit to every order quantity) and through ``torch.compile``
(``compile``: :mod:`restock.simulator.batch.compiled`) alike; the engine gathers its inputs, calls it and
keeps the new state. The pipeline is two *windows* of K + 1 rows [P, N] (K = ``paths.max_lead_time``)
relative to the block's first period (one when every fill rate is 1); a review state's pipeline is a view
of the window, which is never written to. The block also returns the inventory position at the next
review (:attr:`ReviewState.position`) and whether any order was invalid (then the engine raises the
:func:`~restock.simulator.policy.check_orders` error and keeps its state). The engine keeps the totals of
the run (:meth:`BatchEngine.running_totals`, read by ``rollout``): compiled without grad the block adds its
flows to them in the same kernel, otherwise the engine adds them after the block.

Engine-wide cases pick the block's code once (one compiled graph for every review): whether any lead time
is 0, whether any capacity is finite, whether any fill rate is below 1, a storage limit, and a price
constant over the periods (held as one period [1, P, N] and read as a broadcast slab).

Cash flows are booked once per review block: ``period_cash_flows`` is linear in each quantity with a
per-SKU coefficient, and only the price changes with the period, so one call takes the block's revenue
(summed period by period as sales x price) and the other quantities as block sums. The records
(``record=True``) are built from the stacked per-period quantities at the end of the run, not in the loop.

Storage: with an infinite storage capacity, ``receive`` is an addition (nothing can be disposed). An
initial on-hand above the storage capacity is disposed in period 0 (the des engine disposes it at the
first arrival; the world model leaves the case open).

Sizes: a plain rollout holds the exogenous inputs (demand [T, P, N], and prices unless constant), the lead
times and fill rates at reviews, block demand sums and the windows (``restock bench`` reports the bytes
per SKU-period); with ``grad=True`` autograd keeps more until backward.
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
from restock.simulator.arrays import like
from restock.simulator.batch import block
from restock.simulator.batch.compiled import BlockRunner, check_compile
from restock.simulator.engines import add_total, rollout
from restock.simulator.flows import RECORD_COLUMNS, TOTAL_KEYS
from restock.simulator.paths import ExogenousPaths
from restock.simulator.policy import BaseStock, OrderRule, ReviewState, check_orders
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


REVIEWS_PER_CALL = 4
"""Review blocks per compiled call of a rollout with a fused base-stock rule (:meth:`BatchEngine.rollout`):
fewer calls, fewer guard checks and Python round trips; more periods per graph to compile."""


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
    """The per-period records of one review block (``record=True``), [n, P, N] each unless said."""

    t0: int
    n: int
    """Periods in the block."""
    quantities: torch.Tensor
    """[4, n, P, N]: sales, received, end on-hand, and the shortage (lost units under lost sales, end
    backlog under backorders) of each period."""
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
        compile: ``"off"`` (default: eager), ``"auto"`` (compile big forward rollouts, ``grad=False``, where
            ``torch.compile`` works, else eager, with a one-line warning where it fails) or ``"on"``
            (always compile; an :class:`InputError` where it cannot): each review block through
            ``torch.compile`` (:mod:`restock.simulator.batch.compiled`). Compiled and eager run the one
            block function (:func:`restock.simulator.batch.block.simulate_block`) and agree to 1e-6.

    The interface (:class:`restock.simulator.engines.Engine`, shared with the des engine): :meth:`reset`
    returns the :class:`ReviewState` at the first review; :meth:`step` places orders [P, M, N] there,
    simulates up to the next review and returns the next state (the terminal state at the horizon) and the
    flows of the simulated periods summed per [P, M, N] (:data:`FLOW_KEYS`). The flows of the periods that
    :meth:`reset` simulates before the first review (``review_offset > 0``) are in :attr:`initial_totals` (as
    in the des engine): ``initial_totals`` plus the step flows sum to the totals of the horizon, and the
    engine keeps that sum as it goes (:meth:`running_totals`, the optional capability
    :class:`~restock.simulator.engines.RunningTotals` that ``rollout`` reads).
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
        check_compile(compile)
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
        price = paths.price.transpose(1, 0, 2)
        self._constant_price = bool((price == price[:1]).all())
        """The same price in every period: held as one period [1, P, N] (read as a broadcast slab)."""
        self._price = tens(price[:1] if self._constant_price else price)
        # What the vendor does with an order is only needed at reviews: [n_reviews, P, N] (capacity [R, N]).
        self._lead = tens(paths.lead_time[:, rv, 0, :].transpose(1, 0, 2), torch.int64)
        self._fill = tens(paths.fill_rate[:, rv, 0, :].transpose(1, 0, 2))
        self._capacity = tens(paths.capacity[rv, 0, :])
        starts = [0] * (reviews[0] > 0) + reviews
        ends = [*starts[1:], world.horizon]
        self._block_demand = block_sums(self._demand, starts, ends)
        """Demand summed over each block (exogenous: computed once), by first period."""
        # Engine-wide cases (one compiled graph for every review; the eager path does the same):
        self._zero_lead = bool((paths.lead_time[:, rv, 0, :] == 0).any())
        """Some order may have lead time 0 (it arrives at its review, before demand)."""
        self._unlimited = bool(np.isinf(paths.capacity[rv, 0, :]).all())
        """No capacity limit at any review (the vendor accepts every order whole)."""
        self._full_fill = bool((paths.fill_rate[:, rv, 0, :] == 1).all())
        """Every fill rate is 1 (the vendor delivers everything it accepts)."""
        econ = world.economics
        # the one vendor's cost factor, on every unit received
        self._params = block.Params(
            storage=self.storage,
            unit_cost=tens(econ.unit_cost * world.network.vendor(node.source).unit_cost_factor),
            holding=tens(costs.holding[0]),
            penalty=tens(costs.penalty[0]),
            fixed=tens(econ.fixed_order_cost),
            salvage=tens(econ.salvage_value),
        )
        self._initial = tens(np.tile(world.start_on_hand()[0], (self.n_paths, 1)))
        self._started = False
        self._totals: dict[str, torch.Tensor] | None = None
        """The running totals [P, N] since :meth:`reset` (:meth:`running_totals`)."""
        self._review_demand: torch.Tensor | None = None
        """[n_reviews, P, N] the demand of each review's block (the fused rollout's; built when first
        used)."""
        self._run_block = BlockRunner(
            compile, self.n_paths * self.n_skus * self.horizon, self.device, grad=grad
        )
        self.compile = self._run_block.mode

    # ------------------------------------------------------------------ the interface

    def reset(self) -> ReviewState:
        """Back to period 0: simulate the periods before the first review; the state at the first review."""
        with self._grad_mode():
            shape = (self.max_lead + 1, self.n_paths, self.n_skus)
            accepted = torch.zeros(shape, dtype=self.dtype, device=self.device)
            delivered = None if self._full_fill else torch.zeros_like(accepted)
            start = self._initial.clone()
            # period 0's arrivals (none): an initial on-hand above the storage capacity is disposed here
            on_hand, disposed = block.arrive(start, accepted, self._params.storage)
            backlog = torch.zeros_like(on_hand) if self.backorder else None
            self._no_backlog = torch.zeros_like(on_hand)  # every state's backlog under lost sales
            position = block.position(on_hand, backlog, accepted)
            kept_start = start if self.record else None
            self._carry = block.Carry(on_hand, backlog, accepted, delivered, kept_start, disposed, position)
            self._blocks: list[_Block] = []
            self._review = 0
            first = self.reviews[0]
            self._totals = None
            if first > 0:
                flows = self._simulate(0, first, None)
                assert flows is not None
            else:
                flows = {k: torch.zeros_like(on_hand) for k in FLOW_KEYS}
            self.initial_totals = {k: flows[k].unsqueeze(1) for k in FLOW_KEYS}
            self._totals = {k: flows[k].clone() for k in FLOW_KEYS}  # its own: added to in place
            self._t = first
            self._started = True
            return self._state()

    def rollout(self, rule: OrderRule) -> dict[str, torch.Tensor]:
        """Reset, then order with ``rule`` at every review: the flows of the whole horizon per [P, M, N].

        Compiled, with records off, a :class:`~restock.simulator.policy.BaseStock` rule is computed inside
        the compiled graph, :data:`REVIEWS_PER_CALL` review blocks per call
        (:func:`~restock.simulator.batch.block.simulate_reviews`: the same float operations as the rule
        called between blocks); any other rule, and the eager engine, go through
        :func:`restock.simulator.engines.rollout`."""
        level = self._fused_level(rule)
        if level is None:
            return super().rollout(rule)
        with self._grad_mode():
            self.reset()
            if not self._run_block.compiled:  # compiling failed in reset ("auto": eager from now on)
                return super().rollout(rule)
            while self._t < self.horizon:
                self._fused_reviews(rule, level)
            return self.running_totals()

    def _fused_level(self, rule: OrderRule) -> torch.Tensor | None:
        """The base-stock level [P, N] (a broadcast view) where :meth:`rollout` fuses the rule, else None."""
        if type(rule) is not BaseStock or not self._run_block.compiled or self.record or self.grad:
            return None
        level = like(rule.level, self._initial)
        shape = (self.n_paths, 1, self.n_skus)
        if not isinstance(level, torch.Tensor) or level.dim() > 2:
            return None
        try:
            if torch.broadcast_shapes(level.shape, shape) != shape:
                return None
        except RuntimeError:
            return None
        return torch.broadcast_to(level, shape)[:, 0, :]

    def _fused_reviews(self, rule: OrderRule, level: torch.Tensor) -> None:
        """Up to :data:`REVIEWS_PER_CALL` reviews from the current one in one compiled call; where an
        order is invalid, the same reviews step by step (which raises at the review, the state there)."""
        i, t0 = self._review, self._t
        lengths: list[int] = []
        t = t0
        while t < self.horizon and len(lengths) < REVIEWS_PER_CALL:
            n = min(t + self.review_period, self.horizon) - t
            lengths.append(n)
            t += n
        k = len(lengths)
        if self._review_demand is None:
            self._review_demand = torch.stack([self._block_demand[r] for r in self.reviews])
        assert self._totals is not None
        carry, totals, invalid = self._run_block.reviews(
            self._carry,
            level,
            self._lead[i : i + k],
            None if self._unlimited else self._capacity[i : i + k],
            None if self._full_fill else self._fill[i : i + k],
            self._demand[t0:t],
            self._price if self._constant_price else self._price[t0:t],
            self._params,
            self._review_demand[i : i + k],
            self._totals,
            lengths=tuple(lengths),
            backorder=self.backorder,
            zero_lead=self._zero_lead,
            last=t == self.horizon,
        )
        if bool(invalid):  # the error path: eager (no more graphs), the same orders
            runner = self._run_block
            compiled, runner.compiled = runner.compiled, False
            try:
                for _ in range(k):
                    self.step_totals(rule(self._state()))  # raises at the invalid review
            finally:
                runner.compiled = compiled
            return
        self._carry, self._totals = carry, totals
        self._review += k
        self._t = t

    def step(self, orders: Any) -> tuple[ReviewState, dict[str, torch.Tensor]]:
        """Place ``orders`` [P, M, N] at the current review; simulate up to the next review (excluded).

        Returns the state at the next review (the terminal state once the horizon is reached: on-hand
        after the arrivals due at the horizon) and the flows of the simulated periods summed per
        [P, M, N] (:data:`FLOW_KEYS`).
        """
        state, flows = self._step(orders, step_flows=True)
        assert flows is not None
        return state, {k: v.unsqueeze(1) for k, v in flows.items()}

    def step_totals(self, orders: Any) -> ReviewState:
        """:meth:`step` without returning its flows: they only go into :meth:`running_totals` (compiled
        without grad, the block then writes none of them out). The next state."""
        return self._step(orders, step_flows=False)[0]

    def _step(self, orders: Any, *, step_flows: bool) -> tuple[ReviewState, dict[str, torch.Tensor] | None]:
        if not self._started:
            raise InputError("batch engine: call reset() before step()")
        if self._t >= self.horizon:
            raise InputError(f"batch engine: the horizon ({self.horizon}) is reached; call reset()")
        with self._grad_mode():
            q = torch.as_tensor(orders, dtype=self.dtype, device=self.device)
            shape = (self.n_paths, 1, self.n_skus)
            if tuple(q.shape) != shape:
                check_orders(q, shape, self._t)  # raises: the shape
            t0 = self._t
            t1 = min(t0 + self.review_period, self.horizon)
            # a view (select's backward would fill a zero tensor); the values are checked in the block
            flows = self._simulate(t0, t1, q.squeeze(1), step_flows=step_flows)
            self._review += 1
            self._t = t1
            return self._state(), flows

    def running_totals(self) -> dict[str, torch.Tensor]:
        """:attr:`initial_totals` plus the flows of every :meth:`step` since :meth:`reset`, per [P, M, N]
        (:data:`FLOW_KEYS`): what :func:`~restock.simulator.engines.rollout` reads instead of adding the
        step flows (:class:`~restock.simulator.engines.RunningTotals`).

        Each step adds its flows, in block order (``total + flow``: the float operations of adding the
        step flows one by one). Compiled without grad, the block function adds them in the compiled
        kernel; otherwise the engine adds them after the block, in place unless an autograd graph runs
        through them (out of place with ``grad=True``: the totals carry the graph to every order, and
        autograd walks back only the keys a loss uses). New tensors at every :meth:`reset`; a later step
        of the same run may add to them."""
        if not self._started or self._totals is None:
            raise InputError("batch engine: call reset() before running_totals()")
        return {k: v.unsqueeze(1) for k, v in self._totals.items()}

    # ------------------------------------------------------------------ the periods

    def _state(self) -> ReviewState:
        """The state at period ``self._t`` after its arrivals (terminal at the horizon)."""
        c = self._carry
        pipeline = c.accepted[1:].permute(1, 2, 0).unsqueeze(1)  # a view: windows are never written to
        backlog = self._no_backlog if c.backlog is None else c.backlog
        return ReviewState(
            t=self._t,
            on_hand=c.on_hand.unsqueeze(1),
            backlog=backlog.unsqueeze(1),
            pipeline=pipeline,
            terminal=self._t >= self.horizon,
            position=c.position.unsqueeze(1),
        )

    def _simulate(
        self, t0: int, t1: int, orders: torch.Tensor | None, *, step_flows: bool = True
    ) -> dict[str, torch.Tensor] | None:
        """Periods t0 .. t1-1 (:func:`~restock.simulator.batch.block.simulate_block`, compiled or eager):
        the order (if any) at t0, then demand; the block's flows per [P, N] (None where ``step_flows``
        is False and the block added them to the running totals). The engine moves to t1 only when every
        order is valid (else an :class:`InputError`, the state unchanged)."""
        fused = self._totals is not None and self._run_block.compiled and not self.grad
        vendor = None
        if orders is not None:
            i = self._review
            vendor = block.Vendor(
                self._lead[i],
                None if self._unlimited else self._capacity[i],
                None if self._full_fill else self._fill[i],
            )
        out = self._run_block(
            self._carry,
            orders,
            vendor,
            self._demand[t0:t1],
            self._price.expand(t1 - t0, -1, -1) if self._constant_price else self._price[t0:t1],
            self._params,
            self._block_demand[t0],
            self._totals if fused else None,
            backorder=self.backorder,
            zero_lead=self._zero_lead and orders is not None,
            last=t1 == self.horizon,
            keep=self.record,
            step_flows=step_flows or not fused,
        )
        if out.invalid is not None and bool(out.invalid):
            assert orders is not None
            check_orders(orders.unsqueeze(1), (self.n_paths, 1, self.n_skus), t0)  # raises: the value
        self._carry = out.carry
        if out.totals is not None:  # summed in the (compiled) block
            self._totals = out.totals
        elif self._totals is not None:
            flows = out.flows
            assert flows is not None
            self._totals = {k: add_total(v, flows[k]) for k, v in self._totals.items()}
        if out.records is not None:
            r = out.records
            self._blocks.append(
                _Block(
                    t0=t0,
                    n=t1 - t0,
                    quantities=torch.stack([r.sales, r.received, r.on_hand, r.shortage]).detach(),
                    on_hand_start=r.on_hand_start.detach(),
                    disposed=r.disposed.detach(),
                    ordered=None if orders is None else orders.detach(),
                    accepted=None if out.accepted is None else out.accepted.detach(),
                    accepted_arrived=r.accepted_arrived.detach(),
                )
            )
        return out.flows

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
        quantities = torch.cat([b.quantities for b in blocks], dim=1)
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
            unit_cost=self._params.unit_cost,
            holding_cost=self._params.holding,
            penalty=self._params.penalty,
            fixed_order_cost=self._params.fixed,
            backorder=self.backorder,
            salvage_value=self._params.salvage,
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
