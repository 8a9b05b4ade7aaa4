"""Normal demand censored at zero: draws, closed-form moments, the exact quantiles of sums, the true table,
and the errors of a bad ``cv`` (``restock scenarios validate FILE`` exits 2 naming the file, key, value)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import numpy as np
import pytest
from scenario_tables import scenario, with_shocks
from scipy import stats

from restock.errors import InputError
from restock.scenarios import censored_normal, draw, forecast_table, from_raw
from restock.scenarios.schema import SCENARIO_QUANTILES

LEVELS = np.asarray(SCENARIO_QUANTILES)
SINGLE = {
    "vendors": [{"name": "vendor", "lead_time": {"kind": "deterministic", "value": 3}}],
    "nodes": [{"name": "store", "source": "vendor"}],
}


def normal(cv: float, **demand: object) -> dict[str, object]:
    return {"kind": "stationary", "distribution": "normal", "mean": 4.0, "cv": cv, **demand}


def closed_form_mean(mu: float, sigma: float) -> float:
    """E[max(0, X)], X ~ Normal(mu, sigma^2): mu Phi(mu / sigma) + sigma phi(mu / sigma)."""
    return mu * stats.norm.cdf(mu / sigma) + sigma * stats.norm.pdf(mu / sigma)


def test_the_closed_forms_are_those_of_max_0_x() -> None:
    for mu, sigma in ((4.0, 3.2), (2.0, 4.0), (10.0, 1.0)):
        mean, var = censored_normal.moments(mu, sigma)
        x = stats.norm(mu, sigma)
        assert mean == pytest.approx(closed_form_mean(mu, sigma), rel=1e-12)
        assert mean == pytest.approx(x.expect(lambda v: max(v, 0.0)), rel=1e-8)
        assert var == pytest.approx(x.expect(lambda v: max(v, 0.0) ** 2) - mean**2, rel=1e-8)
        unit = censored_normal.unit_moments(sigma / mu)
        assert unit[0] * mu == pytest.approx(mean) and unit[1] * mu**2 == pytest.approx(var)


@pytest.mark.parametrize("cv", [0.3, 0.8])
def test_scenario_demand_has_the_closed_form_moments_and_atom(cv: float) -> None:
    nodes = [
        {"name": "store", "source": "vendor"},
        {"name": "outlet", "source": "backup", "demand_share": 0.5},
    ]
    d = draw(scenario(nodes=nodes, demand=normal(cv)), 2, 500)
    x = d.paths.demand  # [500, 28, 2, 6]
    assert (x >= 0).all() and not (x == np.rint(x)).all()  # real-valued, not rounded
    for m, mu in ((0, 4.0), (1, 2.0)):
        sample = x[:, :, m].ravel()
        mean, var = censored_normal.moments(mu, cv * mu)
        assert mean == pytest.approx(closed_form_mean(mu, cv * mu))
        assert abs(sample.mean() - mean) < 4 * np.sqrt(var / sample.size)
        assert sample.var() == pytest.approx(var, rel=0.03)
        atom = stats.norm.cdf(-1 / cv)  # P(X < 0), censored to demand 0
        assert abs((sample == 0).mean() - atom) < 4 * np.sqrt(atom * (1 - atom) / sample.size) + 1e-9
    # the mean shifts up with censoring: by 3e-5 of m at cv = 0.3, by 4% at cv = 0.8
    assert censored_normal.unit_moments(0.3)[0] == pytest.approx(1 + 3.4e-5, abs=1e-6)
    assert censored_normal.unit_moments(0.8)[0] == pytest.approx(1.0405, abs=1e-4)


def test_draws_are_by_inversion_and_keep_common_random_numbers() -> None:
    u = np.random.default_rng(1).random((5, 7))
    rate = np.array([0.0, 1.0, 2.5, 3.0, 10.0, 0.5, 4.0])
    got = censored_normal.draw(rate, 0.4, u)
    np.testing.assert_allclose(got, rate * np.maximum(0.0, 1 + 0.4 * stats.norm.ppf(u)), rtol=1e-12)
    assert (got[:, 0] == 0).all()
    # a demand shock (a higher rate) on the same uniforms gives more demand, in proportion
    np.testing.assert_allclose(censored_normal.draw(3 * rate, 0.4, u), 3 * got, rtol=1e-12)


@pytest.mark.parametrize("cv", [0.1, 0.3, 0.8, 2.0])
def test_one_period_quantiles_are_the_closed_form(cv: float) -> None:
    q = censored_normal.window_quantiles(np.full((1, 1), 4.0), np.array([0]), np.array([1]), cv, LEVELS)
    exact = 4.0 * np.maximum(0.0, 1 + cv * stats.norm.ppf(LEVELS))
    np.testing.assert_allclose(q[0, 0], exact, rtol=0, atol=3e-4 * cv * 4.0)


def test_sums_are_normal_where_censoring_is_negligible() -> None:
    cv, lengths = 0.1, np.array([1, 2, 10, 33, 60])  # P(X < 0) = Phi(-10) ~ 8e-24
    q = censored_normal.window_quantiles(np.full((60, 1), 5.0), np.array([0]), lengths, cv, LEVELS)[0]
    for j, k in enumerate(lengths):
        sd = cv * 5.0 * np.sqrt(k)
        np.testing.assert_allclose(q[j], stats.norm.ppf(LEVELS, 5.0 * k, sd), rtol=0, atol=2e-4 * sd)


def monte_carlo_check(scales: np.ndarray, cv: float, q: np.ndarray, seed: int, n: int) -> float:
    """The largest |P(S <= q_tau) - tau| over levels above the atom, in Monte-Carlo standard errors, for
    the sum S of ``scales`` x Y drawn ``n`` times; the levels at or below the atom must give 0."""
    rng = np.random.default_rng(seed)
    total = np.zeros(n)
    for s in scales.ravel():
        total += censored_normal.draw(s, cv, rng.random(n))
    atom = stats.norm.cdf(-1 / cv) ** int((scales > 0).sum())
    assert (q[LEVELS <= atom] == 0).all()
    above = LEVELS > atom + 1e-3
    share = (total[:, None] <= q[None, above]).mean(axis=0)
    tau = LEVELS[above]
    return float(np.max(np.abs(share - tau) / np.sqrt(tau * (1 - tau) / n)))


@pytest.mark.parametrize("cv", [0.8, 2.0])
def test_sums_match_monte_carlo_where_censoring_matters(cv: float) -> None:
    # two stores (0.6 and 0.4 of the demand) under a warehouse, a rate that changes from period to period
    rate = np.array([1.0, 3.0, 0.5, 2.0, 2.0, 1.0, 4.0])
    scales = rate[:, None] * np.array([0.6, 0.4])[None, :]
    lengths = np.array([1, 2, 3, 7])
    q = censored_normal.window_quantiles(scales, np.array([0]), lengths, cv, LEVELS)[0]
    for j, k in enumerate(lengths):
        assert monte_carlo_check(scales[:k], cv, q[j], seed=int(k), n=200_000) < 4.5, k
    # the check has teeth: a normal law with the sum's exact mean and variance fails it
    mean = censored_normal.unit_moments(cv)[0] * scales[:2].sum()
    sd = np.sqrt(censored_normal.unit_moments(cv)[1] * (scales[:2] ** 2).sum())
    naive = np.maximum(0.0, stats.norm.ppf(LEVELS, mean, sd))
    assert monte_carlo_check(scales[:2], cv, naive, seed=2, n=200_000) > 20


def test_a_finer_grid_changes_nothing_that_matters() -> None:
    rate = np.array([0.2, 3.0, 3.0, 0.5, 8.0, 1.0, 1.0, 1.0, 2.0] * 5)[:39, None]
    lengths, starts = np.arange(1, 37), np.array([0, 3])
    for cv in (0.3, 1.5):
        coarse = censored_normal.window_quantiles(rate, starts, lengths, cv, LEVELS)
        fine = censored_normal.window_quantiles(rate, starts, lengths, cv, LEVELS, cells_per_sd=512)
        assert not np.array_equal(coarse[0], coarse[1])
        for w, start in enumerate(starts):
            sd = np.sqrt(censored_normal.unit_moments(cv)[1] * np.cumsum(rate[start : start + 36, 0] ** 2))
            assert (np.abs(coarse[w] - fine[w]) / sd[:, None]).max() < 5e-4


def test_windows_and_periods_with_the_same_scales_share_one_computation() -> None:
    scales = np.array([[2.0], [2.0], [5.0], [2.0], [2.0], [2.0], [5.0], [2.0]])
    got = censored_normal.window_quantiles(scales, np.array([0, 4, 1]), np.array([1, 3]), 0.5, LEVELS)
    np.testing.assert_array_equal(got[0], got[1])  # the same scales in both windows
    assert not np.array_equal(got[0], got[2])
    with pytest.raises(ValueError, match="outside"):
        censored_normal.window_quantiles(scales, np.array([7]), np.array([1, 3]), 0.5, LEVELS)


def test_true_table_of_a_normal_store_is_calibrated_on_its_paths() -> None:
    d = draw(scenario(demand=normal(0.8), **SINGLE), 4, 2000)
    f = forecast_table(d)
    assert f.cumulative.shape[:2] == (1, 1) and list(f.cover) == list(range(1, 57))
    unit = censored_normal.window_quantiles(np.ones((56, 1)), np.array([0]), f.cover, 0.8, f.quantiles)[0]
    np.testing.assert_allclose(f.cumulative[0, 0, 0, 2], 4.0 * unit)
    np.testing.assert_allclose(f.per_bucket[0, 0, 0, 1, 3], 4.0 * unit[6])  # a bucket of 7 periods
    for k in (1, 3, 10):
        sums = d.paths.demand[:, 7 : 7 + k, 0, :].sum(axis=1).ravel()  # [P x N] demand from review 1
        for tau in (0.1, 0.5, 0.9, 0.99):
            q = f.cumulative_quantiles(1, k, tau)[0, 0, 0]
            assert abs((sums <= q).mean() - tau) < 4 * np.sqrt(tau * (1 - tau) / sums.size), (k, tau)


def test_a_warehouse_sees_the_sum_of_its_stores_censored_normals() -> None:
    nodes = [
        {"name": "dc", "source": "vendor", "customer_facing": False},
        {"name": "a", "source": "dc", "transfer_lead_time": 1, "demand_share": 0.75},
        {"name": "b", "source": "dc", "transfer_lead_time": 1, "demand_share": 0.25},
    ]
    d = draw(scenario(nodes=nodes, vendors=SINGLE["vendors"], demand=normal(1.2)), 0, 3000)
    f = forecast_table(d)
    k = 5
    stores = d.paths.demand[:, 7 : 7 + k, 1:, :].sum(axis=(1, 2)).ravel()  # the stores' demand, summed
    for tau in (0.05, 0.5, 0.95):
        q = f.cumulative_quantiles(1, k, tau)[0]  # [M, N]
        assert abs((stores <= q[0, 0]).mean() - tau) < 4 * np.sqrt(tau * (1 - tau) / stores.size)
        # not the normal quantile of the summed rate, nor the sum of the stores' quantiles
        assert q[0, 0] != pytest.approx(q[1, 0] + q[2, 0], rel=1e-3)
    # a store's own table is that of its share
    one = censored_normal.window_quantiles(np.full((56, 1), 3.0), np.array([0]), f.cover, 1.2, f.quantiles)
    np.testing.assert_allclose(f.cumulative[0, 0, 1, 0], one[0])


def test_foresight_sees_the_shocked_rates_of_a_normal_model() -> None:
    shock = {"kind": "demand_multiplier", "start": 7, "end": 14, "factor": 3.0, "category": "apparel"}
    seen = forecast_table(
        draw(with_shocks(shock, forecast={"foresee": True}, demand=normal(0.8), **SINGLE), 0, 1)
    )
    blind = forecast_table(draw(with_shocks(shock, demand=normal(0.8), **SINGLE), 0, 1))
    assert seen.cumulative.shape[1] == 4 and blind.cumulative.shape[1] == 1
    # review 1 (period 7), apparel SKU 4, 10 periods: 7 shocked periods at 12 and 3 at 4; Monte Carlo
    scales = np.array([12.0] * 7 + [4.0] * 3)[:, None]
    assert monte_carlo_check(scales, 0.8, seen.cumulative[0, 1, 0, 4, 9], seed=5, n=200_000) < 4.5
    assert monte_carlo_check(scales, 0.8, blind.cumulative[0, 0, 0, 4, 9], seed=5, n=200_000) > 20
    # staples are never shocked: foresight changes nothing for them
    np.testing.assert_allclose(seen.cumulative[0, :, 0, 0], blind.cumulative[0, np.zeros(4, int), 0, 0])
    # review 0's second bucket is the shocked week
    week = censored_normal.window_quantiles(np.full((7, 1), 12.0), np.array([0]), np.array([7]), 0.8, LEVELS)
    np.testing.assert_allclose(seen.per_bucket[0, 0, 0, 4, 1], week[0, 0])


def test_initial_cover_is_in_periods_of_the_censored_mean() -> None:
    nodes = [{"name": "store", "source": "vendor", "initial_cover": 10.0}]
    d = draw(scenario(nodes=nodes, vendors=SINGLE["vendors"], demand=normal(1.0)), 0, 1)
    mean = 4.0 * censored_normal.unit_moments(1.0)[0]  # 4.33: mu Phi(1) + sigma phi(1)
    np.testing.assert_array_equal(d.world.initial_on_hand, np.full((1, 6), np.rint(10 * mean)))


# ------------------------------------------------------------------------------------- bad values
HEAD = """\
name = "normal"
description = "Normal demand for tests."
horizon = 14
warmup = 7

[catalog]
n_skus = 2

[economics]
price = 10.0

[demand]
"""

BAD_CV = {
    "a negative cv": ('distribution = "normal"\nmean = 4.0\ncv = -0.3\n', "-0.3", "must be finite and > 0"),
    "a cv of zero": ('distribution = "normal"\nmean = 4.0\ncv = 0.0\n', "0.0", "must be finite and > 0"),
    "an infinite cv": ('distribution = "normal"\nmean = 4.0\ncv = inf\n', "inf", "must be finite ("),
    "a cv that is not a number": ('distribution = "normal"\nmean = 4.0\ncv = nan\n', "nan", "not nan"),
    "a cv as a string": ('distribution = "normal"\nmean = 4.0\ncv = "0.3"\n', "'0.3'", "must be a number"),
    "a normal model without cv": ('distribution = "normal"\nmean = 4.0\n', "", "is required"),
    "cv with poisson": ('distribution = "poisson"\nmean = 4.0\ncv = 0.3\n', "0.3", "only for distribution"),
    "cv with the default poisson": ("mean = 4.0\ncv = 0.3\n", "0.3", "not 'poisson'"),
    "cv with negbin": (
        'distribution = "negbin"\nmean = 4.0\ndispersion = 2.0\ncv = 0.3\n',
        "0.3",
        "not 'negbin'",
    ),
}  # fmt: skip


@pytest.fixture
def cli(run_cli):  # type: ignore[no-untyped-def]
    return run_cli("scenarios")


@pytest.mark.parametrize(("demand", "shown", "phrase"), BAD_CV.values(), ids=list(BAD_CV))
def test_a_bad_cv_exits_2_naming_the_file_the_key_and_the_value(
    cli, tmp_path: Path, demand: str, shown: str, phrase: str
) -> None:
    path = tmp_path / "normal.toml"
    path.write_text(HEAD + demand)
    out = cli("scenarios", "validate", str(path))
    assert out.returncode == 2 and out.stdout == ""
    err = out.stderr
    assert err.startswith(f"error: scenario {path}: key 'demand.cv' ") and err.count("\n") == 1, err
    assert phrase in err and (shown == "" or f"got {shown}" in err) and "Traceback" not in err, err
    with pytest.raises(InputError, match=r"scenario normal.toml: key 'demand.cv'"):
        from_raw(tomllib.loads(HEAD + demand), "normal.toml")


def test_a_normal_scenario_file_validates(cli, tmp_path: Path) -> None:
    path = tmp_path / "normal.toml"
    path.write_text(HEAD + 'distribution = "normal"\nmean_range = [1.0, 20.0]\ncv = 0.4\n')
    out = cli("scenarios", "validate", str(path))
    assert out.returncode == 0 and out.stdout.startswith("ok: normal"), out.stderr
    s = from_raw(tomllib.loads(HEAD + 'distribution = "normal"\nmean = 2.0\ncv = 0.4\n'), "normal.toml")
    assert s.demand.distribution == "normal" and s.demand.cv == 0.4
    # --set switches a built-in to it
    out = cli(
        "scenarios", "validate", "steady", "--set", "demand.distribution=normal", "--set", "demand.cv=0.5"
    )
    assert out.returncode == 0, out.stderr
    refused = cli("scenarios", "validate", "steady", "--set", "demand.distribution=normal")
    assert refused.returncode == 2 and "'demand.cv' is required" in refused.stderr


def test_cv_outside_stationary_demand_is_refused() -> None:
    table = tomllib.loads(HEAD.replace("n_skus = 2", "n_skus = 4") + 'kind = "catalog"\ncv = 0.3\n')
    with pytest.raises(InputError, match=r"'demand.cv' is only for stationary demand, got 0.3"):
        from_raw(table, "normal.toml")


def test_both_engines_run_normal_demand_alike(run_cli) -> None:  # type: ignore[no-untyped-def]
    cli = run_cli("simulate")
    args = ("simulate", "--scenario", "steady", "--policy", "base-stock:S=150", "--json", "--paths", "2")
    normal_demand = ("--set", "demand.distribution=normal", "--set", "demand.cv=0.6", "--set", "horizon=56")
    des = json.loads(cli(*args, *normal_demand, "--engine", "des").stdout)
    batch = json.loads(cli(*args, *normal_demand, "--engine", "batch").stdout)
    assert des["demand_units"] != round(des["demand_units"])  # real-valued demand
    for key in ("profit", "lost_units", "demand_units", "avg_on_hand", "holding_cost"):
        assert batch[key] == pytest.approx(des[key], rel=1e-9, abs=1e-6), key
