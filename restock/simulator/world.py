"""The world model: parameters of a supply chain, apart from its state.

Everything here is frozen data (STYLE §2: parameters apart from state). Quantities are real-valued units
(fractional units are allowed so that the batch engine is differentiable; with integer demand, integer
orders and full fills every quantity stays an integer). Periods are integers (a day by default).

Costs (per SKU, see :class:`Economics`) and the reward of a period::

    reward_t = revenue_t + salvage_t - purchase_cost_t - holding_cost_t - penalty_cost_t - fixed_order_cost_t

* revenue: units sold x the period's selling price (from :class:`~restock.simulator.paths.ExogenousPaths`);
* purchase cost: unit cost x the vendor's ``unit_cost_factor`` x units *received* from it (a vendor's
  fill-rate cut or capacity cut is never paid; a transfer between nodes costs nothing);
* holding: holding cost x end-of-period on-hand;
* penalty: lost sales: penalty x units lost in the period; backorders: penalty x backlog at period end
  (so ``lost_sale_penalty`` is a per-unit-per-period backorder cost there);
* fixed order cost: per order placed with a positive quantity (per arc: two sources, two orders);
* salvage: salvage value x on-hand at the end of the last period (booked in the last period).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Literal

import numpy as np

from restock.errors import InputError

LeadTimeKind = Literal["deterministic", "empirical", "shifted_poisson", "negative_binomial"]


def _finite_nonneg(name: str, arr: np.ndarray) -> np.ndarray:
    arr = np.asarray(arr, dtype=np.float64)
    bad = ~np.isfinite(arr) | (arr < 0)
    if bad.any():
        i = int(np.flatnonzero(bad.ravel())[0])
        raise InputError(f"{name}[{i}] must be finite and >= 0, got {arr.ravel()[i].item()!r}")
    return arr


@dataclass(frozen=True)
class Economics:
    """Per-SKU economics; every array has shape [n_skus]. Selling prices live in the exogenous paths."""

    unit_cost: np.ndarray
    """Purchase cost per unit received."""
    holding_cost: np.ndarray
    """Cost per unit of end-of-period on-hand, per period."""
    lost_sale_penalty: np.ndarray
    """Goodwill cost per lost unit (lost sales) or per backordered unit per period (backorders), on top of
    the lost margin."""
    fixed_order_cost: np.ndarray
    """Cost per order placed with a positive quantity."""
    salvage_value: np.ndarray
    """Value per unit on hand at the end of the horizon."""
    discount: float = 1.0
    """Per-period discount factor in (0, 1] for the discounted profit KPI."""

    def __post_init__(self) -> None:
        n = None
        for name in ECONOMICS_ARRAYS:
            arr = _finite_nonneg(f"economics.{name}", getattr(self, name))
            object.__setattr__(self, name, arr)
            if arr.ndim != 1:
                raise InputError(f"economics.{name} must be one value per SKU, got shape {arr.shape}")
            if n is not None and arr.shape[0] != n:
                raise InputError(f"economics.{name} has {arr.shape[0]} SKUs, expected {n}")
            n = arr.shape[0]
        if not (0 < self.discount <= 1):
            raise InputError(f"economics.discount must be in (0, 1], got {self.discount!r}")

    @property
    def n_skus(self) -> int:
        return int(self.unit_cost.shape[0])

    @classmethod
    def uniform(cls, n_skus: int, **values: float) -> Economics:
        """The same economics for every SKU (``unit_cost=..., holding_cost=...``; missing costs are 0)."""
        names = ECONOMICS_ARRAYS
        unknown = set(values) - {*names, "discount"}
        if unknown:
            raise InputError(f"economics: unknown field(s) {sorted(unknown)}; known: {list(names)}")
        arrays = {k: np.full(n_skus, float(values.get(k, 0.0))) for k in names}
        return cls(**arrays, discount=float(values.get("discount", 1.0)))

    def skus(self, index: Sequence[int] | np.ndarray) -> Economics:
        """The economics of the SKUs at ``index``."""
        arrays = {name: getattr(self, name)[np.asarray(index)] for name in ECONOMICS_ARRAYS}
        return Economics(**arrays, discount=self.discount)


ECONOMICS_ARRAYS: tuple[str, ...] = tuple(f.name for f in fields(Economics) if f.name != "discount")
"""The per-SKU arrays of :class:`Economics` (every field but the discount factor)."""


@dataclass(frozen=True)
class LeadTime:
    """A lead-time distribution in whole periods (an order placed in t arrives at the start of t + L).

    ``deterministic``: always ``value``. ``empirical``: ``values`` with probabilities ``probs``.
    ``shifted_poisson``: ``shift + Poisson(mean - shift)``. ``negative_binomial``: ``shift + NB`` with mean
    ``mean - shift`` and variance ``var`` (var > mean - shift).
    """

    kind: LeadTimeKind = "deterministic"
    value: int = 0
    values: tuple[int, ...] = ()
    probs: tuple[float, ...] = ()
    shift: int = 0
    mean: float = 0.0
    var: float = 0.0

    def __post_init__(self) -> None:
        if self.kind == "deterministic":
            if self.value < 0:
                raise InputError(f"lead_time.value must be >= 0, got {self.value!r}")
        elif self.kind == "empirical":
            if not self.values or len(self.values) != len(self.probs):
                raise InputError(
                    f"lead_time.values and lead_time.probs must be non-empty and equally long, got "
                    f"{list(self.values)!r} and {list(self.probs)!r}"
                )
            if min(self.values) < 0:
                raise InputError(f"lead_time.values must be >= 0, got {list(self.values)!r}")
            if min(self.probs) < 0 or not math.isclose(sum(self.probs), 1.0, abs_tol=1e-9):
                raise InputError(f"lead_time.probs must be >= 0 and sum to 1, got {list(self.probs)!r}")
        elif self.kind in ("shifted_poisson", "negative_binomial"):
            if self.shift < 0:
                raise InputError(f"lead_time.shift must be >= 0, got {self.shift!r}")
            if not self.mean >= self.shift:
                raise InputError(f"lead_time.mean must be >= shift ({self.shift}), got {self.mean!r}")
            if self.kind == "negative_binomial" and not self.var > self.mean - self.shift:
                raise InputError(
                    f"lead_time.var must exceed mean - shift ({self.mean - self.shift}) for a negative "
                    f"binomial, got {self.var!r}"
                )
        else:
            raise InputError(
                "lead_time.kind must be one of deterministic, empirical, shifted_poisson, "
                f"negative_binomial, got {self.kind!r}"
            )

    def sample(self, rng: np.random.Generator, size: int | tuple[int, ...]) -> np.ndarray:
        """Draw lead times (int64) of the given shape."""
        if self.kind == "deterministic":
            return np.full(size, self.value, dtype=np.int64)
        if self.kind == "empirical":
            return rng.choice(np.asarray(self.values, dtype=np.int64), size=size, p=np.asarray(self.probs))
        lam = self.mean - self.shift
        if self.kind == "shifted_poisson":
            return self.shift + rng.poisson(lam, size=size).astype(np.int64)
        # NB with mean lam and variance var: n = lam^2 / (var - lam), p = lam / var
        n = lam * lam / (self.var - lam)
        return self.shift + rng.negative_binomial(n, lam / self.var, size=size).astype(np.int64)

    def expected(self) -> float:
        """The mean lead time."""
        if self.kind == "deterministic":
            return float(self.value)
        if self.kind == "empirical":
            return float(np.dot(self.values, self.probs))
        return float(self.mean)

    def upper(self, tail: float = 1e-6) -> int:
        """A lead time exceeded with probability below ``tail`` (the size of a pipeline buffer)."""
        if self.kind == "deterministic":
            return self.value
        if self.kind == "empirical":
            return max(self.values)
        rng = np.random.default_rng(0)
        return int(np.quantile(self.sample(rng, 200_000), 1 - max(tail, 1e-5))) + 1


@dataclass(frozen=True)
class FillRate:
    """The share of each shipment a vendor delivers: a Beta(a, b) draw per order, or a constant."""

    mean: float = 1.0
    """Mean share delivered, in [0, 1]."""
    concentration: float = 0.0
    """Beta concentration a + b; 0 means the fill rate is the constant ``mean``."""

    def __post_init__(self) -> None:
        if not (0.0 <= self.mean <= 1.0):
            raise InputError(f"fill_rate.mean must be in [0, 1], got {self.mean!r}")
        if self.concentration < 0:
            raise InputError(f"fill_rate.concentration must be >= 0, got {self.concentration!r}")

    def sample(self, rng: np.random.Generator, size: int | tuple[int, ...]) -> np.ndarray:
        if self.concentration == 0 or self.mean in (0.0, 1.0):
            return np.full(size, self.mean, dtype=np.float64)
        a = self.mean * self.concentration
        return rng.beta(a, self.concentration - a, size=size)


DisruptionKind = Literal["outage", "lead_time_multiplier", "capacity_multiplier", "fill_rate_multiplier"]


@dataclass(frozen=True)
class Disruption:
    """A window [start, end) of periods in which a vendor is disrupted (given as data).

    * ``outage``: no shipment arrives inside the window; shipments due inside it arrive at ``end``.
    * ``lead_time_multiplier``: orders placed inside the window have their lead time multiplied by
      ``factor`` (rounded to whole periods).
    * ``capacity_multiplier`` / ``fill_rate_multiplier``: the vendor's capacity / fill rate for orders
      placed inside the window is multiplied by ``factor``.
    """

    kind: DisruptionKind
    start: int
    end: int
    factor: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in ("outage", "lead_time_multiplier", "capacity_multiplier", "fill_rate_multiplier"):
            raise InputError(f"disruption.kind unknown: {self.kind!r}")
        if not (0 <= self.start < self.end):
            raise InputError(
                f"disruption window must satisfy 0 <= start < end, got [{self.start}, {self.end})"
            )
        if not (math.isfinite(self.factor) and self.factor >= 0):
            raise InputError(f"disruption.factor must be finite and >= 0, got {self.factor!r}")


@dataclass(frozen=True)
class Vendor:
    """An external supplier. ``lead_time`` applies to every SKU unless ``lead_time_by_sku`` overrides it."""

    name: str
    lead_time: LeadTime = field(default_factory=LeadTime)
    lead_time_by_sku: dict[str, LeadTime] = field(default_factory=dict)
    fill_rate: FillRate = field(default_factory=FillRate)
    capacity: float = math.inf
    """Most units of one SKU the vendor accepts per order period; the excess is cancelled and recorded."""
    disruptions: tuple[Disruption, ...] = ()
    unit_cost_factor: float = 1.0
    """Purchase cost per unit received from this vendor = ``unit_cost_factor`` x the SKU's unit cost (an
    expedited vendor costs more: 1.05 for a 5% premium)."""

    def __post_init__(self) -> None:
        if not (self.capacity >= 0):
            raise InputError(f"vendor {self.name!r}: capacity must be >= 0, got {self.capacity!r}")
        f = self.unit_cost_factor
        if not (isinstance(f, int | float) and math.isfinite(f) and f >= 0):
            raise InputError(f"vendor {self.name!r}: unit_cost_factor must be finite and >= 0, got {f!r}")


NodeSource = str
"""The name of a vendor or of an upstream node."""


@dataclass(frozen=True)
class Node:
    """A stocking location.

    A node is replenished from its ``source``: a vendor (orders subject to the vendor's lead times, fill
    rate, capacity and disruptions) or an upstream node (a transfer, taking ``transfer_lead_time``
    periods, a number or a distribution). When the upstream node cannot fill all requests of a period it
    rations them pro rata (:func:`restock.simulator.rules.ration`): under lost sales at the upstream node
    the unfilled part is cancelled; with ``backorder`` there it waits and is shipped first-come
    first-served as stock arrives (:func:`restock.simulator.rules.serve_queue`).

    A node may also order from ``extra_sources``: more vendors, each an arc of its own with the vendor's
    lead times, fill rate, capacity, disruptions and unit cost (dual sourcing: a cheap slow ``source``
    and a fast expensive extra vendor). Orders are placed per arc (source -> node); what arrives from
    every source joins the same on-hand.

    Costs per node are factors on the SKU's economics (a warehouse holds more cheaply than an FC).
    """

    name: str
    source: NodeSource
    customer_facing: bool = True
    """Whether customer demand arrives at this node."""
    backorder: bool = False
    """Unmet demand at this node waits (True) or is lost (False, the default): customer demand, and the
    transfer requests of the nodes it feeds."""
    storage_capacity: float = math.inf
    """Most units of one SKU the node can hold; units arriving beyond it are disposed and recorded."""
    transfer_lead_time: int | LeadTime = 0
    """Lead time of transfers from an upstream node: whole periods, or a distribution drawn per transfer
    (a vendor-fed node refuses any value but 0, since the vendor's lead time applies)."""
    holding_factor: float = 1.0
    """Holding cost here per unit and period = ``holding_factor`` x the SKU's holding cost."""
    transit_holding_factor: float = 0.0
    """Holding cost of units in transit to this node per unit and period, as a factor of the SKU's."""
    penalty_factor: float = 1.0
    """Penalty per unit lost or backordered here = ``penalty_factor`` x the SKU's lost-sale penalty."""
    extra_sources: tuple[str, ...] = ()
    """Vendors this node orders from besides ``source`` (each name once, never ``source`` itself)."""

    def __post_init__(self) -> None:
        if not (self.storage_capacity >= 0):
            raise InputError(
                f"node {self.name!r}: storage_capacity must be >= 0, got {self.storage_capacity!r}"
            )
        lead = self.transfer_lead_time
        if not isinstance(lead, LeadTime):
            if isinstance(lead, bool) or not isinstance(lead, int | np.integer):
                raise InputError(
                    f"node {self.name!r}: transfer_lead_time must be a whole number of periods or a "
                    f"lead-time distribution, got {lead!r}"
                )
            if lead < 0:
                raise InputError(f"node {self.name!r}: transfer_lead_time must be >= 0, got {lead!r}")
        for name in NODE_FACTORS:
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
                raise InputError(f"node {self.name!r}: {name} must be finite and >= 0, got {value!r}")
        extra = self.extra_sources
        if isinstance(extra, str) or not all(isinstance(x, str) for x in extra):
            raise InputError(
                f"node {self.name!r}: extra_sources must be a list of vendor names, got {extra!r}"
            )
        object.__setattr__(self, "extra_sources", tuple(extra))
        repeated = sorted({x for x in self.sources if self.sources.count(x) > 1})
        if repeated:
            raise InputError(
                f"node {self.name!r}: extra_sources must name each vendor once and not the node's source "
                f"{self.source!r}, got {list(extra)!r} (repeated: {repeated})"
            )

    @property
    def sources(self) -> tuple[str, ...]:
        """Every source of the node: ``source`` first, then ``extra_sources``."""
        return (self.source, *self.extra_sources)

    @property
    def transfer_distribution(self) -> LeadTime:
        """The transfer lead time as a distribution."""
        lead = self.transfer_lead_time
        return lead if isinstance(lead, LeadTime) else LeadTime(value=lead)


NODE_FACTORS: tuple[str, ...] = ("holding_factor", "transit_holding_factor", "penalty_factor")
"""The per-node cost factors of :class:`Node`."""


@dataclass(frozen=True)
class Network:
    """Vendors and nodes. The default is one customer-facing node fed by one vendor."""

    vendors: tuple[Vendor, ...]
    nodes: tuple[Node, ...]

    def __post_init__(self) -> None:
        vnames = [v.name for v in self.vendors]
        nnames = [n.name for n in self.nodes]
        if not self.nodes:
            raise InputError("network: at least one node is needed")
        for names, what in ((vnames, "vendor"), (nnames, "node")):
            dup = {x for x in names if names.count(x) > 1}
            if dup:
                raise InputError(f"network: duplicate {what} name(s) {sorted(dup)}")
        if set(vnames) & set(nnames):
            raise InputError(
                f"network: names used by both a vendor and a node: {sorted(set(vnames) & set(nnames))}"
            )
        for node in self.nodes:
            if node.source not in vnames and node.source not in nnames:
                raise InputError(
                    f"network: node {node.name!r} has unknown source {node.source!r}; "
                    f"known vendors {vnames}, nodes {nnames}"
                )
            if node.source == node.name:
                raise InputError(f"network: node {node.name!r} cannot source from itself")
            not_vendors = [x for x in node.extra_sources if x not in vnames]
            if not_vendors:
                raise InputError(
                    f"network: node {node.name!r}: extra_sources must name vendors, got {not_vendors} "
                    f"(known vendors {vnames})"
                )
            if node.source in vnames and node.transfer_distribution != LeadTime():
                raise InputError(
                    f"network: node {node.name!r} is fed by vendor {node.source!r}, whose lead time "
                    f"applies; transfer_lead_time {node.transfer_lead_time!r} is only for a node fed by "
                    "another node"
                )
        self.topological_order()  # raises on a cycle

    @classmethod
    def single(cls, vendor: Vendor | None = None, node: Node | None = None) -> Network:
        """One vendor feeding one customer-facing node (the default)."""
        v = vendor or Vendor("vendor")
        return cls(vendors=(v,), nodes=(node or Node("store", source=v.name),))

    def node(self, name: str) -> Node:
        for n in self.nodes:
            if n.name == name:
                return n
        raise InputError(f"network: unknown node {name!r}; known: {[n.name for n in self.nodes]}")

    def vendor(self, name: str) -> Vendor:
        for v in self.vendors:
            if v.name == name:
                return v
        raise InputError(f"network: unknown vendor {name!r}; known: {[v.name for v in self.vendors]}")

    def is_vendor(self, name: str) -> bool:
        return any(v.name == name for v in self.vendors)

    def children(self, name: str) -> list[Node]:
        """Nodes replenished from node ``name``, in declaration order."""
        return [n for n in self.nodes if n.source == name]

    def topological_order(self) -> list[Node]:
        """Nodes upstream first (a node after its source)."""
        done: list[Node] = []
        names: set[str] = set()
        pending = list(self.nodes)
        while pending:
            ready = [n for n in pending if self.is_vendor(n.source) or n.source in names]
            if not ready:
                raise InputError(f"network: cycle among nodes {[n.name for n in pending]}")
            for n in ready:
                done.append(n)
                names.add(n.name)
                pending.remove(n)
        return done

    @property
    def demand_nodes(self) -> list[Node]:
        return [n for n in self.nodes if n.customer_facing]

    def arcs(self) -> list[tuple[str, int]]:
        """The arcs (source name, node index) orders are placed on, in the A-axis order of orders, lead
        times, fill rates and capacities: arc m < M is node m's ``source``, then every node's
        ``extra_sources`` in node order."""
        primary = [(n.source, m) for m, n in enumerate(self.nodes)]
        extra = [(v, m) for m, n in enumerate(self.nodes) for v in n.extra_sources]
        return primary + extra


@dataclass(frozen=True)
class Ordering:
    """Per-SKU constraints on orders to vendors (transfers between nodes are in single units).

    An order is rounded to the nearest whole number of case packs and a positive order is raised to the
    minimum order quantity (:func:`restock.simulator.rules.pack_order`); the order placed, recorded and
    paid is the rounded one.
    """

    case_pack: np.ndarray | None = None
    """[N] units per case pack (> 0); None: single units, no rounding."""
    minimum_order: np.ndarray | None = None
    """[N] the minimum order quantity (>= 0, a whole number of case packs); None: no minimum."""

    def __post_init__(self) -> None:
        pack, low = self.case_pack, self.minimum_order
        if pack is not None:
            pack = _finite_nonneg("ordering.case_pack", pack)
            if (pack <= 0).any():
                i = int(np.flatnonzero(pack <= 0)[0])
                raise InputError(f"ordering.case_pack[{i}] must be > 0, got {pack[i].item()!r}")
            object.__setattr__(self, "case_pack", pack)
        if low is not None:
            low = _finite_nonneg("ordering.minimum_order", low)
            object.__setattr__(self, "minimum_order", low)
            if pack is not None:
                packs = low / np.broadcast_to(pack, low.shape)
                bad = np.abs(packs - np.rint(packs)) > 1e-9 * np.maximum(packs, 1.0)
                if bad.any():
                    i = int(np.flatnonzero(bad)[0])
                    raise InputError(
                        f"ordering.minimum_order[{i}] must be a whole number of case packs "
                        f"({np.broadcast_to(pack, low.shape)[i].item()!r}), got {low[i].item()!r}"
                    )
        for name in ("case_pack", "minimum_order"):
            arr = getattr(self, name)
            if arr is not None and arr.ndim != 1:
                raise InputError(f"ordering.{name} must be one value per SKU, got shape {arr.shape}")

    def skus(self, index: Sequence[int] | np.ndarray) -> Ordering:
        """The constraints of the SKUs at ``index``."""
        pick = lambda a: None if a is None else a[np.asarray(index)]  # noqa: E731
        return Ordering(case_pack=pick(self.case_pack), minimum_order=pick(self.minimum_order))


@dataclass(frozen=True)
class World:
    """Everything fixed about a simulated supply chain: SKUs, economics, network, review and horizon."""

    skus: tuple[str, ...]
    economics: Economics
    network: Network
    horizon: int
    """Number of periods simulated."""
    review_period: int = 7
    """Orders are placed in periods t with t % review_period == review_offset."""
    review_offset: int = 0
    initial_on_hand: np.ndarray | None = None
    """Starting on-hand per node and SKU, shape [n_nodes, n_skus] (zeros when None)."""
    ordering: Ordering | None = None
    """Case packs and minimum order quantities of vendor orders (None: any quantity)."""
    inbound_capacity: np.ndarray | None = None
    """[T, M] the most units node m accepts at the review of period t over all its SKUs and sources
    (a warehouse's inbound labour; ``inf``: no limit), a path of limits over the horizon (None: none).
    Orders beyond it are cut pro rata (:func:`restock.simulator.rules.inbound_share`)."""
    unit_volume: np.ndarray | None = None
    """[N] the storage volume of one unit of each SKU (None: 1, volume counted in units)."""
    storage_volume: np.ndarray | None = None
    """[T, M] the volume node m can hold in period t over all its SKUs (a warehouse's shelves; ``inf``: no
    limit), a path of limits over the horizon (None: none). Units arriving beyond the room left are
    disposed pro rata by volume; stock already held is never disposed
    (:func:`restock.simulator.rules.receive`)."""

    def __post_init__(self) -> None:
        if len(set(self.skus)) != len(self.skus):
            raise InputError("world: duplicate SKU names")
        if self.economics.n_skus != len(self.skus):
            raise InputError(
                f"world: economics has {self.economics.n_skus} SKUs but {len(self.skus)} are named"
            )
        if self.horizon <= 0:
            raise InputError(f"world: horizon must be > 0, got {self.horizon!r}")
        if self.review_period <= 0:
            raise InputError(f"world: review_period must be > 0, got {self.review_period!r}")
        if not (0 <= self.review_offset < self.review_period):
            raise InputError(
                f"world: review_offset must be in [0, review_period), got {self.review_offset!r}"
            )
        if self.initial_on_hand is not None:
            arr = _finite_nonneg("world.initial_on_hand", self.initial_on_hand)
            if arr.shape != (len(self.network.nodes), len(self.skus)):
                raise InputError(
                    f"world.initial_on_hand must have shape [nodes={len(self.network.nodes)}, "
                    f"skus={len(self.skus)}], got {arr.shape}"
                )
            object.__setattr__(self, "initial_on_hand", arr)
        for name in ("inbound_capacity", "storage_volume"):
            if getattr(self, name) is not None:
                object.__setattr__(self, name, self._limit_path(name))
        if self.unit_volume is not None:
            vol = _finite_nonneg("world.unit_volume", self.unit_volume)
            if vol.shape != (len(self.skus),):
                raise InputError(
                    f"world.unit_volume must have one value per SKU ({len(self.skus)}), got shape {vol.shape}"
                )
            object.__setattr__(self, "unit_volume", vol)
        if self.ordering is not None:
            for name in ("case_pack", "minimum_order"):
                arr = getattr(self.ordering, name)
                if arr is not None and arr.shape != (len(self.skus),):
                    raise InputError(
                        f"world.ordering.{name} must have one value per SKU ({len(self.skus)}), got "
                        f"shape {arr.shape}"
                    )

    def _limit_path(self, name: str) -> np.ndarray | None:
        """The path of a shared limit per period and node (``inbound_capacity``, ``storage_volume``),
        checked: shape [T, M], every value >= 0 (inf: no limit); None where no value is finite."""
        cap = np.asarray(getattr(self, name), dtype=np.float64)
        want = (self.horizon, len(self.network.nodes))
        if cap.shape != want:
            raise InputError(
                f"world.{name} must have shape [periods={want[0]}, nodes={want[1]}], got {cap.shape}"
            )
        bad = np.isnan(cap) | (cap < 0)
        if bad.any():
            t, m = (int(i) for i in np.argwhere(bad)[0])
            raise InputError(
                f"world.{name}[{t}, {m}] (node {self.network.nodes[m].name!r}) must be >= 0 "
                f"(inf: no limit), got {cap[t, m].item()!r}"
            )
        return None if np.isinf(cap).all() else cap

    @property
    def n_skus(self) -> int:
        return len(self.skus)

    def start_on_hand(self) -> np.ndarray:
        if self.initial_on_hand is None:
            return np.zeros((len(self.network.nodes), self.n_skus))
        return self.initial_on_hand

    def first_periods(self, periods: int) -> World:
        """The same world over its first ``periods`` periods (limits over time cut to them)."""
        cut = lambda path: None if path is None else path[:periods]  # noqa: E731
        return dataclasses.replace(
            self,
            horizon=periods,
            inbound_capacity=cut(self.inbound_capacity),
            storage_volume=cut(self.storage_volume),
        )

    def take_skus(self, index: Sequence[int] | np.ndarray) -> World:
        """The world of the SKUs at ``index`` (in that order): names, economics, initial stock, order
        constraints and unit volumes sliced; network, timing and shared limits unchanged (under a shared
        ``inbound_capacity`` or ``storage_volume`` the SKUs interact: a subset is then another model)."""
        idx = np.asarray(index, dtype=np.int64)
        return dataclasses.replace(
            self,
            skus=tuple(self.skus[i] for i in idx),
            economics=self.economics.skus(idx),
            initial_on_hand=None if self.initial_on_hand is None else self.initial_on_hand[:, idx],
            ordering=None if self.ordering is None else self.ordering.skus(idx),
            unit_volume=None if self.unit_volume is None else self.unit_volume[idx],
        )

    def is_review(self, t: int) -> bool:
        return t % self.review_period == self.review_offset

    def review_periods(self) -> list[int]:
        return [t for t in range(self.horizon) if self.is_review(t)]

    def sku_index(self, names: Sequence[str]) -> np.ndarray:
        pos = {s: i for i, s in enumerate(self.skus)}
        missing = [s for s in names if s not in pos]
        if missing:
            raise InputError(f"world: unknown SKU(s) {missing[:5]}")
        return np.array([pos[s] for s in names], dtype=np.int64)
