"""Evaluation in shards of SKUs: a shard draws exactly its SKUs' part of the whole catalog's draw, and the
shards' merged sums give the KPIs of the whole catalog evaluated at once (tuned baselines included: they
are tuned SKU by SKU), serially and as Ray tasks; catalogs whose SKUs interact are refused by name."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest

from restock.agents.evaluate import draw_episode
from restock.errors import InputError
from restock.pipelines.evaluation import EvaluationSpec, run_evaluation, run_sharded, shards
from restock.scenarios import load

SMALL = ("catalog.n_skus=7", "horizon=42")
POLICIES = ("newsvendor", "newsvendor-tuned", "base-stock")


@pytest.mark.parametrize(
    ("name", "sets", "first", "stop"),
    [
        ("steady", SMALL, 2, 5),
        ("publicity-spike", ("catalog.n_skus=7",), 0, 3),  # SKU 0 spikes: its rate varies by period
    ],
)
def test_a_shard_draws_its_skus_of_the_whole_catalog(
    name: str, sets: tuple[str, ...], first: int, stop: int
) -> None:
    from restock.scenarios.build import draw

    cut = f"catalog.shard=[{first}, {stop}]"
    whole, shard = draw_episode(load(name, list(sets)), 11, 2), draw_episode(load(name, [*sets, cut]), 11, 2)
    dw, ds = draw(load(name, list(sets)), 11, 2), draw(load(name, [*sets, cut]), 11, 2)
    assert dw.rate is not None and ds.rate is not None
    np.testing.assert_array_equal(ds.rate, dw.rate[..., first:stop])
    np.testing.assert_array_equal(ds.history, dw.history[..., first:stop])
    np.testing.assert_array_equal(ds.catalog.mean, dw.catalog.mean[first:stop])
    assert shard.world.skus == whole.world.skus[first:stop]
    for key in ("demand", "lead_time", "fill_rate", "price"):
        assert np.array_equal(getattr(shard.paths, key), getattr(whole.paths, key)[..., first:stop]), key
    np.testing.assert_array_equal(
        shard.world.economics.unit_cost, whole.world.economics.unit_cost[first:stop]
    )
    fw, fs = whole.forecasts, shard.forecasts
    assert fs.skus == fw.skus[first:stop]
    np.testing.assert_array_equal(fs.cumulative, fw.cumulative[:, :, :, first:stop])
    if name == "publicity-spike":
        assert np.unique(ds.rate[:, 0, 0]).size > 1  # the rate check can fail


@pytest.mark.parametrize("engine", ["batch", "des"])
def test_the_merged_shards_are_the_whole_catalogs_evaluation(engine: str) -> None:
    spec = EvaluationSpec("steady", POLICIES, seeds=2, engine=engine, scenario_overrides=SMALL, n_paths=2)
    sharded = run_sharded(replace(spec, shard_skus=3))
    assert [(t.first, t.stop) for t in shards(replace(spec, shard_skus=3))] == [
        (0, 3),
        (3, 6),
        (6, 7),
    ]
    whole = run_evaluation(spec)
    assert list(sharded.rows["policy"]) == list(whole.rows["policy"])
    assert list(sharded.rows["seed"]) == list(whole.rows["seed"])
    for column in whole.rows.columns:
        a, b = sharded.rows[column].tolist(), whole.rows[column].tolist()
        if column == "in_stock_rate":  # needs every period's on-hand: not kept in shards
            assert all(x is None or (isinstance(x, float) and math.isnan(x)) for x in a)
        elif isinstance(b[0], float):
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9, err_msg=column)
        else:
            assert a == b, column
    np.testing.assert_allclose(
        sharded.summary["saving_vs_newsvendor"], whole.summary["saving_vs_newsvendor"], rtol=1e-9, atol=1e-9
    )
    assert (sharded.summary["saving_vs_newsvendor"].iloc[1:] != 0).all()  # the policies differ


def test_catalogs_that_cannot_be_sharded_are_refused_before_any_shard_runs() -> None:
    with pytest.raises(InputError, match="--shard-skus 0: must be >= 1"):
        EvaluationSpec("steady", ("newsvendor",), shard_skus=0)
    spec = EvaluationSpec("capacitated-catalog", ("newsvendor",), shard_skus=100, seeds=1)
    with pytest.raises(
        InputError, match=r"catalog.shard.*nodes.0.inbound_capacity is set: its SKUs interact"
    ):
        run_sharded(spec)
    with pytest.raises(InputError, match="only for stationary demand"):
        run_sharded(EvaluationSpec("m5-tiny-replay", ("newsvendor",), shard_skus=10, seeds=1))


@pytest.mark.xdist_group("ray")
def test_shards_as_ray_tasks_print_what_the_whole_evaluation_prints(run_cli) -> None:  # type: ignore[no-untyped-def]
    sets = [x for o in SMALL for x in ("--set", o)]
    args = ("evaluate", "--scenario", "steady", "--policies", "newsvendor,base-stock", "--seeds", "2",
            "--engine", "batch", "--paths", "2", *sets, "--json")  # fmt: skip
    whole = run_cli("evaluate")(*args)
    sharded = run_cli("evaluate")(*args, "--shard-skus", "4", "--workers", "2")
    assert whole.returncode == 0 and sharded.returncode == 0, sharded.stderr
    a, b = json.loads(sharded.stdout)["summary"], json.loads(whole.stdout)["summary"]
    for x, y in zip(a, b, strict=True):
        assert x["policy"] == y["policy"]
        for key in ("profit", "saving_vs_newsvendor", "fill_rate", "cycle_service_level", "avg_on_hand"):
            assert x[key] == pytest.approx(y[key], rel=1e-9, abs=1e-9), key
    bad = run_cli("evaluate")(*args, "--workers", "2")
    assert bad.returncode == 2 and "give --shard-skus" in bad.stderr
