"""The registered MQ forecasters ("mqrnn", "mqcnn", "mqtransformer"): DataFrames in, QuantileForecast out.

One network is trained on all series of the fitting panel (pooled). ``predict`` reads the last
``context_length`` buckets up to the cutoff and outputs quantiles of each of the next H buckets and of
their cumulative sums (both trained directly).

Documented handling of awkward input:

* a series shorter than the context is left-padded: padded buckets have demand 0 and ``observed = 0``;
* an all-zero history has scale 1 (the network sees zeros and forecasts a small demand in units);
* a series with no history at the cutoff (launched later) gets the launch fallback: the empirical
  quantiles, in the fitting panel, of demand in the first H buckets of series that launched inside it
  (of all series' first H buckets when none launched);
* a NaN covariate is an :class:`InputError` naming the column, series and date; a panel with another
  feature set than the one trained on, a horizon beyond the trained one, or a quantile level outside the
  trained range is an :class:`InputError` too.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd
import torch

from restock.data.panel import DemandPanel
from restock.errors import InputError
from restock.forecasters.base import (
    DEFAULT_HORIZON,
    DEFAULT_QUANTILES,
    QuantileForecast,
    sort_quantiles,
)
from restock.forecasters.history import check_request
from restock.forecasters.mq.checkpoint import read_checkpoint, save_checkpoint
from restock.forecasters.mq.config import MQConfig
from restock.forecasters.mq.features import FeatureSpec, PanelArrays, encode_panel
from restock.forecasters.mq.networks import MQEnsemble, MQNet
from restock.forecasters.mq.train import TrainResult, fit_network, history_season, net_inputs, to_tensors
from restock.forecasters.mq.windows import WindowSource
from restock.forecasters.registry import register
from restock.seeding import int_seed


class MQForecaster:
    """Base of the three MQ forecasters; build one with a config and/or keyword overrides of it."""

    name: ClassVar[str] = "mq"
    default_encoder: ClassVar[str] = "cnn"
    allowed_encoders: ClassVar[tuple[str, ...]] = ("cnn",)
    transformer: ClassVar[bool] = False

    def __init__(self, config: MQConfig | None = None, **overrides: Any) -> None:
        base = config if config is not None else MQConfig(encoder=self.default_encoder)
        self.config = replace(base, **overrides) if overrides else base
        if self.config.encoder not in self.allowed_encoders:
            raise InputError(
                f"{self.name}: encoder must be one of {self.allowed_encoders}, got {self.config.encoder!r}"
            )

    @classmethod
    def get_test_params(cls) -> dict[str, Any]:
        """A tiny network trained for two epochs (seconds on one core)."""
        return {
            "context_length": 12,
            "epochs": 2,
            "windows_per_series": 1,
            "hidden_size": 8,
            "cnn_channels": 8,
            "context_size": 4,
            "global_hidden": 16,
            "local_hidden": 8,
            "attention_size": 4,
            "position_size": 4,
        }

    # ------------------------------------------------------------------ fit
    def fit(self, panel: DemandPanel) -> Self:
        """Train on every series of ``panel`` (its full history; the last val_buckets validate)."""
        if panel.frame.empty:
            raise InputError(f"{panel.source}: {self.name} cannot fit an empty panel")
        cfg = self.config
        with _threads(cfg.num_threads):
            self.spec_ = FeatureSpec.from_panel(panel, cfg.max_vocab)
            self.context_ = cfg.resolved_context(panel.freq)
            arrays = encode_panel(panel, self.spec_)
            nets, results = [], []
            for i in range(cfg.ensemble):
                label = f"{self.name} on {panel.source}" + (f" (member {i})" if cfg.ensemble > 1 else "")
                member = member_config(cfg, i)
                net, result = fit_network(arrays, self.spec_, member, self.context_, self.transformer, label)
                nets.append(net)
                results.append(result)
            self.net_ = MQEnsemble(nets).eval()
            self.train_result_, self.member_results_ = results[0], results
            self.launch_per_bucket_, self.launch_cumulative_ = launch_quantiles(arrays, cfg)
        return self

    # ------------------------------------------------------------------ predict
    def predict(
        self,
        panel: DemandPanel,
        cutoff: pd.Timestamp,
        horizon: int = DEFAULT_HORIZON,
        quantiles: Sequence[float] = DEFAULT_QUANTILES,
    ) -> QuantileForecast:
        """Quantiles for every series of ``panel`` from its rows with ``date <= cutoff`` (future prices and
        covariates, known in advance, are read up to ``cutoff + horizon``)."""
        self._check_fitted()
        cfg = self.config
        self.spec_.check(panel, self.name)
        levels = np.asarray(quantiles, dtype=float)
        trained = np.asarray(cfg.quantiles)
        if horizon < 1 or horizon > cfg.horizon:
            raise InputError(f"{self.name}: horizon must be in 1..{cfg.horizon} (trained), got {horizon}")
        if levels.ndim != 1 or not len(levels) or np.any(np.diff(levels) <= 0):
            raise InputError(f"{self.name}: quantiles must be strictly increasing, got {list(levels)}")
        if levels[0] < trained[0] - 1e-12 or levels[-1] > trained[-1] + 1e-12:
            raise InputError(
                f"{self.name}: quantiles must lie in the trained range [{trained[0]}, {trained[-1]}], "
                f"got {list(levels)}"
            )
        cutoff = pd.Timestamp(cutoff)
        check_request(panel, cutoff, horizon)  # on the grid, not before the panel, history >= horizon
        offset = pd.tseries.frequencies.to_offset(panel.freq)
        grid_end = cutoff + cfg.horizon * offset
        frame = panel.frame[panel.frame["date"] <= grid_end]
        view = DemandPanel(frame, panel.static, panel.freq, panel.source, panel.covariates)
        with _threads(cfg.num_threads), torch.no_grad():
            arrays = encode_panel(view, self.spec_, grid_end=grid_end, hide_after=cutoff)
            per_bucket, cumulative = self._predict_arrays(arrays, cutoff)
        per_bucket = interpolate_levels(per_bucket[:, :horizon], trained, levels)
        cumulative = interpolate_levels(cumulative[:, :horizon], trained, levels)
        return QuantileForecast(
            series_ids=arrays.series_ids,
            cutoff=cutoff,
            quantiles=levels,
            per_bucket=sort_quantiles(per_bucket),
            cumulative=sort_quantiles(cumulative),
        )

    def _predict_arrays(self, arrays: PanelArrays, cutoff: pd.Timestamp) -> tuple[np.ndarray, np.ndarray]:
        cfg = self.config
        s = len(arrays.series_ids)
        hq = (cfg.horizon, len(cfg.quantiles))
        per_bucket = np.broadcast_to(self.launch_per_bucket_, (s, *hq)).copy()
        cumulative = np.broadcast_to(self.launch_cumulative_, (s, *hq)).copy()
        if cutoff < arrays.dates[0]:
            return per_bucket, cumulative
        e = int(arrays.dates.get_indexer(pd.DatetimeIndex([cutoff]))[0])
        rows = np.flatnonzero(arrays.first <= e)
        source = WindowSource(
            arrays,
            self.context_,
            cfg.horizon,
            cfg.scale_window,
            history_season=history_season(cfg, self.spec_.freq),
        )
        device = torch.device(cfg.device)
        self.net_.to(device).eval()
        # only the last creation time is needed; MQTransformer's feedback reads the H before it (+1: errors)
        last = min(self.context_, cfg.horizon + 1) if self.transformer else 1
        for start in range(0, len(rows), cfg.predict_batch_size):
            chunk = rows[start : start + cfg.predict_batch_size]
            batch = source.batch(chunk, np.full(len(chunk), e), with_targets=False)
            t = to_tensors(batch, device)
            out = self.net_(*net_inputs(t), last=last)
            scale = t["scale"][:, -1, None, None]
            per_bucket[chunk] = (out["per_bucket"][:, -1] * scale).double().cpu().numpy()
            cumulative[chunk] = (out["cumulative"][:, -1] * scale).double().cpu().numpy()
        return per_bucket, cumulative

    # ------------------------------------------------------------------ checkpoints
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write a checkpoint (see :mod:`restock.forecasters.mq.checkpoint`)."""
        self._check_fitted()
        result: TrainResult = self.train_result_
        return save_checkpoint(
            path,
            {
                "model": self.name,
                "config": self.config.to_dict(),
                "features": self.spec_.to_dict(),
                "context": self.context_,
                "state_dict": {k: v.detach().cpu() for k, v in self.net_.state_dict().items()},
                "launch": {
                    "per_bucket": torch.as_tensor(self.launch_per_bucket_),
                    "cumulative": torch.as_tensor(self.launch_cumulative_),
                },
                "train": {
                    "best_epoch": result.best_epoch,
                    "best_val_loss": result.best_val_loss,
                    "epochs_run": result.epochs_run,
                },
            },
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str], panel: DemandPanel | None = None, **overrides: Any) -> Self:
        """Rebuild a fitted forecaster from ``path``; ``panel`` (optional) is checked against its features.

        ``overrides`` change run settings only (``device``, ``num_threads``, ``predict_batch_size``).
        """
        data = read_checkpoint(path, expect_model=cls.name)
        allowed = {"device", "num_threads", "predict_batch_size", "progress", "run_dir"}
        if set(overrides) - allowed:
            raise InputError(f"checkpoint {path}: only {sorted(allowed)} can be overridden at load")
        cfg = MQConfig.from_dict(data["config"], source=f"checkpoint {path}")
        self = cls(replace(cfg, **overrides))
        self.spec_ = FeatureSpec.from_dict(data["features"])
        self.context_ = int(data["context"])
        members = [
            MQNet(self.config, self.spec_, self.context_, cls.transformer) for _ in range(cfg.ensemble)
        ]
        net = MQEnsemble(members)
        try:
            net.load_state_dict(data["state_dict"])
        except RuntimeError as exc:
            raise InputError(f"checkpoint {path}: weights do not fit the recorded model config") from exc
        self.net_ = net.eval()
        self.launch_per_bucket_ = data["launch"]["per_bucket"].numpy()
        self.launch_cumulative_ = data["launch"]["cumulative"].numpy()
        self.train_result_ = TrainResult(
            best_epoch=int(data["train"]["best_epoch"]),
            best_val_loss=float(data["train"]["best_val_loss"]),
            epochs_run=int(data["train"]["epochs_run"]),
        )
        if panel is not None:
            self.spec_.check(panel, f"checkpoint {path}")
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "net_"):
            raise RuntimeError(f"{self.name}: call fit() (or load()) before predict()/save()")


@register("mqrnn")
class MQRNN(MQForecaster):
    """MQ-RNN (Wen et al. 2017): an LSTM (or GRU) encoder with forking-sequence MLP decoders."""

    default_encoder = "lstm"
    allowed_encoders = ("lstm", "gru")


@register("mqcnn")
class MQCNN(MQForecaster):
    """MQ-CNN (Wen et al. 2017): dilated causal convolutions (30 channels; dilations 1, 3, 9)."""


@register("mqtransformer")
class MQTransformer(MQForecaster):
    """MQTransformer (Eisenach et al. 2020): MQ-CNN + context-alignment and feedback-aware attention."""

    transformer = True


def load_checkpoint(
    path: str | os.PathLike[str], panel: DemandPanel | None = None, **overrides: Any
) -> MQForecaster:
    """Load any MQ checkpoint as the model class it records."""
    model = read_checkpoint(path).get("model")
    classes: dict[str, type[MQForecaster]] = {c.name: c for c in (MQRNN, MQCNN, MQTransformer)}
    if model not in classes:
        raise InputError(f"checkpoint {path}: unknown model {model!r}")
    return classes[model].load(path, panel, **overrides)


def member_config(cfg: MQConfig, i: int) -> MQConfig:
    """The config member ``i`` of an ensemble trains with: member 0 is ``cfg`` itself; member i > 0 has a
    seed spawned from ``cfg.seed`` and writes TensorBoard curves to ``<run_dir>/member<i>``."""
    if i == 0:
        return cfg
    run_dir = None if cfg.run_dir is None else str(Path(cfg.run_dir) / f"member{i}")
    return replace(cfg, seed=int_seed(cfg.seed, "mq-ensemble", i), run_dir=run_dir)


def launch_quantiles(arrays: PanelArrays, cfg: MQConfig) -> tuple[np.ndarray, np.ndarray]:
    """Empirical [H, Q] quantiles of per-bucket and cumulative demand in the first H buckets of launches."""
    H = cfg.horizon
    t = arrays.y.shape[1]
    launched = np.flatnonzero((arrays.first > 0) & (arrays.first < t))
    rows = launched if len(launched) else np.flatnonzero(arrays.first < t)
    idx = arrays.first[rows][:, None] + np.arange(H)[None, :]
    ok = idx < t
    first_h = np.where(ok, arrays.y[rows[:, None], np.minimum(idx, t - 1)], np.nan)
    first_h = np.where(np.isfinite(first_h), first_h, np.nan)
    levels = np.asarray(cfg.quantiles)
    per_bucket = np.zeros((H, len(levels)))
    cumulative = np.zeros((H, len(levels)))
    cums = np.cumsum(np.nan_to_num(first_h), axis=1)
    cums[~np.isfinite(first_h).cumprod(axis=1).astype(bool)] = np.nan
    for h in range(H):
        col, ccol = first_h[:, h], cums[:, h]
        if np.isfinite(col).any():
            per_bucket[h] = np.nanquantile(col, levels)
        if np.isfinite(ccol).any():
            cumulative[h] = np.nanquantile(ccol, levels)
    return per_bucket, cumulative


def interpolate_levels(values: np.ndarray, trained: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Linear interpolation of quantiles [..., Q_trained] to levels ``wanted`` (inside the trained range)."""
    if len(trained) == len(wanted) and np.allclose(trained, wanted):
        return values
    hi = np.clip(np.searchsorted(trained, wanted, side="left"), 1, len(trained) - 1)
    lo = hi - 1
    w = np.clip((wanted - trained[lo]) / (trained[hi] - trained[lo]), 0.0, 1.0)
    return values[..., lo] * (1.0 - w) + values[..., hi] * w


class _threads:
    """Context manager: torch intra-op threads set for the block (``None`` leaves them alone)."""

    def __init__(self, n: int | None) -> None:
        self.n, self.old = n, torch.get_num_threads()

    def __enter__(self) -> None:
        if self.n is not None:
            torch.set_num_threads(self.n)

    def __exit__(self, *exc: object) -> None:
        if self.n is not None:
            torch.set_num_threads(self.old)
