"""The des engine: a SimPy discrete-event simulation of a supply-chain network, one review at a time.

See docs/simulator.md for the model. The interface is the one every engine implements::

    engine = DesEngine(world, paths)
    state = engine.reset()                       # the state at the first review
    while not state.terminal:
        state, totals = engine.step(rule(state))  # simulate up to the next review (or the horizon)
    result = engine.result()                     # records + event log

or ``restock.simulator.rollout(engine, rule)``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import simpy
from simpy.events import Event

from restock.errors import InputError
from restock.simulator.arrays import to_numpy
from restock.simulator.des import processes
from restock.simulator.des.events import MAX_LEVELS
from restock.simulator.des.log import EventLog
from restock.simulator.des.state import Sim
from restock.simulator.engines import rollout
from restock.simulator.paths import ExogenousPaths, check_fit
from restock.simulator.policy import OrderRule, ReviewState, check_orders, on_arcs
from restock.simulator.records import SimulationResult
from restock.simulator.topology import Layout, layout
from restock.simulator.world import World


def validate(world: World, paths: ExogenousPaths, net: Layout) -> None:
    """Raise :class:`InputError` unless ``paths`` fit ``world`` (:func:`check_fit`) and the des engine can
    order the network's levels."""
    check_fit(world, paths)
    if max(net.levels) >= MAX_LEVELS:
        raise InputError(f"network: at most {MAX_LEVELS} levels of nodes, got {max(net.levels) + 1}")


class DesEngine:
    """The reference engine: SimPy processes over a network of nodes, exact order of events per period.

    Args:
        world: the parameters (SKUs, economics, network, horizon, review).
        paths: the exogenous paths, [P, T, M, N] (all P paths are simulated together, in lockstep).
        record: write the per-period records (switch off for speed; step totals are always returned).
        log_events: write the event log (defaults to ``record``).
    """

    name = "des"

    def __init__(
        self, world: World, paths: ExogenousPaths, *, record: bool = True, log_events: bool | None = None
    ) -> None:
        self.world = world
        self.paths = paths
        self.net = layout(world)
        validate(world, paths, self.net)
        self.record = record
        self.log_events = record if log_events is None else log_events
        self._reviews = world.review_periods()
        self._sim: Sim | None = None
        self._env: simpy.Environment | None = None
        self._review: Event | None = None
        """The review event the environment stopped at (None between episodes)."""
        self._next = 0
        self.initial_totals: dict[str, np.ndarray] = {}
        """Totals of the periods before the first review (filled by :meth:`reset`)."""

    @property
    def shape(self) -> tuple[int, int, int]:
        """[P, M, N] of states."""
        p, _, m, n = self.paths.demand.shape
        return (p, m, n)

    @property
    def order_shape(self) -> tuple[int, int, int]:
        """[P, A, N] of orders (one per arc; A = M unless nodes have extra sources)."""
        p, _, _, n = self.paths.demand.shape
        return (p, self.paths.n_arcs, n)

    @property
    def t(self) -> int:
        """The current period (a review period, or the horizon when done)."""
        return int(self._env.now) if self._env is not None else 0

    def reset(self) -> ReviewState:
        """Back to period 0; simulate up to the first review and return the state there."""
        env = simpy.Environment()
        sim = Sim(self.world, self.paths, self.net, record=self.record, log_events=self.log_events)
        self._env, self._sim = env, sim
        for u in self.net.shippers():
            env.process(processes.transfers(env, sim, u))
        for m in range(self.net.n_nodes):
            if self.net.customer_facing[m]:
                env.process(processes.customer_demand(env, sim, m))
        env.process(processes.close(env, sim))
        self._next = 0
        state = self._advance()  # validate() guarantees a review within the horizon
        self.initial_totals = sim.take_totals()
        return state

    def _advance(self) -> ReviewState:
        """Run to the next review event and return the state there; after the last review, to the
        horizon, through the arrivals due at it, and return the terminal state."""
        env, sim = self._env, self._sim
        assert env is not None and sim is not None
        if self._next < len(self._reviews):
            t = self._reviews[self._next]
            self._next += 1
        else:
            t = self.world.horizon
            self._next = len(self._reviews) + 1
        self._review = processes.review_event(env, t)
        env.run(until=self._review)
        return sim.review_state(t)

    def step(self, orders: Any) -> tuple[ReviewState, dict[str, np.ndarray]]:
        """Place ``orders`` [P, A, N] at the current review (or [P, M, N]: :func:`~restock.simulator.policy.
        on_arcs`), simulate up to the next review.

        Returns the state at the next review (the terminal state once the horizon is reached) and the
        totals of the simulated periods per [P, M, N] (:data:`restock.simulator.flows.TOTAL_KEYS`).
        """
        if self._sim is None or self._env is None:
            raise RuntimeError("call reset() before step()")
        if self._next > len(self._reviews):
            raise RuntimeError("the episode is over; call reset()")
        t = self.t
        orders = on_arcs(orders, self.net.n_nodes, self.net.n_arcs)
        shape = self._sim.arc_shape
        if type(orders) is np.ndarray and orders.shape == shape and _finite_nonnegative(orders):
            q = orders.astype(np.float64)  # a copy: the caller may reuse its array
        else:
            check_orders(orders, shape, t)
            q = to_numpy(orders).copy()  # a torch tensor (e.g. from a network policy) or a sequence
        processes.place_orders(self._env, self._sim, t, q)
        state = self._advance()
        return state, self._sim.take_totals()

    def result(self) -> SimulationResult:
        """The records of the periods simulated so far and the event log."""
        if self._sim is None:
            raise RuntimeError("call reset() before result()")
        log = self._sim.log if self._sim.log is not None else EventLog((), ())
        events = log.frame()
        return SimulationResult(
            records=self._sim.records(),
            events=events,
            engine=self.name,
            discount=self.world.economics.discount,
        )


def _finite_nonnegative(a: np.ndarray) -> bool:
    """True when ``a`` is a numeric array whose entries are all finite and >= 0 (NaN fails both tests)."""
    if a.dtype.kind not in "fiu":
        return False
    if a.size <= 16:  # a few values: Python comparisons are cheaper than numpy reductions
        return all(0.0 <= v < math.inf for v in a.ravel().tolist())
    return bool(a.min() >= 0) and bool(a.max() < np.inf)


def run(world: World, paths: ExogenousPaths, rule: OrderRule, **options: Any) -> SimulationResult:
    """Simulate ``rule`` over the whole horizon (:func:`restock.simulator.rollout`); the records."""
    engine = DesEngine(world, paths, **options)
    rollout(engine, rule)
    return engine.result()
