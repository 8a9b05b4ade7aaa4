"""One review block of the single-node batch engine, as a pure function of tensors.

:func:`simulate_block` runs the periods from one review to the next (or the periods before the first
review) for every (path, SKU) pair: (state, orders, the vendor's answer, exogenous slices, parameters,
running totals) -> (the state at the next review, the block's flows, the running totals). It calls the
rules of :mod:`restock.simulator.rules` period by period, writes nothing in place and reads no engine
attribute, so that the one function runs
eager, under autograd, and compiled (``torch.compile``: :mod:`restock.simulator.batch.compiled`) alike:
:class:`~restock.simulator.batch.engine.BatchEngine` calls it for every block, whichever the path.

The pipeline is two *windows* of K + 1 rows [P, N] (K = the longest lead time) relative to the block's
first period t0: row j holds the units due at t0 + j (accepted units, and the delivered share). Placing
the order adds it to the row of its lead time (``scatter_add``); the next block's windows are these
moved by the block's length (rows past the end are zero). Rows are read through one ``unbind`` per
window: indexing a row would make autograd fill a whole zero window per row read in the backward pass.

Cash flows are booked once per block: :func:`~restock.simulator.rules.period_cash_flows` is linear in each
quantity with a per-SKU coefficient, and only the price changes with the period, so the revenue is summed
period by period (sales x price) and booked at a price of 1, and the other quantities go in as their block
sums.

Running totals: given the totals of the blocks before it (``totals``), the block also adds its flows to
them, in the same function (compiled: the same fused kernel), so that a rollout reads the totals of the
horizon from the engine instead of adding every step's flows itself
(:func:`restock.simulator.engines.rollout`). The sum is ``total + flow`` per block, in block order: the
float operations of adding the step flows one by one.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from restock.simulator import rules
from restock.simulator.policy import base_stock_order, invalid_orders


class Carry(NamedTuple):
    """The state of the engine at the first period t0 of a block, after that period's arrivals."""

    on_hand: torch.Tensor
    """[P, N] after the arrivals due at t0."""
    backlog: torch.Tensor | None
    """[P, N] customer backlog (None under lost sales)."""
    accepted: torch.Tensor
    """[K + 1, P, N] the accepted units due at t0 + j (row 0 has arrived)."""
    delivered: torch.Tensor | None
    """[K + 1, P, N] the share of them the vendor delivers (None: all of them, every fill rate is 1; one
    window then serves both)."""
    on_hand_start: torch.Tensor | None
    """[P, N] on-hand at the start of t0, before its arrivals (for the records; None where the block
    keeps none)."""
    disposed: torch.Tensor | None
    """[P, N] arrivals of t0 beyond the storage capacity (None: no storage limit)."""
    position: torch.Tensor
    """[P, N] the inventory position at t0: on-hand - backlog + the units due after t0."""


class Vendor(NamedTuple):
    """What the vendor does with the order of one review."""

    lead: torch.Tensor
    """[P, N] lead times (int64, 0 .. K)."""
    capacity: torch.Tensor | None
    """[N] the most it accepts (None: no limit)."""
    fill: torch.Tensor | None
    """[P, N] the share of the accepted units it delivers (None: all)."""


class Params(NamedTuple):
    """The node's parameters, per SKU [N] (``storage`` a 0-d tensor, None for no limit)."""

    storage: torch.Tensor | None
    unit_cost: torch.Tensor
    holding: torch.Tensor
    penalty: torch.Tensor
    fixed: torch.Tensor
    salvage: torch.Tensor


class Records(NamedTuple):
    """The per-period quantities of a block (``keep=True`` only), [n, P, N] each."""

    sales: torch.Tensor
    received: torch.Tensor
    on_hand: torch.Tensor
    shortage: torch.Tensor
    """Lost units under lost sales, the end backlog under backorders."""
    on_hand_start: torch.Tensor
    disposed: torch.Tensor
    accepted_arrived: torch.Tensor
    """Accepted units due in each period (delivered + the fill-rate cut)."""


class BlockResult(NamedTuple):
    carry: Carry
    """The state at the block's end period (after its arrivals): the next review, or the horizon."""
    flows: dict[str, torch.Tensor] | None
    """The block's flows summed per [P, N]: :data:`restock.simulator.flows.TOTAL_KEYS` (None where not
    asked for: ``step_flows=False``)."""
    totals: dict[str, torch.Tensor] | None
    """The running totals [P, N] after the block, ``totals + flows`` per key (None where no totals came
    in)."""
    invalid: torch.Tensor | None
    """0-d: whether any order is invalid (:func:`~restock.simulator.policy.invalid_orders`); None without
    orders. The engine refuses the block (and keeps its state) where it holds."""
    accepted: torch.Tensor | None
    """[P, N] the units the vendor accepted of the order (None without orders)."""
    records: Records | None


def arrive(
    on_hand: torch.Tensor, delivered: torch.Tensor, storage: torch.Tensor | None
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Step 1 of a block's first period: row 0 of the delivered window arrives (:func:`rules.receive`).
    (new on-hand, disposed; None where there is no storage limit)."""
    on_hand, disposed = rules.receive(on_hand, delivered[0], storage)
    return on_hand, None if disposed is rules.NOTHING else disposed


def position(on_hand: torch.Tensor, backlog: torch.Tensor | None, accepted: torch.Tensor) -> torch.Tensor:
    """The inventory position at a window's first period: on-hand - backlog + the accepted units due
    after it (:attr:`restock.simulator.state.ReviewState.inventory_position`)."""
    pos = on_hand + accepted[1:].sum(0)
    return pos if backlog is None else pos - backlog


def _add(total: torch.Tensor | None, x: torch.Tensor | None) -> torch.Tensor | None:
    if x is None:
        return total
    return x if total is None else total + x


def simulate_block(
    carry: Carry,
    orders: torch.Tensor | None,
    vendor: Vendor | None,
    demand: torch.Tensor,
    price: torch.Tensor,
    params: Params,
    demand_sum: torch.Tensor,
    totals: dict[str, torch.Tensor] | None,
    *,
    backorder: bool,
    zero_lead: bool,
    last: bool,
    keep: bool,
    step_flows: bool = True,
) -> BlockResult:
    """Periods t0 .. t0 + n - 1 (n = ``demand``'s first axis): the order (if any) at t0, then demand;
    arrivals from the windows; then the windows moved to t0 + n and that period's arrivals.

    ``orders`` [P, N] with the ``vendor``'s answer (both None before the first review). ``demand`` and
    ``price`` [n, P, N]; ``demand_sum`` [P, N] the block's demand summed (exogenous: the engine sums it
    once; it is the block's ``demand`` flow). ``totals``: the running totals [P, N] of the blocks before
    (every :data:`~restock.simulator.flows.TOTAL_KEYS`) to add the flows to, or None. ``zero_lead``:
    some lead time may be 0 (such an order arrives at t0, before demand). ``last``: the block ends at the
    horizon (what is left on hand is salvaged). ``keep``: return the per-period :class:`Records`.
    ``step_flows``: return the block's flows (False: only the running totals, which must be given; a
    compiled block then writes none of the flows out). Writes nothing in place.
    """
    n = demand.shape[0]
    size = carry.accepted.shape[0]  # K + 1
    storage = params.storage
    on_hand, backlog = carry.on_hand, carry.backlog
    acc, dlv = carry.accepted, carry.delivered
    disposed0 = carry.disposed
    invalid = accepted = ordered = None
    if orders is not None:
        assert vendor is not None
        invalid = invalid_orders(orders).any()
        accepted = rules.accept(orders, vendor.capacity)
        delivered = rules.deliver(accepted, vendor.fill)
        slot = vendor.lead.unsqueeze(0)
        acc = acc.scatter_add(0, slot, accepted.unsqueeze(0))
        if dlv is not None:
            dlv = dlv.scatter_add(0, slot, delivered.unsqueeze(0))
        ordered = (orders > 0).to(orders.dtype)  # one order at most per block
        if zero_lead:  # lead time 0: arrives now, before demand
            on_hand, now = rules.receive(on_hand, torch.where(vendor.lead == 0, delivered, 0.0), storage)
            if now is not rules.NOTHING:
                disposed0 = _add(disposed0, now)
    acc_rows = acc.unbind(0)
    dlv_rows = acc_rows if dlv is None else dlv.unbind(0)
    sales_sum = received = on_hand_sum = short_sum = revenue = None
    kept: list[list[torch.Tensor | None]] = [[] for _ in Records._fields]
    for j in range(n):
        start = carry.on_hand_start if j == 0 else on_hand
        rec: torch.Tensor | None = dlv_rows[j] if j < size else None
        disp: torch.Tensor | None = disposed0
        if j > 0 and rec is not None:
            on_hand, d = rules.receive(on_hand, rec, storage)
            disp = None if d is rules.NOTHING else d
        elif j > 0:
            disp = None
        if backorder:
            assert backlog is not None
            sales, backlog, on_hand = rules.serve_backorders(on_hand, backlog, demand[j])
            short = backlog
        else:
            sales, short, on_hand = rules.serve_lost_sales(on_hand, demand[j])
        revenue = sales * price[j] if revenue is None else torch.addcmul(revenue, sales, price[j])
        sales_sum, received = _add(sales_sum, sales), _add(received, rec)
        on_hand_sum, short_sum = _add(on_hand_sum, on_hand), _add(short_sum, short)
        if keep:
            arrived = acc_rows[j] if j < size else None
            for rows, x in zip(kept, (sales, rec, on_hand, short, start, disp, arrived), strict=True):
                rows.append(x)
    assert sales_sum is not None and received is not None and on_hand_sum is not None
    assert short_sum is not None and revenue is not None
    zero = torch.zeros_like(on_hand)
    flows = rules.book_period(
        sales=revenue,  # the block's revenue at a price of 1
        purchased=received,
        end_on_hand=on_hand_sum,
        lost=short_sum,
        end_backlog=short_sum,
        orders_placed=zero if ordered is None else ordered,
        price=1.0,
        unit_cost=params.unit_cost,
        holding_cost=params.holding,
        penalty=params.penalty,
        fixed_order_cost=params.fixed,
        backorder=backorder,
        salvage_value=params.salvage,
        salvage_units=on_hand if last else None,
    )
    nothing: set[str] = set()  # the flows that are zero whatever the inputs
    if not isinstance(flows["salvage"], torch.Tensor):  # no salvage before the last block
        flows["salvage"] = zero
        nothing.add("salvage")
    flows["sales"] = sales_sum
    flows["lost"] = torch.zeros_like(on_hand) if backorder else short_sum
    if backorder:
        nothing.add("lost")
    flows["received"] = received
    flows["on_hand_sum"] = on_hand_sum
    flows["demand"] = demand_sum
    # (a total plus a flow of zeros is the total: the same value, and no pass over it compiled)
    running = None
    if totals is not None:
        running = {k: totals[k] if k in nothing else totals[k] + x for k, x in flows.items()}
    if not step_flows:
        assert running is not None, "step_flows=False needs the running totals"
    records = None
    if keep:
        records = Records(*(torch.stack([zero if x is None else x for x in rows]) for rows in kept))
    # the windows moved to t0 + n, and that period's arrivals
    acc, dlv = _moved(acc, n), None if dlv is None else _moved(dlv, n)
    start_next = on_hand if keep else None
    on_hand, disposed = arrive(on_hand, acc if dlv is None else dlv, storage)
    nxt = Carry(on_hand, backlog, acc, dlv, start_next, disposed, position(on_hand, backlog, acc))
    return BlockResult(nxt, flows if step_flows else None, running, invalid, accepted, records)


def _moved(window: torch.Tensor, r: int) -> torch.Tensor:
    """``window`` moved by ``r`` rows (row j becomes row j - r; the last rows are zero), a new tensor."""
    if r >= window.shape[0]:
        return torch.zeros_like(window)
    return torch.cat([window[r:], window.new_zeros((r, *window.shape[1:]))])


def simulate_reviews(
    carry: Carry,
    level: torch.Tensor,
    lead: torch.Tensor,
    capacity: torch.Tensor | None,
    fill: torch.Tensor | None,
    demand: torch.Tensor,
    price: torch.Tensor,
    params: Params,
    demand_sums: torch.Tensor,
    totals: dict[str, torch.Tensor],
    *,
    lengths: tuple[int, ...],
    backorder: bool,
    zero_lead: bool,
    last: bool,
) -> tuple[Carry, dict[str, torch.Tensor], torch.Tensor]:
    """Several review blocks in one call, ordering with the base-stock rule
    (:func:`~restock.simulator.policy.base_stock_order` on the block's position, ``level`` broadcast to
    [P, N]): the block ``i`` of ``lengths`` calls :func:`simulate_block` with the vendor's row ``i``
    (``lead``, ``fill`` [k, P, N], ``capacity`` [k, N]) and its periods of ``demand``/``price`` (the
    blocks' periods in a row; a price of one period [1, P, N] is broadcast); ``demand_sums`` [k, P, N].
    ``last``: the last block ends at the horizon. No records, no step flows. (the state after the last
    block, the running totals, whether any order was invalid: 0-d). The same float operations as the rule
    called between :func:`simulate_block` calls (what the compiled engine fuses into one graph)."""
    invalid: torch.Tensor | None = None
    t = 0
    for i, n in enumerate(lengths):
        orders = base_stock_order(level, carry.position)
        vendor = Vendor(lead[i], None if capacity is None else capacity[i], None if fill is None else fill[i])
        p = price.expand(n, -1, -1) if price.shape[0] == 1 else price[t : t + n]
        out = simulate_block(
            carry,
            orders,
            vendor,
            demand[t : t + n],
            p,
            params,
            demand_sums[i],
            totals,
            backorder=backorder,
            zero_lead=zero_lead,
            last=last and i == len(lengths) - 1,
            keep=False,
            step_flows=False,
        )
        assert out.totals is not None and out.invalid is not None
        carry, totals = out.carry, out.totals
        invalid = out.invalid if invalid is None else invalid | out.invalid
        t += n
    assert invalid is not None
    return carry, totals, invalid
