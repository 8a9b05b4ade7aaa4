"""``restock oracle``: JSON output, the table, and one-line errors with exit code 2.

The real entry point (:func:`restock.cli.main`) runs in-process with only this command group attached, so
the test does not pay for importing the other groups' heavy dependencies.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

import restock.commands
from restock.cli import main


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    monkeypatch.setattr(restock.commands, "COMMAND_MODULES", ("oracle",))

    def run(*args: str) -> Result:
        with pytest.raises(SystemExit) as info:
            main(list(args))
        out = capsys.readouterr()
        code = info.value.code
        return Result(code if isinstance(code, int) else 0, out.out, out.err)

    return run


def test_lost_sales_json_has_every_field(cli) -> None:
    out = cli("oracle", "lost-sales", "--demand", "poisson:5", "--lead-time", "1", "--penalty", "9", "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    for key in ("average_cost", "lead_time", "lead_time_convention", "penalty", "holding", "demand", "states",
                "iterations", "gap", "best_base_stock", "best_capped_base_stock"):  # fmt: skip
        assert key in report
    assert report["average_cost"] == pytest.approx(5.44, abs=0.005)
    assert report["lead_time"] == 1 and report["holding"] == 1.0 and report["demand"] == "poisson:5"
    assert report["best_base_stock"]["average_cost"] > report["best_capped_base_stock"]["average_cost"]
    assert report["best_capped_base_stock"]["average_cost"] > report["average_cost"]


def test_lost_sales_without_baselines_solves_only_the_optimum(cli) -> None:
    args = ("oracle", "lost-sales", "--demand", "geometric:5", "--lead-time", "2", "--penalty", "19")
    out = cli(*args, "--no-baselines", "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert round(report["average_cost"], 2) == 20.89  # Zipkin (2008), geometric demand
    assert "best_base_stock" not in report and report["seconds"] >= 0
    table = cli(*args, "--no-baselines")
    assert table.returncode == 0 and "seconds (optimum)" in table.stdout and "capped" not in table.stdout


def test_backorder_table_and_json(cli) -> None:
    table = cli("oracle", "backorder", "--demand", "poisson:5", "--lead-time", "2", "--penalty", "39")
    assert table.returncode == 0, table.stderr
    assert "closed-form level" in table.stdout and "Zipkin" in table.stdout
    out = cli("oracle", "backorder", "--demand", "poisson:5", "--lead-time", "2", "--penalty", "39", "--json")
    report = json.loads(out.stdout)
    assert report["base_stock_level"] == report["closed_form"]["level"] == 23
    assert report["average_cost"] == pytest.approx(report["closed_form"]["average_cost"], rel=1e-8)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--demand", "negbin:5:3", "--lead-time", "1", "--penalty", "9"], "negbin:5:3"),
        (["--demand", "poisson:5", "--lead-time", "1", "--penalty", "-9"], "penalty"),
        (["--demand", "poisson:30", "--lead-time", "6", "--penalty", "99"], "states"),
        # these hung: a convolution of 10^6 pmfs, a transition count over 10^11 positions
        (["--demand", "poisson:2", "--lead-time", "1000000", "--penalty", "4"], "at most 1000 periods"),
        (
            ["--demand", "poisson:2", "--lead-time", "1", "--penalty", "4", "--position-cap", "10**11"],
            "states",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(cli, args: list[str], needle: str) -> None:
    args = [str(10**11) if a == "10**11" else a for a in args]
    out = cli("oracle", "lost-sales", *args)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and needle in lines[0]


@pytest.mark.parametrize(
    "args",
    [
        ["backorder", "--demand", "poisson:2", "--lead-time", "100000000", "--penalty", "4"],
        ["s-S", "--demand", "poisson:3", "--fixed-cost", "10", "--backorder", "9",
         "--lead-time", "100000000"],
        ["dual-sourcing", "--demand", "pmf:0.3,0.4,0.3", "--regular-lead-time", "100000000",
         "--regular-cost", "0", "--expedited-cost", "5", "--holding", "1", "--backorder", "10"],
    ],
)  # fmt: skip
def test_a_lead_time_beyond_1000_periods_is_refused_at_once(cli, args: list[str]) -> None:
    """They hung (a convolution of 10^8 demand pmfs)."""
    out = cli("oracle", *args)
    assert out.returncode == 2 and "lead_time must be at most 1000 periods, got 100000000" in out.stderr, (
        out.stderr
    )


SERIAL_6_1 = (
    "oracle",
    "serial",
    "--demand",
    "normal:5:1",
    "--lead-times",
    "1,1,2",
    "--echelon-holding",
    "3,2,2",
)


def test_serial_json_reproduces_example_6_1(cli) -> None:
    out = cli(*SERIAL_6_1, "--penalty", "37.12", "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    for key in ("echelon_levels", "average_cost", "local_levels", "lead_times", "echelon_holding", "penalty",
                "demand", "lead_time_convention", "restock"):  # fmt: skip
        assert key in report
    assert report["echelon_levels"] == pytest.approx([6.49, 12.02, 22.71], abs=0.006)
    assert report["local_levels"] == pytest.approx([6.49, 5.53, 10.69], abs=0.011)
    assert report["average_cost"] == pytest.approx(47.66, abs=0.005)
    assert report["lead_times"] == [1, 1, 2] and report["echelon_holding"] == [3.0, 2.0, 2.0]
    assert report["penalty"] == 37.12 and report["demand"] == "normal:5:1"
    assert "snyder-shen" in report["lead_time_convention"]
    assert report["restock"]["lead_times"] == [0, 1, 2]


def test_serial_table_and_poisson_levels_are_integers(cli) -> None:
    table = cli(*SERIAL_6_1, "--penalty", "37.12")
    assert table.returncode == 0, table.stderr
    assert "echelon S=12.02" in table.stdout and "restock lead times" in table.stdout
    out = cli("oracle", "serial", "--demand", "poisson:5", "--lead-times", "3", "--echelon-holding", "1",
              "--penalty", "39", "--json")  # fmt: skip
    report = json.loads(out.stdout)
    assert report["echelon_levels"] == [23] and report["local_levels"] == [23]  # = backorder L=2 above


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--lead-times", "1,1", "--echelon-holding", "3,2,2", "--penalty", "9"], "one value per stage"),
        (["--lead-times", "1,-1,2", "--echelon-holding", "3,2,2", "--penalty", "9"], "stage 2's lead time"),
        (["--lead-times", "1,a,2", "--echelon-holding", "3,2,2", "--penalty", "9"], "'a'"),
        (["--lead-times", "1,,2", "--echelon-holding", "3,2,2", "--penalty", "9"], "--lead-times"),
        (["--lead-times", "1,1,2", "--echelon-holding", "3,-2,2", "--penalty", "9"], "stage 2's cost"),
        (["--lead-times", "1,1,2", "--echelon-holding", "3,nan,2", "--penalty", "9"], "'nan'"),
        (["--lead-times", "1,1,2", "--echelon-holding", "3,2,inf", "--penalty", "9"], "'inf'"),
        (["--lead-times", "1,1,2", "--echelon-holding", "3,2,x", "--penalty", "9"], "--echelon-holding"),
        (["--lead-times", "1,1,2", "--echelon-holding", "3,2,2", "--penalty", "0"], "--penalty"),
        (["--lead-times", "1,1,2", "--echelon-holding", "3,2,2", "--penalty", "-1"], "'-1'"),
        (["--lead-times", "1,1,2", "--echelon-holding", "3,2,2", "--penalty", "nan"], "'nan'"),
        (["--lead-times", "1,1,2", "--echelon-holding", "3,2,2", "--penalty", "ten"], "'ten'"),
        (
            ["--lead-times", "1,1,2", "--echelon-holding", "3,2,2", "--penalty", "9", "--demand", "gamma:5"],
            "unknown distribution 'gamma'",
        ),
        (
            ["--lead-times", "1,1,2", "--echelon-holding", "3,2,2", "--penalty", "9", "--grid-step", "0"],
            "--grid-step",
        ),
    ],
)
def test_serial_bad_input_is_one_line_and_exit_code_2(cli, args: list[str], needle: str) -> None:
    if "--demand" not in args:
        args = [*args, "--demand", "normal:5:1"]
    out = cli("oracle", "serial", *args)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and needle in lines[0], lines


DUAL = (
    "oracle",
    "dual-sourcing",
    "--demand",
    "pmf:0.2,0.2,0.2,0.2,0.2",
    "--regular-lead-time",
    "2",
    "--expedited-lead-time",
    "0",
    "--regular-cost",
    "100",
    "--expedited-cost",
    "110",
    "--holding",
    "5",
    "--backorder",
    "495",
)
"""Gijsbrechts et al. (2022)'s instance L_R = 2, c_E = 110."""


def test_dual_sourcing_json_has_the_optimum_and_the_capped_dual_index(cli) -> None:
    out = cli(*DUAL, "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    for key in ("average_cost", "regular_lead_time", "expedited_lead_time", "lead_time_convention", "states",
                "grid", "boundary_mass", "gap", "converged", "capped_dual_index", "dual_index",
                "single_index", "seconds"):  # fmt: skip
        assert key in report
    assert report["average_cost"] == pytest.approx(219.733333, abs=1e-6)
    assert report["boundary_mass"] == 0.0 and report["converged"]
    cdi = report["capped_dual_index"]
    assert (cdi["expedite_level"], cdi["regular_level"], cdi["regular_cap"]) == (4, 8, 2)
    assert cdi["average_cost"] == pytest.approx(219.799406, abs=1e-6)
    assert cdi["gap_percent"] == pytest.approx(100 * (cdi["average_cost"] / report["average_cost"] - 1))
    assert 0 <= cdi["gap_percent"] < 0.11
    assert report["dual_index"]["regular_cap"] is None
    assert report["seconds"] >= report["solve_seconds"]


def test_dual_sourcing_zero_optimum_has_no_relative_gap(cli) -> None:
    """Demand always 1, regular buying free: ordering 1 regular unit a period costs nothing."""
    out = cli("oracle", "dual-sourcing", "--demand", "pmf:0,1", "--regular-lead-time", "2", "--regular-cost",
              "0", "--expedited-cost", "1", "--holding", "1", "--backorder", "1", "--json")  # fmt: skip
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["average_cost"] == pytest.approx(0.0, abs=1e-9)
    assert report["capped_dual_index"]["gap_percent"] is None
    assert report["capped_dual_index"]["excess_cost"] == pytest.approx(0.0, abs=1e-9)


def test_dual_sourcing_table(cli) -> None:
    out = cli(*DUAL)
    assert out.returncode == 0, out.stderr
    assert "capped dual index S_e=4 S_r=8 q_r=2" in out.stdout and "219.733" in out.stdout


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (("--expedited-lead-time", "2"), "expedited_lead_time must be < regular_lead_time (2), got 2"),
        (("--expedited-lead-time", "-1"), "--expedited-lead-time"),
        (("--regular-lead-time", "0"), "--regular-lead-time"),
        (("--regular-lead-time", "two"), "'two'"),
        (("--regular-lead-time", "1.5"), "--regular-lead-time"),
        (("--expedited-cost", "100"), "expedited_cost must be > regular_cost (100.0), got 100.0"),
        (("--expedited-cost", "90"), "expedited_cost"),
        (("--regular-cost", "-1"), "--regular-cost"),
        (("--holding", "-5"), "--holding"),
        (("--holding", "nan"), "'nan'"),
        (("--backorder", "inf"), "'inf'"),
        (("--backorder", "0"), "--backorder"),
        (("--expedited-cost", "NaN"), "--expedited-cost"),
        (("--demand", "pmf:0.5,0.6"), "sum to 1"),
        (("--demand", "pmf:0.5,x"), "probability 1"),
        (("--demand", "pmf:"), "pmf needs probabilities"),
        (("--max-regular-order", "1"), "max_regular_order = 1"),
        (("--max-regular-order", "0"), "--max-regular-order"),
        (("--min-position", "a"), "--min-position"),
    ],
)
def test_dual_sourcing_bad_input_is_one_line_and_exit_code_2(
    cli, change: tuple[str, str], needle: str
) -> None:
    args = list(DUAL)
    i = args.index(change[0]) if change[0] in args else None
    if i is None:
        args += list(change)
    else:
        args[i + 1] = change[1]
    out = cli(*args)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and needle in lines[0], lines


SS = ("oracle", "s-S", "--demand", "poisson:6", "--holding", "1", "--backorder", "4", "--lead-time", "0")


def test_ss_json_and_table_give_issue_13s_optimum(cli) -> None:
    out = cli(*SS, "--fixed-cost", "100", "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    for key in ("s", "S", "average_cost", "lead_time", "lead_time_convention", "fixed_cost", "holding",
                "backorder", "demand", "cycle_length", "base_stock_level", "base_stock_cost"):  # fmt: skip
        assert key in report
    assert (report["s"], report["S"]) == (-2, 34)
    assert report["average_cost"] == pytest.approx(31.282052, abs=1e-6)
    table = cli(*SS, "--fixed-cost", "100")
    assert table.returncode == 0, table.stderr
    assert "31.2821" in table.stdout and "order-up-to level S" in table.stdout
    defaults = cli(
        "oracle", "s-S", "--demand", "poisson:6", "--fixed-cost", "5", "--backorder", "4", "--json"
    )
    assert (json.loads(defaults.stdout)["s"], json.loads(defaults.stdout)["S"]) == (4, 10)  # h = 1, L = 0


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--fixed-cost", "-1"),
        ("--fixed-cost", "nan"),
        ("--fixed-cost", "inf"),
        ("--fixed-cost", "ten"),
        ("--backorder", "0"),
        ("--backorder", "inf"),
        ("--holding", "0"),
        ("--holding", "nan"),
        ("--lead-time", "-1"),
        ("--lead-time", "1.5"),
        ("--demand", "poisson:-6"),
        ("--demand", "pmf:1"),
    ],
)
def test_ss_bad_input_is_one_line_and_exit_code_2(cli, option: str, value: str) -> None:
    args = {
        "--demand": "poisson:6",
        "--fixed-cost": "100",
        "--backorder": "4",
        "--holding": "1",
        "--lead-time": "0",
    }
    args[option] = value
    out = cli("oracle", "s-S", *[item for pair in args.items() for item in pair])
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and repr(value) in lines[0], lines
    assert option.lstrip("-") in lines[0] or "demand" in lines[0], lines


SHARED = ("oracle", "shared-capacity", "--demand", "poisson:3,poisson:2", "--price", "10,8", "--unit-cost",
          "5,4", "--holding", "1,0.5", "--penalty", "2", "--capacity", "4")  # fmt: skip


def test_shared_capacity_json_and_table(cli) -> None:
    from restock.agents.oracle import SharedCapacityConfig, solve_shared_capacity

    out = cli(*SHARED, "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    direct = solve_shared_capacity(
        SharedCapacityConfig(
            demand=("poisson:3", "poisson:2"),
            price=(10.0, 8.0),
            unit_cost=(5.0, 4.0),
            holding=(1.0, 0.5),
            penalty=(2.0, 2.0),  # one value on the command line: the same for every SKU
            capacity=4,
        )
    )
    assert report["average_profit"] == pytest.approx(direct.average_profit, abs=1e-12)
    assert report["average_cost"] == -report["average_profit"]
    assert set(report["policies"]) == {"optimal", "lagrangian", "lagrangian-filled", "newsvendor"}
    lagrangian = report["policies"]["lagrangian"]
    assert lagrangian["gap_percent"] == pytest.approx(direct.gap_percent("lagrangian"), abs=1e-9)
    assert lagrangian["gap_percent"] > 0 and lagrangian["mean_price"] > 0
    assert report["penalty"] == [2.0, 2.0] and report["capacity"] == 4
    table = cli(*SHARED)
    assert table.returncode == 0, table.stderr
    assert "Lagrangian newsvendor" in table.stdout and f"{direct.average_profit:.6g}" in table.stdout
    pmf = cli("oracle", "shared-capacity", "--demand", "pmf:0.5,0.5,poisson:2", "--price", "10",
              "--unit-cost", "5", "--capacity", "2", "--json")  # fmt: skip
    assert pmf.returncode == 0, pmf.stderr
    assert json.loads(pmf.stdout)["demand"] == ["pmf:0.5,0.5", "poisson:2"]


@pytest.mark.parametrize(
    ("option", "value", "needle"),
    [
        ("--capacity", "-1", "--capacity"),
        ("--capacity", "1.5", "--capacity"),
        ("--price", "10,8,3", "--price"),
        ("--holding", "0", "--holding"),
        ("--penalty", "nan", "--penalty"),
        ("--unit-cost", "x", "--unit-cost"),
        ("--demand", "poisson:3,2", "'2' is not a demand spec"),
        ("--demand", "poisson:3,,poisson:2", "--demand"),
        ("--demand", "poisson:3,poisson:-2", "poisson:-2"),
        ("--max-on-hand", "30", "--max-on-hand"),
        ("--max-on-hand", "3,30", "max_on_hand[0]"),
    ],
)
def test_shared_capacity_bad_input_is_one_line_and_exit_code_2(
    cli, option: str, value: str, needle: str
) -> None:
    args = list(SHARED)
    if option in args:
        args[args.index(option) + 1] = value
    else:
        args += [option, value]
    out = cli(*args)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and needle in lines[0], lines
