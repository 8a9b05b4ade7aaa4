"""Learned buying on a network against the best base-stock policies, paired on evaluation seeds.

The question of Gijsbrechts et al. (2022, A3C on one warehouse and ten retailers: 9-12% lower cost than
the best base-stock policy) in Restock's terms, on the built-in ``warehouse-10fc`` (or ``--scenario``):

* ``echelon-base-stock`` and ``base-stock`` (installation) — levels per node tuned on training seeds
  (:mod:`restock.agents.baselines.tuning`: a joint grid over the tree's depths, then node-by-node sweeps,
  judged on the network's profit); ``newsvendor`` for reference;
* ``directbackprop`` — trained through ``restock.agents.training.train`` (the ``restock train`` entry
  point) into ``--dbp-run`` (or reused from there with ``--reuse``); its best checkpoint is chosen on
  selection paths, disjoint from the evaluation seeds;
* ``ppo`` — a trained PPO run folder given with ``--ppo-run`` (``restock train --agent ppo``), if any.

Every policy runs on the same evaluation episodes (root seeds ``seeding.eval_seed(0..seeds-1)``, batch
engine). Two measures per episode:

* ``profit`` over the whole horizon (what ``restock evaluate`` reports; it includes the end of the
  horizon, where a policy that knows the time left can run its stock down);
* ``cost`` per period in the window [``--window``] that leaves out the start-up and the last weeks:
  holding + penalty + fixed order cost + ``(price - unit cost) x lost units`` (the lost margin) of the
  window's periods, per (path, SKU): the steady-state cost the published comparison is about (holding
  and lost sales), free of when stock bought before or after the window is paid for.

Differences are paired per evaluation seed against ``--reference`` (default the echelon base-stock):
mean and 95% CI (t over seeds); ``cost_pct`` = the cost difference / the reference's mean cost (negative:
cheaper than the reference).

Usage::

    nice .venv/bin/python benchmarks/network_learned.py --dbp-run runs/net-dbp --seeds 10 --markdown
    nice .venv/bin/python benchmarks/network_learned.py --dbp-run runs/net-dbp --reuse --ppo-run runs/net-ppo
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from restock import seeding
from restock.agents.directbackprop.rollout import window
from restock.agents.evaluate import draw_episode, engine_rule, observers
from restock.agents.specs import resolve_policy
from restock.agents.stats import paired_difference
from restock.agents.training import TrainSpec, load_policy, train
from restock.envs.core import load_scenario
from restock.simulator.arrays import to_numpy
from restock.simulator.engines import make_engine, rollout

DBP_OPTIONS: dict[str, Any] = {
    "n_paths": 32,
    "hidden": [64, 64],
    "eval_every": 20,
    "eval_paths": 64,
    "final_eval_paths": 64,
    "train_episodes": 8,
    "lr": 0.005,
    "lr_final": 0.0005,
    "threads": 1,
}


def episode_measures(policy: Any, ep: Any, start: int, end: int) -> dict[str, float]:
    """Whole-horizon profit and window cost per period (see the module docstring) of one episode."""
    whole = rollout(
        make_engine("batch", ep.world, ep.paths, record=False), engine_rule(policy, observers(ep, policy))
    )
    profit = float(to_numpy(whole.totals["reward"]).sum()) / ep.paths.n_paths
    world, paths = window(ep.world, ep.paths, end)
    part = rollout(
        make_engine("batch", world, paths, record=False),
        engine_rule(policy, observers(ep, policy)),  # observers of the whole episode: the same view
        count_from=start,
    )
    totals = {k: to_numpy(v).sum(axis=(0, 1)) for k, v in part.totals.items()}  # [N]
    margin = ep.paths.price.mean(axis=(0, 1)) - ep.world.economics.unit_cost  # [N]
    paid = totals["holding_cost"] + totals["penalty_cost"] + totals["fixed_order_cost"]
    cost = (paid + margin * totals["lost"]).sum() / (ep.paths.n_paths * ep.world.n_skus * part.periods)
    return {"profit": profit, "cost": float(cost)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scenario", default="warehouse-10fc")
    ap.add_argument("--seeds", type=int, default=10, help="evaluation seeds (episodes)")
    ap.add_argument("--paths", type=int, default=None, help="paths per evaluation episode (scenario's)")
    ap.add_argument("--window", default="28,154", help="first and end period of the cost window")
    ap.add_argument("--dbp-run", type=Path, default=None, help="DirectBackprop run folder (trained here)")
    ap.add_argument("--reuse", action="store_true", help="use the trained --dbp-run as it is")
    ap.add_argument("--dbp-timesteps", type=int, default=250_000)
    ap.add_argument("--ppo-run", type=Path, default=None, help="a trained PPO run folder to include")
    ap.add_argument("--reference", default="echelon-base-stock")
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args(argv)
    try:
        start, end = (int(x) for x in args.window.split(","))
    except ValueError:
        ap.error(f"--window must be two periods FIRST,END, got {args.window!r}")
    if not 0 <= start < end or args.seeds < 1:
        ap.error(f"--window needs 0 <= FIRST < END and --seeds >= 1, got {args.window!r}, {args.seeds}")
    sc = load_scenario(args.scenario, None)
    t0 = time.perf_counter()
    policies: dict[str, Any] = {
        name: resolve_policy(name, sc) for name in ("newsvendor", "base-stock", "echelon-base-stock")
    }
    tuned_s = time.perf_counter() - t0
    seconds: dict[str, float] = {"tuning": tuned_s}
    if args.dbp_run is not None:
        if not args.reuse:
            t0 = time.perf_counter()
            spec = TrainSpec("directbackprop", args.scenario, args.dbp_timesteps, options=dict(DBP_OPTIONS))
            train(spec, run_dir=args.dbp_run, progress=False)
            seconds["directbackprop_training"] = time.perf_counter() - t0
        policies["directbackprop"] = load_policy(args.dbp_run)
    if args.ppo_run is not None:
        policies["ppo"] = load_policy(args.ppo_run)
    per_seed: dict[str, dict[str, list[float]]] = {k: {"profit": [], "cost": []} for k in policies}
    for k in range(args.seeds):
        ep = draw_episode(sc, seeding.eval_seed(k), args.paths)
        for name, policy in policies.items():
            m = episode_measures(policy, ep, start, end)
            for key, value in m.items():
                per_seed[name][key].append(value)
        print(
            f"seed {k}: " + ", ".join(f"{n} {v['cost'][-1]:.3f}" for n, v in per_seed.items()),
            file=sys.stderr,
        )
    ref = {key: np.asarray(per_seed[args.reference][key]) for key in ("profit", "cost")}
    rows = []
    for name, values in per_seed.items():
        row: dict[str, Any] = {"policy": name}
        for key in ("profit", "cost"):
            x = np.asarray(values[key])
            d = paired_difference(x, ref[key])
            row[key] = float(x.mean())
            row[f"{key}_diff"], row[f"{key}_ci"] = float(d.mean), [float(d.ci_low), float(d.ci_high)]
        row["cost_pct"] = 100.0 * row["cost_diff"] / float(ref["cost"].mean())
        row["cost_pct_ci"] = [100.0 * v / float(ref["cost"].mean()) for v in row["cost_ci"]]
        rows.append(row)
    out = {
        "scenario": args.scenario,
        "seeds": args.seeds,
        "window": [start, end],
        "reference": args.reference,
        "rows": rows,
        "seconds": seconds,
    }
    print(json.dumps(out, indent=1))
    if args.markdown:
        print(
            f"\n| policy | profit | vs {args.reference} (95% CI) | cost/period [{start},{end}) "
            "| cost vs ref % (95% CI) |"
        )
        print("|---|---|---|---|---|")
        for r in rows:
            print(
                f"| {r['policy']} | {r['profit']:,.0f} | {r['profit_diff']:+,.0f} "
                f"({r['profit_ci'][0]:+,.0f}, {r['profit_ci'][1]:+,.0f}) | {r['cost']:.2f} "
                f"| {r['cost_pct']:+.1f} "
                f"({r['cost_pct_ci'][0]:+.1f}, {r['cost_pct_ci'][1]:+.1f}) |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
