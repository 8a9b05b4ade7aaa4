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
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(cli, args: list[str], needle: str) -> None:
    out = cli("oracle", "lost-sales", *args)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and needle in lines[0]
