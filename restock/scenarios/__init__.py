"""Scenarios: a TOML schema, the built-in library, shocks, and the builder of worlds, paths and forecasts.

>>> from restock.scenarios import load
>>> scenario = load("steady", overrides=["horizon=28"])
>>> world, paths = scenario.build(seed=0, n_paths=2)
>>> paths.demand.shape  # [paths, periods, nodes, skus]
(2, 28, 1, 20)

See ``docs/scenarios.md`` for the file format and the library.
"""

from __future__ import annotations

from restock.scenarios.build import ScenarioDraw, draw
from restock.scenarios.loader import from_raw, list_builtin, load, read_raw
from restock.scenarios.schema import Scenario

__all__ = ["Scenario", "ScenarioDraw", "draw", "from_raw", "list_builtin", "load", "read_raw"]
