"""The serial-system oracle (Chen & Zheng 1994): known answers, a brute force, and an independent simulation.

* one stage is the newsvendor on L_1 periods of demand, and equals our backorder oracle with L_1 = l + 1;
* Snyder & Shen's Example 6.1 (three stages, normal demand): the published levels and cost;
* a two-stage Poisson instance: every pair of levels on a grid, costed by a plain double sum, has its
  minimum where the recursion says, and ``serial_cost`` agrees with the double sum at every pair;
* a small simulation of the chain, written here in numpy with no part of the oracle, reproduces the cost
  of given levels within a few standard errors — in the textbook's order of events with the textbook cost,
  and in Restock's order of events (DESIGN.md) with :class:`RestockChain`'s lead times and cost.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pytest
from scipy import stats

from restock.agents.oracle import (
    RestockChain,
    SerialConfig,
    backorder_base_stock,
    parse_demand,
    serial_cost,
    solve_serial,
)
from restock.agents.oracle.serial import installation_holding, local_levels
from restock.errors import InputError

EXAMPLE_6_1 = SerialConfig(
    demand="normal:5:1", lead_times=(1, 1, 2), echelon_holding=(3.0, 2.0, 2.0), penalty=37.12
)
"""Snyder & Shen (2019), Example 6.1: installation holding 7, 4, 2 (stage 1 first), p = 37.12, N(5, 1)."""

EXAMPLE_6_1_LEVELS = (6.49, 12.02, 22.71)
"""The published optimal echelon base-stock levels (local 6.49, 5.53, 10.69), and its cost below."""

EXAMPLE_6_1_COST = 47.65


# ---------------------------------------------------------------------------------------------- one stage


@pytest.mark.parametrize("lead", [0, 1, 3])
@pytest.mark.parametrize("penalty", [4.0, 39.0])
def test_one_stage_equals_the_backorder_oracle_with_one_more_period(lead: int, penalty: float) -> None:
    """Our backorder oracle (Restock's lead time l: l + 1 periods of demand) is the serial one, L = l+1."""
    sol = solve_serial(
        SerialConfig(demand="poisson:5", lead_times=(lead + 1,), echelon_holding=(1.0,), penalty=penalty)
    )
    level, cost = backorder_base_stock(parse_demand("poisson:5"), lead, 1.0, penalty)
    assert sol.echelon_levels == (level,)
    assert sol.average_cost == pytest.approx(cost, rel=1e-7)  # the backorder oracle folds a 1e-9 tail


def test_one_stage_poisson_is_the_critical_fractile_of_l_periods() -> None:
    sol = solve_serial(
        SerialConfig(demand="poisson:4", lead_times=(3,), echelon_holding=(2.0,), penalty=18.0)
    )
    dist = stats.poisson(12)
    assert sol.echelon_levels == (int(dist.ppf(0.9)),)
    k = np.arange(200)
    s = sol.echelon_levels[0]
    expected = dist.pmf(k) @ (2.0 * np.maximum(s - k, 0) + 18.0 * np.maximum(k - s, 0))
    assert sol.average_cost == pytest.approx(expected, rel=1e-10)


def test_one_stage_normal_is_the_newsvendor_closed_form() -> None:
    """S = 3 mu + z sd sqrt(3), cost (p + h) sd sqrt(3) phi(z), z the p/(p+h) quantile."""
    sol = solve_serial(
        SerialConfig(demand="normal:5:1", lead_times=(3,), echelon_holding=(2.0,), penalty=18.0)
    )
    z, s = stats.norm.ppf(0.9), math.sqrt(3.0)
    assert sol.echelon_levels[0] == pytest.approx(15.0 + z * s, abs=sol.grid_step)
    assert sol.average_cost == pytest.approx(20.0 * s * stats.norm.pdf(z), rel=2e-6)


def test_zero_lead_time_needs_no_stock() -> None:
    sol = solve_serial(SerialConfig(demand="poisson:5", lead_times=(0,), echelon_holding=(1.0,), penalty=9.0))
    assert sol.echelon_levels == (0,) and sol.average_cost == 0.0


# ---------------------------------------------------------------------------------------------- published


def test_snyder_shen_example_6_1() -> None:
    """Published: echelon levels 6.49, 12.02, 22.71 and cost 47.65. We get the same levels to 0.01 and
    47.660: the grid converges there (halving the step moves it by < 1e-6 relative) and the simulations
    below agree with 47.66 within their standard error of about 0.02."""
    sol = solve_serial(EXAMPLE_6_1)
    assert sol.echelon_levels == pytest.approx(EXAMPLE_6_1_LEVELS, abs=0.006)
    assert sol.local_levels == pytest.approx((6.49, 5.53, 10.69), abs=0.011)
    assert sol.average_cost == pytest.approx(47.6602, abs=5e-4)
    assert abs(sol.average_cost - EXAMPLE_6_1_COST) < 0.011  # published to two decimals: 47.65
    finer = solve_serial(
        SerialConfig(**{**EXAMPLE_6_1.__dict__, "grid_step": sol.grid_step / 2})  # type: ignore[arg-type]
    )
    assert finer.average_cost == pytest.approx(sol.average_cost, rel=1e-6)
    assert finer.echelon_levels == pytest.approx(sol.echelon_levels, abs=sol.grid_step)
    assert serial_cost(EXAMPLE_6_1, EXAMPLE_6_1_LEVELS) == pytest.approx(sol.average_cost, abs=1e-4)


def test_stockpyl_readme_instance() -> None:
    """stockpyl's README example (its own discretized solver, not a published table): echelon h 4, 3, 1,
    L 1, 1, 2, p 40, N(10, 2) -> S ~ (12.76, 23.50, 46.28), cost 86.025. Ours is a little lower, and
    stockpyl's levels cost more than ours under our exact evaluation."""
    cfg = SerialConfig(
        demand="normal:10:2", lead_times=(1, 1, 2), echelon_holding=(4.0, 3.0, 1.0), penalty=40.0
    )
    sol = solve_serial(cfg)
    theirs = (12.764978727246302, 23.49686681508743, 46.28013742779933)
    assert sol.echelon_levels == pytest.approx(theirs, abs=0.04)
    assert sol.average_cost == pytest.approx(86.02533221942987, abs=0.02)
    assert sol.average_cost <= serial_cost(cfg, theirs)


# ---------------------------------------------------------------------------------------------- brute force


def _double_sum_cost(
    s1: int, s2: int, pmfs: tuple[list[float], list[float]], h: tuple[float, float], p: float
) -> float:
    """Textbook cost of echelon levels (s1, s2), straight from the model: the echelon-2 position s2 less
    D_2 (L_2 periods of demand, pmf ``pmfs[1]``) caps stage 1's position y1, which then meets D_1."""
    pmf1, pmf2 = pmfs
    mean1 = sum(a * q for a, q in enumerate(pmf1))
    mean2 = sum(b * q for b, q in enumerate(pmf2))
    total = h[1] * (s2 - mean2)
    for b, q2 in enumerate(pmf2):
        y1 = min(s1, s2 - b)
        stage1 = h[0] * (y1 - mean1) + (p + h[0] + h[1]) * sum(
            q1 * max(a - y1, 0) for a, q1 in enumerate(pmf1)
        )
        total += q2 * stage1
    return total


def test_two_stage_poisson_optimum_is_the_minimum_of_a_brute_force_grid() -> None:
    mean, leads, h, p = 1.5, (2, 1), (1.0, 0.5), 9.0
    cfg = SerialConfig(demand=f"poisson:{mean}", lead_times=leads, echelon_holding=h, penalty=p)
    sol = solve_serial(cfg)
    ks = np.arange(40)  # Poisson(3) beyond 40: < 1e-25
    pmfs = (
        [float(v) for v in stats.poisson.pmf(ks, leads[0] * mean)],
        [float(v) for v in stats.poisson.pmf(ks, leads[1] * mean)],
    )
    grid = {(s1, s2): _double_sum_cost(s1, s2, pmfs, h, p) for s1 in range(0, 11) for s2 in range(0, 15)}
    best = min(grid, key=lambda k: (grid[k], k))
    assert sol.echelon_levels == best
    assert sol.average_cost == pytest.approx(grid[best], abs=1e-9)
    for (s1, s2), cost in list(grid.items())[::7]:
        assert serial_cost(cfg, (s1, s2)) == pytest.approx(cost, abs=1e-9)


@pytest.mark.parametrize("levels", [None, (12, 9, 20)])
def test_three_stage_poisson_cost_is_a_direct_triple_sum(levels: tuple[int, int, int] | None) -> None:
    """stockpyl 1.0.2 gives the same optimal levels (10, 14, 23) for this instance and cost 16.1898 with
    its discretization; the direct sum below, and ours, give 16.19114."""
    cfg = SerialConfig(
        demand="poisson:3", lead_times=(2, 1, 2), echelon_holding=(1.0, 0.5, 0.25), penalty=19.0
    )
    if levels is None:
        sol = solve_serial(cfg)
        assert sol.echelon_levels == (10, 14, 23)
        levels, cost = sol.echelon_levels, sol.average_cost  # type: ignore[assignment]
    else:
        cost = serial_cost(cfg, levels)
    h, leads, p = cfg.echelon_holding, cfg.lead_times, cfg.penalty
    k = np.arange(80)
    pmf = [stats.poisson.pmf(k, 3.0 * lead) for lead in leads]
    total = h[2] * (levels[2] - 3.0 * leads[2])
    for d3, q3 in zip(k, pmf[2], strict=True):
        y2 = min(levels[1], levels[2] - d3)  # stage 2's position: capped by echelon 3's stock
        total += q3 * h[1] * (y2 - 3.0 * leads[1])
        for d2, q2 in zip(k, pmf[1], strict=True):
            y1 = min(levels[0], y2 - d2)
            total += (
                q3 * q2 * (h[0] * (y1 - 3.0 * leads[0]) + (p + sum(h)) * (pmf[0] @ np.maximum(k - y1, 0)))
            )
    assert cost == pytest.approx(total, abs=1e-9)


# ---------------------------------------------------------------------------------------------- simulation

Draw = Callable[[np.random.Generator, int], np.ndarray]


def _simulate(
    levels: Sequence[float],
    holding: Sequence[float],
    leads: Sequence[int],
    penalty: float,
    draw: Draw,
    *,
    restock_order: bool,
    periods: int = 2500,
    reps: int = 200,
    warmup: int = 60,
    seed: int = 0,
) -> tuple[float, float]:
    """Mean cost per period and its standard error over ``reps`` independent runs of an echelon
    base-stock serial chain with backorders everywhere (stage 1 first, ``holding`` per node on hand).

    ``restock_order``: each period arrivals, orders, shipments upstream first, then demand (Restock);
    cost = on-hand holding + penalty x backlog. Otherwise demand first, then orders, arrivals, shipments
    (the textbook's periodic reading), cost adds holding at the upstream rate on stock in transit.
    A shipment with lead time l sent in period t is on hand at the start of period t + l.
    """
    rng = np.random.default_rng(seed)
    n, horizon = len(levels), max(leads) + 1
    target = np.asarray(levels, dtype=np.float64)
    rate = np.asarray(holding, dtype=np.float64)
    on_hand = np.zeros((reps, n))
    on_hand[:, n - 1] = target[n - 1]
    owed = np.zeros((reps, n))  # owed[:, j]: asked of stage j+1 by stage j, not shipped yet
    pipe = np.zeros((reps, n, horizon))  # pipe[:, j, t % horizon]: arriving at stage j in period t
    backlog = np.zeros(reps)  # stage 1's customers
    total = np.zeros(reps)

    def send(t: int, j: int, qty: np.ndarray) -> None:
        if leads[j] == 0:
            on_hand[:, j] += qty
        else:
            pipe[:, j, (t + leads[j]) % horizon] += qty

    def arrive(t: int) -> None:
        on_hand[:] += pipe[:, :, t % horizon]
        pipe[:, :, t % horizon] = 0.0

    def order(t: int) -> None:  # echelon base-stock: raise every echelon position to its level
        for j in range(n):
            position = on_hand[:, : j + 1].sum(1) + pipe[:, : j + 1].sum((1, 2)) + owed[:, j] - backlog
            qty = np.maximum(target[j] - position, 0.0)
            if j == n - 1:
                send(t, j, qty)  # the outside supplier ships at once
            else:
                owed[:, j] += qty

    def ship(t: int) -> None:  # upstream first, so a zero lead time passes stock on in the same period
        for j in range(n - 1, 0, -1):
            qty = np.minimum(on_hand[:, j], owed[:, j - 1])
            on_hand[:, j] -= qty
            owed[:, j - 1] -= qty
            send(t, j - 1, qty)

    def fill() -> None:
        sold = np.minimum(on_hand[:, 0], backlog)
        on_hand[:, 0] -= sold
        backlog[:] -= sold

    for t in range(periods):
        demand = draw(rng, reps)
        if restock_order:
            arrive(t)
            order(t)
            ship(t)
            backlog[:] += demand
            fill()
            cost = on_hand @ rate + penalty * backlog
        else:
            backlog[:] += demand
            order(t)
            arrive(t)
            ship(t)
            fill()
            cost = on_hand @ rate + penalty * backlog + pipe.sum(2)[:, : n - 1] @ rate[1:]
        if t >= warmup:
            total += cost
    per_run = total / (periods - warmup)
    return float(per_run.mean()), float(per_run.std(ddof=1) / math.sqrt(reps))


def _poisson(mean: float) -> Draw:
    return lambda rng, size: rng.poisson(mean, size).astype(np.float64)


def _normal(mean: float, sd: float) -> Draw:
    return lambda rng, size: rng.normal(mean, sd, size)


POISSON_3 = SerialConfig(
    demand="poisson:3", lead_times=(2, 1, 2), echelon_holding=(1.0, 0.5, 0.25), penalty=19.0
)


@pytest.mark.parametrize(
    ("config", "draw", "levels"),
    [
        (EXAMPLE_6_1, _normal(5.0, 1.0), None),
        (POISSON_3, _poisson(3.0), None),
        (POISSON_3, _poisson(3.0), (12, 9, 20)),  # not optimal, and S_2 < S_1
    ],
    ids=["example-6.1-optimal", "poisson-optimal", "poisson-given-levels"],
)
def test_simulation_in_both_orders_of_events_reproduces_the_cost(
    config: SerialConfig, draw: Draw, levels: tuple[float, ...] | None
) -> None:
    if levels is None:
        sol = solve_serial(config)
        levels, cost = sol.echelon_levels, sol.average_cost
    else:
        cost = serial_cost(config, levels)
    rates = installation_holding(config.echelon_holding)
    mean, se = _simulate(levels, rates, config.lead_times, config.penalty, draw, restock_order=False)
    assert abs(mean - cost) < 4 * se + 1e-4 * cost, (mean, se, cost)
    chain = RestockChain.from_serial(config)
    assert chain is not None and chain.lead_times == (config.lead_times[0] - 1, *config.lead_times[1:])
    mean, se = _simulate(levels, rates, chain.lead_times, config.penalty, draw, restock_order=True, seed=1)
    assert abs(mean - chain.restock_cost(cost)) < 4 * se + 1e-4 * cost, (mean, se, chain.restock_cost(cost))


# ---------------------------------------------------------------------------------------------- mappings


def test_local_levels_and_installation_holding() -> None:
    assert local_levels((6.49, 12.02, 22.71)) == pytest.approx((6.49, 5.53, 10.69))
    assert local_levels((10, 8, 20)) == (8.0, 0.0, 12.0)  # S_1 > S_2 acts as S_1 = S_2
    assert installation_holding((3.0, 2.0, 2.0)) == (7.0, 4.0, 2.0)


def test_restock_chain_round_trip_and_cost_offset() -> None:
    chain = RestockChain(
        demand="poisson:3", lead_times=(0, 1, 2), installation_holding=(7.0, 4.0, 2.0), penalty=9.0
    )
    cfg = chain.serial_config()
    assert cfg.lead_times == (1, 1, 2) and cfg.echelon_holding == (3.0, 2.0, 2.0) and cfg.penalty == 9.0
    assert RestockChain.from_serial(cfg) == chain
    # mu (h_2 + h_3) for echelons booked after the period's demand, mu (h'_2 l_1 + h'_3 l_2) for transit
    assert chain.cost_offset() == pytest.approx(3.0 * (2.0 + 2.0) + 3.0 * (4.0 * 0 + 2.0 * 1))
    assert (
        RestockChain.from_serial(
            SerialConfig(demand="poisson:3", lead_times=(0, 2), echelon_holding=(1.0, 1.0), penalty=9.0)
        )
        is None
    )
    with pytest.raises(InputError, match="must not increase upstream"):
        RestockChain(demand="poisson:3", lead_times=(1, 1), installation_holding=(1.0, 2.0), penalty=9.0)


def test_equal_holding_everywhere_keeps_all_stock_at_the_customer() -> None:
    """The same holding rate at every node: h_1 = 0, so C_1 never rises and stage 1's level only stops at
    stage 2's (stock at the customer costs no more than upstream): local levels (S_2, 0)."""
    chain = RestockChain(demand="poisson:3", lead_times=(1, 2), installation_holding=(1.0, 1.0), penalty=9.0)
    cfg = chain.serial_config()
    assert cfg.echelon_holding == (0.0, 1.0)
    sol = solve_serial(cfg)
    s1, s2 = sol.echelon_levels
    assert s1 >= s2 and sol.local_levels == (s2, 0.0)
    assert serial_cost(cfg, (s2, s2)) == pytest.approx(sol.average_cost, abs=1e-9)
    assert serial_cost(cfg, (s2 - 1, s2)) > sol.average_cost + 1e-9


# ---------------------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"lead_times": (1, 2)}, "one entry per stage"),
        ({"lead_times": (1, -1, 2)}, "lead_times[stage 2]"),
        ({"lead_times": (1, 1.5, 2)}, "lead_times[stage 2]"),
        ({"echelon_holding": (3.0, math.nan, 2.0)}, "echelon_holding[stage 2]"),
        ({"echelon_holding": (3.0, 2.0, math.inf)}, "echelon_holding[stage 3]"),
        ({"echelon_holding": (-3.0, 2.0, 2.0)}, "echelon_holding[stage 1]"),
        ({"penalty": 0.0}, "penalty"),
        ({"penalty": math.nan}, "penalty"),
        ({"demand": "gamma:5:1"}, "unknown distribution 'gamma'"),
        ({"demand": "normal:5"}, "MEAN:SD"),
        ({"demand": "normal:5:-1"}, "SD must be a finite number > 0"),
        ({"demand": "poisson:5", "grid_step": 0.5}, "grid_step"),
        ({"grid_step": 1e-5}, "max_grid_points"),
    ],
)
def test_bad_configs_name_the_field_and_value(kwargs: dict[str, object], needle: str) -> None:
    base = {**EXAMPLE_6_1.__dict__, **kwargs}
    with pytest.raises(InputError) as info:
        solve_serial(SerialConfig(**base))  # type: ignore[arg-type]
    assert needle in str(info.value)


def test_serial_cost_refuses_levels_of_the_wrong_shape() -> None:
    with pytest.raises(InputError, match="one entry per stage"):
        serial_cost(EXAMPLE_6_1, (6.0, 12.0))
    with pytest.raises(InputError, match="integer"):
        serial_cost(POISSON_3, (6.5, 12, 20))
