"""``restock simulate`` and ``restock scenarios``: JSON KPIs, tables, --set, one-line errors with exit 2.

The real entry point (:func:`restock.cli.main`) runs in-process with only these command groups attached.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import SimpleNamespace

import pytest

from restock.commands.simulate import parse_policy
from restock.errors import InputError
from restock.io import finite_json

SHORT = ("--set", "horizon=28", "--paths", "1")
KPI_KEYS = (
    "profit",
    "revenue",
    "purchase_cost",
    "holding_cost",
    "penalty_cost",
    "fixed_order_cost",
    "fill_rate",
    "lost_units",
    "avg_on_hand",
    "periods",
    "skus",
)


@pytest.fixture
def cli(run_cli):  # type: ignore[no-untyped-def]
    return run_cli("simulate", "scenarios")


def test_simulate_prints_the_kpis_as_one_json_object(cli) -> None:
    out = cli(
        "simulate", "--scenario", "steady", "--policy", "base-stock:S=120", "--seed", "3", "--json", *SHORT
    )
    assert out.returncode == 0, out.stderr
    kpis = json.loads(out.stdout)
    for key in KPI_KEYS:
        assert key in kpis
    assert kpis["periods"] == 28 and kpis["skus"] == 20 and kpis["seed"] == 3 and kpis["scenario"] == "steady"
    costs = kpis["purchase_cost"] + kpis["holding_cost"] + kpis["penalty_cost"] + kpis["fixed_order_cost"]
    assert kpis["profit"] == pytest.approx(kpis["revenue"] + kpis["salvage"] - costs)
    assert 0 < kpis["fill_rate"] <= 1


def test_des_and_batch_engines_agree_on_a_scenario(cli) -> None:
    args = ("simulate", "--scenario", "covid-shock", "--policy", "base-stock:S=200", "--json", "--paths", "2")
    des = json.loads(cli(*args, "--engine", "des").stdout)
    batch = json.loads(cli(*args, "--engine", "batch").stdout)
    assert des["engine"] == "des" and batch["engine"] == "batch"
    for key in KPI_KEYS:
        assert batch[key] == pytest.approx(des[key], rel=1e-9, abs=1e-6), key


def test_the_compiled_batch_engine_gives_the_eager_kpis(cli) -> None:
    args = ("simulate", "--scenario", "covid-shock", "--policy", "newsvendor", "--json", "--engine", "batch")
    eager = json.loads(cli(*args, "--compile", "off").stdout)
    out = cli(*args, "--compile", "on")
    assert out.returncode == 0, out.stderr
    compiled = json.loads(out.stdout)
    assert compiled["profit"] != 0
    for key in KPI_KEYS:
        assert compiled[key] == pytest.approx(eager[key], rel=1e-6, abs=1e-6), key


def test_more_stock_sells_more_and_constant_orders_run(cli) -> None:
    low = json.loads(
        cli("simulate", "--scenario", "steady", "--policy", "base-stock:S=20", "--json", *SHORT).stdout
    )
    high = json.loads(
        cli("simulate", "--scenario", "steady", "--policy", "base-stock:S=200", "--json", *SHORT).stdout
    )
    assert high["fill_rate"] > low["fill_rate"] and high["avg_on_hand"] > low["avg_on_hand"]
    const = cli("simulate", "--scenario", "steady", "--policy", "constant:Q=5", "--json", *SHORT)
    assert const.returncode == 0 and json.loads(const.stdout)["policy"] == "constant:Q=5"


def test_simulate_without_json_prints_a_table(cli) -> None:
    out = cli(
        "simulate", "--scenario", "zipkin-lost-sales", "--policy", "base-stock:S=12", "--set", "horizon=50"
    )
    assert out.returncode == 0, out.stderr
    assert "profit" in out.stdout and "penalty_cost" in out.stdout and "zipkin-lost-sales" in out.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--policy", "base-stok:S=3"), "unknown policy 'base-stok'"),
        (("--policy", "base-stock:Q=3"), "base-stock takes one parameter S"),
        (("--policy", "constant:Q=lots"), "Q must be a number, got 'lots'"),
        (("--policy", "constant:Q=-1"), "Q must be finite and >= 0"),
        (("--policy", "base-stock:S=1e308"), "S must be at most 1e+09 units, got '1e308'"),
        (("--policy", "base-stock:S=inf"), "S must be finite and >= 0, got 'inf'"),
        (("--engine", "gpu"), "--engine 'gpu'"),
        (("--compile", "fast"), "--compile 'fast': expected off, auto, on"),
        (("--compile", "on"), "--compile on: only the batch engine has a compiled path (--engine des)"),
        (("--set", "horizn=3"), "key 'horizn' does not exist"),
        (("--set", "horizon=0"), "key 'horizon' must be > 0, got 0"),
        (("--set", "horizon"), "expected dotted.key=value"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(cli, args: tuple[str, ...], message: str) -> None:
    out = cli("simulate", "--scenario", "steady", *args)
    assert out.returncode == 2
    assert message in out.stderr and out.stderr.startswith("error: ") and out.stderr.count("\n") == 1


def test_a_kpi_that_is_not_finite_is_a_named_error_not_nan_in_the_json(
    cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    import restock.pipelines.simulation as simulation

    result = SimpleNamespace(
        scenario="steady", seed=0, kpis={"profit": math.nan, "fill_rate": 1.0}, timings={}
    )
    monkeypatch.setattr(simulation, "simulate", lambda spec: result)
    out = cli("simulate", "--scenario", "steady", "--json", *SHORT)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.startswith("error: KPI 'profit' is not finite (nan): ") and out.stderr.count("\n") == 1


def test_finite_json_names_the_key_of_a_value_that_is_not_finite() -> None:
    assert json.loads(finite_json({"a": [1.0, 2]}, "KPI")) == {"a": [1.0, 2]}
    with pytest.raises(InputError, match=r"KPI 'a.1' is not finite \(inf\)"):
        finite_json({"a": [1.0, math.inf]}, "KPI")


def test_unknown_scenario_exits_2(cli) -> None:
    out = cli("simulate", "--scenario", "nope")
    assert out.returncode == 2 and "neither a built-in scenario" in out.stderr


def test_parse_policy() -> None:
    assert parse_policy("base-stock:S=30").value == 30.0 and parse_policy("constant:Q=2.5").name == "constant"
    with pytest.raises(InputError):
        parse_policy("base-stock")


def test_scenarios_list_show_validate(cli, tmp_path: Path) -> None:
    listed = cli("scenarios", "list", "--json")
    assert listed.returncode == 0
    names = [row["name"] for row in json.loads(listed.stdout)]
    assert {"steady", "covid-shock", "zipkin-lost-sales", "m5-tiny-replay"} <= set(names)
    shown = cli("scenarios", "show", "publicity-spike", "--set", "shocks.0.factor=6")
    assert shown.returncode == 0 and "publicity" in shown.stdout
    settings = json.loads(shown.stdout[shown.stdout.index("{") :])
    assert settings["shocks"][0]["factor"] == 6.0 and settings["economics"]["unit_cost"] == "0.6 * price"
    good = tmp_path / "mine.toml"
    good.write_text(
        'name = "mine"\ndescription = "two SKUs"\nhorizon = 14\n[catalog]\nn_skus = 2\n'
        "[demand]\nmean = 3.0\n[economics]\nprice = 2.0\n"
    )
    ok = cli("scenarios", "validate", str(good))
    assert ok.returncode == 0 and ok.stdout.startswith("ok: mine") and "2 SKUs" in ok.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text(good.read_text().replace("mean = 3.0", "mean = -3.0"))
    refused = cli("scenarios", "validate", str(bad))
    assert refused.returncode == 2 and "bad.toml" in refused.stderr and "'demand.mean'" in refused.stderr


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("simulate", "--scenario", "steady", "--paths", "two"), ("'--paths'", "got 'two'")),
        (("simulate", "--scenario", "steady", "--polcy", "x"), ("No such option: --polcy",)),
        (("simulate",), ("Missing option '--scenario'",)),
        (("simulat",), ("No such command 'simulat'",)),
    ],
)
def test_what_the_command_line_refuses_is_one_error_line(
    cli, args: tuple[str, ...], words: tuple[str, ...]
) -> None:
    out = cli(*args)
    assert out.returncode == 2 and out.stdout == "", out
    assert out.stderr.startswith("error: ") and out.stderr.count("\n") == 1, out.stderr
    assert all(w in out.stderr for w in words) and "--help" in out.stderr, out.stderr


def test_commands_are_attached_once_however_often_the_cli_runs(cli) -> None:
    from restock.cli import app

    for _ in range(3):
        assert cli("scenarios", "list").returncode == 0
    names = [c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands]
    assert len(names) == len(set(names)), names
    groups = [g.name for g in app.registered_groups]
    assert len(groups) == len(set(groups)), groups
