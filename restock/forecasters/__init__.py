"""Quantile demand forecasters: contract, registry, models, metrics and backtests.

The built-in models are the error-model baselines (``statistical``), the pooled quantile forest, the
exact true-distribution forecaster of the synthetic catalog, and the MQ networks (``mq``, which imports
torch). :mod:`restock.forecasters.registry` knows them by name and imports a model's module the first time
it is made, so importing this package stays light.
"""

from __future__ import annotations

from typing import Any

from restock.forecasters.base import Forecaster
from restock.forecasters.registry import names, registered


def available() -> list[str]:
    """Names of all forecasters (the built-ins and any other registered), sorted."""
    return names()


def make(name: str, **params: Any) -> Forecaster:
    """Build the forecaster registered as ``name``; an unknown name lists the known ones."""
    return registered(name)(**params)


__all__ = ["Forecaster", "available", "make", "registered"]
