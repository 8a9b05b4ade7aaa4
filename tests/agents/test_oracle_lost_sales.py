"""The lost-sales oracle: known answers, an independent naive solver, a simulation, the policy table."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from restock.agents.oracle import (
    LostSalesConfig,
    backorder_base_stock,
    morton_cap,
    parse_demand,
    solve_lost_sales,
)
from restock.agents.oracle.statespace import expected_period_cost, simplex_points, simplex_size
from restock.errors import InputError


def naive_lost_sales(pmf: list[float], lead: int, h: float, p: float, cap: int) -> tuple[float, dict]:
    """Plain-Python relative value iteration straight from the event order (no shared code)."""
    dims = max(lead, 1)
    states = [s for s in itertools.product(range(cap + 1), repeat=dims) if sum(s) <= cap]
    model = {}
    for s in states:
        options = []
        for q in range(cap - sum(s) + 1):
            stock = s[0] + q if lead == 0 else s[0]
            cost = 0.0
            nxt: dict[tuple[int, ...], float] = {}
            for d, pd in enumerate(pmf):
                left, lost = max(stock - d, 0), max(d - stock, 0)
                cost += pd * (h * left + p * lost)
                t: tuple[int, ...]
                if lead == 0:
                    t = (left,)
                elif lead == 1:
                    t = (left + q,)
                else:
                    t = (left + s[1], *s[2:], q)
                nxt[t] = nxt.get(t, 0.0) + pd
            options.append((q, cost, nxt))
        model[s] = options
    v = dict.fromkeys(states, 0.0)
    for _ in range(5000):
        new = {s: min(c + sum(pr * v[t] for t, pr in nx.items()) for _, c, nx in model[s]) for s in states}
        diff = [new[s] - v[s] for s in states]
        ref = new[states[0]]
        v = {s: new[s] - ref for s in states}
        if max(diff) - min(diff) < 1e-11:
            break
    q_values = {s: {q: c + sum(pr * v[t] for t, pr in nx.items()) for q, c, nx in model[s]} for s in states}
    return 0.5 * (max(diff) + min(diff)), q_values


@pytest.mark.parametrize(
    ("spec", "lead", "penalty"),
    [
        ("pmf:0.3,0.4,0.3", 0, 5.0),
        ("pmf:0.3,0.4,0.3", 1, 5.0),
        ("pmf:0.3,0.4,0.3", 2, 9.0),
        ("pmf:0.5,0.2,0.3", 3, 4.0),
    ],
)
def test_matches_an_independent_naive_solver(spec: str, lead: int, penalty: float) -> None:
    sol = solve_lost_sales(LostSalesConfig(demand=spec, lead_time=lead, penalty=penalty, tolerance=1e-11))
    pmf = parse_demand(spec).pmf.tolist()
    g, q_values = naive_lost_sales(pmf, lead, 1.0, penalty, sol.cap)
    assert sol.average_cost == pytest.approx(g, abs=1e-8)
    assert sol.converged
    for state, values in q_values.items():
        chosen = sol.policy.order(state[0], state[1:])
        assert values[chosen] <= min(values.values()) + 1e-7, state


@settings(max_examples=12, deadline=None)
@given(
    weights=st.lists(st.integers(min_value=0, max_value=9), min_size=2, max_size=4).filter(
        lambda w: sum(w) > 0
    ),
    lead=st.integers(min_value=0, max_value=2),
    penalty=st.floats(min_value=0.5, max_value=20.0),
    holding=st.floats(min_value=0.2, max_value=3.0),
)
def test_random_small_instances_match_the_naive_solver(
    weights: list[int], lead: int, penalty: float, holding: float
) -> None:
    spec = "pmf:" + ",".join(str(w / sum(weights)) for w in weights)
    config = LostSalesConfig(demand=spec, lead_time=lead, penalty=penalty, holding=holding, tolerance=1e-11)
    sol = solve_lost_sales(config)
    g, _ = naive_lost_sales(parse_demand(spec).pmf.tolist(), lead, holding, penalty, sol.cap)
    assert sol.average_cost == pytest.approx(g, abs=1e-7)


@pytest.mark.parametrize("penalty", [4.0, 9.0, 19.0, 39.0])
def test_zero_lead_time_is_the_newsvendor(penalty: float) -> None:
    """With L = 0 nothing is in transit: order up to the critical fractile every period."""
    demand = parse_demand("poisson:5")
    level = demand.quantile(penalty / (penalty + 1.0))
    newsvendor = expected_period_cost(demand.pmf, level, 1.0, penalty)[level]
    sol = solve_lost_sales(LostSalesConfig(demand="poisson:5", lead_time=0, penalty=penalty))
    assert sol.average_cost == pytest.approx(newsvendor, rel=1e-9)
    assert backorder_base_stock(demand, 0, 1.0, penalty) == (level, pytest.approx(newsvendor, rel=1e-9))
    assert [sol.policy.order(x) for x in range(level + 3)] == [max(level - x, 0) for x in range(level + 3)]


def test_a_larger_cap_changes_nothing_and_morton_bound_holds() -> None:
    """Orders never raise the position above Morton's bound even when they may (cap + 4)."""
    base = LostSalesConfig(demand="poisson:5", lead_time=2, penalty=9.0)
    sol = solve_lost_sales(base)
    bound = morton_cap(parse_demand("poisson:5"), 2, 1.0, 9.0)
    assert sol.cap == bound == 20
    wide = solve_lost_sales(
        LostSalesConfig(demand="poisson:5", lead_time=2, penalty=9.0, position_cap=bound + 4)
    )
    assert wide.average_cost == pytest.approx(sol.average_cost, rel=1e-8)
    states = simplex_points(2, bound + 4)
    orders = np.array([wide.policy.order(int(s[0]), (int(s[1]),)) for s in states])
    position = states.sum(axis=1)
    assert (position + orders)[position <= bound].max() == bound
    assert (orders[position > bound] == 0).all()
    tight = solve_lost_sales(
        LostSalesConfig(demand="poisson:5", lead_time=2, penalty=9.0, position_cap=bound - 4)
    )
    assert tight.average_cost > sol.average_cost + 1e-3  # a cap below the bound is a real restriction


def simulate(policy, lead: int, penalty: float, periods: int, seed: int) -> float:
    """Our event order: arrivals, order (arrives at t+L), demand from on-hand, costs on what is left."""
    rng = np.random.default_rng(seed)
    demand = rng.poisson(5.0, size=periods)
    on_hand, pipeline, total = 0, [0] * max(lead - 1, 0), 0.0
    for t in range(periods):
        q = policy.order(on_hand, tuple(pipeline))
        if lead == 0:
            on_hand += q
        elif lead == 1:
            pipeline_next = [q]
        else:
            pipeline_next = [*pipeline, q]
        lost = max(int(demand[t]) - on_hand, 0)
        on_hand = max(on_hand - int(demand[t]), 0)
        total += on_hand + penalty * lost
        if lead >= 1:  # the start of t+1: the first open order arrives
            on_hand += pipeline_next[0]
            pipeline = pipeline_next[1:]
    return total / periods


def test_policy_simulated_in_our_event_order_earns_the_optimal_cost() -> None:
    sol = solve_lost_sales(LostSalesConfig(demand="poisson:5", lead_time=2, penalty=9.0))
    cost = simulate(sol.policy, 2, 9.0, periods=60_000, seed=7)
    assert cost == pytest.approx(sol.average_cost, rel=0.02)
    # one period more of lead time in the simulation would cost visibly more: the convention matters
    slower = solve_lost_sales(LostSalesConfig(demand="poisson:5", lead_time=3, penalty=9.0))
    assert slower.average_cost > sol.average_cost * 1.05


def test_order_table_lookup_and_vectorized_orders_agree() -> None:
    sol = solve_lost_sales(LostSalesConfig(demand="poisson:5", lead_time=3, penalty=19.0))
    table = sol.policy
    states = simplex_points(3, sol.cap)
    vector = table.orders(states[:, 0], states[:, 1:])
    scalar = [table.order(int(s[0]), (int(s[1]), int(s[2]))) for s in states[::37]]
    assert vector[::37].tolist() == scalar
    assert table.order(sol.cap + 5, (0, 0)) == 0
    assert table.order(0, (0, 0)) > 0
    # the optimal order falls as stock rises, by less than one unit per unit (Zipkin 2008)
    orders = [table.order(x, (5, 5)) for x in range(12)]
    steps = np.diff(orders)
    assert (steps <= 0).all() and (steps >= -1).all()
    with pytest.raises(InputError, match="pipeline must have 2 entries"):
        table.order(3, (1,))
    with pytest.raises(InputError, match=">= 0"):
        table.order(-1, (0, 0))


def test_solution_reports_its_size_and_convergence() -> None:
    sol = solve_lost_sales(LostSalesConfig(demand="poisson:5", lead_time=2, penalty=39.0))
    assert sol.states == simplex_size(2, sol.cap)
    assert sol.post_states == simplex_size(3, sol.cap)
    assert sol.converged and 0 <= sol.gap <= 1e-7 * sol.average_cost
    assert sol.lower <= sol.average_cost <= sol.upper
    summary = sol.summary()
    assert summary["lead_time"] == 2 and "Zipkin" in summary["lead_time_convention"]
    assert summary["states"] == sol.states and summary["iterations"] == sol.iterations


def test_too_large_an_instance_is_refused_with_its_size() -> None:
    with pytest.raises(InputError) as info:
        solve_lost_sales(LostSalesConfig(demand="poisson:20", lead_time=6, penalty=99.0))
    message = str(info.value)
    assert "states" in message and "GiB" in message and "lead_time 6" in message


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("lead_time", -1),
        ("lead_time", 1.5),
        ("penalty", 0.0),
        ("holding", -1.0),
        ("penalty", float("inf")),
        ("position_cap", -2),
        ("tolerance", 0.0),
        ("max_iterations", 0),
        ("demand", 5),
    ],
)
def test_bad_config_names_field_and_value(field: str, value: object) -> None:
    kwargs: dict[str, object] = {"demand": "poisson:5", "lead_time": 1, "penalty": 9.0}
    kwargs[field] = value
    with pytest.raises(InputError) as info:
        LostSalesConfig(**kwargs)  # type: ignore[arg-type]
    assert field in str(info.value) and repr(value) in str(info.value)


def coo_transitions(space, post: np.ndarray, leftover: np.ndarray):  # type: ignore[no-untyped-def]
    """The transition matrix written entry by entry from the event order, as one COO triple."""
    import scipy.sparse as sp

    lookup = {tuple(int(v) for v in s): i for i, s in enumerate(space.pre)}
    rows, cols, probs = [], [], []
    for i, u in enumerate(post):
        stock = int(u[0] + u[1]) if space.lead_time == 0 else int(u[0])
        for y in range(stock + 1):
            if leftover[stock, y] > 0:
                if space.lead_time == 0:
                    nxt: tuple[int, ...] = (y,)
                else:
                    nxt = (y + int(u[1]), *(int(v) for v in u[2:]))
                rows.append(i)
                cols.append(lookup[nxt])
                probs.append(leftover[stock, y])
    return sp.csr_matrix((probs, (rows, cols)), shape=(post.shape[0], space.size))


@pytest.mark.parametrize(
    ("spec", "lead"), [("pmf:0.2,0,0.5,0.3", 0), ("poisson:2", 1), ("pmf:0.3,0.4,0.3", 2), ("geometric:1", 3)]
)
def test_transitions_built_block_by_block_equal_the_whole_coo_matrix(
    spec: str, lead: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Blocks of 7 candidate entries (many blocks, states split across none) give the same CSR matrix,
    entry for entry and in the same order, as one COO triple of the whole matrix."""
    from restock.agents.oracle import statespace

    monkeypatch.setattr(statespace, "KERNEL_BLOCK", 7)
    demand = parse_demand(spec)
    cap = 6
    space = statespace.build_space(lead, cap)
    leftover = statespace.leftover_matrix(demand.pmf, cap)
    post = simplex_points(space.dims + 1, cap)
    expected = coo_transitions(space, post, leftover)
    for built in (
        statespace.decision_transitions(space, leftover),
        statespace.transitions(space, post, leftover),
    ):
        assert built.indices.dtype == np.int32
        np.testing.assert_array_equal(built.indptr, expected.indptr)
        np.testing.assert_array_equal(built.indices, expected.indices)
        np.testing.assert_array_equal(built.data, expected.data)
    cost = expected_period_cost(demand.pmf, cap, 1.0, 9.0)
    np.testing.assert_array_equal(
        statespace.decision_costs(space, cost), cost[statespace.stock_facing_demand(lead, post)]
    )
