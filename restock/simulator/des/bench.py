"""Speed of the des engine against a bare per-SKU SimPy loop with the same events, in the same run.

The bare loop is what a modeller writes by hand: per SKU, its own small SimPy environment with a review
process (order up to S on the inventory position, every ``review`` periods), a scheduled event per shipment
(URGENT priority, so that it arrives before that period's demand) and a demand process (a timeout per
period; sales = min(demand, on-hand), the rest lost; revenue, purchase, holding and lost-sale penalty
booked in Python floats). The des engine runs the same world and paths with the same base-stock rule
(one node, lost sales, full fills, no capacity limits; lead times drawn per order).

Why the engine can beat the loop: its events are per (node, period, phase), not per SKU. The SKUs of a node
have coinciding events (the same demand period, the same review), and they never interact, so one SimPy
event processes all of them as numpy arrays in the order a per-SKU event would; the number of events per
period does not grow with the number of SKUs (docs/simulator.md).

:func:`measure_des` returns medians over ``repeats`` timed runs (SKU-periods per second) and the ratio
bare seconds / des seconds (the target is >= 0.6; above 1 the engine is faster than the loop).
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import simpy

from restock.simulator.des.engine import DesEngine
from restock.simulator.engines import rollout
from restock.simulator.paths import ExogenousPaths
from restock.simulator.policy import BaseStock
from restock.simulator.world import World


def bare_simpy_loop(
    demand: np.ndarray,
    lead: np.ndarray,
    levels: np.ndarray,
    review: int,
    *,
    price: float,
    unit_cost: float,
    holding: float,
    penalty: float,
) -> np.ndarray:
    """Profit per SKU of base-stock ``levels`` [N] under per-SKU SimPy loops. ``demand`` [T, N]; ``lead``
    [n_reviews, N], the lead time of the order placed at each review (reviews at 0, review, 2 review, ...)."""
    t_len, n = demand.shape
    out = np.zeros(n)
    for j in range(n):
        env = simpy.Environment()
        st = {"on_hand": 0.0, "pipeline": 0.0, "profit": 0.0}
        d_j, l_j, level = demand[:, j].tolist(), lead[:, j].tolist(), float(levels[j])

        def arrive(event: simpy.Event, st: dict[str, float] = st) -> None:
            q: float = event.value  # type: ignore[assignment]
            st["on_hand"] += q
            st["pipeline"] -= q
            st["profit"] -= unit_cost * q

        def reviews(
            env: simpy.Environment = env, st: dict[str, float] = st, l_j: list = l_j, level: float = level
        ) -> Generator[simpy.Event, Any, None]:
            for i in range(len(l_j)):
                q = max(level - st["on_hand"] - st["pipeline"], 0.0)
                st["pipeline"] += q
                ship = simpy.Event(env)
                ship._ok, ship._value = True, q  # a scheduled event carrying the shipment
                ship.callbacks.append(arrive)
                env.schedule(ship, simpy.events.URGENT, l_j[i])
                yield env.timeout(review)

        def customers(
            env: simpy.Environment = env, st: dict[str, float] = st, d_j: list = d_j
        ) -> Generator[simpy.Event, Any, None]:
            for t in range(t_len):
                d = d_j[t]
                sales = min(d, st["on_hand"])
                st["on_hand"] -= sales
                st["profit"] += price * sales - penalty * (d - sales) - holding * st["on_hand"]
                yield env.timeout(1)

        env.process(reviews())
        env.process(customers())
        env.run(until=t_len)
        out[j] = st["profit"]
    return out


def des_profit(world: World, paths: ExogenousPaths, levels: np.ndarray, *, record: bool = False) -> float:
    """Total profit of base-stock ``levels`` on the des engine (with records: and the frames built)."""
    engine = DesEngine(world, paths, record=record)
    total = float(np.sum(rollout(engine, BaseStock(levels), keys=("reward",)).totals["reward"]))
    if record:
        engine.result()
    return total


def median_time(fn: Callable[[], Any], repeats: int) -> tuple[float, list[float], Any]:
    """(median seconds, all seconds, the last result) of ``repeats`` timed calls."""
    times, out = [], None
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times, out


def measure_des(inst: Any, cfg: Any, *, with_records: bool = False) -> dict[str, Any]:
    """The des engine and the bare loop on ``inst`` (``world``, ``paths`` with one node and one path,
    ``levels`` [1, N]; uniform economics, one price), ``cfg.repeats`` timed runs each, in one run.

    Keys: ``des_sku_periods_per_s`` (records off), ``bare_simpy_sku_periods_per_s``, ``des_ratio`` (bare
    seconds / des seconds), the seconds of every run, the relative profit difference of the two (the same
    rules: ~1e-15), and with ``with_records`` the same with records and event log on (``des_record_*``).
    """
    world, paths = inst.world, inst.paths
    sku_periods = world.n_skus * paths.n_paths * world.horizon
    eco = world.economics
    demand = np.asarray(paths.demand[0, :, 0, :], dtype=np.float64)
    lead = np.asarray(paths.lead_time[0, world.review_periods(), 0, :])
    bare_s, bare_times, bare_profit = median_time(
        lambda: bare_simpy_loop(
            demand,
            lead,
            np.asarray(inst.levels).reshape(-1),
            world.review_period,
            price=float(paths.price.flat[0]),
            unit_cost=float(eco.unit_cost[0]),
            holding=float(eco.holding_cost[0]),
            penalty=float(eco.lost_sale_penalty[0]),
        ),
        cfg.repeats,
    )
    des_s, des_times, des_total = median_time(lambda: des_profit(world, paths, inst.levels), cfg.repeats)
    bare_total = float(bare_profit.sum())
    out: dict[str, Any] = {
        "des_sku_periods_per_s": sku_periods / des_s,
        "bare_simpy_sku_periods_per_s": sku_periods / bare_s,
        "des_ratio": bare_s / des_s,
        "des_seconds": des_times,
        "bare_simpy_seconds": bare_times,
        "des_vs_bare_profit_rel_diff": abs(des_total - bare_total) / abs(bare_total),
    }
    if with_records:
        rec_s, rec_times, _ = median_time(
            lambda: des_profit(world, paths, inst.levels, record=True), cfg.repeats
        )
        out.update(
            des_record_sku_periods_per_s=sku_periods / rec_s,
            des_record_ratio=bare_s / rec_s,
            des_record_seconds=rec_times,
        )
    return out
