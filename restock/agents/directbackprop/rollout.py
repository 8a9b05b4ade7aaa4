"""Rollouts of a policy network on the batch engine: differentiable (training) or not (evaluation).

An :class:`Episode` is a scenario draw (world, paths, forecast table) with its
:class:`~restock.envs.observer.Observer` (the env's observation of the scenario's world) and
:class:`TorchObserver`. A training episode keeps only the
first ``periods`` periods of its paths (:func:`window`): the engine runs on the cut world and paths, while
the observations are still those of the whole scenario (``horizon_left`` reads the full horizon), so a
network sees in training exactly what it sees when it is evaluated or acts in an env.

The engine here is the batch engine (:func:`~restock.simulator.batch.batch_engine`: the single-node fast
path, or the network engine for a network) unchanged: ``grad=True`` keeps the graph from every order to
every period's cash flows, and the observer keeps the graph from the state back to the orders, so
``loss.backward()`` differentiates total profit with respect to the network's parameters through the whole
rollout (the state dependence included: pathwise gradients, Madeka et al. 2022), in a network through the
transfers, rationing and queues of every node.

In a network of M nodes a decision point is a (path, SKU) of the whole network: the policy sees every
node's observation and orders for every node; the reward is the network's (summed over nodes), scaled as
Network-v0 scales it (p_ref x the forecast scale of the network's customer demand).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from restock.agents.directbackprop.features import TorchObserver
from restock.agents.directbackprop.network import PolicyNetwork
from restock.envs.core import build_episode, numpy_state
from restock.envs.features import ObservationConfig
from restock.envs.observer import Observer, network_observers, network_reward_divisor
from restock.errors import InputError
from restock.scenarios.forecast import ScenarioForecast
from restock.simulator.batch import batch_engine
from restock.simulator.engines import rollout as run_engine
from restock.simulator.paths import ExogenousPaths
from restock.simulator.policy import ReviewState
from restock.simulator.world import World


@dataclass
class Episode:
    """One scenario draw over P paths, observed as the envs observe it (every node)."""

    world: World
    """The world the engine simulates (the scenario's, cut to the episode's periods)."""
    paths: ExogenousPaths
    """The paths the engine simulates (cut like ``world``)."""
    forecasts: ScenarioForecast
    observers: list[Observer]
    """What the buyer knows at each node, in the scenario's (uncut) world (``horizon_left`` reads the
    whole horizon)."""
    torch_observers: list[TorchObserver]
    """The same observations as a torch function of the state (gradients flow through them)."""
    reward_div: np.ndarray
    """The env's per-point reward scale [B] (:func:`restock.envs.observer.network_reward_divisor`: a
    network's is p_ref x the summed scale of its customer-facing nodes)."""

    @property
    def observer(self) -> Observer:
        """The first node's observer (the only one for a single node; its sizes are every node's)."""
        return self.observers[0]

    @property
    def torch_observer(self) -> TorchObserver:
        return self.torch_observers[0]

    @property
    def n_nodes(self) -> int:
        return len(self.observers)

    def scales(self) -> torch.Tensor:
        """Forecast scales [B] (one node) or [B, M] (a network)."""
        if self.n_nodes == 1:
            return self.torch_observer.scale
        return torch.stack([o.scale for o in self.torch_observers], dim=1)

    def observe(self, state: ReviewState) -> torch.Tensor:
        """The policy's input [B, F] (one node) or [B, M F] (a network, node after node)."""
        if self.n_nodes == 1:
            return self.torch_observer.observe(state)
        return torch.cat([o.observe(state) for o in self.torch_observers], dim=1)


def make_episode(
    scenario: Any,
    seed: int,
    n_paths: int,
    obs_config: ObservationConfig,
    device: str | torch.device,
    *,
    periods: int | None = None,
) -> Episode:
    """The draw ``build_world(scenario, seed, n_paths)``, its first ``periods`` periods (default: all)."""
    world, paths, fc = build_episode(scenario, seed, n_paths)
    cut_world, cut_paths = window(world, paths, world.horizon if periods is None else periods)
    observers = network_observers(world, paths.price, fc, obs_config)
    return Episode(
        cut_world,
        cut_paths,
        fc,
        observers,
        [TorchObserver(o, device=device) for o in observers],
        network_reward_divisor(observers, None),
    )


def expedited_columns(world: World, obs_config: ObservationConfig) -> tuple[int, ...]:
    """Per extra vendor of a single node, the leading state columns of the observation (net inventory,
    then pipeline buckets of one review period each) that make its expedited position: the net inventory
    and the buckets due within the vendor's (mean, rounded) lead time; () where no node has extra
    vendors. Extra vendors on a network of several nodes are an InputError (not supported yet)."""
    net = world.network
    extra = [v for node in net.nodes for v in node.extra_sources]
    if not extra:
        return ()
    if len(net.nodes) > 1:
        raise InputError("directbackprop: extra vendors (extra_sources) are supported on a single node only")
    r = world.review_period
    return tuple(
        min(1 + round(net.vendor(v).lead_time.expected()) // r, 1 + obs_config.n_pipeline_buckets)
        for v in extra
    )


def window(world: World, paths: ExogenousPaths, periods: int) -> tuple[World, ExogenousPaths]:
    """The world and paths of the first ``periods`` periods (unchanged if the horizon is not longer)."""
    if periods >= world.horizon:
        return world, paths
    return world.first_periods(periods), paths.first_periods(periods)


@dataclass
class RolloutResult:
    """Flows of a rollout from period ``skip`` on, per decision point [B] (path-major, as the Observer)."""

    totals: dict[str, torch.Tensor]
    """reward, holding_cost, penalty_cost, ... summed over the counted periods, [B]."""
    periods: int
    """Number of counted periods."""


def rollout(
    net: PolicyNetwork,
    episode: Episode,
    *,
    periods: int | None = None,
    skip: int = 0,
    grad: bool,
    dtype: torch.dtype = torch.float64,
    keys: tuple[str, ...] = ("reward",),
    collect_obs: list[torch.Tensor] | None = None,
    round_orders: bool = False,
) -> RolloutResult:
    """Simulate ``periods`` periods (default: the horizon) with ``net`` ordering at every review.

    Flows of reviews in periods >= ``skip`` are counted (a review block counts whole). With ``grad`` the
    totals carry the autograd graph to the network's parameters. ``collect_obs`` receives the (detached)
    observations of every review. ``round_orders`` rounds every order to whole units (evaluation only:
    rounding has no useful gradient).
    """
    horizon = episode.world.horizon if periods is None else min(periods, episode.world.horizon)
    world, paths = window(episode.world, episode.paths, horizon)  # (a no-op for a cut training episode)
    device = episode.torch_observer.device
    engine = batch_engine(world, paths, record=False, grad=grad, device=device, dtype=dtype)
    scale = episode.scales()
    b, arcs = episode.observer, len(world.network.arcs())

    def decide(state: ReviewState) -> torch.Tensor:
        obs = episode.observe(state)
        if collect_obs is not None:
            collect_obs.append(obs.detach())
        capacity = episode.torch_observer.capacity(state.t) if net.price is not None else None
        orders = net(obs, scale, capacity).to(dtype)
        if round_orders:
            orders = torch.round(orders)
        return orders.reshape(b.n_paths, b.n_skus, arcs).permute(0, 2, 1)  # [P, A, N]

    with torch.enable_grad() if grad else torch.no_grad():
        out = run_engine(engine, decide, count_from=skip, keys=keys)
        zero = torch.zeros(b.size, dtype=dtype, device=device)
        totals = {k: out.totals[k].sum(1).reshape(b.size) if k in out.totals else zero for k in keys}
    return RolloutResult(totals=totals, periods=out.periods)


def expedited_newsvendor_level(episode: Episode) -> np.ndarray:
    """[B, E] per extra vendor of a single node, its newsvendor level in units at the first review: the
    critical-fractile quantile of demand over the vendor's expected lead time + R (the regular
    newsvendor's fractile; the periods kept inside the table's cover)."""
    (b,) = episode.observers
    world = episode.world
    net = world.network
    t = world.review_periods()[0]
    tau = b.critical_fractile(t).reshape(b.n_paths, b.n_skus)[0]  # per SKU
    cover = b.forecast_cover
    out = []
    for v in net.nodes[0].extra_sources:
        periods = float(
            np.clip(net.vendor(v).lead_time.expected() + world.review_period, cover[0], cover[-1])
        )
        out.append(b.demand_quantiles(t, periods, tau))
    return np.stack(out, axis=1)


def newsvendor_level(episode: Episode) -> np.ndarray:
    """The newsvendor's (critical-fractile) order-up-to level [B, M] in units at the first review, per
    node (a warehouse's on the demand of the nodes it feeds, over its own lead time)."""
    engine = batch_engine(episode.world, episode.paths, record=False)
    state = numpy_state(engine.reset())
    levels = []
    for b in episode.observers:
        position = b.position(state)
        levels.append(np.maximum(b.newsvendor_levels(state.t) - position, 0.0) + position)
    return np.stack(levels, axis=1)
