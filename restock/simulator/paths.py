"""Exogenous paths: everything random that does not depend on the buying decisions.

Demand, vendor lead times, fill rates, vendor capacities and selling prices are sampled once per
(scenario, seed) before a run, from generators spawned from one root seed (``restock.seeding``): a child per
component, so adding a new random component never shifts the numbers of another. Both engines consume the
same :class:`ExogenousPaths`, every policy under comparison is evaluated on the same paths, and the batch
engine can backpropagate through a rollout on them.

Shapes (P paths, T periods, M nodes in ``world.network.nodes`` order, A arcs in ``world.network.arcs()``
order, N SKUs; arc m < M is node m's own source, so A = M when no node has extra sources):

============  ============  ===============================================================================
demand        [P, T, M, N]  customer demand arriving at node m in period t (0 at non-customer-facing nodes)
lead_time     [P, T, A, N]  lead time (periods) of an order placed on arc a in period t
fill_rate     [P, T, A, N]  share of that order the source delivers (1 for transfers between nodes)
capacity      [T, A, N]     most units of one SKU arc a's vendor accepts for an order placed in t (inf: none)
price         [P, T, N]     selling price in period t
============  ============  ===============================================================================

Vendor disruptions are applied here, to the paths, so that engines stay free of special cases.

Dtypes and memory: demand of whole units may be float32 (exact below 2**24 units; a scenario's stationary
demand is, :mod:`restock.scenarios.build`), lead times a small integer dtype (:func:`sample_paths` gives
int16 unless a lead time needs more), and an array that is the same along an axis may be a read-only
broadcast view (``np.broadcast_to``): :func:`sample_paths` gives the fill rate and the capacity of a vendor
without Beta fill rates or disruptions as views of one number per arc, and a scenario's price without
shocks as a view of one price per SKU. Engines only read the arrays and take any of these.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from restock import seeding
from restock.errors import InputError
from restock.simulator.world import World


@dataclass(frozen=True)
class ExogenousPaths:
    """Pre-sampled exogenous randomness of a run (see the module docstring for shapes)."""

    demand: np.ndarray
    lead_time: np.ndarray
    fill_rate: np.ndarray
    capacity: np.ndarray
    price: np.ndarray

    def __post_init__(self) -> None:
        if self.demand.ndim != 4:
            raise InputError(
                f"paths.demand must have shape [paths, periods, nodes, skus], got {self.demand.shape}"
            )
        p, t, m, n = self.demand.shape
        a = self.lead_time.shape[2] if self.lead_time.ndim == 4 and self.lead_time.shape[2] >= m else m
        expect = {
            "lead_time": (p, t, a, n),
            "fill_rate": (p, t, a, n),
            "capacity": (t, a, n),
            "price": (p, t, n),
        }
        for name, shape in expect.items():
            if getattr(self, name).shape != shape:
                raise InputError(f"paths.{name} must have shape {shape}, got {getattr(self, name).shape}")
        _check("paths.demand", self.demand, lambda a: np.isfinite(a) & (a >= 0), "finite and >= 0")
        _check("paths.lead_time", self.lead_time, lambda a: a >= 0, ">= 0")
        _check("paths.fill_rate", self.fill_rate, lambda a: (a >= 0) & (a <= 1), "in [0, 1]")
        _check("paths.capacity", self.capacity, lambda a: a >= 0, ">= 0 (inf for none)")
        _check("paths.price", self.price, lambda a: np.isfinite(a) & (a >= 0), "finite and >= 0")

    @property
    def n_paths(self) -> int:
        return int(self.demand.shape[0])

    @property
    def horizon(self) -> int:
        return int(self.demand.shape[1])

    @property
    def n_nodes(self) -> int:
        return int(self.demand.shape[2])

    @property
    def n_skus(self) -> int:
        return int(self.demand.shape[3])

    @property
    def n_arcs(self) -> int:
        """A: the arcs orders are placed on (= the nodes, without extra sources)."""
        return int(self.lead_time.shape[2])

    @property
    def max_lead_time(self) -> int:
        return int(self.lead_time.max()) if self.lead_time.size else 0

    def transform(
        self,
        per_path: Callable[[np.ndarray], np.ndarray],
        shared: Callable[[np.ndarray], np.ndarray] = lambda a: a,
    ) -> ExogenousPaths:
        """New paths with ``per_path`` applied to every array with a path axis (:data:`PATH_FIELDS`, path
        then period first) and ``shared`` to the others (``capacity``, period first)."""
        return ExogenousPaths(
            **{
                f.name: (per_path if f.name in PATH_FIELDS else shared)(getattr(self, f.name))
                for f in fields(self)
            }
        )

    def path(self, i: int) -> ExogenousPaths:
        """The i-th path alone (P = 1)."""
        return self.transform(lambda a: a[i : i + 1])

    def skus(self, index: np.ndarray) -> ExogenousPaths:
        """The paths restricted to the SKUs at ``index`` (the last axis of every array)."""
        return self.transform(lambda a: a[..., index], lambda a: a[..., index])

    def first_periods(self, periods: int) -> ExogenousPaths:
        """The paths of the first ``periods`` periods."""
        return self.transform(lambda a: a[:, :periods], lambda a: a[:periods])

    @staticmethod
    def stack(parts: Sequence[ExogenousPaths]) -> ExogenousPaths:
        """Paths of the same world concatenated along the path axis (the shared arrays of the first)."""
        first = parts[0]
        return ExogenousPaths(
            **{
                f.name: np.concatenate([getattr(p, f.name) for p in parts])
                if f.name in PATH_FIELDS
                else getattr(first, f.name)
                for f in fields(first)
            }
        )


SHARED_FIELDS: tuple[str, ...] = ("capacity",)
"""Fields of :class:`ExogenousPaths` without a path axis (the same for every path)."""
PATH_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(ExogenousPaths) if f.name not in SHARED_FIELDS)
"""Fields of :class:`ExogenousPaths` with a leading path axis."""


CHECK_ELEMENTS = 1 << 22
"""Elements the value checks of :class:`ExogenousPaths` test at once (a block of rows)."""


def distinct(arr: np.ndarray) -> np.ndarray:
    """``arr`` without its broadcast axes (those of stride 0, kept with length 1): every value it holds,
    once (a view; ``arr`` itself when nothing is broadcast)."""
    return arr[
        tuple(
            slice(0, 1) if st == 0 and ln > 1 else slice(None)
            for st, ln in zip(arr.strides, arr.shape, strict=True)
        )
    ]


def _check(name: str, arr: np.ndarray, ok: Callable[[np.ndarray], np.ndarray], expected: str) -> None:
    core = distinct(arr)
    rows = core.reshape(-1, core.shape[-1]) if core.ndim and core.flags.c_contiguous else None
    if rows is None or rows.size <= CHECK_ELEMENTS:
        blocks = [(0, core)]
    else:
        step = max(1, CHECK_ELEMENTS // rows.shape[1])
        blocks = [(i, rows[i : i + step]) for i in range(0, rows.shape[0], step)]
    for first, block in blocks:
        with np.errstate(invalid="ignore"):
            bad = ~ok(block)
        if bad.any():
            at = np.argwhere(bad)[0]
            flat = (
                (first + int(at[0])) * block.shape[-1] + int(at[-1])
                if rows is not None and len(blocks) > 1
                else None
            )
            idx = np.unravel_index(flat, core.shape) if flat is not None else tuple(int(i) for i in at)
            idx = tuple(int(i) for i in idx)
            raise InputError(f"{name}{list(idx)} must be {expected}, got {core[idx].item()!r}")


DemandSampler = Callable[[np.random.Generator, int], np.ndarray]
"""Draws demand of shape [n_paths, T, M, N] from a generator and a number of paths."""
PriceSampler = Callable[[np.random.Generator, int], np.ndarray]
"""Draws prices of shape [n_paths, T, N] from a generator and a number of paths."""


def sample_paths(
    world: World,
    demand: DemandSampler,
    price: PriceSampler,
    *,
    n_paths: int,
    seed: int,
    shard: tuple[Sequence[str], int] | None = None,
) -> ExogenousPaths:
    """Sample ``n_paths`` exogenous paths for ``world`` from root ``seed``.

    Demand and prices come from the given samplers (a scenario's demand model); lead times, fill rates and
    capacities per arc from its vendor (with its disruptions applied) or from the node's transfer lead
    time. Each component draws from its own child generator of ``seed`` (roles "demand", "price",
    "lead_time/<node>", "fill_rate/<node>" for a node's own source, and "lead_time/<node>/<vendor>",
    "fill_rate/<node>/<vendor>" for its extra vendors).

    ``shard`` ``(catalog_skus, first)``: ``world``'s SKUs are ``catalog_skus[first : first + N]``, a shard
    of a larger catalog, and get the lead times and fill rates the whole catalog's draw gives them (the
    samplers give the shard's demand and prices). Stochastic lead times are drawn for every SKU of the
    catalog before and in the shard, block by block, and kept for the shard only: time grows with the
    catalog, memory with the shard.
    """
    if n_paths <= 0:
        raise InputError(f"n_paths must be > 0, got {n_paths!r}")
    t_len, n = world.horizon, world.n_skus
    catalog_skus, offset = (world.skus, 0) if shard is None else shard
    whole = len(catalog_skus)
    if tuple(catalog_skus[offset : offset + n]) != tuple(world.skus):
        raise InputError(
            f"sample_paths: the world's SKUs are not SKUs {offset} .. {offset + n - 1} of the catalog"
        )
    own = slice(offset, offset + n)  # the world's SKUs among the catalog's
    net = world.network
    nodes, arcs = net.nodes, net.arcs()
    dem = np.asarray(demand(seeding.generator(seed, "demand"), n_paths))
    dem = dem if dem.dtype == np.float32 else dem.astype(np.float64, copy=False)
    if dem.shape != (n_paths, t_len, len(nodes), n):
        raise InputError(
            f"demand sampler returned shape {dem.shape}, expected {(n_paths, t_len, len(nodes), n)}"
        )
    for m, node in enumerate(nodes):
        if not node.customer_facing and dem[:, :, m].any():
            raise InputError(f"demand at node {node.name!r}, which is not customer-facing")
    prc = np.asarray(price(seeding.generator(seed, "price"), n_paths), dtype=np.float64)
    lead = np.zeros((n_paths, t_len, len(arcs), n), dtype=np.int16)
    # fill rates and capacities: one number per arc as a broadcast view, unless a vendor draws Beta fill
    # rates or has disruptions (then whole arrays)
    vendors = [net.vendor(src) if net.is_vendor(src) else None for src, _ in arcs]
    constant = all(v is None or (_constant_fill(v.fill_rate) and not v.disruptions) for v in vendors)
    fill_arc = np.array([1.0 if v is None else v.fill_rate.mean for v in vendors])
    cap_arc = np.array([math.inf if v is None else float(v.capacity) for v in vendors])
    if constant:
        fill = np.broadcast_to(fill_arc[None, None, :, None], (n_paths, t_len, len(arcs), n))
        cap = np.broadcast_to(cap_arc[None, :, None], (t_len, len(arcs), n))
    else:
        fill = np.ones((n_paths, t_len, len(arcs), n), dtype=np.float64)
        cap = np.full((t_len, len(arcs), n), math.inf)
    for a, (source, m) in enumerate(arcs):
        node = nodes[m]
        role = node.name if a < len(nodes) else f"{node.name}/{source}"
        rng_l = seeding.generator(seed, f"lead_time/{role}")
        if not net.is_vendor(source):
            lead = _put(
                lead,
                (slice(None), slice(None), a),
                node.transfer_distribution.sample(rng_l, (n_paths, t_len, whole))[..., own],
            )
            continue
        vendor = net.vendor(source)
        rng_f = seeding.generator(seed, f"fill_rate/{role}")
        # SKU by SKU from one generator; a run of SKUs with the same distribution in calls of at most
        # LEAD_BLOCK SKUs (the same numbers: a generator fills an array in C order, [SKU, path, period]
        # here, element after element); SKU indices of the whole catalog, kept where they are world's
        by_sku = vendor.lead_time_by_sku
        dists = [by_sku.get(sku, vendor.lead_time) for sku in catalog_skus] if by_sku else None
        start = 0
        while start < min(whole, offset + n):
            first = vendor.lead_time if dists is None else dists[start]
            stop = whole if dists is None else start + 1
            while dists is not None and stop < whole and dists[stop] == first:
                stop += 1
            for lo in range(start, min(stop, offset + n), LEAD_BLOCK):
                hi = min(stop, lo + LEAD_BLOCK)
                keep_lo, keep_hi = max(lo, offset), min(hi, offset + n)
                if keep_lo >= keep_hi and first.kind == "deterministic":
                    continue  # draws nothing from the generator: nothing to skip over
                drawn = first.sample(rng_l, (hi - lo, n_paths, t_len)).transpose(1, 2, 0)
                if keep_lo < keep_hi:
                    part = drawn[..., keep_lo - lo : keep_hi - lo]
                    lead = _put(
                        lead, (slice(None), slice(None), a, slice(keep_lo - offset, keep_hi - offset)), part
                    )
            start = stop
        if constant:
            continue
        fill[:, :, a, :] = vendor.fill_rate.sample(rng_f, (n_paths, t_len, whole))[..., own]
        cap[:, a, :] = vendor.capacity
        if vendor.disruptions:
            lead = lead.astype(np.int64)  # a multiplier may need more than int16
        for d in vendor.disruptions:
            lead[:, :, a, :], fill[:, :, a, :], cap[:, a, :] = apply_disruption(
                d, lead[:, :, a, :], fill[:, :, a, :], cap[:, a, :]
            )
    return ExogenousPaths(demand=dem, lead_time=lead, fill_rate=fill, capacity=cap, price=prc)


LEAD_BLOCK = 65_536
"""SKUs whose lead times one call draws (bounds the int64 draw held beside the int16 paths; the numbers do
not depend on it)."""


def _constant_fill(f: object) -> bool:
    from restock.simulator.world import FillRate

    assert isinstance(f, FillRate)
    return f.concentration == 0 or f.mean in (0.0, 1.0)


def _put(lead: np.ndarray, index: tuple[Any, ...], drawn: np.ndarray) -> np.ndarray:
    """``lead[index] = drawn``, first widening ``lead``'s integer dtype when ``drawn`` does not fit in it."""
    top = int(drawn.max()) if drawn.size else 0
    if top > np.iinfo(lead.dtype).max:
        lead = lead.astype(np.int64)
    lead[index] = drawn
    return lead


def apply_disruption(
    d: object, lead: np.ndarray, fill: np.ndarray, cap: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Apply one vendor disruption to lead times [P, T, N], fill rates [P, T, N] and capacity [T, N].

    Pure: returns new arrays. See :class:`~restock.simulator.world.Disruption` for the kinds.
    """
    from restock.simulator.world import Disruption

    assert isinstance(d, Disruption)
    lead, fill, cap = lead.copy(), fill.copy(), cap.copy()
    t_len = lead.shape[1]
    start, end = d.start, min(d.end, t_len)
    placed = np.arange(t_len)[None, :, None]
    if d.kind == "outage":
        due = placed + lead
        held = (due >= d.start) & (due < d.end)
        lead = np.where(held, d.end - placed, lead)
    elif d.kind == "lead_time_multiplier":
        lead[:, start:end] = np.rint(lead[:, start:end] * d.factor).astype(np.int64)
    elif d.kind == "capacity_multiplier":
        # inf x 0 is nan: an unlimited vendor cut to factor 0 accepts nothing
        cap[start:end] = 0.0 if d.factor == 0 else cap[start:end] * d.factor
    elif d.kind == "fill_rate_multiplier":
        if d.factor > 1:
            raise InputError(f"disruption fill_rate_multiplier factor must be <= 1, got {d.factor!r}")
        fill[:, start:end] = fill[:, start:end] * d.factor
    return lead, fill, cap


def check_fit(world: World, paths: ExogenousPaths) -> None:
    """Raise :class:`InputError` unless ``paths`` fit ``world`` (shapes, values, network rules): what every
    engine checks before a run."""
    paths.__post_init__()  # the arrays are mutable: check their values again, now
    _, t_len, m, n = paths.demand.shape
    if t_len != world.horizon:
        raise InputError(f"paths.demand has {t_len} periods, world.horizon is {world.horizon}")
    nodes = world.network.nodes
    if m != len(nodes):
        names = [x.name for x in nodes]
        raise InputError(f"paths.demand has {m} nodes, the network has {len(nodes)} ({names})")
    if n != world.n_skus:
        raise InputError(f"paths.demand has {n} SKUs, the world has {world.n_skus}")
    arcs = world.network.arcs()
    if paths.n_arcs != len(arcs):
        names = [f"{s} -> {nodes[j].name}" for s, j in arcs]
        raise InputError(f"paths.lead_time has {paths.n_arcs} arcs, the network has {len(arcs)} ({names})")
    lead = paths.lead_time
    if not np.issubdtype(lead.dtype, np.integer):
        bad = lead != np.floor(lead)
        if bad.any():
            idx = tuple(int(i) for i in np.argwhere(bad)[0])
            raise InputError(
                f"paths.lead_time{list(idx)} must be a whole number of periods, got {lead[idx].item()!r}"
            )
    for i, node in enumerate(nodes):
        if not node.customer_facing and paths.demand[:, :, i].any():
            t = int(np.argwhere(paths.demand[:, :, i])[0][1])
            raise InputError(
                f"paths.demand at node {node.name!r} (not customer-facing) must be 0; period {t}"
            )
        if not world.network.is_vendor(node.source) and (paths.fill_rate[:, :, i] != 1).any():
            bad_fill = paths.fill_rate[:, :, i][paths.fill_rate[:, :, i] != 1][0].item()
            raise InputError(
                f"paths.fill_rate at node {node.name!r} (fed by node {node.source!r}) must be 1 for "
                f"transfers, got {bad_fill!r}"
            )
    if not world.review_periods():
        raise InputError(
            f"world: no review period within the horizon {world.horizon} "
            f"(review_offset {world.review_offset})"
        )
