"""The SB3 algorithms of Restock, their policy arguments, and checkpoints read without unpickling.

Run folders may come from strangers. An SB3 ``.zip`` keeps its weights as tensors (SB3 reads them with
``weights_only=True``) but stores some entries of its ``data`` JSON as cloudpickle, which SB3's ``load``
would unpickle: the policy class, the spaces, the schedules, the buffer classes, ``policy_kwargs``,
``train_freq`` and the training loop's runtime state. :func:`load_model` rebuilds every one of those
from the run's own parsed options and the env's layout and hands them to SB3 as ``custom_objects``, so
nothing from the file is unpickled; a file with any other pickled entry is refused. The replay buffer
of an off-policy run is saved as plain arrays (``.npz``, read with ``allow_pickle=False``), not as
SB3's pickle.
"""

from __future__ import annotations

import inspect
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from restock.agents.sb3.config import ON_POLICY, SB3Options
from restock.envs.core import observation_bounds
from restock.envs.features import ObservationConfig
from restock.errors import InputError

RUNTIME_STATE = (
    "_last_obs",
    "_last_original_obs",
    "_last_episode_starts",
    "ep_info_buffer",
    "ep_success_buffer",
)
"""Entries SB3 saves of a model's training loop; loaded as None (SB3's ``learn`` starts them anew)."""
BUFFER_ARRAYS = ("observations", "next_observations", "actions", "rewards", "dones", "timeouts")
"""The arrays of an SB3 ``ReplayBuffer`` that a saved buffer holds (with ``pos`` and ``full``)."""


def algorithm(agent: str) -> Any:
    """The SB3 class of ``agent``."""
    from stable_baselines3 import A2C, PPO, SAC, TD3

    classes: dict[str, Any] = {"ppo": PPO, "a2c": A2C, "sac": SAC, "td3": TD3}
    if agent not in classes:
        raise InputError(f"not an SB3 agent: {agent!r}; known: {sorted(classes)}")
    return classes[agent]


def _activation(name: str) -> Any:
    import torch

    return {
        "tanh": torch.nn.Tanh,
        "relu": torch.nn.ReLU,
        "elu": torch.nn.ELU,
        "leaky_relu": torch.nn.LeakyReLU,
    }[name]


def policy_kwargs(agent: str, opts: SB3Options) -> dict[str, Any]:
    """The ``policy_kwargs`` of the SB3 constructor: activation, network widths, initial log-std."""
    arch = list(opts.net_arch)
    kw: dict[str, Any] = {"activation_fn": _activation(opts.activation)}
    if agent in ON_POLICY:
        kw["net_arch"] = {"pi": arch, "vf": arch}
        kw["log_std_init"] = opts.log_std_init
    else:
        kw["net_arch"] = {"pi": arch, "qf": arch}
        if agent == "sac":
            kw["log_std_init"] = opts.log_std_init
    return kw


def _replacements(
    agent: str, opts: SB3Options, data: dict[str, Any], n_nodes: int, n_actions: int
) -> dict[str, Any]:
    """What each pickled entry of a Restock model's ``data`` is, rebuilt from the run's options and the
    env's layout (``n_nodes`` nodes: every node's features; ``n_actions``: one action per source of every
    node)."""
    from gymnasium import spaces
    from stable_baselines3.common.buffers import ReplayBuffer, RolloutBuffer
    from stable_baselines3.common.utils import ConstantSchedule

    cls = algorithm(agent)
    low, high = observation_bounds(ObservationConfig())
    learning_rate = data.get("learning_rate")
    if not isinstance(learning_rate, int | float) or isinstance(learning_rate, bool):
        raise InputError(f"SB3 model data: learning_rate must be a number, got {learning_rate!r}")
    clip = opts.clip_range
    if clip is None and agent == "ppo":
        clip = inspect.signature(cls.__init__).parameters["clip_range"].default
    return {
        "policy_class": cls.policy_aliases["MlpPolicy"],
        "observation_space": spaces.Box(np.tile(low, n_nodes), np.tile(high, n_nodes), dtype=np.float32),
        "action_space": spaces.Box(-1.0, 1.0, shape=(n_actions,), dtype=np.float32),
        "lr_schedule": ConstantSchedule(float(learning_rate)),
        "clip_range": clip,
        "policy_kwargs": policy_kwargs(agent, opts),
        "rollout_buffer_class": RolloutBuffer,
        "replay_buffer_class": ReplayBuffer,
        "train_freq": opts.train_freq,
        # the training loop's runtime state: SB3 rebuilds it (resets the env) when learning resumes
        **dict.fromkeys(RUNTIME_STATE),
    }


def load_model(
    agent: str,
    file: Path,
    opts: SB3Options,
    *,
    env: Any = None,
    device: str = "cpu",
    n_nodes: int = 1,
    n_actions: int | None = None,
) -> Any:
    """The SB3 model in ``file`` (a run's checkpoint), without unpickling anything it holds.

    ``n_nodes``: the nodes of the scenario it was trained on (``Restock/Catalog-v0``: 1;
    ``Restock/NetworkCatalog-v0``: M) and ``n_actions`` its sources (None: one per node), which fix its
    observation and action spaces."""
    try:
        with zipfile.ZipFile(file) as archive:
            data = json.loads(archive.read("data"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise InputError(f"{file}: not an SB3 model archive ({exc})") from exc
    if not isinstance(data, dict):
        raise InputError(f"{file}: the model's data is not a table")
    pickled = sorted(k for k, v in data.items() if isinstance(v, dict) and ":serialized:" in v)
    known = _replacements(agent, opts, data, n_nodes, n_nodes if n_actions is None else n_actions)
    unknown = [k for k in pickled if k not in known]
    if unknown:
        raise InputError(
            f"{file}: holds pickled entries {unknown} that Restock does not rebuild; it is not loaded "
            "(run folders may come from strangers: nothing in them is unpickled)"
        )
    return algorithm(agent).load(file, env=env, device=device, custom_objects={k: known[k] for k in pickled})


def save_replay_buffer(model: Any) -> bytes:
    """The replay buffer of an off-policy ``model`` as ``.npz`` bytes (plain arrays, no pickle)."""
    rb = model.replay_buffer
    buf = io.BytesIO()
    arrays = {name: getattr(rb, name) for name in BUFFER_ARRAYS}
    np.savez(buf, **arrays, pos=np.int64(rb.pos), full=np.bool_(rb.full))
    return buf.getvalue()


def load_replay_buffer(model: Any, file: Path) -> None:
    """Fill ``model``'s replay buffer from ``file`` (:func:`save_replay_buffer`), shapes checked."""
    rb = model.replay_buffer
    try:
        with np.load(file, allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in (*BUFFER_ARRAYS, "pos", "full")}
    except (OSError, KeyError, ValueError) as exc:
        raise InputError(f"{file}: not a saved replay buffer ({exc})") from exc
    for name in BUFFER_ARRAYS:
        want = getattr(rb, name)
        if arrays[name].shape != want.shape or arrays[name].dtype != want.dtype:
            raise InputError(
                f"{file}: {name} has shape {arrays[name].shape} ({arrays[name].dtype}), the model's buffer "
                f"{want.shape} ({want.dtype})"
            )
    pos = int(arrays["pos"])
    if not 0 <= pos < rb.buffer_size:
        raise InputError(f"{file}: pos must be in [0, {rb.buffer_size}), got {pos}")
    for name in BUFFER_ARRAYS:
        getattr(rb, name)[...] = arrays[name]
    rb.pos, rb.full = pos, bool(arrays["full"])
