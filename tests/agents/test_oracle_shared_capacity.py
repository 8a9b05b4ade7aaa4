"""The shared-capacity oracle: known answers, bounds, the Lagrangian price against the baseline's
bisection, a Monte Carlo simulation of the evaluated policies, grid widening and bad input.

* a capacity that never binds: the optimum is the sum of the SKUs' newsvendor profits (closed form, from
  scipy here) and every policy is optimal; no capacity at all: every sale is lost;
* the optimum is at least every evaluated policy; the optimal table's evaluation is the optimum; the
  stationary components (purchase booked as paid) add up to the evaluated profit;
* one SKU: the optimal policy is a modified base-stock policy max(x, min(S*, x + C)) with S* >= S;
* the scan of price breakpoints finds the price that the simulator's bisection
  (:func:`restock.agents.baselines.capacity.capacity_price`) finds, and the smallest one that fits;
* identical SKUs: their levels drop at the same price, the plain rule leaves capacity unused, the
  filled rule uses it;
* the exact figures agree with a plain numpy simulation of the same policies (purchase cost paid per
  unit ordered, not the reduced reward);
* a wider grid leaves the optimum unchanged; a grid that cuts the optimal policy is refused.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from restock.agents.baselines.capacity import capacity_price
from restock.agents.oracle import SharedCapacityConfig, solve_shared_capacity
from restock.agents.oracle.shared_capacity import (
    apportion,
    build_instance,
    lagrangian_orders,
    newsvendor_levels,
    newsvendor_orders,
)
from restock.errors import InputError

TWO = {
    "demand": ("poisson:3", "poisson:2"),
    "price": (10.0, 8.0),
    "unit_cost": (5.0, 4.0),
    "holding": (1.0, 0.5),
    "penalty": (2.0, 2.0),
}
"""Two SKUs with different margins and holding costs; mean total demand 5."""


def two(capacity: int, **options: object) -> SharedCapacityConfig:
    return SharedCapacityConfig(**TWO, capacity=capacity, **options)  # type: ignore[arg-type]


def poisson_newsvendor_profit(mean: float, p: float, c: float, h: float, b: float) -> tuple[int, float]:
    """The level and the profit per period of one SKU's newsvendor with lead time 0 and lost sales."""
    tau = (p - c + b) / (p - c + b + h)
    level = int(stats.poisson.ppf(tau, mean))
    d = np.arange(400)
    pmf = stats.poisson.pmf(d, mean)
    sales = pmf @ np.minimum(d, level)
    return level, float(
        (p - c) * sales - h * (pmf @ np.maximum(level - d, 0)) - b * (pmf @ np.maximum(d - level, 0))
    )


def test_capacity_that_never_binds_gives_the_sum_of_newsvendor_profits() -> None:
    sol = solve_shared_capacity(two(100))
    expect = [
        poisson_newsvendor_profit(m, p, c, h, b)
        for m, p, c, h, b in zip(
            (3, 2), *(TWO[k] for k in ("price", "unit_cost", "holding", "penalty")), strict=True
        )
    ]
    assert sol.newsvendor_levels == tuple(level for level, _ in expect)
    assert sol.average_profit == pytest.approx(sum(profit for _, profit in expect), abs=1e-7)
    assert sol.level([0, 0]) == sol.newsvendor_levels
    for name, policy in sol.policies.items():
        assert policy.average_profit == pytest.approx(sol.average_profit, abs=1e-8), name
        assert sol.gap_percent(name) == pytest.approx(0.0, abs=1e-8)
        assert policy.capacity_used == 0.0 and policy.above_newsvendor == 0.0
    assert sol.policies["lagrangian"].priced == 0.0


def test_no_capacity_loses_every_sale() -> None:
    config = two(0)
    sol = solve_shared_capacity(config)
    lost = -sum(2.0 * d.mean for d in config.demands())  # b_k x mean demand (of the truncated pmfs)
    assert lost == pytest.approx(-10.0, abs=1e-8)
    assert sol.average_profit == pytest.approx(lost, abs=1e-9)
    for policy in sol.policies.values():
        assert policy.average_profit == pytest.approx(lost, abs=1e-9)
        assert policy.fill_rate == pytest.approx((0.0, 0.0), abs=1e-12)


INSTANCES = [
    two(4),
    two(5),
    two(6),
    SharedCapacityConfig(
        demand=("poisson:2", "pmf:0.3,0.2,0.2,0.3", "geometric:1"),
        price=(6.0, 9.0, 7.0),
        unit_cost=(3.0, 4.0, 2.0),
        holding=(0.5, 1.0, 2.0),
        penalty=(1.0, 0.0, 3.0),
        capacity=3,
    ),
]


@pytest.mark.parametrize("config", INSTANCES, ids=["2sku-C4", "2sku-C5", "2sku-C6", "3sku-C3"])
def test_the_optimum_bounds_every_policy_and_the_components_add_up(config: SharedCapacityConfig) -> None:
    sol = solve_shared_capacity(config)
    assert sol.converged and sol.gap < 1e-8
    assert sol.policies["optimal"].average_profit == pytest.approx(sol.average_profit, abs=1e-8)
    for name, policy in sol.policies.items():
        assert policy.converged, name
        assert policy.average_profit <= sol.average_profit + 1e-8, name
        assert policy.stationary_profit == pytest.approx(policy.average_profit, abs=1e-8), name
    # the capacity binds: the baselines fall short of the optimum
    assert sol.gap_percent("newsvendor") > 1e-3
    assert (
        sol.policies["lagrangian-filled"].average_profit >= sol.policies["lagrangian"].average_profit - 1e-9
    )


@pytest.mark.parametrize("capacity", [2, 3])
def test_one_sku_optimum_is_a_modified_base_stock_policy(capacity: int) -> None:
    config = SharedCapacityConfig(
        demand=("poisson:3",),
        price=(10.0,),
        unit_cost=(5.0,),
        holding=(1.0,),
        penalty=(2.0,),
        capacity=capacity,
    )
    sol = solve_shared_capacity(config)
    x = np.arange(sol.grid.tops[0] + 1)
    y = sol.optimal_levels[:, 0]
    partial = (y > x) & (y < x + capacity)
    assert partial.any()
    level = int(y[partial].max())
    np.testing.assert_array_equal(y, np.maximum(x, np.minimum(level, x + capacity)))
    assert level > sol.newsvendor_levels[0]  # it builds stock ahead of the binding capacity
    # the filled Lagrangian is the myopic max(x, min(S, x + C))
    filled = lagrangian_orders(config, x[:, None]).filled[:, 0]
    np.testing.assert_array_equal(
        x + filled, np.maximum(x, np.minimum(sol.newsvendor_levels[0], x + capacity))
    )


def exact_orders_at(config: SharedCapacityConfig, on_hand: np.ndarray):
    """``orders_at(lambda [P]) -> [P, K]`` with exact quantiles, for capacity_price."""
    cdfs = [d.cdf() for d in config.demands()]
    p, c, h, b = (
        np.asarray(getattr(config, k), dtype=float) for k in ("price", "unit_cost", "holding", "penalty")
    )

    def orders_at(lam: np.ndarray) -> np.ndarray:
        under = np.maximum(p[None, :] - c[None, :] - lam[:, None] + b[None, :], 0.0)
        tau = under / (under + h[None, :])
        levels = np.stack(
            [np.minimum(np.searchsorted(cdf, tau[:, k] - 1e-12), len(cdf) - 1) for k, cdf in enumerate(cdfs)],
            axis=1,
        )
        return np.maximum(levels - on_hand, 0).astype(float)

    return orders_at


@pytest.mark.parametrize("config", [INSTANCES[0], INSTANCES[3]], ids=["2sku", "3sku"])
def test_breakpoint_scan_finds_the_bisection_price(config: SharedCapacityConfig) -> None:
    states = build_instance(config).grid.states()
    lag = lagrangian_orders(config, states)
    orders_at = exact_orders_at(config, states)
    cap = float(config.capacity)
    high = np.full(states.shape[0], max(np.add(config.price, config.penalty)) + 1.0)
    bisected = capacity_price(orders_at, np.full(states.shape[0], cap), high, 60)
    np.testing.assert_allclose(lag.price, bisected, atol=1e-9)
    np.testing.assert_array_equal(lag.orders, orders_at(bisected))
    assert (lag.orders.sum(axis=1) <= cap).all() and (lag.filled.sum(axis=1) <= cap).all()
    priced = lag.price > 0
    assert priced.any()
    # the smallest price that fits: just below it the orders do not
    below = exact_orders_at(config, states[priced])(lag.price[priced] - 1e-7)
    assert (below.sum(axis=1) > cap).all()


def test_identical_skus_leave_slack_that_the_filled_rule_uses() -> None:
    config = SharedCapacityConfig(
        demand=("poisson:3", "poisson:3"),
        price=(10.0, 10.0),
        unit_cost=(5.0, 5.0),
        holding=(1.0, 1.0),
        penalty=(2.0, 2.0),
        capacity=5,
    )
    states = build_instance(config).grid.states()
    lag = lagrangian_orders(config, states)
    priced = lag.price > 0
    assert (lag.orders.sum(axis=1)[priced] < 5).any()
    assert (lag.filled.sum(axis=1)[priced] == 5).all()
    sol = solve_shared_capacity(config)
    assert sol.policies["lagrangian-filled"].average_profit > sol.policies["lagrangian"].average_profit + 1e-3
    # distinct SKUs: one level drops at a time and both rules coincide
    other = build_instance(two(4)).grid.states()
    lag2 = lagrangian_orders(two(4), other)
    np.testing.assert_array_equal(lag2.orders, lag2.filled)


def test_newsvendor_cut_is_pro_rata_in_whole_units() -> None:
    config = two(4)
    s = newsvendor_levels(config)
    assert tuple(s) == (5, 4)
    orders = newsvendor_orders(config, np.array([[0, 0], [3, 0], [5, 4], [1, 3]]))
    # wants (5, 4) -> 4 x 5/9 = 2.2, 4 x 4/9 = 1.8 -> (2, 2); (2, 4) -> (1.33, 2.67) -> (1, 3); fits: as is
    assert orders.tolist() == [[2, 2], [1, 3], [0, 0], [3, 1]]
    parts = apportion(np.array([[3, 3, 2], [1, 0, 0], [0, 0, 0]]), np.array([5, 1, 0]))
    assert parts.tolist() == [[2, 2, 1], [1, 0, 0], [0, 0, 0]]


def simulate(
    config: SharedCapacityConfig, levels_of, paths: int, periods: int, seed: int
) -> tuple[float, float]:
    """Average profit per period and its standard error over paths, in plain numpy, from empty shelves:
    demand drawn from scipy's Poisson, purchase paid per unit ordered."""
    rng = np.random.default_rng(seed)
    means = np.array([float(spec.split(":")[1]) for spec in config.demand])
    p, c, h, b = (
        np.asarray(getattr(config, k), dtype=float) for k in ("price", "unit_cost", "holding", "penalty")
    )
    x = np.zeros((paths, config.skus), dtype=np.int64)
    total = np.zeros(paths)
    burn = 50
    for t in range(periods):
        y = levels_of(x)
        q = y - x
        assert (q >= 0).all() and (q.sum(axis=1) <= config.capacity).all()
        d = rng.poisson(means, size=x.shape)
        sales = np.minimum(d, y)
        x = y - sales
        if t >= burn:
            total += sales @ p - q @ c - x @ h - (d - sales) @ b
    per_path = total / (periods - burn)
    return float(per_path.mean()), float(per_path.std(ddof=1) / np.sqrt(paths))


def test_exact_figures_agree_with_a_simulation() -> None:
    config = two(4)
    sol = solve_shared_capacity(config)
    grid = build_instance(config).grid
    table = lagrangian_orders(config, grid.states())
    filled = (grid.states() + table.filled).reshape(*grid.shape, config.skus)
    for name, levels_of in (
        ("lagrangian-filled", lambda x: filled[x[:, 0], x[:, 1]]),
        ("optimal", lambda x: sol.optimal_levels[x[:, 0], x[:, 1]]),
    ):
        mean, se = simulate(config, levels_of, paths=200, periods=1000, seed=11)
        exact = sol.policies[name].average_profit
        assert abs(mean - exact) < 4 * se, (name, mean, exact, se)
        assert se < 0.02


def test_wider_grid_leaves_the_optimum_unchanged() -> None:
    base = solve_shared_capacity(two(4))
    wide = solve_shared_capacity(two(4, max_on_hand=tuple(t + 6 for t in base.grid.tops)))
    assert wide.average_profit == pytest.approx(base.average_profit, abs=1e-8)
    for name in base.policies:
        assert wide.policies[name].average_profit == pytest.approx(
            base.policies[name].average_profit, abs=1e-8
        )


def test_default_grid_widens_and_a_tight_one_is_refused() -> None:
    config = SharedCapacityConfig(
        demand=("pmf:0.1,0.2,0.3,0.2,0.2",),
        price=(10.0,),
        unit_cost=(5.0,),
        holding=(1.0,),
        penalty=(2.0,),
        capacity=1,
    )
    sol = solve_shared_capacity(config)  # the first default grid (0..5) cuts the optimal policy
    assert sol.grid.tops[0] > 5 and sol.policies["optimal"].top_mass <= 1e-9
    with pytest.raises(InputError, match="max_on_hand"):
        solve_shared_capacity(two(4, max_on_hand=(5, 4)))


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"capacity": -1}, "capacity"),
        ({"capacity": 1.5}, "capacity"),
        ({"holding": (1.0, 0.0)}, "holding[1]"),
        ({"price": (float("nan"), 8.0)}, "price[0]"),
        ({"penalty": (2.0,)}, "penalty"),
        ({"demand": "poisson:3"}, "demand"),
        ({"demand": ("poisson:3", "pmf:1")}, "demand[1]"),
        ({"demand": ("poisson:3", "poisson:-2")}, "poisson:-2"),
        ({"max_on_hand": (20, 3)}, "max_on_hand[1]"),
        ({"max_on_hand": (20,)}, "max_on_hand"),
        ({"tolerance": 0.0}, "tolerance"),
    ],
)
def test_bad_input_names_the_field(change: dict[str, object], needle: str) -> None:
    fields: dict[str, object] = {**TWO, "capacity": 4, **change}
    with pytest.raises(InputError, match=needle.replace("[", r"\[").replace("]", r"\]")):
        SharedCapacityConfig(**fields)  # type: ignore[arg-type]


def test_too_many_states_are_refused() -> None:
    with pytest.raises(InputError, match="memory_limit_bytes"):
        solve_shared_capacity(two(4, memory_limit_bytes=1000))
