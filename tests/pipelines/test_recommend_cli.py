"""``restock recommend``: the orders as a markdown table, as JSON and in ``--out``; bad input is one line
on stderr with exit code 2 and no file. Runs the real entry point in-process on a small long CSV."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest


@pytest.fixture
def cli(run_cli):  # type: ignore[no-untyped-def]
    return run_cli("recommend")


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    days = pd.date_range("2024-01-01", periods=35, freq="D")
    sales = pd.concat(
        pd.DataFrame({"series_id": s, "date": days, "demand": d, "price": 4.0})
        for s, d in (("a", 2), ("b", 5))
    )
    history = tmp_path / "sales.csv"
    sales.to_csv(history, index=False)
    snapshot = tmp_path / "snapshot.csv"
    snapshot.write_text('sku,on_hand,open_orders\na,1,"3@2024-02-06"\nb,900,\n', encoding="utf-8")
    return snapshot, history


def test_recommend_prints_writes_and_explains_its_orders(
    cli, files: tuple[Path, Path], tmp_path: Path
) -> None:
    snapshot, history = files
    out = tmp_path / "orders.csv"
    args = (
        "recommend",
        "--snapshot",
        str(snapshot),
        "--history",
        str(history),
        "--forecaster",
        "seasonal-naive",
    )
    run = cli(*args, "--out", str(out))
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[0].startswith("| sku | on_hand | open_orders_in_cover |")
    orders = pd.read_csv(out, keep_default_na=False).set_index("sku")
    a, b = orders.loc["a"], orders.loc["b"]
    assert a["inventory_position"] == 4 and a["target_level"] > 4  # 1 on hand + 3 due tomorrow
    assert a["order_qty"] == math.ceil(a["target_level"] - 4) and a["reason"] == ""
    assert b["order_qty"] == 0 and b["reason"] == f"inventory position 900 >= target {b['target_level']:.4g}"
    as_json = cli(*args, "--json")
    assert as_json.returncode == 0
    rows = json.loads(as_json.stdout)
    assert [r["sku"] for r in rows] == ["a", "b"] and rows[0]["order_qty"] == a["order_qty"]


def test_bad_input_is_one_line_exit_2_and_no_file(cli, files: tuple[Path, Path], tmp_path: Path) -> None:
    snapshot, history = files
    snapshot.write_text("sku,on_hand\na,-1\n", encoding="utf-8")
    out = tmp_path / "orders.csv"
    run = cli("recommend", "--snapshot", str(snapshot), "--history", str(history), "--out", str(out))
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        f"error: {snapshot}: row 2 (sku 'a'), column 'on_hand': must be a finite number in [0, 1e+09], "
        "got '-1'"
    ]
    assert not out.exists()
