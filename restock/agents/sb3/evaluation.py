"""Domain KPIs of a policy on held-out paths, beside the newsvendor on the same paths (batch engine).

:func:`rollout` runs one decision rule through an episode of the batch engine exactly as the training
env (``Restock/Catalog-v0``, or ``Restock/NetworkCatalog-v0`` on a network) does (the same
:class:`~restock.envs.observer.Observer` and :class:`~restock.envs.actions.ActionMap` of every node, the
same order of events, the one engine adapter :func:`restock.agents.evaluate.engine_rule`) and keeps
per-review traces; :func:`kpis` reduces a trace (and the newsvendor's trace on the same paths) to the
numbers logged under ``eval/``. Pure functions of their inputs: the same paths give the same KPIs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from restock.agents.baselines.newsvendor import NewsvendorPolicy
from restock.agents.evaluate import engine_rule
from restock.agents.policy import NetworkPolicy, Policy
from restock.envs.actions import ActionConfig, ActionMap, network_actions, network_orders
from restock.envs.core import build_episode, numpy_state, to_numpy
from restock.envs.features import ObservationConfig
from restock.envs.observer import Observer, network_observation, network_observers
from restock.errors import InputError
from restock.forecasters.base import BAND_QUANTILES
from restock.simulator import kpis as kpi
from restock.simulator.engines import make_engine
from restock.simulator.engines import rollout as run_engine
from restock.simulator.flows import TOTAL_KEYS
from restock.simulator.paths import ExogenousPaths
from restock.simulator.policy import ReviewState
from restock.simulator.topology import layout
from restock.simulator.world import World


@dataclass(frozen=True)
class EvalView:
    """A held-out episode as the training env sees it: what the engine runs (world, paths), what a policy
    sees (one observer per node) and how its actions become orders (one action map per node)."""

    world: World
    paths: ExogenousPaths
    observers: tuple[Observer, ...]
    """Node m's observer at position m (``world.network.nodes`` order)."""
    action_maps: tuple[ActionMap, ...]
    """Node m's actions -> orders at position m."""

    @property
    def n_nodes(self) -> int:
        return len(self.observers)

    @property
    def n_actions(self) -> int:
        """Actions per decision point: one per source of every node."""
        return network_actions(self.action_maps)

    @property
    def observer(self) -> Observer:
        """The observer of a one-node view (a network's: :attr:`observers`)."""
        return self._only(self.observers)

    @property
    def actions(self) -> ActionMap:
        """The action map of a one-node view (a network's: :attr:`action_maps`)."""
        return self._only(self.action_maps)

    def _only(self, items: tuple[Any, ...]) -> Any:
        if len(items) != 1:
            raise InputError(
                f"the view has {len(items)} nodes: use its observers and action_maps (one per node)"
            )
        return items[0]


Act = Callable[[Observer, ReviewState], np.ndarray]
"""A per-node decision rule: order quantities [B] (units) for the observer's decision points at a review
(the signature of :meth:`restock.agents.policy.Policy.act`: any policy's ``act`` is one)."""
Rule = Act | Policy | NetworkPolicy
"""What :func:`rollout` runs: a per-node :data:`Act`, a :class:`~restock.agents.policy.Policy` or a
:class:`~restock.agents.policy.NetworkPolicy` (every node at once, e.g. :func:`model_rule`'s)."""


@dataclass(frozen=True)
class Trace:
    """One episode of M nodes x B = P x N decision points, node-major: point ``m * B + i`` is node m,
    path ``i // N``, SKU ``i % N`` (one node: the B points). Per-review arrays are [R, M x B], totals
    [M x B]."""

    on_hand: np.ndarray
    """Units on hand at each review (after its arrivals, before its demand)."""
    orders: np.ndarray
    """Units ordered at each review."""
    demand: np.ndarray
    """Customer demand from each review up to the next (0 at nodes without customers)."""
    band: np.ndarray
    """[R, M x B, 3]: P10, P50, P90 forecast of the next review period's demand at the point's node (a
    warehouse's: of the nodes it feeds), issued at each review."""
    scale: np.ndarray
    """[M x B] forecast scale s (units of one review period of median demand at the point's node)."""
    totals: dict[str, np.ndarray]
    """Episode totals per point [M x B]: every step total (:data:`restock.simulator.flows.TOTAL_KEYS`)."""
    periods: int
    """Periods simulated (the horizon)."""
    n_paths: int
    n_skus: int
    node_names: tuple[str, ...] = ("",)
    """The nodes, in network order."""

    @property
    def n_nodes(self) -> int:
        return len(self.node_names)


@dataclass
class HeldOut:
    """The held-out episode a run is judged on: world, paths and forecasts of one scenario draw."""

    scenario: Any
    seed: int
    n_paths: int

    def __post_init__(self) -> None:
        self.world, self.paths, self.forecasts = build_episode(self.scenario, self.seed, self.n_paths)

    def view(self, obs_config: ObservationConfig, action_config: ActionConfig) -> EvalView:
        """The episode observed with ``obs_config`` and acted on with ``action_config`` at every node."""
        observers = network_observers(self.world, self.paths.price, self.forecasts, obs_config)
        maps = tuple(ActionMap(action_config, o) for o in observers)
        return EvalView(self.world, self.paths, tuple(observers), maps)


@dataclass
class _ActPolicy:
    """A per-node :data:`Act` as a :class:`~restock.agents.policy.Policy`."""

    act: Act
    name: str = "rule"


def _node_major(arr: np.ndarray) -> np.ndarray:
    """A [P, M, N] array as [M x P x N], node-major."""
    return np.ascontiguousarray(arr.transpose(1, 0, 2)).reshape(-1)


def rollout(view: EvalView, decide: Rule) -> Trace:
    """Run ``decide`` through one episode of the batch engine on ``view``'s paths."""
    world, observers = view.world, view.observers
    policy = decide if isinstance(decide, Policy | NetworkPolicy) else _ActPolicy(decide)
    rule_of = engine_rule(policy, observers)
    engine = make_engine("batch", world, view.paths, record=False)
    arcs = layout(world)
    on_hand, orders, demand, band = [], [], [], []
    pick = [int(np.argmin(np.abs(observers[0].levels - q))) for q in BAND_QUANTILES]

    def rule(state: ReviewState) -> np.ndarray:
        st = numpy_state(state)
        q = rule_of(st)
        on_hand.append(_node_major(st.on_hand))
        orders.append(_node_major(arcs.per_node(np.asarray(q))))  # a node's orders over its sources
        band.append(np.concatenate([o.forecast_rows(st.t)[0][:, 0, pick] for o in observers]))
        return q

    def trace(state: ReviewState, q: Any, flows: Any, nxt: ReviewState) -> None:
        demand.append(_node_major(to_numpy(flows["demand"])))

    out = run_engine(engine, rule, on_step=trace)
    totals = {k: _node_major(to_numpy(out.totals[k])) for k in TOTAL_KEYS}
    first = observers[0]
    return Trace(
        on_hand=np.stack(on_hand),
        orders=np.stack(orders),
        demand=np.stack(demand),
        band=np.stack(band),
        scale=np.concatenate([o.static.scale for o in observers]),
        totals=totals,
        periods=world.horizon,
        n_paths=first.n_paths,
        n_skus=first.n_skus,
        node_names=tuple(node.name for node in world.network.nodes),
    )


def model_orders(
    model: Any,
    observers: Sequence[Observer],
    maps: Sequence[ActionMap],
    state: ReviewState,
    *,
    deterministic: bool = True,
    name: str = "model",
) -> np.ndarray:
    """Orders [A, B] of a model with SB3's ``predict`` that observes every node (node-major features,
    :func:`~restock.envs.observer.network_observation`) and acts on every source of every node (actions
    [B, A], one per arc, mapped by its node's map in ``maps``), as the training env does. Observations or
    actions of another shape than the model's are an :class:`~restock.errors.InputError` naming
    ``name``."""
    obs = network_observation(observers, state)
    shape = getattr(getattr(model, "observation_space", None), "shape", None)
    if shape is not None and obs.shape[1:] != tuple(shape):
        raise InputError(
            f"policy {name!r} was trained on observations of shape {tuple(shape)}, the "
            f"{len(observers)} node(s) of the batch give {obs.shape[1:]}"
        )
    n_actions = network_actions(maps)
    space = getattr(getattr(model, "action_space", None), "shape", None)
    if space is not None and tuple(space) != (n_actions,):
        raise InputError(
            f"policy {name!r} was trained with {space} actions per decision point (one per "
            f"source of every node), the batch's nodes have {n_actions} source(s)"
        )
    action, _ = model.predict(obs, deterministic=deterministic)
    actions = np.asarray(action, dtype=np.float64).reshape(observers[0].size, n_actions)
    return network_orders(maps, actions, state)


@dataclass
class ModelRule:
    """A model with SB3's ``predict`` acting through given action maps (the env's, one per node): a
    :class:`~restock.agents.policy.NetworkPolicy`."""

    model: Any
    maps: tuple[ActionMap, ...]
    deterministic: bool = True
    name: str = "model"

    def act_network(self, observers: Sequence[Observer], state: ReviewState) -> np.ndarray:
        return model_orders(
            self.model, observers, self.maps, state, deterministic=self.deterministic, name=self.name
        )


def model_rule(
    model: Any, actions: ActionMap | Sequence[ActionMap], *, deterministic: bool = True
) -> ModelRule:
    """The decision rule of a model with SB3's ``predict``, acting through ``actions`` (the env's map of
    every node, or one map for a one-node view)."""
    maps = (actions,) if isinstance(actions, ActionMap) else tuple(actions)
    return ModelRule(model, maps, deterministic=deterministic)


newsvendor_rule: Policy = NewsvendorPolicy()
"""The critical-fractile newsvendor on the forecast table (the one :class:`NewsvendorPolicy`), at every
node on the forecasts of that node."""


def kpis(trace: Trace, newsvendor: Trace | None = None) -> dict[str, float]:
    """The ``eval/`` KPIs of a trace, money per catalog path (all nodes and SKUs), units per (node, SKU)
    and period.

    ``profit``: mean episode profit of the catalog per path; ``saving_vs_newsvendor``: profit minus the
    newsvendor's on the same paths (and ``saving_pct``: relative to |newsvendor profit|, in %);
    ``fill_rate``: sales / demand (nan with no demand); ``lost_units``: lost units per path;
    ``avg_on_hand``: mean end-of-period on-hand per (node, SKU); ``cost_per_period``: -profit per (node,
    SKU) and period (Zipkin's average cost when price is 0); one ``<component>`` per money amount, per
    path. The definitions are :mod:`restock.simulator.kpis`' ``totals_*`` functions.
    """
    t, p = trace.totals, trace.n_paths
    profit = kpi.totals_profit(t, p)
    out: dict[str, float] = {
        "profit": profit,
        "fill_rate": kpi.totals_fill_rate(t, no_demand=float("nan")),
        "lost_units": kpi.totals_lost_units(t, p),
        "avg_on_hand": kpi.totals_avg_on_hand_per_point(t, trace.periods),
        "cost_per_period": kpi.totals_cost_per_period(t, trace.periods),
        **kpi.totals_money(t, p),
    }
    if newsvendor is not None:
        base = kpi.totals_profit(newsvendor.totals, p)
        out["newsvendor_profit"] = base
        out["saving_vs_newsvendor"] = kpi.saving_of(profit, base)["saving"]
        out["saving_pct"] = kpi.relative_saving(profit, base, scale=100.0)
    return out
