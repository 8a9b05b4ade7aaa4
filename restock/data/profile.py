"""Demand profiles: share of zeros and the Syntetos-Boylan ADI / CV² classification.

Syntetos, Boylan & Croston (2005) split series by the **average demand interval** (ADI: the mean number of
periods between two non-zero demands) and the **squared coefficient of variation of the non-zero demand
sizes** (CV²), with cuts ADI = 1.32 and CV² = 0.49:

===============  ==============  ==============
class            ADI             CV²
===============  ==============  ==============
smooth           < 1.32          < 0.49
erratic          < 1.32          >= 0.49
intermittent     >= 1.32         < 0.49
lumpy            >= 1.32         >= 0.49
===============  ==============  ==============

Conventions (those of the R package ``tsintermittent``): intervals are counted from the start of the span,
so the first interval is the position (1-based) of the first non-zero demand and a series with a sale in
every period has ADI = 1; CV² uses the population variance (ddof = 0). A series that never has demand
inside its span is ``"no-demand"``. Everything is computed on the panel's own grid (days for M5, months
for carparts); aggregate first to profile weeks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from restock.data.panel import DemandPanel

ADI_CUT = 1.32
CV2_CUT = 0.49
CLASSES = ("smooth", "intermittent", "erratic", "lumpy")


def average_demand_interval(demand: np.ndarray) -> float:
    """ADI of one series (1-D, NaN outside the span ignored); NaN if it never has demand."""
    x = np.asarray(demand, dtype=float)
    x = x[np.isfinite(x)]
    hits = np.flatnonzero(x > 0)
    if len(hits) == 0:
        return float("nan")
    intervals = np.diff(np.concatenate([[-1], hits]))
    return float(intervals.mean())


def squared_cv_of_sizes(demand: np.ndarray) -> float:
    """CV² of the non-zero demand sizes (population variance); NaN if it never has demand."""
    x = np.asarray(demand, dtype=float)
    sizes = x[np.isfinite(x) & (x > 0)]
    if len(sizes) == 0:
        return float("nan")
    return float(sizes.var() / sizes.mean() ** 2)


def share_of_zeros(demand: np.ndarray) -> float:
    """Share of periods with zero demand (NaN outside the span ignored)."""
    x = np.asarray(demand, dtype=float)
    x = x[np.isfinite(x)]
    return float((x == 0).mean()) if len(x) else float("nan")


def classify(adi: float, cv2: float) -> str:
    """The Syntetos-Boylan class of a series from its ADI and CV² ("no-demand" if either is NaN)."""
    if not (np.isfinite(adi) and np.isfinite(cv2)):
        return "no-demand"
    if adi < ADI_CUT:
        return "smooth" if cv2 < CV2_CUT else "erratic"
    return "intermittent" if cv2 < CV2_CUT else "lumpy"


def profile_series(panel: DemandPanel) -> pd.DataFrame:
    """Per series: ``periods, mean, share_zero, adi, cv2, demand_class`` (indexed by series_id)."""
    rows = []
    for sid, grp in panel.frame.groupby("series_id", sort=True):
        x = grp["demand"].to_numpy(dtype=float)
        adi, cv2 = average_demand_interval(x), squared_cv_of_sizes(x)
        rows.append(
            {
                "series_id": sid,
                "periods": len(x),
                "mean": float(x.mean()),
                "share_zero": share_of_zeros(x),
                "adi": adi,
                "cv2": cv2,
                "demand_class": classify(adi, cv2),
            }
        )
    return pd.DataFrame(rows).set_index("series_id")


def summarize(panel: DemandPanel) -> dict[str, float | int | str]:
    """Panel-level profile: size, share of zero cells, and the share of series in each demand class."""
    per = profile_series(panel)
    demand = panel.frame["demand"].to_numpy(dtype=float)
    out: dict[str, float | int | str] = {
        "source": panel.source,
        "freq": panel.freq,
        "series": len(per),
        "cells": len(demand),
        "share_zero": share_of_zeros(demand),
        "mean_demand": float(demand.mean()),
    }
    for name in (*CLASSES, "no-demand"):
        out[f"share_{name}"] = float((per["demand_class"] == name).mean())
    return out
