"""Quantile demand forecasters: contract, registry, models, metrics and backtests.

Importing this package registers the built-in models into :mod:`restock.forecasters.registry`: the
error-model baselines (``statistical``), the pooled quantile forest, the exact true-distribution
forecaster of the synthetic catalog, and the MQ networks (``mq``, which imports torch). :func:`make` and
:func:`available` live here, where the models are imported.
"""

from __future__ import annotations

from typing import Any

from restock.forecasters import (  # noqa: F401  (imported to register the built-in models)
    mq,
    quantile_forest,
    statistical,
    true_distribution,
)
from restock.forecasters.base import Forecaster
from restock.forecasters.registry import REGISTRY, registered


def available() -> list[str]:
    """Names of all registered forecasters, sorted."""
    return sorted(REGISTRY)


def make(name: str, **params: Any) -> Forecaster:
    """Build the forecaster registered as ``name``; an unknown name lists the known ones."""
    return registered(name)(**params)


__all__ = ["Forecaster", "available", "make", "registered"]
