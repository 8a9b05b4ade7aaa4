"""The dual-sourcing oracle: the six Gijsbrechts et al. (2022) instances, hand-worked cases, known results,
an independent full-state solver, two independent policy evaluations and a simulation in the event order.

* hand-worked: Bernoulli demand with L_R = 1 — single sourcing at cost c_R/2 + 1 (an order covers L_R + 1
  periods of demand), and a case where expediting (L_E = 0: same-period arrival) beats holding stock;
* the six instances: the optimum (our figures), the optimal table's policy evaluation equal to the value
  iteration, the capped dual index within 0.2% (published 0.00-0.11%) and never below the optimum;
* expediting priced out: the optimum is the backorder oracle's base-stock cost at L_R plus c_R x mean;
* L_R = L_E + 1: the dual index is optimal (Fukuda 1964);
* L_E = 1: the reduced model (expedited position) against a plain value iteration on the full state;
* the optimal table and a capped dual index simulated in the event order of the module docstring.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from restock.agents.oracle import (
    BackorderConfig,
    DualSourcingConfig,
    IndexPolicy,
    backorder_base_stock,
    best_index_policies,
    dual_sourcing_report,
    evaluate_index_policy,
    parse_demand,
    solve_backorder,
    solve_dual_sourcing,
)
from restock.agents.oracle.dual_sourcing import grid_chain, period_cost
from restock.agents.oracle.rvi import evaluate_policy
from restock.errors import InputError

UNIFORM = "pmf:0.2,0.2,0.2,0.2,0.2"
"""Demand uniform on {0, ..., 4} (Gijsbrechts et al. 2022)."""


def gijsbrechts(regular_lead_time: int, expedited_cost: float, **options: float) -> DualSourcingConfig:
    """One of the six instances: L_E = 0, c_R = 100, h = 5, b = 495, uniform demand on {0..4}."""
    fields: dict[str, object] = {
        "demand": UNIFORM,
        "regular_lead_time": regular_lead_time,
        "expedited_lead_time": 0,
        "regular_cost": 100.0,
        "expedited_cost": expedited_cost,
        "holding": 5.0,
        "backorder": 495.0,
    }
    return DualSourcingConfig(**{**fields, **options})  # type: ignore[arg-type]


SIX = {
    # (L_R, c_E): (optimum, best capped dual index (S_e, S_r, q_r), its cost)
    (2, 105.0): (216.769802, (4, 7, 2), 216.782407),
    (2, 110.0): (219.733333, (4, 8, 2), 219.799406),
    (3, 105.0): (216.876720, (4, 9, 1), 216.878307),
    (3, 110.0): (220.341051, (4, 10, 2), 220.465662),
    (4, 105.0): (216.893051, (4, 11, 1), 216.893094),
    (4, 110.0): (220.612232, (4, 11, 2), 220.863817),
}
"""Our figures (docs/sourcing.md); the published capped-dual-index gaps are 0.00-0.11%."""


def evaluate_on_grid(config: DualSourcingConfig, expedite: np.ndarray, regular: np.ndarray) -> float:
    """Policy evaluation (rvi.evaluate_policy) of fixed orders on the solution's grid."""
    sol = solve_dual_sourcing(config)
    chain = grid_chain(config, sol.demand, sol.grid, expedite, regular)
    result = evaluate_policy(chain.transition, chain.cost, tolerance=1e-13, max_iterations=100_000)
    assert result.converged
    return result.average_cost


# ---------------------------------------------------------------------------------------------- by hand


def test_hand_worked_single_sourcing_covers_lead_time_plus_one_periods() -> None:
    """D ~ Bernoulli(1/2), L_R = 1, expediting at 1000 never pays. The regular order placed in t is on
    hand for the demand of t+1, so it covers D_t + D_{t+1} ~ {0: 1/4, 1: 1/2, 2: 1/4}; b/(b+h) = 0.9 puts
    the level at S = 2 (no backorders), holding E(2 - D_2) = 1, purchases 10 x 1/2: cost 6 exactly."""
    cfg = DualSourcingConfig("pmf:0.5,0.5", 1, 0, 10.0, 1000.0, 1.0, 9.0)
    sol = solve_dual_sourcing(cfg)
    assert sol.average_cost == pytest.approx(6.0, abs=1e-9)
    assert [sol.policy.orders(x) for x in (0, 1, 2)] == [(0, 2), (0, 1), (0, 0)]
    assert sol.expedited_share == 0.0


def test_hand_worked_same_period_expediting_beats_holding() -> None:
    """D ~ Bernoulli(1/2), L_R = 1, L_E = 0, c_R = 0, c_E = 1, h = 2, b = 100. Expediting to 1 whenever the
    net inventory after arrivals is 0 (half the periods) and never ordering regular costs
    1/2 (c_E + h/2) + 1/2 (h/2) = 1.5; regular base stock 2 with no expediting costs h E(2 - D) averaged
    over net inventory 1 and 2: 1/2 (1) + 1/2 (3) = 2. The expedited unit arrives before the demand of
    its own period (L_E = 0), so no backorder is ever paid."""
    cfg = DualSourcingConfig("pmf:0.5,0.5", 1, 0, 0.0, 1.0, 2.0, 100.0)
    sol = solve_dual_sourcing(cfg)
    assert sol.average_cost == pytest.approx(1.5, abs=1e-9)
    assert sol.policy.orders(0) == (1, 0)
    assert sol.policy.orders(1) == (0, 0)
    assert sol.expedited_share == pytest.approx(1.0)
    expedite_to_one = IndexPolicy(expedite_level=1, regular_level=1, regular_cap=0)
    assert evaluate_index_policy(cfg, expedite_to_one) == pytest.approx(1.5, abs=1e-12)
    base_stock_two = IndexPolicy(expedite_level=-5, regular_level=2)
    assert evaluate_index_policy(cfg, base_stock_two) == pytest.approx(2.0, abs=1e-12)


def test_period_cost_is_the_newsvendor_cost_of_the_expedite_window() -> None:
    pmf = np.array([0.25, 0.5, 0.25])
    z = np.arange(-3, 6)
    direct = [sum(p * (2.0 * max(x - k, 0) + 7.0 * max(k - x, 0)) for k, p in enumerate(pmf)) for x in z]
    assert period_cost(pmf, 2.0, 7.0, z) == pytest.approx(direct, abs=1e-12)


# ---------------------------------------------------------------------------------------------- the six


@pytest.mark.parametrize(("lead", "expedited_cost"), list(SIX))
def test_gijsbrechts_instances(lead: int, expedited_cost: float) -> None:
    optimum, levels, cdi_cost = SIX[(lead, expedited_cost)]
    cfg = gijsbrechts(lead, expedited_cost)
    sol, search, report = dual_sourcing_report(cfg)
    assert sol.converged and sol.gap < 5e-8
    assert sol.average_cost == pytest.approx(optimum, abs=1e-6)
    assert sol.boundary.total == 0.0
    # the optimal table, evaluated as a fixed policy, costs what value iteration says
    table = evaluate_on_grid(cfg, sol.policy.expedite, sol.policy.regular)
    assert table == pytest.approx(sol.average_cost, abs=sol.gap)
    cdi = search.capped_dual_index
    p = cdi.policy
    assert (p.expedite_level, p.regular_level, p.regular_cap) == levels
    assert cdi.average_cost == pytest.approx(cdi_cost, abs=1e-6)
    assert cdi.average_cost >= sol.average_cost - 1e-8
    gap = report["capped_dual_index"]["gap_percent"]
    assert 0.0 <= gap < 0.115  # published: 0.00 .. 0.11 %
    assert gap == pytest.approx(100 * (cdi_cost / optimum - 1), abs=1e-5)
    # the families nest: capped dual index <= dual index; the single index is worse here
    assert cdi.average_cost <= search.dual_index.average_cost <= search.single_index.average_cost


def test_widening_the_grid_keeps_the_optimum() -> None:
    base = solve_dual_sourcing(gijsbrechts(3, 110.0))
    wide = solve_dual_sourcing(
        gijsbrechts(3, 110.0, max_regular_order=12, min_position=-15, max_position=base.grid.hi + 8)
    )
    assert wide.grid.size > 2 * base.grid.size
    assert wide.average_cost == pytest.approx(base.average_cost, abs=base.gap + wide.gap)


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        ({"max_regular_order": 1}, "max_regular_order = 1"),
        ({"max_position": 3}, "max_position = 3"),
        ({"backorder": 1.0, "min_position": 0}, "min_position = 0"),
    ],
)
def test_a_grid_that_cuts_the_optimum_is_refused(options: dict[str, float], needle: str) -> None:
    """Too few regular units, a ceiling below the expedite level, a floor above the backlog that cheap
    backorders (b = 1 < h) make optimal: each is refused, naming the bound."""
    with pytest.raises(InputError, match=needle):
        solve_dual_sourcing(gijsbrechts(2, **{"expedited_cost": 110.0, **options}))


# ---------------------------------------------------------------------------------------------- known results


@pytest.mark.parametrize("lead", [1, 2, 3])
def test_priced_out_expediting_is_single_sourcing(lead: int) -> None:
    """c_E = 1e4 (more than b over any lead time): never expedite; the optimum is the backorder oracle's
    base-stock cost at L_R plus c_R E[D], and the best capped dual index is that base-stock policy."""
    cfg = DualSourcingConfig(UNIFORM, lead, 0, 100.0, 1e4, 5.0, 495.0)
    sol = solve_dual_sourcing(cfg)
    level, cost = backorder_base_stock(parse_demand(UNIFORM), lead, 5.0, 495.0)  # the closed form
    single = solve_backorder(BackorderConfig(demand=UNIFORM, lead_time=lead, penalty=495.0, holding=5.0))
    assert single.average_cost == pytest.approx(cost, abs=single.gap)
    assert sol.average_cost == pytest.approx(cost + 100.0 * 2.0, abs=sol.gap)
    assert sol.expedited_share == 0.0
    search = best_index_policies(cfg)
    assert search.capped_dual_index.average_cost == pytest.approx(cost + 200.0, abs=1e-9)
    assert search.capped_dual_index.policy.regular_level == level
    assert search.capped_dual_index.expedited_share == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize(
    ("spec", "regular", "expedited"),
    [(UNIFORM, 1, 0), (UNIFORM, 2, 1), ("pmf:0.3,0.5,0.2", 1, 0), ("pmf:0.1,0.2,0.4,0.3", 3, 2)],
)
def test_dual_index_is_optimal_when_lead_times_differ_by_one(spec: str, regular: int, expedited: int) -> None:
    """Fukuda (1964): with L_R = L_E + 1 a dual base-stock (dual index) policy is optimal."""
    cfg = DualSourcingConfig(spec, regular, expedited, 100.0, 107.0, 5.0, 95.0)
    sol = solve_dual_sourcing(cfg)
    search = best_index_policies(cfg)
    assert search.dual_index.average_cost == pytest.approx(sol.average_cost, abs=sol.gap)


def test_dual_index_is_not_optimal_with_a_longer_regular_lead_time() -> None:
    """The counterpart: at L_R = 3, L_E = 0 the best dual index is measurably above the optimum."""
    cfg = gijsbrechts(3, 105.0)
    gap = best_index_policies(cfg).dual_index.average_cost / solve_dual_sourcing(cfg).average_cost - 1
    assert gap > 1e-3


# ---------------------------------------------------------------------------------------------- independent


def full_state_optimum(pmf: list[float], lr: int, le: int, costs: tuple[float, float, float, float]) -> float:
    """Plain relative value iteration on the *full* state (net inventory, arrivals in t+1 .. t+L_R-1),
    over every pair of orders, straight from the event order; nothing shared with the oracle."""
    c_r, c_e, h, b = costs
    xs = range(-4, 9)
    states = list(itertools.product(xs, *[range(0, 7)] * (lr - 1)))
    index = {s: i for i, s in enumerate(states)}
    rows, cost, nexts = [], [], []
    for s in states:
        for qe, qr in itertools.product(range(0, 5), range(0, 4)):
            stock = s[0] + (qe if le == 0 else 0)
            pipe = [*s[1:], qr]  # arrivals in t+1 .. t+L_R
            if le >= 1:
                pipe[le - 1] += qe
            c = c_e * qe + c_r * qr
            nxt = []
            for d, p in enumerate(pmf):
                y = stock - d
                c += p * (h * max(y, 0) + b * max(-y, 0))
                nxt.append(index[(min(max(y + pipe[0], xs[0]), xs[-1]), *pipe[1:])])
            rows.append(index[s])
            cost.append(c)
            nexts.append(nxt)
    rows_a, cost_a, next_a, prob = np.array(rows), np.array(cost), np.array(nexts), np.array(pmf)
    v = np.zeros(len(states))
    lo = hi = 0.0
    for _ in range(10_000):
        new = np.full(len(states), np.inf)
        np.minimum.at(new, rows_a, cost_a + v[next_a] @ prob)
        lo, hi = float((new - v).min()), float((new - v).max())
        v = new - new[0]
        if hi - lo < 1e-10:
            break
    return 0.5 * (lo + hi)


@pytest.mark.parametrize(("regular", "expedited"), [(2, 1), (3, 1)])
def test_expedited_position_reduction_against_the_full_state(regular: int, expedited: int) -> None:
    """L_E = 1: the oracle works on the expedited position with G over two periods of demand; a plain
    solver on the full state, costs booked in the period they occur, finds the same optimum."""
    pmf = [0.3, 0.5, 0.2]
    costs = (1.0, 2.0, 1.0, 9.0)
    cfg = DualSourcingConfig("pmf:0.3,0.5,0.2", regular, expedited, *costs)
    sol = solve_dual_sourcing(cfg)
    assert sol.average_cost == pytest.approx(full_state_optimum(pmf, regular, expedited, costs), abs=1e-7)


@pytest.mark.parametrize(
    "policy",
    [
        IndexPolicy(4, 10, 2),
        IndexPolicy(3, 9, None),
        IndexPolicy(4, 10, 2, regular_sees_expedite=False),
        IndexPolicy(2, 9, None, kind="single"),
    ],
)
def test_index_policy_cost_equals_policy_evaluation_on_the_grid(policy: IndexPolicy) -> None:
    """Two independent exact evaluations: the relative chain (stationary distribution, all S_e at once)
    and value iteration of the same orders on the oracle's grid."""
    cfg = gijsbrechts(3, 110.0)
    sol = solve_dual_sourcing(cfg)
    e, later = sol.grid.coordinates()
    qe, qr = policy.reduced_orders(e, later)
    qe = np.minimum(e + qe, sol.grid.hi) - e  # off the policy's recurrent states only
    qr = np.minimum(qr, sol.grid.max_order)
    grid = evaluate_on_grid(cfg, qe.reshape(sol.grid.shape), qr.reshape(sol.grid.shape))
    assert evaluate_index_policy(cfg, policy) == pytest.approx(grid, abs=1e-8)


def simulate(cfg: DualSourcingConfig, decide, paths: int, periods: int, warmup: int, seed: int) -> np.ndarray:
    """Average cost per path over periods warmup.., in the event order (arrivals, orders, demand, costs)."""
    rng = np.random.default_rng(seed)
    pmf = parse_demand(cfg.demand).pmf
    lr, le = cfg.regular_lead_time, cfg.expedited_lead_time
    net = np.zeros(paths, dtype=np.int64)
    pipe = np.zeros((paths, lr), dtype=np.int64)  # pipe[:, i]: arrives at the start of t + i
    total = np.zeros(paths)
    for t in range(periods):
        net += pipe[:, 0]  # 1. arrivals
        pipe = np.column_stack([pipe[:, 1:], np.zeros(paths, dtype=np.int64)])
        qe, qr = decide(net, pipe[:, : lr - 1])  # 2. orders
        if le == 0:
            net += qe
        else:
            pipe[:, le - 1] += qe
        pipe[:, lr - 1] += qr
        demand = rng.choice(pmf.shape[0], size=paths, p=pmf)  # 3. demand
        net -= demand
        cost = cfg.expedited_cost * qe + cfg.regular_cost * qr  # 4. costs
        cost = cost + cfg.holding * np.maximum(net, 0) + cfg.backorder * np.maximum(-net, 0)
        if t >= warmup:
            total += cost
    return total / (periods - warmup)


def test_simulating_the_optimal_table_and_a_capped_dual_index_in_the_event_order() -> None:
    cfg = gijsbrechts(3, 110.0)
    sol = solve_dual_sourcing(cfg)

    def optimal(net: np.ndarray, pipe: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return sol.policy.orders_many(net, pipe)

    costs = simulate(cfg, optimal, paths=400, periods=560, warmup=60, seed=7)
    se = costs.std(ddof=1) / np.sqrt(costs.size)
    assert abs(costs.mean() - sol.average_cost) < 4 * se

    cdi = IndexPolicy(4, 10, 2)
    assert cdi.orders(2, [1, 2]) == (2, 2)  # expedite up to S_e = 4; 10 - (4 + 3) = 3, capped at 2
    assert cdi.orders(5, [2, 2]) == (0, 1)  # position 9 after no expedite: one short of S_r = 10

    def capped(net: np.ndarray, pipe: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return cdi.reduced_orders(net, pipe)

    costs = simulate(cfg, capped, paths=400, periods=560, warmup=60, seed=8)
    se = costs.std(ddof=1) / np.sqrt(costs.size)
    assert abs(costs.mean() - evaluate_index_policy(cfg, cdi)) < 4 * se


def test_table_reads_the_expedited_position_from_the_full_pipeline() -> None:
    """L_E = 1, L_R = 3: what arrives in t+1 counts with the net inventory; moving units between the two
    changes nothing, while the order arriving in t+2 is a separate coordinate."""
    sol = solve_dual_sourcing(DualSourcingConfig("pmf:0.3,0.5,0.2", 3, 1, 1.0, 2.0, 1.0, 9.0))
    assert sol.policy.orders(1, [2, 1]) == sol.policy.orders(3, [0, 1]) == sol.policy.orders(0, [3, 1])
    with pytest.raises(InputError, match="2 entries"):
        sol.policy.orders(1, [2])
    with pytest.raises(InputError, match="outside the solved grid"):
        sol.policy.orders(10_000, [0, 0])


@pytest.mark.slow
@pytest.mark.parametrize(("lead", "expedited_cost"), list(SIX))
def test_regular_order_after_the_expedite_is_never_worse(lead: int, expedited_cost: float) -> None:
    """Sun & Van Mieghem's eq. (3) as idinn codes it (regular order from the position before this period's
    expedite) searched the same way is never better than the rule used here (docs/sourcing.md)."""
    cfg = gijsbrechts(lead, expedited_cost)
    ours = best_index_policies(cfg).capped_dual_index.average_cost
    theirs = best_index_policies(cfg, regular_sees_expedite=False).capped_dual_index.average_cost
    assert ours <= theirs + 1e-9


# ---------------------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("fields", "needle"),
    [
        ({"expedited_lead_time": 2}, "expedited_lead_time"),
        ({"expedited_lead_time": -1}, "expedited_lead_time"),
        ({"regular_lead_time": 0, "expedited_lead_time": 0}, "regular_lead_time"),
        ({"regular_lead_time": 1.5}, "regular_lead_time"),
        ({"expedited_cost": 100.0}, "expedited_cost"),
        ({"expedited_cost": float("nan")}, "expedited_cost"),
        ({"regular_cost": -1.0}, "regular_cost"),
        ({"regular_cost": float("inf")}, "regular_cost"),
        ({"holding": 0.0}, "holding"),
        ({"backorder": float("nan")}, "backorder"),
        ({"demand": "pmf:0.5,0.6"}, "sum to 1"),
        ({"demand": "pmf:0.5,-0.5,1"}, "probability 1"),
        ({"demand": "pmf:1"}, "positive mean"),
        ({"max_regular_order": 0}, "max_regular_order"),
        ({"min_position": 2}, "min_position"),
        ({"tolerance": 0.0}, "tolerance"),
    ],
)
def test_bad_config_names_the_field(fields: dict[str, object], needle: str) -> None:
    base: dict[str, object] = {
        "demand": UNIFORM,
        "regular_lead_time": 2,
        "expedited_lead_time": 0,
        "regular_cost": 100.0,
        "expedited_cost": 105.0,
        "holding": 5.0,
        "backorder": 495.0,
    }
    with pytest.raises(InputError, match=needle):
        DualSourcingConfig(**{**base, **fields})  # type: ignore[arg-type]


def test_too_large_a_grid_is_refused() -> None:
    with pytest.raises(InputError, match="GiB"):
        solve_dual_sourcing(gijsbrechts(4, 110.0, memory_limit_bytes=10_000))
