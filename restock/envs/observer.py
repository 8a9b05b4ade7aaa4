"""What a buyer knows at a review: the observer of one node's decision points.

An :class:`Observer` covers one node of a world over P paths and N SKUs, flattened into B = P x N
decision points in path-major order (point ``i`` is path ``i // N``, SKU ``i % N``). SingleSKU-v0 is an
observer with P = N = 1, Catalog-v0 one with thousands of points, Network-v0 one per node.

At a review in period t it shows what is known then, and only that: the state (on-hand, backlog, the
pipeline of open orders), the forecast rows issued at t (per bucket and cumulative over the protection
interval), the price of period t, and the costs and lead-time statistics of the world. It never holds
demand paths: it is built from the world, the paths' *prices* and the forecast table. Every policy reads
the same observer (:class:`restock.agents.policy.Policy`); the envs turn its rows into the observation
vector (:meth:`Observer.observe`), map actions to orders with :class:`restock.envs.actions.ActionMap` and
scale rewards with :func:`reward_divisor`: one job each.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from restock.envs.features import (
    ObservationConfig,
    StaticFeatures,
    build_observations,
    cover_weights,
    critical_fractile,
    cumulative_at,
    feature_names,
    forecast_features,
    forecast_scale,
    interp_quantiles,
    lead_time_moments,
    observation_template,
    static_columns,
)
from restock.envs.forecasts import check_matches
from restock.errors import InputError
from restock.scenarios.forecast import ScenarioForecast
from restock.simulator.policy import echelon_position
from restock.simulator.state import ReviewState
from restock.simulator.topology import layout
from restock.simulator.world import World


def lead_time_stats(world: World) -> tuple[np.ndarray, np.ndarray]:
    """(mean, std) of each node's replenishment lead time per SKU, [M, N] each (vendor or transfer)."""
    m, n = len(world.network.nodes), world.n_skus
    mean, std = np.zeros((m, n)), np.zeros((m, n))
    moments: dict[int, tuple[float, float]] = {}  # by id: a catalog shares a few distribution objects
    for i, node in enumerate(world.network.nodes):
        if world.network.is_vendor(node.source):
            vendor = world.network.vendor(node.source)
            by_sku, default = vendor.lead_time_by_sku, vendor.lead_time
            dists = [by_sku.get(sku, default) for sku in world.skus]
        else:
            dists = [node.transfer_distribution] * n
        for dist in dists:
            if id(dist) not in moments:
                moments[id(dist)] = lead_time_moments(dist)
        if n:
            mean[i], std[i] = np.array([moments[id(dist)] for dist in dists]).T
    return mean, std


def review_index(world: World, t: int) -> int:
    """The index of the review in period ``t`` among the world's reviews (periods in between: the last)."""
    return (t - world.review_offset) // world.review_period


class Observer:
    """What one node's B = P x N decision points know at a review (see the module docstring).

    Args:
        world: the parameters (economics, network, review period, horizon).
        price: the selling prices [P, T, N] of the episode (the only part of its paths an observer keeps).
        forecasts: the forecast table; rows are read at the review of the state asked about.
        node: the node observed.
        obs_config: which observation columns :meth:`observe` builds.
    """

    def __init__(
        self,
        world: World,
        price: np.ndarray,
        forecasts: ScenarioForecast,
        node: int,
        obs_config: ObservationConfig,
    ) -> None:
        price = np.asarray(price, dtype=np.float64)
        if price.ndim != 3 or price.shape[1:] != (world.horizon, world.n_skus):
            raise InputError(
                f"observer: prices must have shape [paths, {world.horizon}, {world.n_skus}], "
                f"got {price.shape}"
            )
        if not np.isfinite(price).all():
            idx = tuple(int(i) for i in np.argwhere(~np.isfinite(price))[0])
            raise InputError(f"observer: prices{list(idx)} must be finite, got {price[idx].item()!r}")
        self.world, self.node, self.obs_config = world, node, obs_config
        self._price, self._forecasts = price, forecasts
        self.n_paths, self.n_skus = int(price.shape[0]), world.n_skus
        self.size = self.n_paths * self.n_skus
        self.levels = np.asarray(forecasts.quantiles, dtype=np.float64)
        """The forecast table's quantile levels [Q]."""
        self.forecast_cover = np.asarray(forecasts.cover)
        """Periods covered by each cumulative column of the table (``cover[0] == 1``: per-period cover)."""
        lt_mean, lt_std = lead_time_stats(world)
        e = world.economics
        pb0, _ = self._rows(0)
        scale = forecast_scale(pb0, self.levels, obs_config.scale_floor)
        ref_price = price[:, world.review_offset, :].reshape(self.size)
        ref_price = np.where(ref_price > 0, ref_price, 1.0)
        tile = lambda a: np.tile(np.asarray(a, dtype=np.float64), self.n_paths)  # noqa: E731
        self.static = StaticFeatures(
            scale=scale,
            ref_price=ref_price,
            unit_cost=tile(e.unit_cost),
            holding_cost=tile(e.holding_cost),
            penalty=tile(e.lost_sale_penalty),
            lead_time_mean=tile(lt_mean[node]),
            lead_time_std=tile(lt_std[node]),
        )
        self.lt_periods = self.static.lead_time_mean + world.review_period
        """The protection interval E[L] + R per point [B]."""
        self._k0, self._k1, self._kw = cover_weights(forecasts.cover, self.lt_periods)
        self._cache: dict[tuple[int, int], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._templates: dict[tuple[int, int], np.ndarray] = {}
        """:func:`observation_template` of the latest review read (kept like ``_cache``)."""
        self._static_block = static_columns(self.static, world.review_period)
        self._subtree: np.ndarray | None = None
        arcs = world.network.arcs()
        self.arcs = tuple(a for a, (_, m) in enumerate(arcs) if m == node)
        """The arcs (A-axis indices of the orders) of this node's sources: its own source first, then its
        extra vendors (:meth:`~restock.simulator.world.Network.arcs`)."""
        self.sources = tuple(arcs[a][0] for a in self.arcs)
        """The names of this node's sources, in :attr:`arcs` order."""

    def for_node(self, node: int) -> Observer:
        """The same decision points observed at another node of the network (``self`` for its own)."""
        if node == self.node:
            return self
        return Observer(self.world, self._price, self._forecasts, node, self.obs_config)

    def with_forecasts(self, forecasts: ScenarioForecast, *, source: str) -> Observer:
        """The same decision points observed through another forecast table (checked to fit them)."""
        check_matches(forecasts, self.world, self.n_paths, source=source)
        return Observer(self.world, self._price, forecasts, self.node, self.obs_config)

    # --- the forecast rows issued at a review ---------------------------------------------------------
    def _key(self, r: int) -> tuple[int, int]:
        fc = self._forecasts
        return (min(r, fc.per_bucket.shape[1] - 1), min(r, fc.cumulative.shape[1] - 1))

    def _rows(self, r: int) -> tuple[np.ndarray, np.ndarray]:
        """Per-bucket [B, H, Q] and cumulative [B, K, Q] forecast rows at review index r."""
        fc = self._forecasts
        pb = fc.per_bucket[:, min(r, fc.per_bucket.shape[1] - 1), self.node]  # [P or 1, N, H, Q]
        cu = fc.cumulative[:, min(r, fc.cumulative.shape[1] - 1), self.node]
        if pb.shape[0] != self.n_paths:
            pb = np.broadcast_to(pb, (self.n_paths, *pb.shape[1:]))
        if cu.shape[0] != self.n_paths:
            cu = np.broadcast_to(cu, (self.n_paths, *cu.shape[1:]))
        return pb.reshape(self.size, *pb.shape[2:]), cu.reshape(self.size, *cu.shape[2:])

    def _review(self, r: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(per-bucket rows, cumulative over E[L] + R, observation forecast columns) at review index r,
        kept for the latest review read (a stationary table has one row for every review)."""
        key = self._key(r)
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
        key = self._key(r)
        hit = self._templates.get(key)
        if hit is None:
            _, _, block = self._review(r)
            hit = observation_template(self.obs_config, self.static, block, self._static_block)
            self._templates = {key: hit}
        return hit

    def forecast_rows(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        """(per-bucket rows [B, H, Q], quantiles of demand over E[L] + R periods [B, Q]) issued at the
        review of period ``t``."""
        pb, cum, _ = self._review(review_index(self.world, min(t, self.world.horizon - 1)))
        return pb, cum

    def cumulative(self, t: int) -> np.ndarray:
        """The table's cumulative quantiles [B, K, Q] issued at the review of period ``t``."""
        return self._rows(review_index(self.world, min(t, self.world.horizon - 1)))[1]

    def demand_quantiles(self, t: int, periods: float | np.ndarray, tau: float | np.ndarray) -> np.ndarray:
        """Quantiles ``tau`` [B] of demand over the next ``periods`` periods, issued at the review of ``t``
        (``periods`` and ``tau``: scalars or one per SKU [N]; inside the table's cover and levels)."""
        r = review_index(self.world, min(t, self.world.horizon - 1))
        level = self._forecasts.cumulative_quantiles(r, periods, tau)[:, self.node]  # [P or 1, N]
        return np.broadcast_to(level, (self.n_paths, self.n_skus)).reshape(self.size)

    def price(self, t: int) -> np.ndarray:
        """The selling price [B] of period ``t`` (the last period's at the horizon)."""
        return self._price[:, min(t, self.world.horizon - 1), :].reshape(self.size)

    # --- the state --------------------------------------------------------------------------------------
    def flat(self, arr: np.ndarray) -> np.ndarray:
        """A [P, M, N, ...] array of this node as [B, ...]."""
        a = arr[:, self.node]
        return a.reshape(self.size, *a.shape[2:])

    def net_inventory(self, state: ReviewState) -> np.ndarray:
        """[B] on-hand - backlog; with backorders upstream also + what the upstream node owes this node
        - what this node owes the nodes it feeds (the position is this plus the pipeline)."""
        net = self.flat(state.on_hand) - self.flat(state.backlog)
        if state.owed is not None:
            net = net + self.flat(state.owed) - self.flat(state.owes)
        return net

    def position(self, state: ReviewState) -> np.ndarray:
        """The inventory position [B] (:attr:`ReviewState.inventory_position`): :meth:`net_inventory` +
        the pipeline."""
        return self.net_inventory(state) + self.flat(state.pipeline).sum(-1)

    def pack_up(self, orders: np.ndarray) -> np.ndarray:
        """Orders [B] to this node's vendor rounded *up* to whole case packs and, when positive, to at
        least the minimum order (``World.ordering``; unchanged without it): an order-up-to policy that
        respects the packs reaches its level, and the vendor's own rounding
        (:func:`restock.simulator.rules.pack_order`) leaves such an order as it is."""
        ordering = self.world.ordering
        if ordering is None or not self.world.network.is_vendor(self.world.network.nodes[self.node].source):
            return orders
        out = orders
        if ordering.case_pack is not None:
            pack = np.tile(ordering.case_pack, self.n_paths)
            out = np.ceil(out / pack - 1e-9) * pack
        if ordering.minimum_order is not None:
            low = np.tile(ordering.minimum_order, self.n_paths)
            out = np.where(out > 0, np.maximum(out, low), 0.0)
        return out

    def position_due_within(self, state: ReviewState, periods: int) -> np.ndarray:
        """[B] :meth:`net_inventory` + the pipeline due in the next ``periods`` periods (t+1 .. t+periods):
        the stock an order placed now with lead time ``periods`` arrives to (a dual-index policy's
        expedited position)."""
        return self.net_inventory(state) + self.flat(state.pipeline)[:, : max(periods, 0)].sum(-1)

    def echelon_position(self, state: ReviewState) -> np.ndarray:
        """The echelon inventory position [B] of this node (its own stock and everything downstream;
        :func:`restock.simulator.policy.echelon_position`). For a node that feeds no other node it is
        :meth:`position`."""
        if self._subtree is None:
            self._subtree = layout(self.world).subtree()
        return self.flat(echelon_position(state, self._subtree))

    def observe(self, state: ReviewState, *, t: int | None = None) -> np.ndarray:
        """Observations [B, F] at ``state`` (``t`` overrides the state's period)."""
        w = self.world
        tt = state.t if t is None else t
        r = review_index(w, min(tt, w.horizon - 1))
        pb, cum, _ = self._review(r)
        return build_observations(
            config=self.obs_config,
            static=self.static,
            net_inventory=self.net_inventory(state),
            pipeline=self.flat(state.pipeline),
            per_bucket=pb,
            cum_lt=cum,
            levels=self.levels,
            price=self.price(tt),
            t=tt,
            horizon=w.horizon,
            review_period=w.review_period,
            template=self._template(r),
        )

    def newsvendor_levels(self, t: int, tau: np.ndarray | None = None) -> np.ndarray:
        """Order-up-to levels [B]: the ``tau`` quantile of demand over E[L] + R issued at ``t``.

        ``tau`` None: the critical fractile tau* = (p - c + b) / (p - c + b + h R) at period ``t``'s
        price, kept inside the table's levels (the newsvendor of every comparison; a given ``tau`` must
        lie inside them, see :class:`restock.agents.baselines.newsvendor.NewsvendorPolicy`).
        """
        _, cum = self.forecast_rows(t)
        return interp_quantiles(self.levels, cum, self.critical_fractile(t) if tau is None else tau)

    def critical_fractile(self, t: int) -> np.ndarray:
        """tau* = (p - c + b) / (p - c + b + h R) [B] at period ``t``'s price, kept inside the table's
        levels: the newsvendor's service level."""
        s = self.static
        tau = critical_fractile(
            self.price(t), s.unit_cost, s.holding_cost, s.penalty, self.world.review_period
        )
        return np.clip(tau, self.levels[0], self.levels[-1])


def reward_divisor(observer: Observer, reward_scale: float | None) -> np.ndarray:
    """The divisor [B] of each point's reward: ``reward_scale`` if given (finite, > 0), else the money of
    one review period of median demand at the reference price (p_ref x s)."""
    if reward_scale is None:
        return observer.static.ref_price * observer.static.scale
    if not (np.isfinite(reward_scale) and reward_scale > 0):
        raise InputError(f"reward_scale must be finite and > 0, got {reward_scale!r}")
    return np.full(observer.size, float(reward_scale))


# --- a network: one observer per node ------------------------------------------------------------------
def network_observers(
    world: World, price: np.ndarray, forecasts: ScenarioForecast, obs_config: ObservationConfig
) -> list[Observer]:
    """One :class:`Observer` per node of ``world``, in ``world.network.nodes`` order."""
    return [Observer(world, price, forecasts, m, obs_config) for m in range(len(world.network.nodes))]


def network_observation(observers: Sequence[Observer], state: ReviewState) -> np.ndarray:
    """The observations [B, M x F] of a network's decision points, node-major: node m's F features at
    columns m F .. (m + 1) F - 1 (one node: :meth:`Observer.observe` itself)."""
    if len(observers) == 1:
        return observers[0].observe(state)
    return np.concatenate([o.observe(state) for o in observers], axis=1)


def network_feature_names(world: World, obs_config: ObservationConfig) -> list[str]:
    """The names of :func:`network_observation`'s columns: ``<node>/<feature>`` (one node: the feature
    names alone)."""
    return node_feature_names([node.name for node in world.network.nodes], obs_config)


def node_feature_names(nodes: Sequence[str], obs_config: ObservationConfig) -> list[str]:
    """:func:`network_feature_names` of a network with these node names."""
    names = feature_names(obs_config)
    if len(nodes) <= 1:
        return names
    return [f"{node}/{f}" for node in nodes for f in names]


def network_reward_divisor(observers: Sequence[Observer], reward_scale: float | None) -> np.ndarray:
    """The divisor [B] of a network's reward (its profit summed over nodes), per (path, SKU).

    ``reward_scale`` if given (finite, > 0), else p_ref x s_net: the reference price times the summed
    forecast scale of the customer-facing nodes (the money of one review period of the network's median
    customer demand). One node: :func:`reward_divisor`.
    """
    if len(observers) == 1:
        return reward_divisor(observers[0], reward_scale)
    if reward_scale is not None:
        return reward_divisor(observers[0], reward_scale)
    nodes = observers[0].world.network.nodes
    facing = [o for o in observers if nodes[o.node].customer_facing]
    if not facing:
        raise InputError("reward scale: the network has no customer-facing node among the observed ones")
    scale = np.sum([o.static.scale for o in facing], axis=0)
    return observers[0].static.ref_price * scale
