"""The training loop: forking-sequence batches, time-based validation, early stopping, TensorBoard, tqdm.

Validation is a split in time: with ``V = config.val_buckets``, training targets end ``V`` buckets before
the end of the history, and the validation loss is that of the forecasts created inside the last ``V``
buckets (targets never seen in training). The weights of the epoch with the lowest validation loss are
kept. With ``V = 0`` (or a history too short to hold it) training runs all epochs on every target.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from restock.errors import InputError
from restock.forecasters.mq.config import MQConfig
from restock.forecasters.mq.features import FeatureSpec, PanelArrays
from restock.forecasters.mq.layers import forking_loss, pinball
from restock.forecasters.mq.networks import MQNet
from restock.forecasters.mq.windows import Batch, WindowSource, season_length
from restock.seeding import generator, int_seed


@dataclass
class TrainResult:
    """What training leaves behind besides the weights."""

    best_epoch: int = -1
    best_val_loss: float = float("nan")
    epochs_run: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)
    """One row per epoch: epoch, train_loss, val_loss, val_wql (list per quantile)."""


def to_tensors(batch: Batch, device: torch.device | str) -> dict[str, torch.Tensor]:
    return {k: torch.as_tensor(v, device=device) for k, v in batch.__dict__.items()}


def net_inputs(t: dict[str, torch.Tensor]) -> tuple[torch.Tensor, ...]:
    return (t["y_in"], t["obs_in"], t["known"], t["season"], t["static"], t["level"], t["history"])


def batch_loss(
    net: MQNet, t: dict[str, torch.Tensor], levels: torch.Tensor, weight: torch.Tensor, cfg: MQConfig
):
    """Forking-sequence loss of one batch (per-bucket + cumulative targets; + first stage for feedback).

    Targets that are sales in a stock-out (``censored``) are lower bounds: the censored pinball loss
    (:func:`restock.forecasters.mq.layers.censored_pinball`) counts only under-prediction there."""
    out = net(*net_inputs(t))
    cens, cum_cens = t["censored"], t["cum_censored"]
    loss = forking_loss(out["per_bucket"], t["target"], t["mask"], levels, weight, cens)
    loss = loss + forking_loss(out["cumulative"], t["cum_target"], t["cum_mask"], levels, weight, cum_cens)
    if "stage1_per_bucket" in out:
        s1 = forking_loss(out["stage1_per_bucket"], t["target"], t["mask"], levels, weight, cens)
        s1 = s1 + forking_loss(
            out["stage1_cumulative"], t["cum_target"], t["cum_mask"], levels, weight, cum_cens
        )
        loss = loss + cfg.stage1_weight * s1
    if cfg.revision_penalty > 0:
        loss = loss + cfg.revision_penalty * revision_loss(
            out["per_bucket"][..., net.median], t["mask"], weight
        )
    return loss, out


def revision_loss(median: torch.Tensor, mask: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Mean |forecast of target t+1+h made at t+1 (horizon h) - the one made at t (horizon h+1)|.

    ``median`` and ``mask`` [B, L, H]; pairs count where both forecasts count in the pinball loss."""
    later, earlier = median[:, 1:, :-1], median[:, :-1, 1:]
    w = mask[:, 1:, :-1] * mask[:, :-1, 1:] * weight[:, 1:, None]
    return ((later - earlier).abs() * w).sum() / w.sum().clamp_min(1e-9)


def fit_network(
    arrays: PanelArrays, spec: FeatureSpec, cfg: MQConfig, context: int, transformer: bool, name: str
) -> tuple[MQNet, TrainResult]:
    """Train a network on every series of ``arrays`` (pooled); deterministic under ``cfg.seed``."""
    device = torch.device(cfg.device)
    t_hist = arrays.y.shape[1]
    val = cfg.resolved_val
    observed = np.isfinite(arrays.y)
    use_val = val > 0 and t_hist - val - 1 >= 2
    limit = t_hist - 1 - val if use_val else t_hist - 1
    # series with a target at or before `limit` whose creation time has history
    n_obs = observed[:, : limit + 1].sum(axis=1)
    eligible = np.flatnonzero((n_obs >= max(cfg.min_series_length, 2)) & (arrays.first < limit))
    if cfg.recent_buckets is not None:
        eligible = eligible[observed[eligible, max(0, limit - cfg.recent_buckets) : limit].any(axis=1)]
    if len(eligible) == 0:
        raise InputError(
            f"{name}: no series has two observed buckets before the validation split "
            f"(history of {t_hist} buckets, val_buckets={val}); nothing to train on"
        )
    source = WindowSource(
        arrays, context, cfg.horizon, cfg.scale_window, history_season=history_season(cfg, spec.freq)
    )
    # creation times trained: the last `recent_buckets` before the split (all with None)
    recent_from = 0 if cfg.recent_buckets is None else max(0, limit - cfg.recent_buckets)
    burn_in = cfg.resolved_burn_in(context)
    rng = generator(cfg.seed, "mq-windows")
    # the loss normaliser: mean demand per eligible series over the columns training reads
    cols = slice(max(0, recent_from - context - cfg.scale_window), limit + 1)
    mean_obs = np.where(observed, arrays.y, 0.0)[:, cols].sum(1) / np.maximum(observed[:, cols].sum(1), 1)
    ref_scale = float(np.mean(np.where(mean_obs[eligible] > 0, mean_obs[eligible], 1.0)))
    levels = torch.tensor(cfg.quantiles, dtype=torch.float32, device=device)

    val_batches: list[dict[str, torch.Tensor]] = []
    if use_val:
        has_val = np.flatnonzero(observed[:, limit + 1 :].any(axis=1) & (arrays.first <= limit))
        for chunk in np.array_split(has_val, max(1, int(np.ceil(len(has_val) / cfg.predict_batch_size)))):
            if len(chunk):
                b = source.batch(
                    chunk, np.full(len(chunk), t_hist - 2), limit=t_hist - 1, creation_from=limit
                )
                val_batches.append(to_tensors(b, device))

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int_seed(cfg.seed, "mq-torch"))
        net = MQNet(cfg, spec, context, transformer).to(device)
        opt = torch.optim.Adam(net.parameters(), lr=cfg.learning_rate, weight_decay=cfg.weight_decay)
        per_series, batch_size = epoch_plan(len(eligible), cfg)
        steps_per_epoch = int(np.ceil(len(eligible) * per_series / batch_size))
        schedule = lr_schedule(opt, cfg, steps_per_epoch * cfg.epochs)
        result = TrainResult()
        best_state = copy.deepcopy(net.state_dict())
        writer = _writer(cfg)
        bad_epochs = 0
        bar = tqdm(range(cfg.epochs), desc=f"train {name}", disable=not cfg.progress, leave=False)
        for epoch in bar:
            net.train()
            rows = np.repeat(eligible, per_series)
            rows = rows[rng.permutation(len(rows))]
            lo = np.maximum(arrays.first[rows], recent_from)
            ends = lo + np.floor(rng.random(len(rows)) * (limit - lo)).astype(np.int64)
            losses = []
            for start in range(0, len(rows), batch_size):
                sl = slice(start, start + batch_size)
                b = source.batch(rows[sl], ends[sl], limit=limit, creation_from=recent_from, burn_in=burn_in)
                t = to_tensors(b, device)
                weight = t["scale"] / ref_scale if cfg.scale_weighted_loss else torch.ones_like(t["scale"])
                loss, _ = batch_loss(net, t, levels, weight, cfg)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                if cfg.grad_clip > 0:
                    torch.nn.utils.clip_grad_norm_(net.parameters(), cfg.grad_clip)
                opt.step()
                schedule.step()
                losses.append(float(loss.detach()))
            row: dict[str, Any] = {"epoch": epoch, "train_loss": float(np.mean(losses))}
            if val_batches:
                row.update(_validate(net, val_batches, levels, ref_scale, cfg))
            result.history.append(row)
            result.epochs_run = epoch + 1
            _log(writer, row, cfg.quantiles)
            bar.set_postfix({k: f"{v:.4f}" for k, v in row.items() if k in ("train_loss", "val_loss")})
            score = row.get("val_loss", row["train_loss"])
            if not np.isfinite(score):
                raise FloatingPointError(f"{name}: loss became {score} at epoch {epoch}")
            if result.best_epoch < 0 or score < result.best_val_loss:
                result.best_epoch, result.best_val_loss = epoch, score
                best_state = copy.deepcopy(net.state_dict())
                bad_epochs = 0
            else:
                bad_epochs += 1
                if val_batches and bad_epochs >= cfg.patience:
                    break
        if writer is not None:
            writer.close()
        net.load_state_dict(best_state)
        net.eval()
    return net, result


def epoch_plan(n_series: int, cfg: MQConfig) -> tuple[int, int]:
    """(windows drawn per series and epoch, windows per step) for a panel of ``n_series`` trained series.

    ``cfg.windows_per_series`` and ``cfg.batch_size``, unless an epoch would then take fewer than
    ``cfg.min_steps_per_epoch`` steps: the batch then shrinks (not below ``cfg.min_batch_size``) and
    the windows per series rise until it takes that many. A large panel keeps both settings."""
    n = max(n_series, 1)
    steps = cfg.min_steps_per_epoch
    windows = n * cfg.windows_per_series
    batch = min(cfg.batch_size, max(cfg.min_batch_size, -(-windows // steps)))
    return max(cfg.windows_per_series, -(-steps * batch // n)), batch


def lr_schedule(opt: torch.optim.Optimizer, cfg: MQConfig, total_steps: int) -> Any:
    """Per-step learning-rate schedule (``cfg.lr_schedule``)."""
    if cfg.lr_schedule == "constant":
        return torch.optim.lr_scheduler.LambdaLR(opt, lambda step: 1.0)
    floor = cfg.min_lr_ratio

    def cosine(step: int) -> float:
        done = min(step / max(total_steps, 1), 1.0)
        return floor + (1.0 - floor) * 0.5 * (1.0 + float(np.cos(np.pi * done)))

    return torch.optim.lr_scheduler.LambdaLR(opt, cosine)


@torch.no_grad()
def _validate(
    net: MQNet, batches: list[dict[str, torch.Tensor]], levels: torch.Tensor, ref_scale: float, cfg: MQConfig
) -> dict[str, Any]:
    net.eval()
    loss_sum, count = 0.0, 0.0
    pin_sum = torch.zeros(len(cfg.quantiles), dtype=torch.float64)
    abs_sum = 0.0
    for t in batches:
        weight = t["scale"] / ref_scale if cfg.scale_weighted_loss else torch.ones_like(t["scale"])
        loss, out = batch_loss(net, t, levels, weight, cfg)
        n = float((t["mask"] * weight[:, :, None]).sum())
        loss_sum += float(loss) * n
        count += n
        s = t["scale"][:, :, None]
        pb = pinball(out["per_bucket"] * s[..., None], t["target"] * s, levels) * t["mask"][..., None]
        pin_sum += pb.sum(dim=(0, 1, 2)).double().cpu()
        abs_sum += float((t["target"].abs() * s * t["mask"]).sum())
    wql = (2.0 * pin_sum / max(abs_sum, 1e-12)).tolist()
    return {"val_loss": loss_sum / max(count, 1e-12), "val_wql": wql, "val_mean_wql": float(np.mean(wql))}


def _writer(cfg: MQConfig) -> Any:
    if cfg.run_dir is None:
        return None
    from torch.utils.tensorboard import SummaryWriter

    return SummaryWriter(log_dir=str(Path(cfg.run_dir) / "tensorboard"))


def _log(writer: Any, row: dict[str, Any], quantiles: tuple[float, ...]) -> None:
    if writer is None:
        return
    epoch = row["epoch"]
    writer.add_scalar("train/loss", row["train_loss"], epoch)
    if "val_loss" in row:
        writer.add_scalar("val/loss", row["val_loss"], epoch)
        writer.add_scalar("val/mean_wql", row["val_mean_wql"], epoch)
        for q, w in zip(quantiles, row["val_wql"], strict=True):
            writer.add_scalar(f"val/wql_q{q:.2f}", w, epoch)
    writer.flush()


def history_season(cfg: MQConfig, freq: str) -> int | None:
    """The season length of the long-history inputs on grid ``freq`` (``None`` when they are off)."""
    return season_length(freq) if cfg.history_features else None
