"""DemandPanel: the validated long table every forecaster and scenario reads.

A panel is one regular time grid (``freq``) shared by all series. Each series covers a contiguous span of
that grid (a product is launched at its first row and ends at its last); inside its span every period has
a row, so there are no gaps. Columns of ``frame``:

============  ==========================================================================================
series_id     str, the SKU (for M5: ``item_id`` + ``store_id``)
date          datetime64[ns], the start of the period
demand        float64 >= 0, units demanded in the period (sales for real data)
price         float64 > 0, optional: the selling price in force in the period (NaN where unknown)
in_stock      float64 in [0, 1], optional: the availability signal, the share of the period the item was in
              stock (1: available throughout, demand = sales; below 1: a stock-out, the period's sales are
              only a lower bound of its demand). Daily data gives 0/1 flags; a week aggregated from days
              holds the share of its days in stock (:func:`restock.data.aggregate.aggregate`). Not a
              covariate (it is not known in advance). See docs/censoring.md.
<covariates>  optional float columns known in advance (events, SNAP days, promotion flags, ...)
============  ==========================================================================================

``static`` is indexed by series_id and holds static attributes (``category``, ``store``, ``item``, ...) as
strings. Validation names the source, the series and the date of every problem.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from restock.errors import InputError

REQUIRED_COLUMNS = ("series_id", "date", "demand")
AVAILABILITY_COLUMN = "in_stock"
"""The optional availability column (see the module docstring)."""
MAX_DEMAND = 1e12
"""Most units of demand in one period of one series (the largest rate a synthetic scenario can draw: a mean
of 1e6 under a multiplier of 1e6); beyond it the money KPIs of a replay lose their precision or overflow."""


@dataclass(frozen=True)
class DemandPanel:
    """A validated long demand table on a regular grid. Build it with :meth:`from_frame`."""

    frame: pd.DataFrame
    """Long table sorted by (series_id, date); see the module docstring for the columns."""
    static: pd.DataFrame
    """Static attributes per series, indexed by series_id (strings)."""
    freq: str
    """The pandas offset alias of the grid ("D", "W-SAT", "MS", ...)."""
    source: str = "<memory>"
    """Where the data came from (a path or "synthetic"); named in every error message."""
    covariates: tuple[str, ...] = field(default=())
    """Names of the known-in-advance covariate columns in ``frame`` (price excluded)."""

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        *,
        freq: str,
        static: pd.DataFrame | None = None,
        source: str = "<memory>",
        fill_gaps: bool = False,
    ) -> DemandPanel:
        """Validate ``frame`` and build a panel.

        Raises :class:`InputError` naming the source, series and date on duplicate (series, date) rows,
        missing, negative or non-numeric demand, unparseable dates, dates off the ``freq`` grid, and gaps
        inside a series (unless ``fill_gaps``, which inserts the missing periods with zero demand).
        """
        missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
        if missing:
            raise InputError(
                f"{source}: missing column(s) {missing}; a demand panel needs {list(REQUIRED_COLUMNS)}"
            )
        df = frame.copy()
        df["series_id"] = df["series_id"].astype(str)
        dates = pd.to_datetime(df["date"], errors="coerce")
        bad = dates.isna() & df["date"].notna() | df["date"].isna()
        if bad.any():
            row = df.index[bad.to_numpy()][0]
            raise InputError(
                f"{source}: unparseable date {df.loc[row, 'date']!r} "
                f"(series {df.loc[row, 'series_id']!r}, row {row})"
            )
        df["date"] = dates
        demand = pd.to_numeric(df["demand"], errors="coerce")
        bad = demand.isna() & df["demand"].notna()
        if bad.any():
            row = df.index[bad.to_numpy()][0]
            raise InputError(
                f"{source}: non-numeric demand {df.loc[row, 'demand']!r} "
                f"(series {df.loc[row, 'series_id']!r}, date {df.loc[row, 'date'].date()}, row {row})"
            )
        df["demand"] = demand.astype("float64")
        for name, check in (
            ("missing", df["demand"].isna()),
            ("negative", df["demand"] < 0),
            ("infinite", np.isinf(df["demand"])),
            (f"too large (at most {MAX_DEMAND:g} units a period)", df["demand"] > MAX_DEMAND),
        ):
            if check.any():
                row = df.index[check.to_numpy()][0]
                raise InputError(
                    f"{source}: {name} demand {float(df.loc[row, 'demand'])!r} in column 'demand' "
                    f"(series {df.loc[row, 'series_id']!r}, date {df.loc[row, 'date'].date()}, row {row})"
                )
        if AVAILABILITY_COLUMN in df.columns:
            df[AVAILABILITY_COLUMN] = check_availability(df, source)
        dup = df.duplicated(["series_id", "date"], keep="first")
        if dup.any():
            row = df.index[dup.to_numpy()][0]
            raise InputError(
                f"{source}: duplicate row for series {df.loc[row, 'series_id']!r} "
                f"on {df.loc[row, 'date'].date()} (row {row})"
            )
        df = df.sort_values(["series_id", "date"], kind="stable").reset_index(drop=True)
        df = _check_grid(df, freq, source, fill_gaps)
        if static is None:
            static = pd.DataFrame(index=pd.Index(df["series_id"].unique(), name="series_id"))
        else:
            static = static.copy()
            static.index = static.index.astype(str)
            static.index.name = "series_id"
            unknown = sorted(set(df["series_id"].unique()) - set(static.index))
            if unknown:
                raise InputError(f"{source}: series {unknown[:5]} have no static attributes")
            static = static.loc[df["series_id"].unique()].astype(str)
        covariates = tuple(
            c for c in df.columns if c not in (*REQUIRED_COLUMNS, "price", AVAILABILITY_COLUMN)
        )
        return cls(frame=df, static=static, freq=freq, source=source, covariates=covariates)

    # ------------------------------------------------------------------ views
    @property
    def has_availability(self) -> bool:
        """Whether the panel carries the availability column ``in_stock`` (sales, not demand)."""
        return AVAILABILITY_COLUMN in self.frame.columns

    def without_availability(self) -> DemandPanel:
        """The same panel without its availability column: its sales read as if they were demand."""
        kept = self.frame.drop(columns=[AVAILABILITY_COLUMN], errors="ignore")
        return DemandPanel(kept, self.static, self.freq, self.source, self.covariates)

    @property
    def series_ids(self) -> list[str]:
        """Series in panel order (sorted)."""
        return list(self.static.index)

    @property
    def dates(self) -> pd.DatetimeIndex:
        """The full regular grid from the first to the last date of any series."""
        return pd.date_range(self.frame["date"].min(), self.frame["date"].max(), freq=self.freq)

    def matrix(self, column: str = "demand") -> np.ndarray:
        """``column`` as a dense float array [series, dates]; NaN outside each series' span."""
        wide = self.frame.pivot(index="series_id", columns="date", values=column)
        wide = wide.reindex(index=self.series_ids, columns=self.dates)
        return wide.to_numpy(dtype="float64")

    def until(self, cutoff: pd.Timestamp) -> DemandPanel:
        """The panel restricted to dates <= ``cutoff`` (series launched later disappear from frame only)."""
        kept = self.frame[self.frame["date"] <= pd.Timestamp(cutoff)]
        return DemandPanel(kept.reset_index(drop=True), self.static, self.freq, self.source, self.covariates)

    def subset(self, series: Sequence[str]) -> DemandPanel:
        """The panel restricted to ``series`` (unknown names are an error)."""
        unknown = sorted(set(series) - set(self.static.index))
        if unknown:
            raise InputError(f"{self.source}: unknown series {unknown[:5]}")
        kept = self.frame[self.frame["series_id"].isin(list(series))].reset_index(drop=True)
        return DemandPanel(kept, self.static.loc[list(series)], self.freq, self.source, self.covariates)


def check_availability(df: pd.DataFrame, source: str) -> pd.Series:
    """The ``in_stock`` column of ``df`` as float64; :class:`InputError` naming the source, series, date and
    value of a non-numeric, missing, infinite or out-of-[0, 1] entry."""
    raw = df[AVAILABILITY_COLUMN]
    values = pd.to_numeric(raw, errors="coerce").astype("float64")
    for name, check in (
        ("non-numeric", values.isna() & raw.notna()),
        ("missing", raw.isna()),
        ("infinite", pd.Series(np.isinf(values), index=df.index)),
        ("out-of-range (must be in [0, 1])", (values < 0) | (values > 1)),
    ):
        if check.any():
            row = df.index[check.to_numpy()][0]
            value = raw.loc[row]
            shown = float(value) if isinstance(value, int | float | np.number) else value
            raise InputError(
                f"{source}: {name} availability {shown!r} in column {AVAILABILITY_COLUMN!r} "
                f"(series {df.loc[row, 'series_id']!r}, date {pd.Timestamp(df.loc[row, 'date']).date()}, "
                f"row {row})"
            )
    return values


def _check_grid(df: pd.DataFrame, freq: str, source: str, fill_gaps: bool) -> pd.DataFrame:
    # Vectorized: each distinct date is checked once and given its position on the global grid, so a
    # series has no gap exactly when (last position - first position + 1) equals its number of rows.
    offset = pd.tseries.frequencies.to_offset(freq)
    codes, uniques = pd.factorize(df["date"], sort=True)
    on_grid = np.fromiter((offset.is_on_offset(d) for d in uniques), dtype=bool, count=len(uniques))
    if not on_grid.all():
        row = df.index[~on_grid[codes]][0]
        raise InputError(
            f"{source}: date {df.loc[row, 'date'].date()} of series {df.loc[row, 'series_id']!r} "
            f"is not on the {freq!r} grid (row {row})"
        )
    if len(uniques) == 0:
        return df
    grid = pd.date_range(uniques[0], uniques[-1], freq=freq)
    pos = pd.Series(grid.get_indexer(pd.DatetimeIndex(uniques))[codes], index=df.index)
    spans = pos.groupby(df["series_id"], sort=False).agg(["min", "max", "size"])
    gappy = spans.index[(spans["max"] - spans["min"] + 1).to_numpy() != spans["size"].to_numpy()]
    if len(gappy) == 0:
        return df
    if not fill_gaps:
        sid = gappy[0]
        have = pd.DatetimeIndex(df.loc[df["series_id"] == sid, "date"])
        full = pd.date_range(have.min(), have.max(), freq=freq)
        first_gap = full.difference(have)[0]
        raise InputError(
            f"{source}: series {sid!r} has a gap in its dates (first missing: {first_gap.date()}); "
            "pass fill_gaps=True (--fill-gaps) to fill gaps with zero demand"
        )
    parts = []
    for sid, grp in df.groupby("series_id", sort=False):
        full = pd.date_range(grp["date"].min(), grp["date"].max(), freq=freq)
        g = grp.set_index("date").reindex(full)
        g.index.name = "date"
        g["series_id"] = sid
        g["demand"] = g["demand"].fillna(0.0)
        if AVAILABILITY_COLUMN in g.columns:
            g[AVAILABILITY_COLUMN] = g[AVAILABILITY_COLUMN].fillna(1.0)
        parts.append(g.reset_index())
    return pd.concat(parts, ignore_index=True)[df.columns]
