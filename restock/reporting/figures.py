"""Replay figures (matplotlib ``Figure`` objects rendered by Agg; no pyplot, no global backend) as PNG.

Every figure plots per-period series (:func:`restock.reporting.series.period_series`) of several
policies on one axis of periods, with the shock window shaded and the phases (before / during / after)
labelled, so that a reader sees at once how each policy copes when the world changes.

* :func:`inventory_figure` — on-hand at the end of each period, and units lost;
* :func:`orders_figure` — units ordered per review cycle;
* :func:`profit_figure` — cumulative profit;
* :func:`forecast_figure` — demand per review cycle against the forecast band issued at the review
  (policy-independent: the same paths for every policy);
* :func:`accuracy_figure` — the value of forecast accuracy: each forecaster's profit gap to the reference
  with its confidence interval, and profit against mean wQL (``restock value-of-accuracy``);
* :func:`png_bytes` — a figure as PNG bytes (deterministic: no timestamp metadata).
"""

from __future__ import annotations

import io as _io
from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from restock.reporting.series import Phases

SHADE = "#f4a261"
"""Colour of the shock window."""


def png_bytes(fig: Figure, dpi: int = 100) -> bytes:
    """The figure as PNG bytes (no creation-time metadata, so the same figure gives the same bytes)."""
    buf = _io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    return buf.getvalue()


def shade_phases(ax: Axes, phases: Phases | None) -> None:
    """Shade the shock window on ``ax`` and write the phase names above the data."""
    if phases is None:
        return
    if phases.end > phases.start:
        ax.axvspan(phases.start, phases.end, color=SHADE, alpha=0.18, lw=0, label="shock window")
    for mark in phases.marks:
        ax.axvline(mark, color=SHADE, lw=0.8, ls="--")
    for name, (lo, hi) in phases.bounds().items():
        if hi > lo:
            ax.text(
                (lo + hi) / 2,
                1.01,
                name,
                transform=ax.get_xaxis_transform(),
                ha="center",
                va="bottom",
                fontsize=8,
                color="#555555",
            )


def _lines(ax: Axes, series: Mapping[str, pd.DataFrame], column: str, ylabel: str) -> None:
    for policy, s in series.items():
        ax.plot(s["period"], s[column], lw=1.2, label=policy)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)


def _new(n_rows: int = 1, height: float = 3.2) -> tuple[Figure, list[Axes]]:
    fig = Figure(figsize=(10, height * n_rows))
    axes = [fig.add_subplot(n_rows, 1, i + 1) for i in range(n_rows)]
    return fig, axes


def inventory_figure(series: Mapping[str, pd.DataFrame], phases: Phases | None, title: str = "") -> Figure:
    """On-hand (end of period) and lost units per period, one line per policy."""
    fig, (top, bottom) = _new(2)
    _lines(top, series, "on_hand", "on-hand (units, end of period)")
    _lines(bottom, series, "lost", "lost units per period")
    for ax in (top, bottom):
        shade_phases(ax, phases)
    bottom.set_xlabel("period")
    top.legend(loc="upper right", fontsize=8)
    fig.suptitle(title or "Inventory")
    return fig


def cycle_sums(s: pd.DataFrame, column: str, review_period: int, review_offset: int = 0) -> pd.DataFrame:
    """``column`` summed over review cycles: columns ``period`` (first period of the cycle) and ``value``."""
    cycle = np.floor_divide(s["period"].to_numpy() - review_offset, review_period)
    out = (
        pd.DataFrame({"cycle": cycle, "value": s[column].to_numpy()})
        .groupby("cycle", sort=True)["value"]
        .sum()
    )
    return pd.DataFrame(
        {"period": out.index.to_numpy() * review_period + review_offset, "value": out.to_numpy()}
    )


def orders_figure(
    series: Mapping[str, pd.DataFrame],
    phases: Phases | None,
    review_period: int,
    review_offset: int = 0,
    title: str = "",
) -> Figure:
    """Units ordered per review cycle (and units received), one step line per policy."""
    fig, (top, bottom) = _new(2)
    for policy, s in series.items():
        o = cycle_sums(s, "ordered", review_period, review_offset)
        r = cycle_sums(s, "received", review_period, review_offset)
        top.step(o["period"], o["value"], where="post", lw=1.2, label=policy)
        bottom.step(r["period"], r["value"], where="post", lw=1.2, label=policy)
    top.set_ylabel("units ordered per cycle")
    bottom.set_ylabel("units received per cycle")
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
        shade_phases(ax, phases)
    bottom.set_xlabel("period")
    top.legend(loc="upper right", fontsize=8)
    fig.suptitle(title or "Orders")
    return fig


def profit_figure(series: Mapping[str, pd.DataFrame], phases: Phases | None, title: str = "") -> Figure:
    """Cumulative profit per policy."""
    fig, (ax,) = _new(1, 4.0)
    _lines(ax, series, "cumulative_profit", "cumulative profit (per path)")
    shade_phases(ax, phases)
    ax.set_xlabel("period")
    ax.legend(loc="upper left", fontsize=8)
    fig.suptitle(title or "Cumulative profit")
    return fig


BAND_COLUMNS: tuple[str, ...] = ("sku", "period", "demand", "low", "median", "high")
"""Columns :func:`forecast_figure` reads: per SKU and review, the cycle's demand and forecast quantiles."""


def forecast_figure(
    bands: pd.DataFrame, phases: Phases | None, band_label: str = "P10-P90", title: str = ""
) -> Figure:
    """Demand per review cycle against the forecast band issued at the review, one panel per SKU.

    ``bands`` has :data:`BAND_COLUMNS`: ``demand`` is the demand of the cycle starting at ``period``;
    ``low``/``median``/``high`` the quantiles of that demand forecast at the review.
    """
    missing = [c for c in BAND_COLUMNS if c not in bands.columns]
    if missing:
        raise ValueError(f"forecast_figure: bands lack columns {missing}")
    skus = list(dict.fromkeys(bands["sku"].tolist()))
    fig, axes = _new(max(len(skus), 1), 2.4)
    for ax, sku in zip(axes, skus, strict=False):
        b = bands[bands["sku"] == sku].sort_values("period")
        ax.fill_between(
            b["period"],
            b["low"],
            b["high"],
            step="post",
            color="#8ecae6",
            alpha=0.6,
            label=f"forecast {band_label}",
        )
        ax.step(b["period"], b["median"], where="post", color="#219ebc", lw=1.0, label="forecast median")
        ax.step(b["period"], b["demand"], where="post", color="#023047", lw=1.4, label="demand")
        shade_phases(ax, phases)
        ax.set_ylabel(f"{sku}\nunits / cycle", fontsize=8)
        ax.grid(alpha=0.3)
    axes[0].legend(loc="upper right", fontsize=8)
    axes[-1].set_xlabel("period (start of review cycle)")
    fig.suptitle(title or "Demand against the forecast band")
    return fig


ACCURACY_COLUMNS: tuple[str, ...] = ("forecaster", "mean_wql", "profit", "profit_gap", "ci_low", "ci_high")
"""Columns :func:`accuracy_figure` reads (the summary of :mod:`restock.pipelines.value_of_accuracy`)."""


def accuracy_figure(summary: pd.DataFrame, reference: str, title: str = "") -> Figure:
    """Left: each forecaster's mean profit gap to ``reference`` with its CI (a bar and an error bar; an
    infinite bound, from a single seed, is drawn as the bar alone). Right: mean profit against mean wQL,
    one labelled point per forecaster (the value of accuracy is the slope a reader sees)."""
    missing = [c for c in ACCURACY_COLUMNS if c not in summary.columns]
    if missing:
        raise ValueError(f"accuracy_figure: summary lacks columns {missing}")
    fig = Figure(figsize=(11, 4.2))
    left, right = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    x = np.arange(len(summary))
    gap = summary["profit_gap"].to_numpy(dtype=float)
    lo = summary["ci_low"].to_numpy(dtype=float)
    hi = summary["ci_high"].to_numpy(dtype=float)
    err = np.where(np.isfinite(lo) & np.isfinite(hi), np.stack([gap - lo, hi - gap]), 0.0)
    left.bar(x, gap, color="#219ebc", yerr=err, capsize=4, ecolor="#023047")
    left.axhline(0.0, color="#555555", lw=0.8)
    left.set_xticks(x, summary["forecaster"].tolist(), rotation=20, ha="right", fontsize=8)
    left.set_ylabel(f"profit - profit on {reference} (per path, 95% CI)")
    left.grid(alpha=0.3, axis="y")
    right.scatter(summary["mean_wql"], summary["profit"], color="#fb8500", zorder=3)
    for name, w, p in zip(summary["forecaster"], summary["mean_wql"], summary["profit"], strict=True):
        right.annotate(str(name), (w, p), textcoords="offset points", xytext=(4, 4), fontsize=8)
    right.set_xlabel("mean wQL (per-bucket forecasts at every review)")
    right.set_ylabel("profit (per path)")
    right.grid(alpha=0.3)
    fig.suptitle(title or "Value of forecast accuracy")
    fig.tight_layout()
    return fig
