"""The batch engine: many SKUs and paths at once as torch tensors, differentiable.

:class:`BatchEngine` (:mod:`.engine`) is the fast path for one node; :class:`NetworkEngine`
(:mod:`.network`) carries trees of nodes and every per-node rule. :func:`batch_engine` picks the one a
world needs, and is what ``make_engine("batch", ...)`` builds.
"""

from typing import Any

from restock.simulator.batch.engine import FLOW_KEYS, BatchEngine, resolve_dtype, rollout_totals, run
from restock.simulator.batch.network import NetworkEngine
from restock.simulator.paths import ExogenousPaths
from restock.simulator.world import World


def needs_network_engine(world: World) -> bool:
    """Whether ``world`` needs :class:`NetworkEngine`: several nodes, several sources of a node, a
    holding cost in transit, case packs and minimum orders, a shared inbound capacity or storage volume."""
    nodes = world.network.nodes
    return (
        len(nodes) > 1
        or world.ordering is not None
        or world.inbound_capacity is not None
        or world.storage_volume is not None
        or any(n.transit_holding_factor or n.extra_sources for n in nodes)
    )


def batch_engine(world: World, paths: ExogenousPaths, **options: Any) -> BatchEngine | NetworkEngine:
    """The batch engine for ``world``: :class:`BatchEngine` for one node with one source,
    :class:`NetworkEngine` else."""
    if needs_network_engine(world):
        return NetworkEngine(world, paths, **options)
    return BatchEngine(world, paths, **options)


__all__ = [
    "FLOW_KEYS",
    "BatchEngine",
    "NetworkEngine",
    "batch_engine",
    "needs_network_engine",
    "resolve_dtype",
    "rollout_totals",
    "run",
]
