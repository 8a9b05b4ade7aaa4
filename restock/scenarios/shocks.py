"""Shocks: what changes in a window [start, end) of periods, applied to the exogenous paths.

=====================  =============================================================================
kind                   effect (targets: ``skus`` or ``category``, else every SKU; ``node``; ``vendor``)
=====================  =============================================================================
demand_multiplier      demand of the targeted SKUs (at ``node``, else every node) x ``factor`` in the window
demand_curve           demand x a curve: ``curve`` values at equally spaced points from start to end - 1,
                       linearly interpolated in between (a season, a fading tail)
launch                 new products: the targeted SKUs have no demand before ``start`` (and no history),
                       ramp up linearly over the window ((t - start + 1) / (end - start)) and sell
                       fully from ``end`` on; they start with no stock
price_change           price x ``factor`` in the window, and demand x ``factor ** elasticity`` of each
                       SKU's category (a 20% promotion at elasticity -2 multiplies demand by 1.5625)
lead_time_multiplier   vendor: lead times of orders placed in the window x ``factor`` (rounded)
fill_rate_drop         vendor: fill rates of orders placed in the window x ``factor`` (in [0, 1])
capacity_cut           vendor: capacity for orders placed in the window x ``factor`` (in [0, 1]; the
                       vendor needs a finite capacity)
vendor_outage          vendor: nothing arrives in the window; shipments due in it arrive at ``end``
transfer_delay         node fed by another node: transfers ordered in the window take ``periods`` longer
inbound_cut            ``node``: its shared inbound capacity at reviews in the window x ``factor`` (in
                       [0, 1]; the node needs a finite ``inbound_capacity``): a peak season, a strike
storage_cut            ``node``: its shared storage volume in the window x ``factor`` (in [0, 1]; the
                       node needs a finite ``storage_volume``): shelves given to a promotion, a flood
=====================  =============================================================================

Demand shocks multiply the demand *rate* of stationary synthetic demand, which is then drawn by
inversion from the same uniforms as without the shock (so demand stays in whole units, or real numbers
for the normal model, is unchanged outside the window and common random numbers hold across
scenarios); replayed data has no rate, so its values are multiplied (a fractional factor gives
fractional units, which the simulator allows).
Demand multipliers of overlapping shocks compose (they multiply); two shocks of a kind that sets a
value (price_change, launch, the vendor kinds except outages, transfer_delay) on overlapping windows and
targets contradict each other and are an error.

Vendor shocks become :class:`restock.simulator.world.Disruption` s of the vendor, so the world records
them and :func:`restock.simulator.paths.sample_paths` applies them; transfer delays are added to the
sampled lead times; demand and price shocks are applied while demand and prices are drawn.
The windows are in simulated periods; the warm-up history is never shocked (except that a launched
product has none).
"""

from __future__ import annotations

import math

import numpy as np

from restock.errors import InputError
from restock.scenarios.catalog import Catalog
from restock.scenarios.network import limit_path
from restock.scenarios.parsing import Where
from restock.scenarios.schema import Scenario, ShockConfig
from restock.simulator.world import Disruption, DisruptionKind

DEMAND_KINDS = ("demand_multiplier", "demand_curve", "launch", "price_change")
VENDOR_KINDS = ("lead_time_multiplier", "fill_rate_drop", "capacity_cut", "vendor_outage")
SETTING_KINDS = (
    "price_change",
    "launch",
    "lead_time_multiplier",
    "fill_rate_drop",
    "capacity_cut",
    "transfer_delay",
    "inbound_cut",
    "storage_cut",
)
"""Kinds that set a value: two of one kind may not overlap in window and target."""

_DISRUPTION: dict[str, DisruptionKind] = {
    "lead_time_multiplier": "lead_time_multiplier",
    "fill_rate_drop": "fill_rate_multiplier",
    "capacity_cut": "capacity_multiplier",
    "vendor_outage": "outage",
}
_ALLOWED_TARGETS = {
    "demand_multiplier": {"skus", "category", "node"},
    "demand_curve": {"skus", "category", "node"},
    "launch": {"skus", "category"},
    "price_change": {"skus", "category"},
    "lead_time_multiplier": {"vendor"},
    "fill_rate_drop": {"vendor"},
    "capacity_cut": {"vendor"},
    "vendor_outage": {"vendor"},
    "transfer_delay": {"node"},
    "inbound_cut": {"node"},
    "storage_cut": {"node"},
}


_LIMIT_CUTS = {"inbound_cut": "inbound_capacity", "storage_cut": "storage_volume"}
"""The shocks that cut a node's shared limit, and the limit (a key of ``nodes.<i>``)."""


def _where(scenario: Scenario, i: int) -> Where:
    return Where(scenario.source, f"shocks.{i}")


def _targets_set(s: ShockConfig) -> set[str]:
    out = set()
    if s.skus:
        out.add("skus")
    for name in ("category", "node", "vendor"):
        if getattr(s, name) is not None:
            out.add(name)
    return out


def validate_shocks(scenario: Scenario) -> None:
    """Static checks of every shock (windows, targets named, factors); :func:`check_targets` checks the
    targets against a catalog."""
    vendors = {v.name: v for v in scenario.vendors}
    nodes = {n.name: n for n in scenario.nodes}
    for i, s in enumerate(scenario.shocks):
        w = _where(scenario, i)
        if not 0 <= s.start < s.end <= scenario.horizon:
            raise w.refuse(
                f"window [start, end) = [{s.start}, {s.end}) must satisfy "
                f"0 <= start < end <= horizon ({scenario.horizon})"
            )
        extra = _targets_set(s) - _ALLOWED_TARGETS[s.kind]
        if extra:
            name = sorted(extra)[0]
            raise w.child(name).error(getattr(s, name), f"does not apply to a {s.kind!r} shock")
        if s.skus and s.category is not None:
            raise w.child("category").error(s.category, "cannot be combined with skus (give one target)")
        needs_factor = s.kind not in ("demand_curve", "launch", "vendor_outage", "transfer_delay")
        if needs_factor:
            if s.factor is None:
                raise InputError(
                    f"scenario {w.source}: key '{w.key}.factor' is required for a {s.kind!r} shock"
                )
            upper = 1.0 if s.kind in ("fill_rate_drop", "capacity_cut", *_LIMIT_CUTS) else math.inf
            positive = s.kind in ("price_change", "lead_time_multiplier")
            ok = (
                math.isfinite(s.factor)
                and (s.factor > 0 if positive else s.factor >= 0)
                and s.factor <= upper
            )
            if not ok:
                bound = f"in [0, {upper:g}]" if upper < math.inf else ("> 0" if positive else ">= 0")
                raise w.child("factor").error(s.factor, f"must be finite and {bound} for a {s.kind!r} shock")
        elif s.factor is not None:
            raise w.child("factor").error(s.factor, f"does not apply to a {s.kind!r} shock")
        if s.kind == "demand_curve":
            if len(s.curve) < 2 or any(not (math.isfinite(c) and c >= 0) for c in s.curve):
                raise w.child("curve").error(list(s.curve), "must hold at least 2 finite values >= 0")
        elif s.curve:
            raise w.child("curve").error(list(s.curve), f"does not apply to a {s.kind!r} shock")
        if s.kind in _LIMIT_CUTS:
            limit = _LIMIT_CUTS[s.kind]
            if s.node is None:
                raise InputError(f"scenario {w.source}: key '{w.key}.node' is required for a {s.kind}")
            if s.node in nodes and np.isinf(getattr(nodes[s.node], limit)).all():  # a number or a path
                raise w.child("node").error(
                    s.node, f"has an unlimited {limit}: a {s.kind} needs nodes.<i>.{limit}"
                )
        if s.kind == "transfer_delay":
            if s.periods is None or s.periods < 1:
                raise w.child("periods").error(s.periods, "must be an integer >= 1 for a transfer_delay")
            if s.node is None:
                raise InputError(f"scenario {w.source}: key '{w.key}.node' is required for a transfer_delay")
        elif s.periods is not None:
            raise w.child("periods").error(s.periods, f"does not apply to a {s.kind!r} shock")
        if s.node is not None:
            node = nodes.get(s.node)
            if node is None:
                raise w.child("node").error(s.node, f"must name a node ({', '.join(nodes)})")
            if s.kind == "transfer_delay" and node.source in vendors:
                raise w.child("node").error(s.node, "must be fed by another node (it is fed by a vendor)")
            if s.kind in DEMAND_KINDS and not node.customer_facing:
                raise w.child("node").error(s.node, "must be customer-facing for a demand shock")
        if s.vendor is not None:
            if s.vendor not in vendors:
                raise w.child("vendor").error(s.vendor, f"must name a vendor ({', '.join(vendors)})")
        if s.kind == "capacity_cut":
            for v in [vendors[s.vendor]] if s.vendor else list(vendors.values()):
                if math.isinf(v.capacity):
                    raise w.child("vendor").error(
                        v.name, "has unlimited capacity: a capacity_cut needs vendors.<i>.capacity set"
                    )


def sku_mask(scenario: Scenario, i: int, catalog: Catalog) -> np.ndarray:
    """[N] bool: the SKUs shock ``i`` targets (every SKU when it names none)."""
    s = scenario.shocks[i]
    w = _where(scenario, i)
    if s.skus:
        unknown = [x for x in s.skus if x not in set(catalog.skus)]
        if unknown:
            raise w.child("skus").error(list(s.skus), f"names SKUs not in the catalog: {unknown[:5]}")
        return np.isin(np.array(catalog.skus), np.array(s.skus))
    if s.category is not None:
        mask = np.array([c == s.category for c in catalog.category], dtype=bool)
        if not mask.any():
            raise w.child("category").error(
                s.category, f"matches no SKU (categories in the catalog: {', '.join(catalog.categories())})"
            )
        return mask
    return np.ones(catalog.n_skus, dtype=bool)


def node_mask(scenario: Scenario, i: int) -> np.ndarray:
    """[M] bool: the nodes shock ``i`` targets (every node when it names none)."""
    s = scenario.shocks[i]
    names = [n.name for n in scenario.nodes]
    return np.array([s.node is None or s.node == n for n in names], dtype=bool)


def check_targets(scenario: Scenario, catalog: Catalog) -> None:
    """Every target matches something, and no two value-setting shocks of one kind overlap."""
    masks = [sku_mask(scenario, i, catalog) for i in range(len(scenario.shocks))]
    shocks = scenario.shocks
    for i, a in enumerate(shocks):
        for j in range(i):
            b = shocks[j]
            if a.kind != b.kind or a.kind not in SETTING_KINDS:
                continue
            windows = a.start < b.end and b.start < a.end
            if a.kind == "launch":
                windows = True  # a product is launched once
            same_target = bool((masks[i] & masks[j]).any()) and (
                a.node is None or b.node is None or a.node == b.node
            )
            if a.kind in VENDOR_KINDS:
                same_target = a.vendor is None or b.vendor is None or a.vendor == b.vendor
            if windows and same_target:
                raise InputError(
                    f"scenario {scenario.source}: keys 'shocks.{j}' and 'shocks.{i}' contradict each other: "
                    f"two {a.kind!r} shocks on the same target overlap "
                    f"([{b.start}, {b.end}) and [{a.start}, {a.end}))"
                )


def vendor_disruptions(scenario: Scenario) -> tuple[tuple[str, Disruption], ...]:
    """(vendor name, disruption) for every vendor shock, in file order."""
    out: list[tuple[str, Disruption]] = []
    for s in scenario.shocks:
        if s.kind not in VENDOR_KINDS:
            continue
        d = Disruption(_DISRUPTION[s.kind], s.start, s.end, 1.0 if s.factor is None else s.factor)
        for v in scenario.vendors:
            if s.vendor is None or s.vendor == v.name:
                out.append((v.name, d))
    return tuple(out)


def demand_factors(scenario: Scenario, catalog: Catalog) -> np.ndarray:
    """[T, M, N] multipliers of demand in the simulated periods (all shocks composed)."""
    t_len, m, n = scenario.horizon, len(scenario.nodes), catalog.n_skus
    out = np.ones((t_len, m, n))
    t = np.arange(t_len)
    for i, s in enumerate(scenario.shocks):
        if s.kind not in DEMAND_KINDS:
            continue
        skus, nodes = sku_mask(scenario, i, catalog), node_mask(scenario, i)
        f = np.ones(t_len)
        inside = (t >= s.start) & (t < s.end)
        if s.kind == "demand_multiplier":
            f[inside] = s.factor
        elif s.kind == "demand_curve":
            points = np.linspace(s.start, s.end - 1, len(s.curve))
            f[inside] = np.interp(t[inside], points, s.curve)
        elif s.kind == "launch":
            f[t < s.start] = 0.0
            f[inside] = (t[inside] - s.start + 1) / (s.end - s.start)
        sel = np.ix_(np.ones(t_len, dtype=bool), nodes, skus)
        if s.kind == "price_change":
            assert s.factor is not None
            g = np.ones((t_len, n))
            g[inside] = s.factor ** catalog.elasticity[None, :]
            out[sel] *= g[:, None, skus]
        else:
            out[sel] *= f[:, None, None]
    return out


def price_factors(scenario: Scenario, catalog: Catalog) -> np.ndarray:
    """[T, N] multipliers of the selling price in the simulated periods."""
    out = np.ones((scenario.horizon, catalog.n_skus))
    for i, s in enumerate(scenario.shocks):
        if s.kind == "price_change":
            assert s.factor is not None
            out[s.start : s.end, sku_mask(scenario, i, catalog)] *= s.factor
    return out


def launched(scenario: Scenario, catalog: Catalog) -> np.ndarray:
    """[N] bool: SKUs that a launch shock introduces (no history, no initial stock)."""
    out = np.zeros(catalog.n_skus, dtype=bool)
    for i, s in enumerate(scenario.shocks):
        if s.kind == "launch":
            out |= sku_mask(scenario, i, catalog)
    return out


def transfer_delays(scenario: Scenario, lead_time: np.ndarray) -> np.ndarray:
    """``lead_time`` [P, T, M, N] with every transfer_delay added (a new array)."""
    out = lead_time.copy()
    names = [n.name for n in scenario.nodes]
    for s in scenario.shocks:
        if s.kind == "transfer_delay":
            assert s.node is not None and s.periods is not None
            out[:, s.start : s.end, names.index(s.node), :] += s.periods
    return out


def shared_limit(scenario: Scenario, limit: str) -> np.ndarray | None:
    """[T, M] each node's shared ``limit`` per period (``inbound_capacity``: units per review;
    ``storage_volume``: volume on its shelves), with the shocks that cut it applied (``inbound_cut``,
    ``storage_cut``); None: every node unlimited."""
    cap = np.stack([limit_path(getattr(n, limit), scenario.horizon) for n in scenario.nodes], axis=1)
    names = [n.name for n in scenario.nodes]
    for s in scenario.shocks:
        if _LIMIT_CUTS.get(s.kind) == limit:
            assert s.node is not None and s.factor is not None
            cap[s.start : s.end, names.index(s.node)] *= s.factor
    return None if np.isinf(cap).all() else cap
