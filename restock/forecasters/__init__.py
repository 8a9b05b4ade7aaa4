"""Quantile demand forecasters: contract, registry, models, metrics and backtests."""
