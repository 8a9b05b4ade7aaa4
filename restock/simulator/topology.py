"""The network as both engines index it: the array layout of nodes, their levels and children.

Nodes are indexed in ``world.network.nodes`` order (the M axis of demand, states and records); arcs
(source -> node, where orders are placed) in ``world.network.arcs()`` order (the A axis of orders,
lead times, fill rates and capacities): arc m < M is node m's own source, so A = M without extra
sources. A node is fed
by a vendor (level 0) or by an upstream node (level = upstream level + 1). Transfers are shipped in the
TRANSFER phase of the upstream node's level, upstream levels first, from the upstream node's on-hand after
that period's arrivals (and after its own zero-lead-time arrivals), before customer demand; how a node
that cannot fill its children's requests rations them is a rule of the period
(:func:`restock.simulator.rules.ration`, :func:`restock.simulator.rules.serve_queue`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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
    arc_sources: tuple[str, ...]
    """The source of each arc (A axis, :meth:`~restock.simulator.world.Network.arcs`): arc m < M is node
    m's ``source``, the rest are the nodes' extra vendors."""
    arc_node: tuple[int, ...]
    """The node each arc delivers to."""
    arc_cost_factor: np.ndarray
    """[A] the purchase cost of a unit received on each arc, as a factor of the SKU's unit cost: the
    vendor's ``unit_cost_factor``, 0 for a transfer from an upstream node."""

    @property
    def n_nodes(self) -> int:
        return len(self.names)

    @property
    def n_arcs(self) -> int:
        """A: the number of arcs (= M when every node has one source)."""
        return len(self.arc_node)

    @property
    def extra_arcs(self) -> range:
        """The arcs beyond each node's own source (the extra vendors), as indices of the A axis."""
        return range(self.n_nodes, self.n_arcs)

    def per_node(self, x: np.ndarray) -> np.ndarray:
        """Per-arc ``x`` [P, A, N] summed per node: [P, M, N] (``x`` itself when it is per node already)."""
        if x.shape[1] == self.n_nodes:
            return x
        out = np.array(x[:, : self.n_nodes], dtype=np.float64)
        for a in self.extra_arcs:
            out[:, self.arc_node[a]] += x[:, a]
        return out

    @property
    def vendor_fed(self) -> np.ndarray:
        """[M] bool: fed by a vendor."""
        return np.array([s < 0 for s in self.source_index])

    def subtree(self) -> np.ndarray:
        """[M, M] 0/1: row j marks node j and every node downstream of it (node j's echelon)."""
        m = self.n_nodes
        out = np.eye(m)
        for k in range(m):
            j = self.source_index[k]
            while j >= 0:
                out[j, k] = 1.0
                j = self.source_index[j]
        return out

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
    children = tuple(tuple(j for j in range(len(names)) if src_idx[j] == i) for i in range(len(names)))
    arcs = net.arcs()
    factor = [net.vendor(s).unit_cost_factor if net.is_vendor(s) else 0.0 for s, _ in arcs]
    return Layout(
        names=names,
        sources=tuple(n.source for n in net.nodes),
        source_index=src_idx,
        levels=tuple(levels),
        children=children,
        customer_facing=tuple(n.customer_facing for n in net.nodes),
        backorder=tuple(n.backorder for n in net.nodes),
        storage_capacity=np.array([n.storage_capacity for n in net.nodes], dtype=np.float64),
        arc_sources=tuple(s for s, _ in arcs),
        arc_node=tuple(m for _, m in arcs),
        arc_cost_factor=np.array(factor, dtype=np.float64),
    )


@dataclass(frozen=True)
class NodeCosts:
    """The cost coefficients per node and SKU: the SKU's economics times the node's factors."""

    holding: np.ndarray
    """[M, N] per unit on hand at the end of a period."""
    transit_holding: np.ndarray | None
    """[M, N] per unit in transit to the node at the end of a period; None where every factor is 0."""
    penalty: np.ndarray
    """[M, N] per unit lost (lost sales) or backordered at the end of a period (backorders)."""


def node_costs(world: World) -> NodeCosts:
    """The :class:`NodeCosts` of ``world`` (the factors of :class:`~restock.simulator.world.Node`)."""
    nodes, eco = world.network.nodes, world.economics

    def per_node(factor: str, cost: np.ndarray) -> np.ndarray:
        return np.array([getattr(n, factor) for n in nodes], dtype=np.float64)[:, None] * cost[None, :]

    transit = any(n.transit_holding_factor for n in nodes)
    return NodeCosts(
        holding=per_node("holding_factor", eco.holding_cost),
        transit_holding=per_node("transit_holding_factor", eco.holding_cost) if transit else None,
        penalty=per_node("penalty_factor", eco.lost_sale_penalty),
    )
