"""Domain KPIs of a policy on held-out paths, beside the newsvendor on the same paths (batch engine).

:func:`rollout` runs one decision rule through an episode of the batch engine exactly as
``Restock/Catalog-v0`` does (the same :class:`~restock.envs.observer.Observer` and
:class:`~restock.envs.actions.ActionMap`, the same order of events) and keeps per-review traces;
:func:`kpis` reduces a trace (and the newsvendor's trace on the same paths) to the numbers logged under
``eval/``. Pure functions of their inputs: the same paths give the same KPIs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from restock.agents.baselines.newsvendor import NewsvendorPolicy
from restock.envs.actions import ActionConfig, ActionMap
from restock.envs.core import build_episode, numpy_state, to_numpy
from restock.envs.features import ObservationConfig
from restock.envs.observer import Observer
from restock.forecasters.base import BAND_QUANTILES
from restock.simulator import kpis as kpi
from restock.simulator.engines import make_engine
from restock.simulator.engines import rollout as run_engine
from restock.simulator.flows import TOTAL_KEYS
from restock.simulator.paths import ExogenousPaths
from restock.simulator.policy import ReviewState
from restock.simulator.world import World


@dataclass(frozen=True)
class EvalView:
    """A held-out episode as the catalog env sees it: what the engine runs (world, paths), what a policy
    sees (the observer of node 0) and how its actions become orders (the action map)."""

    world: World
    paths: ExogenousPaths
    observer: Observer
    actions: ActionMap


Act = Callable[[Observer, ReviewState], np.ndarray]
"""A decision rule: order quantities [B] (units) for the observer's decision points at a review (the
signature of :meth:`restock.agents.policy.Policy.act`: any policy's ``act`` is one)."""


@dataclass(frozen=True)
class Trace:
    """One episode of B = P x N decision points; per-review arrays are [R, B], totals [B]."""

    on_hand: np.ndarray
    """Units on hand at each review (after its arrivals, before its demand)."""
    orders: np.ndarray
    """Units ordered at each review."""
    demand: np.ndarray
    """Demand from each review up to the next."""
    band: np.ndarray
    """[R, B, 3]: P10, P50, P90 forecast of the next review period's demand, issued at each review."""
    scale: np.ndarray
    """[B] forecast scale s (units of one review period of median demand)."""
    totals: dict[str, np.ndarray]
    """Episode totals per point [B]: every step total (:data:`restock.simulator.flows.TOTAL_KEYS`)."""
    periods: int
    """Periods simulated (the horizon)."""
    n_paths: int
    n_skus: int


@dataclass
class HeldOut:
    """The held-out episode a run is judged on: world, paths and forecasts of one scenario draw."""

    scenario: Any
    seed: int
    n_paths: int

    def __post_init__(self) -> None:
        self.world, self.paths, self.forecasts = build_episode(self.scenario, self.seed, self.n_paths)

    def view(self, obs_config: ObservationConfig, action_config: ActionConfig) -> EvalView:
        """The episode observed with ``obs_config`` and acted on with ``action_config`` (node 0)."""
        observer = Observer(self.world, self.paths.price, self.forecasts, 0, obs_config)
        return EvalView(self.world, self.paths, observer, ActionMap(action_config, observer))


def rollout(view: EvalView, decide: Act) -> Trace:
    """Run ``decide`` through one episode of the batch engine on ``view``'s paths."""
    world, obs = view.world, view.observer
    p, n = obs.n_paths, obs.n_skus
    engine = make_engine("batch", world, view.paths, record=False)
    on_hand, orders, demand, band = [], [], [], []
    pick = [int(np.argmin(np.abs(obs.levels - q))) for q in BAND_QUANTILES]

    def rule(state: ReviewState) -> np.ndarray:
        st = numpy_state(state)
        q = np.asarray(decide(obs, st), dtype=np.float64).reshape(obs.size)
        pb, _ = obs.forecast_rows(st.t)
        on_hand.append(obs.flat(st.on_hand).copy())
        orders.append(q)
        band.append(pb[:, 0, pick])
        return q.reshape(p, 1, n)

    def trace(state: ReviewState, q: Any, flows: Any, nxt: ReviewState) -> None:
        demand.append(obs.flat(to_numpy(flows["demand"])).copy())

    out = run_engine(engine, rule, on_step=trace)
    totals = {k: obs.flat(to_numpy(out.totals[k])) for k in TOTAL_KEYS}
    return Trace(
        on_hand=np.stack(on_hand),
        orders=np.stack(orders),
        demand=np.stack(demand),
        band=np.stack(band),
        scale=obs.static.scale.copy(),
        totals=totals,
        periods=world.horizon,
        n_paths=p,
        n_skus=n,
    )


def model_rule(model: Any, actions: ActionMap, *, deterministic: bool = True) -> Act:
    """The decision rule of a model with SB3's ``predict``, acting through ``actions`` (the env's map)."""

    def decide(observer: Observer, state: ReviewState) -> np.ndarray:
        action, _ = model.predict(observer.observe(state), deterministic=deterministic)
        orders, _ = actions.orders(np.asarray(action, dtype=np.float64).reshape(observer.size), state)
        return orders

    return decide


newsvendor_rule: Act = NewsvendorPolicy().act
"""The critical-fractile newsvendor on the forecast table (the one :class:`NewsvendorPolicy`)."""


def kpis(trace: Trace, newsvendor: Trace | None = None) -> dict[str, float]:
    """The ``eval/`` KPIs of a trace, money per catalog path (all SKUs), units per SKU and period.

    ``profit``: mean episode profit of the catalog per path; ``saving_vs_newsvendor``: profit minus the
    newsvendor's on the same paths (and ``saving_pct``: relative to |newsvendor profit|, in %);
    ``fill_rate``: sales / demand (nan with no demand); ``lost_units``: lost units per path;
    ``avg_on_hand``: mean end-of-period on-hand per SKU; ``cost_per_period``: -profit per SKU and period
    (Zipkin's average cost when price is 0); one ``<component>`` per money amount, per path. The
    definitions are :mod:`restock.simulator.kpis`' ``totals_*`` functions.
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
