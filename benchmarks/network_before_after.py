"""NetworkEngine before and after a change, in one run: the ten-FC network of ``restock bench --network``.

The engine of an earlier revision (``--before``, a git revision of this repository; default: the last
revision before the speed work on the network engine) is loaded from git into a module of its own; the
current engine, the earlier one and the bare torch loop then run interleaved on the same instance, in
the same process, so that the machine's load falls on all of them alike. Every figure is the median of
``--repeats`` timed runs, wall clock and CPU time (``time.process_time``); throughput is
SKU-node-periods per second; ``load_average`` is the 1-minute load at the start and the end.

    python benchmarks/network_before_after.py [--skus 10000] [--repeats 5] [--before REV] [--markdown]
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import subprocess
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from restock.simulator.batch import network
from restock.simulator.batch.bench import load_average
from restock.simulator.batch.network_bench import bare_inputs, bare_network_loop, network_instance
from restock.simulator.policy import EchelonBaseStock

BEFORE = "d6f360d"
"""The revision that added ``restock bench --network``, before NetworkEngine was made faster."""


def engine_at(revision: str) -> type:
    """``NetworkEngine`` as it was at ``revision`` (its module source from git, run as a module)."""
    root = Path(__file__).resolve().parent.parent
    source = subprocess.run(
        ["git", "show", f"{revision}:restock/simulator/batch/network.py"],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    module = types.ModuleType(f"restock.simulator.batch.network_at_{revision}")
    exec(compile(source, f"{revision}:restock/simulator/batch/network.py", "exec"), module.__dict__)
    return module.NetworkEngine  # type: ignore[no-any-return]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--skus", type=int, default=10_000)
    ap.add_argument("--fcs", type=int, default=10)
    ap.add_argument("--periods", type=int, default=364)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--before", default=BEFORE, help="git revision of the engine to compare with")
    ap.add_argument("--markdown", action="store_true", help="print a markdown table, not JSON")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    dtype = getattr(torch, args.dtype)
    load_start = load_average()
    inst = network_instance(args.skus, args.fcs, args.periods, 0)
    world, paths = inst.world, inst.paths
    units = world.n_skus * len(world.network.nodes) * paths.n_paths * world.horizon
    engines = {"before": engine_at(args.before), "after": network.NetworkEngine}
    forward = {k: cls(world, paths, record=False, dtype=dtype) for k, cls in engines.items()}
    grad = {k: cls(world, paths, record=False, grad=True, dtype=dtype) for k, cls in engines.items()}
    rule = EchelonBaseStock(inst.levels, inst.subtree)
    bare = bare_inputs(inst, dtype, "cpu")

    def grad_run(engine: Any) -> Callable[[], Any]:
        def run() -> Any:
            level = torch.as_tensor(inst.levels, dtype=dtype).requires_grad_(True)
            engine.rollout(EchelonBaseStock(level, inst.subtree))["reward"].sum().backward()
            return level.grad

        return run

    runs: dict[str, Callable[[], Any]] = {
        "bare_torch": lambda: bare_network_loop(**bare),
        **{f"{k}_forward": (lambda e=e: e.rollout(rule)) for k, e in forward.items()},
        **{f"{k}_grad": grad_run(e) for k, e in grad.items()},
    }
    for fn in runs.values():  # warm-up (first allocations of the autograd graph)
        fn()
    wall: dict[str, list[float]] = {k: [] for k in runs}
    cpu: dict[str, list[float]] = {k: [] for k in runs}
    for _ in range(args.repeats):
        for name, fn in runs.items():
            gc.collect()
            w0, c0 = time.perf_counter(), time.process_time()
            fn()
            wall[name].append(time.perf_counter() - w0)
            cpu[name].append(time.process_time() - c0)
    med = {k: (statistics.median(wall[k]), statistics.median(cpu[k])) for k in runs}
    result: dict[str, Any] = {
        "config": {**vars(args), "nodes": args.fcs + 1, "statistic": "median", "warm_up_runs": 1},
        "load_average": {"start": load_start, "end": load_average()},
    }
    for name, (w, c) in med.items():
        result[name] = {
            "sku_node_periods_per_s": units / w,
            "cpu_sku_node_periods_per_s": units / c,
            "ratio_to_bare": med["bare_torch"][0] / w,
            "cpu_ratio_to_bare": med["bare_torch"][1] / c,
            "seconds": wall[name],
            "cpu_seconds": cpu[name],
        }
    for kind in ("forward", "grad"):
        result[f"speedup_{kind}"] = med[f"before_{kind}"][0] / med[f"after_{kind}"][0]
        result[f"cpu_speedup_{kind}"] = med[f"before_{kind}"][1] / med[f"after_{kind}"][1]
    if not args.markdown:
        print(json.dumps(result))
        return
    print("| run | M SKU-node-periods/s (wall) | (CPU) | engine / bare (wall) | (CPU) |")
    print("|---|---:|---:|---:|---:|")
    for name in runs:
        r = result[name]
        wall_rate, cpu_rate = r["sku_node_periods_per_s"] / 1e6, r["cpu_sku_node_periods_per_s"] / 1e6
        print(
            f"| {name} | {wall_rate:.1f} | {cpu_rate:.1f} | {r['ratio_to_bare']:.2f} "
            f"| {r['cpu_ratio_to_bare']:.2f} |"
        )
    for kind in ("forward", "grad"):
        up, cpu_up = result[f"speedup_{kind}"], result[f"cpu_speedup_{kind}"]
        print(f"\nspeed-up {kind}: {up:.2f}x wall, {cpu_up:.2f}x CPU")
    print(f"load average (1 min) start / end: {load_start} / {result['load_average']['end']}")


if __name__ == "__main__":
    main(sys.argv[1:])
