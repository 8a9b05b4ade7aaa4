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

Every update is out of place, so with ``grad=True`` the profit is differentiable with respect to every
order, through transfers and rationing. Gradients through rationing are those of ``min`` and of the share
``available / requested`` (piecewise smooth); whether a queue's oldest request is done is a comparison
with 0 (no gradient through it, as for any ``min``).

The pipeline is a window of K + 1 rows [P, M, N] (K = ``paths.max_lead_time``), row j the units due in
t + j (accepted and delivered shares apart: a fill-rate cut shows on arrival); moving to the next period
drops row 0 and appends a zero row (a list of rows, so nothing is copied).

It also runs a single node (M = 1), where :class:`~restock.simulator.batch.engine.BatchEngine` is the fast
path with its review-block booking; the parity tests run both against des.
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np
import pandas as pd
import torch

from restock.errors import InputError
from restock.simulator import rules
from restock.simulator.batch.engine import resolve_dtype
from restock.simulator.engines import rollout
from restock.simulator.flows import KEY_COLUMNS, QUANTITY_COLUMNS, TOTAL_KEYS, TOTAL_SOURCES
from restock.simulator.paths import ExogenousPaths, check_fit
from restock.simulator.policy import OrderRule, ReviewState, check_orders
from restock.simulator.records import SimulationResult
from restock.simulator.topology import layout, node_costs
from restock.simulator.world import World


class NetworkEngine:
    """The batch engine over a tree of nodes (see the module docstring).

    Args are those of :class:`~restock.simulator.batch.engine.BatchEngine`: ``record`` (keep every
    period's quantities for :meth:`result`), ``grad`` (build the autograd graph), ``device``, ``dtype``.
    """

    name = "batch"

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
        self.max_lead = paths.max_lead_time
        self.shape = (paths.n_paths, net.n_nodes, world.n_skus)

        def tens(a: Any, dtype: torch.dtype | None = None) -> torch.Tensor:
            return torch.as_tensor(np.ascontiguousarray(a), dtype=dtype or self.dtype, device=self.device)

        def column(values: Any) -> torch.Tensor:  # [M] -> [1, M, 1]
            return tens(np.asarray(values, dtype=np.float64)[None, :, None])

        # period-major exogenous inputs: period t is a [P, M, N] slice
        self._demand = tens(paths.demand.transpose(1, 0, 2, 3))
        self._price = tens(paths.price.transpose(1, 0, 2)[:, :, None, :])  # [T, P, 1, N]
        self._lead = tens(paths.lead_time.transpose(1, 0, 2, 3), torch.int64)
        self._fill = tens(paths.fill_rate.transpose(1, 0, 2, 3))
        self._capacity = tens(paths.capacity)  # [T, M, N]
        lead_np = paths.lead_time
        self._leads = [sorted(set(np.unique(lead_np[:, t]).tolist())) for t in range(self.horizon)]
        """Per period: the distinct lead times of its shipments (one masked add per value)."""
        self._unlimited = np.isinf(paths.capacity).all(axis=(1, 2)).tolist()
        self._full_fill = (paths.fill_rate == 1).all(axis=(0, 2, 3)).tolist()
        vendor_fed = np.asarray(net.source_index) < 0
        self._vendor = column(vendor_fed)
        self._node_fed = column(~vendor_fed)
        self._has_transfers = bool((~vendor_fed).any())
        storage = net.storage_capacity
        self._storage = None if np.isinf(storage).all() else column(storage)
        backorder = np.asarray(net.backorder)
        self._backorder = column(backorder) > 0  # [1, M, 1] bool
        self._any_backorder, self._all_backorder = bool(backorder.any()), bool(backorder.all())
        eco, costs = world.economics, node_costs(world)
        self._unit_cost, self._fixed = tens(eco.unit_cost), tens(eco.fixed_order_cost)
        self._salvage = tens(eco.salvage_value)
        self._holding, self._penalty = tens(costs.holding), tens(costs.penalty)
        self._transit = None if costs.transit_holding is None else tens(costs.transit_holding)
        self._initial = tens(np.broadcast_to(world.start_on_hand()[None], self.shape).copy())
        self._zero = torch.zeros(self.shape, dtype=self.dtype, device=self.device)
        # transfers, by level of the shipping node (upstream first)
        self._levels: list[list[int]] = []
        for u in net.shippers():
            level = net.levels[u]
            while len(self._levels) <= level:
                self._levels.append([])
            self._levels[level].append(u)
        self._kids = {u: torch.tensor(net.children[u], device=self.device) for u in net.shippers()}
        self._self = {u: torch.tensor([u], device=self.device) for u in net.shippers()}
        self._queued = [u for u in net.shippers() if net.backorder[u]]
        """Shippers that backorder their children's requests (a queue each)."""
        self.initial_totals: dict[str, torch.Tensor] = {}
        self._t = -1

    # ------------------------------------------------------------------ the interface

    def reset(self) -> ReviewState:
        """Back to period 0: simulate the periods before the first review; the state at the first review."""
        with self._grad_mode():
            rows = self.max_lead + 1
            self._due_acc = [self._zero] * rows
            self._due_dlv = [self._zero] * rows
            self._on_hand = self._initial.clone()
            self._backlog = self._zero
            self._in_transit = self._zero
            self._owed = self._zero
            self._requests = self._zero
            self._queues: dict[int, list[torch.Tensor]] = {u: [] for u in self._queued}
            self._periods: list[dict[str, torch.Tensor]] = []
            self._t = 0
            self._arrive()
            totals = self._run_until(self.reviews[0], None)
            self.initial_totals = totals
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
            q = torch.as_tensor(orders, dtype=self.dtype, device=self.device)
            check_orders(q, self.shape, self._t)
            nxt = next((r for r in self.reviews if r > self._t), self.horizon)
            totals = self._run_until(nxt, q)
            return self._state(), totals

    def rollout(self, rule: OrderRule) -> dict[str, torch.Tensor]:
        """Reset, then order with ``rule`` at every review: the flows of the horizon per [P, M, N]."""

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

    # ------------------------------------------------------------------ the periods

    def _grad_mode(self) -> contextlib.AbstractContextManager[Any]:
        return contextlib.nullcontext() if self.grad else torch.no_grad()

    def _state(self) -> ReviewState:
        """The state at period ``self._t`` after its arrivals (terminal at the horizon)."""
        k = self.max_lead
        pipeline = torch.stack(self._due_acc[1 : k + 1], -1) if k else self._zero.unsqueeze(-1)[..., :0]
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
            total = self._owed.index_select(1, self._kids[u]).sum(1, keepdim=True)
            owes = owes + torch.zeros_like(self._zero).index_add(1, self._self[u], total)
        return owes

    def _arrive(self) -> None:
        """Step 1 of period ``self._t``: what is due arrives; the period's first flows."""
        acc, dlv = self._due_acc[0], self._due_dlv[0]
        start = self._on_hand
        self._on_hand, disposed = self._receive(start, dlv)
        self._in_transit = self._in_transit - acc
        self._flows = {
            "on_hand_start": start,
            "received": dlv,
            "received_vendor": dlv * self._vendor,
            "disposed": disposed,
            "cancelled": acc - dlv,
            "ordered": self._zero,
            "ordered_positive": self._zero,
            "shipped_downstream": self._zero,
        }

    def _receive(self, on_hand: torch.Tensor, arriving: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        on_hand, disposed = rules.receive(on_hand, arriving, self._storage)
        return on_hand, self._zero if disposed is rules.NOTHING else disposed

    def _ship(self, t: int, accepted: torch.Tensor, delivered: torch.Tensor) -> None:
        """Units accepted [P, M, N] (and their delivered share) leave for their nodes in period ``t``, due
        at t + the node's lead time of the period; lead time 0 arrives now."""
        lead = self._lead[t]
        self._in_transit = self._in_transit + accepted
        for v in self._leads[t]:
            if v == 0:
                now = lead == 0
                acc_now, dlv_now = torch.where(now, accepted, 0.0), torch.where(now, delivered, 0.0)
                self._on_hand, disposed = self._receive(self._on_hand, dlv_now)
                f = self._flows
                f["received"] = f["received"] + dlv_now
                f["received_vendor"] = f["received_vendor"] + dlv_now * self._vendor
                f["disposed"] = f["disposed"] + disposed
                f["cancelled"] = f["cancelled"] + (acc_now - dlv_now)
                self._in_transit = self._in_transit - acc_now
            elif len(self._leads[t]) == 1:
                self._due_acc[v] = self._due_acc[v] + accepted
                self._due_dlv[v] = self._due_dlv[v] + delivered
            else:
                at = lead == v
                self._due_acc[v] = self._due_acc[v] + torch.where(at, accepted, 0.0)
                self._due_dlv[v] = self._due_dlv[v] + torch.where(at, delivered, 0.0)

    def _order(self, t: int, q: torch.Tensor) -> None:
        """Step 2: the orders of review ``t``."""
        f = self._flows
        f["ordered"] = q
        f["ordered_positive"] = (q > 0).to(self.dtype)
        accepted = rules.accept(q, None if self._unlimited[t] else self._capacity[t])
        f["cancelled"] = f["cancelled"] + (q - accepted)
        vendor = accepted * self._vendor
        self._requests = accepted * self._node_fed if self._has_transfers else self._zero
        fill = None if self._full_fill[t] else self._fill[t]
        self._ship(t, vendor, rules.deliver(vendor, fill))

    def _transfers(self, t: int, review: bool) -> None:
        """Step 3: every shipping node, upstream levels first."""
        for level in self._levels:
            shipped_all = self._zero
            for u in level:
                if u in self._queues:
                    shipped = self._serve_queue(u, review)
                elif review:
                    shipped = self._ration(u)
                else:
                    continue
                shipped_all = shipped_all + shipped
            if shipped_all is not self._zero:
                self._ship(t, shipped_all, shipped_all)

    def _take(self, u: int, shipped: torch.Tensor) -> torch.Tensor:
        """Node ``u`` ships ``shipped`` [C, P, N] to its children; the shipment as [P, M, N]."""
        kids = self._kids[u]
        total = shipped.sum(0)
        out = torch.zeros_like(self._zero).index_add(1, kids, shipped.movedim(0, 1))
        one = torch.zeros_like(self._zero).index_add(1, self._self[u], total.unsqueeze(1))
        self._on_hand = self._on_hand - one
        f = self._flows
        f["shipped_downstream"] = f["shipped_downstream"] + one
        return out

    def _ration(self, u: int) -> torch.Tensor:
        """A lost-sales node ships its children's requests of this review, pro rata; the cut is cancelled."""
        kids = self._kids[u]
        req = self._requests.index_select(1, kids).movedim(1, 0)  # [C, P, N]
        shipped, _ = rules.ration(req, self._on_hand[:, u])
        cut = torch.zeros_like(self._zero).index_add(1, kids, (req - shipped).movedim(0, 1))
        self._flows["cancelled"] = self._flows["cancelled"] + cut
        return self._take(u, shipped)

    def _serve_queue(self, u: int, review: bool) -> torch.Tensor:
        """A backordering node adds this review's requests to its queue and ships from it, oldest first."""
        kids, queue = self._kids[u], self._queues[u]
        if review:
            new = self._requests.index_select(1, kids).movedim(1, 0)  # [C, P, N]
            if len(kids) == 1 and queue:  # one requester: first-come first-served is the total
                queue[0] = queue[0] + new
            else:
                queue.append(new)
        if not queue:
            return self._zero
        parts, owed, _ = rules.serve_queue(queue, self._on_hand[:, u])
        while owed and not bool(owed[0].detach().any()):  # drop the requests served in full
            owed.pop(0)
        queue[:] = owed
        waiting = sum(owed[1:], owed[0]) if owed else torch.zeros_like(parts[0])
        rows = torch.zeros_like(self._zero).index_add(1, kids, waiting.movedim(0, 1))
        keep = torch.ones(self.shape[1], dtype=self.dtype, device=self.device).index_fill(0, kids, 0.0)
        self._owed = self._owed * keep[None, :, None] + rows
        return self._take(u, sum(parts[1:], parts[0]))

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
        totals: dict[str, torch.Tensor] = {}
        while self._t < t1:
            t = self._t
            review = t in self._review_set and orders is not None
            if review:
                assert orders is not None
                self._order(t, orders)
                orders = None
            self._transfers(t, review)
            sales, lost = self._demand_step(t)
            flows = self._flows
            flows.update(
                sales=sales,
                lost=lost,
                demand=self._demand[t],
                backlog=self._backlog,
                on_hand=self._on_hand,
                in_transit=self._in_transit,
                owed=self._owed,
            )
            flows.update(self._book(t, flows))
            for k in TOTAL_KEYS:
                x = flows[TOTAL_SOURCES[k]]
                totals[k] = x if k not in totals else totals[k] + x
            if self.record:
                self._periods.append({k: flows[k].detach() for k in QUANTITY_COLUMNS})
            self._due_acc = [*self._due_acc[1:], self._zero]
            self._due_dlv = [*self._due_dlv[1:], self._zero]
            self._t = t + 1
            self._arrive()
        return {k: totals.get(k, self._zero) for k in TOTAL_KEYS}

    def _book(self, t: int, f: dict[str, torch.Tensor]) -> dict[str, Any]:
        """Step 5: the money of period ``t``."""
        shortage = f["lost"]
        if self._any_backorder:
            shortage = (
                f["backlog"] if self._all_backorder else torch.where(self._backorder, f["backlog"], shortage)
            )
        last = t == self.horizon - 1
        money = rules.book_period(
            sales=f["sales"],
            received=f["received_vendor"],
            end_on_hand=f["on_hand"],
            lost=shortage,
            end_backlog=shortage,
            ordered_positive=f["ordered_positive"],
            price=self._price[t],
            unit_cost=self._unit_cost,
            holding_cost=self._holding,
            penalty=self._penalty,
            fixed_order_cost=self._fixed,
            backorder=False,
            in_transit=f["in_transit"],
            transit_holding_cost=self._transit,
            salvage_value=self._salvage,
            salvage_units=f["on_hand"] if last else None,
        )
        if not isinstance(money["salvage"], torch.Tensor):
            money["salvage"] = self._zero
        return {k: torch.broadcast_to(v, self.shape) for k, v in money.items()}

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
        for c in QUANTITY_COLUMNS:
            if t:
                x = torch.stack([period[c] for period in self._periods], 1)  # [P, T, M, N]
                data[c] = x.to("cpu", torch.float64).reshape(-1).numpy()
            else:
                data[c] = np.zeros(0)
        return pd.DataFrame(data, columns=[*KEY_COLUMNS, *QUANTITY_COLUMNS])
