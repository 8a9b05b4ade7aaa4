"""MQConfig: every hyperparameter of the multi-horizon quantile networks, documented field by field."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from restock.errors import InputError
from restock.forecasters.base import DEFAULT_HORIZON, DEFAULT_QUANTILES

ENCODERS = ("lstm", "gru", "cnn")
LR_SCHEDULES = ("cosine", "constant")
ROLLING_WINDOWS = (4, 13, 26, 52)
"""Buckets of the rolling means among the long-history inputs (``history_features``)."""


@dataclass(frozen=True)
class MQConfig:
    """Hyperparameters of MQ-RNN, MQ-CNN and MQTransformer (one config for the three; ``encoder`` differs).

    The defaults are the ones the benchmarks in ``docs/mq.md`` use unless a command overrides them.
    """

    # ---- what is forecast
    horizon: int = DEFAULT_HORIZON
    """Buckets forecast at every creation time (h = 1..horizon); ``predict`` may ask for fewer, not more."""
    quantiles: tuple[float, ...] = DEFAULT_QUANTILES
    """Quantile levels the network outputs; ``predict`` interpolates linearly between them."""
    context_length: int | None = None
    """Buckets of history the encoder sees at a forecast (and the length of a training window).
    ``None``: 60 for weekly, 24 for monthly, 56 for daily data, else 32."""

    scale_window: int = 13
    """Buckets of the causal per-bucket scale: the mean observed demand of the last ``scale_window``
    buckets up to a creation time (see :mod:`restock.forecasters.mq.windows`)."""

    history_features: bool = True
    """Give the encoder and the global MLP long-history inputs at every creation time ``g`` (causal: demand
    up to ``g`` only, over ``g``'s scale): mean demand of the last 4, 13, 26 and 52 buckets, the share of
    zero buckets of the last 52, and the demand one season before each target ``g+h`` (52 weeks, 12
    months or 7 days; whole seasons further back when ``h`` exceeds a season) with a flag saying whether
    the first was observed (see :func:`restock.forecasters.mq.windows.history_features`). The local MLP
    of horizon ``h`` also reads the seasonal lag of its own target ``g+h``."""

    # ---- architecture
    encoder: str = "cnn"
    """History encoder: "lstm" or "gru" (MQ-RNN) or "cnn" (stack of dilated causal convolutions, MQ-CNN)."""
    hidden_size: int = 64
    """Width of the RNN state (MQ-RNN) or of the encoder's output projection (MQ-CNN / MQTransformer)."""
    rnn_layers: int = 1
    """Stacked recurrent layers (MQ-RNN only)."""
    cnn_channels: int = 30
    """Channels of every causal convolution (GluonTS default 30)."""
    cnn_dilations: tuple[int, ...] = (1, 3, 9)
    """Dilation of each convolution layer (GluonTS default 1, 3, 9)."""
    cnn_kernels: tuple[int, ...] = (7, 3, 3)
    """Kernel size of each convolution layer (GluonTS default 7, 3, 3); one per dilation."""
    context_size: int = 32
    """Size of each horizon-specific context and of the horizon-agnostic context (global MLP outputs)."""
    global_hidden: int = 128
    """Hidden width of the global MLP (encoder state + all known-future inputs -> contexts)."""
    local_hidden: int = 64
    """Hidden width of the local MLP shared across horizons (contexts + that bucket's inputs -> quantiles)."""
    embedding_dim: int = 4
    """Size of the embedding of each static attribute (category, store, item, ...)."""
    max_vocab: int = 10_000
    """Most distinct values embedded per static attribute (the most frequent); the rest share one slot."""
    dropout: float = 0.0
    """Dropout on the global MLP's hidden layer."""

    # ---- MQTransformer only
    attention_heads: int = 2
    """Heads of the decoder-encoder (context alignment) attention."""
    attention_size: int = 16
    """Width of every attention head's keys, queries and values (MQTransformer)."""
    position_size: int = 8
    """Size of the learned positional encoding (season position) and of the learned event encoding."""
    feedback: bool = True
    """Feedback-aware attention over the model's own past forecasts of the same target and their errors."""

    revision_penalty: float = 0.0
    """Weight of a forecast-revision penalty in the loss (not in the papers; 0 disables): the mean absolute
    change of the median forecast of one target bucket between successive creation times, in scaled
    units. Forking sequences give every such pair in one pass. It trades a little accuracy for lower
    forecast volatility; the feedback-aware attention of MQTransformer is what lets a model honour it
    without losing much accuracy."""

    # ---- training
    epochs: int = 20
    """Most passes over the training windows (early stopping usually ends sooner)."""
    windows_per_series: int = 4
    """Random training windows drawn per series and epoch (each window holds ``context_length`` creation
    times, all trained in one pass: forking sequences); raised on a panel of few series by
    ``min_steps_per_epoch``."""
    min_steps_per_epoch: int = 16
    """Fewest gradient steps an epoch takes. An epoch is ``windows_per_series`` windows of every series,
    so a panel of few series took few steps: 12 series took 1 step an epoch, 20 in all, and learnt
    nothing usable (docs/mq.md, docs/censoring.md). On such a panel the batch shrinks (to no fewer than
    ``min_batch_size`` windows) and more windows are drawn per series until an epoch takes this many
    steps. A panel of ``min_steps_per_epoch * batch_size / windows_per_series`` series or more (256 at
    the defaults) trains exactly as without it, bit for bit
    (:func:`restock.forecasters.mq.train.epoch_plan`)."""
    min_batch_size: int = 16
    """Smallest batch ``min_steps_per_epoch`` shrinks a batch to (each window holds ``context_length``
    creation times, so 16 windows are still about a thousand forecasts a step)."""
    recent_buckets: int | None = None
    """Train only forecasts created in the last ``recent_buckets`` buckets before the validation split
    (their windows still read ``context_length`` buckets of history before them, and ``history_features``
    52 buckets or a season more); ``None``: every creation
    time of the history. Like the quantile forest's ``max_origins``: recent dynamics only."""
    batch_size: int = 64
    """Windows per gradient step (fewer on a panel of few series: ``min_steps_per_epoch``)."""
    learning_rate: float = 3e-3
    """Adam learning rate (the peak of the schedule)."""
    lr_schedule: str = "cosine"
    """"cosine": the learning rate decays from ``learning_rate`` to ``learning_rate * min_lr_ratio`` along
    a half cosine over ``epochs`` (per step); "constant": no decay."""
    min_lr_ratio: float = 0.05
    """Final learning rate of the cosine schedule over the peak."""
    weight_decay: float = 0.0
    """Adam (L2) weight decay."""
    grad_clip: float = 10.0
    """Gradient-norm clip per step (0 disables)."""
    val_buckets: int | None = None
    """Length of the time-based validation split at the end of the history (``None``: ``horizon``).
    Training targets end before it; validation forecasts are created inside it. 0 disables early stopping."""
    patience: int = 5
    """Epochs without a lower validation loss before training stops (the best weights are kept)."""
    burn_in: int | None = None
    """Creation times with fewer than ``burn_in`` buckets of their window before them are not trained
    when the window (not the series' launch) cut their history short; ``None``: the convolution stack's
    receptive field - 1 for "cnn", context_length // 2 for RNNs (capped at context_length - 1)."""
    scale_weighted_loss: bool = True
    """Weight the loss of each creation time by its scale (recent mean demand) over the mean scale, so
    that training targets the weighted quantile loss (dominated by high-volume series) rather than the
    per-series average."""
    stage1_weight: float = 0.5
    """MQTransformer with feedback: weight of the first-stage (pre-feedback) forecasts in the loss."""
    min_series_length: int = 1
    """Series with fewer observed buckets than this are left out of training (they are still forecast)."""

    ensemble: int = 1
    """Networks trained with different seeds (spawned from ``seed``); their quantiles are averaged (an
    average of monotone quantile curves is monotone)."""

    # ---- run
    seed: int = 0
    """Root seed (restock.seeding): weight init, window sampling and dropout all derive from it."""
    device: str = "cpu"
    """torch device ("cpu", "cuda", "cuda:1", ...); the same code runs on either."""
    num_threads: int | None = None
    """torch intra-op threads during fit/predict (``None``: leave torch's setting alone)."""
    predict_batch_size: int = 4096
    """Series per forward pass in ``predict``."""
    run_dir: str | None = None
    """Folder for TensorBoard curves (``<run_dir>/tensorboard``); ``None`` writes none."""
    progress: bool = False
    """Show a progress bar over epochs (tqdm, on stderr)."""

    def __post_init__(self) -> None:
        def bad(name: str, expected: str) -> InputError:
            return InputError(f"mq config: {name} {expected}, got {getattr(self, name)!r}")

        if self.encoder not in ENCODERS:
            raise bad("encoder", f"must be one of {ENCODERS}")
        positive = (
            "horizon", "hidden_size", "rnn_layers", "cnn_channels", "context_size", "global_hidden",
            "local_hidden", "embedding_dim", "attention_heads", "attention_size", "position_size",
            "epochs", "windows_per_series", "min_steps_per_epoch", "min_batch_size", "batch_size",
            "predict_batch_size", "max_vocab", "scale_window", "ensemble",
        )  # fmt: skip
        for name in positive:
            if int(getattr(self, name)) < 1:
                raise bad(name, "must be >= 1")
        if self.context_length is not None and self.context_length < 2:
            raise bad("context_length", "must be >= 2")
        if self.recent_buckets is not None and self.recent_buckets < 1:
            raise bad("recent_buckets", "must be >= 1")
        if self.burn_in is not None and self.burn_in < 0:
            raise bad("burn_in", "must be >= 0")
        if self.val_buckets is not None and self.val_buckets < 0:
            raise bad("val_buckets", "must be >= 0")
        q = list(self.quantiles)
        if not q or any(not 0.0 < x < 1.0 for x in q) or sorted(set(q)) != q:
            raise bad("quantiles", "must be strictly increasing levels in (0, 1)")
        if len(self.cnn_dilations) != len(self.cnn_kernels) or not self.cnn_dilations:
            raise bad("cnn_kernels", f"must have one kernel per dilation {self.cnn_dilations}")
        if not 0.0 <= self.dropout < 1.0:
            raise bad("dropout", "must be in [0, 1)")
        if self.revision_penalty < 0:
            raise bad("revision_penalty", "must be >= 0")
        if self.learning_rate <= 0:
            raise bad("learning_rate", "must be > 0")
        if self.lr_schedule not in LR_SCHEDULES:
            raise bad("lr_schedule", f"must be one of {LR_SCHEDULES}")
        if not 0.0 < self.min_lr_ratio <= 1.0:
            raise bad("min_lr_ratio", "must be in (0, 1]")

    def resolved_context(self, freq: str) -> int:
        """The context length for data on grid ``freq`` (resolving ``None`` by frequency)."""
        if self.context_length is not None:
            return self.context_length
        head = freq.upper().split("-")[0]
        if head.startswith("W"):
            return 60
        if head in ("M", "MS", "ME"):
            return 24
        if head == "D":
            return 56
        return 32

    def resolved_burn_in(self, context: int) -> int:
        """The burn-in for a window of ``context`` buckets (see ``burn_in``)."""
        if self.burn_in is not None:
            return min(self.burn_in, context - 1)
        if self.encoder == "cnn":
            field = sum((k - 1) * d for k, d in zip(self.cnn_kernels, self.cnn_dilations, strict=True))
            return min(field, context - 1)
        return context // 2

    def n_history(self) -> int:
        """Width of the long-history input (0 when ``history_features`` is off)."""
        return len(ROLLING_WINDOWS) + 2 + self.horizon if self.history_features else 0

    @property
    def resolved_val(self) -> int:
        return self.horizon if self.val_buckets is None else self.val_buckets

    def to_dict(self) -> dict[str, Any]:
        """Plain types only (lists for tuples): JSON- and checkpoint-safe."""
        out = asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "<dict>") -> MQConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InputError(f"{source}: unknown mq config key(s) {unknown}")
        kwargs: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        return cls(**kwargs)
