"""``Restock/SingleSKU-v0``: one SKU at one node on the SimPy (des) engine, one review period per step."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from restock.envs.actions import ActionConfig, ActionMap, action_config, check_actions
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
    with_carry,
)
from restock.envs.features import ObservationConfig, feature_names
from restock.envs.forecasts import restrict
from restock.envs.observer import Observer, reward_divisor
from restock.errors import InputError
from restock.simulator.engines import engine_class
from restock.simulator.policy import ReviewState

_INFO_KEYS = (*CASH_KEYS, *UNIT_KEYS)


class SingleSkuEnv(gym.Env[np.ndarray, np.ndarray]):
    """Buy one SKU for one store, week after week, on the reference (SimPy) simulator.

    ## Description

    One SKU at the single customer-facing node of a scenario, fed by a vendor with (possibly random) lead
    times, fill rates and capacity. Every step is one review period (a week of daily events by default):
    the agent's action sets the order placed at the review, then the des engine simulates every period up
    to the next review. Forecasts are read from the scenario's forecast table (the env never calls a model).

    ## Order of events (each period t; the env steps from one review to the next)

    1. Shipments due in t arrive and become on-hand.
    2. If t is a review: the order from the action is placed; the vendor accepts min(q, capacity[t]) and
       will deliver the fill-rate share at the start of t + lead_time[t] (lead time 0: now, before demand).
    3. Demand of t arrives; sales = min(demand, on-hand); the rest is lost (or backordered).
    4. Revenue and costs of t are booked (salvage of the stock left at the end of the last period).

    ## Action space

    ``Box(-1, 1, shape=(1,), float32)``, rescaled inside the env with u = (a + 1) / 2, s the forecast
    scale and IP the inventory position (see :mod:`restock.envs.actions`):

    ==================  ================================================================================
    action.mode         order placed
    ==================  ================================================================================
    order_up_to         (default) max(u * max_cover * s - IP, 0); max_cover defaults to 2 (E[L] + R) / R + 2
    quantity            u * max_multiple * s
    service_quantile    up to the tau-quantile of demand over E[L] + R minus IP, tau = tau_min + u (tau_max -
                        tau_min) (interpolated between the forecast's quantile levels)
    ==================  ================================================================================

    NaN, inf, values outside [-1, 1] or a shape other than (1,) raise :class:`~restock.errors.InputError`.

    ## Observation space

    ``Box(float32, shape=(F,))`` with F = 30 by default; units are divided by the forecast scale
    s = max(mean P50 weekly demand forecast at the first review, 1), money by p_ref = the price at the first
    review:

    ==================================  ======================================================  ============
    feature                             meaning                                                 scale
    ==================================  ======================================================  ============
    net_inventory                       on-hand - backlog after this review's arrivals          / s
    pipeline_b0..b3                     open orders due in the 1st .. 4th next review period    / s
                                        (the last bucket also holds everything later)
    forecast_h1..h4_q10/q50/q90         P10/P50/P90 of demand in each of the next 4 periods     / s
    cum_lt_q10/q50/q90                  P10/P50/P90 of demand over E[L] + R                     / s
    price, unit_cost                    this period's price, the unit cost                      / p_ref
    holding_cost, penalty               holding per unit over R periods, lost-sale penalty      / p_ref
    critical_fractile                   (p - c + b) / (p - c + b + h R)                         1
    lead_time_mean, lead_time_std       of the vendor's lead time                               / R
    week_sin, week_cos                  position in the year                                    1
    horizon_left                        (horizon - t) / horizon                                 1
    ==================================  ======================================================  ============

    ## Rewards

    The profit of the simulated periods (revenue + salvage - purchase - holding - penalty - fixed order
    cost) divided by ``reward_scale``, by default p_ref x s (the revenue of one review period of median
    demand). ``info`` holds every component unscaled.

    ## Starting state

    ``reset(seed=...)`` draws a scenario root seed from the env's generator and builds one exogenous path
    (demand, lead times, fill rates, prices) with ``build_world(scenario, seed, 1)``; the engine then
    simulates the periods before the first review.
    ``reset(options={"episode_seed": k, "n_paths": P, "path": i})`` replays path i of
    ``build_world(scenario, k, P)`` instead (common random numbers, parity with Catalog-v0).

    ## Episode end

    Truncated (never terminated) at the scenario's horizon, after the step that simulates its last period.

    ## Info

    After a step: ``order`` (units), ``target`` (the order-up-to level or, for ``quantity``, the order),
    ``tau`` (service_quantile), the unscaled ``revenue``, ``salvage``, ``purchase_cost``, ``holding_cost``,
    ``penalty_cost``, ``fixed_order_cost``, ``reward`` (= profit), the unit totals ``sales``, ``lost``,
    ``demand``, ``received``; and with ``compare_newsvendor=True`` ``newsvendor_reward`` (the profit of the
    critical-fractile newsvendor in a shadow engine on the same path) and ``saving_vs_newsvendor`` (the
    episode's profit so far minus the newsvendor's). Always: ``t``, ``on_hand``, ``inventory_position``,
    ``scale``, ``episode_seed``.

    ## Arguments

    * ``scenario``: a built-in scenario name or file (``restock.scenarios.load``), or a Scenario object.
    * ``sku``: index or name of the SKU in the scenario.
    * ``action``: an :class:`~restock.envs.actions.ActionConfig` (``mode``: ``order_up_to`` | ``quantity``
      | ``service_quantile``, and its parameters ``max_cover``, ``max_multiple``, ``tau_min``,
      ``tau_max``), or a mapping of its fields; None: the defaults (order_up_to).
    * ``overrides``: scenario overrides (dotted keys), with a scenario name.
    * ``reward_scale``: a constant reward divisor instead of p_ref x s.
    * ``compare_newsvendor``: run the newsvendor shadow engine and report the saving.
    * ``observation``: an :class:`~restock.envs.features.ObservationConfig`.
    * ``engine``: ``"des"`` (default) or ``"batch"`` (the same rules; used by the parity test).

    ## Version History

    * v0: initial version. The action settings are one ``action`` argument (formerly the keywords
      ``action_mode``, ``max_cover``, ``max_multiple``, ``tau_min``, ``tau_max``); the dynamics are
      unchanged.
    """

    metadata: dict[str, Any] = {"render_modes": []}  # noqa: RUF012 (Gymnasium's convention)

    def __init__(
        self,
        scenario: Any = "steady",
        sku: int | str = 0,
        action: ActionConfig | None = None,
        overrides: dict[str, Any] | None = None,
        reward_scale: float | None = None,
        compare_newsvendor: bool = False,
        observation: ObservationConfig | None = None,
        engine: str | type = "des",
        render_mode: str | None = None,
    ) -> None:
        if render_mode is not None:
            raise InputError(f"render_mode: SingleSKU-v0 does not render, got {render_mode!r}")
        self.render_mode = render_mode
        self.scenario = load_scenario(scenario, overrides)
        self.obs_config = observation or ObservationConfig()
        self.action_config = action_config(action, source="Restock/SingleSKU-v0")
        self.reward_scale = reward_scale
        self.compare_newsvendor = bool(compare_newsvendor)
        self._engine_cls: Any = engine_class(engine)
        source = f"Restock/SingleSKU-v0 (scenario {scenario_name(self.scenario)!r})"
        world, paths, fc = build_episode(self.scenario, 0, 1)  # a probe: names, shapes, checks
        if len(world.network.nodes) != 1:
            raise InputError(
                f"{source}: SingleSKU-v0 needs a one-node network, the scenario has "
                f"{len(world.network.nodes)} nodes (use Restock/Network-v0)"
            )
        if len(world.network.arcs()) > 1:
            raise InputError(
                f"{source}: SingleSKU-v0 orders from one source; the node also buys from "
                f"{list(world.network.nodes[0].extra_sources)} (use Restock/Catalog-v0: an action per source)"
            )
        self.sku_index = resolve_sku(world, sku, source=source)
        self.sku = world.skus[self.sku_index]
        self._setup(world, paths, fc, 0)  # validates the action config against the forecast levels
        low, high = observation_bounds(self.obs_config)
        self.observation_space = spaces.Box(low, high, dtype=np.float32)
        self.action_space = spaces.Box(-1.0, 1.0, shape=(1,), dtype=np.float32)
        self.feature_names = feature_names(self.obs_config)

    def _setup(self, world: Any, paths: Any, fc: Any, seed: int, path: int = 0) -> None:
        j = np.array([self.sku_index])
        self.world = restrict_world(world, self.sku_index)
        self.paths = paths.path(path).skus(j)
        fc1 = restrict(fc, self.sku_index, path)
        self.observer = Observer(self.world, self.paths.price, fc1, 0, self.obs_config)
        self.actions = ActionMap(self.action_config, self.observer)
        self.episode_seed = seed
        self._scale = float(self.observer.static.scale[0])
        self._reward_div = float(reward_divisor(self.observer, self.reward_scale)[0])
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
        self._profit = 0.0
        self._nv_profit = 0.0
        if self.compare_newsvendor:
            self._shadow = self._engine_cls(self.world, self.paths, record=False)
            self._shadow_state: ReviewState | None = numpy_state(self._shadow.reset())
            self._shadow_carry = getattr(self._shadow, "initial_totals", None)
        return self._get_obs(), self._get_info()

    def _get_obs(self) -> np.ndarray:
        assert self._state is not None
        return self.observer.observe(self._state)[0]

    def _get_info(self) -> dict[str, Any]:
        st = self._state
        assert st is not None
        on_hand = st.on_hand.item()
        return {
            "t": int(st.t),
            "on_hand": on_hand,
            "inventory_position": on_hand - st.backlog.item() + sum(st.pipeline.ravel().tolist()),
            "scale": self._scale,
            "episode_seed": self.episode_seed,
        }

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        if self._state is None:
            raise InputError(
                "SingleSKU-v0: call reset() before step() (and again after the episode was truncated)"
            )
        a = _checked_action(action)
        state = self._state
        q, target = self.actions.orders(a, state)
        orders = q.reshape(1, 1, 1)
        nxt, out = self._engine.step(orders)
        out, self._carry = with_carry(out, self._carry), None
        step_info: dict[str, Any] = {"order": float(q[0]), "target": float(target[0])}
        if self.action_config.mode == "service_quantile":
            lo, hi = self.actions.tau_range
            step_info["tau"] = float(lo + (a[0] + 1) * 0.5 * (hi - lo))
        for key in _INFO_KEYS:
            if key in out:
                step_info[key] = float(out[key].item())  # [1, 1, 1], numpy or torch
        profit = step_info["reward"]
        self._profit += profit
        if self.compare_newsvendor:
            assert self._shadow_state is not None
            shadow = self._shadow_state
            level = self.observer.newsvendor_levels(shadow.t)
            nv_q = np.maximum(level - self.observer.position(shadow), 0.0).reshape(1, 1, 1)
            shadow_next, nv_out = self._shadow.step(nv_q)
            nv_out, self._shadow_carry = with_carry(nv_out, self._shadow_carry), None
            self._shadow_state = numpy_state(shadow_next)
            nv_profit = float(nv_out["reward"].item())
            self._nv_profit += nv_profit
            step_info["newsvendor_reward"] = nv_profit
            step_info["saving_vs_newsvendor"] = self._profit - self._nv_profit
        reward = profit / self._reward_div
        truncated = nxt.terminal
        self._state = numpy_state(nxt)  # at the horizon: the engine's terminal state
        obs, info = self._get_obs(), self._get_info()
        info.update(step_info)
        if truncated:
            self._state = None  # stepping on needs a reset
        return obs, reward, False, truncated, info

    def render(self) -> None:
        return None


def _checked_action(action: Any) -> np.ndarray:
    """The action as a float64 array of shape (1,) (``check_actions``, with a fast path for the common
    case of a float array holding one value in [-1, 1]; anything else goes through the full check)."""
    if type(action) is np.ndarray and action.shape == (1,) and action.dtype.kind == "f":
        v = float(action[0])
        if -1.0 <= v <= 1.0:  # False for NaN
            return np.array([v])
    return check_actions(action, (1,))
