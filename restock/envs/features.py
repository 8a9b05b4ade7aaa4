"""The observation builder shared by every Restock env and by agents that act outside an env.

Pure functions over a batch of B (path, node, SKU) decision points at one review. Everything in units is
divided by the SKU's forecast scale ``s`` (the median weekly demand forecast at the episode's first
review, floored at ``scale_floor``), so one policy serves slow and fast movers; everything in money is
divided by the SKU's reference price ``p_ref`` (its selling price at the episode's first review).

Features, in order (``F = 1 + n_pipeline_buckets + n_forecast_buckets * len(obs_quantiles)
+ len(obs_quantiles) + 10``; :func:`feature_names` lists them):

==========================  ==============================================================  ==========
feature                     meaning                                                         scale
==========================  ==============================================================  ==========
net_inventory               on-hand - backlog, after this review's arrivals                 / s
pipeline_b{i}               open orders due in review period i+1 after this one (the last   / s
                            bucket also holds everything due later)
forecast_h{h}_q{qq}         quantile qq of demand in review bucket h = 1..H                 / s
cum_lt_q{qq}                quantile qq of cumulative demand over mean lead time + review   / s
                            period (interpolated between whole buckets)
price                       selling price of this period                                    / p_ref
unit_cost                   purchase cost per unit                                          / p_ref
holding_cost                holding cost per unit over one review period                    / p_ref
penalty                     lost-sale (or backorder) penalty per unit                       / p_ref
critical_fractile           (p - c + b) / (p - c + b + h R), in [0, 1]                      1
lead_time_mean              mean vendor lead time                                           / R
lead_time_std               standard deviation of the vendor lead time                      / R
week_sin, week_cos          position in the year (periods are days; 365.25 per year)        1
horizon_left                (horizon - t) / horizon                                         1
==========================  ==============================================================  ==========
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from restock.errors import InputError
from restock.forecasters.base import BAND_QUANTILES
from restock.simulator.world import LeadTime


@dataclass(frozen=True)
class ObservationConfig:
    """How observations are built (the same for every env so that policies transfer)."""

    n_pipeline_buckets: int = 4
    """Open orders are summed per review period of their due date, this many buckets (last one open-ended)."""
    n_forecast_buckets: int = 4
    """Number of future review buckets whose demand quantiles are shown."""
    obs_quantiles: tuple[float, ...] = BAND_QUANTILES
    """Quantile levels shown (interpolated from the forecast table's levels); P10/P50/P90 by default."""
    scale_floor: float = 1.0
    """Smallest forecast scale (units per review period), so that slow movers do not blow up features."""
    periods_per_year: float = 365.25
    """Periods in a year, for the seasonal time features (periods are days by default)."""

    def __post_init__(self) -> None:
        if self.n_pipeline_buckets < 1:
            raise InputError(f"observation.n_pipeline_buckets must be >= 1, got {self.n_pipeline_buckets!r}")
        if self.n_forecast_buckets < 1:
            raise InputError(f"observation.n_forecast_buckets must be >= 1, got {self.n_forecast_buckets!r}")
        if not self.obs_quantiles or any(not 0 < q < 1 for q in self.obs_quantiles):
            raise InputError(
                f"observation.obs_quantiles must be levels in (0, 1), got {self.obs_quantiles!r}"
            )
        if not self.scale_floor > 0:
            raise InputError(f"observation.scale_floor must be > 0, got {self.scale_floor!r}")

    @property
    def n_features(self) -> int:
        nq = len(self.obs_quantiles)
        return 1 + self.n_pipeline_buckets + self.n_forecast_buckets * nq + nq + 10


def feature_names(config: ObservationConfig) -> list[str]:
    """Names of the observation features, in order (see the module docstring)."""
    qs = [f"{round(q * 100):02d}" for q in config.obs_quantiles]
    names = ["net_inventory"]
    names += [f"pipeline_b{i}" for i in range(config.n_pipeline_buckets)]
    names += [f"forecast_h{h + 1}_q{q}" for h in range(config.n_forecast_buckets) for q in qs]
    names += [f"cum_lt_q{q}" for q in qs]
    names += ["price", "unit_cost", "holding_cost", "penalty", "critical_fractile"]
    names += ["lead_time_mean", "lead_time_std", "week_sin", "week_cos", "horizon_left"]
    return names


def lead_time_moments(dist: LeadTime) -> tuple[float, float]:
    """(mean, standard deviation) of a lead-time distribution, in periods."""
    if dist.kind == "deterministic":
        return float(dist.value), 0.0
    if dist.kind == "empirical":
        v, p = np.asarray(dist.values, dtype=float), np.asarray(dist.probs, dtype=float)
        mean = float(v @ p)
        return mean, float(math.sqrt(max(float(((v - mean) ** 2) @ p), 0.0)))
    if dist.kind == "shifted_poisson":
        return float(dist.mean), float(math.sqrt(dist.mean - dist.shift))
    return float(dist.mean), float(math.sqrt(dist.var))


def quantile_weights(levels: np.ndarray, tau: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """(j, w): the quantile at ``tau`` is ``values[..., j] * (1 - w) + values[..., j + 1] * w``.

    Linear in tau between the ``levels`` [Q]; a tau outside [levels[0], levels[-1]] takes the end value
    (callers validate their ranges).
    """
    levels = np.asarray(levels, dtype=np.float64)
    tau_arr = np.asarray(tau, dtype=np.float64)
    j = np.clip(np.searchsorted(levels, tau_arr, side="right") - 1, 0, len(levels) - 2)
    w = np.clip((tau_arr - levels[j]) / (levels[j + 1] - levels[j]), 0.0, 1.0)
    return j, w


def interp_quantiles(levels: np.ndarray, values: np.ndarray, tau: np.ndarray | float) -> np.ndarray:
    """Linear interpolation of quantile ``values`` [..., Q] given at ``levels`` [Q] to level(s) ``tau``.

    ``tau`` is a scalar (-> [...]) or an array broadcastable to ``values.shape[:-1]`` (one level per row).
    """
    j, w = quantile_weights(levels, tau)
    if j.ndim == 0:
        return values[..., int(j)] * (1 - w) + values[..., int(j) + 1] * w
    j_b = np.broadcast_to(j, values.shape[:-1])[..., None]
    v_lo = np.take_along_axis(values, j_b, axis=-1)[..., 0]
    v_hi = np.take_along_axis(values, j_b + 1, axis=-1)[..., 0]
    return v_lo * (1 - w) + v_hi * w


def cover_weights(cover: np.ndarray, horizon: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where ``horizon`` [B] periods fall among the cumulative horizons ``cover`` [K] (with 0 at horizon 0).

    Returns (k0, k1, w) [B] indexing a cover axis padded with a leading zero row: the quantiles over
    ``horizon`` periods are ``padded[k0] * (1 - w) + padded[k1] * w`` (linear in the horizon, as the
    scenario forecast table documents). A horizon beyond ``cover[-1]`` is an :class:`InputError`.
    """
    cover = np.asarray(cover, dtype=np.float64)
    h = np.asarray(horizon, dtype=np.float64)
    if np.any(h < 0) or np.any(h > cover[-1] + 1e-9):
        raise InputError(
            f"forecast table: cumulative horizon {float(h.max())!r} periods is beyond its longest cover "
            f"{float(cover[-1])!r} periods"
        )
    padded = np.concatenate([[0.0], cover])
    pos = np.interp(h, padded, np.arange(len(padded)))
    k0 = np.minimum(np.floor(pos).astype(np.int64), len(padded) - 2)
    return k0, k0 + 1, pos - k0


def cumulative_at(cumulative: np.ndarray, k0: np.ndarray, k1: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Quantiles [B, Q] over each point's horizon from ``cumulative`` [B, K, Q] (:func:`cover_weights`)."""
    b = np.arange(cumulative.shape[0])
    padded_lo = np.where((k0 > 0)[:, None], cumulative[b, np.maximum(k0 - 1, 0)], 0.0)
    hi = cumulative[b, k1 - 1]
    return padded_lo * (1 - w[:, None]) + hi * w[:, None]


def pipeline_buckets(pipeline: np.ndarray, review_period: int, n_buckets: int) -> np.ndarray:
    """Sum a pipeline [B, K] (index k: due in t+1+k) into ``n_buckets`` review periods [B, n_buckets].

    Bucket i holds units due in t+1+i*R .. t+(i+1)*R; the last bucket also holds everything due later.
    """
    b, k = pipeline.shape
    starts = np.arange(n_buckets) * review_period
    inside = starts < k
    out = np.zeros((b, n_buckets), dtype=np.float64)
    if k:
        out[:, inside] = np.add.reduceat(pipeline, starts[inside], axis=1)
    return out


@dataclass(frozen=True)
class StaticFeatures:
    """Per decision point, fixed over an episode: scales, economics and lead-time statistics, all [B]."""

    scale: np.ndarray
    """Forecast scale s (units per review period), floored."""
    ref_price: np.ndarray
    """Reference price p_ref (money scale); 1 where the price is 0."""
    unit_cost: np.ndarray
    holding_cost: np.ndarray
    """Per unit and period (the observation shows it per review period)."""
    penalty: np.ndarray
    lead_time_mean: np.ndarray
    lead_time_std: np.ndarray


def forecast_scale(per_bucket_first: np.ndarray, levels: np.ndarray, floor: float) -> np.ndarray:
    """The forecast scale from the first review's per-bucket quantiles [B, H, Q]: mean P50 over H, floored."""
    p50 = interp_quantiles(levels, per_bucket_first, 0.5)  # [B, H]
    return np.maximum(p50.mean(axis=-1), floor)


def critical_fractile(
    price: np.ndarray, unit_cost: np.ndarray, holding: np.ndarray, penalty: np.ndarray, review_period: int
) -> np.ndarray:
    """The newsvendor's critical fractile (p - c + b) / (p - c + b + h R), in [0, 1] (0 when both are 0)."""
    under = np.maximum(price - unit_cost + penalty, 0.0)
    return under / np.maximum(under + holding * review_period, 1e-300)


def static_columns(static: StaticFeatures, review_period: int) -> np.ndarray:
    """The columns [B, 5] fixed over an episode: unit_cost, holding_cost, penalty, lead_time_mean, _std."""
    pr = static.ref_price
    return np.stack(
        [
            static.unit_cost / pr,
            static.holding_cost * review_period / pr,
            static.penalty / pr,
            static.lead_time_mean / review_period,
            static.lead_time_std / review_period,
        ],
        axis=1,
    )


def forecast_features(
    config: ObservationConfig,
    per_bucket: np.ndarray,
    cum_lt: np.ndarray,
    levels: np.ndarray,
    scale: np.ndarray,
) -> np.ndarray:
    """The forecast columns [B, n_forecast_buckets * nq + nq] of the observation (change per review only).

    ``per_bucket`` [B, H', Q] (fewer than n_forecast_buckets buckets are padded with the last one);
    ``cum_lt`` [B, Q]; ``scale`` [B].
    """
    hf = config.n_forecast_buckets
    pb = per_bucket[:, :hf]
    if pb.shape[1] < hf:
        pb = np.concatenate([pb, np.repeat(pb[:, -1:], hf - pb.shape[1], axis=1)], axis=1)
    j, w = quantile_weights(levels, np.asarray(config.obs_quantiles))
    shown = pb[..., j] * (1 - w) + pb[..., j + 1] * w  # [B, hf, nq]
    cum = cum_lt[..., j] * (1 - w) + cum_lt[..., j + 1] * w  # [B, nq]
    b = pb.shape[0]
    return np.concatenate([shown.reshape(b, -1), cum], axis=1) / scale[:, None]


def observation_template(
    config: ObservationConfig, static: StaticFeatures, forecast_block: np.ndarray, static_block: np.ndarray
) -> np.ndarray:
    """The observation columns [B, F] (float32) that change per review at most: forecast columns
    (:func:`forecast_features`) and economics (:func:`static_columns`); the others are left 0.

    :func:`build_observations` copies it and fills in the rest; a caller keeps one per review.
    """
    out = np.zeros((forecast_block.shape[0], config.n_features), dtype=np.float32)
    col = 1 + config.n_pipeline_buckets
    out[:, col : col + forecast_block.shape[1]] = forecast_block
    col += forecast_block.shape[1]
    out[:, col + 1 : col + 4] = static_block[:, :3]
    out[:, col + 5 : col + 7] = static_block[:, 3:]
    return out


def build_observations(
    *,
    config: ObservationConfig,
    static: StaticFeatures,
    net_inventory: np.ndarray,
    pipeline: np.ndarray,
    per_bucket: np.ndarray,
    cum_lt: np.ndarray,
    levels: np.ndarray,
    price: np.ndarray,
    t: int,
    horizon: int,
    review_period: int,
    forecast_block: np.ndarray | None = None,
    static_block: np.ndarray | None = None,
    template: np.ndarray | None = None,
) -> np.ndarray:
    """Observations [B, F] (float32) at a review in period ``t`` (see the module docstring).

    ``net_inventory`` [B]; ``pipeline`` [B, K]; ``per_bucket`` [B, H', Q] with H' >= n_forecast_buckets
    (fewer buckets are padded with the last one); ``cum_lt`` [B, Q]; ``levels`` [Q]; ``price`` [B].
    ``forecast_block``, ``static_block``: :func:`forecast_features` and :func:`static_columns` of the same
    inputs, if the caller keeps them (per review, per episode); ``template``: their
    :func:`observation_template` (then neither is needed).

    Every feature is computed in float64 and rounded once to float32 (when written into the output).
    """
    s = static.scale
    if template is None:
        if forecast_block is None:
            forecast_block = forecast_features(config, per_bucket, cum_lt, levels, s)
        if static_block is None:
            static_block = static_columns(static, review_period)
        out = observation_template(config, static, forecast_block, static_block)
    else:
        out = template.copy()
    out[:, 0] = net_inventory / s
    nb = config.n_pipeline_buckets
    out[:, 1 : 1 + nb] = pipeline_buckets(pipeline, review_period, nb) / s[:, None]
    col = 1 + nb + config.n_forecast_buckets * len(config.obs_quantiles) + len(config.obs_quantiles)
    out[:, col] = price / static.ref_price
    out[:, col + 4] = critical_fractile(
        price, static.unit_cost, static.holding_cost, static.penalty, review_period
    )
    angle = 2 * math.pi * (t % config.periods_per_year) / config.periods_per_year
    out[:, col + 7] = math.sin(angle)
    out[:, col + 8] = math.cos(angle)
    out[:, col + 9] = (horizon - t) / horizon
    return out
