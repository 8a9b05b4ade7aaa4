"""``restock.pipelines.simulation`` as a library function: the KPIs ``restock simulate --json`` prints."""

from __future__ import annotations

import dataclasses
import json

import pytest

from restock.errors import InputError
from restock.pipelines.simulation import OrderRule, SimulationSpec, simulate


@pytest.mark.parametrize("engine", ["des", "batch"])
def test_simulate_gives_what_the_cli_prints(run_cli, engine: str) -> None:  # type: ignore[no-untyped-def]
    spec = SimulationSpec("steady", OrderRule("base-stock", 30.0), engine=engine, seed=3, n_paths=2)
    result = simulate(spec)
    assert result.scenario == "steady" and result.seed == 3
    assert 0.0 <= result.kpis["fill_rate"] <= 1.0
    out = run_cli("simulate")(
        "simulate", "--scenario", "steady", "--policy", "base-stock:S=30", "--engine", engine,
        "--seed", "3", "--paths", "2", "--json",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    printed = json.loads(out.stdout)
    assert printed == {"scenario": "steady", "policy": "base-stock:S=30", "seed": 3, **result.kpis}


def test_the_two_rules_differ_and_bad_values_are_refused() -> None:
    base = simulate(SimulationSpec("steady", OrderRule("base-stock", 30.0), seed=0, n_paths=1))
    none = simulate(SimulationSpec("steady", OrderRule("constant", 0.0), seed=0, n_paths=1))
    assert none.kpis["fill_rate"] < base.kpis["fill_rate"]
    with pytest.raises(InputError, match="finite and >= 0"):
        OrderRule("constant", -1.0)
    with pytest.raises(InputError, match="--engine 'gpu'"):
        SimulationSpec("steady", OrderRule("constant", 1.0), engine="gpu")
    with pytest.raises(InputError, match=r"--paths 1000000: must be at most 100,000"):
        SimulationSpec("steady", OrderRule("constant", 1.0), n_paths=10**6)  # it ran for minutes


@pytest.mark.parametrize(
    ("engine", "overrides"),
    [("des", ("horizon=60", "review_offset=3")), ("batch", ("horizon=60", "review_offset=3"))],
)
def test_kpis_from_totals_are_those_of_the_records(engine: str, overrides: tuple[str, ...]) -> None:
    """Without records every KPI but in_stock_rate is the records' value (the first review after period
    0 makes the periods before it a cycle of their own)."""
    spec = SimulationSpec(
        "steady",
        OrderRule("base-stock", 25.0),
        engine=engine,
        seed=1,
        n_paths=2,
        scenario_overrides=overrides,
    )
    fast = simulate(spec).kpis
    full = simulate(dataclasses.replace(spec, records=True)).kpis
    assert list(fast) == list(full)
    assert fast["in_stock_rate"] is None and full["in_stock_rate"] is not None
    assert 0 < full["cycle_service_level"] < 1  # stockouts happen: the check can fail
    for key, value in full.items():
        if key != "in_stock_rate":
            assert fast[key] == (pytest.approx(value, rel=1e-12) if isinstance(value, float) else value), key


def test_a_run_too_large_for_memory_is_refused_before_drawing(run_cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from restock.pipelines import simulation

    monkeypatch.setattr(simulation, "available_memory", lambda: 2**30)
    out = run_cli("simulate")(
        "simulate", "--scenario", "steady", "--engine", "batch", "--set", "catalog.n_skus=200000", "--json"
    )
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "GiB" in out.stderr and "--paths" in out.stderr and "catalog.n_skus" in out.stderr


def test_the_memory_estimate_of_a_shard_counts_its_skus_only() -> None:
    from restock.pipelines.simulation import memory_estimate
    from restock.scenarios import load

    whole = memory_estimate(load("steady", ["catalog.n_skus=1000"]), 2, records=False)
    shard = memory_estimate(load("steady", ["catalog.n_skus=1000", "catalog.shard=[100, 350]"]), 2, False)
    assert shard * 4 == whole > 0


@pytest.mark.parametrize("engine", ["des", "batch"])
@pytest.mark.parametrize("overrides", [(), ("demand.distribution='poisson'", "vendors.0.lead_time.mean=4.5")])
def test_the_newsvendor_gives_what_evaluate_gives(engine: str, overrides: tuple[str, ...]) -> None:
    """The newsvendor of ``restock simulate`` (on the true table at E[L] + R only) places the orders of
    ``restock evaluate``'s reference newsvendor (on the whole table) on the same paths: the same profit."""
    from restock.agents.baselines.newsvendor import NewsvendorPolicy
    from restock.agents.evaluate import draw_episode, rollout
    from restock.scenarios import load

    spec = SimulationSpec(
        "steady", OrderRule("newsvendor"), engine=engine, seed=5, n_paths=2, scenario_overrides=overrides
    )
    result = simulate(spec)
    ep = draw_episode(load("steady", list(overrides)), 5, 2)
    totals = rollout(NewsvendorPolicy(), ep, engine=engine, record=False).totals
    assert result.kpis["profit"] == pytest.approx(float(totals["reward"].sum()) / 2, rel=1e-12)
    assert result.kpis["lost_units"] == pytest.approx(float(totals["lost"].sum()) / 2, rel=1e-12)
    assert 0.9 < result.kpis["fill_rate"] < 1.0  # tau* near 0.99: some stockouts
    assert set(result.timings) == {"paths", "forecast table", "simulation", "kpis"}


def test_the_reduced_true_table_holds_the_whole_tables_entries() -> None:
    import numpy as np

    from restock.pipelines.simulation import newsvendor_forecasts
    from restock.scenarios import load
    from restock.scenarios.build import draw
    from restock.scenarios.forecast import forecast_table

    d = draw(load("steady", ["catalog.n_skus=9"]), 0, 1)
    small, whole = newsvendor_forecasts(d), forecast_table(d)
    assert small.cumulative.dtype == np.float32 and list(small.cover) == [11]  # E[L] + R = 4 + 7
    assert np.array_equal(small.cumulative[..., 0, :], whole.cumulative[..., 10, :])
    assert np.array_equal(small.per_bucket[..., 0, :], whole.per_bucket[..., 0, :])


def test_the_newsvendor_takes_no_parameter(run_cli) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match="newsvendor takes no parameter"):
        OrderRule("newsvendor", 3.0)
    with pytest.raises(InputError, match="needs its parameter"):
        OrderRule("base-stock")
    out = run_cli("simulate")("simulate", "--scenario", "steady", "--policy", "newsvendor:tau=0.9")
    assert out.returncode == 2 and "newsvendor takes no parameter" in out.stderr
    assert "Traceback" not in out.stderr
