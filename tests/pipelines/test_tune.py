"""``restock tune``: the space file's checks, the seeded draw, and (slow) a tiny search on an embedded Ray.

The search trains DirectBackprop on 2 SKUs x 8 weeks for 4 iterations per trial; one arm of the space
(``agent.lr = 30``: Adam steps that throw the network far from its newsvendor start) is clearly worse than
the other, so ASHA stops it at its first milestone when a good trial reached the milestone first (it may
stop the worse of two good ones too: the test replays ASHA's rule on the reports). Ray runs with one CPU
(one trial at a time), so the order the trials report in, and ASHA's decisions, are fixed.
The module's tests share one pytest-xdist worker with the sweep tests (``xdist_group("ray")``): two Ray
clusters never start at once.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from restock.agents import training
from restock.errors import InputError
from restock.pipelines.cluster import AshaSpec
from restock.pipelines.tune import (
    TRIALS,
    Scoring,
    SpaceFile,
    TuneResult,
    TuneSpec,
    plan,
    read_space,
    run_tune,
    score,
)

pytestmark = pytest.mark.xdist_group("ray")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
GOOD_LR, BAD_LR = 0.03, 30.0
SPACE = f"""
timesteps = 1024
set = ["catalog.n_skus=2", "horizon=56", "warmup=56", "seeds.n_paths=1",
       "agent.n_paths=16", "agent.eval_paths=8", "agent.final_eval_paths=8", "agent.eval_every=2",
       "agent.train_episodes=2", "agent.hidden=[8]", "agent.threads=1"]
grace = 50
eval_seeds = 2
final_seeds = 2
engine = "batch"

[space]
"agent.lr" = {{choice = [{GOOD_LR}, {BAD_LR}]}}
agent.smoothing = {{loguniform = [0.02, 0.1]}}
"""
"""4 iterations a trial (16 paths x 2 SKUs x 8 reviews = 256 timesteps each), an evaluation every 2:
reports at 50% (ASHA's one milestone) and 100%."""


def _space_file(tmp: Path, text: str = SPACE) -> Path:
    path = tmp / "space.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _good_first_seed(space_file: Path) -> int:
    """A root seed whose draw starts with a good arm and holds a bad one later (ASHA can stop it)."""
    space = read_space(space_file)
    for seed in range(100):
        lrs = [
            t.values["agent.lr"]
            for t in plan(TuneSpec("directbackprop", "steady", str(space_file), 4, seed), space)
        ]
        if lrs[0] == GOOD_LR and BAD_LR in lrs[1:]:
            return seed
    raise AssertionError("no seed in 0..99 draws a good arm first and a bad one after it")


def test_the_draw_is_seeded_and_every_trial_is_checked(tmp_path: Path) -> None:
    file = _space_file(tmp_path)
    space = read_space(file)
    assert [p for p, _ in space.space] == ["agent.lr", "agent.smoothing"]
    spec = TuneSpec("directbackprop", "steady", str(file), trials=6, seed=3)
    a, b = plan(spec, space), plan(spec, space)
    assert [t.values for t in a] == [t.values for t in b] and [t.spec for t in a] == [t.spec for t in b]
    other = plan(replace(spec, seed=4), space)
    assert [t.values for t in other] != [t.values for t in a]
    for trial in a:
        assert trial.values["agent.lr"] in (GOOD_LR, BAD_LR)
        assert 0.02 <= trial.values["agent.smoothing"] <= 0.1
        assert trial.spec.options["lr"] == trial.values["agent.lr"]
        assert trial.spec.options["smoothing"] == trial.values["agent.smoothing"]
        assert trial.spec.options["n_paths"] == 16 and trial.spec.timesteps == 1024
        assert trial.spec.scenario_overrides[0] == "catalog.n_skus=2"
    assert len({t.spec.seed for t in a}) == len(a)  # each trial its own training seed, from the root seed


def test_asha_milestones_are_grace_times_powers_of_the_reduction_factor() -> None:
    assert AshaSpec("profit", "budget", grace=25, reduction_factor=2).milestones() == (25, 50)
    assert AshaSpec("profit", "budget", grace=10, reduction_factor=3).milestones() == (10, 30, 90)
    assert AshaSpec("profit", "budget", grace=50, reduction_factor=2).milestones() == (50,)


def test_a_combination_that_fails_its_checks_names_the_trial(tmp_path: Path) -> None:
    text = (
        'timesteps = 100\nset = ["catalog.n_skus=2", "horizon=28"]\n[space]\n'
        '"agent.rollout_periods" = {choice = [100, 10]}\n"agent.burn_in" = {choice = [0, 50]}\n'
    )
    file = _space_file(tmp_path, text)
    with pytest.raises(
        InputError, match=r"trial t\d{3} \(.*'agent.burn_in': 50.*must be below 'rollout_periods'"
    ):
        plan(TuneSpec("directbackprop", "steady", str(file), trials=8), read_space(file))


def test_a_ppo_space_is_checked_against_the_sb3_options(tmp_path: Path) -> None:
    text = 'timesteps = 100\n[space]\n"agent.learning_rate" = {loguniform = [1e-5, 1e-3]}\n'
    trials = plan(
        TuneSpec("ppo", "steady", str(_space_file(tmp_path, text)), 2), read_space(tmp_path / "space.toml")
    )
    assert all(1e-5 <= t.spec.options["learning_rate"] <= 1e-3 for t in trials)
    file = _space_file(tmp_path, 'timesteps = 100\n[space]\n"agent.lr" = {choice = [0.01]}\n')
    with pytest.raises(InputError, match=r"space\.agent\.lr.*unknown option agent\.lr for ppo"):
        plan(TuneSpec("ppo", "steady", str(file), 2), read_space(file))


def test_the_example_space_reads_and_plans() -> None:
    file = EXAMPLES / "tune.toml"
    space = read_space(file)
    assert isinstance(space, SpaceFile) and space.space
    assert len(plan(TuneSpec("directbackprop", "steady", str(file), 4), space)) == 4


def test_a_training_config_round_trips(tmp_path: Path) -> None:
    spec = training.TrainSpec(
        "directbackprop",
        "steady",
        1024,
        seed=7,
        scenario_overrides=("catalog.n_skus=2", 'demand.distribution="poisson"'),
        options={"lr": 0.003, "hidden": [8, 4], "observation.n_pipeline_buckets": 2, "round_orders": True},
    )
    path = tmp_path / "config.toml"
    path.write_text(training.config_toml(spec, "a comment\nof two lines"), encoding="utf-8")
    assert training.read_config(path) == spec


def test_bad_spaces_exit_2_and_leave_no_folder(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    for text, message in (
        ("timesteps = 100\n[space]\n", "the space is empty"),
        ('timesteps = 100\nwat = 2\n[space]\n"agent.lr" = {choice = [0.1]}\n', "unknown key 'wat'"),
        (
            'timesteps = 100\n[space]\n"agent.lr" = {choice = [0.1, -1.0]}\n',
            "key 'space.agent.lr' value -1.0",
        ),
    ):
        file = _space_file(tmp_path, text)
        args = (
            "tune",
            "--agent",
            "directbackprop",
            "--scenario",
            "steady",
            "--space",
            str(file),
            "--out",
            str(out),
        )
        res = run_cli("tune")(*args)
        assert res.returncode == 2 and message in res.stderr and str(file) in res.stderr, res.stderr
        assert "Traceback" not in res.stderr and not out.exists()
    _space_file(tmp_path)
    res = run_cli("tune")(*args, "--address", "127.0.0.1:9")
    assert res.returncode == 2 and "--address 127.0.0.1:9" in res.stderr and not out.exists()


# ------------------------------------------------------------------------------------ the search (slow)
@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    """One embedded Ray with one CPU: trials run one at a time, in order."""
    ray = pytest.importorskip("ray")
    ray.init(
        address="local", num_cpus=1, include_dashboard=False, log_to_driver=False, configure_logging=False
    )
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def tuned(local_ray: None, tmp_path_factory: pytest.TempPathFactory) -> TuneResult:
    file = _space_file(tmp_path_factory.mktemp("space"))
    seed = _good_first_seed(file)
    return run_tune(
        TuneSpec(
            "directbackprop",
            "steady",
            str(file),
            trials=4,
            seed=seed,
            out=str(tmp_path_factory.mktemp("tune") / "t"),
        )
    )


@pytest.mark.slow
def test_asha_stops_a_bad_arm_and_the_best_is_a_good_one(tuned: TuneResult) -> None:
    summary = json.loads((tuned.folder / "tune.json").read_text(encoding="utf-8"))
    assert summary["asha"]["milestones"] == [50]
    trials = {t["id"]: t for t in summary["trials"]}
    # ASHA's rule at the 50% milestone, replayed: trials report in order (one CPU); a trial is stopped when
    # its profit is below the median of those that reached the milestone before it
    before: list[float] = []
    for tid in sorted(trials):
        t = trials[tid]
        at50 = t["history"][0]
        assert at50["budget"] == 50
        expected = bool(before) and at50["profit"] < float(np.nanpercentile(before, 50))
        assert t["status"] == ("stopped" if expected else "finished"), (tid, at50, before)
        before.append(at50["profit"])
    stopped = [t for t in trials.values() if t["status"] == "stopped"]
    assert any(t["values"]["agent.lr"] == BAD_LR for t in stopped), "ASHA stopped no bad-arm trial"
    for t in stopped:
        assert [h["budget"] for h in t["history"]] == [50]
        assert not (tuned.folder / t["folder"] / "kpis.csv").exists()  # its training was cut short
    finished = [t for t in trials.values() if t["status"] == "finished"]
    assert all([h["budget"] for h in t["history"]] == [50, 100] for t in finished)
    assert trials[tuned.best]["values"]["agent.lr"] == GOOD_LR
    best_profit = trials[tuned.best]["history"][-1]["profit"]
    assert best_profit == max(t["history"][-1]["profit"] for t in finished)
    table = pd.read_csv(tuned.folder / "trials.csv")
    assert list(table["trial"]) == sorted(trials) and set(table["status"]) <= {"finished", "stopped"}
    for t in trials.values():  # every trial's TensorBoard in the tune folder
        assert any((tuned.folder / t["folder"] / "tensorboard").glob("events.out.tfevents.*"))


@pytest.mark.slow
def test_a_reported_profit_equals_an_independent_evaluation_of_the_checkpoint(tuned: TuneResult) -> None:
    summary = json.loads((tuned.folder / "tune.json").read_text(encoding="utf-8"))
    settings = summary["settings"]
    scoring = Scoring(settings["eval_seeds"], settings["paths"], settings["engine"], ())
    entry = next(t for t in summary["trials"] if t["id"] == tuned.best)
    spec = training.saved_spec(tuned.folder / entry["folder"])
    again = score(spec, tuned.folder / entry["folder"], scoring)
    assert again["profit"] == pytest.approx(entry["history"][-1]["profit"], rel=1e-12)
    final = tuned.final.set_index("policy")
    assert final.loc[f"{TRIALS}/{tuned.best}", "n_seeds"] == 2
    assert math.isfinite(final.loc[f"{TRIALS}/{tuned.best}", "profit"])
    assert final.loc[f"{TRIALS}/{tuned.best}", "profit"] != pytest.approx(again["profit"])  # other seeds


@pytest.mark.slow
def test_best_toml_trains_through_restock_train_config(run_cli, tuned: TuneResult, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    best = tuned.folder / "best.toml"
    entry = next(
        t for t in json.loads((tuned.folder / "tune.json").read_text())["trials"] if t["id"] == tuned.best
    )
    assert runs_plain(training.read_config(best)) == entry["spec"]
    run = tmp_path / "retrained"
    res = run_cli("train")("train", "--config", str(best), "--run-dir", str(run), "--no-progress")
    assert res.returncode == 0, res.stderr
    assert training.saved_spec(run) == training.read_config(best)
    retrained = pd.read_csv(run / "kpis.csv").iloc[-1]
    original = pd.read_csv(tuned.folder / entry["folder"] / "kpis.csv").iloc[-1]
    assert retrained["profit"] == pytest.approx(original["profit"], rel=1e-9)  # same seed, same run


def runs_plain(spec: training.TrainSpec) -> object:
    from restock import runs

    return runs.plain(spec)


def test_flags_beside_config_replace_its_values_and_sets_come_after(tmp_path: Path) -> None:
    from restock.commands.train import _new_spec

    spec = training.TrainSpec("directbackprop", "steady", 1024, seed=7, scenario_overrides=("horizon=56",),
                              options={"lr": 0.003, "hidden": [8]})  # fmt: skip
    path = tmp_path / "config.toml"
    path.write_text(training.config_toml(spec), encoding="utf-8")
    same = _new_spec(None, None, None, None, [], None, path)
    assert same == spec
    changed = _new_spec(None, None, 2048, 3, ["catalog.n_skus=2", "agent.lr=0.01"], None, path)
    assert (changed.timesteps, changed.seed) == (2048, 3)
    assert changed.scenario_overrides == ("horizon=56", "catalog.n_skus=2")
    assert changed.options == {"lr": 0.01, "hidden": [8]}
