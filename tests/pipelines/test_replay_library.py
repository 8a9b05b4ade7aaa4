"""Every built-in scenario replays: one seed, one path, the newsvendor and base-stock (slow: ~9 replays)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from shared_data import data_overrides, scenario_params

from restock.pipelines import replay as rp
from restock.scenarios import list_builtin, load

EXTRA: dict[str, tuple[str, ...]] = {
    # real data: a short horizon after half a year of history
    "m5-tiny-replay": ("horizon=56", "warmup=182"),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", scenario_params(sorted(list_builtin())))
def test_every_builtin_scenario_replays(name: str, tmp_path: Path) -> None:
    spec = rp.ReplaySpec(
        name,
        ("newsvendor", "base-stock"),
        seeds=1,
        scenario_overrides=("seeds.n_paths=1", *data_overrides(name), *EXTRA.get(name, ())),
    )
    result = rp.replay(spec, root=tmp_path)
    d = result.run_dir
    assert result.summary["policy"].tolist() == ["newsvendor", "base-stock"]
    for fig in ("inventory", "orders", "demand_forecast", "cumulative_profit"):
        assert (d / "figures" / f"{fig}.png").is_file()
    a = pd.read_parquet(d / "trajectories" / "newsvendor.parquet")
    b = pd.read_parquet(d / "trajectories" / "base-stock.parquet")
    assert a["demand"].tolist() == b["demand"].tolist()
    assert (d / "phases.csv").is_file() == bool(load(name, list(spec.scenario_overrides)).shocks)
