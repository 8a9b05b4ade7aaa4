"""``restock bench --network`` at tiny sizes: the bare loop computes the network engine's profit, the keys."""

from __future__ import annotations

import json

import numpy as np
import torch
import typer
from typer.testing import CliRunner

from restock.commands import bench
from restock.simulator.batch import NetworkEngine
from restock.simulator.batch.network_bench import (
    NetworkBenchConfig,
    bare_inputs,
    bare_network_loop,
    network_instance,
    run_network_benchmark,
)
from restock.simulator.policy import EchelonBaseStock

KEYS = (
    "network_sku_node_periods_per_s",
    "network_grad_sku_node_periods_per_s",
    "network_bare_torch_sku_node_periods_per_s",
    "network_cpu_sku_node_periods_per_s",
    "network_grad_cpu_sku_node_periods_per_s",
    "network_bare_torch_cpu_sku_node_periods_per_s",
    "network_ratio",
    "network_grad_ratio",
    "network_cpu_ratio",
    "network_grad_cpu_ratio",
)


def test_bare_loop_computes_the_network_engines_profit_per_node_and_sku() -> None:
    inst = network_instance(40, 10, 91, seed=2)
    engine = NetworkEngine(inst.world, inst.paths, record=True)
    totals = engine.rollout(EchelonBaseStock(inst.levels, inst.subtree))
    want = totals["reward"].numpy()
    got = bare_network_loop(**bare_inputs(inst, torch.float64, "cpu")).numpy()
    assert got.shape == want.shape == (1, 11, 40)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9 * np.abs(want).max())
    assert want[0, 1:].std() > 0  # FCs and SKUs differ: a real comparison
    # the comparison covers rationing: the warehouse cut some FC requests (cancelled at FCs), and lost sales
    records = engine.result().records
    fcs = records[records["node"] != "warehouse"]
    assert fcs["cancelled"].sum() > 0 and fcs["lost"].sum() > 0
    assert records[records["node"] == "warehouse"]["ordered"].sum() > 0


def test_network_benchmark_reports_every_key() -> None:
    out = run_network_benchmark(NetworkBenchConfig(skus=30, periods=28, repeats=1))
    assert all(out[k] > 0 for k in KEYS)
    assert out["network_vs_bare_profit_rel_diff"] < 1e-5 and out["network_grad_finite"]
    assert out["config"]["nodes"] == 11 and set(out["load_average"]) == {"start", "end"}
    assert len(out["network_seconds"]) == 1


def test_cli_network_prints_one_json_object_and_refuses_des_sizes() -> None:
    app = typer.Typer()
    app.callback()(lambda: None)  # a group, as in the restock CLI
    bench.register(app)
    runner = CliRunner()
    args = ["bench", "--network", "--json", "--batch-skus", "20", "--periods", "21", "--repeats", "1"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["config"]["skus"] == 20 and data["config"]["periods"] == 21
    assert all(k in data for k in KEYS)
    bad = runner.invoke(app, ["bench", "--network", "--des-skus", "3"])
    assert bad.exit_code != 0 and "--des-skus" in str(bad.exception)
    for option, value in (("--batch-skus", "0"), ("--periods", "-7"), ("--repeats", "0")):
        bad = runner.invoke(app, ["bench", "--network", option, value])
        assert bad.exit_code != 0 and f"{option} must be > 0, got {int(value)}" in str(bad.exception)
