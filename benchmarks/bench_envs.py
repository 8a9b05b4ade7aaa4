"""Throughput of the Restock envs (medians over repeats; a benchmark, not a timed test).

Prints one JSON object:

* ``catalog``: raw ``Restock/Catalog-v0`` stepping on the batch engine, ``n_envs`` sub-environments at
  random actions: SKU-steps/s = n_envs x steps / seconds, excluding resets (``reset_s`` is reported apart:
  drawing the paths of a new episode); ``engine_sku_steps_per_s`` is the bare batch engine at the same
  orders (the env's own overhead is the difference). Target: >= 1M SKU-steps/s.
* ``network_catalog``: the same for ``Restock/NetworkCatalog-v0`` (``--network-scenario``, default
  ``warehouse-3fc``, ``--network-n-envs`` (path, SKU) networks, default 1024): ``sku_steps_per_s`` counts
  sub-environment steps (one network of M nodes each), ``node_sku_steps_per_s`` those times M; the bare
  engine is the network batch engine.
* ``single_sku``: ``Restock/SingleSKU-v0`` on the des engine (each step simulates 7 days of events):
  env-steps/s over whole episodes, without resets (``steps_per_s``) and with them
  (``steps_per_s_with_reset``); ``engine_steps_per_s`` is the bare des engine at the same orders, so the
  env's own overhead is the difference. Target: >= 3k env-steps/s.

Every rate is wall-clock; ``*_cpu_*`` rates divide by the process CPU time (``time.process_time``) of
the same runs instead. On a machine shared with other work the wall rate falls with the share of a core
the process gets; the CPU rate is what the code costs (with one torch thread it equals the wall rate on
an idle core; with more threads it sums their time). ``load_average`` (1-minute, start and end) says
how busy the machine was. ``--threads`` sets torch's intra-op threads (default: torch's own default).

    nice .venv/bin/python benchmarks/bench_envs.py [--n-envs 16384] [--repeats 5] [--scenario steady]
        [--dtype float64] [--threads N] [--only catalog|network_catalog|single_sku]
        [--network-scenario warehouse-3fc] [--network-n-envs 1024]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from typing import Any

import numpy as np
import torch

from restock.envs.catalog import make_catalog_vec_env
from restock.envs.network_catalog import make_network_catalog_vec_env
from restock.envs.single_sku import SingleSkuEnv
from restock.simulator.batch import batch_engine
from restock.simulator.des import DesEngine


def bench_catalog(
    scenario: str, n_envs: int, steps: int, repeats: int, dtype: str, *, network: bool = False
) -> dict[str, Any]:
    t0 = time.perf_counter()
    factory = make_network_catalog_vec_env if network else make_catalog_vec_env
    vec = factory(scenario, n_envs=n_envs, seed=0, engine_options={"dtype": dtype})
    vec.reset()
    first_reset = time.perf_counter() - t0
    n_reviews = len(vec.world.review_periods())
    steps = min(steps, n_reviews - 1)  # stay inside one episode: no reset in the timed loop
    rng = np.random.default_rng(0)
    m = vec.env.n_nodes
    actions = rng.uniform(-1, 1, size=(steps, n_envs, m)).astype(np.float32)
    rates, cpu_rates, resets, reset_cpu, engine, engine_cpu = [], [], [], [], [], []
    work = n_envs * steps
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        vec.reset()
        resets.append(time.perf_counter() - t0)
        reset_cpu.append(time.process_time() - c0)
        orders = []
        t0, c0 = time.perf_counter(), time.process_time()
        for k in range(steps):
            vec.step(actions[k])
            orders.append(vec.last_orders.copy())
        rates.append(work / (time.perf_counter() - t0))
        cpu_rates.append(work / (time.process_time() - c0))
        # the bare batch engine on the same paths and orders (what the env adds is the difference)
        eng = batch_engine(vec.world, vec.paths, record=False, dtype=dtype)
        eng.reset()
        t0, c0 = time.perf_counter(), time.process_time()
        for q in orders:
            eng.step(q)
        engine.append(work / (time.perf_counter() - t0))
        engine_cpu.append(work / (time.process_time() - c0))
    return {
        "scenario": scenario,
        "n_envs": n_envs,
        "n_paths": vec.n_paths,
        "n_nodes": m,
        "steps_timed": steps,
        "dtype": dtype,
        "sku_steps_per_s": round(statistics.median(rates)),
        "node_sku_steps_per_s": round(m * statistics.median(rates)),
        "engine_sku_steps_per_s": round(statistics.median(engine)),
        "cpu_sku_steps_per_s": round(statistics.median(cpu_rates)),
        "engine_cpu_sku_steps_per_s": round(statistics.median(engine_cpu)),
        "reset_s": round(statistics.median(resets), 3),
        "reset_cpu_s": round(statistics.median(reset_cpu), 3),
        "first_reset_s": round(first_reset, 3),
        **({} if network else {"target_sku_steps_per_s": 1_000_000}),
    }


def bench_single(scenario: str, episodes: int) -> dict[str, Any]:
    env = SingleSkuEnv(scenario)
    rng = np.random.default_rng(0)
    pure, total, engine = [], [], []
    for e in range(episodes):
        t_reset = time.perf_counter()
        env.reset(seed=e)
        t0 = time.perf_counter()
        n, done = 0, False
        orders = []
        while not done:
            _, _, _, done, info = env.step(rng.uniform(-1, 1, size=1).astype(np.float32))
            orders.append(info["order"])
            n += 1
        t1 = time.perf_counter()
        pure.append(n / (t1 - t0))
        total.append(n / (t1 - t_reset))
        # the bare engine on the same path and orders
        eng = DesEngine(env.world, env.paths, record=False)
        eng.reset()
        t0 = time.perf_counter()
        for q in orders:
            eng.step(np.full((1, 1, 1), q))
        engine.append(len(orders) / (time.perf_counter() - t0))
    return {
        "scenario": scenario,
        "episodes": episodes,
        "steps_per_episode": n,
        "steps_per_s": round(statistics.median(pure)),
        "steps_per_s_with_reset": round(statistics.median(total)),
        "engine_steps_per_s": round(statistics.median(engine)),
        "target_steps_per_s": 3000,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="steady")
    ap.add_argument("--n-envs", type=int, default=16384)
    ap.add_argument("--steps", type=int, default=20, help="Catalog steps timed per repeat")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--episodes", type=int, default=7, help="SingleSKU episodes")
    ap.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    ap.add_argument("--only", choices=["catalog", "network_catalog", "single_sku"], default=None)
    ap.add_argument("--network-scenario", default="warehouse-3fc")
    ap.add_argument("--network-n-envs", type=int, default=1024)
    ap.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    args = ap.parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    out: dict[str, Any] = {
        "machine": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "threads": torch.get_num_threads(),
        },
        "load_average": {"start": round(os.getloadavg()[0], 2)},
    }
    if args.only in (None, "catalog"):
        out["catalog"] = bench_catalog(args.scenario, args.n_envs, args.steps, args.repeats, args.dtype)
    if args.only in (None, "network_catalog"):
        out["network_catalog"] = bench_catalog(
            args.network_scenario, args.network_n_envs, args.steps, args.repeats, args.dtype, network=True
        )
    if args.only in (None, "single_sku"):
        out["single_sku"] = bench_single(args.scenario, args.episodes)
    out["load_average"]["end"] = round(os.getloadavg()[0], 2)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
