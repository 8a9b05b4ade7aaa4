"""Caches of data catalogs and path-independent forecast tables: reused, read-only, never stale."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scenario_tables import raw, scenario

from restock.scenarios import draw, from_raw
from restock.scenarios.forecast import forecast_table

SINGLE = {
    "vendors": [{"name": "vendor", "lead_time": {"kind": "deterministic", "value": 2}}],
    "nodes": [{"name": "store", "source": "vendor"}],
}


def write_long(path: Path, level: float) -> None:
    dates = pd.date_range("2024-01-01", periods=84, freq="D")
    rng = np.random.default_rng(0)
    rows = [
        {"series_id": sid, "date": d, "demand": float(rng.poisson(level * (i + 1)))}
        for i, sid in enumerate(["a", "b"])
        for d in dates
    ]
    pd.DataFrame(rows).to_csv(path, index=False)


def data_scenario(path: Path):
    table = raw(
        horizon=28,
        warmup=56,
        catalog={"n_skus": 2},
        demand={"kind": "data", "source": f"long:{path}"},
        economics={"price": 2.0, "unit_cost": "0.5 * price"},
        forecast={"model": "seasonal-naive", "buckets": 2, "max_cover": 14, "quantiles": [0.1, 0.5, 0.9]},
        **SINGLE,
    )
    return from_raw(table, "test.toml")


def test_data_tables_are_reused_read_only_and_never_stale(tmp_path: Path) -> None:
    path = tmp_path / "demand.csv"
    write_long(path, 3.0)
    s = data_scenario(path)
    first = forecast_table(draw(s, 0, 2))
    old_mean = draw(s, 0, 2).paths.demand.mean()
    again = forecast_table(draw(s, 5, 3))
    assert again is first  # replayed data: the same table for every seed
    assert not first.cumulative.flags.writeable
    with pytest.raises(ValueError):
        first.cumulative[0, 0, 0, 0, 0, 0] = 1.0
    # new data in the same file: a new catalog and a new table
    write_long(path, 9.0)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    fresh_draw = draw(s, 0, 2)
    assert fresh_draw.paths.demand.mean() > 2 * old_mean
    fresh = forecast_table(fresh_draw)
    assert fresh is not first and fresh.cumulative.mean() > 2 * first.cumulative.mean()
    # another setting: another key
    other = data_scenario(path)
    assert forecast_table(draw(other, 0, 1)) is fresh
    assert forecast_table(draw(from_raw(raw(), "test.toml"), 0, 1)) is not fresh


def test_true_tables_are_shared_across_seeds() -> None:
    s = scenario(**SINGLE)
    assert forecast_table(draw(s, 0, 2)) is forecast_table(draw(s, 1, 4))
    assert forecast_table(draw(scenario(horizon=21, **SINGLE), 0, 1)) is not forecast_table(draw(s, 0, 1))
