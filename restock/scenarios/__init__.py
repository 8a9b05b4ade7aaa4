"""Scenarios: a TOML schema, the built-in library, shocks, and the builder of worlds, paths and forecasts.

>>> from restock.scenarios import build_world, load
>>> scenario = load("steady", overrides=["horizon=28"])
>>> world, paths = build_world(scenario, seed=0, n_paths=2)
>>> paths.demand.shape  # [paths, periods, nodes, skus]
(2, 28, 1, 20)

Modules, each depending only on those before it: ``parsing``, ``amounts``, ``schema`` (the frozen
dataclasses), ``network``, ``cache``, ``catalog``, ``shocks``, ``validate`` (static checks), ``loader``
(files, overrides, families), ``build`` (drawing worlds and paths), ``forecast`` (forecast tables).
See ``docs/scenarios.md``.
"""

from __future__ import annotations

from restock.scenarios.build import ScenarioDraw, build_eval, build_world, draw
from restock.scenarios.forecast import ScenarioForecast, forecast_table
from restock.scenarios.loader import from_raw, list_builtin, load, read_raw
from restock.scenarios.schema import Scenario
from restock.scenarios.validate import validate

__all__ = [
    "Scenario",
    "ScenarioDraw",
    "ScenarioForecast",
    "build_eval",
    "build_world",
    "draw",
    "forecast_table",
    "from_raw",
    "list_builtin",
    "load",
    "read_raw",
    "validate",
]
