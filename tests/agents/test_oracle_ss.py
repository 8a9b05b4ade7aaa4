"""The exact (s, S) oracle (Zheng & Federgruen 1991): known answers, brute force, an independent Markov-chain
evaluation, the backorder oracle at K = 0, and a simulation in Restock's event order."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from baseline_worlds import fixed_cost_scenario

from restock.agents.oracle import (
    BackorderConfig,
    SSConfig,
    SSCostModel,
    parse_demand,
    solve_backorder,
    solve_ss,
    ss_average_cost,
)
from restock.agents.oracle.backorder import backorder_cost_curve
from restock.agents.oracle.ss import one_period_cost, renewal_mass
from restock.errors import InputError

ISSUE_13 = SSConfig(demand="poisson:6", fixed_cost=100.0, backorder=4.0, holding=1.0, lead_time=0)
"""Issue 13's instance: the exact optimum is s = -2, S = 34."""


def test_issue_13_instance_has_a_negative_reorder_point() -> None:
    sol = solve_ss(ISSUE_13)
    assert (sol.s, sol.S) == (-2, 34)
    assert sol.average_cost == pytest.approx(31.282052, abs=1e-6)
    assert sol.base_stock_level == 8 and sol.average_cost > sol.base_stock_cost
    assert 36 / 6 < sol.cycle_length < 36 / 6 + 1  # (S - s) / mean periods between orders, plus the overshoot
    summary = sol.summary()
    assert summary["s"] == -2 and summary["S"] == 34 and "restock" in summary["lead_time_convention"]


def test_snyder_shen_example_4_7() -> None:
    """Fundamentals of Supply Chain Theory (2nd ed.), Example 4.7: h = 1, p = 4, K = 5, Poisson(6), zero
    lead time: s = 4, S = 10, g = 8.034111561471642 (the value stockpyl's ``s_s_discrete_exact`` doctest
    gives for it; ours differs by the folded Poisson tail, 1.5e-9)."""
    sol = solve_ss(SSConfig(demand="poisson:6", fixed_cost=5.0, backorder=4.0))
    assert (sol.s, sol.S) == (4, 10)
    assert sol.average_cost == pytest.approx(8.034111561471642, rel=1e-8)
    assert (
        ss_average_cost(SSConfig(demand="poisson:6", fixed_cost=5.0, backorder=4.0), 4, 10)
        == sol.average_cost
    )


@pytest.mark.parametrize(
    ("demand", "lead", "penalty"),
    [("poisson:6", 0, 4.0), ("poisson:5", 2, 9.0), ("geometric:3", 1, 19.0), ("pmf:0.2,0.5,0.3", 3, 4.0)],
)
def test_no_fixed_cost_is_the_backorder_base_stock_optimum(demand: str, lead: int, penalty: float) -> None:
    sol = solve_ss(SSConfig(demand=demand, fixed_cost=0.0, backorder=penalty, lead_time=lead))
    base = solve_backorder(BackorderConfig(demand=demand, lead_time=lead, penalty=penalty))
    assert (sol.s, sol.S) == (base.base_stock_level - 1, base.base_stock_level)
    assert sol.average_cost == pytest.approx(base.average_cost, rel=1e-8)


def test_one_period_cost_is_the_backorder_oracles_and_extends_below_zero() -> None:
    demand = parse_demand("poisson:5")
    lead_pmf = np.convolve(demand.pmf, demand.pmf)  # L = 1: two periods of demand
    y = np.arange(-10, 60)
    g = one_period_cost(lead_pmf, 1.0, 9.0, y)
    np.testing.assert_allclose(g[10:], backorder_cost_curve(demand, 1, 1.0, 9.0, 59), rtol=1e-12, atol=1e-12)
    # below 0 nothing is on hand: G(y) = p (E D_2 - y)
    np.testing.assert_allclose(g[:10], 9.0 * (10.0 - y[:10]), rtol=1e-9)


def test_renewal_mass_tends_to_one_over_the_mean() -> None:
    pmf = parse_demand("pmf:0.3,0.2,0.5").pmf
    m = renewal_mass(pmf, 200)
    assert m[0] == pytest.approx(1 / 0.7)
    assert m[1] == pytest.approx(0.2 / 0.7 * m[0])
    assert m[-1] == pytest.approx(1 / 1.2, rel=1e-9)  # renewal theorem: 1 / E D


def markov_chain_cost(config: SSConfig, s: int, S: int) -> float:
    """(s, S) costed from the stationary law of the chain of inventory positions before the review (all
    positions <= s lumped into one state), with the one-period cost G after the review: no renewal formula."""
    model = SSCostModel(config)
    pmf = model.demand.pmf
    states = [s, *range(s + 1, S + 1)]  # index 0: "at or below s"
    index = {x: i for i, x in enumerate(states)}
    n = len(states)
    P = np.zeros((n, n))
    cost = np.zeros(n)
    for i, x in enumerate(states):
        y = S if i == 0 else x  # the position after the review
        cost[i] = model.G(y) + (config.fixed_cost if i == 0 else 0.0)
        for d, pd in enumerate(pmf):
            nxt = y - d
            P[i, index[nxt] if nxt > s else 0] += pd
    A = np.vstack([P.T - np.eye(n), np.ones(n)])
    pi = np.linalg.lstsq(A, np.concatenate([np.zeros(n), [1.0]]), rcond=None)[0]
    return float(pi @ cost)


@pytest.mark.parametrize(
    ("config", "s", "S"),
    [
        (ISSUE_13, -2, 34),
        (ISSUE_13, 5, 12),
        (SSConfig(demand="pmf:0.3,0.2,0.5", fixed_cost=10.0, backorder=9.0, lead_time=1), -1, 7),
        (SSConfig(demand="geometric:2", fixed_cost=30.0, backorder=4.0, holding=2.0, lead_time=2), 0, 15),
    ],
)
def test_renewal_reward_cost_equals_the_markov_chain(config: SSConfig, s: int, S: int) -> None:
    assert ss_average_cost(config, s, S) == pytest.approx(markov_chain_cost(config, s, S), rel=1e-9)


BRUTE = [
    SSConfig(demand="poisson:6", fixed_cost=100.0, backorder=4.0),
    SSConfig(demand="poisson:10", fixed_cost=64.0, backorder=9.0, lead_time=1),
    SSConfig(demand="poisson:4", fixed_cost=1.0, backorder=9.0, lead_time=3),
    SSConfig(demand="geometric:3", fixed_cost=40.0, backorder=19.0, holding=0.5, lead_time=2),
    SSConfig(demand="pmf:0,0.25,0.5,0.25", fixed_cost=10.0, backorder=4.0),  # no zero demand
    SSConfig(demand="pmf:0.6,0,0.4", fixed_cost=300.0, backorder=2.0, lead_time=1),  # mostly zero demand
]


@pytest.mark.parametrize("config", BRUTE, ids=lambda c: f"{c.demand}-K{c.fixed_cost:g}-L{c.lead_time}")
def test_zheng_federgruen_equals_brute_force_over_s_and_S(config: SSConfig) -> None:
    sol = solve_ss(config)
    model = SSCostModel(config)
    y = sol.base_stock_level
    width = 3 * (sol.S - sol.s) + 10
    best = min(
        (model.average_cost(s, S), s, S) for s in range(y - width, y) for S in range(max(s + 1, y), y + width)
    )
    assert sol.average_cost == pytest.approx(best[0], rel=1e-12), (sol, best)
    assert model.average_cost(sol.s, sol.S) == pytest.approx(sol.average_cost, rel=1e-12)
    assert y - width < sol.s and sol.S < y + width - 1  # the optimum lies inside the brute-force window


@pytest.mark.parametrize(("lead", "expected"), [(0, (-2, 34)), (2, (10, 47))])
def test_the_optimum_simulated_in_restocks_event_order_costs_what_the_oracle_says(
    tmp_path: Path, lead: int, expected: tuple[int, int]
) -> None:
    """SSPolicy at the oracle's (s, S) on the batch engine (backorders, K = 100 per order, lead time L in
    our convention): the simulated cost per period is the oracle's within 4 standard errors."""
    from restock.agents.baselines import SSPolicy
    from restock.agents.evaluate import draw_episode, rollout

    config = SSConfig(demand="poisson:6", fixed_cost=100.0, backorder=4.0, lead_time=lead)
    sol = solve_ss(config)
    assert (sol.s, sol.S) == expected
    horizon, paths = 2000, 16
    sc = fixed_cost_scenario(
        tmp_path, lead_time=lead, horizon=horizon, n_paths=paths, initial_cover=sol.S / 6
    )
    out = rollout(SSPolicy(float(sol.s), float(sol.S)), draw_episode(sc, 1), engine="batch", record=False)
    cost = -out.totals["reward"][:, 0, 0] / horizon
    se = cost.std(ddof=1) / np.sqrt(paths)
    assert abs(cost.mean() - sol.average_cost) < 4 * se + 1e-9, (cost.mean(), se, sol.average_cost)
    assert se < 0.005 * sol.average_cost


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("fixed_cost", -1.0),
        ("fixed_cost", float("nan")),
        ("backorder", 0.0),
        ("backorder", float("inf")),
        ("holding", 0.0),
        ("lead_time", -1),
        ("lead_time", 1.5),
        ("demand", 6),
        ("demand", "pmf:1"),
    ],
)
def test_bad_config_names_field_and_value(field: str, value: object) -> None:
    kwargs: dict[str, object] = {"demand": "poisson:6", "fixed_cost": 100.0, "backorder": 4.0}
    kwargs[field] = value
    with pytest.raises(InputError) as info:
        SSConfig(**kwargs)  # type: ignore[arg-type]
    assert field in str(info.value) and repr(value) in str(info.value)


def test_average_cost_needs_integers_with_s_below_S() -> None:
    with pytest.raises(InputError, match="s < S"):
        ss_average_cost(ISSUE_13, 5, 5)
    with pytest.raises(InputError, match="integers"):
        ss_average_cost(ISSUE_13, 1.5, 5)  # type: ignore[arg-type]
