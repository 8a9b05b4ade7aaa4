"""KPIs: small pure functions over the per-period records of a run or a rollout's totals (either engine).

The one KPI module. Two inputs, one set of definitions:

* **records** (``SimulationResult.records``, one row per path, period, node and SKU): :func:`kpi_table`
  and the functions it calls (``profit``, ``fill_rate``, ...);
* **totals** (the dict that :func:`restock.simulator.rollout` returns, keyed by
  :data:`restock.simulator.flows.TOTAL_KEYS`, numpy or torch arrays shaped [P, M, N] or per decision point
  [B = P x N], path-major), with the number of paths and of counted periods: the ``totals_*`` functions,
  which the training evaluations call (:func:`restock.agents.sb3.evaluation.kpis`,
  :func:`restock.agents.directbackprop.train.evaluate`). A total is summed over every element of its
  array; a "point" is one element (a path, node and SKU).

Where both inputs give the same quantity they share its definition (:func:`fill_rate_of`,
:func:`mean_per_period`, :func:`relative_saving`, :func:`saving_of`), and a test checks that profit, fill
rate, lost units, the money amounts and the average on-hand agree on the same rollout.

Money and unit totals are summed over periods, nodes and SKUs and averaged over paths (a figure per path).
Ratios (fill rate, service levels) pool all rows. The definitions, also in docs/simulator.md:

* ``profit``: sum of ``reward`` (revenue + salvage - purchase, holding, penalty and fixed order costs).
* ``discounted_profit``: sum of discount**period x reward.
* ``fill_rate``: units sold / units demanded (under backorders a unit served late counts as sold when it
  ships, so this is the eventual fill rate; 1.0 when there is no demand).
* ``cycle_service_level``: share of review cycles (path, customer-facing node, SKU, cycle) with no stockout:
  no unit lost and no backlog at the end of any period of the cycle. Cycle c covers the periods
  ``review_offset + c * review_period`` up to the next review; periods before the first review form a cycle.
* ``in_stock_rate``: share of (path, period, customer-facing node, SKU) with on-hand > 0 when demand arrives
  (on-hand at demand time = end on-hand + units sold in the period).
* ``avg_on_hand``: end-of-period on-hand summed over nodes and SKUs, averaged over periods (and paths).
* ``inventory_turns``: cost of goods sold (units sold x unit cost) over the horizon / the average inventory
  value (end-of-period on-hand x unit cost, summed over nodes and SKUs, averaged over periods); not
  annualized. ``inf`` with sales and no inventory, 0 with no sales.
* ``saving``: profit - the reference run's profit on the same paths, and relative to |reference profit|.

From totals, besides the per-path profit, lost units and money amounts and the pooled fill rate:

* ``per point-period`` means (:func:`totals_per_point_period`): a total / (points x counted periods), e.g.
  the average end-of-period on-hand per point (:func:`totals_avg_on_hand_per_point`) and the cost per
  point-period, -reward / (points x periods) (:func:`totals_cost_per_period`: Zipkin's average cost when
  the price is 0);
* :func:`totals_path_rates`: each path's total per point-period [P] (paths are the replications).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from restock.simulator.arrays import is_tensor
from restock.simulator.flows import MONEY_AMOUNTS
from restock.simulator.records import SimulationResult
from restock.simulator.world import World

MONEY = MONEY_AMOUNTS
"""The money amounts a KPI table totals (every money column but the reward, which is ``profit``)."""


Totals = Mapping[str, Any]
"""A rollout's totals: numpy arrays or torch tensors by :data:`~restock.simulator.flows.TOTAL_KEYS` name."""


# The definitions both inputs share (on sums).


def fill_rate_of(sales: float, demand: float, *, no_demand: float = 1.0) -> float:
    """Units sold / units demanded; ``no_demand`` (1.0: nothing was missed) when nothing was demanded."""
    return sales / demand if demand > 0 else no_demand


def mean_per_period(total: float, periods: int, count: int) -> float:
    """A quantity summed over ``periods`` periods and ``count`` units of account (paths, or points), as a
    mean per period and unit (an average on-hand, a profit per SKU-period)."""
    return total / (max(periods, 1) * max(count, 1))


def relative_saving(profit: float, reference: float, *, scale: float = 1.0) -> float:
    """``scale`` x (profit - reference) / |reference| (``scale`` 100: in %); nan for a zero reference."""
    return scale * (profit - reference) / abs(reference) if reference != 0 else float("nan")


def saving_of(profit: float, reference: float) -> dict[str, float]:
    """``saving`` (profit - reference) and ``saving_relative`` (that / |reference|)."""
    return {"saving": profit - reference, "saving_relative": relative_saving(profit, reference)}


# From the records.


def _n_paths(records: pd.DataFrame) -> int:
    return max(int(records["path"].nunique()), 1)


def per_path_total(records: pd.DataFrame, column: str) -> float:
    """Sum of ``column`` over periods, nodes and SKUs, averaged over paths."""
    return float(records[column].sum()) / _n_paths(records)


def profit(records: pd.DataFrame) -> float:
    """Sum of reward (per path, averaged over paths)."""
    return per_path_total(records, "reward")


def discounted_profit(records: pd.DataFrame, discount: float) -> float:
    """Sum of discount**period x reward (per path, averaged over paths)."""
    weights = np.power(float(discount), records["period"].to_numpy(dtype=np.float64))
    return float((weights * records["reward"].to_numpy()).sum()) / _n_paths(records)


def fill_rate(records: pd.DataFrame) -> float:
    """Units sold / units demanded, pooled over everything (1.0 with no demand)."""
    return fill_rate_of(float(records["sales"].sum()), float(records["demand"].sum()))


def _demand_rows(records: pd.DataFrame, demand_nodes: Sequence[str] | None) -> pd.DataFrame:
    if demand_nodes is None:
        return records
    return records[records["node"].isin(list(demand_nodes))]


def cycle_service_level(
    records: pd.DataFrame,
    review_period: int,
    review_offset: int = 0,
    demand_nodes: Sequence[str] | None = None,
) -> float:
    """Share of review cycles without a stockout (no unit lost, no end-of-period backlog); 1.0 if none."""
    rows = _demand_rows(records, demand_nodes)
    if rows.empty:
        return 1.0
    cycle = np.floor_divide(rows["period"].to_numpy() - review_offset, review_period)
    stockout = (rows["lost"].to_numpy() > 0) | (rows["backlog"].to_numpy() > 0)
    keys = pd.DataFrame(
        {"path": rows["path"].to_numpy(), "node": rows["node"].to_numpy(), "sku": rows["sku"].to_numpy()}
    )
    keys["cycle"] = cycle
    keys["stockout"] = stockout
    per_cycle = keys.groupby(["path", "node", "sku", "cycle"], sort=False)["stockout"].any()
    return float(1.0 - per_cycle.mean())


def in_stock_rate(records: pd.DataFrame, demand_nodes: Sequence[str] | None = None) -> float:
    """Share of (path, period, node, SKU) at customer-facing nodes with on-hand > 0 when demand arrives."""
    rows = _demand_rows(records, demand_nodes)
    if rows.empty:
        return 1.0
    at_demand = rows["on_hand"].to_numpy() + rows["sales"].to_numpy()
    return float((at_demand > 0).mean())


def avg_on_hand(records: pd.DataFrame) -> float:
    """End-of-period on-hand summed over nodes and SKUs, averaged over periods and paths."""
    return mean_per_period(
        float(records["on_hand"].sum()), int(records["period"].nunique()), _n_paths(records)
    )


def inventory_turns(records: pd.DataFrame, unit_cost: Mapping[str, float]) -> float:
    """Cost of goods sold over the horizon / average inventory value (see the module docstring)."""
    cost = records["sku"].map(dict(unit_cost)).to_numpy(dtype=np.float64)
    cogs = float((records["sales"].to_numpy() * cost).sum())
    n_periods = max(int(records["period"].nunique()), 1)
    avg_value = float((records["on_hand"].to_numpy() * cost).sum()) / n_periods
    if avg_value == 0:
        return float("inf") if cogs > 0 else 0.0
    return cogs / avg_value


def lost_units(records: pd.DataFrame) -> float:
    """Units of demand lost (per path, averaged over paths)."""
    return per_path_total(records, "lost")


def saving(records: pd.DataFrame, reference: pd.DataFrame) -> dict[str, float]:
    """Profit minus the reference's profit on the same paths, absolute and relative to |reference profit|."""
    return saving_of(profit(records), profit(reference))


# From a rollout's totals.


def totals_sum(totals: Totals, key: str) -> float:
    """The total ``key`` summed over every path, node and SKU."""
    x = totals[key]
    return float((x.detach() if is_tensor(x) else x).sum())


def totals_points(totals: Totals, key: str = "reward") -> int:
    """The points (path, node, SKU) that ``totals[key]`` holds: its number of elements."""
    return int(np.prod(tuple(totals[key].shape)))


def totals_per_path(totals: Totals, key: str, n_paths: int) -> float:
    """The total ``key`` summed over nodes and SKUs, averaged over ``n_paths`` paths."""
    return totals_sum(totals, key) / n_paths


def totals_profit(totals: Totals, n_paths: int) -> float:
    """Profit (the reward) per path, as :func:`profit` of the records."""
    return totals_per_path(totals, "reward", n_paths)


def totals_lost_units(totals: Totals, n_paths: int) -> float:
    """Units of demand lost per path, as :func:`lost_units` of the records."""
    return totals_per_path(totals, "lost", n_paths)


def totals_fill_rate(totals: Totals, *, no_demand: float = 1.0) -> float:
    """Units sold / units demanded, pooled (:func:`fill_rate_of`), as :func:`fill_rate` of the records."""
    return fill_rate_of(totals_sum(totals, "sales"), totals_sum(totals, "demand"), no_demand=no_demand)


def totals_money(totals: Totals, n_paths: int, keys: Sequence[str] = MONEY_AMOUNTS) -> dict[str, float]:
    """Each money amount of ``keys`` (default: every one the reward adds up) that ``totals`` holds, per
    path, in the order of ``keys``."""
    return {k: totals_per_path(totals, k, n_paths) for k in keys if k in totals}


def totals_per_point_period(totals: Totals, key: str, periods: int) -> float:
    """The total ``key`` per point and counted period (:func:`mean_per_period` over the points)."""
    return mean_per_period(totals_sum(totals, key), periods, totals_points(totals, key))


def totals_avg_on_hand_per_point(totals: Totals, periods: int) -> float:
    """End-of-period on-hand per point, averaged over the periods (``on_hand_sum`` / (points x periods)).

    :func:`avg_on_hand` of the records sums over nodes and SKUs instead: it is this times the points per
    path."""
    return totals_per_point_period(totals, "on_hand_sum", periods)


def totals_cost_per_period(totals: Totals, periods: int) -> float:
    """Cost per point and period: -reward / (points x periods) (Zipkin's average cost when price is 0)."""
    return -totals_per_point_period(totals, "reward", periods)


def totals_path_rates(totals: Totals, key: str, n_paths: int, periods: int) -> np.ndarray:
    """Each path's total ``key`` per point and period [P] (path-major arrays: a path's points are
    contiguous), in the arrays' dtype."""
    x = totals[key]
    per_path = np.asarray(x.detach().cpu().numpy() if is_tensor(x) else x).reshape(n_paths, -1)
    return np.asarray(per_path.sum(1) / (per_path.shape[1] * max(periods, 1)))


def kpi_table(
    result: SimulationResult,
    *,
    review_period: int | None = None,
    review_offset: int | None = None,
    reference: SimulationResult | None = None,
) -> dict[str, Any]:
    """Every KPI of a run, as plain Python numbers (what ``restock simulate --json`` prints).

    Review period/offset, demand nodes and unit costs come from ``result.records.attrs`` (the des engine
    writes them) unless given; without them the review period defaults to 1, the demand nodes are the nodes
    that saw demand, and unit costs are inferred from purchase_cost / received.
    """
    rec = result.records
    attrs = rec.attrs
    rp = review_period if review_period is not None else int(attrs.get("review_period", 1))
    ro = review_offset if review_offset is not None else int(attrs.get("review_offset", 0))
    nodes = attrs.get("demand_nodes")
    if nodes is None:  # records without attrs (batch engine): the nodes that saw demand
        seen = rec.groupby("node", sort=False)["demand"].sum()
        nodes = [str(k) for k in seen.index[seen > 0]] or None
    unit_cost = attrs.get("unit_cost") or _inferred_unit_cost(rec)
    table: dict[str, Any] = {
        "profit": profit(rec),
        "discounted_profit": discounted_profit(rec, result.discount),
        "revenue": per_path_total(rec, "revenue"),
        **{k: per_path_total(rec, k) for k in MONEY[1:]},
        "fill_rate": fill_rate(rec),
        "cycle_service_level": cycle_service_level(rec, rp, ro, nodes),
        "in_stock_rate": in_stock_rate(rec, nodes),
        "lost_units": lost_units(rec),
        "demand_units": per_path_total(rec, "demand"),
        "sales_units": per_path_total(rec, "sales"),
        "disposed_units": per_path_total(rec, "disposed"),
        "avg_on_hand": avg_on_hand(rec),
        "inventory_turns": inventory_turns(rec, unit_cost),
        "periods": int(rec["period"].nunique()),
        "skus": int(rec["sku"].nunique()),
        "nodes": int(rec["node"].nunique()),
        "paths": int(rec["path"].nunique()),
        "engine": result.engine,
    }
    if reference is not None:
        table.update(saving(rec, reference.records))
    return table


def _inferred_unit_cost(records: pd.DataFrame) -> dict[str, float]:
    g = records.groupby("sku", sort=False)[["purchase_cost", "received"]].sum()
    cost = np.where(g["received"] > 0, g["purchase_cost"] / g["received"].where(g["received"] > 0, 1.0), 0.0)
    return dict(zip(g.index.astype(str), cost.tolist(), strict=True))


# From a rollout's totals and per-review-block counts: the KPI table of a run without records.

NEEDS_RECORDS: tuple[str, ...] = ("in_stock_rate",)
"""KPIs of :func:`kpi_table` that need every period's on-hand: None in :meth:`RunSums.kpis`."""


@dataclass(frozen=True)
class RunSums:
    """What the KPI table of a run without records needs, as sums over its SKUs (:meth:`kpis`).

    SKUs at one node do not interact, so a catalog simulated in shards of SKUs on the same paths gives
    its KPIs exactly from the shards' sums added up (:meth:`merge`): sums of flows, never averages of
    ratios. Built from a rollout's totals by :meth:`of`.
    """

    flows: dict[str, float]
    """Every flow of the totals (:data:`restock.simulator.flows.TOTAL_KEYS`) summed over paths, nodes,
    SKUs and counted periods."""
    cogs: float
    """Units sold x unit cost, summed."""
    stock_value: float
    """End-of-period on-hand x unit cost, summed over periods (and paths, nodes, SKUs)."""
    stockout_cycles: int
    """Review blocks (path, customer-facing node, SKU, block) with a lost unit."""
    cycles: int
    """All review blocks counted."""
    disposed: float | None
    """Units disposed in all (None if unknown)."""
    skus: int
    n_paths: int
    periods: int
    nodes: int
    backorder: bool
    discount: float
    engine: str

    @classmethod
    def of(
        cls,
        totals: Totals,
        *,
        unit_cost: np.ndarray,
        stockout_cycles: int,
        cycles: int,
        disposed: float | None,
        n_paths: int,
        periods: int,
        nodes: int,
        skus: int,
        backorder: bool,
        discount: float,
        engine: str,
    ) -> RunSums:
        """The sums of a whole rollout's totals [P, M, N] (:func:`restock.simulator.rollout` over every
        period) and the counts the caller keeps per review block (:class:`CycleCounter`): ``stockout_cycles``
        / ``cycles``, review blocks (path, customer-facing node, SKU, block) with a lost unit / all of them
        (under lost sales a cycle has a stockout exactly when a unit was lost in it, so
        ``cycle_service_level`` is exact; under backorders it needs every period's backlog: None);
        ``disposed`` the caller's (None if unknown); ``unit_cost`` [N]."""
        cost = np.asarray(unit_cost, dtype=np.float64)
        return cls(
            flows={k: totals_sum(totals, k) for k in totals},
            cogs=float((_np(totals["sales"]) * cost).sum()),
            stock_value=float((_np(totals["on_hand_sum"]) * cost).sum()),
            stockout_cycles=int(stockout_cycles),
            cycles=int(cycles),
            disposed=disposed,
            skus=int(skus),
            n_paths=int(n_paths),
            periods=int(periods),
            nodes=int(nodes),
            backorder=bool(backorder),
            discount=float(discount),
            engine=str(engine),
        )

    def merge(self, other: RunSums) -> RunSums:
        """The sums of both runs' SKUs together: the same paths, periods, nodes and settings (else a
        ValueError naming what differs)."""
        for name in ("n_paths", "periods", "nodes", "backorder", "discount", "engine"):
            if getattr(self, name) != getattr(other, name):
                raise ValueError(
                    f"cannot merge run sums with different {name}: {getattr(self, name)!r} and "
                    f"{getattr(other, name)!r}"
                )
        if set(self.flows) != set(other.flows):
            raise ValueError(
                f"cannot merge run sums of different flows: {sorted(set(self.flows) ^ set(other.flows))}"
            )
        return replace(
            self,
            flows={k: v + other.flows[k] for k, v in self.flows.items()},
            cogs=self.cogs + other.cogs,
            stock_value=self.stock_value + other.stock_value,
            stockout_cycles=self.stockout_cycles + other.stockout_cycles,
            cycles=self.cycles + other.cycles,
            disposed=None
            if self.disposed is None or other.disposed is None
            else self.disposed + other.disposed,
            skus=self.skus + other.skus,
        )

    def kpis(self) -> dict[str, Any]:
        """:func:`kpi_table`'s KPIs of a run without records: None where a KPI needs every period
        (:data:`NEEDS_RECORDS`), ``discounted_profit`` where the discount is not 1 (it is the profit at 1),
        ``cycle_service_level`` under backorders (see :meth:`of`)."""
        f, p = self.flows, self.n_paths
        avg_value = self.stock_value / max(self.periods, 1)
        cogs = self.cogs
        turns = (float("inf") if cogs > 0 else 0.0) if avg_value == 0 else cogs / avg_value
        profit_ = f["reward"] / p
        csl = None if self.backorder else (1.0 - self.stockout_cycles / self.cycles if self.cycles else 1.0)
        return {
            "profit": profit_,
            "discounted_profit": profit_ if self.discount == 1.0 else None,
            "revenue": f["revenue"] / p,
            **{k: f[k] / p for k in MONEY[1:]},
            "fill_rate": fill_rate_of(f["sales"], f["demand"]),
            "cycle_service_level": csl,
            "in_stock_rate": None,
            "lost_units": f["lost"] / p,
            "demand_units": f["demand"] / p,
            "sales_units": f["sales"] / p,
            "disposed_units": None if self.disposed is None else self.disposed / p,
            "avg_on_hand": mean_per_period(f["on_hand_sum"], self.periods, p),
            "inventory_turns": turns,
            "periods": self.periods,
            "skus": self.skus,
            "nodes": self.nodes,
            "paths": p,
            "engine": self.engine,
        }


class CycleCounter:
    """Counts review blocks (path, customer-facing node, SKU, block) and those with a lost unit: an
    ``on_step`` hook of :func:`restock.simulator.rollout` for :meth:`RunSums.of` (``cycle_service_level``
    without records)."""

    def __init__(self, customer_facing: Sequence[bool]) -> None:
        self.nodes = np.asarray(customer_facing, dtype=bool)
        self.cycles = 0
        self.stockouts = 0

    def add(self, lost: Any) -> None:
        """Count one review block's lost units [P, M, N]."""
        x = _np(lost)[:, self.nodes, :]
        self.cycles += int(x.size)
        self.stockouts += int((x > 0).sum())

    def __call__(self, state: Any, orders: Any, flows: Any, nxt: Any) -> None:
        self.add(flows["lost"])


def rollout_sums(world: World, n_paths: int, engine: Any, done: Any, counter: CycleCounter) -> RunSums:
    """The :class:`RunSums` of a whole rollout ``done`` (:func:`restock.simulator.rollout` with ``counter``
    as its ``on_step``) of ``engine`` over ``n_paths`` paths of ``world``."""
    if world.review_periods()[0] > 0:  # the periods before the first review: a cycle of their own
        counter.add(engine.initial_totals["lost"])
    nodes = world.network.nodes
    unlimited = all(math.isinf(n.storage_capacity) for n in nodes) and world.storage_volume is None
    return RunSums.of(
        done.totals,
        unit_cost=np.asarray(world.economics.unit_cost, dtype=np.float64),
        stockout_cycles=counter.stockouts,
        cycles=counter.cycles,
        disposed=0.0 if unlimited else None,
        n_paths=n_paths,
        periods=done.periods,
        nodes=len(nodes),
        skus=world.n_skus,
        backorder=any(n.backorder for n in nodes if n.customer_facing),
        discount=float(world.economics.discount),
        engine=str(engine.name),
    )


def _np(x: Any) -> np.ndarray:
    return np.asarray(x.detach().cpu().numpy() if is_tensor(x) else x, dtype=np.float64)
