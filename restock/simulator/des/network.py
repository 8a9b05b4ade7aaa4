"""The network as the des engine uses it: array layout of nodes, levels, and the rationing rule.

Nodes are indexed in ``world.network.nodes`` order (the M axis of paths and records). A node is fed by a
vendor (level 0) or by an upstream node (level = upstream level + 1). Transfers are requested at a review
and shipped in the TRANSFER phase of the upstream node's level, from the upstream node's on-hand after that
period's arrivals (and after its own zero-lead-time vendor arrivals), before customer demand.

Rationing (:func:`ration`): when the requests of the nodes fed by one upstream node exceed its on-hand for
a SKU, each request is filled in proportion to its size (every requester gets the same share
``on_hand / total requested``). The unfilled part of a request is cancelled in that period and recorded as
``cancelled`` at the requesting node (event ``cancel``, reason ``rationing``); it is not backordered.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from restock.errors import InputError
from restock.simulator.des.events import MAX_LEVELS
from restock.simulator.world import World


@dataclass(frozen=True)
class Layout:
    """Index arrays of a network (parameters only, no state)."""

    names: tuple[str, ...]
    """Node names in M order."""
    sources: tuple[str, ...]
    """The vendor or node name each node is fed by."""
    source_index: tuple[int, ...]
    """Index of the upstream node, or -1 for a vendor-fed node."""
    levels: tuple[int, ...]
    """0 for vendor-fed nodes, upstream level + 1 otherwise."""
    children: tuple[tuple[int, ...], ...]
    """Indices of the nodes each node feeds, in declaration order."""
    customer_facing: tuple[bool, ...]
    backorder: tuple[bool, ...]
    storage_capacity: np.ndarray
    """[M] most units of one SKU a node holds (inf for none)."""

    @property
    def n_nodes(self) -> int:
        return len(self.names)

    @property
    def vendor_fed(self) -> np.ndarray:
        """[M] bool: fed by a vendor."""
        return np.array([s < 0 for s in self.source_index])

    def shippers(self) -> list[int]:
        """Nodes that feed other nodes, upstream first."""
        return sorted((m for m in range(self.n_nodes) if self.children[m]), key=lambda m: self.levels[m])


def layout(world: World) -> Layout:
    """The index layout of ``world.network``."""
    net = world.network
    names = tuple(n.name for n in net.nodes)
    pos = {name: i for i, name in enumerate(names)}
    src_idx = tuple(pos.get(n.source, -1) for n in net.nodes)
    levels = [0] * len(names)
    for node in net.topological_order():
        i = pos[node.name]
        levels[i] = 0 if src_idx[i] < 0 else levels[src_idx[i]] + 1
    if max(levels) >= MAX_LEVELS:
        raise InputError(f"network: at most {MAX_LEVELS} levels of nodes, got {max(levels) + 1}")
    children = tuple(tuple(j for j in range(len(names)) if src_idx[j] == i) for i in range(len(names)))
    return Layout(
        names=names,
        sources=tuple(n.source for n in net.nodes),
        source_index=src_idx,
        levels=tuple(levels),
        children=children,
        customer_facing=tuple(n.customer_facing for n in net.nodes),
        backorder=tuple(n.backorder for n in net.nodes),
        storage_capacity=np.array([n.storage_capacity for n in net.nodes], dtype=np.float64),
    )


def ration(requests: np.ndarray, available: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fill ``requests`` [C, ...] from ``available`` [...] in proportion to their size.

    Returns (shipped [C, ...], left on hand [...]). Where the requests fit, each is filled in full; where
    they exceed what is available, every request gets the share ``available / total`` and nothing is left.
    """
    total = requests.sum(axis=0)
    short = total > available
    share = np.where(short, available / np.where(short, total, 1.0), 1.0)
    shipped = requests * share
    left = np.where(short, 0.0, available - total)
    return shipped, left
