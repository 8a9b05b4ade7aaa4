"""The one protocol for everything that buys: baselines, the oracle, SB3 models and DirectBackprop.

A policy decides at a review for the B = P x N decision points of one node (a
:class:`~restock.envs.core.DecisionBatch`: the episode's world, paths, forecast table, observation and
action settings) in a :class:`~restock.simulator.policy.ReviewState`, and returns order quantities in
units, one per point, finite and >= 0.

Why not only SB3's ``predict(obs, deterministic)``: classical policies think in units (an inventory
position, a quantile of demand over lead time + review), and a learned policy thinks in the env's
normalized observation. The batch gives both views, so a newsvendor and a PPO model are called the
same way; :class:`ModelPolicy` adapts anything with SB3's ``predict`` shape (an SB3 model, a torch
module wrapper) through the env's own observation and action mapping, so a model is judged exactly as it
was trained.
"""

from __future__ import annotations

from dataclasses import dataclass
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


class Predictor(Protocol):
    """SB3's ``predict`` shape: normalized observations [B, F] -> actions [B] or [B, 1] in [-1, 1]."""

    def predict(
        self,
        observation: np.ndarray,
        state: Any = None,
        episode_start: Any = None,
        deterministic: bool = False,
    ) -> tuple[np.ndarray, Any]: ...


@dataclass
class ModelPolicy:
    """A model with SB3's ``predict`` shape, acting through the env's observation and action mapping."""

    model: Predictor
    name: str = "model"
    deterministic: bool = True

    def act(self, batch: DecisionBatch, state: ReviewState) -> np.ndarray:
        obs = batch.observe(state)
        action, _ = self.model.predict(obs, deterministic=self.deterministic)
        action = np.asarray(action, dtype=np.float64).reshape(batch.size)
        orders, _ = batch.orders(action, state)
        return checked_orders(self.name, orders, batch.size, state.t)


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
