"""The exact oracle as a Policy: state mapping, refusals, and its simulated cost against the DP value."""

from __future__ import annotations

import numpy as np
import pytest
from baseline_worlds import zipkin

from restock.agents.baselines import oracle_policy
from restock.agents.evaluate import draw_episode, observers, rollout
from restock.errors import InputError
from restock.scenarios import load
from restock.simulator.policy import ReviewState


def test_oracle_reads_on_hand_and_the_pipeline_due_before_its_lead_time() -> None:
    sc = zipkin("p9-L2", horizon=50)
    policy = oracle_policy(sc)
    table = policy.tables[0]
    assert table.lead_time == 2
    ep = draw_episode(sc, 1, n_paths=4)
    batch = observers(ep, None)[0]
    on_hand = np.array([0.0, 3.0, 7.0, 30.0])
    due_next = np.array([5.0, 0.0, 9.0, 1.0])  # pipeline index 0: due at t+1
    pipe = np.zeros((4, 1, 1, 3))
    pipe[:, 0, 0, 0] = due_next
    st = ReviewState(7, on_hand[:, None, None], np.zeros((4, 1, 1)), pipe)
    q = policy.act(batch, st)
    expected = [table.order(int(h), [int(d)]) for h, d in zip(on_hand, due_next, strict=True)]
    np.testing.assert_array_equal(q, expected)
    assert q[3] == 0 and q[0] > 0
    pipe[0, 0, 0, 2] = 1.0  # due at t+3: impossible with L = 2
    with pytest.raises(InputError, match="deterministic lead time 2"):
        policy.act(batch, ReviewState(7, on_hand[:, None, None], np.zeros((4, 1, 1)), pipe))
    with pytest.raises(InputError, match="fractional stock"):
        policy.act(batch, ReviewState(7, on_hand[:, None, None] + 0.5, np.zeros((4, 1, 1)), pipe * 0))


def test_oracle_refuses_what_it_cannot_solve() -> None:
    with pytest.raises(InputError, match="review every period"):
        oracle_policy(load("steady"))
    # its demand lives on whole units: real-valued normal demand is refused, not solved as a negbin
    with pytest.raises(InputError, match=r"whole-unit demand \(poisson, negbin or pmf\).*'normal'"):
        oracle_policy(load("steady", ["demand.distribution=normal", "demand.cv=0.3"]))


def test_simulated_oracle_cost_matches_the_dp_value_on_zipkin_p9_l2() -> None:
    sc = zipkin("p9-L2", horizon=1000)
    policy = oracle_policy(sc)
    burn_in = 50
    costs = []
    for seed in (11,):
        res = rollout(policy, draw_episode(sc, seed, n_paths=16), engine="batch").result
        assert res is not None
        rec = res.records[res.records["period"] >= burn_in]
        costs.append(-rec.groupby("path")["reward"].mean().to_numpy())  # per-path average cost
    c = np.concatenate(costs)
    se = c.std(ddof=1) / np.sqrt(c.size)
    dp = policy.average_costs[0]
    assert abs(dp - 6.09) < 0.01  # Zipkin (2008), p = 9, L = 2 (ours = his)
    assert abs(c.mean() - dp) < 3.0 * se + 1e-9, (c.mean(), dp, se)
