"""``restock train``: a run folder with run.json, checkpoints, kpis.csv and TensorBoard; resume; bad input.

The real entry point (:func:`restock.cli.main`) runs in-process with only the train command attached.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

TINY = (
    "--timesteps", "512", "--set", "agent.n_envs=64", "--set", "agent.n_steps=8",
    "--set", "agent.torch_threads=1", "--set", "agent.figure_skus=0", "--set", "agent.eval_paths=1",
    "--no-progress",
)  # fmt: skip


@pytest.fixture
def cli(run_cli):  # type: ignore[no-untyped-def]
    return run_cli("train")


def test_train_writes_a_run_folder_and_prints_the_tensorboard_command(cli, tmp_path: Path) -> None:
    out = cli("train", "--agent", "ppo", "--scenario", "steady", "--seed", "3", "--root", str(tmp_path),
              *TINY,
              "--set", "agent.gamma=0.95", "--set", "horizon=84")  # fmt: skip
    assert out.returncode == 0, out.stderr
    (run,) = tmp_path.iterdir()
    assert run.name.startswith("steady__ppo__s3__")
    assert f"run folder: {run}" in out.stdout and f"tensorboard --logdir {run}" in out.stdout
    meta = json.loads((run / "run.json").read_text())
    assert meta["kind"] == "train" and meta["agent"] == "ppo" and meta["seed"] == 3
    cfg = meta["config"]
    assert cfg["timesteps"] == 512 and cfg["scenario_overrides"] == ["horizon=84"]
    assert cfg["options"]["gamma"] == 0.95 and cfg["options"]["n_envs"] == 64 and cfg["device"] == "cpu"
    assert (run / "kpis.csv").is_file() and list((run / "tb").glob("events.out.tfevents.*"))
    resolved = json.loads((run / "agent.json").read_text())
    assert resolved["algorithm"] == "PPO" and resolved["options"]["gamma"] == 0.95
    assert resolved["sb3_kwargs"]["n_steps"] == 8 and resolved["sb3_kwargs"]["batch_size"] == 64
    assert resolved["sb3_kwargs"]["policy_kwargs"]["activation_fn"] == "Tanh"
    assert json.loads((run / "checkpoints" / "state.json").read_text())["finished"]


def test_bad_input_exits_2_with_one_line(cli, tmp_path: Path) -> None:
    out = cli("train", "--agent", "dqn", "--scenario", "steady", "--timesteps", "10")
    assert out.returncode == 2 and "unknown agent 'dqn'" in out.stderr
    out = cli("train", "--agent", "ppo", "--scenario", "steady")
    assert out.returncode == 2 and "needs --timesteps" in out.stderr
    out = cli("train", "--agent", "ppo", "--scenario", "steady", "--timesteps", "10", "--set", "agent.lr=1")
    assert out.returncode == 2 and "unknown option agent.lr" in out.stderr
    out = cli("train", "--agent", "ppo", "--scenario", "steady", "--timesteps", "10", "--device", "gpu0")
    assert out.returncode == 2 and "'gpu0' is not a torch device" in out.stderr
    out = cli("train", "--agent", "ppo", "--scenario", "no-such-scenario", "--timesteps", "10",
              "--root", str(tmp_path))  # fmt: skip
    assert out.returncode == 2 and "no-such-scenario" in out.stderr
    out = cli("train", "--agent", "directbackprop", "--scenario", "steady", "--timesteps", "10",
              "--set", "agent.no_such_option=1", "--root", str(tmp_path))  # fmt: skip
    assert out.returncode == 2 and "no_such_option" in out.stderr
    assert not any(tmp_path.iterdir())  # no half-made run folder
    plain = tmp_path / "plain"
    plain.mkdir()
    out = cli("train", "--resume", str(plain))
    assert out.returncode == 2 and "not a run folder" in out.stderr and not any(plain.iterdir())
    out = cli("train", "--resume", str(plain), "--agent", "ppo")
    assert out.returncode == 2 and "drop --agent" in out.stderr


def test_an_existing_run_is_never_overwritten_and_a_finished_one_not_resumed(cli, tmp_path: Path) -> None:
    run = tmp_path / "run"
    out = cli("train", "--agent", "a2c", "--scenario", "steady", "--run-dir", str(run), *TINY)
    assert out.returncode == 0, out.stderr
    before = (run / "run.json").read_bytes()
    out = cli("train", "--agent", "ppo", "--scenario", "steady", "--run-dir", str(run), *TINY)
    assert out.returncode == 2 and "already holds a run" in out.stderr
    out = cli("train", "--resume", str(run))
    assert out.returncode == 2 and "finished training" in out.stderr
    assert (run / "run.json").read_bytes() == before


def test_bad_input_found_by_the_trainer_leaves_no_run_folder(cli, tmp_path: Path) -> None:
    """``--seed -1`` was refused by the env after run.json was written, leaving a folder that neither
    ``--resume`` nor a fresh start would take."""
    for seed in ("-1", str(2**32)):
        run = tmp_path / f"seed{seed}"
        out = cli(
            "train", "--agent", "ppo", "--scenario", "steady", "--seed", seed, "--run-dir", str(run), *TINY
        )
        assert out.returncode == 2 and f"--seed must be an integer in [0, 2**32), got {seed}" in out.stderr
        assert not run.exists()
    a_file = tmp_path / "a-file"
    a_file.write_text("mine")
    for run_dir in (a_file, a_file / "sub"):
        out = cli("train", "--agent", "ppo", "--scenario", "steady", "--run-dir", str(run_dir), *TINY)
        assert out.returncode == 2 and out.stderr.startswith(f"error: --run-dir {run_dir}: "), out.stderr
        assert out.stderr.count("\n") == 1 and a_file.read_text() == "mine"


def test_a_run_killed_before_its_first_checkpoint_is_restarted_by_resume(cli, tmp_path: Path) -> None:
    run = tmp_path / "run"
    out = cli("train", "--agent", "ppo", "--scenario", "steady", "--run-dir", str(run), *TINY)
    assert out.returncode == 0, out.stderr
    shutil.rmtree(run / "checkpoints")  # as if killed before the first checkpoint: run.json, agent.json, tb/
    (run / "kpis.csv").unlink()
    out = cli("train", "--resume", str(run))
    assert out.returncode == 0, out.stderr
    assert json.loads((run / "checkpoints" / "state.json").read_text())["finished"]
    assert (run / "kpis.csv").is_file()
