"""Learned policies on Zipkin (2008)'s 16 lost-sales instances against the exact optimum.

Poisson(5) demand, h = 1, p in {4, 9, 19, 39}, L in {1, 2, 3, 4} (our lead-time convention, equal to
Zipkin's; scenario ``zipkin-lost-sales`` with ``family.instance=p<p>-L<L>``). For each instance:

* ``optimal``, ``base-stock``, ``capped`` — exact long-run average costs (restock.agents.oracle: relative
  value iteration; best base-stock and capped base-stock by exact evaluation);
* ``DirectBackprop`` — trained through ``restock.agents.training.train`` (the ``restock train`` entry
  point) in a temporary run folder, loaded back with ``load_policy``, and simulated on held-out paths
  (root seed ``seeding.eval_seed(7)``, ``--eval-paths`` paths of the scenario's 1000 periods; the first
  ``--skip`` periods are left out so that the start-up transient does not count). ``DB rounded`` is the
  same network with every order rounded to whole units (demand is integer);
* excess of a learned policy = (its simulated cost - the optimal policy's simulated cost on the same
  paths) / the exact optimal cost, with the standard error of that paired difference over paths (much
  smaller than the standard error of either cost: the paths are common random numbers). The JSON also
  has each simulated cost with its standard error and ``gap`` = simulated cost / exact optimum - 1;
* ``PPO`` (with ``--ppo``) — ``TrainSpec(agent="ppo", ..., options=ZIPKIN_PPO_OPTIONS)`` through the
  same entry point (``restock.agents.sb3``), ``--ppo-timesteps`` steps, evaluated like DirectBackprop;
  if that agent cannot be imported the column says why.

Usage (CPU; one instance takes a minute or two of training on an idle core)::

    nice .venv/bin/python benchmarks/zipkin_learned.py                  # all 16, JSON + markdown
    nice .venv/bin/python benchmarks/zipkin_learned.py --instances p4-L1,p39-L4 --markdown
    nice .venv/bin/python benchmarks/zipkin_learned.py --ppo --instances p9-L2
    .venv/bin/python benchmarks/zipkin_learned.py --render saved.jsonl   # table of saved rows (stderr lines)
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from restock import seeding
from restock.agents.directbackprop.rollout import make_episode
from restock.agents.oracle import LostSalesConfig, lost_sales_report
from restock.agents.training import TrainSpec, load_policy, train
from restock.envs.core import load_scenario, numpy_state
from restock.envs.features import ObservationConfig
from restock.simulator.batch import BatchEngine
from restock.simulator.engines import rollout as run_engine
from restock.simulator.policy import ReviewState

INSTANCES = tuple(f"p{p}-L{lead}" for p in (4, 9, 19, 39) for lead in (1, 2, 3, 4))
SCENARIO = "zipkin-lost-sales"
DB_OPTIONS: dict[str, Any] = {
    "n_paths": 512,
    "rollout_periods": 100,
    "burn_in": 20,
    "hidden": [32, 32],
    "time_features": False,
    "eval_every": 10,
    "eval_periods": 300,
    "eval_paths": 256,
    "final_eval_paths": 64,
    "threads": 1,
}
"""DirectBackprop's options here (``--set agent.KEY=VALUE`` on the command line)."""


def simulate(act: Any, episode: Any, skip: int) -> np.ndarray:
    """Average cost per period of each path [P] from period ``skip`` on, ordering ``act(state) -> [B]``."""
    engine = BatchEngine(episode.world, episode.paths, record=False)

    def decide(state: ReviewState) -> np.ndarray:
        return np.asarray(act(numpy_state(state)), dtype=np.float64).reshape(-1, 1, 1)

    out = run_engine(engine, decide, count_from=skip, keys=("reward",))
    return -out.totals["reward"].numpy().reshape(-1) / out.periods


def oracle_act(solution: Any, lead: int) -> Any:
    def act(state: Any) -> np.ndarray:
        on_hand = np.rint(state.on_hand[:, 0, 0]).astype(np.int64)
        pipe = np.rint(state.pipeline[:, 0, 0, : max(lead - 1, 0)]).astype(np.int64)
        return solution.policy.orders(on_hand, pipe).astype(np.float64)

    return act


def policy_act(policy: Any, batch: Any, rounded: bool) -> Any:
    def act(state: Any) -> np.ndarray:
        q = policy.act(batch, state)
        return np.rint(q) if rounded else q

    return act


def stats(costs: np.ndarray, optimal: float, reference: np.ndarray) -> dict[str, float]:
    n = costs.size
    diff = costs - reference
    return {
        "cost": float(costs.mean()),
        "se": float(costs.std(ddof=1) / math.sqrt(n)),
        "gap": float(costs.mean() / optimal - 1.0),
        "paired_gap": float(diff.mean() / optimal),
        "paired_se": float(diff.std(ddof=1) / math.sqrt(n) / optimal),
    }


def run_instance(instance: str, args: argparse.Namespace, root: Path) -> dict[str, Any]:
    p = float(instance.split("-")[0][1:])
    lead = int(instance.split("L")[1])
    t0 = time.perf_counter()
    solution, report = lost_sales_report(LostSalesConfig(demand="poisson:5", lead_time=lead, penalty=p))
    optimal = float(report["average_cost"])
    row: dict[str, Any] = {
        "instance": instance,
        "penalty": p,
        "lead_time": lead,
        "optimal": optimal,
        "base_stock": report["best_base_stock"],
        "capped_base_stock": report["best_capped_base_stock"],
        "oracle_seconds": round(time.perf_counter() - t0, 2),
    }
    overrides = (f"family.instance={instance}",)
    scenario = load_scenario(SCENARIO, list(overrides))
    episode = make_episode(scenario, seeding.eval_seed(7), args.eval_paths, ObservationConfig(), "cpu")
    reference = simulate(oracle_act(solution, lead), episode, args.skip)
    row["simulated_optimal"] = stats(reference, optimal, reference)

    t0 = time.perf_counter()
    timesteps = args.iterations * DB_OPTIONS["n_paths"] * DB_OPTIONS["rollout_periods"]
    spec = TrainSpec(
        agent="directbackprop",
        scenario=SCENARIO,
        timesteps=timesteps,
        seed=args.seed,
        scenario_overrides=overrides,
        options=dict(DB_OPTIONS),
    )
    run_dir = train(spec, root=root, progress=args.progress)
    row["directbackprop_train_seconds"] = round(time.perf_counter() - t0, 1)
    policy = load_policy(run_dir)
    for key, rounded in (("directbackprop", False), ("directbackprop_rounded", True)):
        costs = simulate(policy_act(policy, episode.observer, rounded), episode, args.skip)
        row[key] = stats(costs, optimal, reference)
    if args.ppo:
        row["ppo"] = run_ppo(instance, args, root, episode, optimal, reference)
    return row


def run_ppo(
    instance: str, args: argparse.Namespace, root: Path, episode: Any, optimal: float, reference: np.ndarray
) -> dict[str, Any]:
    t0 = time.perf_counter()
    try:
        from restock.agents.sb3.config import ZIPKIN_PPO_OPTIONS

        spec = TrainSpec(
            agent="ppo",
            scenario=SCENARIO,
            timesteps=args.ppo_timesteps,
            seed=args.seed,
            scenario_overrides=(f"family.instance={instance}",),
            options=dict(ZIPKIN_PPO_OPTIONS),
        )
        run_dir = train(spec, root=root, progress=args.progress)
        policy = load_policy(run_dir)
    except (ImportError, ModuleNotFoundError) as exc:
        return {"error": f"PPO not available: {exc}"}
    out: dict[str, Any] = stats(
        simulate(policy_act(policy, episode.observer, False), episode, args.skip), optimal, reference
    )
    out["train_seconds"] = round(time.perf_counter() - t0, 1)
    return out


def pct(x: float) -> str:
    return f"{100 * x:+.2f}%"


def beats(learned: dict[str, float], excess: float) -> str:
    """'yes' / 'no' if the learned excess is below / above ``excess`` by more than 2 standard errors."""
    margin = 2 * learned["paired_se"]
    if learned["paired_gap"] < excess - margin:
        return "yes"
    return "no" if learned["paired_gap"] > excess + margin else "tie (within 2 se)"


def markdown(rows: list[dict[str, Any]], ppo: bool) -> str:
    """The table: exact costs and gaps of the baselines; learned policies' excess over the optimum as
    the paired difference with the optimal policy simulated on the same paths (± its standard error)."""
    head = (
        "| p | L | optimal | base-stock S: cost (excess) | capped S, r: cost (excess) | DirectBackprop: cost "
        "(se) | DB excess (paired ± se) | DB rounded excess (paired ± se) | DB beats capped | train s |"
    )
    if ppo:
        head += " PPO excess (paired ± se) |"
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        b, c, o = r["base_stock"], r["capped_base_stock"], r["optimal"]
        db, dr = r["directbackprop"], r["directbackprop_rounded"]
        capped_gap = c["average_cost"] / o - 1
        cells = [
            f"{r['penalty']:g}",
            f"{r['lead_time']}",
            f"{o:.4f}",
            f"{b['level']}: {b['average_cost']:.4f} ({pct(b['average_cost'] / o - 1)})",
            f"{c['level']}, {c['cap']}: {c['average_cost']:.4f} ({pct(capped_gap)})",
            f"{db['cost']:.4f} ({db['se']:.4f})",
            f"{pct(db['paired_gap'])} ± {100 * db['paired_se']:.2f}%",
            f"{pct(dr['paired_gap'])} ± {100 * dr['paired_se']:.2f}%",
            beats(db, capped_gap),
            f"{r['directbackprop_train_seconds']:.0f}",
        ]
        if ppo:
            pp = r.get("ppo", {})
            cells.append(
                pp["error"] if "error" in pp else f"{pct(pp['paired_gap'])} ± {100 * pp['paired_se']:.2f}%"
            )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instances", default=",".join(INSTANCES), help="comma-separated, e.g. p4-L1,p9-L2")
    ap.add_argument("--iterations", type=int, default=60, help="DirectBackprop gradient steps per instance")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--eval-paths", type=int, default=2048)
    ap.add_argument("--skip", type=int, default=50, help="periods left out at the start of each path")
    ap.add_argument("--ppo", action="store_true", help="also train and evaluate PPO (restock.agents.sb3)")
    ap.add_argument("--ppo-timesteps", type=int, default=1_000_000)
    ap.add_argument("--markdown", action="store_true", help="print only the markdown table")
    ap.add_argument("--progress", action="store_true")
    ap.add_argument("--root", default=None, help="run folders go here (default: a temporary folder)")
    ap.add_argument("--render", default=None, help="only print the table of a saved JSON (rows, one a line)")
    args = ap.parse_args(argv)
    if args.render:
        lines = Path(args.render).read_text(encoding="utf-8").splitlines()
        saved = [json.loads(line) for line in lines if line.startswith("{")]
        print(markdown(saved, any("ppo" in r for r in saved)))
        return
    torch.set_num_threads(1)
    instances = [s.strip() for s in args.instances.split(",") if s.strip()]
    t0 = time.perf_counter()
    rows = []
    with tempfile.TemporaryDirectory(prefix="zipkin_learned_") as tmp:
        root = Path(args.root) if args.root else Path(tmp)
        for instance in instances:
            rows.append(run_instance(instance, args, root))
            print(json.dumps(rows[-1]), file=sys.stderr)  # partial results as they come
            print(f"{instance} done ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    if not args.markdown:
        print(json.dumps({"instances": rows, "total_seconds": round(time.perf_counter() - t0, 1)}, indent=1))
    print(markdown(rows, args.ppo))


if __name__ == "__main__":
    main()
