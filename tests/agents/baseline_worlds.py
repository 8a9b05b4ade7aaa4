"""Small scenarios with known answers for the baseline and evaluation tests (written to a tmp folder)."""

from __future__ import annotations

from pathlib import Path

from restock.scenarios import load

NEWSVENDOR_TOML = """
name = "nv-zero-lead"
description = "Poisson demand, a review every period, zero lead time: the newsvendor's textbook case."
horizon = {horizon}
review_period = 1
warmup = 0

[seeds]
root = 0
catalog = 0
n_paths = {n_paths}

[catalog]
n_skus = {n_skus}

[demand]
kind = "stationary"
distribution = "poisson"
mean_range = [4.0, 12.0]

[economics]
price = 10.0
unit_cost = 6.0
holding_cost = 1.0
lost_sale_penalty = 0.0
fixed_order_cost = 0.0
salvage_value = 0.0
discount = 1.0

[[vendors]]
name = "vendor"
lead_time = {{ kind = "deterministic", value = 0 }}

[[nodes]]
name = "store"
source = "vendor"
initial_cover = 0.0

[forecast]
model = "true"
"""
CRITICAL_RATIO = 0.8
"""(p - c + b) / (p - c + b + h R) = 4 / (4 + 1) for the economics above."""


def zero_lead_scenario(tmp_path: Path, *, horizon: int = 60, n_paths: int = 4, n_skus: int = 3):  # type: ignore[no-untyped-def]
    path = tmp_path / "nv.toml"
    path.write_text(NEWSVENDOR_TOML.format(horizon=horizon, n_paths=n_paths, n_skus=n_skus), encoding="utf-8")
    return load(str(path))


def zipkin(instance: str = "p9-L2", horizon: int = 1000):  # type: ignore[no-untyped-def]
    return load("zipkin-lost-sales", [f"family.instance={instance}", f"horizon={horizon}"])


FIXED_COST_TOML = """
name = "fixed-cost-backorders"
description = "One SKU, Poisson demand, a review every period, backorders and a fixed cost per order."
horizon = {horizon}
review_period = 1
warmup = 0

[seeds]
root = 0
catalog = 0
n_paths = {n_paths}

[catalog]
n_skus = 1

[demand]
kind = "stationary"
distribution = "poisson"
mean = {mean}

[economics]
price = 0.0
unit_cost = 0.0
holding_cost = {holding}
lost_sale_penalty = {penalty}
fixed_order_cost = {fixed_cost}
salvage_value = 0.0
discount = 1.0

[[vendors]]
name = "vendor"
lead_time = {{ kind = "deterministic", value = {lead_time} }}

[[nodes]]
name = "store"
source = "vendor"
backorder = {backorder}
initial_cover = {initial_cover}

[forecast]
model = "true"
"""


def fixed_cost_scenario(  # type: ignore[no-untyped-def]
    tmp_path: Path,
    *,
    fixed_cost: float = 100.0,
    mean: float = 6.0,
    penalty: float = 4.0,
    holding: float = 1.0,
    lead_time: int = 0,
    horizon: int = 2000,
    n_paths: int = 4,
    backorder: bool = True,
    initial_cover: float = 3.0,
):
    """The (s, S) instance of ``restock oracle s-S`` as a scenario: price and unit cost 0, so that profit is
    minus (holding + backlog penalty + fixed order cost) and minus its mean per period is the oracle's cost
    (plus the start-up transient)."""
    text = FIXED_COST_TOML.format(
        horizon=horizon,
        n_paths=n_paths,
        mean=mean,
        holding=holding,
        penalty=penalty,
        fixed_cost=fixed_cost,
        lead_time=lead_time,
        backorder="true" if backorder else "false",
        initial_cover=initial_cover,
    )
    path = tmp_path / f"fixed-cost-{fixed_cost:g}-{mean:g}-{penalty:g}-{lead_time}.toml"
    path.write_text(text, encoding="utf-8")
    return load(str(path))
