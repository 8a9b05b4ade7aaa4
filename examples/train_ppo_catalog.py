"""Train PPO on the steady catalog (Restock/Catalog-v0) and look at what it learned.

Copy this file and change the spec. Run it from the repository root:

    .venv/bin/python examples/train_ppo_catalog.py            # ~1-2 minutes on a laptop CPU
    tensorboard --logdir runs/                                 # eval/ KPIs, histograms, figures

The same run from the command line:

    restock train --agent ppo --scenario steady --timesteps 200000 --seed 0 \
        --set agent.n_envs=256 --set agent.log_std_init=-1.5 --set agent.torch_threads=1
"""

from __future__ import annotations

import pandas as pd

from restock.agents.training import TrainSpec, train


def main() -> None:
    spec = TrainSpec(
        agent="ppo",
        scenario="steady",  # any built-in scenario (restock scenarios list) or a TOML file
        timesteps=200_000,  # SKU-periods: 256 sub-environments x 52 weekly reviews = 13,312 per rollout
        seed=0,
        scenario_overrides=(),  # e.g. ("seeds.n_paths=8",), as `restock simulate --set` takes them
        options={
            "n_envs": 256,  # (SKU, path) pairs per VecEnv
            "net_arch": (64, 64),
            "log_std_init": -1.5,  # little exploration noise: the order-up-to action is already sensible
            "eval_paths": 8,  # held-out catalog paths judged at every evaluation
            "torch_threads": 1,  # faster than torch's default on small shared CPUs
        },
    )
    run = train(spec, progress=True)
    kpis = pd.read_csv(run / "kpis.csv")
    print(
        kpis[
            ["timesteps", "profit", "saving_vs_newsvendor", "saving_pct", "fill_rate", "avg_on_hand"]
        ].to_string()
    )
    print(f"run folder: {run}\ntensorboard --logdir {run}")


if __name__ == "__main__":
    main()
