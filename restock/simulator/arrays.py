"""Elementwise helpers that take numpy arrays, torch tensors and scalars alike, without importing torch.

The des engine (numpy) must run where torch is not installed or not imported; the batch engine (torch)
passes tensors through the same rules. A value can only be a tensor once torch has been imported, so the
helpers look torch up in ``sys.modules`` instead of importing it.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np


def is_tensor(x: Any) -> bool:
    """Whether ``x`` is a torch tensor (False whenever torch is not imported)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.Tensor)


def like(value: Any, ref: Any) -> Any:
    """``value`` as a tensor with ``ref``'s dtype and device when ``ref`` is a tensor, else as given."""
    if is_tensor(ref):
        if isinstance(value, np.ndarray):  # torch takes no negative strides (a reversed view)
            value = np.ascontiguousarray(value)
        return sys.modules["torch"].as_tensor(value, dtype=ref.dtype, device=ref.device)
    return value


def minimum(a: Any, b: Any) -> Any:
    """Elementwise minimum for numpy arrays, torch tensors and scalars."""
    if type(a) is np.ndarray and type(b) is np.ndarray:  # the des engine's case, checked first
        return np.minimum(a, b)
    torch = sys.modules.get("torch")
    if torch is not None:
        a_tensor, b_tensor = isinstance(a, torch.Tensor), isinstance(b, torch.Tensor)
        if a_tensor and b_tensor and a.dtype == b.dtype and a.device == b.device:  # the batch engine's
            return torch.minimum(a, b)
        if a_tensor or b_tensor:
            ref = a if a_tensor else b
            return torch.minimum(like(a, ref), like(b, ref))
    return np.minimum(a, b)


def where(condition: Any, a: Any, b: Any) -> Any:
    """``a`` where ``condition`` holds, else ``b``: ``torch.where`` when any argument is a tensor."""
    torch = sys.modules.get("torch")
    if torch is not None:
        ref = next((x for x in (a, b, condition) if isinstance(x, torch.Tensor)), None)
        if ref is not None:
            if not isinstance(condition, torch.Tensor):
                condition = torch.as_tensor(condition, device=ref.device)
            return torch.where(condition, like(a, ref) if isinstance(a, np.ndarray) else a, b)
    return np.where(condition, a, b)


def relu(a: Any) -> Any:
    """max(a, 0), keeping torch tensors differentiable."""
    if is_tensor(a):
        return a.clamp(min=0.0)
    return np.maximum(a, 0.0)


def floor(a: Any) -> Any:
    """Elementwise floor (no gradient through it in torch: use :func:`straight_through`)."""
    return a.floor() if is_tensor(a) else np.floor(a)


def straight_through(x: Any, value: Any) -> Any:
    """``value`` in the forward pass, with the gradient of ``x`` (a straight-through estimator:
    ``x + (value - x).detach()`` on torch tensors; numpy has no gradient and takes ``value``)."""
    if is_tensor(x):
        return x + (value - x).detach()
    return value


def to_numpy(x: Any) -> np.ndarray:
    """A numpy float64 array of an engine array (numpy or torch, on any device)."""
    if is_tensor(x):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=np.float64)
