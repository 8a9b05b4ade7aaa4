"""Benchmark families: a ``[family]`` section that fills the rest of a scenario from one instance name.

``zipkin-lost-sales`` — Zipkin (2008), "Old and new methods for lost-sales inventory systems", Operations
Research 56(5): one SKU, Poisson(5) demand per period, a review every period, holding cost h = 1 per unit of
end-of-period on-hand, lost-sales penalty p, deterministic lead time L, no purchase cost and no price, so
that profit = -(holding + penalty) and minus the average profit per period is his average cost. The
published table covers p in {4, 9, 19, 39} and L in {1, 2, 3, 4}; an instance is named ``"p<p>-L<L>"``
(``"p9-L2"``). Any p > 0 and L >= 1 is accepted.

``dual-sourcing`` — the dual-sourcing instances of Gijsbrechts, Boute, Van Mieghem & Zhang (2022), "Can
deep reinforcement learning improve inventory management?", MSOM: one SKU, a review every period,
backorders, a regular vendor with lead time L_r in {2, 3, 4} at unit cost 100 and an expedited vendor with
lead time 0 at unit cost c_e in {105, 110}, holding 5 per unit on hand and backorder cost 495 per unit
backordered at the end of a period, no price, so that minus the average profit per period is their
average cost. They draw demand uniformly on {0, ..., 4}: ``family.demand = "uniform"`` draws exactly that
(a ``pmf`` demand; ``restock oracle dual-sourcing --demand pmf:0.2,0.2,0.2,0.2,0.2`` solves it); the
default, ``"poisson"``, draws Poisson(2), which has the same mean and variance (2) (``--demand
poisson:2``). An instance is named ``"L<L_r>-c<c_e>"`` (``"L2-c105"``); any L_r >= 1 and c_e >= 100 is
accepted.

Lead-time convention: Zipkin's L is **our** L (an order placed in period t arrives at the start of t + L,
before that period's demand). The exact-oracle work found this by reproducing his optimal costs
(``restock/agents/oracle/conventions.py``, ``ZIPKIN_OFFSET = 0``); :data:`ZIPKIN_OFFSET` here must equal it
(a test checks), since scenarios may not import agents.
"""

from __future__ import annotations

import re
from typing import Any

from restock.errors import InputError

ZIPKIN_OFFSET = 0
"""Our lead time minus Zipkin (2008)'s lead time for the same system."""

ZIPKIN_MEAN_DEMAND = 5.0
ZIPKIN_PENALTIES = (4, 9, 19, 39)
ZIPKIN_LEAD_TIMES = (1, 2, 3, 4)

_INSTANCE = re.compile(r"^p(\d+(?:\.\d+)?)-L(\d+)$")

DUAL_REGULAR_COST = 100.0
DUAL_HOLDING = 5.0
DUAL_BACKORDER = 495.0
DUAL_MEAN_DEMAND = 2.0
DUAL_UNIFORM_PMF = (0.2, 0.2, 0.2, 0.2, 0.2)
"""Gijsbrechts et al.'s demand: uniform on {0, ..., 4} (mean 2, variance 2)."""
DUAL_DEMANDS = ("poisson", "uniform")
DUAL_LEAD_TIMES = (2, 3, 4)
DUAL_EXPEDITED_COSTS = (105, 110)
_DUAL = re.compile(r"^L(\d+)-c(\d+(?:\.\d+)?)$")
FAMILIES = ("zipkin-lost-sales", "dual-sourcing")


def zipkin_instance(instance: str, source: str) -> tuple[float, int]:
    """``(p, L in our convention)`` of an instance name such as ``"p9-L2"``."""
    m = _INSTANCE.match(instance)
    if not m or float(m.group(1)) <= 0 or int(m.group(2)) < 1:
        raise InputError(
            f"scenario {source}: key 'family.instance' must look like 'p9-L2' (p > 0, L >= 1; published: "
            f"p in {list(ZIPKIN_PENALTIES)}, L in {list(ZIPKIN_LEAD_TIMES)}), got {instance!r}"
        )
    return float(m.group(1)), int(m.group(2)) + ZIPKIN_OFFSET


def dual_instance(instance: str, source: str) -> tuple[int, float]:
    """``(regular lead time, expedited unit cost)`` of a dual-sourcing instance name such as ``"L2-c105"``."""
    m = _DUAL.match(instance)
    if not m or int(m.group(1)) < 1 or float(m.group(2)) < DUAL_REGULAR_COST:
        raise InputError(
            f"scenario {source}: key 'family.instance' must look like 'L2-c105' (regular lead time >= 1, "
            f"expedited cost >= {DUAL_REGULAR_COST:g}; published: L in {list(DUAL_LEAD_TIMES)}, c in "
            f"{list(DUAL_EXPEDITED_COSTS)}), got {instance!r}"
        )
    return int(m.group(1)), float(m.group(2))


def family_settings(family: dict[str, Any], source: str) -> dict[str, Any]:
    """Dotted key -> value that the family sets."""
    name = family.get("name")
    if name not in FAMILIES:
        raise InputError(
            f"scenario {source}: key 'family.name' must be one of {list(FAMILIES)}, got {name!r}"
        )
    instance = family.get("instance")
    example = "p9-L2" if name == "zipkin-lost-sales" else "L2-c105"
    if not isinstance(instance, str):
        raise InputError(
            f"scenario {source}: key 'family.instance' must be a string like {example!r}, got {instance!r}"
        )
    demand = family.get("demand")
    if name == "dual-sourcing":
        if demand not in (None, *DUAL_DEMANDS):
            raise InputError(
                f"scenario {source}: key 'family.demand' must be one of {list(DUAL_DEMANDS)}, got {demand!r}"
            )
        return _dual_settings(*dual_instance(instance, source), demand=demand or "poisson")
    if demand is not None:
        raise InputError(f"scenario {source}: key 'family.demand' is only for the dual-sourcing family")
    p, lead = zipkin_instance(instance, source)
    return {
        "review_period": 1,
        "review_offset": 0,
        "catalog.n_skus": 1,
        "demand.kind": "stationary",
        "demand.distribution": "poisson",
        "demand.mean": ZIPKIN_MEAN_DEMAND,
        "economics.price": 0.0,
        "economics.unit_cost": 0.0,
        "economics.holding_cost": 1.0,
        "economics.lost_sale_penalty": p,
        "economics.fixed_order_cost": 0.0,
        "economics.salvage_value": 0.0,
        "vendors": [{"name": "vendor", "lead_time": {"kind": "deterministic", "value": lead}}],
        "nodes": [{"name": "store", "source": "vendor", "backorder": False}],
    }


def _dual_settings(regular_lead: int, expedited_cost: float, demand: str = "poisson") -> dict[str, Any]:
    """The settings of one dual-sourcing instance (the module docstring)."""
    if demand == "uniform":
        demand_keys: dict[str, Any] = {"demand.distribution": "pmf", "demand.pmf": list(DUAL_UNIFORM_PMF)}
    else:
        demand_keys = {"demand.distribution": "poisson", "demand.mean": DUAL_MEAN_DEMAND}
    return {
        "review_period": 1,
        "review_offset": 0,
        "catalog.n_skus": 1,
        "demand.kind": "stationary",
        **demand_keys,
        "economics.price": 0.0,
        "economics.unit_cost": DUAL_REGULAR_COST,
        "economics.holding_cost": DUAL_HOLDING,
        "economics.lost_sale_penalty": DUAL_BACKORDER,
        "economics.fixed_order_cost": 0.0,
        "economics.salvage_value": 0.0,
        "vendors": [
            {"name": "regular", "lead_time": {"kind": "deterministic", "value": regular_lead}},
            {
                "name": "expedited",
                "lead_time": {"kind": "deterministic", "value": 0},
                "unit_cost_factor": expedited_cost / DUAL_REGULAR_COST,
            },
        ],
        "nodes": [{"name": "store", "source": "regular", "extra_sources": ["expedited"], "backorder": True}],
    }


def apply_family(raw: dict[str, Any], source: str) -> dict[str, Any]:
    """``raw`` with its family's settings filled in; a file that sets one of them differently is an error."""
    if "family" not in raw:
        return raw
    if not isinstance(raw["family"], dict):
        raise InputError(f"scenario {source}: key 'family' must be a table, got {raw['family']!r}")
    out = dict(raw)
    for key, value in family_settings(raw["family"], source).items():
        parts = key.split(".")
        node = out
        for part in parts[:-1]:
            sub = node.get(part, {})
            if not isinstance(sub, dict):
                raise InputError(f"scenario {source}: key {part!r} must be a table, got {sub!r}")
            node[part] = dict(sub)
            node = node[part]
        if parts[-1] in node and node[parts[-1]] != value:
            raise InputError(
                f"scenario {source}: key {key!r} is set by family {raw['family'].get('name')!r} "
                f"(instance {raw['family'].get('instance')!r}) to {value!r}; remove it, "
                f"got {node[parts[-1]]!r}"
            )
        node[parts[-1]] = value
    return out
