"""Stationary demand drawn in blocks of SKUs, lazily drawn warm-up history, compact paths.

The blocks read their uniforms at their own places in the one "demand" stream, so the block size never
changes a number and a block of SKUs (a shard) can be drawn alone; float32 demand and broadcast views
give the KPIs of the float64 arrays on both engines.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from restock import seeding
from restock.scenarios import build, load
from restock.simulator import paths as paths_module
from restock.simulator.engines import make_engine, rollout
from restock.simulator.paths import ExogenousPaths
from restock.simulator.policy import BaseStock


def test_a_block_of_uniforms_is_its_slice_of_the_whole_draw() -> None:
    shape = (2, 9, 2, 13)
    whole = seeding.generator(4, "demand").random(shape)
    rng = seeding.generator(4, "demand")
    for periods, skus in [((0, 9), (0, 13)), ((3, 9), (0, 13)), ((2, 7), (5, 11)), ((8, 9), (12, 13))]:
        block = build.uniform_block(rng, shape, periods, skus)
        assert np.array_equal(block, whole[:, periods[0] : periods[1], :, skus[0] : skus[1]])
    assert np.array_equal(rng.random(3), seeding.generator(4, "demand").random(3))  # rng did not move


@pytest.mark.parametrize(
    ("name", "overrides"),
    [
        ("steady", ["catalog.n_skus=23"]),
        ("steady", ["catalog.n_skus=23", "demand.distribution='poisson'"]),
        ("publicity-spike", ["catalog.n_skus=12"]),  # demand shocks: rates vary over periods and SKUs
        ("product-launch", ["catalog.n_skus=12"]),
        ("warehouse-3fc", ["catalog.skus=['a', 'b', 'c', 'd', 'e', 'f', 'g']"]),  # nodes, transfers
    ],
)
def test_the_block_size_changes_no_number(monkeypatch, name: str, overrides: list[str]) -> None:  # type: ignore[no-untyped-def]
    sc = load(name, overrides)
    one = build.draw(sc, 7, 2)
    monkeypatch.setattr(build, "DEMAND_BLOCK", 5)
    monkeypatch.setattr(paths_module, "LEAD_BLOCK", 4)
    blocks = build.draw(sc, 7, 2)
    assert one.catalog.n_skus > 5  # several blocks
    for field in ("demand", "lead_time", "fill_rate", "capacity", "price"):
        assert np.array_equal(getattr(one.paths, field), getattr(blocks.paths, field)), field
    assert np.array_equal(one.history, blocks.history)


def test_the_history_is_drawn_when_read_and_belongs_to_the_same_paths() -> None:
    sc = load("steady", ["catalog.n_skus=11"])
    d = build.draw(sc, 2, 3)
    assert "history" not in d.__dict__  # not drawn yet
    both = build._stationary_demand(
        sc, d.catalog, seeding.generator(2, "demand"), 3, (0, sc.warmup + sc.horizon)
    )
    assert d.history.dtype == np.float64 and d.history.shape == (3, sc.warmup, 1, 11)
    assert np.array_equal(np.concatenate([d.history, d.paths.demand], axis=1), both)


def test_a_shard_of_skus_draws_alone_what_the_whole_catalog_draws() -> None:
    sc = load("steady", ["catalog.n_skus=40"])
    cat = build.resolve_catalog(sc)
    whole = build._stationary_demand(sc, cat, seeding.generator(9, "demand"), 2, (sc.warmup, sc.warmup + 30))
    rng = seeding.generator(9, "demand")
    shape = (2, sc.warmup + sc.horizon, 1, 40)
    u = build.uniform_block(rng, shape, (sc.warmup, sc.warmup + 30), (10, 25))
    rate = (build.own_shares(sc)[:, None] * cat.mean[None, 10:25])[None]
    shard = build.stationary_demand(sc.demand.distribution, rate[None], sc.demand.dispersion, u)
    assert np.array_equal(whole[..., 10:25], shard)


def _full(p: ExogenousPaths) -> ExogenousPaths:
    """The same paths as writable float64 / int64 arrays (no views)."""
    return ExogenousPaths(
        demand=np.array(p.demand, dtype=np.float64),
        lead_time=np.array(p.lead_time, dtype=np.int64),
        fill_rate=np.array(p.fill_rate, dtype=np.float64),
        capacity=np.array(p.capacity, dtype=np.float64),
        price=np.array(p.price, dtype=np.float64),
    )


@pytest.mark.parametrize("engine", ["des", "batch"])
def test_compact_paths_give_the_kpis_of_float64_arrays(engine: str) -> None:
    sc = load("steady", ["catalog.n_skus=30", "horizon=70"])
    d = build.draw(sc, 1, 2)
    p = d.paths
    assert p.demand.dtype == np.float32 and p.lead_time.dtype == np.int16
    assert 0 in p.fill_rate.strides and 0 in p.capacity.strides and 0 in p.price.strides  # views
    compact = rollout(make_engine(engine, d.world, p, record=False), BaseStock(40.0)).totals
    full = rollout(make_engine(engine, d.world, _full(p), record=False), BaseStock(40.0)).totals
    assert compact.keys() == full.keys()
    for key in full:
        a, b = (
            np.asarray(v.detach().numpy() if hasattr(v, "detach") else v) for v in (compact[key], full[key])
        )
        assert np.array_equal(a, b), key
    assert float(np.asarray(full["lost"]).sum()) > 0  # stockouts: the comparison can fail


def test_paths_refuse_bad_values_inside_views_and_blocks(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from restock.errors import InputError

    sc = load("steady", ["catalog.n_skus=8", "horizon=14"])
    p = build.draw(sc, 0, 1).paths
    bad_fill = np.broadcast_to(np.array(1.5), p.fill_rate.shape)
    with pytest.raises(InputError, match=r"paths.fill_rate\[0, 0, 0, 0\] must be in \[0, 1\], got 1.5"):
        dataclasses.replace(p, fill_rate=bad_fill)
    monkeypatch.setattr(paths_module, "CHECK_ELEMENTS", 8)  # one row (8 SKUs) per block
    demand = np.array(p.demand)
    demand[0, 9, 0, 5] = -1.0
    with pytest.raises(InputError, match=r"paths.demand\[0, 9, 0, 5\] must be finite and >= 0, got -1.0"):
        dataclasses.replace(p, demand=demand)
