"""The engines: one protocol, one registry (the one place an engine name is checked), one rollout.

Every caller that drives an engine through an episode uses :func:`rollout`: ``agents.evaluate``, the SB3
evaluation callback, DirectBackprop (differentiably), the envs' helpers and the engines' own ``run``. What
a caller needs beyond the totals (a trace of the reviews, observations) it collects with ``on_step``.

Engines are imported when asked for (:func:`engine_class`), so that choosing the des engine never imports
torch, the batch engine's dependency.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from restock.errors import InputError
from restock.simulator.arrays import is_tensor
from restock.simulator.paths import ExogenousPaths
from restock.simulator.policy import OrderRule
from restock.simulator.records import SimulationResult
from restock.simulator.state import ReviewState
from restock.simulator.world import World

Decide = OrderRule
"""A decision rule as an engine sees it (:class:`restock.simulator.policy.OrderRule`): order quantities
[P, M, N] (>= 0, finite) at a review. A :class:`restock.agents.policy.Policy` becomes one through
``restock.agents.evaluate.engine_rule``."""
StepHook = Callable[[ReviewState, Any, Mapping[str, Any], ReviewState], None]
"""Called after every step with (the state at the review, the orders, the step's flows, the next state)."""


class Engine(Protocol):
    """What both engines implement (:func:`make_engine` builds them by name); an engine may also keep
    :class:`RunningTotals` (the single-node batch engine does), which :func:`rollout` then reads."""

    name: str
    initial_totals: dict[str, Any]
    """Totals of the periods simulated by :meth:`reset` before the first review (review_offset > 0)."""

    def reset(self) -> ReviewState:
        """Back to period 0; the state at the first review."""
        ...

    def step(self, orders: Any) -> tuple[ReviewState, dict[str, Any]]:
        """Orders [P, M, N] at the current review; the next state (terminal at the horizon) and the flows
        of the simulated periods per [P, M, N] (:data:`restock.simulator.flows.TOTAL_KEYS`)."""
        ...

    def result(self) -> SimulationResult:
        """The per-period records of the run so far."""
        ...


@runtime_checkable
class RunningTotals(Protocol):
    """An optional capability of an :class:`Engine`: it keeps the totals of the run as it steps.

    :func:`rollout` reads them, where it counts from period 0, instead of adding every step's flows
    itself (the batch engine adds them inside its block function: compiled, in the same kernel). The
    totals must be what rollout would add up: :attr:`Engine.initial_totals` plus the flows of every step
    since :meth:`Engine.reset`, by the same float operations, carrying the autograd graph where the flows
    carry one; new ones at every reset (a step of the same run may add to them in place, nothing after
    the run). Engines without it (des, the network engine) are summed by :func:`rollout`.
    """

    def running_totals(self) -> dict[str, Any]:
        """Per [P, M, N] and :data:`restock.simulator.flows.TOTAL_KEYS`: the totals since the last reset."""
        ...

    def step_totals(self, orders: Any) -> ReviewState:
        """:meth:`Engine.step` adding its flows to the running totals only (not returned: what
        :func:`rollout` calls where no ``on_step`` reads them); the next state."""
        ...


ENGINES: dict[str, str] = {
    "des": "restock.simulator.des:DesEngine",
    "batch": "restock.simulator.batch:batch_engine",
}
"""Engine name -> ``module:constructor`` (a class, or a function that picks one for the world)."""
ENGINE_NAMES: tuple[str, ...] = tuple(ENGINES)


def check_engine(name: Any) -> str:
    """``name`` if it names an engine, else an :class:`InputError` naming it and the known engines."""
    if not isinstance(name, str) or name not in ENGINES:
        raise InputError(f"engine must be one of {list(ENGINE_NAMES)}, got {name!r}")
    return name


EngineFactory = Callable[..., Engine]
"""Builds an engine: ``factory(world, paths, **options)`` (an engine class, or a function choosing one)."""


def engine_class(engine: str | EngineFactory) -> EngineFactory:
    """The constructor of the engine named ``engine`` in :data:`ENGINES` (``engine`` itself if it is
    one): the batch engine's picks the single-node fast path or the network engine for the world."""
    if not isinstance(engine, str):
        return engine
    module, _, attr = ENGINES[check_engine(engine)].partition(":")
    return getattr(importlib.import_module(module), attr)  # type: ignore[no-any-return]


def make_engine(
    engine: str | EngineFactory, world: World, paths: ExogenousPaths, *, compile: str = "off", **options: Any
) -> Engine:
    """An engine over ``world`` and ``paths`` (``options``: ``record=``, and the batch engine's
    ``grad=``, ``device=``, ``dtype=``).

    ``compile``: the batch engine's setting (``"off"``, ``"auto"`` or ``"on"``,
    :mod:`restock.simulator.batch.compiled`), passed to it; another engine has no compiled path and runs
    as it is under ``"off"`` and ``"auto"`` (``"on"`` there is an :class:`InputError`); a factory is
    passed any setting but ``"off"``."""
    if engine == "batch" or (not isinstance(engine, str) and compile != "off"):
        options["compile"] = compile
    elif compile == "on":
        raise InputError(f"engine {engine!r}: compile='on' but only the batch engine has a compiled path")
    elif compile not in ("off", "auto"):
        raise InputError(f"engine {engine!r}: compile must be one of ['off', 'auto', 'on'], got {compile!r}")
    return engine_class(engine)(world, paths, **options)


@dataclass(frozen=True)
class RolloutTotals:
    """What :func:`rollout` returns."""

    totals: dict[str, Any]
    """Flows per [P, M, N] summed over the counted periods (numpy or torch, as the engine reports them)."""
    state: ReviewState
    """The terminal state."""
    periods: int
    """The number of counted periods."""


def rollout(
    engine: Engine,
    decide: Decide,
    *,
    count_from: int = 0,
    keys: Sequence[str] | None = None,
    on_step: StepHook | None = None,
) -> RolloutTotals:
    """Reset ``engine`` and step it with ``decide``'s orders until the terminal state.

    ``count_from``: flows of the reviews in periods >= ``count_from`` are counted (a review block counts
    whole; the periods before the first review count only when ``count_from`` is 0). ``keys``: the flows to
    add up (default: all). Totals keep the autograd graph when the engine's flows carry one and are added
    in place otherwise. Where ``count_from`` is 0 and the engine keeps :class:`RunningTotals`, the totals
    are the engine's (the same sums; ``keys`` picks from them), rollout adds nothing, and without
    ``on_step`` it steps with ``step_totals`` (the step flows are not built).
    """
    state = engine.reset()
    first = state.t
    counted = first if count_from == 0 else 0
    kept = engine if count_from == 0 and isinstance(engine, RunningTotals) else None
    totals: dict[str, Any] = {}
    if count_from == 0 and kept is None:
        totals = {k: _copy(v) for k, v in engine.initial_totals.items() if keys is None or k in keys}
    while not state.terminal:
        orders = decide(state)
        flows: Mapping[str, Any] | None = None
        if kept is not None and on_step is None:
            nxt = kept.step_totals(orders)
        else:
            nxt, flows = engine.step(orders)
        if state.t >= count_from:
            counted += nxt.t - state.t
            if kept is None:
                assert flows is not None
                for k in flows if keys is None else keys:
                    totals[k] = add_total(totals[k], flows[k]) if k in totals else _copy(flows[k])
        if on_step is not None:
            assert flows is not None
            on_step(state, orders, flows, nxt)
        state = nxt
    if kept is not None:
        run = kept.running_totals()
        totals = run if keys is None else {k: run[k] for k in keys}
    return RolloutTotals(totals, state, counted)


def _copy(x: Any) -> Any:
    if is_tensor(x):
        return x if x.requires_grad else x.clone()
    return np.array(x, dtype=np.float64)


def add_total(total: Any, x: Any) -> Any:
    """``total + x``, in place unless an autograd graph runs through either (``total`` is the caller's own:
    a running total; rollout's, and the batch engine's :class:`RunningTotals`)."""
    if is_tensor(total) and (total.requires_grad or x.requires_grad):
        return total + x
    total += x
    return total
