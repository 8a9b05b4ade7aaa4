"""The registry of forecasters by name: model modules register their classes into it.

This module imports no model up front. The built-in models are known by name and module
(:data:`BUILTIN`) and imported the first time one of them is asked for, so that naming, listing and
validating models (``restock scenarios ...``) does not import torch or statsforecast.
:mod:`restock.forecasters` offers :func:`restock.forecasters.make` and :func:`restock.forecasters.available`
over this registry.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from restock.errors import InputError
from restock.forecasters.base import Forecaster

REGISTRY: dict[str, Callable[..., Forecaster]] = {}
"""Forecaster classes by registered name (the built-ins once their module is imported)."""
BUILTIN: dict[str, str] = {
    "seasonal-naive": "restock.forecasters.statistical",
    "ets": "restock.forecasters.statistical",
    "croston": "restock.forecasters.statistical",
    "tsb": "restock.forecasters.statistical",
    "quantile-forest": "restock.forecasters.quantile_forest",
    "true-distribution": "restock.forecasters.true_distribution",
    "mqrnn": "restock.forecasters.mq.forecaster",
    "mqcnn": "restock.forecasters.mq.forecaster",
    "mqtransformer": "restock.forecasters.mq.forecaster",
}
"""The built-in models: name -> the module that registers it (imported on first use)."""


def names() -> list[str]:
    """Every forecaster name: the built-ins and whatever else registered, sorted."""
    return sorted(set(BUILTIN) | set(REGISTRY))


def register(name: str) -> Callable[[type], type]:
    """Class decorator: make a forecaster available as ``make(name)`` and ``--model name``."""

    def deco(cls: type) -> type:
        if name in REGISTRY:
            raise ValueError(f"forecaster {name!r} is registered twice")
        cls.name = name  # type: ignore[attr-defined]
        REGISTRY[name] = cls
        return cls

    return deco


def registered(name: str) -> Callable[..., Forecaster]:
    """The class registered as ``name``; an unknown name lists the known ones."""
    if name not in REGISTRY and name in BUILTIN:
        importlib.import_module(BUILTIN[name])
    if name not in REGISTRY:
        raise InputError(f"unknown forecaster {name!r}; known: {', '.join(names())}")
    return REGISTRY[name]
