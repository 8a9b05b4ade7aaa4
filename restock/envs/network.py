"""``Restock/Network-v0``: a warehouse feeding fulfillment centers on the SimPy engine, an action per node."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from restock.envs.actions import ActionConfig, ActionMap, action_config, check_actions, network_orders
from restock.envs.core import (
    CASH_KEYS,
    UNIT_KEYS,
    build_episode,
    load_scenario,
    numpy_state,
    observation_bounds,
    reset_episode,
    resolve_sku,
    restrict_world,
    scenario_name,
    to_numpy,
    with_carry,
)
from restock.envs.features import ObservationConfig
from restock.envs.forecasts import restrict
from restock.envs.observer import (
    network_feature_names,
    network_observation,
    network_observers,
    network_reward_divisor,
)
from restock.errors import InputError
from restock.scenarios.forecast import ScenarioForecast
from restock.simulator.engines import engine_class
from restock.simulator.paths import ExogenousPaths
from restock.simulator.policy import ReviewState
from restock.simulator.world import World

DEFAULT_SCENARIO = "warehouse-3fc"
"""The built-in scenario Network-v0 runs without ``scenario=``: a warehouse feeding three fulfillment
centers (``restock/scenarios/builtin/warehouse-3fc.toml``)."""


class NetworkEnv(gym.Env[np.ndarray, np.ndarray]):
    """Buy and distribute one SKU across a warehouse and its fulfillment centers, on the SimPy engine.

    ## Description

    One SKU over a network of M nodes (by default the built-in scenario ``warehouse-3fc``: a warehouse
    ``dc`` fed by a vendor, feeding fulfillment centers ``fc1..fc3`` that face customers). At every review the
    agent sets one order per node: the warehouse's goes to the vendor, each FC's is a transfer request to
    the warehouse (which rations when it cannot fill them all, see the des engine). One step is one review
    period.

    ## Order of events (each period t)

    1. Shipments and transfers due in t arrive.
    2. At a review, the orders from the action are placed (vendor: capacity cut, fill rate, lead time;
       transfers: shipped from the warehouse's on-hand, arriving after the transfer lead time).
    3. Customer demand at the FCs is served from their on-hand; the rest is lost (or backordered).
    4. Revenue and costs of every node are booked.

    ## Action space

    ``Box(-1, 1, shape=(M,), float32)``: entry m is node m's action (``world.network.nodes`` order), mapped
    exactly as in SingleSKU-v0 with that node's forecast scale and inventory position
    (:mod:`restock.envs.actions`; the warehouse's forecast is the demand of the nodes it feeds). NaN, inf,
    out-of-range values or another shape raise :class:`~restock.errors.InputError`.

    ## Observation space

    ``Box(float32, shape=(M * F,))``: node m's SingleSKU-v0 features (F = 30 by default, see
    :mod:`restock.envs.features`) at positions m*F .. (m+1)*F - 1, each node scaled by its own forecast
    scale; its lead-time features describe its own replenishment (vendor or transfer).

    ## Rewards

    The network's profit over the review period (revenue + salvage - purchase - holding - penalty - fixed
    order costs, summed over nodes) divided by ``reward_scale``, by default p_ref x s_net with s_net the
    forecast scale of the whole network's customer demand (the sum over customer-facing nodes).

    ## Starting state, episode end, info

    As SingleSKU-v0: ``reset(seed=...)`` draws one path of the scenario from the env's generator (or
    ``options={"episode_seed", "n_paths", "path"}``); truncated (never terminated) at the horizon. The
    observation returned with ``truncated`` is rolled forward from the last review (the engine reports no
    state there); a warehouse's on-hand in it ignores transfers shipped after that review. ``info``
    holds per-step unscaled cash components and unit totals summed over nodes, and ``orders`` (units per
    node).

    ## Arguments

    ``scenario`` (None: :data:`DEFAULT_SCENARIO`; or a scenario name/object with a multi-node network),
    ``sku``, ``action`` (an :class:`~restock.envs.actions.ActionConfig`), ``overrides``, ``reward_scale``,
    ``observation``, ``engine`` (``"des"``): as SingleSKU-v0.

    ## Version History

    * v0: initial version. The action settings are one ``action`` argument (formerly the keywords
      ``action_mode``, ``max_cover``, ``max_multiple``, ``tau_min``, ``tau_max``).
    """

    metadata: dict[str, Any] = {"render_modes": []}  # noqa: RUF012 (Gymnasium's convention)

    def __init__(
        self,
        scenario: Any = None,
        sku: int | str = 0,
        action: ActionConfig | None = None,
        overrides: Any = None,
        reward_scale: float | None = None,
        observation: ObservationConfig | None = None,
        engine: str | type = "des",
        render_mode: str | None = None,
    ) -> None:
        if render_mode is not None:
            raise InputError(f"render_mode: Network-v0 does not render, got {render_mode!r}")
        self.render_mode = render_mode
        self.scenario = load_scenario(DEFAULT_SCENARIO if scenario is None else scenario, overrides)
        self.obs_config = observation or ObservationConfig()
        self.action_config = action_config(action, source="Restock/Network-v0")
        self.reward_scale = reward_scale
        self._engine_cls: Any = engine_class(engine)
        source = f"Restock/Network-v0 (scenario {scenario_name(self.scenario)!r})"
        world, paths, fc = build_episode(self.scenario, 0, 1)
        self.n_nodes = len(world.network.nodes)
        if self.n_nodes < 2:
            raise InputError(
                f"{source}: Network-v0 needs a network of >= 2 nodes, the scenario has {self.n_nodes}"
            )
        if len(world.network.arcs()) > self.n_nodes:
            raise InputError(
                f"{source}: Network-v0 orders from one source per node; nodes with extra vendors "
                f"{[n.name for n in world.network.nodes if n.extra_sources]} (use Restock/NetworkCatalog-v0: "
                "one action per source)"
            )
        self.node_names = [n.name for n in world.network.nodes]
        self.sku_index = resolve_sku(world, sku, source=source)
        self._setup(world, paths, fc, 0)
        low, high = observation_bounds(self.obs_config)
        self.observation_space = spaces.Box(
            np.tile(low, self.n_nodes), np.tile(high, self.n_nodes), dtype=np.float32
        )
        self.action_space = spaces.Box(-1.0, 1.0, shape=(self.n_nodes,), dtype=np.float32)
        self.feature_names = network_feature_names(world, self.obs_config)

    def _setup(
        self, world: World, paths: ExogenousPaths, fc: ScenarioForecast, seed: int, path: int = 0
    ) -> None:
        j = np.array([self.sku_index])
        self.world = restrict_world(world, self.sku_index)
        self.paths = paths.path(path).skus(j)
        fc1 = restrict(fc, self.sku_index, path)
        self.observers = network_observers(self.world, self.paths.price, fc1, self.obs_config)
        self.actions = [ActionMap(self.action_config, o) for o in self.observers]
        self.reward_div = float(network_reward_divisor(self.observers, self.reward_scale)[0])
        self.episode_seed = seed
        self._state: ReviewState | None = None

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        world, paths, fc, ep_seed, path = reset_episode(self.scenario, options, self.np_random)
        self._setup(world, paths, fc, ep_seed, path)
        self._engine = self._engine_cls(self.world, self.paths, record=False)
        self._state = numpy_state(self._engine.reset())
        self._carry = self._engine.initial_totals
        return self._get_obs(), self._get_info()

    def _get_obs(self) -> np.ndarray:
        assert self._state is not None
        return network_observation(self.observers, self._state)[0]

    def _get_info(self) -> dict[str, Any]:
        assert self._state is not None
        return {
            "t": int(self._state.t),
            "on_hand": {name: float(self._state.on_hand[0, m, 0]) for m, name in enumerate(self.node_names)},
            "episode_seed": self.episode_seed,
        }

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        if self._state is None:
            raise InputError(
                "Network-v0: call reset() before step() (and again after the episode was truncated)"
            )
        a = check_actions(action, (self.n_nodes,))
        state = self._state
        q = network_orders(self.actions, a[None, :], state)[:, 0]
        orders = q.reshape(1, self.n_nodes, 1)
        nxt, out = self._engine.step(orders)
        out, self._carry = with_carry(out, self._carry), None
        profit = float(to_numpy(out["reward"]).sum())
        step_info: dict[str, Any] = {"orders": dict(zip(self.node_names, q.tolist(), strict=True))}
        for key in (*CASH_KEYS, *UNIT_KEYS):
            if key in out:
                step_info[key] = float(to_numpy(out[key]).sum())
        truncated = nxt.terminal
        if truncated:
            end = numpy_state(nxt)
            obs = network_observation(self.observers, end)[0]
            self._state = None
            info = {"t": int(end.t), "episode_seed": self.episode_seed}
        else:
            self._state = numpy_state(nxt)
            obs, info = self._get_obs(), self._get_info()
        info.update(step_info)
        return obs, profit / self.reward_div, False, truncated, info

    def render(self) -> None:
        return None
