"""Network-v0: the default warehouse + 3 FC world, per-node actions, profit of the whole network."""

from __future__ import annotations

import numpy as np
import pytest

from restock.envs.network import NetworkEnv
from restock.errors import InputError
from restock.scenarios import load


def test_default_world_is_one_warehouse_feeding_three_fcs() -> None:
    env = NetworkEnv()
    assert env.node_names == ["dc", "fc1", "fc2", "fc3"]
    assert env.action_space.shape == (4,)
    assert env.observation_space.shape == (4 * 30,)
    w = env.world
    assert [n.source for n in w.network.nodes] == ["vendor", "dc", "dc", "dc"]
    # The warehouse's forecast scale is the network's weekly demand; each FC's its own.
    scales = [float(b.static.scale[0]) for b in env.observers]
    assert scales == pytest.approx([7 * 15.0, 7 * 8.0, 7 * 5.0, 7 * 2.0], rel=0.05)


def test_actions_order_per_node_and_rewards_sum_the_network() -> None:
    env = NetworkEnv()
    env.reset(seed=3)
    # Warehouse orders up to a lot, FCs to nothing: only the vendor order is placed.
    _, r, _, _, info = env.step(np.array([1.0, -1.0, -1.0, -1.0], dtype=np.float32))
    assert info["orders"]["dc"] > 0 and [info["orders"][f"fc{i}"] for i in (1, 2, 3)] == [0.0, 0.0, 0.0]
    profit = (
        info["revenue"]
        + info["salvage"]
        - sum(info[k] for k in ("purchase_cost", "holding_cost", "penalty_cost", "fixed_order_cost"))
    )
    assert info["reward"] == pytest.approx(profit)
    assert r == pytest.approx(profit / env.reward_div)


def test_transfers_feed_the_fcs_and_a_sensible_policy_beats_ordering_nothing() -> None:
    def episode(action: np.ndarray) -> tuple[float, float]:
        env = NetworkEnv(scenario=None)
        env.reset(seed=5)
        total, sales = 0.0, 0.0
        while True:
            _, r, _, trunc, info = env.step(action)
            total += r
            sales += info["sales"]
            if trunc:
                return total, sales

    nothing = episode(np.full(4, -1.0, dtype=np.float32))
    stocked = episode(np.array([0.0, -0.3, -0.3, -0.3], dtype=np.float32))
    assert stocked[1] > nothing[1] > 0  # initial stock sells either way; restocking sells more
    assert stocked[0] > nothing[0]


def test_bad_input() -> None:
    env = NetworkEnv()
    env.reset(seed=0)
    with pytest.raises(InputError, match="shape"):
        env.step(np.zeros(3, dtype=np.float32))
    with pytest.raises(InputError, match="finite"):
        env.step(np.array([0, 0, np.nan, 0], dtype=np.float32))
    with pytest.raises(InputError, match=">= 2 nodes"):
        NetworkEnv(scenario="steady")
    with pytest.raises(InputError, match="overrides"):
        NetworkEnv(scenario=load("warehouse-3fc"), overrides={"horizon": 7})


def test_a_library_scenario_with_a_network_drives_the_env() -> None:
    from gymnasium.utils.env_checker import check_env

    from restock.scenarios import from_raw, read_raw

    raw, _ = read_raw("steady")
    raw = {
        **raw,
        "nodes": [
            {"name": "dc", "source": "vendor", "customer_facing": False, "initial_cover": 14.0},
            {
                "name": "fc1",
                "source": "dc",
                "transfer_lead_time": 2,
                "demand_share": 0.6,
                "initial_cover": 7.0,
            },
            {
                "name": "fc2",
                "source": "dc",
                "transfer_lead_time": 2,
                "demand_share": 0.4,
                "initial_cover": 7.0,
            },
        ],
    }
    env = NetworkEnv(scenario=from_raw(raw, "steady-network"), sku=2)
    assert env.node_names == ["dc", "fc1", "fc2"] and env.action_space.shape == (3,)
    scales = [float(b.static.scale[0]) for b in env.observers]
    assert scales[0] == pytest.approx(scales[1] + scales[2], rel=0.15)  # the warehouse sees both FCs
    check_env(env, skip_render_check=True)
