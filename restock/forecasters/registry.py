"""The registry of forecasters by name: model modules register their classes into it.

This module imports no model; :mod:`restock.forecasters` (the package) imports the built-in models, so
that they are registered, and offers :func:`restock.forecasters.make` and
:func:`restock.forecasters.available` over this registry.
"""

from __future__ import annotations

from collections.abc import Callable

from restock.errors import InputError
from restock.forecasters.base import Forecaster

REGISTRY: dict[str, Callable[..., Forecaster]] = {}
"""Forecaster classes by registered name."""


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
    if name not in REGISTRY:
        raise InputError(f"unknown forecaster {name!r}; known: {', '.join(sorted(REGISTRY))}")
    return REGISTRY[name]
