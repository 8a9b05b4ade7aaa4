"""`restock forecast backtest` and `restock forecast models`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from restock.cli import main
from restock.commands.forecast import parse_params
from restock.errors import InputError
from restock.seeding import generator


def _run(args: list[str]) -> int:
    try:
        main(args)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def _csv(tmp_path: Path) -> Path:
    rng = generator(0, "test-forecast-cli")
    dates = pd.date_range("2022-01-01", periods=40, freq="W-SAT")
    frame = pd.concat(
        [
            pd.DataFrame({"series_id": f"s{i}", "date": dates, "demand": rng.poisson(3 + i, 40) * 1.0})
            for i in range(6)
        ]
    )
    path = tmp_path / "demand.csv"
    frame.to_csv(path, index=False)
    return path


def test_backtest_json_has_exactly_the_documented_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _csv(tmp_path)
    rc = _run(
        ["forecast", "backtest", "--data", f"long:{data}:W-SAT", "--model", "ets", "--horizon", "4",
         "--cutoffs", "3", "--json"]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert rc == 0
    summary = json.loads(out)
    assert list(summary) == [
        "model",
        "mean_wql",
        "wql",
        "coverage",
        "volatility",
        "series",
        "cutoffs",
        "scored_buckets",
        "censored_buckets",
    ]
    assert summary["censored_buckets"] == 0 and summary["scored_buckets"] == 6 * 3 * 4
    assert summary["volatility"] >= 0.0
    assert summary["model"] == "ets" and summary["series"] == 6 and summary["cutoffs"] == 3
    assert set(summary["wql"]) == set(summary["coverage"]) and "0.5" in summary["wql"]
    assert summary["mean_wql"] == pytest.approx(np.mean(list(summary["wql"].values())))


def test_backtest_table_and_model_params(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _csv(tmp_path)
    rc = _run(
        ["forecast", "backtest", "--data", f"long:{data}:W-SAT", "--model", "seasonal-naive",
         "--horizon", "2", "--cutoffs", "2", "--param", "season=4"]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert rc == 0 and "wQL" in out and "coverage" in out and "seasonal-naive" in out
    assert "forecast volatility (median)" in out


def test_models_lists_the_registry(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["forecast", "models"]) == 0
    out = capsys.readouterr().out
    for name in ("seasonal-naive", "ets", "croston", "tsb", "quantile-forest"):
        assert name in out


def test_bad_input_is_one_line_and_exit_code_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _csv(tmp_path)
    rc = _run(["forecast", "backtest", "--data", f"long:{data}:W-SAT", "--model", "nope"])
    err = capsys.readouterr().err
    assert (
        rc == 2 and err.count("\n") == 1 and "unknown forecaster 'nope'" in err and "quantile-forest" in err
    )
    rc = _run(["forecast", "backtest", "--data", f"long:{data}:W-SAT", "--model", "ets", "--cutoffs", "40"])
    assert rc == 2 and "need at least" in capsys.readouterr().err


def test_parse_params() -> None:
    assert parse_params(["n_estimators=5", "peer_column=store", "max_samples=null"]) == {
        "n_estimators": 5,
        "peer_column": "store",
        "max_samples": None,
    }
    with pytest.raises(InputError, match="KEY=VALUE"):
        parse_params(["oops"])
