"""PPO on Zipkin's lost-sales instances against the exact optimum, on the same fresh paths.

For each training run folder of scenario ``zipkin-lost-sales`` (``restock train --agent ppo ...
--set family.instance=p9-L2``; docs/training.md gives the recommended options), this script simulates
on ``--paths`` fresh held-out paths (draw ``seeding.eval_seed(1)``, never used for training nor for
picking the best checkpoint, which uses ``selection_seed(0)``), with the batch engine:

* the run's policy (its best checkpoint, as :func:`restock.agents.training.load_policy` returns it),
* the exact optimal policy of the instance (``restock oracle lost-sales``' order table),
* the best base-stock policy (level from the oracle),

and prints, per instance, the oracle's long-run average cost and each policy's simulated cost per
period on the same paths (they share the start-up transient), with PPO's gap to the optimal policy.

    nice .venv/bin/python benchmarks/sb3_zipkin.py RUN_DIR [RUN_DIR ...] [--paths 64]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--paths", type=int, default=64)
    args = ap.parse_args()
    rows = [evaluate_run(run, args.paths) for run in args.runs]
    print(json.dumps(rows, indent=2))


def evaluate_run(run: Path, n_paths: int) -> dict[str, Any]:
    from restock import runs, seeding
    from restock.agents.oracle import LostSalesConfig, lost_sales_report
    from restock.agents.sb3.evaluation import HeldOut, kpis, rollout
    from restock.agents.training import load_policy
    from restock.envs.actions import ActionConfig
    from restock.envs.core import load_scenario
    from restock.envs.features import ObservationConfig
    from restock.scenarios.families import zipkin_instance

    meta = runs.load_run(run)
    cfg = meta["config"]
    scenario = load_scenario(cfg["scenario"], list(cfg["scenario_overrides"]))
    instance = next(
        (o.split("=", 1)[1] for o in cfg["scenario_overrides"] if o.startswith("family.instance=")), "p9-L2"
    )
    penalty, lead = zipkin_instance(instance, str(run))
    solution, report = lost_sales_report(
        LostSalesConfig(demand="poisson:5", lead_time=lead, penalty=penalty, holding=1.0)
    )
    held = HeldOut(scenario, seeding.eval_seed(1), n_paths)
    view = held.view(ObservationConfig(), ActionConfig())
    level = float(report["best_base_stock"]["level"])
    table = solution.policy

    def base_stock(b: Any, state: Any) -> np.ndarray:
        return np.maximum(level - b.position(state), 0.0)

    def optimal(b: Any, state: Any) -> np.ndarray:
        on_hand = np.rint(b.flat(state.on_hand)).astype(np.int64)
        pipe = np.rint(b.flat(state.pipeline)[:, : max(lead - 1, 0)]).astype(np.int64)
        return table.orders(on_hand, pipe).astype(np.float64)

    policy = load_policy(run)
    cost = {
        "ppo": kpis(rollout(view, policy.act))["cost_per_period"],
        "optimal_policy": kpis(rollout(view, optimal))["cost_per_period"],
        "best_base_stock": kpis(rollout(view, base_stock))["cost_per_period"],
    }
    return {
        "run": run.name,
        "instance": instance,
        "timesteps": cfg["timesteps"],
        "options": cfg["options"],
        "oracle_average_cost": report["average_cost"],
        "oracle_best_base_stock_cost": report["best_base_stock"]["average_cost"],
        "simulated_cost_per_period": cost,
        "ppo_gap_vs_optimal_policy_pct": 100.0 * (cost["ppo"] / cost["optimal_policy"] - 1.0),
        "base_stock_gap_vs_optimal_policy_pct": 100.0
        * (cost["best_base_stock"] / cost["optimal_policy"] - 1.0),
        "paths": n_paths,
        "periods": int(held.world.horizon),
    }


if __name__ == "__main__":
    main()
