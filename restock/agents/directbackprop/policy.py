"""A trained DirectBackprop network as a :class:`~restock.agents.policy.Policy`, and its checkpoints.

A checkpoint (``torch.save`` of a dict, written atomically) holds the network's weights and normalization
buffers, its hidden widths, the observation layout it was trained on (``ObservationConfig`` fields and
the feature names), ``time_features`` and the dtype, plus the training state needed to resume (optimizer,
iteration, best score). :func:`load_checkpoint` rebuilds the network; a file that is not such a
checkpoint, or weights that do not fit the stored layout, is an :class:`~restock.errors.InputError`.
"""

from __future__ import annotations

import io as _io
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from restock import io
from restock.agents.directbackprop.features import TorchObserver
from restock.agents.directbackprop.network import PolicyNetwork
from restock.agents.policy import checked_orders
from restock.envs.features import ObservationConfig, feature_names
from restock.envs.observer import Observer, node_feature_names
from restock.errors import InputError
from restock.simulator.policy import ReviewState

FORMAT = "restock.directbackprop/1"
_DTYPES = {"float32": torch.float32, "float64": torch.float64}


def save_checkpoint(path: Path, net: PolicyNetwork, meta: dict[str, Any], extra: dict[str, Any]) -> None:
    """Write ``net`` (weights, layout ``meta``) and the training state ``extra`` to ``path`` atomically."""
    buf = _io.BytesIO()
    torch.save({"format": FORMAT, "meta": meta, "state_dict": net.state_dict(), **extra}, buf)
    io.write_bytes(path, buf.getvalue())


def network_meta(
    net: PolicyNetwork,
    obs_config: ObservationConfig,
    hidden: tuple[int, ...],
    nodes: Sequence[str] = (),
    **more: Any,
) -> dict:
    """The layout part of a checkpoint: what :func:`load_checkpoint` needs to rebuild ``net`` (``nodes``:
    the names of a network's nodes, stored for a network of several)."""
    meta = {
        "names": list(net.names),
        "observation": asdict(obs_config),
        "hidden": list(hidden),
        "dtype": str(net.mean.dtype).removeprefix("torch."),
        **more,
    }
    if len(nodes) > 1:
        meta["nodes"] = list(nodes)
    return meta


def read_checkpoint(path: Path) -> dict[str, Any]:
    """The dict stored at ``path`` (an InputError if missing or not a DirectBackprop checkpoint)."""
    if not path.is_file():
        raise InputError(f"directbackprop: checkpoint {path} does not exist")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many kinds on a corrupt file
        raise InputError(f"directbackprop: {path} is not a readable checkpoint ({exc})") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InputError(f"directbackprop: {path} is not a DirectBackprop checkpoint (format {FORMAT!r})")
    return data


def load_checkpoint(path: Path) -> tuple[PolicyNetwork, ObservationConfig, dict[str, Any]]:
    """(network, observation layout, stored dict) of a checkpoint; layout mismatches are InputErrors."""
    data = read_checkpoint(path)
    meta = data["meta"]
    try:
        obs_config = ObservationConfig(**{k: _tuple(v) for k, v in meta["observation"].items()})
    except (TypeError, KeyError) as exc:
        raise InputError(
            f"directbackprop: {path}: bad observation layout {meta.get('observation')!r}"
        ) from exc
    nodes = meta.get("nodes", [])
    if not (isinstance(nodes, list) and all(isinstance(x, str) for x in nodes)):
        raise InputError(f"directbackprop: {path}: bad node names {nodes!r}")
    names = node_feature_names(nodes, obs_config)
    if list(meta["names"]) != names:
        raise InputError(
            f"directbackprop: {path}: stored feature names ({len(meta['names'])}) do not match the stored "
            f"observation layout ({len(names)} features)"
        )
    expedited = meta.get("expedited_columns", [])
    if not (
        isinstance(expedited, list) and all(isinstance(c, int) and 1 <= c <= len(names) for c in expedited)
    ):
        raise InputError(f"directbackprop: {path}: bad expedited_columns {expedited!r}")
    price = meta.get("capacity_price")
    if price is not None and not (
        isinstance(price, list)
        and all(isinstance(h, int) and not isinstance(h, bool) and h >= 1 for h in price)
    ):
        raise InputError(f"directbackprop: {path}: bad capacity_price {price!r}")
    dtype = _DTYPES.get(str(meta.get("dtype")))
    if dtype is None:
        raise InputError(f"directbackprop: {path}: bad dtype {meta.get('dtype')!r}")
    net = PolicyNetwork(
        names,
        tuple(meta["hidden"]),
        time_features=bool(meta["time_features"]),
        smoothing=float(meta["smoothing"]),
        dtype=dtype,
        n_nodes=max(len(nodes), 1),
        expedited_columns=tuple(expedited),
        capacity_price=None if price is None else tuple(price),
    )
    try:
        net.load_state_dict(data["state_dict"])
    except RuntimeError as exc:
        raise InputError(
            f"directbackprop: {path}: the weights do not fit a network over {len(names)} features with "
            f"hidden layers {meta['hidden']} (trained for another observation layout?): {exc}"
        ) from exc
    net.eval()
    return net, obs_config, data


def _tuple(v: Any) -> Any:
    return tuple(v) if isinstance(v, list) else v


@dataclass
class DirectBackpropPolicy:
    """Orders of a trained network for any :class:`~restock.envs.observer.Observer` with the network's
    observation layout."""

    net: PolicyNetwork
    obs_config: ObservationConfig
    name: str = "directbackprop"
    device: str = "cpu"
    round_orders: bool = False
    """Round every order to whole units."""
    _observers: dict[int, TorchObserver] = field(default_factory=dict, repr=False)

    @property
    def observation_config(self) -> ObservationConfig:
        """The layout it was trained on: what :func:`restock.agents.evaluate.evaluate` observes it with."""
        return self.obs_config

    def observer(self, batch: Observer) -> TorchObserver:
        if batch.obs_config != self.obs_config:
            raise InputError(
                f"policy {self.name!r} was trained on observations {feature_names(self.obs_config)[:6]}... "
                f"({len(feature_names(self.obs_config))} features, {self.obs_config}); this observer shows "
                f"{len(feature_names(batch.obs_config))} features ({batch.obs_config})"
            )
        key = id(batch)
        obs = self._observers.get(key)
        if obs is None or obs.observer is not batch:
            obs = TorchObserver(batch, device=self.device)
            if len(self._observers) >= 64:  # one per node of the episodes in use
                self._observers.clear()
            self._observers[key] = obs
        return obs

    def _capacity(self, observer: TorchObserver, t: int) -> torch.Tensor | None:
        """What the network's capacity price reads at ``t`` (None where it has none)."""
        return observer.capacity(t) if self.net.price is not None else None

    def act(self, batch: Observer, state: ReviewState) -> np.ndarray:
        """Order quantities [B] in units for ``batch``'s node (the network's output; rounded if
        ``round_orders``). On a network the decision reads every node (:meth:`act_network`)."""
        if self.net.expedited_columns:
            raise InputError(
                f"policy {self.name!r} orders from several vendors of a node: ask it for the orders of every "
                "source (act_network)"
            )
        if self.net.n_nodes > 1:
            others = [batch.for_node(j) for j in range(len(batch.world.network.nodes))]
            return self.act_network(others, state)[batch.node]
        observer = self.observer(batch)
        with torch.no_grad():
            orders = self.net(observer.observe(state), observer.scale, self._capacity(observer, state.t))
        if self.round_orders:
            orders = torch.round(orders)
        return checked_orders(self.name, orders.cpu().numpy(), batch.size, state.t)

    def act_network(self, observers: Sequence[Observer], state: ReviewState) -> np.ndarray:
        """Orders [M, B] for every node at once, from every node's observation
        (:class:`~restock.agents.policy.NetworkPolicy`; one node: :meth:`act`'s orders as one row; a node
        with extra vendors: [1 + E, B], one row per source, its own first)."""
        if len(observers) != self.net.n_nodes:
            raise InputError(
                f"policy {self.name!r} was trained on {self.net.n_nodes} node(s); this world has "
                f"{len(observers)}"
            )
        extra = len(self.net.expedited_columns)
        if extra or len(observers[0].arcs) > 1:
            if len(observers[0].arcs) != 1 + extra:
                raise InputError(
                    f"policy {self.name!r} was trained with {1 + extra} source(s) per node; node "
                    f"{observers[0].world.network.nodes[0].name!r} has {list(observers[0].sources)}"
                )
            observer = self.observer(observers[0])
            with torch.no_grad():
                orders = self.net(observer.observe(state), observer.scale, self._capacity(observer, state.t))
            if self.round_orders:
                orders = torch.round(orders)
            return orders.cpu().numpy().T
        if self.net.n_nodes == 1:
            return self.act(observers[0], state)[None]
        torch_observers = [self.observer(o) for o in observers]
        obs = torch.cat([o.observe(state) for o in torch_observers], dim=1)
        scale = torch.stack([o.scale for o in torch_observers], dim=1)
        with torch.no_grad():
            orders = self.net(obs, scale)
        if self.round_orders:
            orders = torch.round(orders)
        return orders.cpu().numpy().T
