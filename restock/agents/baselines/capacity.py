"""The Lagrangian newsvendor: one capacity price per node and period keeps a catalog inside a shared limit.

A node's orders over all its SKUs must fit its shared inbound capacity C_t of the review
(``World.inbound_capacity``; beyond it the engines cut every order pro rata). The newsvendor orders
``q_n = max(Q_n(tau_n) - IP_n, 0)`` per SKU n; pricing capacity at lambda >= 0 per unit makes each unit
dearer, which lowers every critical fractile:

    tau_n(lambda) = (p_n - c_n - lambda + b_n) / (p_n - c_n - lambda + b_n + h_n R)

(:func:`restock.envs.features.critical_fractile` with the unit cost raised by lambda, kept inside the
forecast table's levels). The total order ``sum_n q_n(lambda)`` falls with lambda, so at each review and
for each path the policy finds by bisection the smallest lambda with ``sum_n q_n(lambda) <= C_t``
(lambda = 0, the plain newsvendor, where the catalog fits). The price lowers the orders of the SKUs
whose margin is thinnest relative to their holding cost first, instead of cutting every order by the
same share. Where even the lowest level of the table does not fit (lambda at its top), the engines' pro
rata cut takes the rest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from restock.agents.policy import checked_orders
from restock.envs.features import critical_fractile, interp_quantiles

if TYPE_CHECKING:
    from restock.envs.observer import Observer
    from restock.simulator.policy import ReviewState


def capacity_price(orders_at: object, capacity: np.ndarray, high: np.ndarray, iterations: int) -> np.ndarray:
    """The smallest price lambda [P] in [0, high] with ``orders_at(lambda).sum(-1) <= capacity`` [P] by
    bisection (``orders_at``: lambda [P] -> orders [P, N], non-increasing in lambda); ``high`` where even
    that does not fit."""
    assert callable(orders_at)
    low = np.zeros_like(capacity)
    fits = orders_at(low).sum(-1) <= capacity
    top = high.copy()
    for _ in range(iterations):
        mid = 0.5 * (low + top)
        ok = orders_at(mid).sum(-1) <= capacity
        top = np.where(ok, mid, top)
        low = np.where(ok, low, mid)
    return np.where(fits, 0.0, top)


@dataclass
class LagrangianNewsvendorPolicy:
    """The newsvendor with a capacity price per node and period found by bisection (module docstring)."""

    iterations: int = 40
    """Bisection steps (the price is found to ``high / 2**iterations``)."""
    name: str = "lagrangian-newsvendor"

    def prices(self, batch: Observer, state: ReviewState) -> np.ndarray:
        """The capacity price [P] of ``batch``'s node at ``state`` (0 where the catalog fits or the node
        has no shared limit)."""
        return self._solve(batch, state)[1]

    def act(self, batch: Observer, state: ReviewState) -> np.ndarray:
        return checked_orders(
            self.name, self._solve(batch, state)[0].reshape(batch.size), batch.size, state.t
        )

    def _solve(self, batch: Observer, state: ReviewState) -> tuple[np.ndarray, np.ndarray]:
        """(orders [P, N], price [P]) at ``state``."""
        p, n, t = batch.n_paths, batch.n_skus, state.t
        s = batch.static
        price, position = batch.price(t), batch.position(state)
        _, cum = batch.forecast_rows(t)
        levels = batch.levels
        review = batch.world.review_period

        def orders_at(lam: np.ndarray) -> np.ndarray:
            cost = s.unit_cost + np.repeat(lam, n)
            tau = critical_fractile(price, cost, s.holding_cost, s.penalty, review)
            tau = np.clip(tau, levels[0], levels[-1])
            up_to = interp_quantiles(levels, cum, tau)
            return np.maximum(up_to - position, 0.0).reshape(p, n)

        limits = batch.world.inbound_capacity
        cap = math.inf if limits is None else float(limits[min(t, batch.world.horizon - 1), batch.node])
        if math.isinf(cap):
            return orders_at(np.zeros(p)), np.zeros(p)
        margin = (price - s.unit_cost + s.penalty).reshape(p, n).max(axis=1)  # tau = 0 beyond it
        high = np.maximum(margin, 0.0) + 1.0
        lam = capacity_price(orders_at, np.full(p, cap), high, self.iterations)
        return orders_at(lam), lam
