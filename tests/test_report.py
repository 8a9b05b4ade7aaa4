"""``restock report RUN_DIR``: a self-contained HTML page, checked as text and rendered in headless Chromium.

The run folders are built by hand (a replay's files, a training run's TensorBoard scalars), so these
tests do not depend on any simulation.
"""

from __future__ import annotations

import base64
import io as _io
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib import image

from restock import io, runs
from restock.errors import InputError
from restock.pipelines.value_of_accuracy import (
    SUMMARY_COLUMNS,
    AccuracyResult,
    AccuracySpec,
    write_accuracy_run,
)
from restock.reporting import figures as figs
from restock.reporting.html import Image, Section, Table, render
from restock.reporting.run_report import REPORT_FILE, build_report, write_report
from restock.reporting.series import Phases, period_series

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
IMG = re.compile(r'<img alt="[^"]*" src="data:image/png;base64,([A-Za-z0-9+/=]+)">')


def _records(policy_shift: float) -> pd.DataFrame:
    periods = np.arange(28)
    return pd.DataFrame(
        {
            "path": 0,
            "period": periods,
            "node": "store",
            "sku": "A",
            "demand": 5.0,
            "sales": 4.0,
            "lost": 1.0,
            "on_hand": 10.0 + policy_shift,
            "ordered": np.where(periods % 7 == 0, 30.0 + policy_shift, 0.0),
            "received": np.where(periods % 7 == 2, 30.0, 0.0),
            "reward": 2.0 + policy_shift,
            "revenue": 8.0,
            "purchase_cost": 5.0,
            "holding_cost": 0.5,
            "penalty_cost": 0.5,
        }
    )


@pytest.fixture
def replay_dir(tmp_path: Path) -> Path:
    d = runs.create_run(
        kind="replay",
        scenario="steady",
        agent="replay",
        seed=1,
        config={"policies": ["a", "b"]},
        root=tmp_path,
    )
    io.write_frame(
        d / "kpis.csv",
        pd.DataFrame({"policy": ["a", "b"], "profit": [56.0, 84.0], "saving_vs_newsvendor": [0.0, 28.0]}),
    )
    io.write_frame(d / "phases.csv", pd.DataFrame({"policy": ["a"], "phase": ["before"], "profit": [56.0]}))
    io.write_frame(d / "series.csv", pd.DataFrame({"period": range(500)}))
    series = {"a": period_series(_records(0.0)), "b": period_series(_records(1.0))}
    phases = Phases(7, 14, 28)
    io.write_bytes(
        d / "figures" / "cumulative_profit.png", figs.png_bytes(figs.profit_figure(series, phases))
    )
    io.write_bytes(d / "figures" / "inventory.png", figs.png_bytes(figs.inventory_figure(series, phases)))
    return d


def test_report_is_self_contained(replay_dir: Path) -> None:
    path = write_report(replay_dir)
    assert path == replay_dir / REPORT_FILE
    html = path.read_text(encoding="utf-8")
    assert "<script" not in html and "http://" not in html and "https://" not in html
    assert html.count("<table>") == 2 + 3  # kpis, phases; run, config, versions
    assert "series.csv" not in html  # the per-period table is drawn, not listed
    pngs = [base64.b64decode(m) for m in IMG.findall(html)]
    assert pngs == [
        (replay_dir / "figures" / n).read_bytes() for n in ("cumulative_profit.png", "inventory.png")
    ]
    assert "<td>b</td><td>84</td><td>28</td>" in html


def test_report_of_a_training_run_draws_its_tensorboard_scalars(tmp_path: Path) -> None:
    from torch.utils.tensorboard import SummaryWriter

    d = runs.create_run(
        kind="train", scenario="steady", agent="ppo", seed=0, config={"timesteps": 10}, root=tmp_path
    )
    writer = SummaryWriter(str(d / "tb" / "PPO_1"))
    for step in range(5):
        writer.add_scalar("eval/profit", 10.0 * step, step)
        writer.add_scalar("train/loss", 1.0 / (step + 1), step)
    writer.close()
    io.write_frame(d / "kpis.csv", pd.DataFrame({"profit": [40.0]}))
    html = build_report(d)
    assert "Training curves" in html
    captions = re.findall(r"<figcaption>([^<]*)</figcaption>", html)
    assert captions == ["TensorBoard scalars eval/ (tb/PPO_1)", "TensorBoard scalars train/ (tb/PPO_1)"]
    for png in IMG.findall(html):
        pixels = image.imread(_io.BytesIO(base64.b64decode(png)), format="png")
        assert pixels.shape[0] > 100 and pixels.std() > 0.01


def test_html_escapes_text_and_cells() -> None:
    html = render(
        "a <b>",
        [
            Section(
                "s&t",
                paragraphs=["<i>x</i>"],
                tables=[Table("c", pd.DataFrame({"k": ["<td>"]}))],
                images=[Image('q"uote', b"\x89PNG")],
            )
        ],
    )
    assert "<b>" not in html and "&lt;b&gt;" in html and "&lt;td&gt;" in html and "s&amp;t" in html
    assert 'alt="q&quot;uote"' in html


def test_report_of_a_folder_that_is_not_a_run(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a run folder"):
        write_report(tmp_path)
    assert not (tmp_path / REPORT_FILE).exists()


def test_report_command(replay_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from restock.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["report", str(replay_dir)])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == str(replay_dir / REPORT_FILE)
    assert (replay_dir / REPORT_FILE).is_file()


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(_chromium() is None, reason="chromium is not installed here (.ci/run installs it for CI)")
def test_report_renders_in_headless_chromium(replay_dir: Path, tmp_path: Path) -> None:
    report = write_report(replay_dir)
    browser = _chromium()
    assert browser is not None
    url = report.resolve().as_uri()
    shot = tmp_path / "shot.png"
    common = [browser, *CHROMIUM_FLAGS, "--window-size=1200,2400"]
    subprocess.run(
        [*common, f"--user-data-dir={tmp_path / 'profile-1'}", f"--screenshot={shot}", url],
        check=True,
        capture_output=True,
        timeout=120,
    )
    dom = subprocess.run(
        [*common, f"--user-data-dir={tmp_path / 'profile-2'}", "--dump-dom", url],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    # the DOM Chromium built holds the tables (with their cells) and both inline images
    assert dom.count("<table") == 5 and "<td>84</td>" in dom
    assert len(IMG.findall(dom)) == 2
    # the screenshot is a real page: 1200 px wide, not blank, with the figures' coloured lines in it
    pixels = image.imread(str(shot), format="png")
    assert pixels.shape[1] == 1200 and pixels.shape[0] >= 1000
    rgb = pixels[..., :3]
    assert rgb.std() > 0.05
    blueish = (rgb[..., 2] > 0.6) & (rgb[..., 0] < 0.3)  # matplotlib's first line colour, #1f77b4
    assert blueish.sum() > 200


def _accuracy_run(tmp_path: Path) -> Path:
    """A value-of-accuracy run folder written from a hand-made result (no simulation)."""
    names = ["true", "ets"]
    summary = pd.DataFrame(
        [[n, 0.1 + i / 10, 0.2, 0.1, 0.9, 0.02, 0.05 * i, 0.1, 0.9, 1000.0 - 40 * i, -40.0 * i,
          -60.0 * i, -20.0 * i, -4.0 * i, 0.97, 3] for i, n in enumerate(names)],
        columns=list(SUMMARY_COLUMNS),
    )  # fmt: skip
    calibration = pd.DataFrame(
        {"forecaster": names, "quantile": [0.9, 0.9], "wql": [0.1, 0.2], "coverage": [0.9, 0.85]}
    ).assign(calibration=lambda f: f["coverage"] - f["quantile"])
    per_seed = pd.DataFrame({"forecaster": names, "seed": [1, 1], "profit": [1000.0, 960.0]})
    spec = AccuracySpec("steady", ("ets",), seeds=3)
    result = AccuracyResult(spec, ("true", "ets"), "true", summary, calibration, per_seed)
    return write_accuracy_run(tmp_path / "accuracy", result)


def test_report_of_a_value_of_accuracy_run_has_its_section(tmp_path: Path) -> None:
    html = (_accuracy_run(tmp_path) / REPORT_FILE).read_text(encoding="utf-8")
    assert "<h2>Value of forecast accuracy</h2>" in html
    assert "newsvendor-tuned on each forecaster" in html and "against true" in html
    assert len(IMG.findall(html)) == 1  # the figure, not the TensorBoard scalars again


@pytest.mark.skipif(_chromium() is None, reason="chromium is not installed here (.ci/run installs it for CI)")
def test_value_of_accuracy_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    report = _accuracy_run(tmp_path) / REPORT_FILE
    browser = _chromium()
    assert browser is not None
    dom = subprocess.run(
        [browser, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom",
         report.resolve().as_uri()],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout  # fmt: skip
    assert "Value of forecast accuracy" in dom and "<td>ets</td>" in dom
    assert len(IMG.findall(dom)) == 1
