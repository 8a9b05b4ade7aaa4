"""Small scenario tables for tests, built as TOML dicts so each test states exactly what it changes."""

from __future__ import annotations

import copy
from typing import Any

from restock.scenarios import Scenario, from_raw

BASE: dict[str, Any] = {
    "name": "test",
    "description": "A small stationary world for tests.",
    "horizon": 28,
    "review_period": 7,
    "warmup": 14,
    "seeds": {"root": 0, "catalog": 0, "n_paths": 2},
    "catalog": {
        "n_skus": 6,
        "categories": [
            {"name": "staples", "share": 0.5, "elasticity": -1.0},
            {"name": "apparel", "share": 0.5, "elasticity": -2.0},
        ],
    },
    "demand": {"kind": "stationary", "distribution": "poisson", "mean": 4.0},
    "economics": {"price": 10.0, "unit_cost": "0.6 * price", "holding_cost": "0.25 * cost / year"},
    "vendors": [
        {"name": "vendor", "lead_time": {"kind": "deterministic", "value": 3}, "capacity": 100.0},
        {"name": "backup", "lead_time": {"kind": "deterministic", "value": 5}},
    ],
    "nodes": [
        {"name": "store", "source": "vendor"},
        {"name": "outlet", "source": "backup"},
    ],
}


def raw(**changes: Any) -> dict[str, Any]:
    """A deep copy of BASE with top-level keys replaced."""
    out = copy.deepcopy(BASE)
    out.update(copy.deepcopy(changes))
    return out


def scenario(**changes: Any) -> Scenario:
    return from_raw(raw(**changes), "test.toml")


def with_shocks(*shocks: dict[str, Any], **changes: Any) -> Scenario:
    return scenario(shocks=list(shocks), **changes)
