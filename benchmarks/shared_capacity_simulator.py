"""The simulator's Lagrangian newsvendor on a scenario that matches the shared-capacity oracle's model.

The built-in ``capacitated-catalog`` cut down to the oracle's model: one node, ``--skus`` SKUs, Poisson
demand with the catalog's drawn means, lead time 0, a review every period, lost sales, no salvage,
``nodes.0.inbound_capacity = C``, true forecasts, empty shelves at the start. The batch engine runs the
simulator's ``lagrangian-newsvendor`` and ``newsvendor`` (both on the forecast table's interpolated
quantiles, real-valued orders, the engines' pro rata cut) on ``--paths`` paths of ``--periods``
periods; the average profit per period over periods ``--burn`` .. T-1 (mean and standard error over
paths) is printed beside the oracle's exact figures for the same SKUs (integer quantiles,
``restock.agents.oracle.shared_capacity``). The two are not the same policy, so the difference is
reported, not expected to vanish.

Usage::

    nice .venv/bin/python benchmarks/shared_capacity_simulator.py --shares 0.8,1.0 --markdown
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from restock.agents.baselines import NewsvendorPolicy
from restock.agents.baselines.capacity import LagrangianNewsvendorPolicy
from restock.agents.evaluate import draw_episode, rollout
from restock.agents.oracle import SharedCapacityConfig, solve_shared_capacity
from restock.scenarios import load
from restock.scenarios.catalog import resolve_catalog


def scenario(skus: int, capacity: int, periods: int, paths: int):  # type: ignore[no-untyped-def]
    return load(
        "capacitated-catalog",
        [
            f"catalog.n_skus={skus}",
            f"horizon={periods}",
            "review_period=1",
            "warmup=0",
            "demand.distribution='poisson'",
            "demand.mean_range=[2.0, 4.0]",
            "economics.price_range=[5.0, 20.0]",
            "economics.unit_cost='0.5 * price'",
            "economics.holding_cost='0.1 * price'",
            "economics.lost_sale_penalty='0.1 * price'",
            "economics.salvage_value=0.0",
            "vendors=[{name='vendor', lead_time={kind='deterministic', value=0}}]",
            f"nodes=[{{name='store', source='vendor', initial_cover=0.0, inbound_capacity={capacity}.0}}]",
            "shocks=[]",
            f"seeds.n_paths={paths}",
        ],
    )


def simulated_profit(policy: object, ep: object, burn: int) -> tuple[float, float]:
    """Mean and standard error over paths of the profit per period from period ``burn`` on."""
    result = rollout(policy, ep, engine="batch").result  # type: ignore[arg-type]
    assert result is not None
    rec = result.records
    window = rec[rec["period"] >= burn]
    per_path = window.groupby("path")["reward"].sum() / window["period"].nunique()
    return float(per_path.mean()), float(per_path.std(ddof=1) / np.sqrt(len(per_path)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skus", type=int, default=2)
    parser.add_argument("--shares", default="0.8,1.0", help="capacity as shares of the mean total demand")
    parser.add_argument("--paths", type=int, default=128)
    parser.add_argument("--periods", type=int, default=1000)
    parser.add_argument("--burn", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    lines = []
    for share in (float(s) for s in args.shares.split(",")):
        probe = scenario(args.skus, 1, args.periods, args.paths)
        cat = resolve_catalog(probe)
        capacity = round(share * float(cat.mean.sum()))
        sc = scenario(args.skus, capacity, args.periods, args.paths)
        ep = draw_episode(sc, seed=args.seed)
        econ = ep.world.economics
        config = SharedCapacityConfig(
            demand=tuple(f"poisson:{float(m)!r}" for m in cat.mean),
            price=tuple(float(v) for v in cat.price[0]),
            unit_cost=tuple(float(v) for v in econ.unit_cost),
            holding=tuple(float(v) for v in econ.holding_cost),
            penalty=tuple(float(v) for v in econ.lost_sale_penalty),
            capacity=capacity,
        )
        t0 = time.perf_counter()
        sol = solve_shared_capacity(config)
        oracle_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        lag, lag_se = simulated_profit(LagrangianNewsvendorPolicy(), ep, args.burn)
        nv, nv_se = simulated_profit(NewsvendorPolicy(), ep, args.burn)
        sim_s = time.perf_counter() - t0
        pol = sol.policies
        line = (
            f"| {', '.join(f'{m:.3f}' for m in cat.mean)} | {capacity} ({capacity / cat.mean.sum():.0%}) | "
            f"{sol.average_profit:.4f} | {pol['lagrangian'].average_profit:.4f} | "
            f"{pol['lagrangian-filled'].average_profit:.4f} | {lag:.4f} ± {lag_se:.4f} | "
            f"{pol['newsvendor'].average_profit:.4f} | {nv:.4f} ± {nv_se:.4f} | {oracle_s:.1f}, {sim_s:.0f} |"
        )
        lines.append(line)
        if not args.markdown:
            print(config, line, flush=True)
    if args.markdown:
        print(
            "| means | C (share) | optimum | oracle: Lagrangian | oracle: Lagrangian, filled | simulator: "
            "lagrangian-newsvendor | oracle: newsvendor cut pro rata | simulator: newsvendor | seconds "
            "(oracle, simulator) |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
