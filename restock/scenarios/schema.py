"""The scenario schema: one typed, frozen dataclass per TOML section, documented field by field.

A scenario file (see ``docs/scenarios.md`` and ``restock/scenarios/builtin/*.toml``) looks like::

    name = "steady"
    description = "..."
    horizon = 364            # periods simulated (days)
    review_period = 7        # weekly buying on daily demand
    warmup = 364             # periods of demand history before period 0, for forecasters

    [seeds]                  # root seed and number of paths of a default run; the catalog's own seed
    [catalog]                # which SKUs (n_skus or a list), categories with price elasticities
    [demand]                 # stationary poisson/negbin/normal per SKU, or replayed data ("m5:PATH")
    [economics]              # price, unit cost, holding, penalty, fixed order cost, salvage, discount
    [[vendors]]              # lead time, fill rate, capacity
    [[nodes]]                # stocking locations: source, transfer lead time, storage, backorders
    [forecast]               # which forecaster fills the forecast table, its quantile levels
    [ordering]               # case packs and minimum order quantities of orders to vendors
    [[shocks]]               # demand / price / launch / vendor / transfer shocks in windows [start, end)
    [family]                 # optional: a benchmark family that fills the sections above (Zipkin's)

This module holds data only. Parsing (:mod:`restock.scenarios.parsing`) rejects unknown keys and wrong
types; :func:`restock.scenarios.validate.validate` rejects impossible values. Both name the file, the
dotted key and the value. Turning a scenario into a world, paths and forecasts is the job of
:mod:`restock.scenarios.build` and :mod:`restock.scenarios.forecast`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from restock.scenarios.amounts import Amount, parse_amount
from restock.scenarios.parsing import infinite, parser

SCENARIO_QUANTILES: tuple[float, ...] = (
    0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.975, 0.98, 0.99, 0.995, 0.999,
)  # fmt: skip
"""Default quantile levels of a scenario's forecast table (``forecast.quantiles``) and of the exact Poisson
table of a world built in code (:func:`restock.envs.forecasts.poisson_table`): dense in the upper tail,
where newsvendor critical fractiles of retail economics lie (0.9 .. 0.999). Deliberately wider than
:data:`restock.forecasters.base.DEFAULT_QUANTILES` (the forecasters' training and scoring grid, 0.05 ..
0.98): policies read tau* quantiles off this table, and it resolves quantiles between its lowest and
highest level only."""

MAX_PERIODS = 100_000
"""Most periods of ``horizon``, ``warmup``, ``review_period`` and ``nodes.<i>.initial_cover``."""
MAX_SKUS = 1_000_000
"""Most SKUs of ``catalog.n_skus``."""
MAX_PATHS = 100_000
"""Most paths of ``seeds.n_paths``."""
MAX_LEAD_TIME = 10_000
"""Most periods of a lead time: ``value``, ``values``, ``shift`` and ``mean`` of a vendor's ``lead_time``
or a node's ``transfer_lead_time`` (whose ``var`` is at most its square), and a ``transfer_delay``'s
``periods``."""
MAX_FACTOR = 1e6
"""Most of a multiplier or scale: ``demand.mean``, ``demand.mean_range``, ``demand.dispersion``, a
``demand_multiplier`` shock's ``factor``, a ``demand_curve``'s values, ``fill_rate.concentration`` and a
node's ``demand_share``, ``holding_factor``, ``transit_holding_factor`` and ``penalty_factor``."""
MAX_LEAD_TIME_FACTOR = 10.0
"""Most ``factor`` of a ``lead_time_multiplier`` shock."""
MAX_PRICE_FACTOR = 1e3
"""A ``price_change`` shock's ``factor`` lies in [1 / MAX_PRICE_FACTOR, MAX_PRICE_FACTOR]."""
MAX_ELASTICITY = 10.0
"""Elasticities lie in [-MAX_ELASTICITY, 0]."""
MAX_PRICE = 1e9
"""Most ``economics.price`` and ``economics.price_range``."""

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
    "inbound_cut",
    "storage_cut",
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
    unit_volume: float = 1.0
    """Storage volume of one unit of every SKU (finite, >= 0), what ``nodes.<i>.storage_volume`` counts."""
    unit_volume_range: tuple[float, ...] = ()
    """``[low, high]``: each SKU's unit volume drawn log-uniformly in it with the catalog seed (replaces
    ``unit_volume``)."""
    shard: tuple[int, ...] = ()
    """``[first, stop]``: simulate only the SKUs ``first .. stop - 1`` of the catalog, with the numbers
    the whole catalog's draw gives them (stationary demand, SKUs that share no limit: a shard of an
    evaluation in shards, docs/scale.md). Empty: every SKU."""


@dataclass(frozen=True)
class DemandConfig:
    """Where demand comes from."""

    kind: Literal["stationary", "data", "catalog"] = "stationary"
    """``stationary``: i.i.d. demand per SKU and period from ``distribution``; ``data``: replay a data set;
    ``catalog``: the synthetic retail catalog of :mod:`restock.data.synthetic` (life cycles, seasons,
    holidays, promotions, spikes), fresh draws from its known truth on every path."""
    distribution: Literal["poisson", "negbin", "normal", "pmf"] = "poisson"
    """Stationary model per SKU, node and period around its mean m: ``poisson`` (whole units), ``negbin``
    (whole units, variance = dispersion x m) or ``normal``: max(0, X) with X ~ Normal(m, (cv x m)^2),
    censored at 0 (the mass below 0 is an atom at 0, so the mean is m Phi(1/cv) + cv m phi(1/cv) >= m)
    and not rounded (real-valued demand); see :mod:`restock.scenarios.censored_normal`. ``pmf``: whole
    units with the probabilities ``pmf`` (the same for every SKU; its mean replaces ``mean``)."""
    mean: float | None = None
    """Mean m per period, the same for every SKU (stationary; normal: the mean of X before censoring)."""
    mean_range: tuple[float, ...] = ()
    """``[low, high]``: each SKU's mean drawn log-uniformly in it with the catalog seed (stationary)."""
    dispersion: float = 2.0
    """Variance-to-mean ratio of the negbin model (> 1)."""
    pmf: tuple[float, ...] = ()
    """``distribution = "pmf"``: P(D = 0), P(D = 1), ... of each period's demand (finite, >= 0, summing to
    1; e.g. ``[0.2, 0.2, 0.2, 0.2, 0.2]``, uniform on 0..4). One node only, no demand shocks (a pmf has no
    rate to scale)."""
    cv: float | None = None
    """Coefficient of variation of the normal model before censoring: X's standard deviation is cv x m,
    so it scales with each SKU's mean, a node's demand share and the demand shocks (normal: required,
    finite and > 0; refused with the other distributions)."""
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
    capacity: float = field(default=math.inf, metadata=infinite())
    """Most units of one SKU the vendor accepts per order (``inf``: unlimited)."""
    unit_cost_factor: float = 1.0
    """Purchase cost of a unit from this vendor = ``unit_cost_factor`` x the SKU's ``unit_cost`` (an
    expedited vendor: 1.05 for a 5% premium)."""


@dataclass(frozen=True)
class NodeConfig:
    """A stocking location."""

    name: str
    """Node name."""
    source: str
    """A vendor name or an upstream node name."""
    extra_sources: tuple[str, ...] = ()
    """More vendors this node orders from (dual sourcing: the fast, dear one), one order per source."""
    customer_facing: bool = True
    """Whether customer demand arrives here."""
    backorder: bool = False
    """Unmet demand is backordered (true) or lost (false)."""
    storage_capacity: float = field(default=math.inf, metadata=infinite())
    """Most units of one SKU the node can hold (``inf``: unlimited)."""
    inbound_capacity: float | tuple[float, ...] = field(default=math.inf, metadata=infinite())
    """Most units the node accepts per review over all its SKUs and sources, shared by the catalog (a
    warehouse's inbound labour; ``inf``: unlimited); orders beyond it are cut pro rata. One number for
    every period, or a path of ``horizon`` numbers (one per period). ``inbound_cut`` shocks lower it in
    windows."""
    storage_volume: float | tuple[float, ...] = field(default=math.inf, metadata=infinite())
    """Volume the node's SKUs share on its shelves, in the units of ``catalog.unit_volume`` (``inf``:
    unlimited); arrivals beyond the room left are disposed pro rata by volume, stock held is never. One
    number, or a path of ``horizon`` numbers. ``storage_cut`` shocks lower it in windows."""
    transfer_lead_time: int | LeadTimeConfig = 0
    """Lead time of transfers from an upstream node: whole periods (>= 0), or a lead-time table like a
    vendor's (``{ kind = "empirical", values = [1, 2, 3], probs = [0.2, 0.6, 0.2] }``), drawn per
    transfer; a node fed by a vendor refuses any value but 0 (the vendor's ``lead_time`` applies)."""
    holding_factor: float = 1.0
    """Holding cost here = ``holding_factor`` x the SKU's ``holding_cost`` (a warehouse holds cheaply)."""
    transit_holding_factor: float = 0.0
    """Holding cost per unit in transit to this node per period, as a factor of the SKU's."""
    penalty_factor: float = 1.0
    """Penalty per unit lost or backordered here = ``penalty_factor`` x the SKU's ``lost_sale_penalty``."""
    demand_share: float | None = None
    """This node's demand is ``demand_share`` x the SKU's demand model (each customer-facing node draws
    its own; replayed data is scaled). Unset: 1 at a customer-facing node; a node that is not
    customer-facing refuses it (its demand is that of the nodes it feeds)."""
    initial_cover: float = 0.0
    """Starting on-hand in periods of the SKU's mean demand at (or below) this node."""

    @property
    def own_share(self) -> float:
        """The multiple of the SKU's demand model that arrives at this node itself: ``demand_share`` (1
        when unset) at a customer-facing node, 0 elsewhere."""
        if not self.customer_facing:
            return 0.0
        return 1.0 if self.demand_share is None else self.demand_share


@dataclass(frozen=True)
class ForecastConfig:
    """The forecast table of a scenario (quantiles at every review)."""

    model: str = "true"
    """``"true"``: exact quantiles of the stationary model (it does not foresee shocks); else the name of
    a registered forecaster (``restock.forecasters.make``), fitted rolling-origin (data)."""
    quantiles: tuple[float, ...] = SCENARIO_QUANTILES
    """Quantile levels, strictly increasing in (0, 1); default :data:`SCENARIO_QUANTILES` (0.01 .. 0.999)."""
    buckets: int = 8
    """Number of future buckets (of ``review_period`` periods) with per-bucket quantiles."""
    max_cover: int | None = None
    """Longest cumulative horizon in periods (default: the larger of the 99.9% lead time + transfer lead
    times + two review periods, and ``buckets`` review periods)."""
    foresee: bool = False
    """``"true"`` model only: whether it knows the demand shocks in advance (a known season, a planned
    promotion or launch: exact quantiles of the shocked rates) or not (a surprise: the base model)."""
    history: Literal["demand", "sales", "sales-as-demand"] = "demand"
    """What a registered forecaster learns from: ``"demand"`` (the true demand of the history and of the
    periods up to each review); ``"sales"``: what the reference policy below sold, censored by its own
    stock-outs, with the stock-out flags (the ``in_stock`` availability signal), which censoring-aware
    forecasters use to learn unconstrained demand; ``"sales-as-demand"``: the same sales without the flags
    (sales read as if they were demand, the common practice the flags correct). The sales come from a
    warm-up run of the simulator over the history and the horizon on the draw's own paths, before the
    run (:mod:`restock.scenarios.sales`; docs/censoring.md). Both sales histories need synthetic demand,
    one node with lost sales and one source, and a registered forecaster."""
    history_cover: float | None = None
    """``history = "sales"`` or ``"sales-as-demand"`` only: the reference policy's base-stock level in
    periods of each SKU's mean demand (the mean of its warm-up history over the paths), ordered up to at
    every review.
    Unset: the vendor's mean lead time + the review period, the mean demand over the protection interval
    (about a 50% chance of a stock-out each cycle: an under-stocking policy)."""


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
    """Multiplier (demand_multiplier, price_change, lead_time_multiplier, fill_rate_drop, capacity_cut,
    inbound_cut, storage_cut)."""
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
class OrderingConfig:
    """Case packs and minimum order quantities of orders to vendors, the same for every SKU
    (:class:`restock.simulator.world.Ordering`: an order is rounded to the nearest whole number of packs,
    then a positive order is raised to the minimum)."""

    case_pack: float | None = None
    """Units per case pack (> 0); unset: single units, no rounding."""
    minimum_order: float | None = None
    """Minimum order quantity (>= 0, a whole number of case packs); unset: no minimum."""


@dataclass(frozen=True)
class FamilyConfig:
    """A benchmark family: fills demand, economics, vendors, nodes and the review period from ``instance``."""

    name: Literal["zipkin-lost-sales", "dual-sourcing"]
    """Family name (see :mod:`restock.scenarios.families`)."""
    instance: str
    """Instance of the family, e.g. ``"p9-L2"`` (zipkin-lost-sales) or ``"L2-c105"`` (dual-sourcing)."""
    demand: Literal["poisson", "uniform"] | None = None
    """dual-sourcing only: ``"uniform"`` on {0, ..., 4} as published, or ``"poisson"`` (Poisson(2), the
    default: the same mean and variance)."""


@dataclass(frozen=True)
class Scenario:
    """A scenario (validated by :func:`restock.scenarios.validate.validate` when loaded). Build worlds and
    paths with :func:`restock.scenarios.build.build_world` (or :func:`~restock.scenarios.build.draw`);
    forecast tables with :func:`restock.scenarios.forecast.forecast_table`."""

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
    ordering: OrderingConfig = field(default_factory=OrderingConfig)
    shocks: tuple[ShockConfig, ...] = ()
    family: FamilyConfig | None = None
    source: str = field(default="<memory>", metadata={"internal": True})
    """Where the scenario was read from (named in errors)."""
