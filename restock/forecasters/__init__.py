"""Quantile demand forecasters: contract, registry, models, metrics and backtests.

Importing this package registers the built-in models (``base.make`` / ``base.available`` rely on it):
the error-model baselines (``statistical``), the pooled quantile forest, the exact true-distribution
forecaster of the synthetic catalog, and the MQ networks (``mq``, which imports torch).
"""

from restock.forecasters import (  # noqa: F401  (imported to register the built-in models)
    mq,
    quantile_forest,
    statistical,
    true_distribution,
)
