"""The scenario schema: one typed, frozen dataclass per TOML section, documented field by field.

A scenario file (see ``docs/scenarios.md`` and ``restock/scenarios/builtin/*.toml``) looks like::

    name = "steady"
    description = "..."
    horizon = 364            # periods simulated (days)
    review_period = 7        # weekly buying on daily demand
    warmup = 364             # periods of demand history before period 0, for forecasters

    [seeds]                  # root seed and number of paths of a default run; the catalog's own seed
    [catalog]                # which SKUs (n_skus or a list), categories with price elasticities
    [demand]                 # stationary poisson/negbin per SKU, or replayed data ("m5:PATH")
    [economics]              # price, unit cost, holding, penalty, fixed order cost, salvage, discount
    [[vendors]]              # lead time, fill rate, capacity
    [[nodes]]                # stocking locations: source, transfer lead time, storage, backorders
    [forecast]               # which forecaster fills the forecast table, its quantile levels
    [[shocks]]               # demand / price / launch / vendor / transfer shocks in windows [start, end)
    [family]                 # optional: a benchmark family that fills the sections above (Zipkin's)

Parsing (:mod:`restock.scenarios.parsing`) rejects unknown keys and wrong types; :meth:`Scenario.validate`
rejects impossible values. Both name the file, the dotted key and the value.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pandas as pd

from restock.errors import InputError
from restock.scenarios.amounts import Amount, parse_amount
from restock.scenarios.parsing import Where, parser
from restock.simulator.world import Disruption, FillRate, LeadTime, Network, Node, Vendor

if TYPE_CHECKING:
    from restock.scenarios.build import ScenarioDraw
    from restock.scenarios.forecast import ScenarioForecast
    from restock.simulator.paths import ExogenousPaths
    from restock.simulator.world import World

SCENARIO_QUANTILES: tuple[float, ...] = (
    0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.975, 0.98, 0.99, 0.995, 0.999,
)  # fmt: skip
"""Default quantile levels of a scenario's forecast table: dense in the upper tail, where newsvendor
critical fractiles of retail economics lie (0.9 .. 0.999)."""

ShockKind = Literal[
    "demand_multiplier",
    "demand_curve",
    "launch",
    "price_change",
    "lead_time_multiplier",
    "fill_rate_drop",
    "capacity_cut",
    "vendor_outage",
    "transfer_delay",
]
SHOCK_KINDS: tuple[str, ...] = ShockKind.__args__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class SeedsConfig:
    """Seeds of a scenario."""

    root: int = 0
    """Root seed of a default run's exogenous paths (``restock simulate --seed`` replaces it)."""
    catalog: int = 0
    """Seed of the catalog itself (SKU means and prices drawn from ranges): fixed across training and
    evaluation seeds, so that every run of a scenario sees the same world."""
    n_paths: int = 1
    """Number of exogenous paths of a default run."""


@dataclass(frozen=True)
class CategoryConfig:
    """A product category."""

    name: str
    """Category name (a shock may target it with ``category = "<name>"``)."""
    share: float = 1.0
    """Share of the synthetic catalog's SKUs in this category (shares are normalized; ignored for data,
    whose SKUs carry their own category)."""
    elasticity: float = -1.5
    """Price elasticity of demand (<= 0): a price x f multiplies demand by f ** elasticity."""


@dataclass(frozen=True)
class CatalogConfig:
    """Which SKUs a scenario simulates."""

    n_skus: int | None = None
    """Number of SKUs: synthetic SKUs ``SKU000 ..``, or the first n series of a data set (sorted ids)."""
    skus: tuple[str, ...] = ()
    """Explicit SKU names (synthetic) or series ids (data); replaces n_skus."""
    categories: tuple[CategoryConfig, ...] = ()
    """Categories with their shares and elasticities (synthetic SKUs are assigned to them in blocks, in
    order, by share; data SKUs use their own ``category`` attribute). Empty: one category "default"."""
    default_elasticity: float = -1.5
    """Elasticity of a data category not listed in ``categories``."""


@dataclass(frozen=True)
class DemandConfig:
    """Where demand comes from."""

    kind: Literal["stationary", "data", "catalog"] = "stationary"
    """``stationary``: i.i.d. demand per SKU and period from ``distribution``; ``data``: replay a data set;
    ``catalog``: the synthetic retail catalog of :mod:`restock.data.synthetic` (life cycles, seasons,
    holidays, promotions, spikes), fresh draws from its known truth on every path."""
    distribution: Literal["poisson", "negbin"] = "poisson"
    """Stationary model per SKU and period (negbin: variance = dispersion x mean)."""
    mean: float | None = None
    """Mean demand per period, the same for every SKU (stationary)."""
    mean_range: tuple[float, ...] = ()
    """``[low, high]``: each SKU's mean drawn log-uniformly in it with the catalog seed (stationary)."""
    dispersion: float = 2.0
    """Variance-to-mean ratio of the negbin model (> 1)."""
    source: str = ""
    """Data spec for :func:`restock.data.load_panel` (``"m5:PATH"``, ``"long:PATH"``, ...); a relative
    PATH is resolved against the current directory (data)."""
    start: str = ""
    """ISO date of period 0 (data); empty: the latest start that fits the horizon inside the data."""
    stores: int = 1
    """Stores of the synthetic catalog (catalog): a SKU is an item in a store, n_skus / stores items."""


@dataclass(frozen=True)
class EconomicsConfig:
    """Per-SKU economics (see :mod:`restock.scenarios.amounts` for ``"0.6 * price"``-style amounts)."""

    price: float | None = None
    """Selling price of every SKU (synthetic); for data demand, unset means the data's own prices."""
    price_range: tuple[float, ...] = ()
    """``[low, high]``: each SKU's price drawn log-uniformly in it with the catalog seed (synthetic)."""
    unit_cost: Amount = field(default=Amount(0.0), metadata=parser(parse_amount))
    """Purchase cost per unit received (absolute or ``"x * price"``)."""
    holding_cost: Amount = field(default=Amount(0.0), metadata=parser(parse_amount))
    """Holding cost per unit of end-of-period on-hand and period (e.g. ``"0.25 * cost / year"``)."""
    lost_sale_penalty: Amount = field(default=Amount(0.0), metadata=parser(parse_amount))
    """Goodwill cost per lost unit, on top of the lost margin."""
    fixed_order_cost: Amount = field(default=Amount(0.0), metadata=parser(parse_amount))
    """Cost per order placed with a positive quantity."""
    salvage_value: Amount = field(default=Amount(0.0), metadata=parser(parse_amount))
    """Value per unit left on hand at the end of the horizon."""
    discount: float = 1.0
    """Per-period discount factor in (0, 1]."""


@dataclass(frozen=True)
class LeadTimeConfig:
    """A vendor lead-time distribution in whole periods (:class:`restock.simulator.world.LeadTime`)."""

    kind: Literal["deterministic", "empirical", "shifted_poisson", "negative_binomial"] = "deterministic"
    """Distribution family."""
    value: int = 0
    """The lead time (deterministic)."""
    values: tuple[int, ...] = ()
    """Possible lead times (empirical)."""
    probs: tuple[float, ...] = ()
    """Their probabilities, summing to 1 (empirical)."""
    shift: int = 0
    """Minimum lead time (shifted_poisson, negative_binomial)."""
    mean: float = 0.0
    """Mean lead time including the shift (shifted_poisson, negative_binomial)."""
    var: float = 0.0
    """Variance of the part above the shift (negative_binomial; > mean - shift)."""

    def to_lead_time(self, where: Where) -> LeadTime:
        try:
            return LeadTime(self.kind, self.value, self.values, self.probs, self.shift, self.mean, self.var)
        except InputError as exc:
            raise InputError(f"scenario {where.source}: key {where.key!r}: {exc}") from None


@dataclass(frozen=True)
class FillRateConfig:
    """Share of each order a vendor delivers: Beta with ``mean`` and ``concentration``, or a constant."""

    mean: float = 1.0
    """Mean share delivered, in [0, 1]."""
    concentration: float = 0.0
    """Beta concentration a + b (0: the constant ``mean``)."""


@dataclass(frozen=True)
class VendorConfig:
    """An external supplier."""

    name: str
    """Vendor name (nodes name it as their ``source``; vendor shocks target it)."""
    lead_time: LeadTimeConfig = field(default_factory=LeadTimeConfig)
    """Lead time of an order placed in period t (arrives at the start of t + L)."""
    fill_rate: FillRateConfig = field(default_factory=FillRateConfig)
    """Share of each order delivered."""
    capacity: float = math.inf
    """Most units of one SKU the vendor accepts per order (``inf``: unlimited)."""


@dataclass(frozen=True)
class NodeConfig:
    """A stocking location."""

    name: str
    """Node name."""
    source: str
    """A vendor name or an upstream node name."""
    customer_facing: bool = True
    """Whether customer demand arrives here."""
    backorder: bool = False
    """Unmet demand is backordered (true) or lost (false)."""
    storage_capacity: float = math.inf
    """Most units of one SKU the node can hold."""
    transfer_lead_time: int = 0
    """Lead time of transfers from an upstream node (periods)."""
    demand_share: float = 1.0
    """This node's demand is ``demand_share`` x the SKU's demand model (each customer-facing node draws
    its own; replayed data is scaled)."""
    initial_cover: float = 0.0
    """Starting on-hand in periods of the SKU's mean demand at (or below) this node."""


@dataclass(frozen=True)
class ForecastConfig:
    """The forecast table of a scenario (quantiles at every review)."""

    model: str = "true"
    """``"true"``: exact quantiles of the stationary model (it does not foresee shocks); else the name of
    a registered forecaster (``restock.forecasters.make``), fitted rolling-origin (data)."""
    quantiles: tuple[float, ...] = SCENARIO_QUANTILES
    """Quantile levels, strictly increasing in (0, 1)."""
    buckets: int = 8
    """Number of future buckets (of ``review_period`` periods) with per-bucket quantiles."""
    max_cover: int | None = None
    """Longest cumulative horizon in periods (default: the larger of the 99.9% lead time + transfer lead
    times + two review periods, and ``buckets`` review periods)."""
    foresee: bool = False
    """``"true"`` model only: whether it knows the demand shocks in advance (a known season, a planned
    promotion or launch: exact quantiles of the shocked rates) or not (a surprise: the base model)."""


@dataclass(frozen=True)
class ShockConfig:
    """A shock: ``kind`` over the window [start, end) of periods, on a target.

    Targets: demand and price shocks take ``skus`` or ``category`` (neither: every SKU) and optionally
    ``node``; vendor shocks take ``vendor`` (absent: every vendor); ``transfer_delay`` takes ``node``.
    See :mod:`restock.scenarios.shocks` for each kind's effect.
    """

    kind: ShockKind
    """What happens."""
    start: int
    """First period of the window."""
    end: int
    """One past the last period of the window (<= horizon)."""
    factor: float | None = None
    """Multiplier (demand_multiplier, price_change, lead_time_multiplier, fill_rate_drop, capacity_cut)."""
    curve: tuple[float, ...] = ()
    """demand_curve: multipliers at equally spaced points from start to end - 1, linearly interpolated."""
    skus: tuple[str, ...] = ()
    """Target SKUs."""
    category: str | None = None
    """Target category."""
    node: str | None = None
    """Target node."""
    vendor: str | None = None
    """Target vendor."""
    periods: int | None = None
    """transfer_delay: periods added to the transfer lead time of orders placed in the window."""
    label: str = ""
    """A name for reports."""


@dataclass(frozen=True)
class FamilyConfig:
    """A benchmark family: fills demand, economics, vendors, nodes and the review period from ``instance``."""

    name: Literal["zipkin-lost-sales"]
    """Family name (see :mod:`restock.scenarios.families`)."""
    instance: str
    """Instance of the family, e.g. ``"p9-L2"``."""


@dataclass(frozen=True)
class Scenario:
    """A validated scenario. Build worlds and paths with :meth:`build`; forecasts with :meth:`forecast`."""

    name: str
    """Short name (the built-in file's stem)."""
    description: str
    """What it models and why."""
    horizon: int
    """Periods simulated."""
    review_period: int = 7
    """Orders are placed every review_period periods."""
    review_offset: int = 0
    """First review period (in [0, review_period))."""
    warmup: int = 0
    """Periods of demand history before period 0 (for forecasters and initial stock)."""
    periods_per_year: float = 365.0
    """Periods in a year (``"... / year"`` amounts divide by it)."""
    seeds: SeedsConfig = field(default_factory=SeedsConfig)
    catalog: CatalogConfig = field(default_factory=CatalogConfig)
    demand: DemandConfig = field(default_factory=DemandConfig)
    economics: EconomicsConfig = field(default_factory=EconomicsConfig)
    vendors: tuple[VendorConfig, ...] = (VendorConfig("vendor"),)
    nodes: tuple[NodeConfig, ...] = (NodeConfig("store", "vendor"),)
    forecast: ForecastConfig = field(default_factory=ForecastConfig)
    shocks: tuple[ShockConfig, ...] = ()
    family: FamilyConfig | None = None
    source: str = field(default="<memory>", metadata={"internal": True})
    """Where the scenario was read from (named in errors)."""

    # ------------------------------------------------------------------ validation
    def validate(self) -> Scenario:
        """Raise an InputError naming the file, key and value of the first impossible value."""
        w = Where(self.source)
        if not self.name.strip():
            raise w.child("name").error(self.name, "must not be empty")
        if not self.description.strip():
            raise w.child("description").error(self.description, "must describe what the scenario models")
        _positive(w.child("horizon"), self.horizon)
        _positive(w.child("review_period"), self.review_period)
        if not 0 <= self.review_offset < self.review_period:
            raise w.child("review_offset").error(self.review_offset, f"must be in [0, {self.review_period})")
        _nonneg(w.child("warmup"), self.warmup)
        _positive(w.child("periods_per_year"), self.periods_per_year)
        _nonneg(w.child("seeds.root"), self.seeds.root)
        _nonneg(w.child("seeds.catalog"), self.seeds.catalog)
        _positive(w.child("seeds.n_paths"), self.seeds.n_paths)
        self._validate_catalog(w.child("catalog"))
        self._validate_demand(w.child("demand"))
        self._validate_economics(w.child("economics"))
        self.network()
        self._validate_forecast(w.child("forecast"))
        from restock.scenarios.shocks import validate_shocks

        validate_shocks(self)
        return self

    def _validate_catalog(self, w: Where) -> None:
        c = self.catalog
        if c.n_skus is not None:
            _positive(w.child("n_skus"), c.n_skus)
        if len(set(c.skus)) != len(c.skus):
            raise w.child("skus").error(list(c.skus), "must not repeat a SKU")
        if self.demand.kind == "stationary" and c.n_skus is None and not c.skus:
            raise InputError(f"scenario {w.source}: key 'catalog.n_skus' or 'catalog.skus' is required")
        names = [cat.name for cat in c.categories]
        if len(set(names)) != len(names):
            raise w.child("categories").error(names, "must not repeat a category name")
        for i, cat in enumerate(c.categories):
            _positive(w.child("categories").child(i).child("share"), cat.share)
            if not cat.elasticity <= 0:
                raise w.child("categories").child(i).child("elasticity").error(cat.elasticity, "must be <= 0")
        if not c.default_elasticity <= 0:
            raise w.child("default_elasticity").error(c.default_elasticity, "must be <= 0")

    def _validate_demand(self, w: Where) -> None:
        d = self.demand
        if d.kind == "stationary":
            if (d.mean is None) == (not d.mean_range):
                raise InputError(
                    f"scenario {w.source}: give exactly one of 'demand.mean' and 'demand.mean_range' "
                    f"for stationary demand, got mean={d.mean!r}, mean_range={list(d.mean_range)!r}"
                )
            if d.mean is not None:
                _positive(w.child("mean"), d.mean)
            else:
                _range(w.child("mean_range"), d.mean_range)
            if d.distribution == "negbin" and not d.dispersion > 1:
                raise w.child("dispersion").error(d.dispersion, "must be > 1 for negbin (variance / mean)")
            for key in ("source", "start"):
                if getattr(d, key):
                    raise w.child(key).error(getattr(d, key), "is only for demand.kind = 'data'")
        elif d.kind == "catalog":
            _positive(w.child("stores"), d.stores)
            if self.catalog.n_skus is None or self.catalog.skus:
                raise InputError(f"scenario {w.source}: key 'catalog.n_skus' is required for catalog demand")
            for key in ("source", "start"):
                if getattr(d, key):
                    raise w.child(key).error(getattr(d, key), "is only for demand.kind = 'data'")
            if d.mean is not None or d.mean_range:
                raise w.child("mean").error(d.mean, "is only for stationary demand")
        else:
            if not d.source:
                raise InputError(f"scenario {w.source}: key 'demand.source' is required for data demand")
            kind, _, rest = d.source.partition(":")
            if kind not in ("m5", "long", "wide", "carparts") or not rest:
                raise w.child("source").error(
                    d.source, "must be m5:PATH, long:PATH[:FREQ], wide:PATH, carparts:PATH"
                )
            path = rest if kind in ("m5", "carparts") or Path(rest).exists() else rest.rsplit(":", 1)[0]
            if not Path(path).exists():
                raise w.child("source").error(
                    d.source,
                    f"names a path that does not exist (relative to the current directory "
                    f"{Path.cwd().name!r})",
                )
            if d.start:
                try:
                    pd.Timestamp(d.start)
                except ValueError:
                    raise w.child("start").error(d.start, "must be an ISO date") from None
            if d.mean is not None or d.mean_range:
                raise w.child("mean").error(d.mean, "is only for stationary demand")

    def _validate_economics(self, w: Where) -> None:
        e = self.economics
        synthetic = self.demand.kind == "stationary"
        if e.price is not None and e.price_range:
            raise InputError(
                f"scenario {w.source}: give at most one of 'economics.price' and 'economics.price_range'"
            )
        if e.price is not None and not (math.isfinite(e.price) and e.price >= 0):
            raise w.child("price").error(e.price, "must be finite and >= 0")
        if e.price_range:
            if not synthetic:
                raise w.child("price_range").error(list(e.price_range), "is only for stationary demand")
            _range(w.child("price_range"), e.price_range)
        if synthetic and e.price is None and not e.price_range:
            raise InputError(f"scenario {w.source}: key 'economics.price' (or price_range) is required")
        if e.unit_cost.basis == "cost":
            raise w.child("unit_cost").error(str(e.unit_cost), "cannot be a fraction of itself")
        if not 0 < e.discount <= 1:
            raise w.child("discount").error(e.discount, "must be in (0, 1]")

    def _validate_forecast(self, w: Where) -> None:
        f = self.forecast
        q = f.quantiles
        if not q or any(not 0 < x < 1 for x in q) or any(b <= a for a, b in itertools.pairwise(q)):
            raise w.child("quantiles").error(list(q), "must be strictly increasing levels in (0, 1)")
        _positive(w.child("buckets"), f.buckets)
        if f.max_cover is not None:
            _positive(w.child("max_cover"), f.max_cover)
        if f.model != "true":
            from restock.forecasters import available

            known = available()
            if f.model not in known:
                raise w.child("model").error(
                    f.model, f"must be 'true' or a registered forecaster ({', '.join(known)})"
                )
        if f.foresee and f.model not in ("true", "true-distribution"):
            raise w.child("foresee").error(f.foresee, "applies only to model 'true'")
        if f.model == "true" and self.demand.kind == "data":
            raise w.child("model").error(
                f.model, "'true' needs synthetic demand; name a registered forecaster for data demand"
            )

    # ------------------------------------------------------------------ pieces of the world
    def network(self) -> Network:
        """The vendors and nodes as a :class:`~restock.simulator.world.Network` (without shocks)."""
        return self.network_with(())

    def network_with(self, disruptions: tuple[tuple[str, Disruption], ...]) -> Network:
        """The network with ``(vendor name, disruption)`` pairs attached to their vendors (shocks)."""
        w = Where(self.source)
        vendors = []
        for i, v in enumerate(self.vendors):
            vw = w.child("vendors").child(i)
            lead = v.lead_time.to_lead_time(vw.child("lead_time"))
            try:
                fill = FillRate(v.fill_rate.mean, v.fill_rate.concentration)
            except InputError as exc:
                raise InputError(f"scenario {w.source}: key '{vw.key}.fill_rate': {exc}") from None
            if not v.capacity >= 0:
                raise vw.child("capacity").error(v.capacity, "must be >= 0 (inf: unlimited)")
            own = tuple(d for name, d in disruptions if name == v.name)
            vendors.append(Vendor(v.name, lead, fill_rate=fill, capacity=v.capacity, disruptions=own))
        nodes = []
        for i, n in enumerate(self.nodes):
            nw = w.child("nodes").child(i)
            if not n.demand_share >= 0:
                raise nw.child("demand_share").error(n.demand_share, "must be >= 0")
            if not (math.isfinite(n.initial_cover) and n.initial_cover >= 0):
                raise nw.child("initial_cover").error(n.initial_cover, "must be finite and >= 0")
            try:
                nodes.append(
                    Node(
                        n.name,
                        n.source,
                        customer_facing=n.customer_facing,
                        backorder=n.backorder,
                        storage_capacity=n.storage_capacity,
                        transfer_lead_time=n.transfer_lead_time,
                    )
                )
            except InputError as exc:
                raise InputError(f"scenario {w.source}: key '{nw.key}': {exc}") from None
        try:
            return Network(vendors=tuple(vendors), nodes=tuple(nodes))
        except InputError as exc:
            raise InputError(f"scenario {w.source}: keys 'vendors'/'nodes': {exc}") from None

    # ------------------------------------------------------------------ building
    def sample(self, seed: int | None = None, n_paths: int | None = None) -> ScenarioDraw:
        """World, exogenous paths and demand history from root ``seed`` (default ``seeds.root``)."""
        from restock.scenarios.build import draw

        return draw(self, self.seeds.root if seed is None else seed, n_paths or self.seeds.n_paths)

    def build(self, seed: int, n_paths: int) -> tuple[World, ExogenousPaths]:
        """The world and ``n_paths`` exogenous paths from root ``seed`` (shocks applied).

        Training runs use seeds below :data:`restock.seeding.EVAL_SEED_OFFSET`; evaluation runs use
        :meth:`build_eval`, whose seeds are disjoint from them.
        """
        d = self.sample(seed, n_paths)
        return d.world, d.paths

    def build_eval(self, k: int, n_paths: int) -> tuple[World, ExogenousPaths]:
        """The ``k``-th evaluation draw (root seed :func:`restock.seeding.eval_seed` (k))."""
        from restock.seeding import eval_seed

        return self.build(eval_seed(k), n_paths)

    def forecast_table(self, seed: int | None = None, n_paths: int | None = None) -> ScenarioForecast:
        """The forecast table of the draw from ``seed`` (see :mod:`restock.scenarios.forecast`)."""
        from restock.scenarios.forecast import forecast_table

        return forecast_table(self.sample(seed, n_paths))


def _positive(w: Where, value: float) -> None:
    if not (math.isfinite(value) and value > 0):
        raise w.error(value, "must be > 0")


def _nonneg(w: Where, value: float) -> None:
    if not (math.isfinite(value) and value >= 0):
        raise w.error(value, "must be >= 0")


def _range(w: Where, values: tuple[float, ...]) -> None:
    if len(values) != 2 or not (0 < values[0] <= values[1] < math.inf):
        raise w.error(list(values), "must be [low, high] with 0 < low <= high")
