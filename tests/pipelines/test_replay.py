"""``restock replay``: every artifact written, the same paths for every policy, KPIs that add up.

One small replay (covid-shock cut to 6 SKUs and 2 paths, 2 evaluation seeds, SimPy engine) is run once
per module and every test reads its folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from restock import runs
from restock.errors import InputError
from restock.pipelines import replay as rp
from restock.reporting.tensorboard import FIGURES_RUN, SERIES_TAGS, read_scalars, run_label
from restock.seeding import eval_seed

OVERRIDES = ("catalog.n_skus=6", "seeds.n_paths=2")
POLICIES = ("newsvendor", "base-stock")
SEEDS = 2
HORIZON = 364
KEYS = ["seed", "path", "period", "node", "sku"]


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> rp.ReplayResult:
    spec = rp.ReplaySpec("covid-shock", POLICIES, seeds=SEEDS, scenario_overrides=OVERRIDES)
    return rp.replay(spec, root=tmp_path_factory.mktemp("runs"))


def _traj(run_dir: Path, policy: str) -> pd.DataFrame:
    return pd.read_parquet(run_dir / "trajectories" / f"{run_label(policy)}.parquet")


def test_replay_writes_every_artifact(replayed: rp.ReplayResult) -> None:
    d = replayed.run_dir
    meta = runs.load_run(d)
    assert meta["kind"] == "replay" and meta["scenario"] == "covid-shock"
    assert meta["config"]["policies"] == list(POLICIES) and meta["config"]["seeds"] == SEEDS
    for name in ("kpis.csv", "kpis.md", "per_seed.csv", "phases.csv", "series.csv", "forecast_bands.csv"):
        assert (d / name).is_file(), name
    for fig in ("inventory", "orders", "demand_forecast", "cumulative_profit"):
        assert (d / "figures" / f"{fig}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for policy in POLICIES:
        assert (d / "trajectories" / f"{run_label(policy)}.parquet").is_file()
    md = (d / "kpis.md").read_text()
    assert "| newsvendor |" in md and "| base-stock |" in md and "before" in md and "during" in md


def test_tensorboard_runs_hold_the_expected_tags(replayed: rp.ReplayResult) -> None:
    d = replayed.run_dir
    runs_found = sorted(p.name for p in (d / "tensorboard").iterdir())
    assert runs_found == sorted([FIGURES_RUN, *(run_label(p) for p in POLICIES)])
    summary = replayed.summary.set_index("policy")
    for policy in POLICIES:
        scalars = read_scalars(d / "tensorboard" / run_label(policy))
        assert set(SERIES_TAGS.values()) <= set(scalars)
        profit = scalars["profit/period"]
        assert profit["step"].tolist() == list(range(HORIZON))
        # the last running profit is the KPI table's mean profit per path
        cum = scalars["profit/cumulative"]["value"].iloc[-1]
        assert cum == pytest.approx(summary.loc[policy, "profit"], rel=1e-5)
        assert scalars["kpi/profit"]["value"].iloc[0] == pytest.approx(
            summary.loc[policy, "profit"], rel=1e-5
        )
        assert (
            (scalars["service/fill_rate"]["value"] >= 0) & (scalars["service/fill_rate"]["value"] <= 1)
        ).all()
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(d / "tensorboard" / FIGURES_RUN), size_guidance={"images": 0})
    acc.Reload()
    assert {f"replay/{k}" for k in ("inventory", "orders", "demand_forecast", "cumulative_profit")} <= set(
        acc.Tags()["images"]
    )


def test_every_policy_sees_the_same_paths(replayed: rp.ReplayResult) -> None:
    a, b = (_traj(replayed.run_dir, p) for p in POLICIES)
    assert sorted(a["seed"].unique().tolist()) == [eval_seed(k) for k in range(SEEDS)]
    assert len(a) == SEEDS * 2 * HORIZON * 6
    a, b = a.sort_values(KEYS).reset_index(drop=True), b.sort_values(KEYS).reset_index(drop=True)
    pd.testing.assert_frame_equal(a[KEYS], b[KEYS])
    np.testing.assert_array_equal(a["demand"].to_numpy(), b["demand"].to_numpy())
    # ... while the policies do act differently
    assert not np.array_equal(a["ordered"].to_numpy(), b["ordered"].to_numpy())


def test_kpi_csv_agrees_with_the_trajectories(replayed: rp.ReplayResult) -> None:
    d = replayed.run_dir
    kpis = pd.read_csv(d / "kpis.csv").set_index("policy")
    per_seed = pd.read_csv(d / "per_seed.csv")
    profit = {}
    for policy in POLICIES:
        t = _traj(d, policy)
        by_seed = t.groupby("seed")["reward"].sum() / t.groupby("seed")["path"].nunique()
        rows = per_seed[per_seed["policy"] == policy].set_index("seed")["profit"]
        np.testing.assert_allclose(rows.loc[by_seed.index].to_numpy(), by_seed.to_numpy(), rtol=1e-9)
        assert kpis.loc[policy, "profit"] == pytest.approx(by_seed.mean(), rel=1e-9)
        fill = (t.groupby("seed")["sales"].sum() / t.groupby("seed")["demand"].sum()).mean()
        assert kpis.loc[policy, "fill_rate"] == pytest.approx(fill, rel=1e-9)
        profit[policy] = by_seed
    diff = profit["base-stock"] - profit["newsvendor"]
    assert kpis.loc["base-stock", "saving_vs_newsvendor"] == pytest.approx(diff.mean(), rel=1e-9)
    assert kpis.loc["base-stock", "ci_low"] <= diff.mean() <= kpis.loc["base-stock", "ci_high"]
    assert kpis.loc["newsvendor", "saving_vs_newsvendor"] == 0.0


def test_phases_split_the_horizon_and_add_up(replayed: rp.ReplayResult) -> None:
    phases = pd.read_csv(replayed.run_dir / "phases.csv")
    kpis = replayed.summary.set_index("policy")
    for policy in POLICIES:
        p = phases[phases["policy"] == policy]
        # covid-shock: shocks from day 70 to the end of the horizon
        assert p["phase"].tolist() == ["before", "during"]
        assert p[["start", "end"]].to_numpy().tolist() == [[0, 70], [70, HORIZON]]
        assert p["profit"].sum() == pytest.approx(kpis.loc[policy, "profit"], rel=1e-9)


def test_forecast_bands_hold_the_cycle_demand(replayed: rp.ReplayResult) -> None:
    d = replayed.run_dir
    bands = pd.read_csv(d / "forecast_bands.csv")
    assert (bands["low"] <= bands["median"]).all() and (bands["median"] <= bands["high"]).all()
    t = _traj(d, "newsvendor")
    first = t[(t["seed"] == eval_seed(0)) & (t["path"] == 0)]
    for row in bands.sample(10, random_state=0).itertuples():
        cycle = first[
            (first["sku"] == row.sku) & (first["period"] >= row.period) & (first["period"] < row.period + 7)
        ]
        assert row.demand == pytest.approx(cycle["demand"].sum())
    # the true forecaster does not foresee the shock: the same band at every review
    assert bands.groupby("sku")["median"].nunique().eq(1).all()


def test_an_unknown_policy_spec_is_a_clear_error_and_writes_nothing(tmp_path: Path) -> None:
    spec = rp.ReplaySpec(
        "covid-shock", ("newsvendor", "no-such-policy"), seeds=1, scenario_overrides=OVERRIDES
    )
    with pytest.raises(InputError, match="no-such-policy"):
        rp.replay(spec, root=tmp_path)
    spec = rp.ReplaySpec("covid-shock", ("runs/not-a-run",), seeds=1, scenario_overrides=OVERRIDES)
    with pytest.raises(InputError, match="not-a-run"):
        rp.replay(spec, root=tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"policies": ()}, "names no policy"),
        ({"policies": ("newsvendor", "newsvendor")}, "listed twice"),
        ({"seeds": 0}, "positive integer"),
    ],
)
def test_bad_replay_specs(kwargs: dict[str, object], match: str) -> None:
    args: dict[str, object] = {"scenario": "steady", "policies": ("newsvendor",), **kwargs}
    with pytest.raises(InputError, match=match):
        rp.ReplaySpec(**args)  # type: ignore[arg-type]


def test_replay_command_prints_json(
    replayed: rp.ReplayResult, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from restock.cli import main

    seen: list[rp.ReplaySpec] = []

    def fake(spec: rp.ReplaySpec, **kwargs: object) -> rp.ReplayResult:
        seen.append(spec)
        return replayed

    monkeypatch.setattr(rp, "replay", fake)
    argv = ["replay", "covid-shock", "--policies", "newsvendor, base-stock", "--seeds", "2", "--json"]
    with pytest.raises(SystemExit) as exit_:
        main([*argv, *(x for o in OVERRIDES for x in ("--set", o))])
    assert exit_.value.code == 0
    assert seen == [rp.ReplaySpec("covid-shock", POLICIES, seeds=SEEDS, scenario_overrides=OVERRIDES)]
    out = json.loads(capsys.readouterr().out)
    assert out["run_dir"] == str(replayed.run_dir)
    assert [row["policy"] for row in out["summary"]] == list(POLICIES)


def test_replay_command_reports_a_bad_policy_list(capsys: pytest.CaptureFixture[str]) -> None:
    from restock.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["replay", "steady", "--policies", "newsvendor,,base-stock"])
    assert exit_.value.code == 2
    assert "--policies" in capsys.readouterr().err


def test_policy_labels_name_run_folders_by_their_agent(tmp_path: Path) -> None:
    a = runs.create_run(kind="train", scenario="steady", agent="ppo", seed=0, config={}, root=tmp_path / "a")
    b = runs.create_run(kind="train", scenario="steady", agent="ppo", seed=1, config={}, root=tmp_path / "b")
    c = runs.create_run(
        kind="train", scenario="steady", agent="directbackprop", seed=0, config={}, root=tmp_path
    )
    assert rp.policy_labels(("newsvendor", str(a), str(c))) == {
        "newsvendor": "newsvendor",
        str(a): "ppo",
        str(c): "directbackprop",
    }
    # two runs of one agent keep their folder names
    assert rp.policy_labels((str(a), str(b))) == {str(a): a.name, str(b): b.name}


def test_train_overrides_tune_baselines_on_the_world_before_the_shock(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from restock.agents import specs
    from restock.scenarios import load

    seen: dict[str, object] = {}

    def fake_resolve(spec: str, scenario: object, seed: int = 0, **kwargs: object) -> object:
        seen[spec] = kwargs.get("train_scenario")
        return object()

    monkeypatch.setattr(specs, "resolve_policy", fake_resolve)
    scenario = load("covid-shock", [])
    assert scenario.shocks, "covid-shock should hold shocks"
    rp.resolve_policies(
        rp.ReplaySpec("covid-shock", ("base-stock",), train_overrides=("shocks=[]",)), scenario
    )
    train = seen["base-stock"]
    assert train is not None and not train.shocks  # type: ignore[attr-defined]
    assert train.name == scenario.name  # type: ignore[attr-defined]
    rp.resolve_policies(rp.ReplaySpec("covid-shock", ("base-stock",)), scenario)
    assert seen["base-stock"] is None


def test_an_output_location_that_cannot_be_written_is_refused_before_the_evaluation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It failed with a traceback, and only after the whole evaluation had run."""

    def no_evaluation(*_args: object, **_kw: object) -> None:
        raise AssertionError("the replay evaluated before checking where it writes")

    monkeypatch.setattr(rp, "_evaluate", no_evaluation)
    a_file = tmp_path / "a-file"
    a_file.write_text("mine")
    spec = rp.ReplaySpec("steady", ("newsvendor",), seeds=1, scenario_overrides=("horizon=28",))
    for kw, said in (
        ({"run_dir": a_file}, f"--run-dir {a_file}: is an existing file"),
        ({"run_dir": a_file / "sub"}, f"--run-dir {a_file / 'sub'}: {a_file} is a file"),
        ({"root": a_file}, f"--root {a_file}: is an existing file"),
    ):
        with pytest.raises(InputError, match=said):
            rp.replay(spec, **kw)  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"--engine 'gpu'"):
        rp.ReplaySpec("steady", ("newsvendor",), engine="gpu")
    assert a_file.read_text() == "mine"
