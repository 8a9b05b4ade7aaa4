"""Train and load Stable-Baselines3 agents (PPO, A2C, SAC, TD3) on ``Restock/Catalog-v0`` (one node) or
``Restock/NetworkCatalog-v0`` (a network: every node's features, one action per node).

The trainer module of :data:`restock.agents.training.TRAINERS` for ``ppo``, ``a2c``, ``sac`` and ``td3``:

* :func:`parse_options` (from :mod:`restock.agents.sb3.config`) turns ``--set agent.KEY=VALUE`` items
  into :class:`~restock.agents.sb3.config.SB3Options`;
* :func:`train` takes those parsed options, builds the VecEnv of the spec's scenario (:func:`env_class`:
  Catalog-v0 for one node, NetworkCatalog-v0 for a network; seeded from the run seed) and the SB3
  model, logs to
  TensorBoard under ``<run>/tb`` (SB3's own scalars plus the ``eval/`` KPIs of
  :class:`~restock.agents.sb3.callbacks.KpiEvalCallback` on held-out paths), and writes checkpoints and
  ``kpis.csv`` (:mod:`restock.agents.sb3.callbacks`). ``resume=True`` continues from the newest checkpoint
  up to the same total timesteps; TensorBoard then discards the killed run's points after that
  checkpoint (:func:`restock.reporting.tensorboard.purge_from`), so every tag has one value per step.
  A run killed before its first checkpoint is started again from the beginning in its folder.
* :func:`load` returns the best checkpoint as a :class:`~restock.agents.policy.Policy` (and
  :class:`~restock.agents.policy.NetworkPolicy`: a network model acts on every node at once).

Held-out paths: the selection draw ``seeding.selection_seed(0)`` of the scenario (``eval_paths`` catalog
paths), the same for every run of a scenario, so runs and seeds compare on common random numbers; the
best checkpoint is chosen on them, so they lie apart from every evaluation seed of ``restock evaluate``
(and from every training draw). Training episodes use the env's seeds
``seeding.int_seed(<model seed>, "catalog/episode", e)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from restock import io as rio
from restock import seeding
from restock.agents.options import check_device
from restock.agents.policy import checked_orders
from restock.agents.sb3.callbacks import (
    BEST_FILE,
    BEST_MODEL,
    CHECKPOINTS,
    REPLAY_FILE,
    CheckpointCallback,
    KpiEvalCallback,
    read_kpis,
    read_state,
)
from restock.agents.sb3.config import OFF_POLICY, ON_POLICY, SB3Options, parse_options
from restock.agents.sb3.evaluation import EvalView, HeldOut, model_orders, newsvendor_rule, rollout
from restock.agents.sb3.models import algorithm, load_model, load_replay_buffer, policy_kwargs
from restock.agents.training import OnEvaluation
from restock.envs.actions import ActionConfig, ActionMap
from restock.envs.catalog import CatalogVecEnv
from restock.envs.core import load_scenario
from restock.envs.features import ObservationConfig, feature_names
from restock.envs.network_catalog import NetworkCatalogVecEnv
from restock.envs.observer import Observer
from restock.errors import InputError
from restock.reporting.tensorboard import purge_from
from restock.simulator.policy import ReviewState

TB_DIR = "tb"
AGENT_FILE = "agent.json"
"""The resolved options (every default filled in) and the SB3 constructor arguments of a run."""


def _plain(value: Any) -> Any:
    return value.__name__ if isinstance(value, type) else value


def scenario_nodes(scenario: Any) -> int:
    """The nodes of a scenario (a name, a file or a Scenario; 1 for a world built in code without them)."""
    return len(getattr(scenario, "nodes", None) or (None,))


def scenario_sources(scenario: Any) -> int:
    """The sources over all nodes of a scenario (its arcs: one per node plus its extra vendors): the
    actions of a decision point."""
    nodes = getattr(scenario, "nodes", None) or ()
    return max(sum(1 + len(getattr(n, "extra_sources", ()) or ()) for n in nodes), 1)


def env_class(n_nodes: int) -> type[CatalogVecEnv]:
    """The SB3 VecEnv a scenario of ``n_nodes`` nodes trains on: ``Restock/Catalog-v0``'s for one node,
    ``Restock/NetworkCatalog-v0``'s for a network."""
    return CatalogVecEnv if n_nodes == 1 else NetworkCatalogVecEnv


def make_env(
    scenario: str, overrides: tuple[str, ...], opts: SB3Options, agent: str, seed: int
) -> CatalogVecEnv:
    """The training VecEnv of a run (:func:`env_class` of the scenario's nodes)."""
    n_envs = opts.n_envs or (256 if agent in ON_POLICY else 64)
    sc = load_scenario(scenario, list(overrides))
    return env_class(scenario_nodes(sc))(
        scenario=sc,
        n_envs=n_envs,
        seed=seed,
        action=opts.action,
        reward_scale=opts.reward_scale,
    )


def model_kwargs(agent: str, opts: SB3Options, n_envs: int, reviews: int) -> dict[str, Any]:
    """Keyword arguments of the SB3 constructor (options left at None keep SB3's defaults)."""
    kw: dict[str, Any] = {"gamma": opts.gamma}
    if opts.learning_rate is not None:
        kw["learning_rate"] = opts.learning_rate
    if agent in ON_POLICY:
        n_steps = opts.n_steps or min(reviews, 128)
        kw["n_steps"] = n_steps
        for name in ("gae_lambda", "ent_coef", "vf_coef", "max_grad_norm", "normalize_advantage"):
            if getattr(opts, name) is not None:
                kw[name] = getattr(opts, name)
        if agent == "ppo":
            kw["batch_size"] = opts.batch_size or max(64, n_steps * n_envs // 8)
            for name in ("n_epochs", "clip_range"):
                if getattr(opts, name) is not None:
                    kw[name] = getattr(opts, name)
        elif opts.batch_size is not None:
            raise InputError("option agent.batch_size does not apply to a2c (it trains on whole rollouts)")
    else:
        if opts.n_steps is not None:
            raise InputError(f"option agent.n_steps does not apply to {agent} (use agent.train_freq)")
        kw.update(
            buffer_size=opts.buffer_size,
            learning_starts=opts.learning_starts,
            train_freq=opts.train_freq,
            gradient_steps=opts.gradient_steps,
            batch_size=opts.batch_size or 256,
        )
        if opts.tau is not None:
            kw["tau"] = opts.tau
    kw["policy_kwargs"] = policy_kwargs(agent, opts)
    return kw


@dataclass(frozen=True)
class Setup:
    """Everything :func:`train` builds before learning (also what the benchmark and examples reuse)."""

    opts: SB3Options
    env: Any
    """The training VecEnv: Catalog-v0 or NetworkCatalog-v0 in SB3's ``VecMonitor`` (episode returns:
    rollout/ep_rew_mean)."""
    eval_view: EvalView
    """The held-out episode, observed and acted on as the training env does."""
    eval_freq: int
    reviews: int
    """Reviews (decisions) per episode of the scenario."""


def setup(spec: Any, opts: SB3Options) -> Setup:
    """Training VecEnv and held-out evaluation batch of ``spec`` with its parsed options ``opts``."""
    from stable_baselines3.common.vec_env import VecMonitor

    catalog = make_env(spec.scenario, tuple(spec.scenario_overrides), opts, spec.agent, spec.seed)
    env = VecMonitor(catalog)
    held = HeldOut(catalog.scenario, seeding.selection_seed(0), opts.eval_paths)
    view = held.view(catalog.obs_config, catalog.action_config)
    eval_freq = opts.eval_freq or max(spec.timesteps // 10, env.num_envs)
    return Setup(opts, env, view, eval_freq, len(held.world.review_periods()))


def train(
    spec: Any,
    opts: SB3Options,
    run_dir: Path,
    *,
    resume: bool,
    progress: bool,
    on_evaluation: OnEvaluation | None = None,
) -> dict[str, float]:
    """Train ``spec`` with its parsed options ``opts`` (:func:`parse_options` of ``spec.options``) into
    ``run_dir`` (see the module docstring); the final evaluation KPIs. ``on_evaluation(timesteps,
    spec.timesteps)`` after each evaluation."""
    from stable_baselines3.common.callbacks import CallbackList
    from stable_baselines3.common.logger import TensorBoardOutputFormat, configure

    run_dir = Path(run_dir)
    check_device(spec.device)
    if not isinstance(opts, SB3Options):
        raise InputError(f"sb3 train: options must be parsed SB3Options (parse_options), got {opts!r}")
    s = setup(spec, opts)
    if s.opts.torch_threads is not None:
        import torch

        torch.set_num_threads(s.opts.torch_threads)
    cls = algorithm(spec.agent)
    state = read_state(run_dir)
    # A run killed before its first checkpoint is resumed by starting it again in its folder.
    restart = resume and state is None
    if resume and state is not None:
        if state.get("finished"):
            raise InputError(
                f"{run_dir} finished training ({state['timesteps']} of {spec.timesteps} timesteps); "
                "nothing to resume"
            )
        model = load_model(
            spec.agent,
            run_dir / CHECKPOINTS / state["last"],
            opts,
            env=s.env,
            device=spec.device,
            n_nodes=s.eval_view.n_nodes,
            n_actions=s.eval_view.n_actions,
        )
        if spec.agent in OFF_POLICY and (run_dir / CHECKPOINTS / REPLAY_FILE).is_file():
            load_replay_buffer(model, run_dir / CHECKPOINTS / REPLAY_FILE)
        # Fresh training episodes after the resume point (not a replay of the first ones).
        model.set_random_seed(seeding.int_seed(spec.seed, "sb3/resume", int(model.num_timesteps)))
        rows = read_kpis(run_dir, up_to=int(model.num_timesteps))
        best_file = run_dir / CHECKPOINTS / BEST_FILE
        best = _best_profit(best_file)
    else:
        if not restart and (state is not None or (run_dir / TB_DIR).exists()):
            raise InputError(f"{run_dir} already holds training output; use --resume or another --run-dir")
        kwargs = model_kwargs(spec.agent, s.opts, s.env.num_envs, s.reviews)
        resolved = {
            "algorithm": cls.__name__,
            "options": asdict(s.opts),
            "sb3_kwargs": {
                **kwargs,
                "policy_kwargs": {k: _plain(v) for k, v in kwargs["policy_kwargs"].items()},
            },
            "eval_freq": s.eval_freq,
            "selection_seed": seeding.selection_seed(0),
        }
        rio.write_json(run_dir / AGENT_FILE, resolved)
        model = cls(
            "MlpPolicy",
            s.env,
            seed=seeding.int_seed(spec.seed, "sb3/model"),
            device=spec.device,
            verbose=0,
            **kwargs,
        )
        rows, best = [], -np.inf
    logger = configure(str(run_dir / TB_DIR), ["tensorboard"])
    if resume:
        # the killed run's points after its checkpoint (or all of them: restart) are discarded
        for fmt in logger.output_formats:
            if isinstance(fmt, TensorBoardOutputFormat):
                purge_from(fmt.writer, 0 if restart else int(model.num_timesteps) + 1)
    model.set_logger(logger)
    newsvendor = rollout(s.eval_view, newsvendor_rule)
    evaluator = KpiEvalCallback(
        s.eval_view,
        newsvendor,
        run_dir,
        s.eval_freq,
        s.opts.figure_skus,
        rows=rows,
        best=best,
        on_evaluation=None if on_evaluation is None else lambda step: on_evaluation(step, spec.timesteps),
    )
    checkpoints = CheckpointCallback(
        run_dir, s.eval_freq, keep=s.opts.keep_checkpoints, save_replay=spec.agent in OFF_POLICY
    )
    remaining = spec.timesteps - int(model.num_timesteps)
    if remaining > 0:
        model.learn(
            total_timesteps=remaining,
            callback=CallbackList([evaluator, checkpoints]),
            progress_bar=progress,
            reset_num_timesteps=not resume or restart,
        )
    checkpoints.save(finished=True)
    model.logger.close()
    s.env.close()
    return evaluator.last_kpis


def _best_profit(file: Path) -> float:
    import json

    if not file.is_file():
        return -np.inf
    return float(json.loads(file.read_text(encoding="utf-8"))["profit"])


@dataclass
class SB3Policy:
    """A trained SB3 model as a :class:`~restock.agents.policy.Policy` and
    :class:`~restock.agents.policy.NetworkPolicy`.

    It maps actions to orders with the action settings it was trained with (its own
    :class:`~restock.envs.actions.ActionMap` over each of the caller's observers), so a model trained in
    ``service_quantile`` mode is judged as it learned. A model trained on a network
    (``Restock/NetworkCatalog-v0``) observes every node and acts on every node at once
    (:meth:`act_network`); :meth:`act` (one node's orders) serves one-node models.
    """

    model: Any
    action_config: ActionConfig
    name: str = "sb3"
    deterministic: bool = True
    _maps: tuple[tuple[Observer, ...], tuple[ActionMap, ...]] | None = field(
        default=None, repr=False, compare=False
    )
    """The action maps over the observers last acted on (rebuilt for other observers)."""

    @property
    def n_nodes(self) -> int:
        """The nodes the model observes (its observation holds every node's features)."""
        return int(self.model.observation_space.shape[0]) // len(feature_names(ObservationConfig()))

    def act_network(self, observers: Sequence[Observer], state: ReviewState) -> np.ndarray:
        """Orders [A, B], one row per source of every node (:func:`~.evaluation.model_orders`)."""
        if len(observers) != self.n_nodes:
            raise InputError(
                f"policy {self.name!r} was trained on a network of {self.n_nodes} node(s), the episode "
                f"has {len(observers)}"
            )
        maps = self._maps
        if maps is None or any(a is not b for a, b in zip(maps[0], observers, strict=True)):
            maps = self._maps = (
                tuple(observers),
                tuple(ActionMap(self.action_config, o) for o in observers),
            )
        return model_orders(
            self.model, observers, maps[1], state, deterministic=self.deterministic, name=self.name
        )

    def act(self, batch: Observer, state: ReviewState) -> np.ndarray:
        if self.n_nodes != 1:
            raise InputError(
                f"policy {self.name!r} acts on a network of {self.n_nodes} nodes at once: call "
                "act_network(observers, state) with every node's observer"
            )
        if int(self.model.action_space.shape[0]) > 1:
            raise InputError(
                f"policy {self.name!r} orders from several vendors of a node: ask it for the orders of every "
                "source (act_network)"
            )
        orders = self.act_network([batch], state)[0]
        return checked_orders(self.name, orders, batch.size, state.t)


def load(run_dir: Path, meta: dict[str, Any]) -> SB3Policy:
    """The best checkpoint of a training run (the newest periodic one if no evaluation saved a best)."""
    run_dir = Path(run_dir)
    agent = str(meta["agent"])
    config = meta["config"]
    opts = parse_options(agent, dict(config.get("options", {})))
    best = run_dir / CHECKPOINTS / BEST_MODEL
    state = read_state(run_dir)
    if best.is_file():
        file = best
    elif state is not None:
        file = run_dir / CHECKPOINTS / state["last"]
    else:
        raise InputError(f"{run_dir} holds no checkpoint ({CHECKPOINTS}/{BEST_MODEL} or state.json)")
    scenario = load_scenario(str(config["scenario"]), list(config.get("scenario_overrides", [])))
    n_nodes = scenario_nodes(scenario)
    model = load_model(agent, file, opts, device="cpu", n_nodes=n_nodes, n_actions=scenario_sources(scenario))

    expected = (n_nodes * len(feature_names(ObservationConfig())),)
    if model.observation_space.shape != expected:
        raise InputError(
            f"{file}: the model takes observations of shape {model.observation_space.shape}, "
            f"the scenario's layout has {expected}"
        )
    return SB3Policy(model, opts.action, name=f"{agent}:{run_dir.name}")
