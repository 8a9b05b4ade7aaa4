"""Money amounts of a scenario's economics: absolute, or a fraction of the price or of the unit cost.

In TOML an amount is either a number (absolute, per unit; per period for holding) or a string::

    unit_cost = "0.6 * price"            60% of the SKU's reference price
    holding_cost = "0.25 * cost / year"  25% of the unit cost per year, spread over periods_per_year
    lost_sale_penalty = "0.1 * price"
    salvage_value = "0.5 * cost"

The reference price of a SKU is its mean selling price over the simulated horizon (constant for synthetic
demand; the data's own prices for replayed demand). ``/ year`` divides by the scenario's
``periods_per_year``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from restock.scenarios.parsing import Where

Basis = Literal["absolute", "price", "cost"]

_PATTERN = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*\*\s*(price|cost)\s*(/\s*year)?\s*$")


@dataclass(frozen=True)
class Amount:
    """An amount per unit: ``value`` (absolute) or ``value`` x the price or the unit cost."""

    value: float
    """The number (absolute amount, or the fraction of the basis)."""
    basis: Basis = "absolute"
    """What ``value`` multiplies: nothing, the SKU's reference price, or its unit cost."""
    per_year: bool = False
    """Whether the amount is per year (divided by periods_per_year to get an amount per period)."""

    def resolve(self, price: np.ndarray, cost: np.ndarray | None, periods_per_year: float) -> np.ndarray:
        """The amount per SKU (and per period when ``per_year``) given reference prices and unit costs."""
        if self.basis == "absolute":
            out = np.full(price.shape, self.value)
        elif self.basis == "price":
            out = self.value * price
        else:
            if cost is None:
                raise ValueError("Amount.resolve: a cost-based amount needs the unit cost")  # schema bug
            out = self.value * cost
        return out / periods_per_year if self.per_year else out

    def __str__(self) -> str:
        if self.basis == "absolute":
            return f"{self.value:g}"
        return f"{self.value:g} * {self.basis}" + (" / year" if self.per_year else "")


def parse_amount(value: Any, where: Where) -> Amount:
    """Read a number or a ``"<x> * price|cost [/ year]"`` string; negative or non-finite is an error."""
    if isinstance(value, bool):
        raise where.error(value, 'must be a number or a string like "0.6 * price" or "0.25 * cost / year"')
    if isinstance(value, int | float):
        if not (math.isfinite(value) and value >= 0):
            raise where.error(value, "must be finite and >= 0")
        return Amount(float(value))
    if isinstance(value, str):
        m = _PATTERN.match(value)
        if m:
            return Amount(float(m.group(1)), m.group(2), bool(m.group(3)))  # type: ignore[arg-type]
    raise where.error(value, 'must be a number or a string like "0.6 * price" or "0.25 * cost / year"')
