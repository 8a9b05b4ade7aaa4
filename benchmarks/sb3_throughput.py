"""SB3 PPO training throughput on Restock/Catalog-v0 against PPO on a trivial constant env.

Both runs use the same PPO (network, n_envs, n_steps, batch size, epochs; the options of
``restock train --agent ppo``) in the same process, alternating, so the ratio measures what the
simulator costs on top of SB3's own work. The constant env is a numpy VecEnv with Catalog-v0's spaces
that returns a fixed observation and zero reward and ends its episodes at the same period count. No
evaluation callbacks run (pure ``model.learn``). Target: Catalog-v0 >= 0.8x the constant env.

    nice .venv/bin/python benchmarks/sb3_throughput.py [--scenario steady] [--n-envs 256] [--rollouts 3]
        [--repeats 3] [--threads 1] [--device cpu]

Prints one JSON object: median timesteps/s of each env and their ratio, with the settings.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

import numpy as np
from stable_baselines3.common.vec_env.base_vec_env import VecEnv


class ConstantVecEnv(VecEnv):
    """A VecEnv with the given spaces: fixed observation, zero reward, episodes of ``length`` steps."""

    def __init__(self, n_envs: int, observation_space: Any, action_space: Any, length: int) -> None:
        self.render_mode = None
        super().__init__(n_envs, observation_space, action_space)
        self.length = length
        self._t = 0
        self._obs = np.zeros((n_envs, *observation_space.shape), dtype=np.float32)

    def reset(self) -> np.ndarray:
        self._t = 0
        return self._obs.copy()

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = actions

    def step_wait(self) -> Any:
        self._t += 1
        done = self._t >= self.length
        infos: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
        if done:
            self._t = 0
            for info in infos:
                info["terminal_observation"] = self._obs[0]
                info["TimeLimit.truncated"] = True
        dones = np.full(self.num_envs, done)
        return self._obs.copy(), np.zeros(self.num_envs, dtype=np.float32), dones, infos

    def close(self) -> None:
        pass

    def get_attr(self, attr_name: str, indices: Any = None) -> list[Any]:
        return [getattr(self, attr_name)] * len(list(self._get_indices(indices)))

    def set_attr(self, attr_name: str, value: Any, indices: Any = None) -> None:
        setattr(self, attr_name, value)

    def env_method(self, method_name: str, *args: Any, indices: Any = None, **kwargs: Any) -> list[Any]:
        return [getattr(self, method_name)(*args, **kwargs)] * len(list(self._get_indices(indices)))

    def env_is_wrapped(self, wrapper_class: Any, indices: Any = None) -> list[bool]:
        return [False] * len(list(self._get_indices(indices)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="steady")
    ap.add_argument("--set", dest="sets", action="append", default=[], help="scenario override key=value")
    ap.add_argument("--n-envs", type=int, default=256)
    ap.add_argument("--rollouts", type=int, default=3, help="PPO iterations per timed learn() call")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (0: torch's default)")
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()

    import torch
    from stable_baselines3 import PPO

    from restock import seeding
    from restock.agents.sb3.config import parse_options
    from restock.agents.sb3.train import make_env, model_kwargs

    if args.threads:
        torch.set_num_threads(args.threads)
    opts = parse_options("ppo", {"n_envs": args.n_envs})
    catalog = make_env(args.scenario, tuple(args.sets), opts, "ppo", 0)
    reviews = _reviews(catalog)
    constant = ConstantVecEnv(catalog.num_envs, catalog.observation_space, catalog.action_space, reviews)
    kw = model_kwargs("ppo", opts, catalog.num_envs, reviews)
    rollout = kw["n_steps"] * catalog.num_envs
    total = rollout * args.rollouts
    models = {
        name: PPO("MlpPolicy", env, seed=seeding.int_seed(0, "bench/sb3"), device=args.device, **kw)
        for name, env in (("catalog", catalog), ("constant", constant))
    }
    for model in models.values():  # warm-up: first reset, lazy imports, allocator
        model.learn(rollout, reset_num_timesteps=False)
    rates: dict[str, list[float]] = {name: [] for name in models}
    for _ in range(args.repeats):
        for name, model in models.items():
            t0 = time.perf_counter()
            model.learn(total, reset_num_timesteps=False)
            rates[name].append(total / (time.perf_counter() - t0))
    med = {name: statistics.median(r) for name, r in rates.items()}
    print(
        json.dumps(
            {
                "scenario": args.scenario,
                "overrides": args.sets,
                "n_envs": catalog.num_envs,
                "n_steps": kw["n_steps"],
                "batch_size": kw["batch_size"],
                "net_arch": list(opts.net_arch),
                "timesteps_per_repeat": total,
                "repeats": args.repeats,
                "torch_threads": torch.get_num_threads(),
                "device": args.device,
                "catalog_timesteps_per_s": round(med["catalog"], 1),
                "constant_timesteps_per_s": round(med["constant"], 1),
                "ratio": round(med["catalog"] / med["constant"], 3),
                "target_ratio": 0.8,
                "all": {k: [round(x, 1) for x in v] for k, v in rates.items()},
            },
            indent=2,
        )
    )


def _reviews(catalog: Any) -> int:
    from restock.envs.core import build_episode

    world, _, _ = build_episode(catalog.scenario, 0, 1)
    return len(world.review_periods())


if __name__ == "__main__":
    main()
