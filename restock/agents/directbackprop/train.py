"""Train DirectBackprop into a run folder, and load the trained policy (the contract of
:mod:`restock.agents.training`).

Training episodes: ``train_episodes`` draws of ``n_paths`` exogenous paths (root seeds
``seeding.int_seed(seed, "directbackprop/train", j) mod EVAL_SEED_OFFSET``, below every evaluation seed),
built once and cut to ``rollout_periods``; with ``train_scenarios`` (several training scenarios, e.g. one
window of replayed data per year) episode j is a draw of scenario ``j mod len(train_scenarios)``, the
network being the same for every SKU of every scenario. Iteration i takes episode ``i mod train_episodes``,
rolls the network out on it on the batch engine with ``grad=True``, takes the loss ``-mean(profit /
reward_div)`` per SKU-period over the periods from ``burn_in`` on (``reward_div`` is the env's per-point
reward scale, p_ref x s), backpropagates, clips the gradient norm and takes an Adam step (learning rate
decayed by a cosine from ``lr`` to ``lr_final``).

Every ``eval_every`` iterations the network is evaluated on held-out paths (the selection draw
``seeding.selection_seed(0)``, apart from every training and evaluation draw; ``eval_periods`` periods,
profit per SKU-period from ``burn_in`` on); the best so far is checkpointed to ``checkpoints/best.pt``.
``checkpoints/last.pt`` (every ``checkpoint_every`` iterations and at the end) holds the optimizer too and
is what ``resume`` continues from. TensorBoard scalars go to ``tensorboard/`` (``train/loss``,
``train/profit_per_period``, ``train/grad_norm``, ``train/lr``, ``eval/profit_per_period``,
``eval/best_profit_per_period``), the step being the iterations completed (1 for the first); a resumed
run discards the killed run's points after its checkpoint, so every tag keeps one value per step.

At the end the best checkpoint is evaluated on fresh held-out paths (``seeding.eval_seed(1)``,
``final_eval_paths``); its KPIs are written to ``kpis.csv`` and returned:

* ``profit`` — profit over the whole horizon, mean over paths; ``profit_per_period`` — per SKU-period
  from ``burn_in`` on, with ``profit_per_period_se`` its standard error over paths;
* ``holding_cost``, ``penalty_cost``, ``purchase_cost``, ``revenue`` per SKU-period from ``burn_in`` on;
* ``iterations``, ``seconds`` (training wall time, this call).
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from restock import io, seeding
from restock.agents.directbackprop.config import DirectBackpropConfig
from restock.agents.directbackprop.network import PolicyNetwork
from restock.agents.directbackprop.policy import (
    DirectBackpropPolicy,
    load_checkpoint,
    network_meta,
    read_checkpoint,
    save_checkpoint,
)
from restock.agents.directbackprop.rollout import (
    Episode,
    expedited_columns,
    expedited_newsvendor_level,
    make_episode,
    newsvendor_level,
    rollout,
)
from restock.agents.training import OnEvaluation, TrainSpec
from restock.envs.core import load_scenario
from restock.envs.features import feature_names
from restock.envs.observer import node_feature_names
from restock.errors import InputError
from restock.simulator import kpis as kpi
from restock.simulator.flows import MONEY_AMOUNTS

CHECKPOINTS = "checkpoints"
BEST = "best.pt"
LAST = "last.pt"
EVAL_KEYS = ("reward", *(k for k in MONEY_AMOUNTS if k not in ("salvage", "fixed_order_cost")))
"""The flows an evaluation totals: the reward and the money amounts logged per SKU-period (revenue,
purchase, holding and penalty cost: the flows' money amounts but salvage and the fixed order cost, so
that the ``kpis.csv`` columns stay as they were; a new money field is logged too)."""


def train_seed(seed: int, iteration: int) -> int:
    """Root seed of the training episode of ``iteration`` (below ``seeding.EVAL_SEED_OFFSET``)."""
    return seeding.int_seed(seed, "directbackprop/train", iteration) % seeding.EVAL_SEED_OFFSET


def evaluate(
    net: PolicyNetwork, episode: Episode, skip: int, dtype: torch.dtype, round_orders: bool = False
) -> dict[str, float]:
    """KPIs of ``net`` on ``episode`` over its whole horizon (see the module docstring)."""
    p = episode.observer.n_paths
    tail = rollout(
        net, episode, skip=skip, grad=False, dtype=dtype, keys=EVAL_KEYS, round_orders=round_orders
    )
    whole = rollout(net, episode, grad=False, dtype=dtype, round_orders=round_orders) if skip else tail
    ppp = kpi.totals_path_rates(tail.totals, "reward", p, tail.periods)
    out = {
        "profit": kpi.totals_profit(whole.totals, p),
        "profit_per_period": float(ppp.mean()),
        "profit_per_period_se": float(ppp.std(ddof=1) / math.sqrt(ppp.size)) if ppp.size > 1 else math.nan,
    }
    for k in EVAL_KEYS[1:]:
        out[k] = kpi.totals_per_point_period(tail.totals, k, tail.periods)
    return out


def terminal_at_cost(episode: Episode) -> Episode:
    """``episode`` with its world's salvage value replaced by the unit cost (``terminal_value="cost"``):
    the stock on hand at the end of the episode is booked at what it cost."""
    econ = episode.world.economics
    world = replace(episode.world, economics=replace(econ, salvage_value=econ.unit_cost.copy()))
    return replace(episode, world=world)


def _lr(cfg: DirectBackpropConfig, i: int, iterations: int) -> float:
    frac = i / max(iterations - 1, 1)
    return cfg.lr_final + (cfg.lr - cfg.lr_final) * 0.5 * (1.0 + math.cos(math.pi * frac))


def parse_options(agent: str, options: dict[str, Any]) -> DirectBackpropConfig:
    """The typed config of ``--set agent.KEY=VALUE`` items (:meth:`DirectBackpropConfig.from_options`)."""
    return DirectBackpropConfig.from_options(dict(options))


def train(
    spec: TrainSpec,
    cfg: DirectBackpropConfig,
    run_dir: Path,
    *,
    resume: bool,
    progress: bool,
    on_evaluation: OnEvaluation | None = None,
) -> dict[str, float]:
    """Train with the parsed ``cfg`` into ``run_dir`` (see the module docstring); the final KPIs of the
    best checkpoint. ``on_evaluation(iterations done, iterations)`` after each evaluation."""
    if not isinstance(cfg, DirectBackpropConfig):
        raise InputError(f"directbackprop train: cfg must be a DirectBackpropConfig, got {cfg!r}")
    threads = torch.get_num_threads()
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    try:
        return _train(spec, cfg, Path(run_dir), resume=resume, progress=progress, on_evaluation=on_evaluation)
    finally:
        torch.set_num_threads(threads)


def _train(
    spec: TrainSpec,
    cfg: DirectBackpropConfig,
    run_dir: Path,
    *,
    resume: bool,
    progress: bool,
    on_evaluation: OnEvaluation | None,
) -> dict[str, float]:
    started = time.perf_counter()
    dtype = torch.float64 if cfg.dtype == "float64" else torch.float32
    device = spec.device
    scenario = load_scenario(spec.scenario, list(spec.scenario_overrides))
    scenarios = [
        load_scenario(spec.scenario, [*spec.scenario_overrides, *o]) for o in cfg.train_scenarios
    ] or [scenario]
    obs_config = cfg.observation
    pool: dict[int, Episode] = {}

    def training_episode(it: int) -> Episode:
        j = it % cfg.train_episodes
        if j not in pool:
            pool[j] = make_episode(
                scenarios[j % len(scenarios)],
                train_seed(spec.seed, j),
                cfg.n_paths,
                obs_config,
                device,
                periods=cfg.rollout_periods,
            )
            if cfg.terminal_value == "cost":
                pool[j] = terminal_at_cost(pool[j])
        return pool[j]

    first = training_episode(0)
    nodes = [n.name for n in first.world.network.nodes]
    names = node_feature_names(nodes, obs_config)
    periods = first.world.horizon  # rollout_periods, or the scenario's horizon if shorter
    if cfg.burn_in >= periods:
        raise InputError(
            f"agent option 'burn_in' ({cfg.burn_in}) must be below the periods of a rollout ({periods})"
        )
    reviews = sum(1 for t in first.world.review_periods() if t < periods)
    iterations = max(1, math.ceil(spec.timesteps / (cfg.n_paths * first.observer.n_skus * max(reviews, 1))))
    eval_episode = make_episode(
        scenario,
        seeding.selection_seed(0),
        cfg.eval_paths,
        obs_config,
        device,
        periods=cfg.eval_periods or None,
    )

    expedited = expedited_columns(first.world, obs_config)
    priced = (
        first.observer.world.inbound_capacity is not None and len(nodes) == 1 and bool(cfg.capacity_price)
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seeding.int_seed(spec.seed, "directbackprop/init"))
        net = PolicyNetwork(
            names,
            cfg.hidden,
            time_features=cfg.time_features,
            smoothing=cfg.smoothing,
            dtype=dtype,
            n_nodes=len(nodes),
            expedited_columns=expedited,
            capacity_price=cfg.capacity_price if priced else None,
        ).to(device)
    optimizer = torch.optim.Adam(net.parameters(), lr=cfg.lr)
    sources: dict[str, Any] = {"expedited_columns": list(expedited)} if expedited else {}
    if priced:
        sources["capacity_price"] = list(cfg.capacity_price)
    meta = network_meta(
        net,
        obs_config,
        cfg.hidden,
        nodes,
        time_features=cfg.time_features,
        smoothing=cfg.smoothing,
        **sources,
    )
    ckpt_dir = Path(run_dir) / CHECKPOINTS
    start, best = 0, -math.inf
    history: list[dict[str, float]] = []
    last_path = ckpt_dir / LAST
    if resume and last_path.is_file():
        stored = read_checkpoint(last_path)
        if stored["meta"] != meta:
            raise InputError(
                f"directbackprop: {last_path} was written with another network or observation layout"
            )
        net.load_state_dict(stored["state_dict"])
        optimizer.load_state_dict(stored["optimizer"])
        start, best, history = int(stored["iteration"]), float(stored["best"]), list(stored["history"])
    else:
        scales = np.stack([o.static.scale for o in first.observers], axis=1)  # [B, M]
        net.set_level(torch.as_tensor((newsvendor_level(first) / scales).mean(axis=0)))
        if expedited and cfg.expedite_start == "newsvendor":
            fast = expedited_newsvendor_level(first) / scales  # [B, E], units of s
            net.set_expedited_level(torch.as_tensor(fast.mean(axis=0)))
        obs: list[torch.Tensor] = []
        rollout(net, first, periods=periods, grad=False, dtype=dtype, collect_obs=obs)
        net.fit_normalization(torch.cat(obs))

    from torch.utils.tensorboard import SummaryWriter  # imported late: it takes a while

    # Steps are iterations completed. A resumed run discards the killed run's points after its checkpoint
    # (iteration ``start``), so every tag has one value per step.
    writer = SummaryWriter(
        log_dir=str(Path(run_dir) / "tensorboard"), purge_step=start + 1 if resume else None
    )

    def checkpoint(path: Path, it: int) -> None:
        extra = {"iteration": it, "best": best, "history": history, "optimizer": optimizer.state_dict()}
        save_checkpoint(path, net, meta, extra)

    try:
        for it in range(start, iterations):
            episode = training_episode(it)
            lr = _lr(cfg, it, iterations)
            for group in optimizer.param_groups:
                group["lr"] = lr
            res = rollout(net, episode, periods=periods, skip=cfg.burn_in, grad=True, dtype=dtype)
            div = torch.as_tensor(episode.reward_div, dtype=dtype, device=device)
            loss = -(res.totals["reward"] / div).sum() / (episode.observer.size * res.periods)
            optimizer.zero_grad()
            loss.backward()
            grad_norm = float(torch.nn.utils.clip_grad_norm_(net.parameters(), cfg.grad_clip))
            if not math.isfinite(grad_norm):
                raise InputError(f"directbackprop: the gradient is not finite at iteration {it}")
            optimizer.step()
            profit = float(res.totals["reward"].sum().item() / (episode.observer.size * res.periods))
            done = it + 1
            writer.add_scalar("train/loss", float(loss.item()), done)
            writer.add_scalar("train/profit_per_period", profit, done)
            writer.add_scalar("train/grad_norm", grad_norm, done)
            writer.add_scalar("train/lr", lr, done)
            evaluated = done % cfg.eval_every == 0 or done == iterations
            if evaluated:
                score = evaluate(net, eval_episode, cfg.burn_in, dtype, cfg.round_orders)["profit_per_period"]
                history.append({"iteration": done, "eval_profit_per_period": score})
                writer.add_scalar("eval/profit_per_period", score, done)
                if score > best:
                    best = score
                    checkpoint(ckpt_dir / BEST, done)
                writer.add_scalar("eval/best_profit_per_period", best, done)
                if progress:
                    print(
                        f"directbackprop: iteration {done}/{iterations} train {profit:.4f} "
                        f"eval {score:.4f} best {best:.4f}",
                        file=sys.stderr,
                    )
            if done % cfg.checkpoint_every == 0 or done == iterations:
                checkpoint(last_path, done)
            if on_evaluation is not None and evaluated:
                writer.flush()
                on_evaluation(done, iterations)
    finally:
        writer.close()

    best_net, _, _ = load_checkpoint(ckpt_dir / BEST)
    best_net.to(device)
    final = make_episode(scenario, seeding.eval_seed(1), cfg.final_eval_paths, obs_config, device)
    kpis = evaluate(best_net, final, cfg.burn_in, dtype, cfg.round_orders)
    kpis["iterations"] = float(iterations)
    kpis["seconds"] = time.perf_counter() - started
    io.write_frame(Path(run_dir) / "kpis.csv", pd.DataFrame([kpis]))
    return kpis


def load(run_dir: Path, meta: dict[str, Any]) -> DirectBackpropPolicy:
    """The best checkpoint of a DirectBackprop run as a Policy; an InputError if it does not fit the
    observation layout that the run's config asks for."""
    net, obs_config, _ = load_checkpoint(Path(run_dir) / CHECKPOINTS / BEST)
    options = dict(meta.get("config", {}).get("options", {}))
    cfg = DirectBackpropConfig.from_options(options)
    expected = cfg.observation
    if expected != obs_config:
        raise InputError(
            f"directbackprop: {run_dir}: the checkpoint was trained for observation layout {obs_config} "
            f"({net.n_features} features), the run's config asks for {expected} "
            f"({len(feature_names(expected))} features)"
        )
    config = meta.get("config", {})
    device = str(config.get("device", "cpu"))
    return DirectBackpropPolicy(net.to(device), obs_config, device=device, round_orders=cfg.round_orders)
