"""Small worlds and paths shared by the des tests (not a test module)."""

from __future__ import annotations

import math

import numpy as np

from restock.simulator.paths import ExogenousPaths
from restock.simulator.world import Economics, LeadTime, Network, Node, Vendor, World


def make_paths(
    demand: np.ndarray,
    lead_time: int | np.ndarray = 0,
    fill_rate: float | np.ndarray = 1.0,
    capacity: float | np.ndarray = math.inf,
    price: float | np.ndarray = 0.0,
) -> ExogenousPaths:
    """Paths of the shape of ``demand`` [P, T, M, N]; scalars are broadcast."""
    demand = np.asarray(demand, dtype=np.float64)
    p, t, m, n = demand.shape
    return ExogenousPaths(
        demand=demand,
        lead_time=np.broadcast_to(np.asarray(lead_time, dtype=np.int64), (p, t, m, n)).copy(),
        fill_rate=np.broadcast_to(np.asarray(fill_rate, dtype=np.float64), (p, t, m, n)).copy(),
        capacity=np.broadcast_to(np.asarray(capacity, dtype=np.float64), (t, m, n)).copy(),
        price=np.broadcast_to(np.asarray(price, dtype=np.float64), (p, t, n)).copy(),
    )


def single_world(
    horizon: int,
    *,
    n_skus: int = 1,
    review_period: int = 1,
    review_offset: int = 0,
    lead: int = 0,
    backorder: bool = False,
    storage_capacity: float = math.inf,
    initial_on_hand: float | None = None,
    **economics: float,
) -> World:
    """One vendor feeding one customer-facing node ``store``."""
    net = Network.single(
        Vendor("vendor", lead_time=LeadTime(value=lead)),
        Node("store", source="vendor", backorder=backorder, storage_capacity=storage_capacity),
    )
    return World(
        skus=tuple(f"sku{i}" for i in range(n_skus)),
        economics=Economics.uniform(n_skus, **economics),
        network=net,
        horizon=horizon,
        review_period=review_period,
        review_offset=review_offset,
        initial_on_hand=None if initial_on_hand is None else np.full((1, n_skus), float(initial_on_hand)),
    )


def one_warehouse_world(
    horizon: int, *, n_fcs: int = 2, n_skus: int = 1, fc_lead: tuple[int, ...] = (), **eco: float
) -> World:
    """vendor -> wh (not customer-facing) -> fc0..fc{n-1} with transfer lead times ``fc_lead``."""
    leads = fc_lead or (0,) * n_fcs
    fcs = tuple(Node(f"fc{i}", source="wh", transfer_lead_time=leads[i]) for i in range(n_fcs))
    nodes = (Node("wh", source="vendor", customer_facing=False), *fcs)
    return World(
        skus=tuple(f"sku{i}" for i in range(n_skus)),
        economics=Economics.uniform(n_skus, **eco),
        network=Network(vendors=(Vendor("vendor"),), nodes=nodes),
        horizon=horizon,
        review_period=1,
    )


def serial_world(horizon: int, *, depth: int = 3, n_skus: int = 1, **eco: float) -> World:
    """vendor -> n0 -> n1 -> ... -> n{depth-1}; only the last node is customer-facing."""
    nodes = tuple(
        Node(f"n{i}", source="vendor" if i == 0 else f"n{i - 1}", customer_facing=i == depth - 1)
        for i in range(depth)
    )
    return World(
        skus=tuple(f"sku{i}" for i in range(n_skus)),
        economics=Economics.uniform(n_skus, **eco),
        network=Network(vendors=(Vendor("vendor"),), nodes=nodes),
        horizon=horizon,
        review_period=1,
    )
