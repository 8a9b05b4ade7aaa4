"""``restock bench`` at tiny sizes: the JSON keys, and the bare loops compute the engines' profits."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import typer
from typer.testing import CliRunner

from restock.commands import bench
from restock.simulator.batch import rollout_totals
from restock.simulator.batch.bench import (
    COMPILED_KEYS,
    HOLDING,
    PENALTY,
    PRICE,
    UNIT_COST,
    BenchConfig,
    _bare_block,
    bare_torch_loop,
    instance,
    run_benchmark,
)
from restock.simulator.des.bench import bare_simpy_loop
from restock.simulator.policy import BaseStock

KEYS = (
    "des_sku_periods_per_s",
    "batch_sku_periods_per_s",
    "batch_grad_sku_periods_per_s",
    "batch_bytes_per_sku_period",
    "bare_simpy_sku_periods_per_s",
    "bare_torch_sku_periods_per_s",
    "des_ratio",
    "batch_ratio",
)


def test_bare_loops_compute_the_same_profit_as_the_batch_engine() -> None:
    inst = instance(50, 56, seed=3)
    totals = rollout_totals(inst.world, inst.paths, BaseStock(inst.levels))
    want = totals["reward"][0, 0].numpy()
    demand = np.asarray(inst.paths.demand[0, :, 0, :], dtype=np.float64)
    lead = np.asarray(inst.paths.lead_time[0, inst.world.review_periods(), 0, :], dtype=np.int64)
    simpy_profit = bare_simpy_loop(
        demand, lead, inst.levels[0], 7, price=PRICE, unit_cost=UNIT_COST, holding=HOLDING, penalty=PENALTY
    )
    torch_profit = bare_torch_loop(
        torch.as_tensor(demand), torch.as_tensor(lead), torch.as_tensor(inst.levels[0]), 7
    )
    np.testing.assert_allclose(simpy_profit, want, rtol=1e-9)
    np.testing.assert_allclose(torch_profit.numpy(), want, rtol=1e-9)
    assert want.std() > 0  # SKUs differ: a real comparison


def test_benchmark_reports_every_key() -> None:
    out = run_benchmark(BenchConfig(des_skus=4, batch_skus=300, periods=28, repeats=1, compiled=False))
    for key in KEYS:
        assert key in out
    for key in KEYS[1:6]:
        assert out[key] > 0
    if out["des_sku_periods_per_s"] is not None:  # the des engine is installed
        assert out["des_vs_bare_profit_rel_diff"] < 1e-9
    assert out["batch_vs_bare_profit_rel_diff"] < 1e-5 and out["batch_grad_finite"]
    assert len(out["scaling"]["batch_sku_periods_per_s"]) == 3
    cpu = (
        "batch_cpu_sku_periods_per_s",
        "batch_grad_cpu_sku_periods_per_s",
        "bare_torch_cpu_sku_periods_per_s",
    )
    assert all(out[k] > 0 for k in cpu) and out["batch_cpu_ratio"] > 0
    assert set(out["load_average"]) == {"start", "end"}
    assert "batch_compiled_ratio" not in out and out["config"]["compiled"] is False


@pytest.mark.slow
@pytest.mark.xdist_group("torch-compile")
def test_benchmark_reports_the_compiled_engine() -> None:
    out = run_benchmark(BenchConfig(des_skus=2, batch_skus=300, periods=28, repeats=1))
    assert out["batch_compiled_unavailable"] is None  # torch.compile works here
    for key in COMPILED_KEYS:
        assert out[key] is not None, key
    rates = ("batch_compiled_sku_periods_per_s", "batch_compiled_grad_sku_periods_per_s")
    assert all(out[k] > 0 for k in (*rates, "bare_compiled_sku_periods_per_s"))
    assert out["batch_compiled_max_rel_diff"] < 1e-6 and out["batch_compiled_grad_max_rel_diff"] < 1e-6
    assert out["batch_compiled_warmup_seconds"] > 0 and out["batch_compiled_graphs"] >= 1
    assert (
        out["targets"]["batch_compiled_ratio"] == 2.0 and out["targets"]["batch_compiled_grad_ratio"] == 1.0
    )


def test_the_compiled_bare_loop_computes_the_bare_loops_profit() -> None:
    """The block function the compiled bare loop compiles, run eager block by block, is the bare loop."""
    inst = instance(40, 28, seed=1)
    demand = torch.as_tensor(inst.paths.demand[0, :, 0, :], dtype=torch.float64)
    lead = torch.as_tensor(inst.paths.lead_time[0, inst.world.review_periods(), 0, :], dtype=torch.int64)
    levels = torch.as_tensor(inst.levels[0])
    want = bare_torch_loop(demand, lead, levels, 7)
    n = demand.shape[1]
    on_hand, pipeline, profit = (torch.zeros(n, dtype=torch.float64) for _ in range(3))
    window = torch.zeros((int(lead.max()) + 1, n), dtype=torch.float64)
    for i, t in enumerate(range(0, 28, 7)):
        on_hand, pipeline, profit, window = _bare_block(
            on_hand, pipeline, profit, window, demand[t : t + 7], lead[i], levels
        )
    torch.testing.assert_close(profit, want, rtol=1e-12, atol=1e-9)
    assert float(want.std()) > 0


def test_cli_prints_one_json_object_and_rejects_bad_sizes() -> None:
    app = typer.Typer()
    app.callback()(lambda: None)  # a group, as in the restock CLI
    bench.register(app)
    runner = CliRunner()
    res = runner.invoke(
        app,
        [
            "bench",
            "--json",
            "--no-compile",
            *("--des-skus", "3", "--batch-skus", "200", "--periods", "21", "--repeats", "1"),
        ],
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["config"]["batch_skus"] == 200 and all(k in data for k in KEYS)
    bad = runner.invoke(app, ["bench", "--network", "--no-compile"])
    assert bad.exit_code != 0 and "--compile/--no-compile has no meaning with --network" in str(bad.exception)
    bad = runner.invoke(app, ["bench", "--batch-skus", "0"])
    assert bad.exit_code != 0 and "--batch-skus must be > 0" in str(bad.exception)
    # sizes that ran into a MemoryError (72.8 TiB, 1.46 TiB) are refused before anything is allocated
    for args, said in (
        (["--batch-skus", str(10**13)], "--batch-skus must be at most 1,000,000"),
        (["--periods", str(2 * 10**9)], "--periods must be at most 100,000"),
        (["--batch-skus", "1000000", "--periods", "100000"], "more than 500,000,000 SKU-periods"),
    ):
        bad = runner.invoke(app, ["bench", *args])
        assert bad.exit_code != 0 and said in str(bad.exception), bad.exception
