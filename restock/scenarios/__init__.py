"""Scenarios: a TOML schema, the built-in library, shocks, and the builder of worlds, paths and forecasts.

>>> from restock.scenarios import build_world, load
>>> scenario = load("steady", overrides=["horizon=28"])
>>> world, paths = build_world(scenario, seed=0, n_paths=2)
>>> paths.demand.shape  # [paths, periods, nodes, skus]
(2, 28, 1, 20)

Modules, each depending only on those before it: ``library`` (the built-in files, raw TOML), ``parsing``,
``amounts``, ``schema`` (the frozen dataclasses), ``network``, ``cache``, ``catalog``, ``shocks``,
``validate`` (static checks), ``loader`` (overrides, families, parsing, validation), ``build`` (drawing
worlds and paths), ``forecast`` (forecast tables). The package's names are imported on first use
(static checks: ``restock.scenarios.validate.validate``; the package attribute ``validate`` is that module).
See ``docs/scenarios.md``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from restock.scenarios.build import ScenarioDraw, build_eval, build_world, draw
    from restock.scenarios.forecast import ScenarioForecast, forecast_table
    from restock.scenarios.library import list_builtin, read_raw
    from restock.scenarios.loader import from_raw, load
    from restock.scenarios.schema import Scenario

_EXPORTS: dict[str, str] = {
    "Scenario": "schema",
    "ScenarioDraw": "build",
    "ScenarioForecast": "forecast",
    "build_eval": "build",
    "build_world": "build",
    "draw": "build",
    "forecast_table": "forecast",
    "from_raw": "loader",
    "list_builtin": "library",
    "load": "loader",
    "read_raw": "library",
}
"""Public name -> the module that defines it. Names are imported on first use (PEP 562), so that reading
scenario files (``restock scenarios list``) does not import numpy, scipy and pandas, which drawing paths
and building forecast tables need."""

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
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'restock.scenarios' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"restock.scenarios.{module}"), name)
    globals()[name] = value
    return value
