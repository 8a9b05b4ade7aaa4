"""Normalized actions in [-1, 1] and their mapping to order quantities (pure functions).

SB3's advice for continuous actions: keep the action space a ``Box(-1, 1)`` and rescale inside the env.
Writing ``u = (a + 1) / 2`` (in [0, 1]), ``s`` for the forecast scale (units per review period) and
``IP`` for the inventory position (on-hand - backlog + open orders):

==================  =====================================================================================
action_mode         order quantity q
==================  =====================================================================================
order_up_to         (default) q = max(S - IP, 0) with the order-up-to level S = u * max_cover * s;
                    ``max_cover`` (in review periods of median demand) defaults to
                    2 (E[L] + R) / R + 2, enough for any service level the forecasts support.
                    A stationary target level learns faster and steadier than a raw quantity because the
                    position feedback is in the env, not in the policy.
quantity            q = u * max_multiple * s (a raw order, ``max_multiple`` review periods of demand at most).
service_quantile    tau = tau_min + u (tau_max - tau_min); S = the tau-quantile of cumulative demand over
                    E[L] + R (interpolated from the forecast quantiles); q = max(S - IP, 0).
==================  =====================================================================================

A node with extra vendors (dual sourcing: ``Node.extra_sources``) takes one action per source, its own
first (the arcs of :meth:`~restock.simulator.world.Network.arcs`). In ``order_up_to`` mode they order in
the dual-index form, extra vendors first: vendor e raises its *expedited position* (net inventory plus
what is due within its mean lead time L_e, rounded) to ``S_e = u_e * max_cover_e * s`` (``max_cover_e``
from L_e), then the own source raises the whole position, the extra orders included, to
``S = u * max_cover * s``; an extra vendor's action at -1 (level 0) only clears a backlog. In
``quantity`` mode every source orders ``u * max_multiple * s``; ``service_quantile`` takes one source per
node only.

An action that is NaN or infinite, outside [-1, 1], or of the wrong shape is an :class:`InputError`
(never clipped).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, Literal

import numpy as np

from restock.envs.features import interp_quantiles
from restock.envs.observer import Observer
from restock.errors import InputError
from restock.simulator.policy import base_stock_order
from restock.simulator.state import ReviewState

ActionMode = Literal["order_up_to", "quantity", "service_quantile"]
ACTION_MODES: tuple[str, ...] = ("order_up_to", "quantity", "service_quantile")


@dataclass(frozen=True)
class ActionConfig:
    """How a normalized action becomes an order (see the module docstring)."""

    mode: ActionMode = "order_up_to"
    """One of ``order_up_to``, ``quantity``, ``service_quantile``."""
    max_cover: float | None = None
    """order_up_to: the level at a = 1, in review periods of forecast scale; None: 2 (E[L] + R) / R + 2."""
    max_multiple: float = 4.0
    """quantity: the order at a = 1, in review periods of forecast scale."""
    tau_min: float | None = None
    """service_quantile: the quantile at a = -1; None: the forecast table's lowest level."""
    tau_max: float | None = None
    """service_quantile: the quantile at a = 1; None: the forecast table's highest level."""

    def __post_init__(self) -> None:
        if self.mode not in ACTION_MODES:
            raise InputError(f"action_mode must be one of {list(ACTION_MODES)}, got {self.mode!r}")
        if self.max_cover is not None and not (np.isfinite(self.max_cover) and self.max_cover > 0):
            raise InputError(f"max_cover must be finite and > 0, got {self.max_cover!r}")
        if not (np.isfinite(self.max_multiple) and self.max_multiple > 0):
            raise InputError(f"max_multiple must be finite and > 0, got {self.max_multiple!r}")

    def tau_range(self, levels: np.ndarray) -> tuple[float, float]:
        """(tau_min, tau_max), checked against the forecast levels (no extrapolation of quantiles)."""
        lo = float(levels[0]) if self.tau_min is None else float(self.tau_min)
        hi = float(levels[-1]) if self.tau_max is None else float(self.tau_max)
        if not levels[0] - 1e-12 <= lo < hi <= levels[-1] + 1e-12:
            raise InputError(
                f"tau_min, tau_max must satisfy {float(levels[0])} <= tau_min < tau_max <= "
                f"{float(levels[-1])} "
                f"(the forecast table's quantile levels), got ({lo!r}, {hi!r})"
            )
        return lo, hi

    def cover(self, lead_time_mean: np.ndarray, review_period: int) -> np.ndarray:
        """max_cover per decision point [B]."""
        if self.max_cover is not None:
            return np.full(lead_time_mean.shape, float(self.max_cover))
        return 2.0 * (lead_time_mean + review_period) / review_period + 2.0


def action_config(action: ActionConfig | Mapping[str, Any] | None, *, source: str) -> ActionConfig:
    """An env's ``action`` argument as an :class:`ActionConfig` (None: the defaults).

    A mapping of its fields (``{"mode": "quantity", "max_multiple": 3}``) is accepted too, so that
    ``gymnasium.make(..., action={...})`` works from plain data; an unknown key is an :class:`InputError`.
    """
    if action is None:
        return ActionConfig()
    if isinstance(action, ActionConfig):
        return action
    if isinstance(action, Mapping):
        known = [f.name for f in fields(ActionConfig)]
        unknown = sorted(set(action) - set(known))
        if unknown:
            raise InputError(f"{source}: unknown key(s) {unknown} in action; known: {known}")
        return ActionConfig(**action)
    raise InputError(f"{source}: action must be an ActionConfig or a mapping of its fields, got {action!r}")


def check_actions(actions: object, shape: tuple[int, ...], *, field: str = "action") -> np.ndarray:
    """``actions`` as a float64 array of ``shape``, or an :class:`InputError` naming the bad value."""
    try:
        arr = np.asarray(actions, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{field} must be an array of numbers with shape {shape}, got {actions!r}") from exc
    if arr.shape != shape:
        raise InputError(f"{field} must have shape {shape}, got shape {arr.shape}")
    bad = ~np.isfinite(arr) | (arr < -1.0) | (arr > 1.0)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise InputError(f"{field}{list(idx)} must be finite and in [-1, 1], got {float(arr[idx])!r}")
    return arr


def to_orders(
    actions: np.ndarray,
    *,
    config: ActionConfig,
    scale: np.ndarray,
    position: np.ndarray,
    cum_lt: np.ndarray,
    levels: np.ndarray,
    cover: np.ndarray,
    tau_range: tuple[float, float],
) -> tuple[np.ndarray, np.ndarray]:
    """Order quantities [B] for checked actions [B], and the target [B] they imply.

    The target is the order-up-to level S (order_up_to, service_quantile: in units) or the order itself
    (quantity). ``cum_lt`` [B, Q] are quantiles of demand over E[L] + R at ``levels``.
    """
    u = (actions + 1.0) * 0.5
    if config.mode == "quantity":
        q = u * config.max_multiple * scale
        return q, q
    if config.mode == "order_up_to":
        level = u * cover * scale
    else:
        lo, hi = tau_range
        level = interp_quantiles(levels, cum_lt, lo + u * (hi - lo))
    return np.maximum(level - position, 0.0), level


def service_tau(actions: np.ndarray, tau_range: tuple[float, float]) -> np.ndarray:
    """The service quantile tau an action picks in ``service_quantile`` mode."""
    lo, hi = tau_range
    return lo + (actions + 1.0) * 0.5 * (hi - lo)


class ActionMap:
    """Normalized actions of an observer's decision points -> orders, with one :class:`ActionConfig`.

    A learned policy maps with the settings it was trained under (its own map over the caller's
    observer), so it is judged as it learned.
    """

    def __init__(self, config: ActionConfig, observer: Observer) -> None:
        self.config, self.observer = config, observer
        self.cover = config.cover(observer.static.lead_time_mean, observer.world.review_period)
        """max_cover per decision point [B] (order_up_to)."""
        self.tau_range = (
            config.tau_range(observer.levels) if config.mode == "service_quantile" else (0.0, 1.0)
        )
        """(tau at a = -1, tau at a = 1) (service_quantile)."""
        world = observer.world
        self.extra: list[tuple[int, np.ndarray]] = []
        """Per extra vendor of the node: (its mean lead time in whole periods, its max_cover [B])."""
        for name in observer.sources[1:]:
            mean = float(world.network.vendor(name).lead_time.expected())
            lead = np.full(observer.size, mean)
            self.extra.append((round(mean), config.cover(lead, world.review_period)))
        if self.extra and config.mode == "service_quantile":
            raise InputError(
                f"action mode 'service_quantile' takes one source per node; node "
                f"{world.network.nodes[observer.node].name!r} has {list(observer.sources)} "
                "(use order_up_to or quantity)"
            )

    @property
    def n_sources(self) -> int:
        """The node's sources: its actions (one per source, its own first)."""
        return 1 + len(self.extra)

    def orders(self, actions: np.ndarray, state: ReviewState) -> tuple[np.ndarray, np.ndarray]:
        """(orders [B], targets [B]) for checked actions [B] at ``state``."""
        obs = self.observer
        _, cum = obs.forecast_rows(state.t)
        return to_orders(
            actions,
            config=self.config,
            scale=obs.static.scale,
            position=obs.position(state),
            cum_lt=cum,
            levels=obs.levels,
            cover=self.cover,
            tau_range=self.tau_range,
        )

    def source_orders(self, actions: np.ndarray, state: ReviewState) -> np.ndarray:
        """Orders [n_sources, B] for checked actions [B, n_sources] (one per source, the node's own
        first; the module docstring's dual-index form)."""
        if not self.extra:
            return self.orders(actions[:, 0], state)[0][None]
        if self.config.mode == "quantity":  # every source on its own: the one-source mapping per column
            return np.stack([self.orders(actions[:, j], state)[0] for j in range(self.n_sources)])
        obs = self.observer
        u = (actions + 1.0) * 0.5
        s = obs.static.scale
        out = np.empty((self.n_sources, obs.size))
        for e, (lead, cover) in enumerate(self.extra, start=1):
            out[e] = base_stock_order(u[:, e] * cover * s, obs.position_due_within(state, lead))
        out[0] = base_stock_order(u[:, 0] * self.cover * s, obs.position(state) + out[1:].sum(0))
        return out


def network_actions(maps: Sequence[ActionMap]) -> int:
    """The actions of a network's decision point: one per source of every node (its arcs)."""
    return sum(am.n_sources for am in maps)


def network_orders(maps: Sequence[ActionMap], actions: np.ndarray, state: ReviewState) -> np.ndarray:
    """Orders [A, B] on the arcs (:meth:`~restock.simulator.world.Network.arcs`) of a network's decision
    points for checked actions [B, A]: column a is the action of arc a, mapped by its node's
    :class:`ActionMap` (with its forecast scale and position); with one source per node A = M."""
    out = np.empty((actions.shape[1], actions.shape[0]))
    for am in maps:
        cols = list(am.observer.arcs)
        out[cols] = am.source_orders(actions[:, cols], state)
    return out
