"""The typed options of an SB3 training run (``--set agent.KEY=VALUE``), documented field by field.

One dataclass serves PPO, A2C, SAC and TD3; each field says which algorithms read it, and an option
that the chosen algorithm does not read is an :class:`~restock.errors.InputError` (never silently
ignored). ``None`` means "SB3's default" for algorithm hyperparameters, or the documented derived value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import Any

from restock.agents.options import nested_config, split_nested
from restock.envs.actions import ActionConfig
from restock.errors import InputError

ALGOS: tuple[str, ...] = ("ppo", "a2c", "sac", "td3")
ON_POLICY = ("ppo", "a2c")
OFF_POLICY = ("sac", "td3")
ACTIVATIONS = ("tanh", "relu", "elu", "leaky_relu")


def _only(*algos: str) -> dict[str, Any]:
    return {"algos": algos}


@dataclass(frozen=True)
class SB3Options:
    """Options of one SB3 run; ``restock train --set agent.<field>=VALUE`` sets a field."""

    # ---- environment (Restock/Catalog-v0; Restock/NetworkCatalog-v0 for a network)
    n_envs: int | None = None
    """Sub-environments (SKU x path pairs; on a network, each a whole network) of the training VecEnv;
    None: 256 (PPO/A2C), 64 (SAC/TD3)."""
    action: ActionConfig = field(default_factory=ActionConfig)
    """How an action becomes an order (:class:`~restock.envs.actions.ActionConfig`, docs/envs.md):
    ``agent.action.mode`` = order_up_to | quantity | service_quantile, ``agent.action.max_cover`` (level
    at action 1 in review periods of forecast demand), ``agent.action.max_multiple``,
    ``agent.action.tau_min``, ``agent.action.tau_max``."""
    reward_scale: float | None = None
    """Constant reward divisor; None: the env's per-SKU p_ref x s (a network: p_ref x s_net)."""
    # ---- network
    net_arch: tuple[int, ...] = (64, 64)
    """Hidden layer sizes of the actor and of the critic (the same for both)."""
    activation: str = "tanh"
    """Activation of the hidden layers: tanh | relu | elu | leaky_relu."""
    # ---- common hyperparameters
    learning_rate: float | None = None
    """Adam step size; None: SB3's default for the algorithm."""
    gamma: float = 0.99
    """Discount per review period."""
    batch_size: int | None = None
    """Minibatch size (PPO, SAC, TD3); None: SB3's default (PPO: 64 is far too small here, so 4096)."""
    # ---- on-policy (PPO, A2C)
    n_steps: int | None = None
    """Steps per sub-environment per rollout; None: one episode of the scenario's reviews (capped at 128)."""
    n_epochs: int | None = field(default=None, metadata=_only("ppo"))
    """PPO: passes over each rollout; None: 10."""
    gae_lambda: float | None = field(default=None, metadata=_only(*ON_POLICY))
    """GAE lambda; None: 0.95 (PPO), 1.0 (A2C)."""
    clip_range: float | None = field(default=None, metadata=_only("ppo"))
    """PPO clip range; None: 0.2."""
    ent_coef: float | None = field(default=None, metadata=_only(*ON_POLICY))
    """Entropy bonus; None: 0."""
    vf_coef: float | None = field(default=None, metadata=_only(*ON_POLICY))
    """Value-loss weight; None: 0.5."""
    max_grad_norm: float | None = field(default=None, metadata=_only(*ON_POLICY))
    """Gradient clipping; None: 0.5."""
    log_std_init: float = field(default=-1.5, metadata=_only(*ON_POLICY, "sac"))
    """Initial log standard deviation of the Gaussian policy (action units, the box is [-1, 1]). -1.5 (std
    0.22: about half a review period of demand in the default order-up-to box) learns steadily on steady;
    SB3's -0 or -0.5 drifts (the mean creeps up to cover the policy's own noise)."""
    normalize_advantage: bool | None = field(default=None, metadata=_only(*ON_POLICY))
    """Normalize advantages per minibatch; None: SB3's default (PPO True, A2C False)."""
    # ---- off-policy (SAC, TD3)
    buffer_size: int = field(default=200_000, metadata=_only(*OFF_POLICY))
    """Replay buffer size (transitions)."""
    learning_starts: int = field(default=2_000, metadata=_only(*OFF_POLICY))
    """Transitions collected before the first gradient step."""
    train_freq: int = field(default=1, metadata=_only(*OFF_POLICY))
    """Vector steps between updates."""
    gradient_steps: int = field(default=8, metadata=_only(*OFF_POLICY))
    """Gradient steps per update."""
    tau: float | None = field(default=None, metadata=_only(*OFF_POLICY))
    """Polyak coefficient of the target networks; None: 0.005."""
    # ---- evaluation and checkpoints
    eval_freq: int | None = None
    """Timesteps between evaluations (and checkpoints); None: timesteps / 10, at least one vector step."""
    eval_paths: int = 8
    """Held-out catalog paths (the selection draw ``seeding.selection_seed(0)`` of the scenario, apart from
    every training and evaluation draw) each evaluation simulates; the best checkpoint is chosen on them."""
    figure_skus: int = 3
    """SKUs shown in the evaluation figure (inventory / orders / demand against the forecast band)."""
    torch_threads: int | None = None
    """Threads torch may use for this process (``torch.set_num_threads``); None: torch's default. On a
    small shared CPU, 1 is often several times faster than the default (OpenMP threads contend)."""
    keep_checkpoints: int = 3
    """Periodic checkpoints kept (the newest); the best and the last are always kept."""

    def __post_init__(self) -> None:
        positive_int = ("n_envs", "batch_size", "n_steps", "n_epochs", "eval_freq", "torch_threads")
        for name in positive_int:
            v = getattr(self, name)
            if v is not None and not (isinstance(v, int) and not isinstance(v, bool) and v >= 1):
                raise InputError(f"agent.{name} must be an integer >= 1, got {v!r}")
        for name in ("buffer_size", "train_freq", "gradient_steps", "eval_paths", "keep_checkpoints"):
            v = getattr(self, name)
            if not (isinstance(v, int) and not isinstance(v, bool) and v >= 1):
                raise InputError(f"agent.{name} must be an integer >= 1, got {v!r}")
        if not (isinstance(self.learning_starts, int) and self.learning_starts >= 0):
            raise InputError(f"agent.learning_starts must be an integer >= 0, got {self.learning_starts!r}")
        if not (isinstance(self.figure_skus, int) and self.figure_skus >= 0):
            raise InputError(f"agent.figure_skus must be an integer >= 0, got {self.figure_skus!r}")
        if not isinstance(self.action, ActionConfig):
            raise InputError(f"agent.action must be an ActionConfig, got {self.action!r}")
        if self.activation not in ACTIVATIONS:
            raise InputError(f"agent.activation must be one of {list(ACTIVATIONS)}, got {self.activation!r}")
        if not self.net_arch or not all(isinstance(h, int) and h >= 1 for h in self.net_arch):
            raise InputError(
                f"agent.net_arch must be a list of layer sizes >= 1, got {list(self.net_arch)!r}"
            )
        unit = ("gamma", "gae_lambda", "tau")
        for name in unit:
            v = getattr(self, name)
            if v is not None and not (_real(v) and 0.0 < v <= 1.0):
                raise InputError(f"agent.{name} must be in (0, 1], got {v!r}")
        for name in ("learning_rate", "clip_range", "reward_scale", "max_grad_norm"):
            v = getattr(self, name)
            if v is not None and not (_real(v) and v > 0):
                raise InputError(f"agent.{name} must be a finite number > 0, got {v!r}")
        for name in ("ent_coef", "vf_coef"):
            v = getattr(self, name)
            if v is not None and not (_real(v) and v >= 0):
                raise InputError(f"agent.{name} must be a finite number >= 0, got {v!r}")
        if not _real(self.log_std_init):
            raise InputError(f"agent.log_std_init must be a finite number, got {self.log_std_init!r}")


def _real(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


LEGACY_ACTION_KEYS: dict[str, str] = {"action_mode": "mode", "max_cover": "max_cover"}
"""Earlier spellings of two action options (``agent.action_mode``, ``agent.max_cover``), still read so
that the ``run.json`` of older training runs loads."""


def _action(options: dict[str, Any]) -> ActionConfig:
    """The :class:`ActionConfig` of ``agent.action.*`` items (keys without the prefix)."""
    return nested_config(ActionConfig, "action", options)


def parse_options(agent: str, options: dict[str, Any]) -> SB3Options:
    """Typed options for ``agent`` from ``--set agent.KEY=VALUE`` items (unknown or foreign keys: error).

    ``action.<field>`` keys (and the legacy ``action_mode``, ``max_cover``) build the nested
    :class:`ActionConfig`; ``action`` itself may be a mapping of its fields (a TOML inline table).
    """
    if agent not in ALGOS:
        raise InputError(f"SB3 agent must be one of {list(ALGOS)}, got {agent!r}")
    known = {f.name: f for f in fields(SB3Options) if f.name != "action"}
    values: dict[str, Any] = {}
    rest, action = split_nested(options, "action", LEGACY_ACTION_KEYS)
    for key, value in rest.items():
        f = known.get(key)
        if f is None:
            raise InputError(f"unknown option agent.{key} for {agent}; known: {sorted(known)}")
        algos = f.metadata.get("algos")
        if algos and agent not in algos:
            raise InputError(f"option agent.{key} does not apply to {agent} (only to {', '.join(algos)})")
        if key == "net_arch":
            value = tuple(value) if isinstance(value, list | tuple) else (value,)
        if isinstance(value, int) and not isinstance(value, bool) and f.type in ("float", "float | None"):
            value = float(value)
        values[key] = value
    return replace(SB3Options(), **values, action=_action(action))


ZIPKIN_PPO_OPTIONS: dict[str, Any] = {
    "n_envs": 256,
    "log_std_init": -2.0,
    "learning_rate": 1e-4,
    "eval_paths": 32,
    "eval_freq": 100_000,
}
"""PPO options for the ``zipkin-lost-sales`` family, with about 1M timesteps (docs/training.md, "PPO on
Zipkin's lost-sales instances", gives what they reach): ``TrainSpec(agent="ppo",
scenario="zipkin-lost-sales", scenario_overrides=("family.instance=p9-L2",), timesteps=1_000_000,
options=ZIPKIN_PPO_OPTIONS)``. Small exploration noise matters: one review per period and a 40-unit
order-up-to box make a log std of -0.5 (about 12 units) far too noisy; SB3's learning rate 3e-4 learned
less steadily than 1e-4 (p4-L2: 3.1% vs 1.6% above the optimal policy)."""
