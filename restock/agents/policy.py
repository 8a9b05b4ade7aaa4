"""The one protocol for everything that buys: baselines, the oracle, SB3 models and DirectBackprop.

A policy decides at a review for the B = P x N decision points of one node, seen through an
:class:`~restock.envs.observer.Observer` (what is known at the review: the state, the forecast rows issued
then, the period's price, costs and lead-time statistics; never demand), in a
:class:`~restock.simulator.policy.ReviewState`, and returns order quantities in units, one per point,
finite and >= 0. Engines take policies through one adapter (:func:`restock.agents.evaluate.engine_rule`).

Why not only SB3's ``predict(obs, deterministic)``: classical policies think in units (an inventory
position, a quantile of demand over lead time + review), and a learned policy thinks in the env's
normalized observation. The observer gives both views, so a newsvendor and a PPO model are called the
same way. A learned policy observes through ``observer.observe`` and maps its actions to orders with an
:class:`~restock.envs.actions.ActionMap` of the settings it was trained with
(:class:`restock.agents.sb3.train.SB3Policy` wraps SB3's ``predict``; DirectBackprop reads the same
observation as torch features), so a model is judged exactly as it was trained. A policy may carry an
``observation_config`` attribute: the observers :func:`restock.agents.evaluate.evaluate` builds for it use
it.

A policy that decides for a whole network at once (a model trained on ``Restock/NetworkCatalog-v0``
observes every node's features and acts on every node) is a :class:`NetworkPolicy`: it is shown every
node's observer at a review and returns the orders of every node. The engine adapter calls
``act_network`` once per review when a policy has it, ``act`` once per node otherwise.

A node with extra vendors (``Node.extra_sources``) is ordered for on each of its arcs. A
:class:`SourcingPolicy` returns one order per source of the node (``act_sources``); any other policy's
order goes to the node's own source, and nothing to its extra vendors.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from restock.errors import InputError

if TYPE_CHECKING:
    from restock.envs.observer import Observer
    from restock.simulator.policy import ReviewState


@runtime_checkable
class Policy(Protocol):
    """Orders for one node's decision points at a review (see the module docstring)."""

    name: str

    def act(self, observer: Observer, state: ReviewState) -> np.ndarray:
        """Order quantities [B] in units (finite, >= 0) for ``observer``'s node at ``state``."""
        ...


@runtime_checkable
class NetworkPolicy(Protocol):
    """Orders for every node of a network at a review (see the module docstring)."""

    name: str

    def act_network(self, observers: Sequence[Observer], state: ReviewState) -> np.ndarray:
        """Order quantities [M, B] in units (finite, >= 0): row k for ``observers[k]``'s node (one
        observer per node of the network, in network order) at ``state``; or [A, B], one row per arc
        (``world.network.arcs()``), where nodes have extra vendors."""
        ...


@runtime_checkable
class SourcingPolicy(Protocol):
    """Orders for every source of one node at a review (a node with extra vendors: dual sourcing)."""

    name: str

    def act_sources(self, observer: Observer, state: ReviewState) -> np.ndarray:
        """Order quantities [S, B] in units (finite, >= 0): row i for the node's source
        ``observer.sources[i]`` (its own source first, then its extra vendors)."""
        ...


AnyPolicy = Policy | NetworkPolicy | SourcingPolicy
"""Anything :func:`restock.agents.evaluate.engine_rule` turns into an engine's decision rule."""


def checked_orders(name: str, orders: Any, size: int, t: int) -> np.ndarray:
    """``orders`` as a float64 array [size]; NaN, inf, negative or misshapen orders are an InputError."""
    arr = np.asarray(orders, dtype=np.float64)
    if arr.shape != (size,):
        raise InputError(
            f"policy {name!r} returned orders of shape {arr.shape} in period {t}, expected ({size},)"
        )
    bad = ~np.isfinite(arr) | (arr < 0)
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(
            f"policy {name!r} returned an invalid order {arr[i]!r} at decision point {i} in period {t}; "
            "orders must be finite and >= 0"
        )
    return arr
