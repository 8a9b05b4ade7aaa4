"""Static checks of a :class:`~restock.scenarios.schema.Scenario`: impossible values are InputErrors.

:func:`validate` is the last step of :func:`restock.scenarios.load` (after parsing, which rejects unknown
keys and wrong types). Every error names the file, the dotted key and the value. Besides the values of
each section it checks the network (:func:`restock.scenarios.network.scenario_network`), the shocks
(:func:`restock.scenarios.shocks.validate_shocks`; for a stationary catalog also their targets), and that
``forecast.model`` names a registered forecaster.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd

from restock.errors import InputError
from restock.forecasters import available
from restock.scenarios import schema as bounds
from restock.scenarios.catalog import cover_periods, resolve_catalog
from restock.scenarios.network import limit_path, scenario_network
from restock.scenarios.parsing import Where
from restock.scenarios.schema import DemandConfig, LeadTimeConfig, Scenario
from restock.scenarios.shocks import DEMAND_KINDS, check_targets, validate_shocks


def validate(scenario: Scenario) -> Scenario:
    """``scenario`` itself, or an InputError naming the file, key and value of the first impossible value."""
    w = Where(scenario.source)
    if not scenario.name.strip():
        raise w.child("name").error(scenario.name, "must not be empty")
    if not scenario.description.strip():
        raise w.child("description").error(scenario.description, "must describe what the scenario models")
    _positive(w.child("horizon"), scenario.horizon)
    _positive(w.child("review_period"), scenario.review_period)
    if not 0 <= scenario.review_offset < scenario.review_period:
        raise w.child("review_offset").error(
            scenario.review_offset, f"must be in [0, {scenario.review_period})"
        )
    _nonneg(w.child("warmup"), scenario.warmup)
    _positive(w.child("periods_per_year"), scenario.periods_per_year)
    _nonneg(w.child("seeds.root"), scenario.seeds.root)
    _nonneg(w.child("seeds.catalog"), scenario.seeds.catalog)
    _positive(w.child("seeds.n_paths"), scenario.seeds.n_paths)
    _validate_bounds(scenario, w)
    _validate_catalog(scenario, w.child("catalog"))
    _validate_demand(scenario, w.child("demand"))
    _validate_economics(scenario, w.child("economics"))
    scenario_network(scenario)
    _validate_forecast(scenario, w.child("forecast"))
    validate_shocks(scenario)
    if scenario.demand.kind == "stationary":
        # a synthetic catalog is cheap to resolve: check the shocks' targets now, not at the first draw
        check_targets(scenario, resolve_catalog(scenario))
    return scenario


def _validate_catalog(scenario: Scenario, w: Where) -> None:
    c = scenario.catalog
    if c.n_skus is not None:
        _positive(w.child("n_skus"), c.n_skus)
    if len(set(c.skus)) != len(c.skus):
        raise w.child("skus").error(list(c.skus), "must not repeat a SKU")
    if scenario.demand.kind == "stationary" and c.n_skus is None and not c.skus:
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
    _nonneg(w.child("unit_volume"), c.unit_volume)
    _at_most(w.child("unit_volume"), c.unit_volume, bounds.MAX_FACTOR)
    if c.unit_volume_range:
        _range(w.child("unit_volume_range"), c.unit_volume_range)
        _at_most(w.child("unit_volume_range"), c.unit_volume_range[1], bounds.MAX_FACTOR)
    if c.shard:
        _check_shard(scenario, w.child("shard"))


def _check_shard(scenario: Scenario, w: Where) -> None:
    """``catalog.shard = [first, stop]``: whole numbers with 0 <= first < stop <= the catalog's SKUs, on a
    stationary catalog whose SKUs share no limit (else a shard is not the same model)."""
    c, shard = scenario.catalog, scenario.catalog.shard
    n = len(c.skus) if c.skus else c.n_skus
    if len(shard) != 2 or not all(isinstance(x, int) and not isinstance(x, bool) for x in shard):
        raise w.error(list(shard), "must be [first, stop], two whole numbers")
    if not 0 <= shard[0] < shard[1] <= (n or 0):
        raise w.error(
            list(shard), f"must be [first, stop] with 0 <= first < stop <= {n} (the catalog's SKUs)"
        )
    if scenario.demand.kind != "stationary":
        raise w.error(
            list(shard), f"is only for stationary demand, not demand.kind = {scenario.demand.kind!r}"
        )
    shared = [
        f"nodes.{i}.{key}"
        for i, node in enumerate(scenario.nodes)
        for key in ("inbound_capacity", "storage_volume")
        if np.isfinite(limit_path(getattr(node, key), scenario.horizon)).any()
    ]
    if shared:
        raise w.error(
            list(shard), f"needs SKUs that share no limit, but {shared[0]} is set: its SKUs interact"
        )


def _validate_demand(scenario: Scenario, w: Where) -> None:
    d = scenario.demand
    if d.kind == "stationary" and d.distribution == "pmf":
        _validate_pmf(scenario, w)
    elif d.pmf:
        raise w.child("pmf").error(list(d.pmf), "is only for distribution = 'pmf' of stationary demand")
    if d.kind == "stationary":
        if d.distribution != "pmf":  # (a pmf implies its mean: checked above)
            _validate_mean(d, w)
        if d.distribution == "negbin" and not d.dispersion > 1:
            raise w.child("dispersion").error(d.dispersion, "must be > 1 for negbin (variance / mean)")
        if d.distribution == "normal":
            if d.cv is None:
                raise InputError(
                    f"scenario {w.source}: key 'demand.cv' is required for distribution = 'normal' "
                    "(the standard deviation before censoring at 0 is cv x mean)"
                )
            if not (math.isfinite(d.cv) and d.cv > 0):
                raise w.child("cv").error(d.cv, "must be finite and > 0 (standard deviation / mean)")
        elif d.cv is not None:
            raise w.child("cv").error(d.cv, f"is only for distribution = 'normal', not {d.distribution!r}")
        for key in ("source", "start"):
            if getattr(d, key):
                raise w.child(key).error(getattr(d, key), "is only for demand.kind = 'data'")
    elif d.kind == "catalog":
        _positive(w.child("stores"), d.stores)
        if scenario.catalog.n_skus is None or scenario.catalog.skus:
            raise InputError(f"scenario {w.source}: key 'catalog.n_skus' is required for catalog demand")
        for key in ("source", "start"):
            if getattr(d, key):
                raise w.child(key).error(getattr(d, key), "is only for demand.kind = 'data'")
        if d.mean is not None or d.mean_range:
            raise w.child("mean").error(d.mean, "is only for stationary demand")
        if d.cv is not None:
            raise w.child("cv").error(d.cv, "is only for stationary demand")
    else:
        if not d.source:
            raise InputError(f"scenario {w.source}: key 'demand.source' is required for data demand")
        kind, _, rest = d.source.partition(":")
        if kind not in ("m5", "long", "wide", "carparts") or not rest:
            raise w.child("source").error(
                d.source, "must be m5:PATH[:zero-runs], long:PATH[:FREQ], wide:PATH, carparts:PATH"
            )
        path = rest if kind == "carparts" or Path(rest).exists() else rest.rsplit(":", 1)[0]
        if not Path(path).exists():
            raise w.child("source").error(
                d.source,
                f"names a path that does not exist (relative to the current directory {Path.cwd().name!r})",
            )
        if d.start:
            try:
                pd.Timestamp(d.start)
            except ValueError:
                raise w.child("start").error(d.start, "must be an ISO date") from None
        if d.mean is not None or d.mean_range:
            raise w.child("mean").error(d.mean, "is only for stationary demand")
        if d.cv is not None:
            raise w.child("cv").error(d.cv, "is only for stationary demand")


def _validate_mean(d: DemandConfig, w: Where) -> None:
    """Exactly one of ``mean`` (> 0) and ``mean_range`` (``[low, high]``) of stationary demand."""
    if (d.mean is None) == (not d.mean_range):
        raise InputError(
            f"scenario {w.source}: give exactly one of 'demand.mean' and 'demand.mean_range' "
            f"for stationary demand, got mean={d.mean!r}, mean_range={list(d.mean_range)!r}"
        )
    if d.mean is not None:
        _positive(w.child("mean"), d.mean)
    else:
        _range(w.child("mean_range"), d.mean_range)


MAX_PMF_VALUES = 1_000
"""Longest ``demand.pmf`` (values 0 .. MAX_PMF_VALUES - 1)."""
MAX_PMF_WORK = 50_000
"""Most ``len(demand.pmf)`` x the forecast table's longest cover: the exact table convolves the pmf once
per period of that cover (about (len x cover)^2 / 2 operations); beyond it building the table would hang."""


def _validate_pmf(scenario: Scenario, w: Where) -> None:
    """``demand.pmf``: finite values >= 0 summing to 1 (to 1e-9), at most :data:`MAX_PMF_VALUES`; no
    ``mean``/``mean_range`` (the pmf's mean is the mean), one node, no shock that scales demand."""
    d = scenario.demand
    pw = w.child("pmf")
    if not d.pmf:
        raise InputError(f"scenario {w.source}: key 'demand.pmf' is required for distribution = 'pmf'")
    if len(d.pmf) > MAX_PMF_VALUES:
        raise pw.error(f"{len(d.pmf)} values", f"must hold at most {MAX_PMF_VALUES} values")
    for i, v in enumerate(d.pmf):
        if not (math.isfinite(v) and v >= 0):
            raise pw.child(i).error(v, "must be finite and >= 0")
    cover = cover_periods(scenario)
    if len(d.pmf) * cover > MAX_PMF_WORK:
        raise pw.error(
            f"{len(d.pmf)} values",
            f"x the forecast's longest cover ({cover} periods) must be at most {MAX_PMF_WORK:,} "
            "(a shorter pmf, or a smaller forecast.max_cover)",
        )
    if abs(sum(d.pmf) - 1.0) > 1e-9:
        raise pw.error(list(d.pmf)[:8], f"must sum to 1, sums to {sum(d.pmf)!r}")
    if d.mean is not None or d.mean_range:
        raise w.child("mean").error(
            d.mean if d.mean is not None else list(d.mean_range), "is implied by demand.pmf (remove it)"
        )
    if len(scenario.nodes) != 1:
        raise pw.error(list(d.pmf)[:8], f"is for a single node, the scenario has {len(scenario.nodes)}")
    scaling = [s.kind for s in scenario.shocks if s.kind in DEMAND_KINDS]
    if scaling:
        raise pw.error(
            list(d.pmf)[:8], f"has no rate for a {scaling[0]!r} shock to scale (use poisson or negbin)"
        )


def _validate_economics(scenario: Scenario, w: Where) -> None:
    e = scenario.economics
    synthetic = scenario.demand.kind == "stationary"
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


def _validate_forecast(scenario: Scenario, w: Where) -> None:
    f = scenario.forecast
    q = f.quantiles
    if not q or any(not 0 < x < 1 for x in q) or any(b <= a for a, b in itertools.pairwise(q)):
        raise w.child("quantiles").error(list(q), "must be strictly increasing levels in (0, 1)")
    _positive(w.child("buckets"), f.buckets)
    if f.max_cover is not None:
        _positive(w.child("max_cover"), f.max_cover)
    if f.model != "true":
        known = available()
        if f.model not in known:
            raise w.child("model").error(
                f.model, f"must be 'true' or a registered forecaster ({', '.join(known)})"
            )
    if f.foresee and f.model not in ("true", "true-distribution"):
        raise w.child("foresee").error(f.foresee, "applies only to model 'true'")
    _validate_history(scenario, w)
    if f.model == "true" and scenario.demand.kind == "data":
        raise w.child("model").error(
            f.model, "'true' needs synthetic demand; name a registered forecaster for data demand"
        )


def _validate_history(scenario: Scenario, w: Where) -> None:
    """``forecast.history`` and ``forecast.history_cover`` (see :class:`ForecastConfig`)."""
    f = scenario.forecast
    if f.history_cover is not None:
        if f.history == "demand":
            raise w.child("history_cover").error(
                f.history_cover, "applies only to history 'sales' or 'sales-as-demand'"
            )
        if not 0 < f.history_cover <= bounds.MAX_PERIODS:
            raise w.child("history_cover").error(
                f.history_cover, f"must be in (0, {bounds.MAX_PERIODS}] periods of mean demand"
            )
    if f.history == "demand":
        return
    h = w.child("history")
    if f.model in ("true", "true-distribution"):
        raise h.error(f.history, f"needs a registered forecaster that learns from history, not {f.model!r}")
    if scenario.demand.kind == "data":
        raise h.error(f.history, "needs synthetic demand (replayed data is already sales)")
    if len(scenario.nodes) != 1 or scenario.nodes[0].backorder or scenario.nodes[0].extra_sources:
        raise h.error(f.history, "needs one node with lost sales and one source (the warm-up run's policy)")
    if scenario.warmup < 1:
        raise h.error(f.history, "needs a warmup history (warmup >= 1)")


def _validate_bounds(scenario: Scenario, w: Where) -> None:
    """Upper bounds of sizes, lead times and multipliers (the ``MAX_*`` of :mod:`restock.scenarios.schema`):
    finite values beyond them would hang the demand tables or allocate without limit."""
    for key in ("horizon", "warmup", "review_period"):
        _at_most(w.child(key), getattr(scenario, key), bounds.MAX_PERIODS, "periods")
    _at_most(w.child("seeds.n_paths"), scenario.seeds.n_paths, bounds.MAX_PATHS, "paths")
    c = scenario.catalog
    if c.n_skus is not None:
        _at_most(w.child("catalog.n_skus"), c.n_skus, bounds.MAX_SKUS, "SKUs")
    for i, cat in enumerate(c.categories):
        _elasticity(w.child("catalog.categories").child(i).child("elasticity"), cat.elasticity)
    _elasticity(w.child("catalog.default_elasticity"), c.default_elasticity)
    d = scenario.demand
    if d.mean is not None:
        _at_most(w.child("demand.mean"), d.mean, bounds.MAX_FACTOR, "units a period")
    if d.mean_range and max(d.mean_range) > bounds.MAX_FACTOR:
        raise w.child("demand.mean_range").error(
            list(d.mean_range), f"must be at most {bounds.MAX_FACTOR:g} units a period"
        )
    _at_most(w.child("demand.dispersion"), d.dispersion, bounds.MAX_FACTOR)
    e = scenario.economics
    if e.price is not None:
        _at_most(w.child("economics.price"), e.price, bounds.MAX_PRICE)
    if e.price_range and max(e.price_range) > bounds.MAX_PRICE:
        raise w.child("economics.price_range").error(
            list(e.price_range), f"must be at most {bounds.MAX_PRICE:g}"
        )
    for i, v in enumerate(scenario.vendors):
        vw = w.child("vendors").child(i)
        _lead_time_bounds(vw.child("lead_time"), v.lead_time)
        _at_most(vw.child("fill_rate.concentration"), v.fill_rate.concentration, bounds.MAX_FACTOR)
        _at_most(vw.child("unit_cost_factor"), v.unit_cost_factor, bounds.MAX_FACTOR)
    _check_ordering(scenario, w)
    for i, n in enumerate(scenario.nodes):
        nw = w.child("nodes").child(i)
        if isinstance(n.transfer_lead_time, LeadTimeConfig):
            _lead_time_bounds(nw.child("transfer_lead_time"), n.transfer_lead_time)
        else:
            _at_most(nw.child("transfer_lead_time"), n.transfer_lead_time, bounds.MAX_LEAD_TIME, "periods")
        for key in ("demand_share", "holding_factor", "transit_holding_factor", "penalty_factor"):
            if getattr(n, key) is not None:
                _at_most(nw.child(key), getattr(n, key), bounds.MAX_FACTOR)
        _at_most(nw.child("initial_cover"), n.initial_cover, bounds.MAX_PERIODS, "periods")
    for i, sh in enumerate(scenario.shocks):
        sw = w.child("shocks").child(i)
        if sh.factor is not None:
            if sh.kind == "lead_time_multiplier":
                _at_most(sw.child("factor"), sh.factor, bounds.MAX_LEAD_TIME_FACTOR)
            elif sh.kind == "price_change":
                low, high = 1.0 / bounds.MAX_PRICE_FACTOR, bounds.MAX_PRICE_FACTOR
                if not low <= sh.factor <= high:
                    raise sw.child("factor").error(sh.factor, f"must be in [{low:g}, {high:g}]")
            else:
                _at_most(sw.child("factor"), sh.factor, bounds.MAX_FACTOR)
        if sh.curve and max(sh.curve) > bounds.MAX_FACTOR:
            raise sw.child("curve").error(list(sh.curve), f"must hold values at most {bounds.MAX_FACTOR:g}")
        if sh.periods is not None:
            _at_most(sw.child("periods"), sh.periods, bounds.MAX_LEAD_TIME, "periods")


def _lead_time_bounds(w: Where, lt: LeadTimeConfig) -> None:
    high = bounds.MAX_LEAD_TIME
    for key in ("value", "shift", "mean"):
        _at_most(w.child(key), getattr(lt, key), high, "periods")
    if lt.values and max(lt.values) > high:
        raise w.child("values").error(list(lt.values), f"must be at most {high} periods")
    _at_most(w.child("var"), lt.var, float(high) ** 2, "(the square of the longest lead time)")


def _elasticity(w: Where, value: float) -> None:
    if value < -bounds.MAX_ELASTICITY:
        raise w.error(value, f"must be >= {-bounds.MAX_ELASTICITY:g}")


def _at_most(w: Where, value: float, high: float, unit: str = "") -> None:
    if value > high:
        raise w.error(value, f"must be at most {high:g}" + (f" {unit}" if unit else ""))


def _positive(w: Where, value: float) -> None:
    if not (math.isfinite(value) and value > 0):
        raise w.error(value, "must be > 0")


def _nonneg(w: Where, value: float) -> None:
    if not (math.isfinite(value) and value >= 0):
        raise w.error(value, "must be >= 0")


def _range(w: Where, values: tuple[float, ...]) -> None:
    if len(values) != 2 or not (0 < values[0] <= values[1] < math.inf):
        raise w.error(list(values), "must be [low, high] with 0 < low <= high")


def _check_ordering(scenario: Scenario, w: Where) -> None:
    """``[ordering]``: a case pack finite and > 0, a minimum order finite, >= 0 and a whole number of case
    packs, both at most :data:`bounds.MAX_FACTOR` units."""
    o = scenario.ordering
    ow = w.child("ordering")
    if o.case_pack is not None:
        if not (math.isfinite(o.case_pack) and o.case_pack > 0):
            raise ow.child("case_pack").error(o.case_pack, "must be finite and > 0 (units per case pack)")
        _at_most(ow.child("case_pack"), o.case_pack, bounds.MAX_FACTOR, "units")
    if o.minimum_order is not None:
        if not (math.isfinite(o.minimum_order) and o.minimum_order >= 0):
            raise ow.child("minimum_order").error(o.minimum_order, "must be finite and >= 0")
        _at_most(ow.child("minimum_order"), o.minimum_order, bounds.MAX_FACTOR, "units")
        if o.case_pack is not None:
            packs = o.minimum_order / o.case_pack
            if abs(packs - round(packs)) > 1e-9 * max(packs, 1.0):
                raise ow.child("minimum_order").error(
                    o.minimum_order, f"must be a whole number of case packs (case_pack = {o.case_pack:g})"
                )
