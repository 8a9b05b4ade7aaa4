"""The des engine: the SimPy reference simulator (see docs/simulator.md).

``DesEngine(world, paths)`` with ``reset()`` / ``step(orders)`` / ``result()``, and ``run(world, paths,
rule)`` for a whole horizon.
"""

from restock.simulator.des.engine import DesEngine, run
from restock.simulator.des.events import ARRIVAL, CLOSE, DEMAND, REVIEW, TRANSFER
from restock.simulator.des.log import EVENT_COLUMNS, trace

__all__ = [
    "ARRIVAL",
    "CLOSE",
    "DEMAND",
    "EVENT_COLUMNS",
    "REVIEW",
    "TRANSFER",
    "DesEngine",
    "run",
    "trace",
]
