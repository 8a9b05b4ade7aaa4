"""The policy network: observations [B, F] -> order quantities [B] in units.

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


class PolicyNetwork(nn.Module):
    """An MLP from normalized observations to orders in units of the forecast scale (module docstring)."""

    mask: torch.Tensor
    mean: torch.Tensor
    std: torch.Tensor

    def __init__(
        self,
        names: list[str],
        hidden: tuple[int, ...],
        *,
        time_features: bool = True,
        smoothing: float = 0.05,
        dtype: torch.dtype = torch.float64,
    ) -> None:
        super().__init__()
        self.names = list(names)
        self.smoothing = float(smoothing)
        self.n_state = sum(1 for name in names if name == "net_inventory" or name.startswith("pipeline_b"))
        """The leading columns whose sum is the inventory position / s."""
        n = len(names)
        mask = torch.ones(n, dtype=dtype)
        if not time_features:
            for i, name in enumerate(names):
                if name in TIME_FEATURES:
                    mask[i] = 0.0
        self.register_buffer("mask", mask)
        self.register_buffer("mean", torch.zeros(n, dtype=dtype))
        self.register_buffer("std", torch.ones(n, dtype=dtype))
        layers: list[nn.Module] = []
        width = n
        for h in hidden:
            layers += [nn.Linear(width, h, dtype=dtype), nn.ReLU()]
            width = h
        last = nn.Linear(width, 1, dtype=dtype)
        with torch.no_grad():
            last.weight.mul_(0.1)
            last.bias.fill_(1.0)  # replaced by the newsvendor level in fit_normalization
        layers.append(last)
        self.mlp = nn.Sequential(*layers)

    @property
    def n_features(self) -> int:
        return len(self.names)

    def set_level(self, level: float) -> None:
        """Set the output bias: the starting order-up-to level in units of s (e.g. the newsvendor's)."""
        last = self.mlp[-1]
        assert isinstance(last, nn.Linear)
        with torch.no_grad():
            last.bias.fill_(float(level))

    def fit_normalization(self, obs: torch.Tensor) -> None:
        """Set ``mean`` and ``std`` from observations [n, F] (std <= 1e-6 -> 1: constant columns)."""
        x = obs.detach().to(self.mean.dtype) * self.mask
        mean = x.mean(0)
        std = x.std(0) if x.shape[0] > 1 else torch.ones_like(mean)
        std = torch.where(std > 1e-6, std, torch.ones_like(std))
        self.mean.copy_(mean)
        self.std.copy_(std)

    def forward(self, obs: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
        """Orders [B] in units for observations [B, F] and forecast scales [B]."""
        obs = obs.to(self.mean.dtype)
        x = (obs * self.mask - self.mean) / self.std
        level = self.mlp(x).squeeze(-1)
        ip = obs[:, : self.n_state].sum(1)
        w = self.smoothing
        return w * nn.functional.softplus((level - ip) / w) * scale.to(level.dtype)
