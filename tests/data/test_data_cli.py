"""``restock data profile`` and ``restock data export`` on a fresh typer app."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import typer
from shared_data import M5_TINY
from typer.testing import CliRunner

from restock.commands.data import register
from restock.data import load_long, load_panel
from restock.data.profile import summarize
from restock.errors import InputError


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    root = typer.Typer()

    @root.callback()
    def _root() -> None:
        """test root"""

    register(root)
    return root


@pytest.mark.needs_data
def test_profile_json_is_the_summary(app: typer.Typer) -> None:
    result = CliRunner().invoke(
        app, ["data", "profile", "--data", f"m5:{M5_TINY}", "--freq", "W-SAT", "--json"]
    )
    assert result.exit_code == 0, result.output
    got = json.loads(result.output)
    assert got["freq"] == "W-SAT" and got["series"] == 280
    from restock.data import aggregate

    want = summarize(aggregate(load_panel(f"m5:{M5_TINY}"), "W-SAT"))
    assert got["share_zero"] == pytest.approx(want["share_zero"])
    assert got["share_lumpy"] == pytest.approx(want["share_lumpy"])


def test_profile_table(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["data", "profile", "--data", "synthetic:30:2"])
    assert result.exit_code == 0, result.output
    assert "share_intermittent" in result.output


def test_export_round_trips_through_the_long_loader(app: typer.Typer, tmp_path: Path) -> None:
    out = tmp_path / "panel.parquet"
    result = CliRunner().invoke(
        app, ["data", "export", str(out), "--data", "synthetic:25:3", "--freq", "W-SAT"]
    )
    assert result.exit_code == 0, result.output
    back = load_long(out)
    original = load_panel("synthetic:25:3")
    assert back.freq == "W-SAT"
    assert back.series_ids == original.series_ids
    assert set(back.static.columns) == {"item", "dept", "category", "store"}
    pd.testing.assert_frame_equal(back.static, original.static)


def test_bad_spec_is_an_input_error(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["data", "profile", "--data", "nope:x"])
    assert isinstance(result.exception, InputError)
    result = CliRunner().invoke(app, ["data", "export", "out.txt"])
    assert isinstance(result.exception, InputError)
