"""The backorder twin: value iteration finds base-stock at the closed-form critical fractile."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from restock.agents.oracle import BackorderConfig, backorder_base_stock, parse_demand, solve_backorder
from restock.errors import InputError


@pytest.mark.parametrize("spec", ["poisson:5", "geometric:3", "negbin:4:9", "pmf:0.1,0.6,0.3"])
@pytest.mark.parametrize("lead", [0, 1, 3])
@pytest.mark.parametrize("penalty", [4.0, 39.0])
def test_value_iteration_equals_closed_form(spec: str, lead: int, penalty: float) -> None:
    sol = solve_backorder(BackorderConfig(demand=spec, lead_time=lead, penalty=penalty))
    level, cost = backorder_base_stock(parse_demand(spec), lead, 1.0, penalty)
    assert sol.converged
    assert sol.average_cost == pytest.approx(cost, rel=1e-8)
    assert sol.base_stock_level == sol.closed_form_level == level


def test_closed_form_against_scipy_poisson() -> None:
    """Poisson(5) over L+1 = 3 periods is Poisson(15): S = its 39/40 quantile, cost by direct sums."""
    level, cost = backorder_base_stock(parse_demand("poisson:5"), 2, 1.0, 39.0)
    assert level == int(stats.poisson(15).ppf(39 / 40))
    k = np.arange(200)
    pmf = stats.poisson(15).pmf(k)
    expected = (np.maximum(level - k, 0) @ pmf) + 39 * (np.maximum(k - level, 0) @ pmf)
    assert cost == pytest.approx(expected, rel=1e-7)  # each period truncated at a 1e-9 tail


def test_policy_orders_up_to_the_level_on_net_inventory() -> None:
    sol = solve_backorder(BackorderConfig(demand="poisson:5", lead_time=2, penalty=9.0))
    s = sol.base_stock_level
    assert sol.policy.order(-3, (4,)) == s - 1
    assert sol.policy.order(s + 2, (0,)) == 0


def test_bad_input_and_size_refusal() -> None:
    with pytest.raises(InputError, match="penalty"):
        BackorderConfig(demand="poisson:5", lead_time=1, penalty=-1.0)
    with pytest.raises(InputError, match="GiB"):
        solve_backorder(
            BackorderConfig(demand="poisson:5", lead_time=1, penalty=9.0, memory_limit_bytes=1000)
        )
