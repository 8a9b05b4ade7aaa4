"""Run folders may come from strangers: checkpoints are read without unpickling, paths stay in the folder.

Each test plants a pickle payload that would create a marker file when unpickled, and checks that loading
either ignores it (Restock rebuilds that entry) or refuses the file with an InputError, and that the
marker never appears.
"""

from __future__ import annotations

import base64
import json
import pickle
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from restock.agents.directbackprop.policy import FORMAT, read_checkpoint
from restock.agents.sb3.callbacks import CHECKPOINTS, STATE_FILE, read_state, save_model
from restock.agents.sb3.config import parse_options
from restock.agents.sb3.models import load_model, load_replay_buffer, save_replay_buffer
from restock.envs.catalog import CatalogVecEnv
from restock.errors import InputError


class Payload:
    """Unpickling this calls ``open(marker, "w")``: the file appears if anything unpickles it."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (str(self.marker), "w"))


def _serialized(obj: Any) -> dict[str, str]:
    return {":type:": "<class 'object'>", ":serialized:": base64.b64encode(pickle.dumps(obj)).decode()}


def _rewrite_data(src: Path, dst: Path, change: Any) -> None:
    """Copy the SB3 archive ``src`` to ``dst`` with its ``data`` JSON changed by ``change(data)``."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for item in zin.infolist():
            raw = zin.read(item.filename)
            if item.filename == "data":
                data = json.loads(raw)
                change(data)
                raw = json.dumps(data).encode()
            zout.writestr(item, raw)


@pytest.fixture(scope="module")
def sb3_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    from stable_baselines3 import SAC

    env = CatalogVecEnv(scenario="steady", n_envs=4, seed=0)
    model = SAC("MlpPolicy", env, buffer_size=64, learning_starts=8, batch_size=8, verbose=0)
    model.learn(16)
    path = tmp_path_factory.mktemp("sb3") / "model.zip"
    save_model(model, path)
    return model, path


def test_a_planted_pickle_in_an_entry_restock_rebuilds_is_never_unpickled(
    sb3_model: tuple[Any, Path], tmp_path: Path
) -> None:
    model, path = sb3_model
    marker = tmp_path / "ran"
    evil = tmp_path / "evil.zip"
    _rewrite_data(path, evil, lambda d: d.update(policy_class=_serialized(Payload(marker))))
    loaded = load_model("sac", evil, parse_options("sac", {}))
    assert not marker.exists()
    obs = np.zeros((2, *loaded.observation_space.shape), dtype=np.float32)
    np.testing.assert_array_equal(
        loaded.predict(obs, deterministic=True)[0], model.predict(obs, deterministic=True)[0]
    )


def test_an_unknown_pickled_entry_refuses_the_file(sb3_model: tuple[Any, Path], tmp_path: Path) -> None:
    _, path = sb3_model
    marker = tmp_path / "ran"
    evil = tmp_path / "evil.zip"
    _rewrite_data(path, evil, lambda d: d.update(surprise=_serialized(Payload(marker))))
    with pytest.raises(InputError, match=r"pickled entries \['surprise'\].*not loaded"):
        load_model("sac", evil, parse_options("sac", {}))
    assert not marker.exists()
    bad_rate = tmp_path / "rate.zip"
    _rewrite_data(path, bad_rate, lambda d: d.update(learning_rate="fast"))
    with pytest.raises(InputError, match="learning_rate must be a number, got 'fast'"):
        load_model("sac", bad_rate, parse_options("sac", {}))
    (tmp_path / "junk.zip").write_bytes(b"not a zip")
    with pytest.raises(InputError, match="not an SB3 model archive"):
        load_model("sac", tmp_path / "junk.zip", parse_options("sac", {}))


def test_the_replay_buffer_round_trips_as_plain_arrays_and_bad_files_are_refused(
    sb3_model: tuple[Any, Path], tmp_path: Path
) -> None:
    model, _ = sb3_model
    file = tmp_path / "buffer.npz"
    file.write_bytes(save_replay_buffer(model))
    before = model.replay_buffer.observations.copy()
    pos = model.replay_buffer.pos
    model.replay_buffer.observations[...] = 0.0
    load_replay_buffer(model, file)
    np.testing.assert_array_equal(model.replay_buffer.observations, before)
    assert model.replay_buffer.pos == pos
    marker = tmp_path / "ran"
    (tmp_path / "pickled.npz").write_bytes(pickle.dumps(Payload(marker)))
    with pytest.raises(InputError, match="not a saved replay buffer"):
        load_replay_buffer(model, tmp_path / "pickled.npz")
    assert not marker.exists()
    with np.load(file) as stored:
        arrays = dict(stored)
    arrays["actions"] = arrays["actions"][:3]
    np.savez(tmp_path / "short.npz", **arrays)
    with pytest.raises(InputError, match="actions has shape"):
        load_replay_buffer(model, tmp_path / "short.npz")
    arrays = {**dict(np.load(file)), "pos": np.int64(-1)}
    np.savez(tmp_path / "pos.npz", **arrays)
    with pytest.raises(InputError, match="pos must be in"):
        load_replay_buffer(model, tmp_path / "pos.npz")


def test_a_directbackprop_checkpoint_with_a_pickled_object_is_refused(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    path = tmp_path / "best.pt"
    torch.save({"format": FORMAT, "meta": {}, "state_dict": {}, "extra": Payload(marker)}, path)
    with pytest.raises(InputError, match="not a readable checkpoint"):
        read_checkpoint(path)
    assert not marker.exists()


@pytest.mark.parametrize(
    ("state", "match"),
    [
        ({"last": "../../elsewhere.zip", "timesteps": 8, "finished": False}, "last must name a checkpoint"),
        ({"last": "/etc/passwd", "timesteps": 8}, "last must name a checkpoint"),
        ({"last": "step_000000000008.zip", "timesteps": -1}, "timesteps must be a whole number"),
        ({"last": "step_000000000008.zip", "timesteps": 8.5}, "timesteps must be a whole number"),
        ({"last": "step_000000000008.zip", "timesteps": "8"}, "timesteps must be a whole number"),
        ({"last": "step_000000000008.zip", "timesteps": 8, "finished": "yes"}, "finished must be"),
        (["not", "a", "table"], "must be a table"),
    ],
)
def test_checkpoint_state_of_a_run_folder_is_checked(state: Any, match: str, tmp_path: Path) -> None:
    (tmp_path / CHECKPOINTS).mkdir()
    (tmp_path / CHECKPOINTS / STATE_FILE).write_text(json.dumps(state))
    with pytest.raises(InputError, match=match):
        read_state(tmp_path)


def test_checkpoint_state_that_is_not_json_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / CHECKPOINTS).mkdir()
    (tmp_path / CHECKPOINTS / STATE_FILE).write_text("{not json")
    with pytest.raises(InputError, match="not readable JSON"):
        read_state(tmp_path)
