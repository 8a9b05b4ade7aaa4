"""Demand data: the DemandPanel, loaders (M5, long, wide files) and the synthetic catalog."""
