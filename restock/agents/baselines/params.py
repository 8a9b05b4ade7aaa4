"""Per-decision-point parameters of the classical policies (pure helpers).

A baseline's parameter (a level, a quantity, a quantile level) is given per node and SKU and broadcast
to the B = P x N decision points of a :class:`~restock.envs.observer.Observer` (path-major: point ``i``
is path ``i // N``, SKU ``i % N``):

* a scalar: the same for every node, SKU and path;
* an array [M, N] (or [N], for every node): per node and SKU, the same on every path;
* an array [P, M, N]: per path too (what the tuner uses to try many candidates in one rollout: the
  candidate grid is stacked along the path axis).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from restock.errors import InputError

if TYPE_CHECKING:
    from restock.envs.observer import Observer


def as_param(name: str, value: Any, *, low: float | None = 0.0, allow_inf: bool = False) -> np.ndarray:
    """``value`` as a float64 array, finite (or +inf if ``allow_inf``) and >= ``low`` (None: no lower
    bound) (an :class:`InputError` names the bad entry)."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number or an array of numbers, got {value!r}") from None
    if arr.ndim > 3:
        raise InputError(f"{name} must be a scalar, [N], [M, N] or [P, M, N], got shape {arr.shape}")
    ok = np.isfinite(arr) | (allow_inf & (arr == np.inf))
    bad = ~ok if low is None else ~ok | (arr < low)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        bound = "" if low is None else f" and >= {low:g}"
        raise InputError(f"{name}{list(idx)} must be finite{bound}, got {float(arr[idx])!r}")
    return arr


def per_point(name: str, arr: np.ndarray, batch: Observer) -> np.ndarray:
    """The parameter ``arr`` (see the module docstring) for ``batch``'s node, as [B]."""
    p, n, node = batch.n_paths, batch.n_skus, batch.node
    if arr.ndim == 0:
        return np.full(batch.size, float(arr))
    if arr.ndim == 1:
        if arr.shape[0] != n:
            raise InputError(f"{name} has {arr.shape[0]} entries, the scenario has {n} SKUs")
        return np.tile(arr, p)
    if arr.ndim == 2:
        if arr.shape[1] != n or arr.shape[0] <= node:
            raise InputError(f"{name} has shape {arr.shape}, expected [nodes, {n}] covering node {node}")
        return np.tile(arr[node], p)
    if arr.shape[0] != p or arr.shape[2] != n or arr.shape[1] <= node:
        raise InputError(f"{name} has shape {arr.shape}, expected [{p}, nodes, {n}]")
    return np.ascontiguousarray(arr[:, node]).reshape(batch.size)
