"""The newsvendor on forecast quantiles (the reference of every comparison) and the myopic policy.

Newsvendor (order-up-to on the forecast)
-----------------------------------------
At a review in period t, for each decision point, with ``IP`` the inventory position (on-hand - backlog +
open orders) and ``D`` the demand over the protection interval E[L] + R (mean lead time plus the review
period), read from the forecast table's cumulative quantiles (interpolated linearly in the horizon and in
the level, :mod:`restock.envs.features`)::

    q = max(Q_D(tau) - IP, 0)

The order is placed now and the next chance to order is R periods later, so the stock it raises must
cover demand until the order placed at the *next* review arrives: E[L] + R periods.

The level tau comes from the economics (``tau=None``): one more unit of stock

* short (underage), loses the margin and the goodwill: ``cu = price - unit_cost + penalty``;
* left over (overage), is carried to the next review and then sold (lost sales: the unit is not wasted,
  it only waits): ``co = holding x R``;

so ``tau* = cu / (cu + co) = (p - c + b) / (p - c + b + h R)`` at this period's price
(:func:`restock.envs.features.critical_fractile`; the levels are
:meth:`restock.envs.observer.Observer.newsvendor_levels`, the one newsvendor rule, which the envs'
``compare_newsvendor`` shadow uses too).
This is the lost-sales ratio; under backorders (a waiting unit is sold later and charged the penalty
per period of backlog) it over-protects: use the tuned variant there.
The forecast table resolves quantiles between its lowest and highest level only, so tau* is kept inside
them (0.999 by default); a fixed ``tau`` outside them is an :class:`~restock.errors.InputError`.
The tuned newsvendor (``restock.agents.baselines.tuning.tune_newsvendor``) is the same rule with tau
chosen per node and SKU by simulation on training paths.

Myopic (one-period newsvendor on the projected stock)
-----------------------------------------------------
The order arrives L = round(E[L]) periods from now onto a stock X and is judged on the R periods it then
serves before the next order arrives: q minimises E[co (X + q - D_R)^+ + cu (D_R - X - q)^+], so
``q = max(Q_{D_R - X}(tau*), 0)`` (Zipkin 2008's myopic policy, with the cost of the whole cycle).

* Tables with per-period cover (``cover[0] == 1``, the exact tables): demand per period is drawn from the
  one-period quantiles (independent periods, stationary increments) on ``n_samples`` fixed
  Latin-hypercube sequences; X is simulated period by period under lost sales — on-hand minus each
  period's demand, floored at 0, plus the open orders as they fall due — and every unit due from t+L
  on is counted in X. D_R is the sum of the R periods after arrival, on the same sequences.
* Other tables (fitted forecasters, cover in whole review periods): ``X = (IP - D_L)^+`` (the backorder
  projection, a lower bound on the lost-sales stock) with D_L over E[L] and D_R over R periods taken
  independent, evaluated on a fixed ``n_grid`` x ``n_grid`` level grid.

Both are deterministic. With L = 0 and R = 1 it is the newsvendor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from restock.agents.baselines.params import as_param, per_point
from restock.agents.policy import checked_orders
from restock.envs.features import cover_weights, critical_fractile, cumulative_at, interp_quantiles
from restock.errors import InputError

if TYPE_CHECKING:
    from restock.envs.observer import Observer
    from restock.simulator.policy import ReviewState


SAMPLE_SEED = 20080501
"""Seed of the myopic policy's fixed sample levels (the policy is deterministic)."""


def economic_tau(batch: Observer, t: int) -> np.ndarray:
    """tau* = (p - c + b) / (p - c + b + h R) per point [B] at period ``t``'s price (see the module doc)."""
    s = batch.static
    return critical_fractile(
        batch.price(t), s.unit_cost, s.holding_cost, s.penalty, batch.world.review_period
    )


def check_tau(name: str, tau: np.ndarray, levels: np.ndarray) -> None:
    """Raise :class:`InputError` unless every tau lies within the forecast table's levels."""
    lo, hi = float(levels[0]), float(levels[-1])
    bad = (tau < lo - 1e-12) | (tau > hi + 1e-12)
    if bad.any():
        raise InputError(
            f"policy {name!r}: tau {float(tau[bad][0])!r} is outside the forecast table's levels "
            f"[{lo}, {hi}]; quantiles are never extrapolated"
        )


@dataclass
class NewsvendorPolicy:
    """Order up to the tau-quantile of demand over E[L] + R, minus the position (see the module doc)."""

    tau: Any = None
    """None: tau* from the economics, kept inside the table's levels; else a level per point (a scalar,
    [N], [M, N] or [P, M, N], see :mod:`restock.agents.baselines.params`), inside the table's levels."""
    name: str = "newsvendor"

    def __post_init__(self) -> None:
        self._tau = None if self.tau is None else as_param(f"{self.name}.tau", self.tau)

    def levels(self, batch: Observer, state: ReviewState) -> np.ndarray:
        """The order-up-to levels [B] (units) at ``state`` (:meth:`Observer.newsvendor_levels`)."""
        if self._tau is None:
            return batch.newsvendor_levels(state.t)
        tau = per_point(f"{self.name}.tau", self._tau, batch)
        check_tau(self.name, tau, batch.levels)
        return batch.newsvendor_levels(state.t, tau)

    def act(self, batch: Observer, state: ReviewState) -> np.ndarray:
        orders = np.maximum(self.levels(batch, state) - batch.position(state), 0.0)
        return checked_orders(self.name, orders, batch.size, state.t)


@dataclass
class MyopicPolicy:
    """The one-period newsvendor on the projected stock at the order's arrival (see the module doc)."""

    name: str = "myopic"
    n_samples: int = 512
    """Demand sequences of the per-period projection (fixed Latin-hypercube levels)."""
    n_grid: int = 24
    """Level grid per demand of the approximate projection (n_grid**2 equally likely points)."""
    _memo: dict[int, tuple[Any, ...]] = field(default_factory=dict, repr=False)

    def _weights(self, batch: Observer) -> tuple[Any, ...]:
        hit = self._memo.get(id(batch))
        if hit is None or hit[0] is not batch:
            lead = batch.static.lead_time_mean
            r = np.full(batch.size, float(batch.world.review_period))
            cover = batch.forecast_cover
            hit = (batch, cover_weights(cover, lead), cover_weights(cover, r))
            self._memo = {id(batch): hit}
        return hit

    def act(self, batch: Observer, state: ReviewState) -> np.ndarray:
        cum = batch.cumulative(state.t)
        if batch.forecast_cover[0] == 1:
            gap = self._per_period_gap(batch, state, cum)
        else:
            gap = self._approximate_gap(batch, state, cum)
        tau = np.clip(economic_tau(batch, state.t), 0.0, 1.0)
        gap.sort(axis=1)
        k = np.clip(np.ceil(tau * gap.shape[1]).astype(np.int64) - 1, 0, gap.shape[1] - 1)
        q = np.maximum(gap[np.arange(batch.size), k], 0.0)
        return checked_orders(self.name, q, batch.size, state.t)

    def _uniforms(self, levels: np.ndarray, periods: int) -> np.ndarray:
        """Fixed Latin-hypercube levels [n_samples, periods] inside the table's levels (deterministic)."""
        rng = np.random.default_rng(SAMPLE_SEED)
        n = self.n_samples
        u = (np.argsort(rng.random((periods, n)), axis=1).T + rng.random((n, periods))) / n
        return levels[0] + u * (levels[-1] - levels[0])

    def _per_period_gap(self, batch: Observer, state: ReviewState, cum: np.ndarray) -> np.ndarray:
        """Samples [B, n_samples] of D_R - X with X simulated period by period under lost sales."""
        r = batch.world.review_period
        lead = np.rint(batch.static.lead_time_mean).astype(np.int64)  # [B]
        horizon = int(lead.max()) + r
        lv = batch.levels
        u = self._uniforms(lv, horizon)  # [S, H]
        one = cum[:, 0, :]  # [B, Q] quantiles of one period's demand (stationary increments)
        d = interp_quantiles(lv, np.broadcast_to(one[:, None, :], (batch.size, u.size, len(lv))), u.ravel())
        d = d.reshape(batch.size, *u.shape)  # [B, S, H]
        pipe = batch.flat(state.pipeline)  # [B, K]: index k due at t+1+k
        k_len = pipe.shape[1]
        x = np.repeat((batch.flat(state.on_hand) - batch.flat(state.backlog))[:, None], u.shape[0], axis=1)
        for k in range(int(lead.max())):
            arrive = pipe[:, k - 1][:, None] if 1 <= k <= k_len else 0.0
            x = np.where((k < lead)[:, None], np.maximum(x + arrive - d[:, :, k], 0.0), x)
        # everything due from t+L on (t+1 on when L <= 1) serves the cycle with the new order
        later = np.concatenate([np.cumsum(pipe[:, ::-1], axis=1)[:, ::-1], np.zeros((batch.size, 1))], axis=1)
        x = x + later[np.arange(batch.size), np.clip(lead - 1, 0, k_len)][:, None]  # sum of pipe[L-1:]
        csum = np.concatenate([np.zeros((*d.shape[:2], 1)), np.cumsum(d, axis=2)], axis=2)
        b = np.arange(batch.size)
        cycle = csum[b, :, lead + r] - csum[b, :, lead]  # [B, S]
        return cycle - x

    def _approximate_gap(self, batch: Observer, state: ReviewState, cum: np.ndarray) -> np.ndarray:
        """Samples [B, n_grid**2] of D_R - (IP - D_L)^+ on a level grid (tables without per-period cover)."""
        _, w_lead, w_cycle = self._weights(batch)
        d_lead = cumulative_at(cum, *w_lead)  # [B, Q] over E[L]
        d_cycle = cumulative_at(cum, *w_cycle)  # [B, Q] over R
        lv = batch.levels
        u = lv[0] + (np.arange(self.n_grid) + 0.5) / self.n_grid * (lv[-1] - lv[0])
        shape = (batch.size, self.n_grid, len(lv))
        lead_g = interp_quantiles(lv, np.broadcast_to(d_lead[:, None, :], shape), u)  # [B, G]
        x = np.maximum(batch.position(state)[:, None] - lead_g, 0.0)
        dr = interp_quantiles(lv, np.broadcast_to(d_cycle[:, None, :], shape), u)  # [B, G]
        return (dr[:, :, None] - x[:, None, :]).reshape(batch.size, -1)
