"""``Restock/Catalog-v0``: the batch engine as a Stable-Baselines3 ``VecEnv`` over (SKU, path) pairs."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from stable_baselines3.common.vec_env.base_vec_env import VecEnv, VecEnvIndices, VecEnvObs, VecEnvStepReturn

from restock import seeding
from restock.envs.actions import ActionConfig, ActionMode, check_actions
from restock.envs.core import (
    CASH_KEYS,
    DecisionBatch,
    build_episode,
    load_scenario,
    numpy_state,
    observation_bounds,
    scenario_name,
    to_numpy,
)
from restock.envs.features import ObservationConfig, feature_names
from restock.errors import InputError
from restock.simulator.engines import engine_class
from restock.simulator.policy import ReviewState


class CatalogVecEnv(VecEnv):
    """Many (SKU, path) buying problems stepped together on the batch engine, as an SB3 ``VecEnv``.

    ## Description

    Sub-environment ``i`` is SKU ``i % N`` of the scenario's N SKUs on exogenous path ``i // N``; a
    VecEnv of ``n_envs`` sub-environments simulates ceil(n_envs / N) paths of the whole catalog (the
    sub-environments past ``n_envs`` are simulated with the smallest action and never shown). Every
    sub-environment is exactly a ``Restock/SingleSKU-v0`` problem: the same order of events, observation
    (:mod:`restock.envs.features`), action mapping (:mod:`restock.envs.actions`) and reward, built by the
    same code; a parity test checks that returns agree with SingleSKU-v0 on the same paths.

    ## Spaces

    ``observation_space``: the SingleSKU-v0 ``Box(float32, (F,))`` (F = 30 by default), observations come
    as a numpy array [n_envs, F]. ``action_space``: ``Box(-1, 1, (1,), float32)``, actions go in as
    [n_envs, 1]; NaN, inf, out-of-range values or another shape raise :class:`~restock.errors.InputError`.

    ## Rewards

    Per sub-environment, the profit of the review period divided by ``reward_scale`` (default p_ref x s),
    float32 [n_envs].

    ## Starting state and episodes

    ``reset()`` builds ceil(n_envs / N) paths with ``build_world(scenario, k, P)``, where the episode's root
    seed ``k = seeding.int_seed(seed, "catalog/episode", e)`` for the e-th episode (``seed`` from the
    constructor or :meth:`seed`); :attr:`episode_seed` holds it. All sub-environments share the horizon,
    so they all end together: at the horizon ``dones`` is all True, ``infos[i]["TimeLimit.truncated"]`` is
    True, ``infos[i]["terminal_observation"]`` is the observation after the last period, and the returned
    observation is the first of the next episode (SB3's auto-reset).

    ## Info

    ``infos[i]`` is empty between episode ends (thousands of dicts of costs would dominate the step time);
    with ``info_costs=True`` it holds the unscaled cost components of the step. The unscaled components of
    the last step are always in :attr:`last_cash` (arrays [n_envs]).

    ## Arguments

    ``scenario``, ``action_mode``, ``overrides``, ``reward_scale``, ``observation``, ``max_cover``,
    ``max_multiple``, ``tau_min``, ``tau_max``: as SingleSKU-v0. ``n_envs``: number of sub-environments.
    ``seed``: root seed of the episodes. ``engine``: ``"batch"`` (default) or ``"des"``;
    ``engine_options``: keyword arguments of the engine (e.g. ``device``; the batch engine's ``dtype`` is
    float64 by default, which keeps parity with SingleSKU-v0; ``{"dtype": "float32"}`` steps about 10%
    faster, with rewards and observations off by float32 rounding). ``info_costs``: see Info.

    ## Speed

    A step costs about 0.3 µs of CPU per sub-environment at 16,384 of them (float64, ``steady``;
    ``benchmarks/bench_envs.py``, docs/envs.md): about 45% the batch engine, 25% the observations, 13%
    the ``infos`` dicts. The engine's plain rollout works one [P, N] slab per operation, so up to
    32,768 sub-environments nothing is handed to torch's intra-op threads (which stall on a busy
    machine); the thread count does not change the cost of a step.

    ``gymnasium.make`` cannot return a VecEnv: the id ``Restock/Catalog-v0`` is registered with
    :func:`make_catalog_vec_env` as its entry point; build it with that factory (or
    :func:`restock.envs.make`), not with ``gymnasium.make``.

    ## Version History

    * v0: initial version.
    """

    def __init__(
        self,
        scenario: Any = "steady",
        n_envs: int = 1024,
        seed: int = 0,
        action_mode: ActionMode = "order_up_to",
        overrides: Any = None,
        reward_scale: float | None = None,
        observation: ObservationConfig | None = None,
        max_cover: float | None = None,
        max_multiple: float = 4.0,
        tau_min: float | None = None,
        tau_max: float | None = None,
        engine: str | type = "batch",
        engine_options: dict[str, Any] | None = None,
        info_costs: bool = False,
    ) -> None:
        if not (isinstance(n_envs, int | np.integer) and n_envs >= 1):
            raise InputError(f"Catalog-v0: n_envs must be an integer >= 1, got {n_envs!r}")
        if not (isinstance(seed, int | np.integer) and seed >= 0):
            raise InputError(f"Catalog-v0: seed must be an integer >= 0, got {seed!r}")
        self.scenario = load_scenario(scenario, overrides)
        self.obs_config = observation or ObservationConfig()
        self.action_config = ActionConfig(
            mode=action_mode, max_cover=max_cover, max_multiple=max_multiple, tau_min=tau_min, tau_max=tau_max
        )
        self.reward_scale = reward_scale
        self.info_costs = bool(info_costs)
        self._engine_cls = engine_class(engine)
        self.engine_options = dict(engine_options or {})
        world, paths, fc = build_episode(self.scenario, 0, 1)
        if len(world.network.nodes) != 1:
            raise InputError(
                f"Catalog-v0 (scenario {scenario_name(self.scenario)!r}) needs a one-node network, "
                "the scenario "
                f"has {len(world.network.nodes)} nodes (use Restock/Network-v0)"
            )
        DecisionBatch(world, paths, fc, 0, self.obs_config, self.action_config, reward_scale)  # validates
        self.n_skus = world.n_skus
        self.n_paths = math.ceil(int(n_envs) / self.n_skus)
        self.root_seed = int(seed)
        self.render_mode: str | None = None
        self.feature_names = feature_names(self.obs_config)
        self._episode = 0
        self.episode_seed: int | None = None
        self._state: ReviewState | None = None
        self._actions: np.ndarray | None = None
        self.last_cash: dict[str, np.ndarray] = {}
        self.last_orders = np.zeros((self.n_paths, 1, self.n_skus))
        """The orders [P, 1, N] (units) of the last step, padding sub-environments included."""
        low, high = observation_bounds(self.obs_config)
        super().__init__(
            int(n_envs),
            spaces.Box(low, high, dtype=np.float32),
            spaces.Box(-1.0, 1.0, shape=(1,), dtype=np.float32),
        )

    # ---------------------------------------------------------------------------------------- episodes
    def _start_episode(self) -> np.ndarray:
        self.episode_seed = seeding.int_seed(self.root_seed, "catalog/episode", self._episode)
        self._episode += 1
        world, paths, fc = build_episode(self.scenario, self.episode_seed, self.n_paths)
        self.world, self.paths = world, paths
        self.batch = DecisionBatch(
            world, paths, fc, 0, self.obs_config, self.action_config, self.reward_scale
        )
        self._engine = self._engine_cls(world, paths, record=False, **self.engine_options)
        self._state = numpy_state(self._engine.reset())
        return self.batch.observe(self._state)[: self.num_envs]

    def reset(self) -> VecEnvObs:
        if self._seeds and self._seeds[0] is not None:
            self.root_seed, self._episode = int(self._seeds[0]), 0
        self._reset_seeds()
        self._reset_options()
        obs = self._start_episode()
        self.reset_infos = [{"episode_seed": self.episode_seed} for _ in range(self.num_envs)]
        return obs

    def seed(self, seed: int | None = None) -> Sequence[int | None]:
        """Set the root seed of the next episodes (applied at the next reset). None draws a fresh one.

        All sub-environments share it (their paths are drawn jointly), so every entry is the same seed.
        """
        if seed is None:
            seed = int(np.random.SeedSequence().generate_state(1)[0])  # fresh OS entropy, no global state
        self._seeds = [int(seed)] * self.num_envs
        return [int(seed)] * self.num_envs

    # ---------------------------------------------------------------------------------------- stepping
    def step_async(self, actions: np.ndarray) -> None:
        self._actions = check_actions(actions, (self.num_envs, 1))

    def step_wait(self) -> VecEnvStepReturn:
        if self._state is None or self._actions is None:
            raise InputError("Catalog-v0: call reset() and step_async() before step_wait()")
        state, n = self._state, self.num_envs
        full = np.full(self.batch.size, -1.0)
        full[:n] = self._actions[:, 0]
        self._actions = None
        q, _ = self.batch.orders(full, state)
        orders = q.reshape(self.n_paths, 1, self.n_skus)
        self.last_orders = orders
        nxt, out = self._engine.step(orders)
        rewards = self.batch.scaled(to_numpy(out["reward"]))[:n].astype(np.float32)
        self.last_cash = {k: self.batch.flat(to_numpy(out[k]))[:n] for k in CASH_KEYS if k in out}
        if self.info_costs:
            infos: list[dict[str, Any]] = [
                {k: float(v[i]) for k, v in self.last_cash.items()} for i in range(n)
            ]
        else:
            infos = [{} for _ in range(n)]
        if nxt.terminal:
            term_obs = self.batch.observe(numpy_state(nxt))[:n]
            for i in range(n):
                infos[i]["terminal_observation"] = term_obs[i]
                infos[i]["TimeLimit.truncated"] = True
            obs = self._start_episode()
            dones = np.ones(n, dtype=bool)
        else:
            self._state = numpy_state(nxt)
            obs = self.batch.observe(self._state)[:n]
            dones = np.zeros(n, dtype=bool)
        return obs, rewards, dones, infos

    def close(self) -> None:
        self._engine = None  # type: ignore[assignment]
        self._state = None

    # ---------------------------------------------------------------------------------------- attributes
    def _indices(self, indices: VecEnvIndices) -> list[int]:
        idx = list(self._get_indices(indices))
        bad = [i for i in idx if not 0 <= int(i) < self.num_envs]
        if bad:
            raise InputError(f"Catalog-v0: indices must be in [0, {self.num_envs}), got {bad[:5]}")
        return [int(i) for i in idx]

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        """Sub-environments share every attribute: the VecEnv's own, once per index."""
        value = getattr(self, attr_name)
        return [value for _ in self._indices(indices)]

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        """Set a shared attribute; since sub-environments share it, ``indices`` must cover all of them."""
        idx = self._indices(indices)
        if len(set(idx)) != self.num_envs:
            raise InputError(
                f"Catalog-v0: sub-environments share attribute {attr_name!r}; set_attr needs every index, "
                f"got {len(set(idx))} of {self.num_envs}"
            )
        setattr(self, attr_name, value)

    def env_method(
        self, method_name: str, *method_args: Any, indices: VecEnvIndices = None, **method_kwargs: Any
    ) -> list[Any]:
        """Call a shared method once and return its result for every index."""
        idx = self._indices(indices)
        result = getattr(self, method_name)(*method_args, **method_kwargs)
        return [result for _ in idx]

    def env_is_wrapped(self, wrapper_class: type[gym.Wrapper], indices: VecEnvIndices = None) -> list[bool]:
        """Sub-environments are arrays, never wrapped Gymnasium envs."""
        return [False for _ in self._indices(indices)]

    def get_images(self) -> Sequence[np.ndarray | None]:
        return [None for _ in range(self.num_envs)]


def make_catalog_vec_env(
    scenario: Any = "steady", n_envs: int = 1024, seed: int = 0, **kwargs: Any
) -> CatalogVecEnv:
    """Build ``Restock/Catalog-v0`` (the registered id's entry point; ``gymnasium.make`` cannot build it)."""
    return CatalogVecEnv(scenario=scenario, n_envs=n_envs, seed=seed, **kwargs)
