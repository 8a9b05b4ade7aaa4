"""What every Restock env shares: scenarios and episodes, states as numpy, the names of a step's cash and
unit totals, observation bounds.

Observing a node's decision points is :class:`restock.envs.observer.Observer`'s job, mapping actions to
orders :class:`restock.envs.actions.ActionMap`'s, scaling rewards
:func:`restock.envs.observer.reward_divisor`'s.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from restock.envs.features import (
    ObservationConfig,
)
from restock.envs.forecasts import CodeScenario
from restock.errors import InputError
from restock.scenarios.forecast import ScenarioForecast
from restock.scenarios.schema import Scenario
from restock.simulator.arrays import to_numpy
from restock.simulator.flows import MONEY_COLUMNS, UNIT_TOTALS
from restock.simulator.paths import ExogenousPaths
from restock.simulator.policy import ReviewState
from restock.simulator.world import World

CASH_KEYS: tuple[str, ...] = MONEY_COLUMNS
"""Money components an engine step reports (unscaled, currency units), summed over the simulated periods."""
UNIT_KEYS: tuple[str, ...] = UNIT_TOTALS
"""Unit totals an engine step reports over the simulated periods (received, demand, sales, lost)."""


def numpy_state(state: ReviewState) -> ReviewState:
    """``state`` with numpy arrays (the batch engine reports torch tensors)."""
    if isinstance(state.on_hand, np.ndarray) and isinstance(state.pipeline, np.ndarray):
        return state
    return replace(
        state,
        on_hand=to_numpy(state.on_hand),
        backlog=to_numpy(state.backlog),
        pipeline=to_numpy(state.pipeline),
        owed=None if state.owed is None else to_numpy(state.owed),
        owes=None if state.owes is None else to_numpy(state.owes),
    )


def restrict_world(world: World, sku_index: int) -> World:
    """The world of one SKU (:meth:`World.take_skus`: its economics, initial stock, order constraints and
    unit volume; network and timing unchanged)."""
    return world.take_skus([sku_index])


def resolve_sku(world: World, sku: int | str, *, source: str) -> int:
    """The index of ``sku`` (an index or a name) in the world, or an :class:`InputError`."""
    if isinstance(sku, str):
        if sku not in world.skus:
            raise InputError(f"{source}: unknown sku {sku!r}; known: {list(world.skus)[:10]}")
        return world.skus.index(sku)
    if not (isinstance(sku, int | np.integer) and 0 <= int(sku) < world.n_skus):
        raise InputError(f"{source}: sku index must be in [0, {world.n_skus}), got {sku!r}")
    return int(sku)


def load_scenario(scenario: Any, overrides: Any) -> Any:
    """A scenario object from a built-in name or file (:func:`restock.scenarios.load`), or as given.

    ``overrides``: a mapping ``{"dotted.key": value}`` or a sequence of ``"dotted.key=value"`` strings.
    """
    if isinstance(scenario, str):
        from restock import scenarios
        from restock.scenarios.overrides import Override

        if overrides is None:
            items: list[Any] = []
        elif isinstance(overrides, dict):
            items = [Override(str(k), v, f"{k}={v!r}") for k, v in overrides.items()]
        elif isinstance(overrides, list | tuple):
            items = list(overrides)
        else:
            raise InputError(
                f"overrides must be a mapping or a list of 'key=value' strings, got {overrides!r}"
            )
        return scenarios.load(scenario, items)
    if overrides:
        raise InputError(
            f"overrides {overrides!r} need a scenario name, got a {type(scenario).__name__} object"
        )
    if not isinstance(scenario, Scenario | CodeScenario):
        raise InputError(f"scenario must be a name or a Scenario, got {scenario!r}")
    return scenario


def scenario_name(scenario: Any) -> str:
    return str(getattr(scenario, "name", type(scenario).__name__))


def build_episode(scenario: Any, seed: int, n_paths: int) -> tuple[World, ExogenousPaths, ScenarioForecast]:
    """World, paths and forecast table of one episode (see :func:`restock.envs.forecasts.build_episode`)."""
    from restock.envs.forecasts import build_episode as build

    return build(scenario, seed, n_paths, source=f"scenario {scenario_name(scenario)!r}")


def episode_seed(rng: np.random.Generator) -> int:
    """A scenario root seed drawn from an env's generator."""
    return int(rng.integers(0, 2**31 - 1))


def reset_episode(
    scenario: Any, options: dict[str, Any] | None, rng: np.random.Generator
) -> tuple[World, ExogenousPaths, ScenarioForecast, int, int]:
    """The episode a single-path env's ``reset(options=...)`` draws: (world, paths, forecasts, episode
    seed, path). Options: ``episode_seed`` (default: drawn from ``rng``), ``n_paths`` (1) and ``path``
    (0, the path the env steps through); any other key is an :class:`InputError`."""
    opts = dict(options or {})
    unknown = set(opts) - {"episode_seed", "n_paths", "path"}
    if unknown:
        raise InputError(
            f"reset options: unknown key(s) {sorted(unknown)}; known: episode_seed, n_paths, path"
        )
    ep_seed = int(opts["episode_seed"]) if "episode_seed" in opts else episode_seed(rng)
    n_paths = int(opts.get("n_paths", 1))
    path = int(opts.get("path", 0))
    if not 0 <= path < n_paths:
        raise InputError(f"reset options: path must be in [0, n_paths={n_paths}), got {path!r}")
    world, paths, fc = build_episode(scenario, ep_seed, n_paths)
    return world, paths, fc, ep_seed, path


def observation_bounds(config: ObservationConfig) -> tuple[np.ndarray, np.ndarray]:
    """Finite (low, high) bounds of every feature, float32 (generous: scaled units stay far inside)."""
    from restock.envs.features import feature_names

    names = feature_names(config)
    big = 1e7
    low = np.zeros(len(names), dtype=np.float32)
    high = np.full(len(names), big, dtype=np.float32)
    for i, name in enumerate(names):
        if name == "net_inventory":
            low[i] = -big
        elif name in ("week_sin", "week_cos"):
            low[i], high[i] = -1.0, 1.0
        elif name in ("critical_fractile", "horizon_left"):
            high[i] = 1.0
    return low, high


def with_carry(out: dict[str, Any], carry: dict[str, Any] | None) -> dict[str, Any]:
    """Step totals plus the totals of the periods an engine simulated before the first review.

    The des engine keeps those in ``initial_totals``; adding them to the first step makes step rewards
    sum to the episode's profit, as the batch engine reports them.
    """
    if not carry:
        return out
    return {k: (v + carry[k] if k in carry else v) for k, v in out.items()}
