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
(:func:`restock.envs.features.critical_fractile`; DecisionBatch.newsvendor_orders is the same rule).
This is the lost-sales ratio; under backorders (a waiting unit is sold later and charged the penalty
per period of backlog) it over-protects: use the tuned variant there.
The forecast table resolves quantiles between its lowest and highest level only, so tau* is kept inside
them (0.999 by default); a fixed ``tau`` outside them is an :class:`~restock.errors.InputError`.
The tuned newsvendor (``restock.agents.baselines.tuning.tune_newsvendor``) is the same rule with tau
chosen per node and SKU by simulation on training paths.

Myopic (one-period newsvendor on the projected stock)
-----------------------------------------------------
The order arrives E[L] periods from now, onto a stock X, and is judged on the R periods it then serves
alone: q minimises E[co (X + q - D_R)^+ + cu (D_R - X - q)^+], so ``q = max(Q_{D_R - X}(tau*), 0)``.
X is projected as ``(IP - D_L)^+`` (D_L: demand over E[L] periods; the backorder projection, a lower
bound on the lost-sales stock) and D_R is the demand over R periods, taken independent of D_L and
distributed as the first R periods of the table (stationary increments). The distribution of
``D_R - X`` is evaluated on a fixed stratified grid of ``n_grid`` x ``n_grid`` level pairs inside the
table's levels, so the policy is deterministic. Unlike the newsvendor, it does not protect the stock
against the demand of the lead time beyond what is on hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from restock.agents.baselines.params import as_param, per_point
from restock.agents.policy import checked_orders
from restock.envs.core import review_index
from restock.envs.features import cover_weights, critical_fractile, cumulative_at, interp_quantiles
from restock.errors import InputError

if TYPE_CHECKING:
    from restock.envs.core import DecisionBatch
    from restock.simulator.policy import ReviewState


def economic_tau(batch: DecisionBatch, t: int) -> np.ndarray:
    """tau* = (p - c + b) / (p - c + b + h R) per point [B] at period ``t``'s price (see the module doc)."""
    price = batch.paths.price[:, min(t, batch.world.horizon - 1), :].reshape(batch.size)
    s = batch.static
    return critical_fractile(price, s.unit_cost, s.holding_cost, s.penalty, batch.world.review_period)


def check_tau(name: str, tau: np.ndarray, levels: np.ndarray) -> None:
    """Raise :class:`InputError` unless every tau lies within the forecast table's levels."""
    lo, hi = float(levels[0]), float(levels[-1])
    bad = (tau < lo - 1e-12) | (tau > hi + 1e-12)
    if bad.any():
        raise InputError(
            f"policy {name!r}: tau {float(tau[bad][0])!r} is outside the forecast table's levels "
            f"[{lo}, {hi}]; quantiles are never extrapolated"
        )


def cumulative_rows(batch: DecisionBatch, review: int) -> np.ndarray:
    """The table's cumulative quantiles [B, K, Q] of ``batch``'s node at review index ``review``."""
    fc = batch.forecasts
    cu = fc.cumulative[:, min(review, fc.cumulative.shape[1] - 1), batch.node]  # [P or 1, N, K, Q]
    cu = np.broadcast_to(cu, (batch.n_paths, *cu.shape[1:]))
    return cu.reshape(batch.size, *cu.shape[2:])


@dataclass
class NewsvendorPolicy:
    """Order up to the tau-quantile of demand over E[L] + R, minus the position (see the module doc)."""

    tau: Any = None
    """None: tau* from the economics, kept inside the table's levels; else a level per point (a scalar,
    [N], [M, N] or [P, M, N], see :mod:`restock.agents.baselines.params`), inside the table's levels."""
    name: str = "newsvendor"

    def __post_init__(self) -> None:
        self._tau = None if self.tau is None else as_param(f"{self.name}.tau", self.tau)

    def levels(self, batch: DecisionBatch, state: ReviewState) -> np.ndarray:
        """The order-up-to levels [B] (units) at ``state``."""
        _, cum = batch.cum_lt(review_index(batch.world, state.t))
        if self._tau is None:
            tau = np.clip(economic_tau(batch, state.t), batch.levels[0], batch.levels[-1])
        else:
            tau = per_point(f"{self.name}.tau", self._tau, batch)
            check_tau(self.name, tau, batch.levels)
        return interp_quantiles(batch.levels, cum, tau)

    def act(self, batch: DecisionBatch, state: ReviewState) -> np.ndarray:
        orders = np.maximum(self.levels(batch, state) - batch.position(state), 0.0)
        return checked_orders(self.name, orders, batch.size, state.t)


@dataclass
class MyopicPolicy:
    """The one-period newsvendor on the projected stock at the order's arrival (see the module doc)."""

    name: str = "myopic"
    n_grid: int = 24
    """Level grid per demand (the distribution of D_R - X has n_grid**2 equally likely points)."""
    _memo: dict[int, tuple[Any, ...]] = field(default_factory=dict, repr=False)

    def _weights(self, batch: DecisionBatch) -> tuple[Any, ...]:
        hit = self._memo.get(id(batch))
        if hit is None or hit[0] is not batch:
            lead = batch.static.lead_time_mean
            r = np.full(batch.size, float(batch.world.review_period))
            hit = (batch, cover_weights(batch.forecasts.cover, lead), cover_weights(batch.forecasts.cover, r))
            self._memo = {id(batch): hit}
        return hit

    def act(self, batch: DecisionBatch, state: ReviewState) -> np.ndarray:
        _, w_lead, w_cycle = self._weights(batch)
        review = review_index(batch.world, state.t)
        cum = cumulative_rows(batch, review)
        d_lead = cumulative_at(cum, *w_lead)  # [B, Q] over E[L]
        d_cycle = cumulative_at(cum, *w_cycle)  # [B, Q] over R
        lv = batch.levels
        u = lv[0] + (np.arange(self.n_grid) + 0.5) / self.n_grid * (lv[-1] - lv[0])
        shape = (batch.size, self.n_grid, len(lv))
        lead_g = interp_quantiles(lv, np.broadcast_to(d_lead[:, None, :], shape), u)  # [B, G]
        x = np.maximum(batch.position(state)[:, None] - lead_g, 0.0)
        dr = interp_quantiles(lv, np.broadcast_to(d_cycle[:, None, :], shape), u)  # [B, G]
        gap = (dr[:, :, None] - x[:, None, :]).reshape(batch.size, -1)
        tau = np.clip(economic_tau(batch, state.t), 0.0, 1.0)
        gap.sort(axis=1)
        k = np.clip(np.ceil(tau * gap.shape[1]).astype(np.int64) - 1, 0, gap.shape[1] - 1)
        q = np.maximum(gap[np.arange(batch.size), k], 0.0)
        return checked_orders(self.name, q, batch.size, state.t)
