"""The simulator: the world model, the rules of a period, two engines and the one rollout over them.

``make_engine(name, world, paths)`` builds an engine (``"des"`` or ``"batch"``) and
``rollout(engine, decide)`` drives it through an episode (see :mod:`restock.simulator.engines`).
"""

from restock.simulator.engines import (
    ENGINE_NAMES,
    Engine,
    RolloutTotals,
    RunningTotals,
    check_engine,
    make_engine,
    rollout,
)
from restock.simulator.state import ReviewState

__all__ = [
    "ENGINE_NAMES",
    "Engine",
    "ReviewState",
    "RolloutTotals",
    "RunningTotals",
    "check_engine",
    "make_engine",
    "rollout",
]
