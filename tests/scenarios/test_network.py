"""Bad ``[[vendors]]``/``[[nodes]]`` input: one-line errors naming the file, the key and the value.

Each case is a scenario file whose nodes are written out in TOML, checked through the real entry point
(``restock scenarios validate FILE``: exit code 2, one line on stderr, no traceback) and through
:func:`restock.scenarios.from_raw`.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from restock.errors import InputError
from restock.scenarios import from_raw

HEAD = """\
name = "net"
description = "A network for tests."
horizon = 14
warmup = 7

[catalog]
n_skus = 2

[demand]
mean = 4.0

[economics]
price = 10.0

[[vendors]]
name = "vendor"
lead_time = { kind = "deterministic", value = 2 }
"""

DC = """
[[nodes]]
name = "dc"
source = "vendor"
customer_facing = false
"""


def node(name: str, source: str | None = None, **settings: object) -> str:
    """One ``[[nodes]]`` table in TOML."""
    lines = ["", "[[nodes]]", f'name = "{name}"']
    if source is not None:
        lines.append(f'source = "{source}"')
    for key, value in settings.items():
        text = str(value).lower() if isinstance(value, bool) else value
        lines.append(f"{key} = {text}")
    return "\n".join(lines) + "\n"


BAD = {
    "cycle": (node("a", "b") + node("b", "a"), "nodes.0.source", "'b'", "cycle a <- b <- a"),
    "cycle of three above a store": (
        node("store", "a")
        + node("a", "b", customer_facing=False)
        + node("b", "c", customer_facing=False)
        + node("c", "a", customer_facing=False),
        "nodes.1.source",
        "'b'",
        "cycle a <- b <- c <- a",
    ),
    "a node without a source": (node("a"), "nodes.0.source", "", "is required"),
    "a transfer from a node that does not exist": (
        DC + node("store", "ghost", transfer_lead_time=1),
        "nodes.1.source",
        "'ghost'",
        "must name a vendor ('vendor') or another node ('dc')",
    ),
    "a node fed by itself": (node("a", "a"), "nodes.0.source", "'a'", "not the node itself"),
    "a negative transfer lead time": (
        DC + node("store", "dc", transfer_lead_time=-1),
        "nodes.1.transfer_lead_time",
        "-1",
        "must be >= 0",
    ),
    "a fractional transfer lead time": (
        DC + node("store", "dc", transfer_lead_time=1.5),
        "nodes.1.transfer_lead_time",
        "1.5",
        "must be an integer",
    ),
    "a transfer lead time as a string": (
        DC + node("store", "dc", transfer_lead_time='"2"'),
        "nodes.1.transfer_lead_time",
        "'2'",
        "must be an integer",
    ),
    "a negative holding factor": (
        DC + node("store", "dc", holding_factor=-0.5),
        "nodes.1.holding_factor",
        "-0.5",
        "must be finite and >= 0",
    ),
    "an infinite penalty factor": (
        node("store", "vendor", penalty_factor="inf"),
        "nodes.0.penalty_factor",
        "inf",
        "must be finite (inf is allowed only for capacities)",
    ),
    "a transit holding factor that is not a number": (
        node("store", "vendor", transit_holding_factor="nan"),
        "nodes.0.transit_holding_factor",
        "nan",
        "not nan",
    ),
    "duplicate node names": (
        node("a", "vendor") + node("a", "vendor"),
        "nodes.1.name",
        "'a'",
        "must not repeat the name of nodes.0",
    ),
    "a node named like a vendor": (
        node("vendor", "vendor"),
        "nodes.0.name",
        "'vendor'",
        "must not be the name of a vendor too",
    ),
    "duplicate vendor names": (
        '\n[[vendors]]\nname = "vendor"\n' + node("a", "vendor"),
        "vendors.1.name",
        "'vendor'",
        "must not repeat the name of vendors.0",
    ),
    "a transfer lead time on a vendor-fed node": (
        node("store", "vendor", transfer_lead_time=3),
        "nodes.0.transfer_lead_time",
        "3",
        "fed by vendor 'vendor', whose lead_time applies",
    ),
    "a demand share on a node without customers": (
        node("dc", "vendor", customer_facing=False, demand_share=0.5) + node("store", "dc"),
        "nodes.0.demand_share",
        "0.5",
        "applies only to a customer-facing node",
    ),
    "a negative demand share": (
        node("store", "vendor", demand_share=-1.0),
        "nodes.0.demand_share",
        "-1.0",
        "must be finite and >= 0",
    ),
    "an infinite demand share": (
        node("store", "vendor", demand_share="inf"),
        "nodes.0.demand_share",
        "inf",
        "must be finite (inf is allowed only for capacities)",
    ),
    "a node without customers that feeds no node": (
        node("store", "vendor") + DC,
        "nodes.1.customer_facing",
        "False",
        "feeds no node",
    ),
    "a network without customers": (DC, "nodes.0.customer_facing", "False", "feeds no node"),
    "no node at all": ("nodes = []\n", "nodes", "[]", "at least one node"),
    "a negative storage capacity": (
        node("store", "vendor", storage_capacity=-1.0),
        "nodes.0.storage_capacity",
        "-1.0",
        "must be >= 0",
    ),
    "a storage capacity that is not a number": (
        node("store", "vendor", storage_capacity="nan"),
        "nodes.0.storage_capacity",
        "nan",
        "not nan",
    ),
    "a negative initial cover": (
        node("store", "vendor", initial_cover=-2.0),
        "nodes.0.initial_cover",
        "-2.0",
        "must be finite and >= 0",
    ),
}


def scenario_file(folder: Path, nodes: str) -> Path:
    # a top-level key must come before the first table
    text = nodes + HEAD if nodes.startswith("nodes =") else HEAD + nodes
    path = folder / "network.toml"
    path.write_text(text)
    return path


@pytest.fixture
def cli(run_cli):  # type: ignore[no-untyped-def]
    return run_cli("scenarios")


@pytest.mark.parametrize(("nodes", "key", "shown", "phrase"), BAD.values(), ids=list(BAD))
def test_bad_networks_exit_2_naming_the_file_the_key_and_the_value(
    cli, tmp_path: Path, nodes: str, key: str, shown: str, phrase: str
) -> None:
    path = scenario_file(tmp_path, nodes)
    out = cli("scenarios", "validate", str(path))
    assert out.returncode == 2, out.stdout
    err = out.stderr
    assert err.startswith(f"error: scenario {path}: key {key!r} ") and err.count("\n") == 1, err
    assert phrase in err and (shown == "" or f"got {shown}" in err), err
    assert "Traceback" not in err and out.stdout == ""


@pytest.mark.parametrize(("nodes", "key", "shown", "phrase"), BAD.values(), ids=list(BAD))
def test_bad_networks_are_refused_by_from_raw(nodes: str, key: str, shown: str, phrase: str) -> None:
    text = nodes + HEAD if nodes.startswith("nodes =") else HEAD + nodes
    with pytest.raises(InputError) as info:
        from_raw(tomllib.loads(text), "net.toml")
    assert f"scenario net.toml: key {key!r}" in str(info.value) and phrase in str(info.value)


GOOD = {
    "a warehouse feeding two stores": DC
    + node("a", "dc", transfer_lead_time=2, demand_share=0.6)
    + node("b", "dc", transfer_lead_time=0, demand_share=0.4),
    "backorders at a node without customers": node("dc", "vendor", customer_facing=False, backorder=True)
    + node("store", "dc", transfer_lead_time=1),
    "initial stock at a node without customers": node(
        "dc", "vendor", customer_facing=False, initial_cover=14.0
    )
    + node("store", "dc"),
    "a transfer lead time of 0 written out on a vendor-fed node": node(
        "store", "vendor", transfer_lead_time=0
    ),
    "a serial chain": node("n0", "vendor", customer_facing=False)
    + node("n1", "n0", customer_facing=False, transfer_lead_time=1)
    + node("n2", "n1", transfer_lead_time=1),
    "a customer-facing node without demand": node("store", "vendor", demand_share=0.0),
}


@pytest.mark.parametrize("nodes", GOOD.values(), ids=list(GOOD))
def test_networks_a_node_can_honour_validate(cli, tmp_path: Path, nodes: str) -> None:
    out = cli("scenarios", "validate", str(scenario_file(tmp_path, nodes)))
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("ok: net")


def test_an_unset_demand_share_is_one_at_a_store_and_zero_at_a_warehouse() -> None:
    s = from_raw(tomllib.loads(HEAD + GOOD["backorders at a node without customers"]), "net.toml")
    dc, store = s.nodes
    assert dc.demand_share is None and store.demand_share is None
    assert (dc.own_share, store.own_share) == (0.0, 1.0)
    s = from_raw(tomllib.loads(HEAD + GOOD["a warehouse feeding two stores"]), "net.toml")
    assert [n.own_share for n in s.nodes] == [0.0, 0.6, 0.4]


def test_a_bad_transfer_lead_time_table_is_refused_naming_the_key_and_the_value(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    table = '{ kind = "empirical", values = [1, 2], probs = [0.5, 0.6] }'
    path = scenario_file(tmp_path, DC + node("store", "dc", transfer_lead_time=table))
    out = cli("scenarios", "validate", str(path))
    assert out.returncode == 2 and out.stdout == "" and "Traceback" not in out.stderr
    assert f"scenario {path}: key 'nodes.1.transfer_lead_time'" in out.stderr
    assert "must be >= 0 and sum to 1, got [0.5, 0.6]" in out.stderr
    path = scenario_file(
        tmp_path, DC + node("store", "dc", transfer_lead_time='{ kind = "deterministic", days = 2 }')
    )
    out = cli("scenarios", "validate", str(path))
    assert out.returncode == 2 and "unknown key 'nodes.1.transfer_lead_time.days' (value 2" in out.stderr


def test_stochastic_transfer_lead_times_and_node_costs_reach_the_world_and_the_paths() -> None:
    from restock.scenarios import build_world
    from restock.simulator.topology import node_costs
    from restock.simulator.world import LeadTime

    table = '{ kind = "empirical", values = [1, 2, 3], probs = [0.2, 0.6, 0.2] }'
    text = (
        HEAD
        + node("dc", "vendor", customer_facing=False, holding_factor=0.25)
        + node("store", "dc", transfer_lead_time=table, transit_holding_factor=0.5, penalty_factor=2.0)
    )
    scenario = from_raw(tomllib.loads(text), "net.toml")
    world, paths = build_world(scenario, 0, 4)
    store = world.network.nodes[1]
    assert store.transfer_lead_time == LeadTime("empirical", values=(1, 2, 3), probs=(0.2, 0.6, 0.2))
    drawn = paths.lead_time[:, :, 1]
    assert set(drawn.ravel().tolist()) == {1, 2, 3}  # drawn per transfer
    costs = node_costs(world)
    holding = world.economics.holding_cost
    assert (costs.holding[0] == 0.25 * holding).all() and (costs.holding[1] == holding).all()
    assert costs.transit_holding is not None and (costs.transit_holding[1] == 0.5 * holding).all()
    assert (costs.penalty[1] == 2.0 * world.economics.lost_sale_penalty).all()
