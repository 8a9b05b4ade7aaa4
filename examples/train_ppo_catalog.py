"""Train PPO on the steady catalog (Restock/Catalog-v0) and look at what it learned.

Copy this file and change the spec. Run it from the repository root:

    .venv/bin/python examples/train_ppo_catalog.py            # ~1-2 minutes on a laptop CPU
    tensorboard --logdir runs/                                 # eval/ KPIs, histograms, figures

The same run from the command line:

    restock train --agent ppo --scenario steady --timesteps 200000 --seed 0 \\
        --set agent.n_envs=256 --set agent.log_std_init=-1.5 --set agent.torch_threads=1

The flags below shrink the run for a quick look (the tests run it so, in seconds):

    .venv/bin/python examples/train_ppo_catalog.py --timesteps 384 --n-envs 16 --eval-paths 2 \\
        --set horizon=84 --set catalog.n_skus=4
"""

from __future__ import annotations

import argparse

import pandas as pd

from restock.agents.training import TrainSpec, train


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--timesteps", type=int, default=200_000, help="SKU-periods of experience")
    ap.add_argument("--n-envs", type=int, default=256, help="(SKU, path) pairs per VecEnv")
    ap.add_argument("--eval-paths", type=int, default=8, help="held-out catalog paths per evaluation")
    ap.add_argument("--set", dest="overrides", action="append", default=[], help="a scenario override")
    ap.add_argument("--root", default="runs", help="where the run folder is made")
    args = ap.parse_args(argv)

    spec = TrainSpec(
        agent="ppo",
        scenario="steady",  # any built-in scenario (restock scenarios list) or a TOML file
        timesteps=args.timesteps,  # SKU-periods: 256 sub-environments x 52 weekly reviews a rollout
        seed=0,
        scenario_overrides=tuple(args.overrides),  # e.g. ("seeds.n_paths=8",), as `restock simulate --set`
        options={
            "n_envs": args.n_envs,
            "net_arch": (64, 64),
            "log_std_init": -1.5,  # little exploration noise: the order-up-to action is already sensible
            "eval_paths": args.eval_paths,  # held-out catalog paths judged at every evaluation
            "torch_threads": 1,  # faster than torch's default on small shared CPUs
        },
    )
    run = train(spec, root=args.root, progress=True)
    kpis = pd.read_csv(run / "kpis.csv")
    print(
        kpis[
            ["timesteps", "profit", "saving_vs_newsvendor", "saving_pct", "fill_rate", "avg_on_hand"]
        ].to_string()
    )
    print(f"run folder: {run}\ntensorboard --logdir {run}")


if __name__ == "__main__":
    main()
