"""The SKUs of a scenario, their categories, base demand model or replayed data, and base prices.

Synthetic (stationary) catalogs are drawn from the scenario's catalog seed (``seeds.catalog``), never from
the path seed, so every training and evaluation run of a scenario sees the same SKUs, means and prices.
SKUs are named ``SKU000``, ``SKU001``, ... (or ``catalog.skus``) and assigned to categories in blocks, in
the order the categories are listed, by share (largest remainder).

Data catalogs load ``demand.source`` with :func:`restock.data.load_panel` and cut a window of
``warmup + horizon`` periods out of it: period 0 is ``demand.start`` (default: the latest start that fits).
Demand before a series' first sale is 0 (the product was not on sale yet); prices missing inside the
window are carried forward (then backward) from the nearest known week.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from restock import seeding
from restock.data import load_panel
from restock.data.panel import AVAILABILITY_COLUMN, DemandPanel
from restock.data.synthetic import SyntheticConfig, SyntheticTruth, generate_catalog
from restock.errors import InputError
from restock.scenarios.cache import ScenarioCache, freeze
from restock.scenarios.network import scenario_network
from restock.scenarios.schema import Scenario


@dataclass(frozen=True)
class Catalog:
    """SKUs and their base (unshocked) demand model or data, over the periods ``-warmup .. horizon-1``."""

    skus: tuple[str, ...]
    """SKU names (world order)."""
    category: tuple[str, ...]
    """Category of each SKU."""
    elasticity: np.ndarray
    """[N] price elasticity of each SKU's category (<= 0)."""
    price: np.ndarray
    """[W + T, N] base selling price per period (period -W first)."""
    mean: np.ndarray | None = None
    """[N] mean demand per period of the stationary model (None for data)."""
    demand: np.ndarray | None = None
    """[W + T, N] replayed demand (None for synthetic)."""
    dates: pd.DatetimeIndex | None = None
    """[W + T] dates of the periods (data)."""
    panel: DemandPanel | None = None
    """The data panel restricted to the catalog's SKUs and to dates before period ``horizon`` (data)."""
    truth: SyntheticTruth | None = None
    """The synthetic catalog's exact daily demand distribution from period -W on (catalog)."""
    in_stock: np.ndarray | None = None
    """[W + T, N] the data's availability signal (``in_stock``: below 1 the period's demand is a sale in
    a stock-out, a lower bound of demand), 1 before a series' span; None when the data has none (data)."""

    @property
    def n_skus(self) -> int:
        return len(self.skus)

    def categories(self) -> list[str]:
        return sorted(set(self.category))


def cover_periods(scenario: Scenario) -> int:
    """Longest cumulative horizon of a forecast table: ``forecast.max_cover``, else the larger of the 99.9%
    lead time plus every transfer lead time plus two review periods, and ``buckets`` review periods."""
    f, b = scenario.forecast, scenario.review_period
    if f.max_cover is not None:
        return f.max_cover
    network = scenario_network(scenario)
    lead = max((v.lead_time.upper(1e-3) for v in network.vendors), default=0)
    transfer = sum(n.transfer_distribution.upper(1e-3) for n in network.nodes)
    return max(int(lead + transfer + 2 * b), f.buckets * b, 1)


CATALOGS: ScenarioCache[Catalog] = ScenarioCache()
"""Data and synthetic-catalog catalogs of recent scenarios (see :mod:`restock.scenarios.cache`)."""


def resolve_catalog(scenario: Scenario) -> Catalog:
    """The scenario's catalog (loads the data for data-driven scenarios; cached, read-only arrays)."""
    if scenario.demand.kind == "stationary":
        return _synthetic(scenario)
    if scenario.demand.kind == "catalog":
        return CATALOGS.get(scenario, "catalog", lambda: freeze(_from_generator(scenario)))
    return CATALOGS.get(scenario, "data", lambda: freeze(_from_data(scenario)))


def _from_generator(scenario: Scenario) -> Catalog:
    """The synthetic retail catalog over the periods -W .. T - 1 plus the forecast reach (daily truth)."""
    w, t = scenario.warmup, scenario.horizon
    reach = cover_periods(scenario) + scenario.review_period
    n_skus = scenario.catalog.n_skus or 0
    try:
        config = SyntheticConfig(
            n_skus=n_skus,
            n_stores=min(scenario.demand.stores, n_skus),
            n_days=w + t + reach,
            seed=scenario.seeds.catalog,
        )
        generated = generate_catalog(config)
    except InputError as exc:
        raise InputError(f"scenario {scenario.source}: key 'demand' (synthetic catalog): {exc}") from None
    panel, truth = generated.panel, generated.truth
    skus = list(truth.series_ids)
    dates = truth.dates[: w + t]
    if scenario.economics.price is not None:
        price = np.full((w + t, len(skus)), scenario.economics.price)
    else:
        frame = pd.DataFrame(panel.matrix("price")[:, : w + t].T, columns=skus).ffill().bfill()
        frame = frame.fillna(1.0)  # a series never on sale in the window has no demand either (mu = 0)
        price = frame.to_numpy(dtype=np.float64)
    static = panel.static
    category = (
        tuple(static["category"].astype(str)) if "category" in static.columns else ("default",) * len(skus)
    )
    return Catalog(
        skus=tuple(skus),
        category=category,
        elasticity=_elasticities(scenario, category),
        price=price,
        dates=dates,
        truth=truth,
    )


def pmf_mean(pmf: tuple[float, ...]) -> float:
    """The mean of demand with P(D = k) = ``pmf[k]``."""
    return float(np.dot(np.arange(len(pmf)), pmf))


def _log_uniform(rng: np.random.Generator, bounds: tuple[float, ...], n: int) -> np.ndarray:
    lo, hi = np.log(bounds[0]), np.log(bounds[1])
    return np.exp(rng.uniform(lo, hi, size=n))


def unit_volumes(scenario: Scenario, n_skus: int) -> np.ndarray:
    """[N] the storage volume of a unit of each SKU: ``catalog.unit_volume``, or drawn log-uniformly in
    ``catalog.unit_volume_range`` with the catalog seed (its own stream: the other draws do not move)."""
    c = scenario.catalog
    if not c.unit_volume_range:
        return np.full(n_skus, float(c.unit_volume))
    rng = seeding.generator(scenario.seeds.catalog, "catalog/unit_volume")
    return _log_uniform(rng, c.unit_volume_range, n_skus)


def _elasticities(scenario: Scenario, category: tuple[str, ...]) -> np.ndarray:
    table = {c.name: c.elasticity for c in scenario.catalog.categories}
    return np.array([table.get(c, scenario.catalog.default_elasticity) for c in category], dtype=np.float64)


def _synthetic(scenario: Scenario) -> Catalog:
    cat = scenario.catalog
    skus = cat.skus or tuple(f"SKU{i:03d}" for i in range(cat.n_skus or 0))
    n = len(skus)
    if cat.categories:
        shares = np.array([c.share for c in cat.categories], dtype=np.float64)
        raw = shares / shares.sum() * n
        counts = np.floor(raw).astype(int)
        for i in np.argsort(-(raw - counts), kind="stable")[: n - counts.sum()]:
            counts[i] += 1
        category = tuple(c.name for c, k in zip(cat.categories, counts, strict=True) for _ in range(k))
    else:
        category = ("default",) * n
    d, e = scenario.demand, scenario.economics
    seed = scenario.seeds.catalog
    if d.distribution == "pmf":
        mean = np.full(n, pmf_mean(d.pmf))
    elif d.mean is not None:
        mean = np.full(n, d.mean)
    else:
        mean = _log_uniform(seeding.generator(seed, "catalog/mean"), d.mean_range, n)
    if e.price is not None:
        price = np.full(n, e.price)
    else:
        price = _log_uniform(seeding.generator(seed, "catalog/price"), e.price_range, n)
    periods = scenario.warmup + scenario.horizon
    return Catalog(
        skus=tuple(skus),
        category=category,
        elasticity=_elasticities(scenario, category),
        price=np.broadcast_to(price, (periods, n)),  # a read-only view: no memory per period
        mean=mean,
    )


def _from_data(scenario: Scenario) -> Catalog:
    src = scenario.source
    d = scenario.demand
    try:
        panel = load_panel(d.source)
    except InputError as exc:
        raise InputError(f"scenario {src}: key 'demand.source' ({d.source!r}): {exc}") from None
    ids = panel.series_ids
    cat = scenario.catalog
    if cat.skus:
        unknown = [s for s in cat.skus if s not in set(ids)]
        if unknown:
            raise InputError(
                f"scenario {src}: key 'catalog.skus' names series not in {d.source!r}: {unknown[:5]} "
                f"(e.g. {ids[:3]})"
            )
        skus = list(cat.skus)
    else:
        if cat.n_skus is not None and cat.n_skus > len(ids):
            raise InputError(
                f"scenario {src}: key 'catalog.n_skus' is {cat.n_skus} but {d.source!r} has {len(ids)} series"
            )
        skus = ids[: cat.n_skus] if cat.n_skus is not None else ids
    panel = panel.subset(skus)
    dates = panel.dates
    w, t = scenario.warmup, scenario.horizon
    if d.start:
        start = int(dates.get_indexer(pd.DatetimeIndex([pd.Timestamp(d.start)]))[0])
        if start < 0:
            raise InputError(
                f"scenario {src}: key 'demand.start' {d.start!r} is not a date of {d.source!r} "
                f"({dates[0].date()} .. {dates[-1].date()}, freq {panel.freq})"
            )
    else:
        start = len(dates) - t
    if start - w < 0 or start + t > len(dates):
        raise InputError(
            f"scenario {src}: keys 'warmup' ({w}) and 'horizon' ({t}) around period 0 (index {start}) "
            f"do not fit inside the {len(dates)} periods of {d.source!r}"
        )
    window = dates[start - w : start + t]
    demand = np.nan_to_num(panel.matrix("demand")[:, start - w : start + t].T, nan=0.0)
    if scenario.economics.price is not None:
        price = np.full(demand.shape, scenario.economics.price)
    elif "price" in panel.frame.columns:
        frame = pd.DataFrame(panel.matrix("price")[:, start - w : start + t].T, columns=skus)
        frame = frame.ffill().bfill()
        missing = [s for s in skus if frame[s].isna().all()]
        if missing:
            raise InputError(
                f"scenario {src}: series {missing[:3]} of {d.source!r} have no price in the window; "
                "set economics.price"
            )
        price = frame.to_numpy(dtype=np.float64)
    else:
        raise InputError(f"scenario {src}: {d.source!r} has no prices; set key 'economics.price'")
    static = panel.static
    category = (
        tuple(static["category"].astype(str)) if "category" in static.columns else ("default",) * len(skus)
    )
    kept = panel.until(window[-1])
    in_stock = None
    if panel.has_availability:
        in_stock = np.nan_to_num(panel.matrix(AVAILABILITY_COLUMN)[:, start - w : start + t].T, nan=1.0)
    return Catalog(
        skus=tuple(skus),
        category=category,
        elasticity=_elasticities(scenario, category),
        price=price,
        demand=demand,
        dates=window,
        panel=kept,
        in_stock=in_stock,
    )
