"""Dual sourcing in the simulator against the exact optimum, on the six instances of the dual-sourcing family.

For each instance ``L<L_r>-c<c_e>`` of the built-in ``dual-sourcing`` scenario (Gijsbrechts et al. 2022's
costs; with ``--demand poisson`` (the default) the Poisson(2) demand the family draws by default, with
``--demand uniform`` the paper's own demand, uniform on {0, ..., 4}: ``family.demand = "uniform"``):

* ``optimum`` — ``restock oracle dual-sourcing --demand poisson:2`` (uniform: ``pmf:0.2,0.2,0.2,0.2,0.2``;
  relative value iteration), and the exact cost of the best capped dual index it finds (``oracle_cdi``);
* ``single-index``, ``dual-index``, ``capped-dual-index`` — tuned by the simulator on training seeds
  (:mod:`restock.agents.baselines.tuning`) and evaluated on evaluation seeds (disjoint), batch engine;
  the average cost per period over periods [100, T - 10) (off the start-up from an empty store and the
  last regular orders, which arrive after the horizon and are never paid), mean over the paths of every
  seed, with a 95% CI (t over seeds); gap = cost / optimum - 1.

* trained agents — with ``--run DIR`` (repeatable: a ``restock train --agent directbackprop|ppo
  --scenario dual-sourcing`` run folder, trained on ``--only``'s instance), each trained policy on the
  same evaluation episodes of that instance, with the same window, named by its agent.

``--only L2-c105`` runs one instance.

Usage::

    nice .venv/bin/python benchmarks/dual_sourcing.py --seeds 4 --horizon 3000 --markdown
    nice .venv/bin/python benchmarks/dual_sourcing.py --only L2-c105 --run runs/dual-dbp --markdown
    nice .venv/bin/python benchmarks/dual_sourcing.py --demand uniform --policies "" --markdown
    nice .venv/bin/python benchmarks/dual_sourcing.py --only L2-c105 --policies capped-dual-index \
        --run runs/dual-dbp --run runs/dual-ppo --markdown
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np
from scipy import stats

from restock.agents.baselines import TuningConfig, tune
from restock.agents.baselines.sourcing import DualIndexPolicy
from restock.agents.evaluate import draw_episode, rollout
from restock.agents.oracle.dual_index import best_index_policies
from restock.agents.oracle.dual_sourcing import DualSourcingConfig, solve_dual_sourcing
from restock.scenarios import load
from restock.scenarios.families import DUAL_EXPEDITED_COSTS, DUAL_LEAD_TIMES
from restock.seeding import eval_seed

POLICIES = ("single-index", "dual-index", "capped-dual-index")


DEMANDS = {"poisson": "poisson:2", "uniform": "pmf:0.2,0.2,0.2,0.2,0.2"}
"""``--demand``: the oracle's demand spec of each family demand."""


def window_cost(
    policy: object, instance: str, horizon: int, seeds: int, paths: int, demand: str = "poisson"
) -> np.ndarray:
    """Average cost per period of ``policy`` in periods [100, horizon - 10), one value per seed."""
    sc = load(
        "dual-sourcing", [f"family.instance={instance}", f"family.demand={demand}", f"horizon={horizon}"]
    )
    out = []
    for k in range(seeds):
        ep = draw_episode(sc, eval_seed(k), paths)
        result = rollout(policy, ep, engine="batch").result  # type: ignore[arg-type]
        assert result is not None
        rec = result.records
        window = rec[(rec["period"] >= 100) & (rec["period"] < horizon - 10)]
        out.append(-window["reward"].sum() / (window["period"].nunique() * paths))
    return np.asarray(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=4, help="evaluation seeds")
    ap.add_argument("--paths", type=int, default=8, help="paths per evaluation seed")
    ap.add_argument("--horizon", type=int, default=3000, help="periods per evaluation episode")
    ap.add_argument("--train-horizon", type=int, default=1000, help="periods per training episode")
    ap.add_argument("--markdown", action="store_true", help="print a markdown table")
    ap.add_argument("--only", default=None, help="one instance, e.g. L2-c105")
    ap.add_argument("--demand", default="poisson", choices=sorted(DEMANDS), help="the family's demand")
    ap.add_argument(
        "--no-index-search",
        action="store_true",
        help="skip the oracle's search for the best capped dual index (minutes at L_r = 4)",
    )
    ap.add_argument(
        "--policies", default=",".join(POLICIES), help=f"a subset of {','.join(POLICIES)} (or none)"
    )
    ap.add_argument(
        "--simulate-oracle-cdi",
        action="store_true",
        help="also simulate the oracle's best capped dual index on the evaluation episodes ('oracle-cdi')",
    )
    ap.add_argument(
        "--run", action="append", default=[], help="a trained run folder (DirectBackprop, PPO) for --only"
    )
    args = ap.parse_args(argv)
    if args.simulate_oracle_cdi and args.no_index_search:
        print("error: --simulate-oracle-cdi needs the index search (drop --no-index-search)", file=sys.stderr)
        return 2
    if args.seeds < 2 or args.paths < 1 or args.horizon <= 200 or args.train_horizon <= 0:
        print("error: --seeds >= 2, --paths >= 1, --horizon > 200 and --train-horizon > 0", file=sys.stderr)
        return 2
    rows = []
    chosen = tuple(p for p in args.policies.split(",") if p)
    if any(p not in POLICIES for p in chosen):
        print(
            f"error: --policies must be a subset of {','.join(POLICIES)}, got {args.policies!r}",
            file=sys.stderr,
        )
        return 2
    trained: dict[str, object] = {}
    if args.run:
        from restock.agents.training import load_policy

        for folder in args.run:
            policy = load_policy(folder)
            trained[str(getattr(policy, "name", folder)).split(":")[0]] = policy
    policies = chosen + tuple(trained)
    for lead in DUAL_LEAD_TIMES:
        for cost in DUAL_EXPEDITED_COSTS:
            instance = f"L{lead}-c{cost}"
            if args.only is not None and instance != args.only:
                continue
            t0 = time.perf_counter()
            config = DualSourcingConfig(DEMANDS[args.demand], lead, 0, 100.0, float(cost), 5.0, 495.0)
            optimum = solve_dual_sourcing(config).average_cost
            row: dict[str, object] = {
                "instance": instance,
                "demand": args.demand,
                "optimum": optimum,
                "oracle_cdi": None,
            }
            if not args.no_index_search:
                oracle_cdi = best_index_policies(config).capped_dual_index
                row["oracle_cdi"] = oracle_cdi.average_cost
                row["oracle_cdi_params"] = [
                    oracle_cdi.policy.expedite_level,
                    oracle_cdi.policy.regular_level,
                    oracle_cdi.policy.regular_cap,
                ]
                if args.simulate_oracle_cdi:
                    se, sr, cap = row["oracle_cdi_params"]
                    fixed = DualIndexPolicy(float(se), float(sr), cap=None if cap is None else float(cap))
                    costs = window_cost(fixed, instance, args.horizon, args.seeds, args.paths, args.demand)
                    row["oracle-cdi"] = float(costs.mean())
                    row["oracle-cdi_ci"] = float(
                        stats.t.ppf(0.975, len(costs) - 1) * costs.std(ddof=1) / np.sqrt(len(costs))
                    )
                    row["oracle-cdi_per_seed"] = costs.tolist()
            train = load(
                "dual-sourcing",
                [
                    f"family.instance={instance}",
                    f"family.demand={args.demand}",
                    f"horizon={args.train_horizon}",
                ],
            )
            for name in policies:
                if name in trained:
                    policy, params = trained[name], {}
                else:
                    policy, res = tune(name, train, config=TuningConfig(train_seeds=4))
                    params = {k: float(np.ravel(v)[0]) for k, v in res.params.items()}
                costs = window_cost(policy, instance, args.horizon, args.seeds, args.paths, args.demand)
                half = stats.t.ppf(0.975, len(costs) - 1) * costs.std(ddof=1) / np.sqrt(len(costs))
                row[name] = float(costs.mean())
                row[f"{name}_ci"] = float(half)
                row[f"{name}_gap_pct"] = 100 * (float(costs.mean()) / optimum - 1)
                row[f"{name}_params"] = params
                row[f"{name}_per_seed"] = costs.tolist()
            row["seconds"] = time.perf_counter() - t0
            rows.append(row)
            print(json.dumps(row), file=sys.stderr)
    if args.markdown:
        print("| instance | optimum | oracle CDI (gap %) |" + "".join(f" {p} (gap %) |" for p in policies))
        print("|---" * (3 + len(policies)) + "|")
        for r in rows:
            opt = float(r["optimum"])  # type: ignore[arg-type]
            cells = [
                f"{r[p]:.2f} ± {r[f'{p}_ci']:.2f} ({r[f'{p}_gap_pct']:+.2f})"  # type: ignore[str-format]
                for p in policies
            ]
            cdi = r["oracle_cdi"]
            best = "—" if cdi is None else f"{cdi:.2f} ({100 * (float(cdi) / opt - 1):+.3f})"  # type: ignore[arg-type]
            print(f"| {r['instance']} | {opt:.2f} | {best} |" + "".join(f" {c} |" for c in cells))
    else:
        print(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
