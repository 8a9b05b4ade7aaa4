"""The policy network: observations [B, F] -> order quantities [B] in units (a network of M nodes:
observations [B, M F], every node's features one after the other, -> orders [B, M], one per node).

The network outputs a state-dependent order-up-to level; the order is a smoothed ``max(level - IP, 0)``::

    level = MLP((mask * x - mean) / std)                      (in units of s)
    ip    = net_inventory + sum of pipeline_b*                 (the inventory position / s, from x)
    order = s * w * softplus((level - ip) / w)                 (w = ``smoothing``, in units of s)

with ``s`` the SKU's forecast scale (median demand per review period). The network thinks in review
periods of demand; an order is never negative; the smoothing keeps a gradient where the position is above
the level. Since ``level`` depends on the whole state, any order is representable (a capped base-stock
policy, Zipkin's optimal lost-sales policy); what the structure buys is the start: the last layer starts
small and its bias at the newsvendor level (:meth:`PolicyNetwork.set_level`), so the untrained
network is the critical-fractile base-stock policy and training learns the correction.

In a network of M nodes the MLP sees the whole network's state (every node's features) and outputs one
level per node; node m's ``ip`` is the sum of node m's state columns and ``s`` is node m's forecast scale
(a warehouse's: the demand of the nodes it feeds), so each node's order is its own smoothed base-stock
order on a level that depends on the state of the whole network.

A node with extra vendors (dual sourcing; one node) gets one more level per extra vendor, and orders in
the dual-index form with state-dependent levels, expedited first::

    order_e = s * w * softplus((level_e - ip_e) / w)           (ip_e: net inventory + the pipeline buckets
                                                                due within the vendor's lead time)
    order   = s * w * softplus((level - ip - sum_e order_e / s) / w)      (the own, regular source)

so the untrained network is a dual-index policy: the expedited levels' bias starts at each vendor's
newsvendor level (the critical-fractile quantile of demand over its lead time + R:
:meth:`PolicyNetwork.set_expedited_level`), or at 0 (expedite only to cover a backlog, the newsvendor on
the regular source; ``agent.expedite_start = "backlog"``), and training learns when to expedite.

Where the node's orders over all its SKUs share an inbound capacity C_t (``World.inbound_capacity``; beyond it
the engines cut every order pro rata), a learned **capacity price** coordinates the catalog (in the spirit
of Eisenach et al. 2024, "Neural Coordination and Capacity Control for Inventory Management"): at each
review a small network :class:`CapacityPrice` reads, per path, what the SKU network would order over the
catalog at price 0 against C_t, and the capacity against the catalog's forecast scale, and sets a price
lambda_t >= 0; every SKU's MLP sees lambda_t as one more input and orders again::

    q0     = orders(x, lambda = 0)                            (the uncoordinated request, every SKU)
    lambda = softplus(MLP_price(log(sum q0 / C_t), log(C_t / sum s)))      (one per path and review)
    order  = orders(x, lambda)

Both networks train together through the engine's pro rata cut (the profit lost to a cut is what teaches
the price); where a review has no limit, lambda = 0. The price starts near 0 (the output bias at -3), so
the untrained network is the uncoordinated one.

``mean`` and ``std`` are buffers fitted once, before training, on the observations of a rollout of the
untrained network, i.e. of the newsvendor policy (:meth:`PolicyNetwork.fit_normalization`); features
that do not vary there (a constant price, a deterministic lead time) become zeros. ``mask`` zeroes the
time features when ``time_features`` is off.
"""

from __future__ import annotations

import torch
from torch import nn

TIME_FEATURES: tuple[str, ...] = ("week_sin", "week_cos", "horizon_left")
"""Feature names that ``time_features=False`` hides from the network."""


class CapacityPrice(nn.Module):
    """The capacity price lambda [P] >= 0 of a review from the catalog's request and capacity (module
    docstring): an MLP on ``log(request / capacity)`` and ``log(capacity / forecast scale)``, both clamped
    to [-10, 10], through a softplus."""

    def __init__(self, hidden: tuple[int, ...], dtype: torch.dtype = torch.float64) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = 2
        for h in hidden:
            layers += [nn.Linear(width, h, dtype=dtype), nn.Tanh()]
            width = h
        last = nn.Linear(width, 1, dtype=dtype)
        with torch.no_grad():
            last.weight.mul_(0.1)
            last.bias.fill_(-3.0)  # softplus(-3) = 0.05: the untrained price is about 0
        layers.append(last)
        self.mlp = nn.Sequential(*layers)

    def forward(self, request: torch.Tensor, capacity: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
        """lambda [P] for the total ``request`` [P] at price 0, the ``capacity`` [P] (finite, >= 0) and the
        catalog's summed forecast ``scale`` [P], all in units."""
        room = torch.clamp(capacity, min=1e-9)
        x = torch.stack([torch.log(request.clamp(min=1e-9) / room), torch.log(room / scale)], dim=1)
        return nn.functional.softplus(self.mlp(x.clamp(-10.0, 10.0))).squeeze(1)


class PolicyNetwork(nn.Module):
    """An MLP from normalized observations to orders in units of the forecast scale (module docstring)."""

    mask: torch.Tensor
    mean: torch.Tensor
    std: torch.Tensor
    state_index: torch.Tensor

    def __init__(
        self,
        names: list[str],
        hidden: tuple[int, ...],
        *,
        time_features: bool = True,
        smoothing: float = 0.05,
        dtype: torch.dtype = torch.float64,
        n_nodes: int = 1,
        expedited_columns: tuple[int, ...] = (),
        capacity_price: tuple[int, ...] | None = None,
    ) -> None:
        super().__init__()
        self.names = list(names)
        self.smoothing = float(smoothing)
        self.n_nodes = int(n_nodes)
        self.expedited_columns = tuple(int(c) for c in expedited_columns)
        """Per extra vendor of a single node: how many leading state columns (net inventory, then pipeline
        buckets) make its expedited position (empty: one source per node)."""
        if self.expedited_columns and self.n_nodes != 1:
            raise ValueError("extra vendors are supported on a single node")
        n = len(names)
        if self.n_nodes < 1 or n % self.n_nodes:
            raise ValueError(f"{n} feature names do not split into {n_nodes} nodes")
        block = n // self.n_nodes
        local = [name.rsplit("/", 1)[-1] for name in names[:block]]
        self.n_state = sum(1 for name in local if name == "net_inventory" or name.startswith("pipeline_b"))
        """The leading columns of a node's features whose sum is its inventory position / s."""
        self.register_buffer(
            "state_index",
            torch.tensor([m * block + i for m in range(self.n_nodes) for i in range(self.n_state)]),
            persistent=False,
        )
        mask = torch.ones(n, dtype=dtype)
        if not time_features:
            for i, name in enumerate(names):
                if name in TIME_FEATURES:
                    mask[i] = 0.0
        self.register_buffer("mask", mask)
        self.register_buffer("mean", torch.zeros(n, dtype=dtype))
        self.register_buffer("std", torch.ones(n, dtype=dtype))
        if capacity_price is not None and self.n_nodes != 1:
            raise ValueError("a capacity price is supported on a single node")
        self.price = None if capacity_price is None else CapacityPrice(tuple(capacity_price), dtype)
        """The learned capacity price (None: the node has no shared limit, or the price is off); the MLP
        then takes one more input, lambda."""
        layers: list[nn.Module] = []
        width = n + (self.price is not None)
        for h in hidden:
            layers += [nn.Linear(width, h, dtype=dtype), nn.ReLU()]
            width = h
        if any(not 1 <= c <= self.n_state for c in self.expedited_columns):
            raise ValueError(f"expedited_columns {self.expedited_columns} outside 1..{self.n_state}")
        last = nn.Linear(width, self.n_nodes + len(self.expedited_columns), dtype=dtype)
        with torch.no_grad():
            last.weight.mul_(0.1)
            last.bias.fill_(1.0)  # replaced by the newsvendor level in fit_normalization
            last.bias[self.n_nodes :] = 0.0  # extra vendors: expedite only to cover a backlog
        layers.append(last)
        self.mlp = nn.Sequential(*layers)

    @property
    def n_features(self) -> int:
        return len(self.names)

    def set_level(self, level: float | torch.Tensor) -> None:
        """Set the output bias: the starting order-up-to level in units of s (e.g. the newsvendor's), one
        for every node or one per node [M]."""
        last = self.mlp[-1]
        assert isinstance(last, nn.Linear)
        with torch.no_grad():
            last.bias[: self.n_nodes].copy_(
                torch.as_tensor(level, dtype=last.bias.dtype).expand(self.n_nodes)
            )

    def set_expedited_level(self, level: float | torch.Tensor) -> None:
        """Set the output bias of the extra vendors' levels (units of s): one for all, or one per vendor
        [E]."""
        last = self.mlp[-1]
        assert isinstance(last, nn.Linear)
        e = len(self.expedited_columns)
        with torch.no_grad():
            last.bias[self.n_nodes :].copy_(torch.as_tensor(level, dtype=last.bias.dtype).expand(e))

    def fit_normalization(self, obs: torch.Tensor) -> None:
        """Set ``mean`` and ``std`` from observations [n, F] (std <= 1e-6 -> 1: constant columns)."""
        x = obs.detach().to(self.mean.dtype) * self.mask
        mean = x.mean(0)
        std = x.std(0) if x.shape[0] > 1 else torch.ones_like(mean)
        std = torch.where(std > 1e-6, std, torch.ones_like(std))
        self.mean.copy_(mean)
        self.std.copy_(std)

    def forward(
        self, obs: torch.Tensor, scale: torch.Tensor, capacity: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Orders in units for observations [B, F] and forecast scales [B]: [B]; in a network of M nodes
        observations [B, M F] and scales [B, M]: [B, M]; a node with E extra vendors: [B, 1 + E] (its own
        source first, then the extra vendors in order).

        ``capacity``: the node's shared inbound capacity of this review per path [P] (B = P x N, path-major;
        inf: no limit), read by the capacity price; None where the node has no shared limit (the price is
        then 0)."""
        obs = obs.to(self.mean.dtype)
        x = (obs * self.mask - self.mean) / self.std
        if self.price is None:
            return self._orders(x, obs, scale)
        lam = torch.zeros(obs.shape[0], 1, dtype=x.dtype, device=x.device)
        if capacity is None:
            return self._orders(torch.cat([x, lam], dim=1), obs, scale)
        return self._orders(
            torch.cat([x, self.capacity_price(x, obs, scale, capacity)[:, None]], 1), obs, scale
        )

    def capacity_price(
        self, x: torch.Tensor, obs: torch.Tensor, scale: torch.Tensor, capacity: torch.Tensor
    ) -> torch.Tensor:
        """lambda per decision point [B] (one per path, 0 where the review has no limit) for normalized
        observations ``x`` [B, F] (module docstring)."""
        assert self.price is not None
        p = capacity.shape[0]
        if obs.shape[0] % p:
            raise ValueError(f"{obs.shape[0]} decision points do not split into {p} paths")
        zero = torch.zeros(obs.shape[0], 1, dtype=x.dtype, device=x.device)
        q0 = self._orders(torch.cat([x, zero], dim=1), obs, scale).reshape(p, -1).sum(1)
        s = scale.to(x.dtype).reshape(p, -1).sum(1)
        cap = capacity.to(device=x.device, dtype=x.dtype)
        limited = torch.isfinite(cap)
        lam = self.price(q0, torch.where(limited, cap, s), s)
        return torch.where(limited, lam, torch.zeros_like(lam)).repeat_interleave(obs.shape[0] // p)

    def _orders(self, x: torch.Tensor, obs: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
        """The orders of :meth:`forward` for the MLP's input ``x`` (normalized observations, and lambda
        where the network has a capacity price)."""
        level = self.mlp(x)  # [B, M (+ E)]
        state = obs.index_select(1, self.state_index).view(obs.shape[0], self.n_nodes, self.n_state)
        ip = state.sum(-1)
        w = self.smoothing
        if self.expedited_columns:
            m = self.n_nodes
            ip_e = torch.stack([state[:, 0, :c].sum(-1) for c in self.expedited_columns], dim=1)  # [B, E]
            fast = w * nn.functional.softplus((level[:, m:] - ip_e) / w)
            own = w * nn.functional.softplus((level[:, :m] - ip - fast.sum(1, keepdim=True)) / w)
            return torch.cat([own, fast], dim=1) * scale.to(level.dtype)[:, None]
        orders = w * nn.functional.softplus((level - ip) / w)
        if self.n_nodes == 1:
            return orders.squeeze(-1) * scale.to(level.dtype)
        return orders * scale.to(level.dtype)
