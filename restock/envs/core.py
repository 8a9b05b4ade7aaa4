"""What every Restock env shares: observing a node's decision points, turning actions into orders, scaling
rewards, and driving an engine one review period per step.

A :class:`DecisionBatch` covers one node of a world over P paths and N SKUs, flattened into B = P x N
decision points in path-major order (point ``i`` is path ``i // N``, SKU ``i % N``). SingleSKU-v0 is a
batch with P = N = 1, Catalog-v0 one with thousands of points, Network-v0 one batch per node.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from restock.envs.actions import ActionConfig, to_orders
from restock.envs.features import (
    ObservationConfig,
    StaticFeatures,
    build_observations,
    cover_weights,
    critical_fractile,
    cumulative_at,
    forecast_features,
    forecast_scale,
    interp_quantiles,
    lead_time_moments,
    observation_template,
    static_columns,
)
from restock.envs.forecasts import CodeScenario
from restock.errors import InputError
from restock.scenarios.forecast import ScenarioForecast
from restock.scenarios.schema import Scenario
from restock.simulator.arrays import to_numpy
from restock.simulator.flows import MONEY_COLUMNS, UNIT_TOTALS
from restock.simulator.paths import ExogenousPaths
from restock.simulator.policy import ReviewState
from restock.simulator.world import Economics, LeadTime, World

CASH_KEYS: tuple[str, ...] = MONEY_COLUMNS
"""Money components an engine step reports (unscaled, currency units), summed over the simulated periods."""
UNIT_KEYS: tuple[str, ...] = UNIT_TOTALS
"""Unit totals an engine step reports over the simulated periods (received, demand, sales, lost)."""


def numpy_state(state: ReviewState) -> ReviewState:
    """``state`` with numpy arrays (the batch engine reports torch tensors)."""
    if isinstance(state.on_hand, np.ndarray) and isinstance(state.pipeline, np.ndarray):
        return state
    return ReviewState(
        t=state.t,
        on_hand=to_numpy(state.on_hand),
        backlog=to_numpy(state.backlog),
        pipeline=to_numpy(state.pipeline),
    )


def restrict_world(world: World, sku_index: int) -> World:
    """The world of one SKU (economics, initial stock and names sliced; network and timing unchanged)."""
    e = world.economics
    econ = Economics(
        unit_cost=e.unit_cost[[sku_index]],
        holding_cost=e.holding_cost[[sku_index]],
        lost_sale_penalty=e.lost_sale_penalty[[sku_index]],
        fixed_order_cost=e.fixed_order_cost[[sku_index]],
        salvage_value=e.salvage_value[[sku_index]],
        discount=e.discount,
    )
    init = None if world.initial_on_hand is None else world.initial_on_hand[:, [sku_index]]
    return replace(world, skus=(world.skus[sku_index],), economics=econ, initial_on_hand=init)


def resolve_sku(world: World, sku: int | str, *, source: str) -> int:
    """The index of ``sku`` (an index or a name) in the world, or an :class:`InputError`."""
    if isinstance(sku, str):
        if sku not in world.skus:
            raise InputError(f"{source}: unknown sku {sku!r}; known: {list(world.skus)[:10]}")
        return world.skus.index(sku)
    if not (isinstance(sku, int | np.integer) and 0 <= int(sku) < world.n_skus):
        raise InputError(f"{source}: sku index must be in [0, {world.n_skus}), got {sku!r}")
    return int(sku)


def lead_time_stats(world: World) -> tuple[np.ndarray, np.ndarray]:
    """(mean, std) of each node's replenishment lead time per SKU, [M, N] each (transfers: deterministic)."""
    m, n = len(world.network.nodes), world.n_skus
    mean, std = np.zeros((m, n)), np.zeros((m, n))
    for i, node in enumerate(world.network.nodes):
        for j, sku in enumerate(world.skus):
            if world.network.is_vendor(node.source):
                vendor = world.network.vendor(node.source)
                dist = vendor.lead_time_by_sku.get(sku, vendor.lead_time)
            else:
                dist = LeadTime("deterministic", value=node.transfer_lead_time)
            mean[i, j], std[i, j] = lead_time_moments(dist)
    return mean, std


def review_index(world: World, t: int) -> int:
    return (t - world.review_offset) // world.review_period


def first_review(world: World) -> int:
    return world.review_offset


@dataclass
class DecisionBatch:
    """One node's B = P x N decision points over an episode's paths and forecasts."""

    world: World
    paths: ExogenousPaths
    forecasts: ScenarioForecast
    node: int
    obs_config: ObservationConfig
    action_config: ActionConfig
    reward_scale: float | None = None
    """A constant reward divisor; None: per point p_ref x s (money of one review period of median demand)."""

    def __post_init__(self) -> None:
        w, p = self.world, self.paths
        self.n_paths, self.n_skus = p.n_paths, w.n_skus
        self.size = self.n_paths * self.n_skus
        self.levels = np.asarray(self.forecasts.quantiles, dtype=np.float64)
        self.tau_range = (
            self.action_config.tau_range(self.levels)
            if self.action_config.mode == "service_quantile"
            else (0.0, 1.0)
        )
        lt_mean, lt_std = lead_time_stats(w)
        e = w.economics
        t0 = first_review(w)
        pb0, _ = self._rows(0)
        scale = forecast_scale(pb0, self.levels, self.obs_config.scale_floor)
        ref_price = p.price[:, t0, :].reshape(self.size).astype(np.float64)
        ref_price = np.where(ref_price > 0, ref_price, 1.0)
        tile = lambda a: np.tile(np.asarray(a, dtype=np.float64), self.n_paths)  # noqa: E731
        self.static = StaticFeatures(
            scale=scale,
            ref_price=ref_price,
            unit_cost=tile(e.unit_cost),
            holding_cost=tile(e.holding_cost),
            penalty=tile(e.lost_sale_penalty),
            lead_time_mean=tile(lt_mean[self.node]),
            lead_time_std=tile(lt_std[self.node]),
        )
        self.lt_periods = self.static.lead_time_mean + w.review_period
        self._k0, self._k1, self._kw = cover_weights(self.forecasts.cover, self.lt_periods)
        self._cache: dict[tuple[int, int], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._templates: dict[tuple[int, int], np.ndarray] = {}
        """:func:`observation_template` of the latest review read (kept like ``_cache``)."""
        self._static_block = static_columns(self.static, w.review_period)
        self.cover = self.action_config.cover(self.static.lead_time_mean, w.review_period)
        if self.reward_scale is None:
            self.reward_div = ref_price * scale
        else:
            if not (np.isfinite(self.reward_scale) and self.reward_scale > 0):
                raise InputError(f"reward_scale must be finite and > 0, got {self.reward_scale!r}")
            self.reward_div = np.full(self.size, float(self.reward_scale))

    def _rows(self, r: int) -> tuple[np.ndarray, np.ndarray]:
        """Per-bucket [B, H, Q] and cumulative [B, K, Q] forecast rows at review index r."""
        fc = self.forecasts
        pb = fc.per_bucket[:, min(r, fc.per_bucket.shape[1] - 1), self.node]  # [P or 1, N, H, Q]
        cu = fc.cumulative[:, min(r, fc.cumulative.shape[1] - 1), self.node]
        if pb.shape[0] != self.n_paths:
            pb = np.broadcast_to(pb, (self.n_paths, *pb.shape[1:]))
        if cu.shape[0] != self.n_paths:
            cu = np.broadcast_to(cu, (self.n_paths, *cu.shape[1:]))
        return pb.reshape(self.size, *pb.shape[2:]), cu.reshape(self.size, *cu.shape[2:])

    def _review(self, r: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(per-bucket rows, cumulative over E[L] + R, observation forecast columns) at review index r.

        Kept for the latest review read (a stationary table has one row for every review).
        """
        fc = self.forecasts
        key = (min(r, fc.per_bucket.shape[1] - 1), min(r, fc.cumulative.shape[1] - 1))
        hit = self._cache.get(key)
        if hit is None:
            pb, cu = self._rows(r)
            cum = cumulative_at(cu, self._k0, self._k1, self._kw)
            block = forecast_features(self.obs_config, pb, cum, self.levels, self.static.scale)
            hit = (pb, cum, block)
            self._cache = {key: hit}
        return hit

    def _template(self, r: int) -> np.ndarray:
        """The observation template (forecast and economics columns, float32 [B, F]) at review index r."""
        fc = self.forecasts
        key = (min(r, fc.per_bucket.shape[1] - 1), min(r, fc.cumulative.shape[1] - 1))
        hit = self._templates.get(key)
        if hit is None:
            _, _, block = self._review(r)
            hit = observation_template(self.obs_config, self.static, block, self._static_block)
            self._templates = {key: hit}
        return hit

    def cum_lt(self, r: int) -> tuple[np.ndarray, np.ndarray]:
        """(per-bucket rows [B, H, Q], quantiles of demand over E[L] + R periods [B, Q]) at review index r."""
        pb, cum, _ = self._review(r)
        return pb, cum

    def flat(self, arr: np.ndarray) -> np.ndarray:
        """A [P, M, N, ...] array of this node as [B, ...]."""
        a = arr[:, self.node]
        return a.reshape(self.size, *a.shape[2:])

    def position(self, state: ReviewState) -> np.ndarray:
        return self.flat(state.on_hand) - self.flat(state.backlog) + self.flat(state.pipeline).sum(-1)

    def observe(self, state: ReviewState, *, t: int | None = None) -> np.ndarray:
        """Observations [B, F] at ``state`` (``t`` overrides the state's period)."""
        w = self.world
        tt = state.t if t is None else t
        r = review_index(w, min(tt, w.horizon - 1))
        pb, cum, _ = self._review(r)
        price = self.paths.price[:, min(tt, w.horizon - 1), :].reshape(self.size)
        return build_observations(
            config=self.obs_config,
            static=self.static,
            net_inventory=self.flat(state.on_hand) - self.flat(state.backlog),
            pipeline=self.flat(state.pipeline),
            per_bucket=pb,
            cum_lt=cum,
            levels=self.levels,
            price=price,
            t=tt,
            horizon=w.horizon,
            review_period=w.review_period,
            template=self._template(r),
        )

    def orders(
        self, actions: np.ndarray, state: ReviewState, config: ActionConfig | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(orders [B], targets [B]) for checked actions [B] at ``state``.

        ``config``: map the actions with these settings instead of the batch's own (a trained policy is
        judged with the action settings it learned under)."""
        _, cum = self.cum_lt(review_index(self.world, state.t))
        cover, tau_range = self.cover, self.tau_range
        if config is not None and config != self.action_config:
            cover = config.cover(self.static.lead_time_mean, self.world.review_period)
            tau_range = config.tau_range(self.levels) if config.mode == "service_quantile" else (0.0, 1.0)
        return to_orders(
            actions,
            config=self.action_config if config is None else config,
            scale=self.static.scale,
            position=self.position(state),
            cum_lt=cum,
            levels=self.levels,
            cover=cover,
            tau_range=tau_range,
        )

    def newsvendor_orders(self, state: ReviewState) -> np.ndarray:
        """The critical-fractile base-stock order [B]: up to the tau* quantile of demand over E[L] + R.

        tau* = (p - c + b) / (p - c + b + h R) at this period's price, kept inside the forecast levels.
        """
        _, cum = self.cum_lt(review_index(self.world, state.t))
        price = self.paths.price[:, state.t, :].reshape(self.size)
        s = self.static
        tau = critical_fractile(price, s.unit_cost, s.holding_cost, s.penalty, self.world.review_period)
        tau = np.clip(tau, self.levels[0], self.levels[-1])
        level = interp_quantiles(self.levels, cum, tau)
        return np.maximum(level - self.position(state), 0.0)

    def scaled(self, reward: np.ndarray) -> np.ndarray:
        """A [P, M, N] reward of this node as [B], divided by the reward scale."""
        return self.flat(reward) / self.reward_div


def load_scenario(scenario: Any, overrides: Any) -> Any:
    """A scenario object from a built-in name or file (:func:`restock.scenarios.load`), or as given.

    ``overrides``: a mapping ``{"dotted.key": value}`` or a sequence of ``"dotted.key=value"`` strings.
    """
    if isinstance(scenario, str):
        from restock import scenarios
        from restock.scenarios.overrides import Override

        if overrides is None:
            items: list[Any] = []
        elif isinstance(overrides, dict):
            items = [Override(str(k), v, f"{k}={v!r}") for k, v in overrides.items()]
        elif isinstance(overrides, list | tuple):
            items = list(overrides)
        else:
            raise InputError(
                f"overrides must be a mapping or a list of 'key=value' strings, got {overrides!r}"
            )
        return scenarios.load(scenario, items)
    if overrides:
        raise InputError(
            f"overrides {overrides!r} need a scenario name, got a {type(scenario).__name__} object"
        )
    if not isinstance(scenario, Scenario | CodeScenario):
        raise InputError(f"scenario must be a name or a Scenario, got {scenario!r}")
    return scenario


def scenario_name(scenario: Any) -> str:
    return str(getattr(scenario, "name", type(scenario).__name__))


def build_episode(scenario: Any, seed: int, n_paths: int) -> tuple[World, ExogenousPaths, ScenarioForecast]:
    """World, paths and forecast table of one episode (see :func:`restock.envs.forecasts.build_episode`)."""
    from restock.envs.forecasts import build_episode as build

    return build(scenario, seed, n_paths, source=f"scenario {scenario_name(scenario)!r}")


def episode_seed(rng: np.random.Generator) -> int:
    """A scenario root seed drawn from an env's generator."""
    return int(rng.integers(0, 2**31 - 1))


def observation_bounds(config: ObservationConfig) -> tuple[np.ndarray, np.ndarray]:
    """Finite (low, high) bounds of every feature, float32 (generous: scaled units stay far inside)."""
    from restock.envs.features import feature_names

    names = feature_names(config)
    big = 1e7
    low = np.zeros(len(names), dtype=np.float32)
    high = np.full(len(names), big, dtype=np.float32)
    for i, name in enumerate(names):
        if name == "net_inventory":
            low[i] = -big
        elif name in ("week_sin", "week_cos"):
            low[i], high[i] = -1.0, 1.0
        elif name in ("critical_fractile", "horizon_left"):
            high[i] = 1.0
    return low, high


def with_carry(out: dict[str, Any], carry: dict[str, Any] | None) -> dict[str, Any]:
    """Step totals plus the totals of the periods an engine simulated before the first review.

    The des engine keeps those in ``initial_totals``; adding them to the first step makes step rewards
    sum to the episode's profit, as the batch engine reports them.
    """
    if not carry:
        return out
    return {k: (v + carry[k] if k in carry else v) for k, v in out.items()}
