"""Policies by name: ``resolve_policy(spec, scenario, *, seed) -> Policy`` (what ``--policies`` takes).

==================  =====================================================================================
spec                policy
==================  =====================================================================================
newsvendor          order up to the tau* quantile of demand over E[L] + R from the scenario's forecast
                    table (the reference; :mod:`restock.agents.baselines.newsvendor`)
newsvendor-tuned    the same with tau per node and SKU chosen by simulation on training paths
true-newsvendor     the newsvendor on the exact quantiles of the scenario's demand model (synthetic
                    demand only): the gap to ``newsvendor`` is the value of forecast accuracy
myopic              the one-period newsvendor on the projected stock at the order's arrival
lagrangian-newsvendor  the newsvendor with a capacity price per node and period, found by bisection so
                    that a node's orders over its catalog fit its shared inbound capacity
                    (:mod:`restock.agents.baselines.capacity`)
base-stock          order up to a level S per node and SKU, tuned on training paths
base-stock:S=V      order up to the given level V at every node and SKU (no tuning)
echelon-base-stock  order up to a level per node and SKU on the node's echelon position, tuned (networks:
                    jointly over the nodes)
capped-base-stock   base-stock with at most r units per review, (S, r) tuned
s-S                 (s, S), tuned
s-S:s=V:S=W         (s, S) with the given levels (every node and SKU): ``s-S:s=-2:S=34``; s < 0 only
                    where every node backorders (``restock oracle s-S`` gives the optimum)
r-Q                 (r, nQ), tuned
constant            a constant order per review, tuned
single-index        dual sourcing (a node with two vendors): expedite up to S_e and order regular up to
                    S_r, both on the inventory position, tuned (:mod:`restock.agents.baselines.sourcing`)
dual-index          the same with the expedited order on the expedited position, tuned
capped-dual-index   dual index with at most r units per regular order, tuned
oracle              the exact optimal policy (relative value iteration) for single-node lost-sales
                    instances with a review every period (the zipkin-lost-sales family)
runs/<dir>          the trained policy of a training run folder (:func:`restock.agents.training.load_policy`;
                    any existing run folder path works)
==================  =====================================================================================

Tuned policies are tuned at resolution on the training root seeds ``seed .. seed + train_seeds - 1``
(:mod:`restock.agents.baselines.tuning`), disjoint from the evaluation seeds. An unknown spec is an
:class:`~restock.errors.InputError` listing the known names.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from restock.agents.baselines.capacity import LagrangianNewsvendorPolicy
from restock.agents.baselines.classical import BaseStockPolicy, SSPolicy
from restock.agents.baselines.newsvendor import MyopicPolicy, NewsvendorPolicy
from restock.agents.baselines.tuning import POLICIES as TUNED
from restock.agents.baselines.tuning import TuningConfig, tune
from restock.envs.core import load_scenario
from restock.envs.observer import Observer
from restock.errors import MAX_UNITS, InputError
from restock.scenarios.validate import validate

if TYPE_CHECKING:
    import numpy as np

    from restock.agents.policy import AnyPolicy, Policy
    from restock.simulator.policy import ReviewState

KNOWN: tuple[str, ...] = (
    "newsvendor",
    "true-newsvendor",
    "myopic",
    "lagrangian-newsvendor",
    *TUNED,
    "s-S:s=V:S=W",
    "base-stock:S=V",
    "oracle",
    "runs/<dir>",
)
"""Every spec :func:`resolve_policy` accepts."""


@dataclass
class TrueNewsvendorPolicy:
    """The newsvendor reading a fixed table of exact quantiles instead of the episode's forecast table."""

    table: Any
    """A :class:`~restock.scenarios.forecast.ScenarioForecast` with the episode's nodes, SKUs and reviews."""
    name: str = "true-newsvendor"
    _batches: dict[int, tuple[Observer, Observer]] = field(default_factory=dict, repr=False)

    def act(self, batch: Observer, state: ReviewState) -> np.ndarray:
        hit = self._batches.get(id(batch))
        if hit is None or hit[0] is not batch:
            hit = (batch, batch.with_forecasts(self.table, source=f"policy {self.name!r}"))
            if len(self._batches) > 16:
                self._batches.clear()
            self._batches[id(batch)] = hit
        return NewsvendorPolicy(name=self.name).act(hit[1], state)


def true_newsvendor(scenario: Any, *, name: str = "true-newsvendor") -> Policy:
    """The newsvendor on exact quantiles, or an InputError if the scenario's demand has no known law."""
    if scenario.forecast.model in ("true", "true-distribution"):
        return NewsvendorPolicy(name=name)
    if scenario.demand.kind == "data":
        raise InputError(
            f"policy {name!r}: scenario {scenario.name!r} replays data (demand.kind = 'data'); there is no "
            "true-distribution forecaster for it"
        )
    exact = dataclasses.replace(scenario, forecast=dataclasses.replace(scenario.forecast, model="true"))
    from restock.agents.evaluate import draw_episode

    return TrueNewsvendorPolicy(draw_episode(validate(exact), 0, 1).forecasts, name=name)


def _same_layout(train: Any, scenario: Any) -> Any:
    """``train``, or an InputError unless it has the SKUs and nodes of ``scenario``."""
    from restock.agents.evaluate import draw_episode

    a, b = draw_episode(train, 0, 1).world, draw_episode(scenario, 0, 1).world
    names = lambda w: [n.name for n in w.network.nodes]  # noqa: E731
    if tuple(a.skus) != tuple(b.skus) or names(a) != names(b):
        raise InputError(
            f"training scenario {getattr(train, 'name', '?')!r} has SKUs {list(a.skus)[:5]} and nodes "
            f"{names(a)}, the evaluated scenario {list(b.skus)[:5]} and {names(b)}: tuned levels do not fit"
        )
    return train


FIXED_SS = "s-S:"
"""Prefix of the (s, S) spec with given levels: ``s-S:s=V:S=W`` (``:``-separated, as ``--policies``
splits on commas)."""


FIXED_BASE_STOCK = "base-stock:"
"""Prefix of the base-stock spec with a given level: ``base-stock:S=V`` (every node and SKU)."""


def _given_levels(spec: str, prefix: str, usage: str) -> dict[str, float]:
    """The ``key=value`` items of ``spec`` after ``prefix``: every key of ``usage`` (``key=<...>`` items,
    ``:``-separated) once, each a finite number of at most :data:`MAX_UNITS` units; else an InputError
    naming the spec and the item."""
    keys = [item.partition("=")[0] for item in usage[len(prefix) :].split(":")]
    values: dict[str, float] = {}
    for item in spec[len(prefix) :].split(":"):
        key, eq, text = (part.strip() for part in item.partition("="))
        if key not in keys or not eq or key in values:
            raise InputError(f"policy {spec!r}: expected {usage}, got item {item!r}")
        try:
            values[key] = float(text)
        except ValueError:
            raise InputError(f"policy {spec!r}: {key} must be a number, got {text!r}") from None
        if not (math.isfinite(values[key]) and abs(values[key]) <= MAX_UNITS):
            raise InputError(
                f"policy {spec!r}: {key} must be a finite number of at most {MAX_UNITS:g} units, got {text!r}"
            )
    if set(values) != set(keys):
        raise InputError(f"policy {spec!r}: expected {usage}")
    return values


def fixed_base_stock(spec: str) -> BaseStockPolicy:
    """The base-stock policy of ``base-stock:S=V`` (the same level V >= 0 at every node and SKU), else an
    InputError naming the spec and the item."""
    level = _given_levels(spec, FIXED_BASE_STOCK, "base-stock:S=<order-up-to level>")["S"]
    if level < 0:
        raise InputError(f"policy {spec!r}: S must be >= 0, got {level!r}")
    return BaseStockPolicy(level, name=spec)


def fixed_ss(spec: str, scenario: Any) -> SSPolicy:
    """The (s, S) policy of ``s-S:s=V:S=W`` (both keys, once each, finite numbers; S >= 0, s <= S; s < 0
    only if every node of ``scenario`` backorders), else an InputError naming the spec and the key."""
    values = _given_levels(spec, FIXED_SS, "s-S:s=<reorder point>:S=<order-up-to level>")
    lost = [n.name for n in scenario.nodes if not n.backorder]
    if values["s"] < 0 and lost:
        raise InputError(
            f"policy {spec!r}: s = {values['s']!r} < 0, but node(s) {lost} lose unmet demand (backorder = "
            "false): their inventory position never falls below 0, so the policy would never order there"
        )
    return SSPolicy(values["s"], values["S"], name=spec)


def is_run_spec(spec: str) -> bool:
    """Whether ``spec`` names a run folder (``runs/...`` or an existing folder with a ``run.json``)."""
    return spec.startswith("runs/") or (Path(spec) / "run.json").is_file()


def check_spec(spec: str, scenario: Any = None) -> str:
    """``spec`` stripped, if :func:`resolve_policy` knows it: a check that tunes, trains and loads nothing
    (a sweep runs it on every policy before it starts). ``scenario`` given: an ``s-S:...`` spec is also
    checked against it. An unknown spec, or a run folder that does not exist, is an InputError."""
    if not isinstance(spec, str) or not spec.strip():
        raise InputError(f"policy spec must be a non-empty string, got {spec!r}; known: {', '.join(KNOWN)}")
    spec = spec.strip()
    if spec in ("newsvendor", "myopic", "lagrangian-newsvendor", "true-newsvendor", "oracle", *TUNED):
        return spec
    if spec.startswith(FIXED_SS):
        if scenario is not None:
            fixed_ss(spec, load_scenario(scenario, None))
        return spec
    if spec.startswith(FIXED_BASE_STOCK):
        fixed_base_stock(spec)
        return spec
    if is_run_spec(spec):
        if not Path(spec).is_dir():
            raise InputError(f"policy {spec!r}: no such run folder")
        return spec
    raise InputError(f"unknown policy {spec!r}; known: {', '.join(KNOWN)}")


def resolve_policy(
    spec: str,
    scenario: Any,
    seed: int = 0,
    *,
    tuning: TuningConfig | None = None,
    train_scenario: Any = None,
) -> AnyPolicy:
    """The policy named ``spec`` for ``scenario`` (a Scenario or a name); see the module docstring.

    ``seed``: the first training root seed of tuned baselines; ``tuning``: their search settings;
    ``train_scenario``: the scenario they are tuned on (None: ``scenario`` itself). On a data replay every
    seed replays the same demand, so tuning on ``scenario`` is in-sample; pass the same scenario over
    earlier dates (e.g. ``demand.start``) to tune out of sample. It must have the same SKUs and nodes.
    """
    spec = check_spec(spec)
    sc = load_scenario(scenario, None)
    if spec == "newsvendor":
        return NewsvendorPolicy()
    if spec == "myopic":
        return MyopicPolicy()
    if spec == "lagrangian-newsvendor":
        return LagrangianNewsvendorPolicy()
    if spec == "true-newsvendor":
        return true_newsvendor(sc)
    if spec in TUNED:
        train = sc if train_scenario is None else _same_layout(load_scenario(train_scenario, None), sc)
        policy, _ = tune(spec, train, seed=seed, config=tuning)
        return policy
    if spec.startswith(FIXED_SS):
        return fixed_ss(spec, sc)
    if spec.startswith(FIXED_BASE_STOCK):
        return fixed_base_stock(spec)
    if spec == "oracle":
        from restock.agents.baselines.oracle_policy import oracle_policy

        return oracle_policy(sc)
    if is_run_spec(spec):
        from restock.agents.training import load_policy

        policy = load_policy(spec)
        try:
            policy.name = spec
        except AttributeError:
            pass
        return policy  # type: ignore[no-any-return]
    raise AssertionError(f"check_spec passed {spec!r} and resolve_policy has no branch for it")
