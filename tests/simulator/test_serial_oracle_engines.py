"""The serial oracle (Clark-Scarf / Chen-Zheng) against both engines: textbook serial systems with
backorders at every stage, simulated in Restock with echelon base-stock at the oracle's levels, cost
what the oracle says (within the simulation's standard error).

The textbook instance maps to a Restock chain by :class:`restock.agents.oracle.serial.RestockChain`
(node 1's lead time is one period shorter in Restock's event order; Restock books no holding in transit
and books echelon stock after the demand of the period it becomes usable: constants that
``RestockChain.cost_offset`` accounts for).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from restock.agents.oracle.serial import RestockChain, SerialConfig, serial_cost, solve_serial
from restock.simulator.batch import NetworkEngine
from restock.simulator.des import DesEngine
from restock.simulator.engines import rollout
from restock.simulator.paths import ExogenousPaths
from restock.simulator.policy import EchelonBaseStock
from restock.simulator.topology import layout
from restock.simulator.world import Economics, LeadTime, Network, Node, Vendor, World

# Snyder & Shen, Example 6.1 (normal demand), and a Poisson instance (stockpyl's), textbook convention
INSTANCES = {
    "snyder-shen-6.1": SerialConfig(
        demand="normal:5:1", lead_times=(1, 1, 2), echelon_holding=(3.0, 2.0, 2.0), penalty=37.12
    ),
    "poisson-3": SerialConfig(
        demand="poisson:3", lead_times=(2, 1, 2), echelon_holding=(1.0, 0.5, 0.25), penalty=19.0
    ),
}


def chain_world(chain: RestockChain, horizon: int, start: np.ndarray) -> World:
    """Nodes top (vendor-fed, stage N) to bottom (stage 1, customers); backorders at every node."""
    n = len(chain.lead_times)
    h1 = chain.installation_holding[0]
    nodes = []
    for j in range(n, 0, -1):  # stage j
        source = "vendor" if j == n else f"stage{j + 1}"
        nodes.append(
            Node(
                f"stage{j}",
                source,
                customer_facing=j == 1,
                backorder=True,
                transfer_lead_time=0 if j == n else chain.lead_times[j - 1],
                holding_factor=chain.installation_holding[j - 1] / h1,
            )
        )
    vendor = Vendor("vendor", LeadTime(value=chain.lead_times[n - 1]))
    return World(
        skus=("item",),
        economics=Economics.uniform(1, holding_cost=h1, lost_sale_penalty=chain.penalty),
        network=Network(vendors=(vendor,), nodes=tuple(nodes)),
        horizon=horizon,
        review_period=1,
        initial_on_hand=start[:, None],
    )


def chain_paths(chain: RestockChain, world: World, n_paths: int, seed: int) -> ExogenousPaths:
    rng = np.random.default_rng(seed)
    kind, *args = chain.demand.split(":")
    m, t = len(world.network.nodes), world.horizon
    if kind == "poisson":
        customer = rng.poisson(float(args[0]), (n_paths, t)).astype(float)
    else:  # the oracle's normal model; P(D < 0) = Phi(-5) here, clipped at 0
        customer = np.maximum(rng.normal(float(args[0]), float(args[1]), (n_paths, t)), 0.0)
    demand = np.zeros((n_paths, t, m, 1))
    demand[:, :, m - 1, 0] = customer  # stage 1 is the last node
    lead = np.zeros((n_paths, t, m, 1), dtype=np.int64)
    for i, node in enumerate(world.network.nodes):
        lead[:, :, i] = node.transfer_lead_time if i else world.network.vendors[0].lead_time.value
    return ExogenousPaths(
        demand=demand,
        lead_time=lead,
        fill_rate=np.ones((n_paths, t, m, 1)),
        capacity=np.full((t, m, 1), math.inf),
        price=np.zeros((n_paths, t, 1)),
    )


@pytest.mark.parametrize("name", list(INSTANCES))
@pytest.mark.parametrize("engine", [DesEngine, NetworkEngine])
def test_simulated_cost_of_the_oracle_levels_matches_the_oracle(name: str, engine: type) -> None:
    config = INSTANCES[name]
    solution = solve_serial(config)
    chain = RestockChain.from_serial(config)
    assert chain is not None
    echelon = np.asarray(solution.echelon_levels)  # stage 1 first
    local = np.append(echelon[0], np.diff(echelon))
    horizon, burn_in, n_paths = 2500, 100, 24
    world = chain_world(chain, horizon, start=local[::-1])
    paths = chain_paths(chain, world, n_paths, seed=11)
    levels = echelon[::-1][:, None]  # node order: stage N first
    rule = EchelonBaseStock(levels, layout(world).subtree())
    eng = engine(world, paths, record=False)
    out = rollout(eng, rule, count_from=burn_in)
    cost = np.asarray(out.totals["holding_cost"] + out.totals["penalty_cost"], dtype=float)
    per_path = cost.sum(axis=(1, 2)) / out.periods
    mean, se = per_path.mean(), per_path.std(ddof=1) / math.sqrt(n_paths)
    want = chain.restock_cost(solution.average_cost)
    assert abs(mean - want) < 4 * se + 1e-3 * want, (mean, se, want)
    assert se < 0.01 * want  # a sharp check: the error is below a percent


def test_the_simulation_separates_the_optimum_from_nearby_levels() -> None:
    """The check has teeth: levels 15% off the optimum cost measurably more, as the oracle says."""
    config = INSTANCES["poisson-3"]
    solution = solve_serial(config)
    chain = RestockChain.from_serial(config)
    assert chain is not None
    off = [round(x * 1.15) for x in solution.echelon_levels]
    assert serial_cost(config, off) > solution.average_cost * 1.02
    echelon = np.asarray(off, dtype=float)
    world = chain_world(chain, 2500, start=np.append(echelon[0], np.diff(echelon))[::-1])
    paths = chain_paths(chain, world, 8, seed=11)
    rule = EchelonBaseStock(echelon[::-1][:, None], layout(world).subtree())
    out = rollout(NetworkEngine(world, paths, record=False), rule, count_from=100)
    cost = float((out.totals["holding_cost"] + out.totals["penalty_cost"]).sum()) / (8 * out.periods)
    assert cost == pytest.approx(chain.restock_cost(serial_cost(config, off)), rel=0.02)
    assert cost > chain.restock_cost(solution.average_cost) * 1.02
