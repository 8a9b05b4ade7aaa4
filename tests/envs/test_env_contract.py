"""Contract checks over every registered Restock env and every built-in scenario it supports."""

from __future__ import annotations

import warnings
from typing import Any

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env
from gymnasium.vector import AutoresetMode, VectorEnv
from shared_data import data_overrides, reads_data
from stable_baselines3.common.env_checker import check_env as sb3_check_env
from stable_baselines3.common.vec_env import VecEnv

import restock.envs  # noqa: F401  (registers the ids)
from restock.envs import (
    CATALOG_ID,
    ENV_IDS,
    NETWORK_CATALOG_ID,
    NETWORK_ID,
    SINGLE_SKU_ID,
    VEC_ENV_IDS,
    make,
)
from restock.envs.network import DEFAULT_SCENARIO
from restock.errors import InputError
from restock.scenarios import list_builtin, load
from restock.scenarios.loader import read_raw

PER_REVIEW_SHOCKS = {"demand_curve", "price_change", "launch"}


def _cases() -> list[Any]:
    """(env id, scenario) for every id and every built-in scenario it supports.

    Scenarios with exact, review-independent forecasts build an episode in milliseconds (the table is built
    once per process). Marked slow: data replays (a fitted forecaster at every reset: seconds) and shocks
    that make the exact table change by review (seasonal curves, price changes, launches: seconds to build
    once), so that the default test set stays fast; ``make test-all`` runs them. A data replay is read, not
    loaded, here: it is validated against its files, which a clone without the team's data lacks
    (``needs_data``).
    """
    cases: list[Any] = [(NETWORK_ID, None), (NETWORK_CATALOG_ID, None)]
    for name in list_builtin():
        if reads_data(name):
            raw_nodes = read_raw(name)[0]["nodes"]
            nodes, sources = len(raw_nodes), sum(1 + len(n.get("extra_sources", [])) for n in raw_nodes)
            marks = [pytest.mark.slow, pytest.mark.needs_data]
        else:
            scenario = load(name)
            nodes, sources = len(scenario.nodes), sum(1 + len(n.extra_sources) for n in scenario.nodes)
            per_review = any(sh.kind in PER_REVIEW_SHOCKS for sh in scenario.shocks)
            marks = [] if scenario.forecast.model == "true" and not per_review else [pytest.mark.slow]
        ids = [SINGLE_SKU_ID, CATALOG_ID] if nodes == 1 else [NETWORK_ID, NETWORK_CATALOG_ID]
        if sources > nodes:  # extra vendors: only the vector envs take one action per source
            ids = [i for i in ids if i in VEC_ENV_IDS]
        cases += [pytest.param(env_id, name, marks=marks, id=f"{env_id}-{name}") for env_id in ids]
    return cases


CASES = _cases()


def _id(case: Any) -> str:
    return str(case.values[0] if hasattr(case, "marks") else case[0])


def _pairs(vec: bool) -> list[Any]:
    return [c for c in CASES if (_id(c) in VEC_ENV_IDS) == vec]


def test_every_registered_restock_id_is_covered() -> None:
    registered = {k for k in gymnasium.registry if k.startswith("Restock/")}
    assert registered == set(ENV_IDS)
    assert registered == {_id(c) for c in CASES}


def _kwargs(scenario: Any) -> dict[str, Any]:
    if scenario is None:
        return {}
    overrides = data_overrides(scenario)  # a data replay reads the test data folder
    return {"scenario": load(scenario, list(overrides)) if overrides else scenario}


def _nodes(scenario: Any) -> int:
    """The nodes of ``scenario`` (None: the network ids' default)."""
    return len(load(DEFAULT_SCENARIO if scenario is None else scenario).nodes)


def _sources(scenario: Any) -> int:
    """The sources over all nodes of ``scenario``: the vector envs' actions (one per source)."""
    return sum(
        1 + len(n.extra_sources) for n in load(DEFAULT_SCENARIO if scenario is None else scenario).nodes
    )


@pytest.mark.parametrize(("env_id", "scenario"), _pairs(vec=False))
def test_gymnasium_and_sb3_checkers_pass(env_id: str, scenario: Any) -> None:
    env = gymnasium.make(env_id, **_kwargs(scenario))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a checker warning is a failure
        gym_check_env(env.unwrapped)
        sb3_check_env(env.unwrapped, warn=True)
    action_space = env.action_space
    assert isinstance(action_space, gymnasium.spaces.Box)
    assert np.all(action_space.low == -1) and np.all(action_space.high == 1)


@pytest.mark.parametrize(("env_id", "scenario"), _pairs(vec=False))
def test_same_seed_same_rollout_and_truncated_at_the_horizon(env_id: str, scenario: Any) -> None:
    n_reviews = 0

    def rollout(seed: int) -> tuple[list[np.ndarray], list[float], list[bool]]:
        nonlocal n_reviews
        env = gymnasium.make(env_id, **_kwargs(scenario))
        n_reviews = len(env.unwrapped.world.review_periods())  # type: ignore[attr-defined]
        obs, _ = env.reset(seed=seed)
        env.action_space.seed(seed)
        observations, rewards, truncs = [obs], [], []
        while True:
            obs, r, term, trunc, _ = env.step(env.action_space.sample())
            assert term is False
            observations.append(obs)
            rewards.append(float(r))
            truncs.append(bool(trunc))
            if trunc:
                return observations, rewards, truncs

    a, b, c = rollout(7), rollout(7), rollout(8)
    for x, y in zip(a[0], b[0], strict=True):
        np.testing.assert_array_equal(x, y)
    assert a[1] == b[1]
    assert a[1] != c[1]
    assert a[2] == [False] * (n_reviews - 1) + [True]  # one step per review, truncated at the horizon
    assert n_reviews > 1


@pytest.mark.parametrize(("env_id", "scenario"), _pairs(vec=True))
def test_vec_env_contract(env_id: str, scenario: Any) -> None:
    vec = make(env_id, n_envs=45, seed=3, **_kwargs(scenario))
    assert isinstance(vec, VecEnv) and vec.num_envs == 45 and vec.render_mode is None
    m = _sources(scenario)
    assert vec.action_space.shape == (m,) and (_nodes(scenario) == 1) == (env_id == CATALOG_ID)
    obs = vec.reset()
    assert isinstance(obs, np.ndarray)
    assert obs.shape == (45, vec.observation_space.shape[0]) and obs.dtype == np.float32  # type: ignore[index]
    assert all(vec.observation_space.contains(o) for o in obs)
    n_reviews = len(vec.get_attr("world")[0].review_periods())
    for step in range(n_reviews):
        obs_step, rewards, dones, infos = vec.step(np.zeros((45, m), dtype=np.float32))
        assert isinstance(obs_step, np.ndarray)
        obs = obs_step
        assert rewards.shape == (45,) and dones.shape == (45,) and len(infos) == 45
        last = step == n_reviews - 1
        assert dones.all() == last and dones.any() == last
    assert all(info["TimeLimit.truncated"] is True for info in infos)
    assert all(vec.observation_space.contains(info["terminal_observation"]) for info in infos)
    assert infos[0]["terminal_observation"][-1] == 0.0  # horizon_left
    assert obs[0, -1] == 1.0  # auto-reset: the first observation of the next episode
    assert vec.env_is_wrapped(gymnasium.Wrapper) == [False] * 45
    vec.close()


@pytest.mark.parametrize(("env_id", "scenario"), _pairs(vec=True))
def test_make_vec_gives_a_gymnasium_vector_env_with_next_step_autoreset(env_id: str, scenario: Any) -> None:
    n, m, n_act = 45, _nodes(scenario), _sources(scenario)
    vec = gymnasium.make_vec(env_id, num_envs=n, **_kwargs(scenario))
    assert isinstance(vec, VectorEnv) and vec.num_envs == n and vec.spec is not None and vec.spec.id == env_id
    assert vec.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP
    single_obs, single_act = vec.single_observation_space, vec.single_action_space
    assert isinstance(single_obs, gymnasium.spaces.Box) and single_obs.dtype == np.float32
    assert isinstance(single_act, gymnasium.spaces.Box) and single_act.shape == (n_act,)  # one per source
    assert (m == 1) == (env_id == CATALOG_ID)
    assert np.all(single_act.low == -1) and np.all(single_act.high == 1)
    assert vec.observation_space.shape == (n, *single_obs.shape)
    assert single_obs.shape == (m * 30,)
    assert vec.action_space.shape == (n, n_act)

    def actions(seed: int) -> Any:
        rng = np.random.default_rng(seed)
        while True:
            yield rng.uniform(-1, 1, size=(n, n_act)).astype(np.float32)

    def episode(env: Any, seed: int) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
        obs, info = env.reset(seed=seed)
        assert obs.shape == (n, single_obs.shape[0]) and obs.dtype == np.float32
        assert vec.observation_space.contains(obs) and info["_episode_seed"].all()
        observations, rewards, truncs = [obs], [], []
        for a in actions(seed):
            assert env.action_space.contains(a)
            obs, r, term, trunc, _ = env.step(a)
            assert r.shape == term.shape == trunc.shape == (n,) and not term.any()
            assert trunc.all() == trunc.any()  # the sub-environments share the horizon
            observations.append(obs)
            rewards.append(r)
            truncs.append(trunc)
            if trunc.all():
                break
        return observations, rewards, truncs

    obs_a, rew_a, trunc_a = episode(vec, 3)
    n_reviews = len(vec.unwrapped.world.review_periods())  # type: ignore[attr-defined]
    assert len(rew_a) == n_reviews > 1 and not any(t.any() for t in trunc_a[:-1])
    assert np.all(obs_a[-1][:, -1] == 0.0)  # the observation after the last period (horizon_left 0)
    first_seed = vec.unwrapped.episode_seed  # type: ignore[attr-defined]
    # Next-step autoreset: the next step ignores its actions and starts the next episode.
    obs, r, term, trunc, info = vec.step(np.ones((n, n_act), dtype=np.float32))
    assert np.all(r == 0) and not term.any() and not trunc.any() and np.all(obs[:, -1] == 1.0)
    assert info["episode_seed"][0] == vec.unwrapped.episode_seed != first_seed  # type: ignore[attr-defined]
    # The same seed gives the same episode, another seed another one.
    other = gymnasium.make_vec(env_id, num_envs=n, **_kwargs(scenario))
    obs_b, rew_b, _ = episode(other, 3)
    for x, y in zip(obs_a + rew_a, obs_b + rew_b, strict=True):
        np.testing.assert_array_equal(x, y)
    _, rew_c, _ = episode(other, 4)
    assert not np.array_equal(np.stack(rew_a), np.stack(rew_c))
    # The SB3 VecEnv of the same id and seed steps identically.
    sb3 = make(env_id, n_envs=n, seed=3, **_kwargs(scenario))
    np.testing.assert_array_equal(sb3.reset(), obs_a[0])
    for t, a in zip(range(n_reviews), actions(3), strict=False):
        obs_s, rew_s, dones, _ = sb3.step(a)
        np.testing.assert_array_equal(rew_s, rew_a[t])
        if t < n_reviews - 1:
            np.testing.assert_array_equal(obs_s, obs_a[t + 1])
    assert dones.all()
    vec.close()
    with pytest.raises(InputError, match="make_vec"):
        gymnasium.make(env_id, **_kwargs(scenario))
