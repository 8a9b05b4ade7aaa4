"""``Restock/Catalog-v0``: the batch engine over many (SKU, path) pairs, stepped in lockstep.

Two front doors, one core: :class:`CatalogVectorEnv` is the Gymnasium 1.x ``VectorEnv`` (the id's
``vector_entry_point``: ``gymnasium.make_vec("Restock/Catalog-v0", num_envs=N)``), and
:class:`CatalogVecEnv` is a thin Stable-Baselines3 ``VecEnv`` adapter over it (``make_catalog_vec_env``,
``restock.envs.make``), which SB3 training uses.

The core carries networks too: with M nodes a sub-environment's observation is every node's features
(node-major) and its action one entry per node. ``Restock/NetworkCatalog-v0``
(:mod:`restock.envs.network_catalog`) is that core on multi-node scenarios; Catalog-v0 is M = 1.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space
from stable_baselines3.common.vec_env.base_vec_env import VecEnv, VecEnvIndices, VecEnvObs, VecEnvStepReturn

from restock import seeding
from restock.envs.actions import ActionConfig, ActionMap, action_config, check_actions, network_orders
from restock.envs.core import (
    CASH_KEYS,
    build_episode,
    episode_seed,
    load_scenario,
    numpy_state,
    observation_bounds,
    scenario_name,
    to_numpy,
)
from restock.envs.features import ObservationConfig
from restock.envs.observer import (
    network_feature_names,
    network_observation,
    network_observers,
    network_reward_divisor,
)
from restock.errors import InputError
from restock.simulator.engines import engine_class
from restock.simulator.policy import ReviewState

SOURCE = "Restock/Catalog-v0"


def _autoreset_mode(mode: AutoresetMode | str, source: str) -> AutoresetMode:
    if isinstance(mode, AutoresetMode):
        return mode
    try:
        return AutoresetMode(mode)
    except ValueError:
        known = [m.value for m in AutoresetMode]
        raise InputError(f"{source}: autoreset_mode must be one of {known}, got {mode!r}") from None


def _check_seed(seed: Any, key: str, source: str) -> int:
    if isinstance(seed, bool) or not (isinstance(seed, int | np.integer) and seed >= 0):
        raise InputError(f"{source}: {key} must be an integer >= 0, got {seed!r}")
    return int(seed)


class CatalogVectorEnv(VectorEnv):  # type: ignore[type-arg]
    """Buy a whole catalog at once: many (SKU, path) problems stepped together on the batch engine.

    ## Description

    A Gymnasium 1.x ``VectorEnv`` (``gymnasium.make_vec("Restock/Catalog-v0", num_envs=N, ...)``).
    Sub-environment ``i`` is SKU ``i % S`` of the scenario's S SKUs on exogenous path ``i // S``: the
    env simulates ceil(num_envs / S) paths of the whole catalog in lockstep (the sub-environments past
    ``num_envs`` are simulated with the smallest action and never shown). ``num_envs`` is therefore the
    number of (SKU, path) pairs, not of independent copies: ``num_envs = S`` is one path of the catalog.
    Every sub-environment is exactly a ``Restock/SingleSKU-v0`` problem: the same order of events,
    observation (:mod:`restock.envs.features`), action mapping (:mod:`restock.envs.actions`) and reward,
    built by the same code; a parity test checks that returns agree with SingleSKU-v0 on the same paths.

    ## Order of events (each period t; a step runs from one review to the next)

    As SingleSKU-v0: 1. shipments due in t arrive; 2. at a review, the orders from the actions are placed;
    3. demand is served from on-hand, the rest lost (or backordered); 4. revenue and costs are booked.

    ## Action space

    ``single_action_space``: ``Box(-1, 1, (1,), float32)``; ``action_space``: ``Box(-1, 1, (num_envs, 1),
    float32)``, mapped to orders as in SingleSKU-v0 by ``action`` (an
    :class:`~restock.envs.actions.ActionConfig`). NaN, inf, out-of-range values or another shape raise
    :class:`~restock.errors.InputError` (never clipped).

    ## Observation space

    ``single_observation_space``: the SingleSKU-v0 ``Box(float32, (F,))`` (F = 30 by default, the table in
    SingleSKU-v0's docstring); ``observation_space``: its batch, observations come as [num_envs, F].

    ## Rewards

    Per sub-environment, the profit of the review period divided by ``reward_scale`` (default p_ref x s),
    float32 [num_envs].

    ## Starting state

    ``reset(seed=k)`` makes ``k`` the root seed and restarts the sequence of episodes; the e-th episode
    builds its paths with ``build_world(scenario, seeding.int_seed(k, "catalog/episode", e), P)``
    (:attr:`episode_seed`). ``reset()`` without a seed starts the next episode of the sequence; on a fresh
    env it draws the root seed from ``self.np_random``. ``reset`` takes no options.

    ## Episode end and autoreset

    All sub-environments share the horizon, so they end together: the step that simulates the last period
    returns ``truncated`` all True (``terminated`` is always False). Then, by ``autoreset_mode``
    (``metadata["autoreset_mode"]``, https://farama.org/Vector-Autoreset-Mode):

    * ``NextStep`` (default, Gymnasium's): that step returns the observation after the last period; the
      next ``step`` ignores its actions, starts the next episode and returns its first observation with
      reward 0 and ``truncated`` False.
    * ``SameStep`` (what SB3 expects): that step returns the next episode's first observation already;
      the observation after the last period is in ``info["final_obs"]`` (an object array of [F] arrays,
      mask ``info["_final_obs"]``), the step's own info in ``info["final_info"]``.
    * ``Disabled``: that step returns the observation after the last period; stepping on needs ``reset``.

    ## Info

    A dict of arrays with ``_key`` masks (Gymnasium's vector convention). After ``reset`` and at the start
    of an episode: ``episode_seed``. After a step: empty (thousands of cost entries would dominate the
    step time), or with ``info_costs=True`` the unscaled cost components of the step, float64
    [num_envs]. The components of the last step are always in :attr:`last_cash`.

    ## Arguments

    ``num_envs``: the number of (SKU, path) pairs (passed by ``make_vec``). ``scenario``, ``action``,
    ``overrides``, ``reward_scale``, ``observation``: as SingleSKU-v0. ``engine``: ``"batch"`` (default)
    or ``"des"``; ``engine_options``: keyword arguments of the engine (e.g. ``device``; the batch engine's
    ``dtype`` is float64 by default, which keeps parity with SingleSKU-v0; ``{"dtype": "float32"}`` steps
    about 10% faster, rewards and observations off by float32 rounding). ``info_costs``: see Info.
    ``autoreset_mode``: see Episode end.

    ``gymnasium.make("Restock/Catalog-v0")`` raises an :class:`~restock.errors.InputError` that points here:
    one (SKU, path) of the batch engine is ``gymnasium.make("Restock/SingleSKU-v0", engine="batch")``.
    A scenario with several nodes is an :class:`~restock.errors.InputError` that names
    ``Restock/NetworkCatalog-v0`` (:class:`~restock.envs.network_catalog.NetworkCatalogVectorEnv`, this
    core with one action per node).

    ## Speed

    A step costs about 0.3 µs of CPU per sub-environment at 16,384 of them (float64, ``steady``;
    ``benchmarks/bench_envs.py``, docs/envs.md): about 45% the batch engine, 25% the observations. The
    engine's plain rollout works one [P, S] slab per operation, so up to 32,768 sub-environments nothing is
    handed to torch's intra-op threads (which stall on a busy machine).

    ## Version History

    * v0: initial version (an SB3 VecEnv only); the Gymnasium ``VectorEnv`` and ``vector_entry_point``
      registration added with the same dynamics, rewards and seeds. The core was generalized to networks
      (``Restock/NetworkCatalog-v0``) without changing Catalog-v0's dynamics, spaces, rewards or seeds.
    """

    metadata: dict[str, Any] = {"render_modes": [], "autoreset_mode": AutoresetMode.NEXT_STEP}  # noqa: RUF012
    env_id: str = SOURCE
    """The Gymnasium id this class is the vector entry point of (named in every error)."""
    default_scenario: str = "steady"
    """The built-in scenario of ``scenario=None``."""
    network: bool = False
    """False: one-node scenarios only (Catalog-v0); True: networks of >= 2 nodes only (NetworkCatalog-v0)."""

    def __init__(
        self,
        num_envs: int = 1024,
        scenario: Any = None,
        action: ActionConfig | Mapping[str, Any] | None = None,
        overrides: Any = None,
        reward_scale: float | None = None,
        observation: ObservationConfig | None = None,
        engine: str | type = "batch",
        engine_options: dict[str, Any] | None = None,
        info_costs: bool = False,
        autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
        render_mode: str | None = None,
    ) -> None:
        source = self.env_id
        if isinstance(num_envs, bool) or not (isinstance(num_envs, int | np.integer) and num_envs >= 1):
            raise InputError(f"{source}: num_envs must be an integer >= 1, got {num_envs!r}")
        if render_mode is not None:
            raise InputError(f"{source}: render_mode: {source} does not render, got {render_mode!r}")
        self.render_mode = render_mode
        self.autoreset_mode = _autoreset_mode(autoreset_mode, source)
        self.metadata = {**self.metadata, "autoreset_mode": self.autoreset_mode}
        self.scenario = load_scenario(self.default_scenario if scenario is None else scenario, overrides)
        self.obs_config = observation or ObservationConfig()
        self.action_config = action_config(action, source=source)
        self.reward_scale = reward_scale
        self.info_costs = bool(info_costs)
        self._engine_cls: Any = engine_class(engine)
        self.engine_options = dict(engine_options or {})
        world, paths, fc = build_episode(self.scenario, 0, 1)
        self.n_nodes = len(world.network.nodes)
        """M: the nodes of the network (1 for Catalog-v0)."""
        self.n_actions = len(world.network.arcs())
        """A: one action per source of every node (the network's arcs, :meth:`Network.arcs`): M, or more
        where nodes have extra vendors (:mod:`restock.envs.actions`: the dual-index form)."""
        named = f"{source} (scenario {scenario_name(self.scenario)!r})"
        if not self.network and self.n_nodes != 1:
            raise InputError(
                f"{named} needs a one-node network, the scenario has {self.n_nodes} nodes "
                "(use Restock/NetworkCatalog-v0, or Restock/Network-v0 for one path)"
            )
        if self.network and self.n_nodes < 2:
            raise InputError(
                f"{named} needs a network of >= 2 nodes, the scenario has {self.n_nodes} "
                "(use Restock/Catalog-v0)"
            )
        observers = network_observers(world, paths.price, fc, self.obs_config)  # validates the settings:
        for o in observers:
            ActionMap(self.action_config, o)
        network_reward_divisor(observers, reward_scale)
        self.node_names = [node.name for node in world.network.nodes]
        self.num_envs = int(num_envs)
        self.n_skus = world.n_skus
        self.n_paths = math.ceil(self.num_envs / self.n_skus)
        self.feature_names = network_feature_names(world, self.obs_config)
        low, high = observation_bounds(self.obs_config)
        m = self.n_nodes
        self.single_observation_space = spaces.Box(np.tile(low, m), np.tile(high, m), dtype=np.float32)
        self.single_action_space = spaces.Box(-1.0, 1.0, shape=(self.n_actions,), dtype=np.float32)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.root_seed: int | None = None
        """Root seed of the episode sequence (set by ``reset(seed=...)``)."""
        self.episode_seed: int | None = None
        """Root seed of the current episode's paths: ``seeding.int_seed(root_seed, "catalog/episode", e)``."""
        self._episode = 0
        self._state: ReviewState | None = None
        self._pending_reset = False
        self.last_cash: dict[str, np.ndarray] = {}
        """Unscaled cost components [num_envs] of the last step."""
        self.last_orders = np.zeros((self.n_paths, self.n_actions, self.n_skus))
        """The orders [P, A, S] (units, per arc) of the last step, padding sub-environments included."""

    # ---------------------------------------------------------------------------------------- episodes
    def _start_episode(self) -> tuple[np.ndarray, dict[str, Any]]:
        assert self.root_seed is not None
        self.episode_seed = seeding.int_seed(self.root_seed, "catalog/episode", self._episode)
        self._episode += 1
        world, paths, fc = build_episode(self.scenario, self.episode_seed, self.n_paths)
        self.world, self.paths = world, paths
        self.observers = network_observers(world, paths.price, fc, self.obs_config)
        """One observer per node over the episode's P x S decision points."""
        self.action_maps = [ActionMap(self.action_config, o) for o in self.observers]
        """Node m's actions -> orders (its forecast scale and inventory position)."""
        self.reward_div = network_reward_divisor(self.observers, self.reward_scale)
        self._engine = self._engine_cls(world, paths, record=False, **self.engine_options)
        self._state = numpy_state(self._engine.reset())
        self._pending_reset = False
        n = self.num_envs
        info = {
            "episode_seed": np.full(n, self.episode_seed, dtype=np.int64),
            "_episode_seed": np.ones(n, bool),
        }
        return self._observe(self._state), info

    def _observe(self, state: ReviewState) -> np.ndarray:
        """Observations [num_envs, M x F] at ``state`` (node-major, padding dropped)."""
        return network_observation(self.observers, state)[: self.num_envs]

    def _per_point(self, arr: np.ndarray) -> np.ndarray:
        """A [P, M, S] flow summed over nodes, as [num_envs] (padding dropped)."""
        total = arr[:, 0] if self.n_nodes == 1 else arr.sum(axis=1)
        return total.reshape(-1)[: self.num_envs]

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        if seed is not None:
            seed = _check_seed(seed, "seed", self.env_id)
        super().reset(seed=seed)
        if options:
            raise InputError(f"{self.env_id}: reset takes no options, got {sorted(options)}")
        if seed is not None:
            self.root_seed, self._episode = seed, 0
        elif self.root_seed is None:
            self.root_seed = episode_seed(self.np_random)
        return self._start_episode()

    # ---------------------------------------------------------------------------------------- stepping
    def step(self, actions: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        n, m = self.num_envs, self.n_actions
        a = check_actions(actions, (n, m), field="actions")
        if self._pending_reset:  # NextStep autoreset: this step only starts the next episode
            first, reset_info = self._start_episode()
            return first, np.zeros(n, np.float32), np.zeros(n, bool), np.zeros(n, bool), reset_info
        if self._state is None:
            raise InputError(
                f"{self.env_id}: call reset() before step() (and after an episode ends, autoreset off)"
            )
        state = self._state
        full = np.full((self.observers[0].size, m), -1.0)
        full[:n] = a
        q = network_orders(self.action_maps, full, state)  # [A, P x S]
        orders = np.ascontiguousarray(q.reshape(m, self.n_paths, self.n_skus).transpose(1, 0, 2))
        self.last_orders = orders
        nxt, out = self._engine.step(orders)
        rewards = (self._per_point(to_numpy(out["reward"])) / self.reward_div[:n]).astype(np.float32)
        self.last_cash = {k: self._per_point(to_numpy(out[k])) for k in CASH_KEYS if k in out}
        info: dict[str, Any] = {}
        if self.info_costs:
            for k, v in self.last_cash.items():
                info[k], info[f"_{k}"] = v, np.ones(n, bool)
        terminated = np.zeros(n, bool)
        if not nxt.terminal:
            self._state = numpy_state(nxt)
            return self._observe(self._state), rewards, terminated, np.zeros(n, bool), info
        final_obs = self._observe(numpy_state(nxt))  # the engine's terminal state
        self._state = None
        truncated = np.ones(n, bool)
        if self.autoreset_mode == AutoresetMode.SAME_STEP:
            boxed = np.empty(n, dtype=object)
            boxed[:] = list(final_obs)
            obs, reset_info = self._start_episode()
            info = {
                "final_obs": boxed,
                "_final_obs": truncated.copy(),
                "final_info": info,
                "_final_info": truncated.copy(),
                **reset_info,
            }
            return obs, rewards, terminated, truncated, info
        self._pending_reset = self.autoreset_mode == AutoresetMode.NEXT_STEP
        return final_obs, rewards, terminated, truncated, info

    def close_extras(self, **kwargs: Any) -> None:
        self._engine = None
        self._state = None
        self._pending_reset = False


def no_single_env(**kwargs: Any) -> NoReturn:
    """The single-env entry point of ``Restock/Catalog-v0``: an error that says how to build it."""
    raise InputError(
        f"{SOURCE} is a vector env over (SKU, path) pairs: build it with "
        f"gymnasium.make_vec({SOURCE!r}, num_envs=N, ...) (or restock.envs.make_catalog_vec_env for SB3); "
        "one (SKU, path) on the batch engine is gymnasium.make('Restock/SingleSKU-v0', engine='batch')"
    )


class CatalogVecEnv(VecEnv):
    """``Restock/Catalog-v0`` as an SB3 ``VecEnv``: a thin adapter over :class:`CatalogVectorEnv`.

    The dynamics, spaces, rewards and seeds are the core's (its docstring is the spec); the adapter runs
    it in ``SameStep`` autoreset and speaks SB3's API:

    * ``reset()`` returns the observations only; the e-th episode's seed is
      ``seeding.int_seed(seed, "catalog/episode", e)`` with ``seed`` from the constructor or from
      :meth:`seed` (applied at the next reset), so ``CatalogVecEnv(seed=k)`` steps exactly like
      ``gymnasium.make_vec(..., num_envs=n).reset(seed=k)``.
    * ``step`` returns (obs, rewards float32 [n], dones [n], infos: a list of n dicts). At the horizon
      ``dones`` is all True, ``infos[i]["TimeLimit.truncated"]`` is True, ``infos[i]["terminal_observation"]``
      is the observation after the last period, and the observation returned is the next episode's first.
      ``infos[i]`` is otherwise empty, or holds the step's unscaled cost components with ``info_costs=True``.
    * Sub-environments share every attribute: ``get_attr``/``env_method`` return the shared value once per
      index, ``set_attr`` needs every index; ``env_is_wrapped`` is all False. Attributes the adapter does
      not hold (``world``, ``paths``, ``batch``, ``last_cash``, ``episode_seed``, ``n_skus``, ...) are read
      from the core, :attr:`env`.

    Arguments: ``scenario``, ``n_envs`` (the core's ``num_envs``), ``seed`` (root seed of the episodes),
    and the core's keyword arguments (``action``, ``overrides``, ``reward_scale``, ``observation``,
    ``engine``, ``engine_options``, ``info_costs``). :attr:`core` is the core's class (a subclass adapts
    another id: :class:`~restock.envs.network_catalog.NetworkCatalogVecEnv`).
    """

    core: type[CatalogVectorEnv] = CatalogVectorEnv
    """The Gymnasium ``VectorEnv`` class this adapts."""

    def __init__(self, scenario: Any = None, n_envs: int = 1024, seed: int = 0, **kwargs: Any) -> None:
        source = self.core.env_id
        if isinstance(n_envs, bool) or not (isinstance(n_envs, int | np.integer) and n_envs >= 1):
            raise InputError(f"{source}: n_envs must be an integer >= 1, got {n_envs!r}")
        self._next_root: int | None = _check_seed(seed, "seed", source)
        if "autoreset_mode" in kwargs or "num_envs" in kwargs:
            raise InputError(
                f"{source}: the SB3 VecEnv sets num_envs (from n_envs) and autoreset_mode itself"
            )
        self.env = self.core(
            num_envs=int(n_envs), scenario=scenario, autoreset_mode=AutoresetMode.SAME_STEP, **kwargs
        )
        self.render_mode: str | None = None
        self._actions: np.ndarray | None = None
        super().__init__(int(n_envs), self.env.single_observation_space, self.env.single_action_space)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "env":
            raise AttributeError(name)
        if "env" not in self.__dict__:  # during __init__
            raise AttributeError(name)
        return getattr(self.__dict__["env"], name)

    @property
    def info_costs(self) -> bool:
        return bool(self.env.info_costs)

    @info_costs.setter
    def info_costs(self, value: bool) -> None:
        self.env.info_costs = bool(value)

    # ---------------------------------------------------------------------------------------- episodes
    def reset(self) -> VecEnvObs:
        if self._seeds and self._seeds[0] is not None:
            self._next_root = int(self._seeds[0])
        self._reset_seeds()
        self._reset_options()
        obs, _ = self.env.reset(seed=self._next_root)
        self._next_root = None
        self.reset_infos = [{"episode_seed": self.env.episode_seed} for _ in range(self.num_envs)]
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
        self._actions = check_actions(actions, (self.num_envs, self.env.n_actions))

    def step_wait(self) -> VecEnvStepReturn:
        if self._actions is None:
            raise InputError(f"{self.env.env_id}: call reset() and step_async() before step_wait()")
        actions, self._actions = self._actions, None
        obs, rewards, terminated, truncated, info = self.env.step(actions)
        n = self.num_envs
        if self.env.info_costs:
            cash = self.env.last_cash
            infos: list[dict[str, Any]] = [{k: float(v[i]) for k, v in cash.items()} for i in range(n)]
        else:
            infos = [{} for _ in range(n)]
        dones = terminated | truncated
        if dones.any():
            final_obs = info["final_obs"]
            for i in np.flatnonzero(dones):
                infos[i]["terminal_observation"] = final_obs[i]
                infos[i]["TimeLimit.truncated"] = bool(truncated[i] and not terminated[i])
                self.reset_infos[i] = {"episode_seed": self.env.episode_seed}
        return obs, rewards, dones, infos

    def close(self) -> None:
        self.env.close()

    # ---------------------------------------------------------------------------------------- attributes
    def _indices(self, indices: VecEnvIndices) -> list[int]:
        idx = list(self._get_indices(indices))
        bad = [i for i in idx if not 0 <= int(i) < self.num_envs]
        if bad:
            raise InputError(f"{self.env.env_id}: indices must be in [0, {self.num_envs}), got {bad[:5]}")
        return [int(i) for i in idx]

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        """Sub-environments share every attribute: the VecEnv's own (or the core's), once per index."""
        value = getattr(self, attr_name)
        return [value for _ in self._indices(indices)]

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        """Set a shared attribute (on the core unless the adapter holds it); ``indices`` must cover all."""
        idx = self._indices(indices)
        if len(set(idx)) != self.num_envs:
            raise InputError(
                f"{self.env.env_id}: sub-environments share attribute {attr_name!r}; set_attr needs every "
                f"index, got {len(set(idx))} of {self.num_envs}"
            )
        holder = self if attr_name in self.__dict__ or hasattr(type(self), attr_name) else self.env
        setattr(holder, attr_name, value)

    def env_method(
        self, method_name: str, *method_args: Any, indices: VecEnvIndices = None, **method_kwargs: Any
    ) -> list[Any]:
        """Call a shared method once and return its result for every index."""
        idx = self._indices(indices)
        result = getattr(self, method_name)(*method_args, **method_kwargs)
        return [result for _ in idx]

    def env_is_wrapped(self, wrapper_class: type[gym.Wrapper], indices: VecEnvIndices = None) -> list[bool]:  # type: ignore[type-arg]
        """Sub-environments are arrays, never wrapped Gymnasium envs."""
        return [False for _ in self._indices(indices)]

    def get_images(self) -> Sequence[np.ndarray | None]:
        return [None for _ in range(self.num_envs)]


def make_catalog_vec_env(
    scenario: Any = None, n_envs: int = 1024, seed: int = 0, **kwargs: Any
) -> CatalogVecEnv:
    """``Restock/Catalog-v0`` as an SB3 ``VecEnv`` (:class:`CatalogVecEnv`); Gymnasium's is ``make_vec``."""
    return CatalogVecEnv(scenario=scenario, n_envs=n_envs, seed=seed, **kwargs)
