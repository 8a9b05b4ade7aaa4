"""Quantile demand forecasters: contract, registry, models, metrics and backtests.

Importing this package registers the built-in models (``base.make`` / ``base.available`` rely on it).
"""

from restock.forecasters import statistical  # noqa: F401  (registers seasonal-naive, ets, croston, tsb)
