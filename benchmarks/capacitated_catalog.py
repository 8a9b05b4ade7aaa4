"""A catalog under a shared inbound capacity: the Lagrangian newsvendor against one that ignores the limit.

On the built-in ``capacitated-catalog`` (or ``--scenario``), every policy runs on the same evaluation
episodes (root seeds ``seeding.eval_seed(0..seeds-1)``, batch engine). Per policy and seed:

* ``profit`` over the horizon (the engines cut orders beyond the limit pro rata, so every policy's
  profit is that of a feasible plan);
* ``over_share``: the share of (path, review) pairs where the policy's orders over the catalog exceed
  the node's inbound capacity of the review, and ``units_over`` their excess in units per review, before
  the cut (what the policy asked for, not what the dock took in);
* ``fill_rate`` (units sold / demand).

Profit differences are paired per seed against ``--reference`` (default: the newsvendor): mean and 95%
CI (t over seeds).

Usage::

    nice .venv/bin/python benchmarks/capacitated_catalog.py --seeds 6 --markdown
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np
from scipy import stats

from restock.agents.evaluate import draw_episode, rollout
from restock.agents.specs import resolve_policy
from restock.scenarios import load
from restock.seeding import eval_seed


def measure(policy: object, ep: object) -> dict[str, float]:
    """Profit, limit violation and fill rate of ``policy`` on episode ``ep``."""
    result = rollout(policy, ep, engine="batch").result  # type: ignore[arg-type]
    assert result is not None
    rec = result.records
    world = ep.world  # type: ignore[attr-defined]
    reviews = rec[rec["period"].isin(world.review_periods())]
    asked = reviews.groupby(["path", "period"])["ordered"].sum()
    limit = world.inbound_capacity[asked.index.get_level_values("period"), 0]
    over = np.maximum(asked.to_numpy() - limit, 0.0)
    return {
        "profit": float(rec["reward"].sum() / rec["path"].nunique()),
        "over_share": float((over > 1e-6).mean()),
        "units_over": float(over.mean()),
        "fill_rate": float(rec["sales"].sum() / max(rec["demand"].sum(), 1e-12)),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="capacitated-catalog")
    ap.add_argument("--policies", default="newsvendor,lagrangian-newsvendor")
    ap.add_argument("--reference", default="newsvendor")
    ap.add_argument("--seeds", type=int, default=6)
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args(argv)
    names = [p.strip() for p in args.policies.split(",") if p.strip()]
    if args.seeds < 2 or args.reference not in names:
        print("error: --seeds must be >= 2 and --reference one of --policies", file=sys.stderr)
        return 2
    sc = load(args.scenario)
    policies = {name: resolve_policy(name, sc) for name in names}
    t0 = time.perf_counter()
    per: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    for k in range(args.seeds):
        ep = draw_episode(sc, eval_seed(k))
        for name, policy in policies.items():
            per[name].append(measure(policy, ep))
    ref = np.array([row["profit"] for row in per[args.reference]])
    rows = []
    for name in names:
        profit = np.array([row["profit"] for row in per[name]])
        diff = profit - ref
        half = stats.t.ppf(0.975, len(diff) - 1) * diff.std(ddof=1) / np.sqrt(len(diff))
        rows.append(
            {
                "policy": name,
                "profit": float(profit.mean()),
                "saving": float(diff.mean()),
                "ci": [float(diff.mean() - half), float(diff.mean() + half)],
                "saving_pct": float(100 * diff.mean() / abs(ref.mean())),
                **{
                    k: float(np.mean([row[k] for row in per[name]]))
                    for k in ("over_share", "units_over", "fill_rate")
                },
            }
        )
    if args.markdown:
        print(f"{args.scenario}, {args.seeds} evaluation seeds, {time.perf_counter() - t0:.0f} s\n")
        head = ["policy", "profit", "saving vs reference (95% CI)", "%", "reviews over the limit"]
        head += ["units over per review", "fill rate"]
        print("| " + " | ".join(head) + " |")
        print("|---|---|---|---|---|---|---|")
        for r in rows:
            lo, hi = r["ci"]  # type: ignore[misc]
            print(
                f"| {r['policy']} | {r['profit']:,.0f} | {r['saving']:+,.0f} ({lo:+,.0f}, {hi:+,.0f}) | "
                f"{r['saving_pct']:+.2f} | {100 * r['over_share']:.1f}% | {r['units_over']:,.0f} | "  # type: ignore[operator]
                f"{r['fill_rate']:.4f} |"
            )
    else:
        print(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
