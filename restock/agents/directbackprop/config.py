"""DirectBackprop's options: one typed config, set with ``--set agent.KEY=VALUE``."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

from restock.agents.options import nested_config, split_nested
from restock.envs.features import ObservationConfig
from restock.errors import InputError


@dataclass(frozen=True)
class DirectBackpropConfig:
    """Hyperparameters of DirectBackprop (``TrainSpec.options``; every field is an ``agent.`` key).

    The training budget is ``TrainSpec.timesteps``: decision points simulated (SKU-reviews, as SB3 counts
    env steps), so ``iterations = ceil(timesteps / (n_paths x N x reviews per rollout))``.
    """

    n_paths: int = 1024
    """Exogenous paths per gradient step (each with all the scenario's N SKUs)."""
    rollout_periods: int = 200
    """Periods simulated per gradient step from the scenario's start (at most its horizon)."""
    burn_in: int = 0
    """Leading periods of each training rollout whose profit is left out of the loss (a start-up transient
    for long-run objectives such as Zipkin's)."""
    hidden: tuple[int, ...] = (64, 64)
    """Widths of the MLP's hidden layers."""
    smoothing: float = 0.05
    """Width of the softplus that smooths ``max(level - position, 0)``, in units of the forecast scale."""
    lr: float = 1e-2
    """Adam learning rate."""
    lr_final: float = 1e-3
    """Learning rate at the last iteration (cosine decay from ``lr``)."""
    grad_clip: float = 1.0
    """Largest gradient norm (``clip_grad_norm_``); the loss is minus the mean profit per SKU-period
    divided by the reward scale, so gradient norms are O(1)."""
    time_features: bool = True
    """Whether the network sees week_sin, week_cos and horizon_left; False zeroes them (stationary
    problems evaluated over other horizons than the training rollouts, e.g. Zipkin's long-run cost)."""
    eval_every: int = 25
    """Iterations between evaluations on held-out paths (the best checkpoint is chosen by them)."""
    train_episodes: int = 8
    """Training episodes (draws of ``n_paths`` paths) built once and cycled through, one per iteration
    (building a draw costs about as much as a gradient step on a long-horizon scenario)."""
    train_scenarios: tuple[tuple[str, ...], ...] = ()
    """Several training scenarios (e.g. one window of replayed data per year, each with its own SKUs):
    one list of scenario overrides per scenario, each applied on top of the run's own overrides; training
    episode j is drawn from scenario ``j mod len(train_scenarios)`` (so ``train_episodes`` must be at least
    their number). Empty: the run's scenario alone. The checkpoint selection and the final evaluation stay
    on the run's own scenario."""
    eval_periods: int = 0
    """Periods of each evaluation during training (0: the scenario's horizon)."""
    eval_paths: int = 256
    """Held-out paths of each evaluation during training, which chooses the best checkpoint (root seed
    ``seeding.selection_seed(0)``, apart from every training and evaluation draw)."""
    final_eval_paths: int = 1024
    """Held-out paths of the final evaluation of the best checkpoint (``seeding.eval_seed(1)``)."""
    checkpoint_every: int = 50
    """Iterations between periodic checkpoints (``last.pt``; always written at the end)."""
    observation: ObservationConfig = field(default_factory=ObservationConfig)
    """What the network observes (:class:`~restock.envs.features.ObservationConfig`, docs/envs.md):
    ``agent.observation.n_pipeline_buckets``, ``agent.observation.n_forecast_buckets``,
    ``agent.observation.obs_quantiles``, ``agent.observation.scale_floor``,
    ``agent.observation.periods_per_year``. A checkpoint stores it, and loading a run checks that the run's
    config asks for the layout its checkpoint holds."""
    dtype: str = "float64"
    """Engine and network precision: ``float64`` or ``float32``."""
    round_orders: bool = False
    """Whether the trained policy rounds its orders to whole units (when it acts and in the evaluations
    that pick the best checkpoint; training itself is continuous). For integer demand."""
    expedite_start: Literal["newsvendor", "backlog"] = "newsvendor"
    """Where the levels of a node's extra vendors start (dual sourcing): ``newsvendor``, the critical-fractile
    quantile of demand over each vendor's expected lead time + R (the untrained network is a dual-index
    policy, which expedites whenever the expedited position falls below it); ``backlog``, 0 (expedite only
    to cover a backlog: the untrained network is the newsvendor on the regular vendor). Where demand is
    bounded (uniform on 0..4) a backlog never occurs under the newsvendor, so from ``backlog`` the
    expedited orders and their gradient stay 0 and training never learns to expedite."""
    capacity_price: tuple[int, ...] = (16,)
    """Hidden widths of the learned capacity price (:class:`.network.CapacityPrice`), used where the node
    has a shared inbound capacity (``World.inbound_capacity``; a single node: on a network of several the
    limits are not priced yet); an empty list turns it off (the network then only meets the engine's cut)."""
    terminal_value: Literal["salvage", "cost"] = "salvage"
    """How the training loss values the stock on hand at the end of a training episode (its
    ``rollout_periods``): ``salvage``, at the world's salvage value (the profit as the simulator books it);
    ``cost``, at the SKU's unit cost (the training episodes' salvage value replaced by the unit cost), so that
    running the stock down at the end of the training horizon earns nothing beyond the holding cost it
    saves. Training only: the checkpoint selection and the final evaluation score the world as it is."""
    threads: int = 0
    """torch intra-op threads while training (0: leave torch's setting). On a shared CPU, 1 avoids the
    thread contention that made small matrix products an order of magnitude slower in our measurements."""

    def __post_init__(self) -> None:
        ints = {
            "n_paths": 1,
            "rollout_periods": 1,
            "burn_in": 0,
            "eval_every": 1,
            "train_episodes": 1,
            "eval_periods": 0,
            "eval_paths": 1,
            "final_eval_paths": 1,
            "checkpoint_every": 1,
            "threads": 0,
            "observation.n_pipeline_buckets": 1,
            "observation.n_forecast_buckets": 1,
        }
        if not isinstance(self.observation, ObservationConfig):
            raise InputError(f"agent.observation must be an ObservationConfig, got {self.observation!r}")
        for name, low in ints.items():
            owner = self.observation if name.startswith("observation.") else self
            value = getattr(owner, name.removeprefix("observation."))
            if not (isinstance(value, int) and not isinstance(value, bool) and value >= low):
                raise InputError(f"agent option {name!r} must be an integer >= {low}, got {value!r}")
        if self.burn_in >= self.rollout_periods:
            raise InputError(
                f"agent option 'burn_in' ({self.burn_in}) must be below "
                f"'rollout_periods' ({self.rollout_periods})"
            )
        if not self.hidden or any(not (isinstance(h, int) and h >= 1) for h in self.hidden):
            raise InputError(
                f"agent option 'hidden' must be a list of positive integers, got {self.hidden!r}"
            )
        if any(not (isinstance(h, int) and not isinstance(h, bool) and h >= 1) for h in self.capacity_price):
            raise InputError(
                "agent option 'capacity_price' must be a list of positive integers (empty: off), got "
                f"{list(self.capacity_price)!r}"
            )
        for name in ("lr", "lr_final", "grad_clip", "smoothing"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise InputError(f"agent option {name!r} must be a finite number > 0, got {value!r}")
        if not all(
            isinstance(o, tuple) and o and all(isinstance(x, str) for x in o) for o in self.train_scenarios
        ):
            raise InputError(
                "agent option 'train_scenarios' must be a list of non-empty lists of scenario overrides "
                f"(strings), got {self.train_scenarios!r}"
            )
        if len(self.train_scenarios) > self.train_episodes:
            raise InputError(
                f"agent option 'train_episodes' ({self.train_episodes}) must be at least the number of "
                f"'train_scenarios' ({len(self.train_scenarios)})"
            )
        if not isinstance(self.time_features, bool):
            raise InputError(
                f"agent option 'time_features' must be true or false, got {self.time_features!r}"
            )
        if self.dtype not in ("float32", "float64"):
            raise InputError(f"agent option 'dtype' must be 'float32' or 'float64', got {self.dtype!r}")
        if self.terminal_value not in ("salvage", "cost"):
            raise InputError(
                f"agent option 'terminal_value' must be 'salvage' or 'cost', got {self.terminal_value!r}"
            )
        if self.expedite_start not in ("newsvendor", "backlog"):
            raise InputError(
                "agent option 'expedite_start' must be 'newsvendor' or 'backlog', got "
                f"{self.expedite_start!r}"
            )

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> DirectBackpropConfig:
        """The config of ``TrainSpec.options``; an unknown key or a bad value is an :class:`InputError`.

        ``observation.<field>`` keys (or an ``observation`` table, and the flat ``n_pipeline_buckets``,
        ``n_forecast_buckets`` of older run folders) build the nested :class:`ObservationConfig`.
        """
        values, observation = split_nested(options, "observation", LEGACY_OBSERVATION_KEYS)
        known = {f.name for f in fields(cls) if f.name != "observation"}
        unknown = sorted(set(values) - known)
        if unknown:
            raise InputError(
                f"unknown directbackprop option(s) {unknown}; known: {sorted(known)} and "
                f"observation.<field> ({', '.join(f.name for f in fields(ObservationConfig))})"
            )
        for name in ("hidden", "capacity_price"):
            if name in values:
                widths = values[name]
                if isinstance(widths, int) and not isinstance(widths, bool):
                    widths = [widths]
                if not isinstance(widths, list | tuple):
                    raise InputError(
                        f"agent option {name!r} must be a list of positive integers, got {widths!r}"
                    )
                values[name] = tuple(widths)
        if "train_scenarios" in values:
            lists = values["train_scenarios"]
            if not isinstance(lists, list | tuple) or not all(isinstance(o, list | tuple) for o in lists):
                raise InputError(
                    "agent option 'train_scenarios' must be a list of lists of scenario overrides, "
                    f"got {lists!r}"
                )
            values["train_scenarios"] = tuple(tuple(o) for o in lists)
        return cls(**values, observation=nested_config(ObservationConfig, "observation", observation))

    def to_dict(self) -> dict[str, Any]:
        """Plain data (lists, not tuples) that :meth:`from_options` reads back."""
        out = asdict(self)
        out["hidden"] = list(self.hidden)
        out["capacity_price"] = list(self.capacity_price)
        out["train_scenarios"] = [list(o) for o in self.train_scenarios]
        out["observation"]["obs_quantiles"] = list(self.observation.obs_quantiles)
        return out


LEGACY_OBSERVATION_KEYS: dict[str, str] = {
    "n_pipeline_buckets": "n_pipeline_buckets",
    "n_forecast_buckets": "n_forecast_buckets",
}
"""Earlier flat spellings of two observation options (``agent.n_pipeline_buckets``,
``agent.n_forecast_buckets``, when the config copied those fields), still read so that the ``run.json`` of
older training runs loads."""
