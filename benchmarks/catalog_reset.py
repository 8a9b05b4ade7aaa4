"""Restock/Catalog-v0 reset time over many SKUs, and SB3 PPO on Catalog-v0 against PPO on a trivial env.

Reset: the env is built once (its first episode's forecast table is computed then: the exact "true" table
of a stationary catalog is cached per scenario), then ``reset()`` starts a new episode each time: new
paths (demand with its warm-up history, lead times), the observers and a batch engine over them. Target
(issue 16): under 1 s at 16,384 SKUs after the first. PPO: ``benchmarks/sb3_throughput.py`` in a child
process (the same PPO on both envs, alternating; target ratio >= 0.8), unless ``--no-ppo``.

    .venv/bin/python benchmarks/catalog_reset.py [--skus 16384] [--repeats 5] [--no-ppo]

Prints one JSON object: the construction time, the first and the median later reset (wall; CPU, user and
system; the CPU of the scenario draw inside it), the load average before and after, and the PPO ratio
(with its own settings).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skus", type=int, default=16_384)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--no-ppo", action="store_true")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))  # this checkout's restock, not an installed one

    from restock.envs import catalog

    draw_s: list[float] = []  # CPU time of the episode's draw (world, paths, forecast table) per reset
    build = catalog.build_episode

    def timed_build(*a: Any, **kw: Any) -> Any:
        c0 = time.process_time()
        try:
            return build(*a, **kw)
        finally:
            draw_s.append(time.process_time() - c0)

    catalog.build_episode = timed_build  # type: ignore[assignment]
    out: dict[str, object] = {"load_average_before": list(os.getloadavg()), "skus": args.skus}
    t0 = time.perf_counter()
    env = catalog.CatalogVectorEnv(
        num_envs=args.skus, scenario="steady", overrides=[f"catalog.n_skus={args.skus}"]
    )
    out["construct_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    env.reset(seed=0)
    out["first_reset_s"] = time.perf_counter() - t0
    later, cpu, user, system = [], [], [], []
    del draw_s[:]
    for _ in range(args.repeats):
        t0, c0, u0 = time.perf_counter(), time.process_time(), os.times()
        env.reset()
        later.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        u1 = os.times()
        user.append(u1.user - u0.user)
        system.append(u1.system - u0.system)
    out["reset_s_median"] = statistics.median(later)
    out["reset_s_all"] = later
    out["reset_cpu_s_median"] = statistics.median(cpu)
    out["reset_user_s_median"] = statistics.median(user)
    out["reset_system_s_median"] = statistics.median(system)
    out["reset_draw_cpu_s_median"] = statistics.median(draw_s)
    """The part of the reset's CPU time in the scenario draw (restock.scenarios.draw and the table)."""
    out["target_reset_s"] = 1.0
    if not args.no_ppo:
        done = subprocess.run(
            [sys.executable, str(ROOT / "benchmarks" / "sb3_throughput.py")],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        out["ppo"] = json.loads(done.stdout)
    out["load_average_after"] = list(os.getloadavg())
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
