"""Small panels shared by the forecaster tests (built in memory; real data only in slow tests, marked
``needs_data``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from restock.data.panel import DemandPanel
from restock.seeding import generator


def poisson_panel(
    rates: dict[str, float], per_group: int = 10, weeks: int = 120, seed: int = 0, start: str = "2020-01-04"
) -> DemandPanel:
    """i.i.d. Poisson weekly demand whose rate is set by the series' category (a known answer)."""
    rng = generator(seed, "test-forecasters-poisson")
    dates = pd.date_range(start, periods=weeks, freq="W-SAT")
    frames, cats = [], {}
    for cat, lam in rates.items():
        for i in range(per_group):
            sid = f"{cat}-{i:02d}"
            cats[sid] = cat
            frames.append(
                pd.DataFrame({"series_id": sid, "date": dates, "demand": rng.poisson(lam, weeks) * 1.0})
            )
    static = pd.DataFrame({"category": cats}).rename_axis("series_id")
    return DemandPanel.from_frame(pd.concat(frames, ignore_index=True), freq="W-SAT", static=static)


def panel_from_matrix(demand: np.ndarray, freq: str = "W-SAT", start: str = "2020-01-04") -> DemandPanel:
    """A panel from a [S, T] matrix (NaN outside spans), series named s0, s1, ..."""
    dates = pd.date_range(start, periods=demand.shape[1], freq=freq)
    rows = [
        {"series_id": f"s{i}", "date": d, "demand": v}
        for i in range(demand.shape[0])
        for d, v in zip(dates, demand[i], strict=True)
        if np.isfinite(v)
    ]
    return DemandPanel.from_frame(pd.DataFrame(rows), freq=freq)
