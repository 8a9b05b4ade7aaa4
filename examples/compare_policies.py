"""Judge a trained agent against the newsvendor and a tuned base-stock policy on the same paths.

    .venv/bin/python examples/compare_policies.py runs/steady__ppo__s0__<timestamp> [--seeds 5]

The policies are judged on the scenario the run was trained on, as its ``run.json`` records it (the
scenario and its ``--set`` overrides, read back by ``restock.agents.training.saved_spec``, the spec that
``restock train --resume`` continues). Every policy runs on the same held-out episodes (common random
numbers, evaluation seeds disjoint from training seeds and from the paths the run's best checkpoint was
chosen on), on the batch engine by default (``--engine des``: the reference SimPy engine); the table
gives each policy's profit and its paired saving against the newsvendor with a 95% interval over seeds.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from restock.agents.evaluate import evaluate
from restock.agents.specs import resolve_policy
from restock.agents.training import load_policy, saved_spec
from restock.scenarios import load


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", type=Path, help="a training run folder (restock train ...)")
    ap.add_argument("--seeds", type=int, default=5, help="held-out evaluation seeds")
    ap.add_argument("--engine", default="batch", help="batch (fast) or des (the reference engine)")
    ap.add_argument("--paths", type=int, default=None, help="paths per seed (default: the scenario's)")
    args = ap.parse_args(argv)

    spec = saved_spec(args.run)  # what the run was trained on, overrides included
    scenario = load(spec.scenario, list(spec.scenario_overrides))
    sets = "".join(f" --set {o}" for o in spec.scenario_overrides)
    skus = len(scenario.catalog.skus) or scenario.catalog.n_skus or "all the data's"
    print(
        f"scenario {spec.scenario}{sets}: {skus} SKUs x {scenario.horizon} periods, "
        f"{args.seeds} evaluation seeds, {args.engine} engine"
    )
    policies = {
        "trained": load_policy(args.run),  # the run's best checkpoint
        "base-stock": resolve_policy("base-stock", scenario),  # tuned on training seeds
    }
    result = evaluate(policies, scenario, args.seeds, engine=args.engine, n_paths=args.paths)
    cols = ["policy", "profit", "saving_vs_newsvendor", "ci_low", "ci_high", "saving_pct", "fill_rate"]
    print(result.summary[cols].to_string(index=False))


if __name__ == "__main__":
    main()
