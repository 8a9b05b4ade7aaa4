"""The env's observation as a torch function of the engine's state, so that profit backpropagates through it.

:meth:`restock.envs.observer.Observer.observe` builds observations [B, F] in numpy (float32). Of its
columns (:mod:`restock.envs.features`) only the first ``1 + n_pipeline_buckets`` depend on the buying
decisions: the net inventory and the pipeline buckets, both divided by the SKU's forecast scale ``s``.
Every other column (forecast quantiles, prices, costs, lead-time statistics, time) is exogenous.

:class:`TorchObserver` therefore takes those exogenous columns from ``Observer.observe`` itself (on a
zero state: the columns do not read the state) and computes the state columns in torch, in float64:

* ``net_inventory = (on_hand - backlog) / s`` (with backorders upstream also + owed - owes,
  :meth:`restock.envs.observer.Observer.net_inventory`);
* ``pipeline_b{i} = sum of pipeline[k] for k in [i R, (i + 1) R) / s`` (the last bucket also holds
  everything due later), with R the review period.

``observe(state).float()`` equals ``Observer.observe(state)`` (float32) — a test checks it — and the
float64 values carry the autograd graph of the state back to every earlier order.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from restock.envs.features import feature_names
from restock.envs.observer import Observer
from restock.simulator.policy import ReviewState


def bucket_matrix(k: int, review_period: int, n_buckets: int) -> np.ndarray:
    """[K, n_buckets] 0/1 matrix: pipeline [B, K] @ it = the pipeline buckets of ``pipeline_buckets``."""
    out = np.zeros((k, n_buckets))
    for j in range(k):
        out[j, min(j // review_period, n_buckets - 1)] = 1.0
    return out


class TorchObserver:
    """Observations [B, F] of one :class:`~restock.envs.observer.Observer` as torch tensors (see the module
    docstring)."""

    def __init__(self, observer: Observer, *, device: str | torch.device = "cpu") -> None:
        self.observer = observer
        self.device = torch.device(device)
        self.names = feature_names(observer.obs_config)
        self.n_state = 1 + observer.obs_config.n_pipeline_buckets
        """Number of leading state-dependent columns."""
        self.scale = torch.as_tensor(observer.static.scale, dtype=torch.float64, device=self.device)
        self._zero: ReviewState | None = None
        self._buckets: dict[int, torch.Tensor] = {}

    def _zero_state(self, t: int, k: int) -> ReviewState:
        p, m, n = self.observer.n_paths, len(self.observer.world.network.nodes), self.observer.n_skus
        z = self._zero
        if z is None or z.pipeline.shape[-1] != k:
            z = self._zero = ReviewState(
                t=t, on_hand=np.zeros((p, m, n)), backlog=np.zeros((p, m, n)), pipeline=np.zeros((p, m, n, k))
            )
        return z

    def exogenous(self, t: int, k: int) -> torch.Tensor:
        """The columns after the state columns at a review in period ``t`` [B, F - n_state], float64."""
        obs = self.observer.observe(self._zero_state(t, k), t=t)
        return torch.as_tensor(obs[:, self.n_state :], dtype=torch.float64, device=self.device)

    def state_columns(self, state: ReviewState) -> torch.Tensor:
        """Net inventory and pipeline buckets [B, 1 + n_pipeline_buckets] / s (float64, graph kept)."""
        b = self.observer
        node = b.node
        on_hand = _tensor(state.on_hand, self.device)[:, node].reshape(b.size)
        backlog = _tensor(state.backlog, self.device)[:, node].reshape(b.size)
        pipe = _tensor(state.pipeline, self.device)[:, node]
        k = pipe.shape[-1]
        pipe = pipe.reshape(b.size, k)
        nb = b.obs_config.n_pipeline_buckets
        mat = self._buckets.get(k)
        if mat is None:
            mat = self._buckets[k] = torch.as_tensor(
                bucket_matrix(k, b.world.review_period, nb), dtype=torch.float64, device=self.device
            )
        buckets = pipe @ mat if k else torch.zeros((b.size, nb), dtype=torch.float64, device=self.device)
        net = on_hand - backlog
        if state.owed is not None:
            owed = _tensor(state.owed, self.device)[:, node].reshape(b.size)
            owes = _tensor(state.owes, self.device)[:, node].reshape(b.size)
            net = net + owed - owes
        net = net / self.scale
        return torch.cat([net.unsqueeze(1), buckets / self.scale.unsqueeze(1)], dim=1)

    def capacity(self, t: int) -> torch.Tensor | None:
        """The node's shared inbound capacity at the review of period ``t``, per path [P] (inf where the
        review has no limit; None where the world has none), what a capacity price reads."""
        world = self.observer.world
        limits = world.inbound_capacity
        if limits is None:
            return None
        value = float(limits[min(t, world.horizon - 1), self.observer.node])
        return torch.full((self.observer.n_paths,), value, dtype=torch.float64, device=self.device)

    def observe(self, state: ReviewState) -> torch.Tensor:
        """Observations [B, F] (float64) at ``state``; gradients flow to the state's tensors."""
        k = int(state.pipeline.shape[-1])
        return torch.cat([self.state_columns(state), self.exogenous(state.t, k)], dim=1)


def _tensor(x: Any, device: torch.device) -> torch.Tensor:
    if isinstance(x, torch.Tensor):
        return x.to(device=device, dtype=torch.float64)
    return torch.as_tensor(np.asarray(x, dtype=np.float64), device=device)
