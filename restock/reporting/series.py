"""Per-period series of a run's records, shock phases and KPIs by phase: small pure functions.

Records are the engines' per-period rows (:mod:`restock.simulator.records`), possibly stacked over seeds
with a ``seed`` column. A *series* sums each period over nodes and SKUs and averages over the (seed, path)
pairs, so it reads "per path": the profit of period t on an average path.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from restock.simulator.flows import SERIES_SUMS

SUMMED: tuple[str, ...] = SERIES_SUMS
"""Record columns a series sums over nodes and SKUs (then averages over paths): the reward, the money,
the units (:data:`restock.simulator.flows.SERIES_SUMS`)."""

SERIES_COLUMNS: tuple[str, ...] = (*SUMMED, "fill_rate", "cumulative_profit")
"""Columns of :func:`period_series`: the summed columns, the period's fill rate and the running profit."""


def _episodes(records: pd.DataFrame) -> list[str]:
    return ["seed", "path"] if "seed" in records.columns else ["path"]


def n_episodes(records: pd.DataFrame) -> int:
    """Number of distinct (seed, path) pairs (paths when there is no ``seed`` column), at least 1."""
    keys = _episodes(records)
    return max(int(records[keys].drop_duplicates().shape[0]), 1)


def period_series(records: pd.DataFrame) -> pd.DataFrame:
    """One row per period: :data:`SUMMED` summed over nodes and SKUs, averaged over (seed, path).

    ``fill_rate`` = units sold / units demanded in the period, pooled over everything (1.0 with no demand);
    ``cumulative_profit`` = running sum of ``reward``.
    """
    cols = [c for c in SUMMED if c in records.columns]
    totals = records.groupby("period", sort=True)[cols].sum() / n_episodes(records)
    demand = totals["demand"].to_numpy(dtype=np.float64)
    sales = totals["sales"].to_numpy(dtype=np.float64)
    out = totals.copy()
    out["fill_rate"] = np.divide(sales, demand, out=np.ones_like(demand), where=demand > 0)
    out["cumulative_profit"] = totals["reward"].cumsum()
    out.index.name = "period"
    return out.reset_index()


@dataclass(frozen=True)
class Phases:
    """The periods before, during and after a shock window [start, end) of a horizon [0, horizon)."""

    start: int
    end: int
    horizon: int
    marks: tuple[int, ...] = ()
    """Other shock boundaries inside the window (a shock ending or starting there), drawn as thin lines."""

    def bounds(self) -> dict[str, tuple[int, int]]:
        """``{"before": (0, start), "during": (start, end), "after": (end, horizon)}`` (may be empty)."""
        return {
            "before": (0, self.start),
            "during": (self.start, self.end),
            "after": (self.end, self.horizon),
        }

    def label(self, period: np.ndarray) -> np.ndarray:
        """The phase name of each period."""
        p = np.asarray(period)
        return np.where(p < self.start, "before", np.where(p < self.end, "during", "after"))


def shock_phases(windows: Iterable[tuple[int, int]], horizon: int) -> Phases | None:
    """The union window of shocks ``[(start, end), ...]`` (first start to last end); None without shocks."""
    ws = list(windows)
    if not ws:
        return None
    start = max(0, min(s for s, _ in ws))
    end = min(horizon, max(e for _, e in ws))
    marks = sorted({b for w in ws for b in w if start < b < end})
    return Phases(start, end, horizon, tuple(marks))


def phase_kpis(records: pd.DataFrame, phases: Phases) -> pd.DataFrame:
    """Profit, costs, fill rate, lost units and average on-hand per phase (per path, like the series).

    One row per non-empty phase: ``phase``, ``start``, ``end``, ``profit``, ``revenue``, ``purchase_cost``,
    ``holding_cost``, ``penalty_cost``, ``fill_rate``, ``lost_units``, ``avg_on_hand``.
    """
    series = period_series(records)
    rows = []
    for name, (lo, hi) in phases.bounds().items():
        part = series[(series["period"] >= lo) & (series["period"] < hi)]
        if part.empty:
            continue
        demand = float(part["demand"].sum())
        rows.append(
            {
                "phase": name,
                "start": lo,
                "end": hi,
                "profit": float(part["reward"].sum()),
                "revenue": float(part["revenue"].sum()),
                "purchase_cost": float(part["purchase_cost"].sum()),
                "holding_cost": float(part["holding_cost"].sum()),
                "penalty_cost": float(part["penalty_cost"].sum()),
                "fill_rate": float(part["sales"].sum()) / demand if demand > 0 else 1.0,
                "lost_units": float(part["lost"].sum()),
                "avg_on_hand": float(part["on_hand"].mean()),
            }
        )
    return pd.DataFrame(rows)


def stacked_records(records: Mapping[tuple[str, Any], pd.DataFrame], policy: str) -> pd.DataFrame:
    """One policy's records of every seed, with a leading ``seed`` column, sorted by seed."""
    parts = []
    for (name, seed), frame in sorted(records.items(), key=lambda kv: int(kv[0][1])):
        if name != policy:
            continue
        part = frame.reset_index(drop=True)
        parts.append(part.assign(seed=seed)[["seed", *part.columns]])
    if not parts:
        raise RuntimeError(f"evaluate() kept no records for policy {policy!r}")
    return pd.concat(parts, ignore_index=True)
