"""The scenario schema: typed sections, errors naming file/key/value, --set overrides, families."""

from __future__ import annotations

import itertools
import math

import pytest
from scenario_tables import raw, scenario
from shared_data import data_overrides, scenario_params

from restock.errors import InputError
from restock.forecasters.base import BAND_QUANTILES, DEFAULT_QUANTILES
from restock.scenarios import from_raw, list_builtin, load
from restock.scenarios.amounts import Amount
from restock.scenarios.overrides import parse_override
from restock.scenarios.schema import SCENARIO_QUANTILES, ForecastConfig


def test_a_valid_table_becomes_typed_sections() -> None:
    s = scenario()
    assert s.source == "test.toml"
    assert s.horizon == 28 and s.review_period == 7 and s.warmup == 14
    assert s.economics.unit_cost == Amount(0.6, "price")
    assert s.economics.holding_cost == Amount(0.25, "cost", per_year=True)
    assert s.vendors[0].lead_time.value == 3 and math.isinf(s.vendors[1].capacity)
    assert [n.name for n in s.nodes] == ["store", "outlet"]


@pytest.mark.parametrize(
    ("changes", "key", "shown"),
    [
        ({"horizn": 5}, "horizn", "unknown key"),
        ({"seeds": {"root": 0, "n_path": 2}}, "seeds.n_path", "unknown key"),
        ({"horizon": "28"}, "horizon", "'28'"),
        ({"horizon": 2.5}, "horizon", "2.5"),
        ({"horizon": -3}, "horizon", "-3"),
        ({"review_offset": 7}, "review_offset", "7"),
        ({"demand": {"kind": "stationary", "distribution": "gamma", "mean": 4.0}},
         "demand.distribution", "gamma"),
        ({"demand": {"kind": "stationary", "distribution": "negbin", "mean": 4.0, "dispersion": 0.5}},
         "demand.dispersion", "0.5"),
        ({"demand": {"kind": "stationary", "mean_range": [5.0, 1.0]}}, "demand.mean_range", "[5.0, 1.0]"),
        ({"economics": {"price": 10.0, "unit_cost": "sixty percent"}},
         "economics.unit_cost", "sixty percent"),
        ({"economics": {"price": 10.0, "holding_cost": -1.0}}, "economics.holding_cost", "-1.0"),
        ({"economics": {"price": 10.0, "discount": 1.5}}, "economics.discount", "1.5"),
        ({"forecast": {"quantiles": [0.5, 0.4]}}, "forecast.quantiles", "[0.5, 0.4]"),
        ({"catalog": {"n_skus": 3, "categories": [{"name": "a", "elasticity": 0.5}]}},
         "catalog.categories.0.elasticity", "0.5"),
    ],
)  # fmt: skip
def test_bad_values_name_the_file_the_key_and_the_value(changes: dict, key: str, shown: str) -> None:
    with pytest.raises(InputError) as info:
        scenario(**changes)
    msg = str(info.value)
    assert "test.toml" in msg and repr(key) in msg and shown in msg


def test_vendor_and_network_errors_name_their_key() -> None:
    bad_lead = raw()
    bad_lead["vendors"][0]["lead_time"] = {"kind": "empirical", "values": [1, 2], "probs": [0.5, 0.6]}
    with pytest.raises(InputError, match=r"test.toml.*'vendors.0.lead_time'.*probs"):
        from_raw(bad_lead, "test.toml")
    bad_source = raw()
    bad_source["nodes"][1]["source"] = "nowhere"
    with pytest.raises(InputError, match=r"test.toml.*nowhere"):
        from_raw(bad_source, "test.toml")


def test_missing_required_keys_are_named() -> None:
    table = raw()
    del table["horizon"]
    with pytest.raises(InputError, match=r"test.toml: key 'horizon' is required"):
        from_raw(table, "test.toml")
    table = raw(catalog={})
    with pytest.raises(InputError, match=r"catalog.n_skus"):
        from_raw(table, "test.toml")


def test_overrides_apply_before_validation_and_parse_toml_scalars() -> None:
    s = from_raw(
        raw(),
        "test.toml",
        [
            "horizon=56",
            "demand.distribution=negbin",  # a bare word is a string
            'economics.unit_cost="0.5 * price"',
            "vendors.1.capacity=inf",
            "vendors.0.lead_time.value=4",
            "forecast.quantiles=[0.1, 0.5, 0.9]",
        ],
    )
    assert s.horizon == 56 and s.demand.distribution == "negbin"
    assert s.economics.unit_cost == Amount(0.5, "price")
    assert s.vendors[0].lead_time.value == 4
    assert s.forecast.quantiles == (0.1, 0.5, 0.9)
    # a schema key the file leaves at its default can be set
    assert from_raw(raw(), "test.toml", ["review_offset=3"]).review_offset == 3
    # a mapping from code works the same way
    assert from_raw(raw(), "test.toml", {"horizon": 14}).horizon == 14


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ("horizn=5", "'horizn'"),
        ("economics.unit_cst=1", "'economics.unit_cst'"),
        ("horizon.days=5", "'horizon.days'"),
        ("vendors.7.capacity=5", "'vendors.7'"),
        ("shocks.0.factor=2", "'shocks.0'"),
    ],
)
def test_an_override_of_a_key_that_does_not_exist_is_named(override: str, named: str) -> None:
    with pytest.raises(InputError) as info:
        from_raw(raw(), "test.toml", [override])
    assert override in str(info.value) and named in str(info.value)


def test_an_override_with_a_bad_value_is_a_validation_error() -> None:
    with pytest.raises(InputError, match=r"'horizon' must be > 0, got 0"):
        from_raw(raw(), "test.toml", ["horizon=0"])
    with pytest.raises(InputError, match=r"dotted\.key=value"):
        parse_override("horizon")


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("horizon=0", "horizon"),
        ("catalog.n_skus=10000000000", "catalog.n_skus"),
        ("vendors.0.lead_time.value=-1", "vendors.0.lead_time"),
        ('vendors.0.lead_time={kind="shifted_poisson",shift=2,mean=1.0}', "vendors.0.lead_time"),
        ('shocks=[{kind="demand_multiplier",start=5,end=7,factor=1e300}]', "shocks.0.factor"),
        ('shocks=[{kind="demand_multiplier",start=9,end=3,factor=2.0}]', "shocks.0"),
    ],
)
def test_an_error_about_a_value_from_an_override_names_the_override(override: str, key: str) -> None:
    """The value came from ``--set``, not from the file: the error says so (it blamed the file)."""
    with pytest.raises(InputError) as info:
        from_raw(raw(), "test.toml", [override])
    assert str(info.value).startswith(f"--set {override!r} on scenario test.toml: key {key!r}"), info.value


def test_an_error_about_a_value_of_the_file_still_names_the_file() -> None:
    with pytest.raises(InputError) as info:
        from_raw(raw(horizon=0), "test.toml", ["warmup=7"])
    assert str(info.value).startswith("scenario test.toml: key 'horizon' must be > 0, got 0"), info.value


@pytest.mark.parametrize("data", [bytes(range(256)), 'name = "caf\xe9"\n'.encode("latin-1")])
def test_a_scenario_file_that_is_not_utf8_text_is_named(tmp_path, data: bytes) -> None:
    path = tmp_path / "odd.toml"
    path.write_bytes(data)
    with pytest.raises(
        InputError, match=r"odd\.toml: not a UTF-8 text file \(byte 0x[0-9a-f]{2} at offset \d+\)"
    ):
        load(str(path))


def test_unknown_scenario_and_bad_toml(tmp_path) -> None:
    with pytest.raises(InputError, match="neither a built-in scenario"):
        load("no-such-scenario")
    bad = tmp_path / "bad.toml"
    bad.write_text("name = 'x'\nhorizon = = 3\n")
    with pytest.raises(InputError, match=r"bad\.toml: not valid TOML"):
        load(str(bad))


def test_a_file_path_loads_like_a_builtin(tmp_path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(
        'name = "mine"\ndescription = "one SKU"\nhorizon = 14\n[catalog]\nn_skus = 1\n'
        "[demand]\nmean = 2.0\n[economics]\nprice = 1.0\n"
    )
    s = load(str(path), ["horizon=21"])
    assert s.name == "mine" and s.horizon == 21 and s.source == str(path)


def test_zipkin_family_fills_the_sections_and_rejects_conflicts() -> None:
    s = load("zipkin-lost-sales", ["family.instance=p39-L4"])
    assert s.review_period == 1 and s.demand.mean == 5.0 and s.demand.distribution == "poisson"
    assert s.economics.lost_sale_penalty == Amount(39.0) and s.economics.holding_cost == Amount(1.0)
    assert s.economics.unit_cost == Amount(0.0) and s.economics.price == 0.0
    assert s.vendors[0].lead_time.value == 4
    with pytest.raises(InputError, match=r"'economics.lost_sale_penalty' is set by family"):
        load("zipkin-lost-sales", ["economics.lost_sale_penalty=3"])
    with pytest.raises(InputError, match=r"'family.instance'.*'p9L2'"):
        load("zipkin-lost-sales", ["family.instance=p9L2"])


def test_zipkin_lead_time_convention_matches_the_oracle() -> None:
    conventions = pytest.importorskip("restock.agents.oracle.conventions")
    from restock.scenarios.families import ZIPKIN_OFFSET

    assert conventions.ZIPKIN_OFFSET == ZIPKIN_OFFSET


def test_the_library_has_steady() -> None:
    assert "steady" in list_builtin()


@pytest.mark.parametrize("name", scenario_params(list_builtin()))
def test_every_builtin_has_a_description_and_validates(name: str) -> None:
    s = load(name, list(data_overrides(name)))
    assert s.name == name
    assert len(s.description.split()) >= 15, f"{name}: describe what it models and why"


def test_the_default_quantile_grids_nest() -> None:
    # A scenario's table (SCENARIO_QUANTILES) holds every level the forecasters train and score on
    # (DEFAULT_QUANTILES) and the P10/P50/P90 band, so neither is interpolated from a default table.
    for grid in (SCENARIO_QUANTILES, DEFAULT_QUANTILES, BAND_QUANTILES):
        assert all(0 < a < b < 1 for a, b in itertools.pairwise(grid))
    assert set(BAND_QUANTILES) < set(DEFAULT_QUANTILES) < set(SCENARIO_QUANTILES)
    assert ForecastConfig().quantiles == SCENARIO_QUANTILES
