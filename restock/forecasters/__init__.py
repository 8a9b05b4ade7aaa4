"""Quantile demand forecasters: contract, registry, models, metrics and backtests.

Importing this package registers the built-in models (``base.make`` / ``base.available`` rely on it).
"""

from restock.forecasters import (  # noqa: F401  (imported to register the built-in models)
    quantile_forest,
    statistical,
    true_distribution,
)
