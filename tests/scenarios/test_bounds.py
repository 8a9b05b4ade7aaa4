"""Values that pass type checks but are infinite or too large: refused at validation, naming the key.

Each case is a scenario file checked through the real entry point (``restock scenarios validate FILE``):
exit code 2, one line ``error: scenario FILE: key KEY ... got VALUE`` on stderr, no traceback, and no hang
or huge allocation (the bounds are stated in ``docs/scenarios.md``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from restock.scenarios.build import stationary_demand

ROOT = Path(__file__).resolve().parents[2]

TEMPLATE = """\
name = "bounds"
description = "A scenario for the bounds tests."
horizon = {horizon}
warmup = {warmup}

[catalog]
n_skus = {n_skus}
{categories}
[demand]
distribution = "{distribution}"
mean = {mean}
{demand}
[economics]
price = 10.0

[[vendors]]
name = "vendor"
lead_time = {lead_time}
fill_rate = {fill_rate}
{vendor}
[[nodes]]
name = "store"
source = "vendor"
{node}
{shocks}"""


def scenario(**settings: object) -> str:
    """The template with ``settings`` replacing its defaults."""
    values: dict[str, object] = {
        "horizon": 28,
        "warmup": 7,
        "n_skus": 2,
        "categories": "",
        "distribution": "poisson",
        "mean": 4.0,
        "demand": "",
        "lead_time": '{ kind = "deterministic", value = 2 }',
        "fill_rate": "{ mean = 1.0 }",
        "vendor": "",
        "node": "",
        "shocks": "",
    }
    values.update(settings)
    return TEMPLATE.format(**values)


def shock(kind: str, setting: str, end: int = 2) -> str:
    return f'[[shocks]]\nkind = "{kind}"\nstart = 0\nend = {end}\n{setting}\n'


INFINITE = {
    "an infinite lead-time mean": (
        scenario(lead_time='{ kind = "shifted_poisson", shift = 2, mean = inf }'),
        "vendors.0.lead_time.mean",
        "inf",
    ),
    "an infinite dispersion": (
        scenario(distribution="negbin", demand="dispersion = inf"),
        "demand.dispersion",
        "inf",
    ),
    "an infinite negbin lead-time variance": (
        scenario(lead_time='{ kind = "negative_binomial", shift = 1, mean = 3.0, var = inf }'),
        "vendors.0.lead_time.var",
        "inf",
    ),
    "an elasticity of -inf": (
        scenario(categories='[[catalog.categories]]\nname = "a"\nelasticity = -inf\n'),
        "catalog.categories.0.elasticity",
        "-inf",
    ),
    "an infinite fill-rate concentration": (
        scenario(fill_rate="{ mean = 0.5, concentration = inf }"),
        "vendors.0.fill_rate.concentration",
        "inf",
    ),
    "an infinite demand share": (scenario(node="demand_share = inf"), "nodes.0.demand_share", "inf"),
    "an infinite demand mean": (scenario(mean="inf"), "demand.mean", "inf"),
    "an infinite shock factor": (
        scenario(shocks=shock("demand_multiplier", "factor = inf")),
        "shocks.0.factor",
        "inf",
    ),
}


@pytest.fixture
def cli(run_cli):  # type: ignore[no-untyped-def]
    return run_cli("scenarios")


def refused(cli, tmp_path: Path, text: str, key: str, shown: str) -> str:  # type: ignore[no-untyped-def]
    path = tmp_path / "bounds.toml"
    path.write_text(text)
    out = cli("scenarios", "validate", str(path))
    assert out.returncode == 2, (out.stdout, out.stderr)
    err = out.stderr
    assert err.startswith(f"error: scenario {path}: key {key!r} ") and err.count("\n") == 1, err
    assert f"got {shown}" in err and "Traceback" not in err and out.stdout == "", err
    return err


@pytest.mark.parametrize(("text", "key", "shown"), INFINITE.values(), ids=list(INFINITE))
def test_an_infinite_value_is_refused_naming_the_file_the_key_and_the_value(
    cli, tmp_path: Path, text: str, key: str, shown: str
) -> None:
    err = refused(cli, tmp_path, text, key, shown)
    assert "must be finite" in err


def test_inf_still_means_unlimited_for_capacities(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "unlimited.toml"
    path.write_text(scenario(vendor="capacity = inf", node="storage_capacity = inf"))
    out = cli("scenarios", "validate", str(path))
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("ok: bounds")


TOO_LARGE = {
    "a two-day demand multiplier of 1e300": (
        scenario(shocks=shock("demand_multiplier", "factor = 1e300")),
        "shocks.0.factor",
        "1e+300",
    ),
    "a deterministic lead time of 1e8": (
        scenario(lead_time='{ kind = "deterministic", value = 100000000 }'),
        "vendors.0.lead_time.value",
        "100000000",
    ),
    "a lead-time multiplier of 1e12": (
        scenario(shocks=shock("lead_time_multiplier", "factor = 1e12")),
        "shocks.0.factor",
        "1000000000000.0",
    ),
    "a horizon of 2e9 periods": (scenario(horizon=2_000_000_000), "horizon", "2000000000"),
    "n_skus of 1e10": (scenario(n_skus=10_000_000_000), "catalog.n_skus", "10000000000"),
    "demand_curve entries of 1e308": (
        scenario(shocks=shock("demand_curve", "curve = [1e308, 1e308]", end=4)),
        "shocks.0.curve",
        "[1e+308, 1e+308]",
    ),
}


@pytest.mark.parametrize(("text", "key", "shown"), TOO_LARGE.values(), ids=list(TOO_LARGE))
def test_a_value_beyond_its_bound_is_refused_naming_the_file_the_key_and_the_value(
    cli, tmp_path: Path, text: str, key: str, shown: str
) -> None:
    err = refused(cli, tmp_path, text, key, shown)
    assert "must be at most" in err or "must hold values at most" in err


def test_a_two_day_demand_multiplier_of_1e6_validates_in_bounded_time(tmp_path: Path) -> None:
    path = tmp_path / "spike.toml"
    path.write_text(scenario(shocks=shock("demand_multiplier", "factor = 1e6")))
    command = [
        sys.executable,
        "-c",
        "from restock.cli import main; main()",
        "scenarios",
        "validate",
        str(path),
    ]
    out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr


@pytest.mark.parametrize("distribution", ["poisson", "negbin"])
def test_large_demand_rates_are_drawn_by_ppf_without_a_long_table(distribution: str) -> None:
    rate = np.array([3.0, 800.0, 4e6, 1e9])
    u = np.random.default_rng(0).uniform(size=(5, 4))
    out = stationary_demand(distribution, rate, 2.0, u)
    if distribution == "poisson":
        expected = stats.poisson.ppf(u, rate)
    else:
        expected = stats.nbinom.ppf(u, rate, 0.5)
    assert np.isfinite(expected).all()
    np.testing.assert_allclose(out, expected, rtol=1e-9)


@pytest.mark.parametrize("distribution", ["poisson", "negbin"])
def test_rates_beyond_scipy_are_drawn_finite_and_close_to_the_rate(distribution: str) -> None:
    rate = np.array([1e12, 1e30, 1e60])
    u = np.random.default_rng(0).uniform(size=(50, 3))
    out = stationary_demand(distribution, rate, 2.0, u)
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out.mean(axis=0), rate, rtol=1e-4)
    assert (np.diff(out[np.argsort(u[:, 0]), 0]) >= 0).all()  # monotone in the uniform
