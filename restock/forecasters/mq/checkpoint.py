"""Checkpoints of the MQ forecasters: weights plus everything needed to predict and to refuse misuse.

A checkpoint is one ``torch.save`` file (loaded with ``weights_only=True``: plain types and tensors only)::

    format        "restock.mq/1"
    model         registered name ("mqrnn", "mqcnn", "mqtransformer")
    config        MQConfig.to_dict()
    features      FeatureSpec.to_dict(): the grid, covariates, static attributes and their vocabularies
    context       the resolved context length
    state_dict    the network's weights
    launch        fallback quantiles for series without history: {"per_bucket", "cumulative"} [H, Q]
    train         best epoch, epochs run, best validation loss, per-epoch history

Loading a file that is not such a checkpoint, or one of another model, raises :class:`InputError`; a panel
whose feature set differs from ``features`` is refused when it is passed to ``load`` or ``predict``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from restock.errors import InputError
from restock.io import atomic_path

FORMAT = "restock.mq/1"


def save_checkpoint(path: str | os.PathLike[str], payload: dict[str, Any]) -> Path:
    """Write ``payload`` (with ``format`` added) atomically."""
    with atomic_path(path) as tmp:
        torch.save({"format": FORMAT, **payload}, tmp)
    return Path(path)


def read_checkpoint(path: str | os.PathLike[str], expect_model: str | None = None) -> dict[str, Any]:
    """Read and check a checkpoint; ``expect_model`` refuses one of another model."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"checkpoint {p}: no such file")
    try:
        data = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types on foreign or corrupt files
        raise InputError(f"checkpoint {p}: not a readable torch checkpoint ({type(exc).__name__})") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        found = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise InputError(f"checkpoint {p}: format must be {FORMAT!r}, got {found!r}")
    if expect_model is not None and data.get("model") != expect_model:
        raise InputError(f"checkpoint {p}: model is {data.get('model')!r}, expected {expect_model!r}")
    return data
