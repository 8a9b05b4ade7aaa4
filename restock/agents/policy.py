"""The one protocol for everything that buys: baselines, the oracle, SB3 models and DirectBackprop.

A policy decides at a review for the B = P x N decision points of one node (a
:class:`~restock.envs.core.DecisionBatch`: the episode's world, paths, forecast table, observation and
action settings) in a :class:`~restock.simulator.policy.ReviewState`, and returns order quantities in
units, one per point, finite and >= 0.

Why not only SB3's ``predict(obs, deterministic)``: classical policies think in units (an inventory
position, a quantile of demand over lead time + review), and a learned policy thinks in the env's
normalized observation. The batch gives both views, so a newsvendor and a PPO model are called the
same way. A learned policy observes through ``batch.observe`` and maps its actions to orders with the
action settings it was trained with (:class:`restock.agents.sb3.train.SB3Policy` wraps SB3's ``predict``;
DirectBackprop reads the same observation as torch features), so a model is judged exactly as it was
trained. A policy may carry ``observation_config`` / ``action_config`` attributes: the decision batches
:func:`restock.agents.evaluate.evaluate` builds for it use them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from restock.errors import InputError

if TYPE_CHECKING:
    from restock.envs.core import DecisionBatch
    from restock.simulator.policy import ReviewState


@runtime_checkable
class Policy(Protocol):
    """Orders for one node's decision points at a review (see the module docstring)."""

    name: str

    def act(self, batch: DecisionBatch, state: ReviewState) -> np.ndarray:
        """Order quantities [B] in units (finite, >= 0) for ``batch``'s node at ``state``."""
        ...


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
