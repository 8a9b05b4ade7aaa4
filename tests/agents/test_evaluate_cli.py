"""``restock evaluate``: JSON rows and summary, the markdown table, one-line errors with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from baseline_worlds import zero_lead_scenario


@pytest.fixture
def cli(run_cli):  # type: ignore[no-untyped-def]
    return run_cli("evaluate")


def test_evaluate_prints_rows_and_summary(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    zero_lead_scenario(tmp_path, horizon=20, n_paths=2)
    args = (
        "evaluate",
        "--scenario",
        str(tmp_path / "nv.toml"),
        "--policies",
        "newsvendor,myopic",
        "--seeds",
        "2",
    )
    out = cli(*args, "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert [r["policy"] for r in data["summary"]] == ["newsvendor", "myopic"]
    assert {"profit", "saving_vs_newsvendor", "ci_low", "ci_high", "n_seeds"} <= set(data["summary"][0])
    assert data["summary"][0]["saving_vs_newsvendor"] == 0.0
    assert len(data["rows"]) == 4 and {"seed", "profit", "fill_rate"} <= set(data["rows"][0])
    table = cli(*args, "--engine", "batch")
    assert table.returncode == 0
    assert table.stdout.startswith("| policy | profit | saving_vs_newsvendor |")
    assert len(table.stdout.strip().splitlines()) == 4


def test_bad_policy_and_engine_are_one_line_errors(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    zero_lead_scenario(tmp_path, horizon=20, n_paths=2)
    sc = str(tmp_path / "nv.toml")
    bad = cli("evaluate", "--scenario", sc, "--policies", "newsvendor,wat")
    assert bad.returncode == 2 and "unknown policy 'wat'; known: newsvendor" in bad.stderr
    eng = cli("evaluate", "--scenario", sc, "--engine", "gpu")
    assert eng.returncode == 2 and "--engine 'gpu'" in eng.stderr
    dup = cli("evaluate", "--scenario", sc, "--policies", "newsvendor,newsvendor")
    assert dup.returncode == 2 and "named twice" in dup.stderr


def test_an_s_s_policy_with_levels_too_large_or_not_finite_is_refused(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """``s-S:s=5:S=1e308`` was accepted (and evaluated to garbage)."""
    zero_lead_scenario(tmp_path, horizon=20, n_paths=2)
    sc = str(tmp_path / "nv.toml")
    for spec, key, text in (("s-S:s=5:S=1e308", "S", "1e308"), ("s-S:s=inf:S=5", "s", "inf")):
        out = cli("evaluate", "--scenario", sc, "--policies", spec, "--seeds", "1")
        assert out.returncode == 2, out.stdout
        assert (
            f"policy {spec!r}: {key} must be a finite number of at most 1e+09 units, got {text!r}"
            in out.stderr
        )
