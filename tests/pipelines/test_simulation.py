"""``restock.pipelines.simulation`` as a library function: the KPIs ``restock simulate --json`` prints."""

from __future__ import annotations

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
