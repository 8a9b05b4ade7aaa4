"""Demand from a pmf (``demand.distribution = "pmf"``): the draws, the exact forecast table, named errors,
and the dual-sourcing family on the published uniform demand against the exact oracle."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from restock.errors import InputError
from restock.scenarios import draw, load
from restock.scenarios.build import pmf_demand
from restock.scenarios.counts import pmf_sum_quantiles
from restock.scenarios.forecast import forecast_table

UNIFORM = "demand.pmf=[0.2, 0.2, 0.2, 0.2, 0.2]"


def test_inversion_by_hand() -> None:
    """CDF 0.5, 0.5, 1.0 (P(1) = 0): u <= 0.5 gives 0, u in (0.5, 1) gives 2; never 1."""
    u = np.array([0.0, 0.25, 0.5, 0.5000001, 0.99])
    np.testing.assert_array_equal(pmf_demand((0.5, 0.0, 0.5), u), [0, 0, 0, 2, 2])


def test_draws_follow_the_pmf() -> None:
    d = draw(load("dual-sourcing", ["family.demand=uniform", "horizon=4000"]), 3, 4)
    values = d.paths.demand.reshape(-1)
    assert set(np.unique(values).tolist()) == {0.0, 1.0, 2.0, 3.0, 4.0}
    counts = np.bincount(values.astype(int), minlength=5)
    assert stats.chisquare(counts).pvalue > 1e-3  # uniform on 0..4
    assert d.catalog.mean is not None and d.catalog.mean.tolist() == [2.0]


def test_sums_of_periods_by_hand_and_against_poisson() -> None:
    """Two periods of uniform 0..4: P(sum <= 1) = 3/25 = 0.12, P(sum <= 3) = 10/25 = 0.4 (a level hit
    exactly: the quantile at 0.4 is 3, at 0.41 is 4). A long Poisson(2) pmf summed over k periods gives
    Poisson(2k)'s quantiles."""
    q = pmf_sum_quantiles(np.full(5, 0.2), np.array([2]), np.array([0.12, 0.13, 0.4, 0.41]))
    np.testing.assert_array_equal(q, [[1, 2, 3, 4]])
    pmf = stats.poisson.pmf(np.arange(60), 2.0)
    pmf[-1] += 1 - pmf.sum()
    levels = np.array([0.05, 0.3, 0.5, 0.9, 0.99])
    ks = np.array([1, 3, 7])
    want = stats.poisson.ppf(levels[None, :], 2.0 * ks[:, None])
    np.testing.assert_array_equal(pmf_sum_quantiles(pmf, ks, levels), want)


def test_the_true_table_holds_the_quantiles_of_the_sums() -> None:
    sc = load("dual-sourcing", ["family.demand=uniform", "horizon=50"])
    table = forecast_table(draw(sc, 0, 1))
    k = 2
    i = int(np.flatnonzero(table.cover == k)[0])
    want = pmf_sum_quantiles(np.full(5, 0.2), np.array([k]), table.quantiles)[0]
    np.testing.assert_array_equal(table.cumulative[0, 0, 0, 0, i], want)


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        (["demand.distribution=pmf"], "demand.pmf' is required"),
        (["demand.distribution=pmf", "demand.pmf=[0.5, 0.4]"], "must sum to 1"),
        (["demand.distribution=pmf", "demand.pmf=[0.5, -0.5, 1.0]"], "demand.pmf.1"),
        (["demand.distribution=pmf", "demand.pmf=[0.5, nan, 0.5]"], "demand.pmf.1"),
        (["demand.distribution=pmf", UNIFORM, "demand.mean=2.0"], "implied by demand.pmf"),
        (["demand.distribution=pmf", UNIFORM, "demand.mean_range=[1.0, 2.0]"], "implied by demand.pmf"),
        (["demand.pmf=[1.0]"], "only for distribution = 'pmf'"),
        (
            [
                "demand.distribution=pmf",
                UNIFORM,
                "shocks=[{kind='demand_multiplier',start=1,end=5,factor=2.0}]",
            ],
            "demand_multiplier",
        ),
        (["family.demand=uniform"], "family.demand"),
        (
            ["demand.distribution=pmf", f"demand.pmf=[{', '.join(['0.0'] * 1000)}, 1.0]"],
            "at most 1000 values",
        ),
        (
            [
                "demand.distribution=pmf",
                f"demand.pmf=[{', '.join(['0.001'] * 1000)}]",
                "forecast.max_cover=60",
            ],
            "longest cover .60 periods. must be at most 50,000",
        ),
        (
            [
                "demand.distribution=pmf",
                UNIFORM,
                "nodes=[{name='dc', source='vendor', customer_facing=false}, {name='store', source='dc'}]",
            ],
            "single node",
        ),
    ],
)
def test_bad_pmf_keys_are_named(overrides: list[str], words: str) -> None:
    base = "steady" if not overrides[0].startswith("family") else "zipkin-lost-sales"
    more = [] if base == "zipkin-lost-sales" else ["demand.mean_range=[]"]
    with pytest.raises(InputError, match=words.replace("[", r"\[").replace("(", r"\(")):
        load(base, [*more, *overrides])


def test_the_family_refuses_an_unknown_demand() -> None:
    with pytest.raises(InputError, match=r"family\.demand"):
        load("dual-sourcing", ["family.demand=normal"])


def test_the_oracle_policy_reads_the_pmf_of_a_scenario() -> None:
    """A lost-sales store with pmf demand, a review every period and a deterministic lead time: the oracle
    instance carries the scenario's pmf itself (not a Poisson of its mean)."""
    from restock.agents.baselines.oracle_policy import oracle_instances

    pmf_sc = load(
        "steady",
        [
            "catalog.n_skus=1",
            "demand.mean_range=[]",
            "demand.distribution=pmf",
            "demand.pmf=[0.1, 0.6, 0.3]",
            "review_period=1",
            "vendors=[{name='vendor', lead_time={kind='deterministic', value=1}}]",
        ],
    )
    (instance,) = oracle_instances(pmf_sc)
    assert instance["demand"] == "pmf:0.1,0.6,0.3"
    assert instance["lead_time"] == 1
