"""Judge a trained agent against the newsvendor and a tuned base-stock policy on the same paths.

    .venv/bin/python examples/compare_policies.py runs/steady__ppo__s0__<timestamp> [--seeds 5]

Every policy runs on the same held-out episodes (common random numbers, evaluation seeds disjoint from
training seeds) on the reference SimPy engine; the table gives each policy's profit and its paired saving
against the newsvendor with a 95% interval over seeds.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from restock import runs
from restock.agents.evaluate import evaluate
from restock.agents.specs import resolve_policy
from restock.agents.training import load_policy


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", type=Path, help="a training run folder (restock train ...)")
    ap.add_argument("--seeds", type=int, default=5, help="held-out evaluation seeds")
    ap.add_argument("--engine", default="batch", help="batch (fast) or des (the reference engine)")
    args = ap.parse_args()

    meta = runs.load_run(args.run)
    scenario = meta["scenario"]
    policies = {
        "trained": load_policy(args.run),  # the run's best checkpoint
        "base-stock": resolve_policy("base-stock", scenario),  # tuned on training seeds
    }
    result = evaluate(policies, scenario, args.seeds, engine=args.engine)
    cols = ["policy", "profit", "saving_vs_newsvendor", "ci_low", "ci_high", "saving_pct", "fill_rate"]
    print(result.summary[cols].to_string(index=False))


if __name__ == "__main__":
    main()
