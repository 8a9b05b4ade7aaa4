"""Known answers: the des engine against closed forms (newsvendor, base-stock with backorders).

Conventions (DESIGN.md): an order placed in period t with lead time L arrives at the start of t + L and, at a
review, the rule sees on-hand after that period's arrivals and before its demand.

* L = 0, lost sales, order up to S every period: each period is a newsvendor. The units bought replace the
  units sold, so with salvage = unit cost the profit of a path is exactly
  sum_t [(r - c) min(D_t, S) - h (S - D_t)^+ - p (D_t - S)^+]; the optimal S is the critical fractile
  F^-1((r - c + p) / (r - c + p + h)).
* Backorders, base-stock S, lead time L, review every period: the order placed in t raises the inventory
  position to S and arrives at the start of t + L, before the demand of t + L; the end-of-period net
  inventory of period t + L is therefore S - (D_t + ... + D_{t+L}), a sum of L + 1 periods' demand. Its
  expected holding + backorder cost per period is h E[(S - D_{L+1})^+] + b E[(D_{L+1} - S)^+], minimized
  at the b / (b + h) quantile of D_{L+1} (Zipkin counts lead time from the end of a period: his L is our L+1).
"""

from __future__ import annotations

import numpy as np
import pytest
from des_cases import make_paths, single_world
from scipy import stats

from restock.simulator.des import DesEngine, run
from restock.simulator.paths import ExogenousPaths
from restock.simulator.policy import BaseStock, ReviewState
from restock.simulator.world import World

R, C, H, P = 5.0, 2.0, 0.5, 1.0  # price, unit cost, holding, lost-sale penalty
FRACTILE = (R - C + P) / (R - C + P + H)
Z_TOL = 4.5  # tolerance in standard errors


def newsvendor_profit(pmf_support: np.ndarray, pmf: np.ndarray, s: float) -> float:
    """Expected one-period profit (r - c) E min(D, S) - h E (S - D)^+ - p E (D - S)^+ of a discrete D."""
    sales = np.minimum(pmf_support, s)
    return float(
        pmf @ ((R - C) * sales - H * np.maximum(s - pmf_support, 0) - P * np.maximum(pmf_support - s, 0))
    )


def normal_profit(mu: float, sigma: float, s: float) -> float:
    """The same for a continuous normal D: E (D - S)^+ = sigma [phi(z) - z (1 - Phi(z))]."""
    z = (s - mu) / sigma
    short = sigma * (stats.norm.pdf(z) - z * stats.norm.sf(z))
    over = (s - mu) + short
    return (R - C) * (mu - short) - H * over - P * short


def per_period_rewards(world: World, paths: ExogenousPaths, level: np.ndarray) -> np.ndarray:
    """Reward of every period [T, P, M, N] through the step interface (review every period, no records)."""
    engine = DesEngine(world, paths, record=False)
    state: ReviewState | None = engine.reset()
    rule = BaseStock(level)
    out = []
    while not state.terminal:
        state, totals = engine.step(rule(state))
        out.append(totals["reward"])
    return np.stack(out)


def newsvendor_world(t_len: int, n_skus: int) -> World:
    return single_world(
        t_len, n_skus=n_skus, unit_cost=C, holding_cost=H, lost_sale_penalty=P, salvage_value=C
    )


def test_newsvendor_profit_is_exact_per_path() -> None:
    rng = np.random.default_rng(11)
    t_len, n = 40, 6
    d = rng.poisson(8.0, (1, t_len, 1, n)).astype(float)
    levels = np.arange(5.0, 5.0 + n)
    res = run(newsvendor_world(t_len, n), make_paths(d, price=R), BaseStock(levels[None, :]))
    per_sku = res.records.groupby("sku", sort=False)["reward"].sum().to_numpy()
    dd = d[0, :, 0, :]
    expect = (
        (R - C) * np.minimum(dd, levels) - H * np.maximum(levels - dd, 0) - P * np.maximum(dd - levels, 0)
    ).sum(0)
    np.testing.assert_allclose(per_sku, expect, rtol=1e-12)


@pytest.mark.parametrize("kind", ["poisson", "rounded_normal"])
def test_newsvendor_discrete_demand_matches_closed_form_and_fractile(kind: str) -> None:
    rng = np.random.default_rng(5)
    t_len, reps = 200, 200
    if kind == "poisson":
        lam = 10.0
        base = rng.poisson(lam, (t_len, reps)).astype(float)
        support = np.arange(0, 80)
        pmf = stats.poisson.pmf(support, lam)
    else:
        mu, sigma = 20.0, 5.0
        base = np.maximum(np.rint(rng.normal(mu, sigma, (t_len, reps))), 0.0)
        support = np.arange(0, 80)
        upper = stats.norm.cdf((support + 0.5 - mu) / sigma)
        pmf = np.diff(np.concatenate([[0.0], upper]))
    cdf = np.cumsum(pmf)
    best = int(support[np.argmax(cdf >= FRACTILE)])  # smallest S with F(S) >= critical fractile
    grid = np.arange(best - 6, best + 7, dtype=float)
    n = len(grid) * reps
    demand = np.tile(base, (1, len(grid))).reshape(1, t_len, 1, n)  # the same demand for every S
    levels = np.repeat(grid, reps)[None, :]
    # warm-up: period 0 buys S from zero stock; salvage = unit cost cancels the end effect exactly
    rewards = per_period_rewards(newsvendor_world(t_len, n), make_paths(demand, price=R), levels)
    per_s = rewards[:, 0, 0, :].reshape(t_len, len(grid), reps)
    total = per_s.sum(axis=0)  # [grid, reps]: a path's total profit = sum of iid one-period profits
    mean = total.mean(axis=1) / t_len
    se = total.std(axis=1, ddof=1) / np.sqrt(reps) / t_len
    closed = np.array([newsvendor_profit(support, pmf, s) for s in grid])
    assert np.all(np.abs(mean - closed) <= Z_TOL * se), (mean - closed) / se
    assert grid[np.argmax(mean)] == best
    assert grid[np.argmax(closed)] == best


def test_newsvendor_continuous_normal_matches_closed_form_and_fractile() -> None:
    rng = np.random.default_rng(9)
    mu, sigma = 100.0, 20.0
    t_len, reps = 200, 150
    s_star = mu + sigma * stats.norm.ppf(FRACTILE)
    base = np.maximum(rng.normal(mu, sigma, (t_len, reps)), 0.0)
    grid = np.concatenate([[s_star], np.arange(np.floor(s_star) - 8, np.floor(s_star) + 9)])
    n = len(grid) * reps
    demand = np.tile(base, (1, len(grid))).reshape(1, t_len, 1, n)
    rewards = per_period_rewards(
        newsvendor_world(t_len, n), make_paths(demand, price=R), np.repeat(grid, reps)[None, :]
    )
    total = rewards[:, 0, 0, :].reshape(t_len, len(grid), reps).sum(axis=0)
    mean = total.mean(axis=1) / t_len
    se = total.std(axis=1, ddof=1) / np.sqrt(reps) / t_len
    closed = np.array([normal_profit(mu, sigma, s) for s in grid])
    assert np.all(np.abs(mean - closed) <= Z_TOL * se), (mean - closed) / se
    # the critical fractile beats every level 3 or more units away, and the best integer level is next to it
    far = np.abs(grid - s_star) >= 3
    assert mean[0] > mean[far].max()
    assert abs(grid[1:][np.argmax(mean[1:])] - s_star) <= 1.0


@pytest.mark.parametrize("lead", [0, 2])
def test_backorder_base_stock_cost_matches_lead_time_demand(lead: int) -> None:
    rng = np.random.default_rng(21 + lead)
    lam, h, b = 5.0, 1.0, 4.0
    t_len, reps = 150, 150
    window = lead + 1
    support = np.arange(0, 200)
    pmf = stats.poisson.pmf(support, lam * window)
    best = int(stats.poisson.ppf(b / (b + h), lam * window))
    grid = np.arange(best - 4, best + 5, dtype=float)
    n = len(grid) * reps
    base = rng.poisson(lam, (t_len, reps)).astype(float)
    demand = np.tile(base, (1, len(grid))).reshape(1, t_len, 1, n)
    levels = np.repeat(grid, reps)
    world = single_world(
        t_len, n_skus=n, lead=lead, backorder=True, holding_cost=h, lost_sale_penalty=b, initial_on_hand=0.0
    )
    world = World(
        skus=world.skus,
        economics=world.economics,
        network=world.network,
        horizon=t_len,
        review_period=1,
        initial_on_hand=levels[None, :].copy(),  # start at S: the net inventory is stationary from period L
    )
    res = run(world, make_paths(demand, lead_time=lead), BaseStock(levels[None, :]))
    rec = res.records
    net = (rec["on_hand"] - rec["backlog"]).to_numpy().reshape(t_len, n)
    # exact: from period L on, the end-of-period net inventory is S minus the last L + 1 periods' demand
    d = demand[0, :, 0, :]
    rolling = np.stack([d[t - lead : t + 1].sum(0) for t in range(lead, t_len)])
    np.testing.assert_allclose(net[lead:], levels - rolling)
    cost = (rec["holding_cost"] + rec["penalty_cost"]).to_numpy().reshape(t_len, len(grid), reps)[lead:]
    per_rep = cost.mean(axis=0)  # [grid, reps]; replications (SKUs) are independent
    mean = per_rep.mean(axis=1)
    se = per_rep.std(axis=1, ddof=1) / np.sqrt(reps)
    closed = np.array([pmf @ (h * np.maximum(s - support, 0) + b * np.maximum(support - s, 0)) for s in grid])
    assert np.all(np.abs(mean - closed) <= Z_TOL * se), (mean - closed) / se
    assert grid[np.argmin(mean)] == best
    assert grid[np.argmin(closed)] == best


def lost_sales_chain(lam: float, s: int, h: float, p: float) -> tuple[float, float]:
    """Exact long-run (cost per period, fill rate) of base-stock S, lead time 2, lost sales, Poisson demand.

    Under our order of events with a review every period, the state at a review is (x, a): on-hand after
    arrivals and the order placed one period earlier (due next period). The order is S - x - a; demand
    leaves (x - D)^+; the next state is ((x - D)^+ + a, S - x - a). Solved for its stationary distribution.
    """
    states = [(x, a) for x in range(s + 1) for a in range(s + 1 - x)]
    index = {st: i for i, st in enumerate(states)}
    d = np.arange(0, s + 1)
    pmf = stats.poisson.pmf(d, lam)
    trans = np.zeros((len(states), len(states)))
    cost = np.zeros(len(states))
    sold = np.zeros(len(states))
    for (x, a), i in index.items():
        for dd in range(x + 1):  # demand >= x all leaves 0 on hand
            prob = pmf[dd] if dd < x else stats.poisson.sf(x - 1, lam)
            trans[i, index[(x - dd + a, s - x - a)]] += prob
        left = np.maximum(x - d, 0)
        short_mean = lam - (pmf[: x + 1] * d[: x + 1]).sum() - x * stats.poisson.sf(x, lam)  # E (D - x)^+
        cost[i] = h * (pmf[: x + 1] @ left[: x + 1]) + p * short_mean
        sold[i] = lam - short_mean
    eigvals, eigvecs = np.linalg.eig(trans.T)
    pi = np.real(eigvecs[:, np.argmin(np.abs(eigvals - 1))])
    pi = pi / pi.sum()
    return float(pi @ cost), float(pi @ sold) / lam


def test_lost_sales_base_stock_with_lead_time_matches_its_exact_markov_chain() -> None:
    lam, h, p, lead, warm = 3.0, 1.0, 4.0, 2, 30
    t_len, reps = 230, 200
    rng = np.random.default_rng(33)
    levels = (7, 9, 11)
    n = len(levels) * reps
    demand = np.tile(rng.poisson(lam, (t_len, reps)).astype(float), (1, len(levels))).reshape(1, t_len, 1, n)
    world = single_world(t_len, n_skus=n, lead=lead, holding_cost=h, lost_sale_penalty=p)
    level = np.repeat(np.array(levels, dtype=float), reps)[None, :]
    rec = run(world, make_paths(demand, lead_time=lead), BaseStock(level)).records
    cost = (rec["holding_cost"] + rec["penalty_cost"]).to_numpy().reshape(t_len, len(levels), reps)[warm:]
    sales = rec["sales"].to_numpy().reshape(t_len, len(levels), reps)[warm:]
    dem = rec["demand"].to_numpy().reshape(t_len, len(levels), reps)[warm:]
    for g, s in enumerate(levels):
        exact_cost, exact_fill = lost_sales_chain(lam, s, h, p)
        per_rep = cost[:, g].mean(axis=0)
        se = per_rep.std(ddof=1) / np.sqrt(reps)
        assert abs(per_rep.mean() - exact_cost) <= Z_TOL * se, (s, per_rep.mean(), exact_cost, se)
        fill = sales[:, g].sum(axis=0) / dem[:, g].sum(axis=0)
        assert abs(fill.mean() - exact_fill) <= Z_TOL * fill.std(ddof=1) / np.sqrt(reps), (
            s,
            fill.mean(),
            exact_fill,
        )
