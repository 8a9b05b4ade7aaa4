"""The des engine against a bare per-SKU SimPy loop with the same events.

World: one node, lost sales, weekly review (base-stock), daily Poisson demand, lead time 2 days, one year,
1,000 SKUs by default. The bare loop runs, per SKU and in its own small environment, a demand process (a
timeout per day), a review process (a timeout per week, order up to S on the inventory position) and a
scheduled event per shipment (URGENT, so it arrives before that day's demand); it keeps on-hand, pipeline
and the cost totals in Python floats. The des engine runs the same world and paths (records and event log
on, then off). Prints JSON: medians of ``--repeats`` runs, in SKU-days per second, and the ratio
des / bare (the target is >= 0.6).

    nice .venv/bin/python benchmarks/des_bare_loop.py --skus 1000 --repeats 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Generator
from typing import Any, cast

import numpy as np
import simpy

from restock import seeding
from restock.simulator.des import DesEngine
from restock.simulator.paths import ExogenousPaths
from restock.simulator.policy import BaseStock, ReviewState
from restock.simulator.world import Economics, LeadTime, Network, Node, Vendor, World

LEAD = 2
LEVEL = 30.0


def make_case(n_skus: int, horizon: int, seed: int) -> tuple[World, ExogenousPaths]:
    world = World(
        skus=tuple(f"sku{i}" for i in range(n_skus)),
        economics=Economics.uniform(n_skus, unit_cost=1.0, holding_cost=0.05, lost_sale_penalty=1.0),
        network=Network.single(
            Vendor("vendor", lead_time=LeadTime(value=LEAD)), Node("store", source="vendor")
        ),
        horizon=horizon,
        review_period=7,
    )
    rng = seeding.generator(seed, "benchmark/demand")
    shape = (1, horizon, 1, n_skus)
    paths = ExogenousPaths(
        demand=rng.poisson(3.0, shape).astype(np.float64),
        lead_time=np.full(shape, LEAD, dtype=np.int64),
        fill_rate=np.ones(shape),
        capacity=np.full((horizon, 1, n_skus), np.inf),
        price=np.full((1, horizon, n_skus), 2.0),
    )
    return world, paths


def bare_loop(world: World, paths: ExogenousPaths) -> float:
    """Per-SKU SimPy loops (one small environment per SKU, the fastest layout); returns the total profit."""
    horizon, n_skus = world.horizon, world.n_skus
    demand = paths.demand[0, :, 0, :].T.tolist()
    price = paths.price[0].T.tolist()
    total = 0.0
    for j in range(n_skus):
        env = simpy.Environment()
        st = {"on_hand": 0.0, "pipeline": 0.0, "profit": 0.0}
        d, pr = demand[j], price[j]

        def arrive(event: simpy.Event, st: dict[str, float] = st) -> None:
            q = cast(float, event.value)
            st["pipeline"] -= q
            st["on_hand"] += q
            st["profit"] -= q * 1.0

        def review(env: simpy.Environment = env, st: dict[str, float] = st) -> Generator[Any, Any, None]:
            for _ in range(0, horizon, 7):
                q = max(LEVEL - st["on_hand"] - st["pipeline"], 0.0)
                if q > 0:
                    st["pipeline"] += q
                    ship = simpy.Event(env)  # a scheduled event carrying the shipment, before demand
                    ship._ok, ship._value = True, q
                    ship.callbacks.append(arrive)
                    env.schedule(ship, simpy.events.URGENT, LEAD)
                yield env.timeout(7)

        def daily_demand(
            env: simpy.Environment = env, st: dict[str, float] = st, d: list[float] = d, pr: list[float] = pr
        ) -> Generator[Any, Any, None]:
            for t in range(horizon):
                oh = st["on_hand"]
                sales = min(d[t], oh)
                st["on_hand"] = oh - sales
                st["profit"] += sales * pr[t] - 0.05 * (oh - sales) - 1.0 * (d[t] - sales)
                yield env.timeout(1)

        env.process(review())
        env.process(daily_demand())
        env.run(until=horizon)
        total += st["profit"]
    return total


def des_loop(world: World, paths: ExogenousPaths, record: bool) -> float:
    engine = DesEngine(world, paths, record=record)
    rule = BaseStock(LEVEL)
    state: ReviewState | None = engine.reset()
    profit = 0.0
    while state is not None:
        state, totals = engine.step(rule(state))
        profit += float(totals["reward"].sum())
    if record:
        engine.result()  # build the records and event log frames too
    return profit


def median_time(fn: Any, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skus", type=int, default=1000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    world, paths = make_case(args.skus, args.days, args.seed)
    sku_days = args.skus * args.days
    bare = median_time(lambda: bare_loop(world, paths), args.repeats)
    des = median_time(lambda: des_loop(world, paths, True), args.repeats)
    des_quiet = median_time(lambda: des_loop(world, paths, False), args.repeats)
    out = {
        "benchmark": "des_bare_loop",
        "skus": args.skus,
        "days": args.days,
        "repeats": args.repeats,
        "bare_s": bare,
        "des_s": des,
        "des_norecord_s": des_quiet,
        "bare_sku_days_per_s": sku_days / bare,
        "des_sku_days_per_s": sku_days / des,
        "des_norecord_sku_days_per_s": sku_days / des_quiet,
        "ratio_des_to_bare": bare / des,
        "ratio_des_norecord_to_bare": bare / des_quiet,
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
