"""The episodes an env builds read forecast tables through the scenarios' one cache, never a stale one."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from restock.envs.forecasts import build_episode
from restock.scenarios import from_raw

TABLE = {
    "name": "replay",
    "description": "Two series of a long CSV replayed at one store.",
    "horizon": 28,
    "review_period": 7,
    "warmup": 56,
    "catalog": {"n_skus": 2},
    "economics": {"price": 2.0, "unit_cost": "0.5 * price"},
    "vendors": [{"name": "vendor", "lead_time": {"kind": "deterministic", "value": 2}}],
    "nodes": [{"name": "store", "source": "vendor"}],
    "forecast": {"model": "seasonal-naive", "buckets": 2, "max_cover": 14, "quantiles": [0.1, 0.5, 0.9]},
}


def write_long(path: Path, level: float) -> None:
    dates = pd.date_range("2024-01-01", periods=84, freq="D")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        [
            {"series_id": sid, "date": d, "demand": float(rng.poisson(level * (i + 1)))}
            for i, sid in enumerate(["a", "b"])
            for d in dates
        ]
    )
    frame.to_csv(path, index=False)


def test_a_changed_data_file_misses_the_cache(tmp_path: Path) -> None:
    path = tmp_path / "demand.csv"
    write_long(path, 3.0)
    scenario = from_raw({**TABLE, "demand": {"kind": "data", "source": f"long:{path}"}}, "replay.toml")
    _, _, first = build_episode(scenario, 0, 1, source="test")
    assert build_episode(scenario, 5, 2, source="test")[2] is first  # replayed data: one table
    # the same file, new demand in it (and a later modification time): the same scenario value, a new table
    write_long(path, 9.0)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    world, _, fresh = build_episode(scenario, 0, 1, source="test")
    assert fresh is not first
    assert fresh.cumulative.mean() > 2 * first.cumulative.mean()
    assert fresh.skus == world.skus == ("a", "b")
