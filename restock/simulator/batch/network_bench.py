"""Speed of the batch engine on the ten-FC network against a bare torch loop of the same rules, in one run.

The instance (``restock bench --network``): one warehouse fed by a vendor, ``fcs`` fulfilment centres
(FCs) fed by the warehouse; weekly review, one year of daily periods (364).

* the warehouse is not customer-facing; it holds at half the FCs' holding cost; vendor lead times are drawn
  per order from :data:`VENDOR_LEADS`, full fills, no capacity limit;
* the warehouse rations its FCs' requests of a review pro rata when it falls short (lost sales there: the
  cut is cancelled);
* transfer lead times are drawn per FC, period and SKU from :data:`TRANSFER_LEADS`;
* Poisson demand at the FCs, a mean per FC and SKU; lost sales there;
* an echelon base-stock rule (:class:`~restock.simulator.policy.EchelonBaseStock`): the warehouse's level
  on its echelon position (itself and every FC), each FC's on its own position;
* price, unit cost, holding, lost-sale penalty, a fixed cost per order and salvage at the horizon.

Measured (each the median of ``repeats`` timed runs, on one instance of ``skus`` SKUs x ``fcs + 1`` nodes
x ``paths`` paths x 364 periods; throughput is SKU-node-periods per second):

* ``network_*``: :class:`~restock.simulator.batch.network.NetworkEngine` forward (``grad=False``,
  ``record=False``);
* ``network_grad_*``: the engine with ``grad=True`` plus ``backward()`` of the total profit to the
  levels;
* ``network_bare_torch_*``: :func:`bare_network_loop`, a plain in-place torch loop of the same rules on the
  same tensors (an arrival ring per echelon, the same pro-rata rationing, lost sales, the same booking);
  it computes the engine's profit per node and SKU (``network_vs_bare_profit_rel_diff``).

``network_ratio`` is bare seconds / engine seconds (above 1 the engine is faster than the loop),
``network_grad_ratio`` the same for the gradient run; ``*_cpu_*`` are the same from the process's CPU
time (``time.process_time``) of the same runs. On a machine shared with other work the wall rates fall
with the share of a core the process gets; ``load_average`` (1-minute, at the start and the end) says how
busy the machine was.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch

from restock import seeding
from restock.simulator.batch.bench import load_average, median_times, peak_rss
from restock.simulator.batch.engine import resolve_dtype
from restock.simulator.batch.network import NetworkEngine
from restock.simulator.paths import ExogenousPaths, sample_paths
from restock.simulator.policy import EchelonBaseStock
from restock.simulator.topology import layout
from restock.simulator.world import Economics, LeadTime, Network, Node, Vendor, World

PRICE, UNIT_COST, HOLDING, PENALTY, FIXED, SALVAGE = 2.0, 1.0, 0.02, 0.5, 0.1, 0.5
"""The economics of every SKU: selling price, unit cost, holding per unit and day at an FC, lost-sale
penalty, fixed cost per order (at every node) and salvage value per unit left at the horizon."""
WAREHOUSE_HOLDING = 0.5
"""The warehouse's holding factor (the FCs' is 1)."""
VENDOR_LEADS = (3, 4, 5, 6)
"""Vendor lead times (days), drawn per order with equal probabilities."""
TRANSFER_LEADS = (1, 2, 3)
"""Transfer lead times warehouse -> FC (days), drawn per FC, period and SKU with equal probabilities."""
REVIEW = 7


@dataclass(frozen=True)
class NetworkBenchConfig:
    """Sizes of one network benchmark run."""

    skus: int = 10_000
    """SKUs (every node stocks every SKU)."""
    fcs: int = 10
    """Fulfilment centres under the warehouse."""
    periods: int = 364
    """Periods (days) simulated: one year."""
    paths: int = 1
    """Exogenous paths simulated at once."""
    repeats: int = 3
    """Timed runs per measurement; the median is reported."""
    dtype: str = "float32"
    """dtype of the engine and the bare loop alike."""
    threads: int = 1
    """torch intra-op threads for the engine and the bare loop alike (see
    :class:`restock.simulator.batch.bench.BenchConfig`)."""
    device: str = "cpu"
    """torch device of the engine and the bare loop."""
    seed: int = 0

    @classmethod
    def quick(cls, **changes: Any) -> NetworkBenchConfig:
        """Small sizes for a smoke run (seconds)."""
        return replace(cls(skus=1_000), **changes)


@dataclass(frozen=True)
class NetworkInstance:
    world: World
    paths: ExogenousPaths
    levels: np.ndarray
    """[M, N] echelon base-stock levels: row 0 the warehouse's echelon, rows 1.. the FCs'."""
    subtree: np.ndarray
    """[M, M] the network's echelon matrix (:meth:`restock.simulator.topology.Layout.subtree`)."""


def _uniform(values: tuple[int, ...]) -> LeadTime:
    return LeadTime(kind="empirical", values=values, probs=(1.0 / len(values),) * len(values))


def network_instance(n_skus: int, n_fcs: int, periods: int, seed: int, n_paths: int = 1) -> NetworkInstance:
    """The benchmark instance (see the module docstring)."""
    rng = seeding.generator(seed, "network_bench/mean")
    mean = rng.uniform(1.0, 10.0, (n_fcs, n_skus))
    fcs = tuple(
        Node(f"fc{i}", source="warehouse", transfer_lead_time=_uniform(TRANSFER_LEADS)) for i in range(n_fcs)
    )
    network = Network(
        vendors=(Vendor("vendor", lead_time=_uniform(VENDOR_LEADS)),),
        nodes=(
            Node("warehouse", source="vendor", customer_facing=False, holding_factor=WAREHOUSE_HOLDING),
            *fcs,
        ),
    )
    # FCs: the demand of a review period plus the longest transfer, and a safety stock. The warehouse's
    # echelon: the FCs' levels plus a review period of their demand (every vendor order arrives within a
    # review period), no safety stock: the warehouse falls short of the FCs' requests at about half the
    # reviews and rations them
    cover_fc = REVIEW + TRANSFER_LEADS[-1]
    level_fc = np.round(mean * cover_fc + 1.5 * np.sqrt(mean * cover_fc))
    level_wh = level_fc.sum(0) + np.round(mean.sum(0) * REVIEW)
    levels = np.concatenate([level_wh[None], level_fc])
    start = np.concatenate([np.round(mean.sum(0) * REVIEW)[None], level_fc])
    world = World(
        skus=tuple(f"s{j}" for j in range(n_skus)),
        economics=Economics.uniform(
            n_skus,
            unit_cost=UNIT_COST,
            holding_cost=HOLDING,
            lost_sale_penalty=PENALTY,
            fixed_order_cost=FIXED,
            salvage_value=SALVAGE,
        ),
        network=network,
        horizon=periods,
        review_period=REVIEW,
        initial_on_hand=start,
    )

    def demand(g: np.random.Generator, p: int) -> np.ndarray:
        out = np.zeros((p, periods, n_fcs + 1, n_skus))  # none at the warehouse
        out[:, :, 1:] = g.poisson(mean, (p, periods, n_fcs, n_skus))
        return out

    def price(g: np.random.Generator, p: int) -> np.ndarray:
        return np.full((p, periods, n_skus), PRICE)

    paths = sample_paths(world, demand, price, n_paths=n_paths, seed=seed)
    return NetworkInstance(world, paths, levels, layout(world).subtree())


# ---------------------------------------------------------------------------------------- the bare loop


def bare_network_loop(
    demand: torch.Tensor,
    vendor_lead: torch.Tensor,
    transfer_lead: torch.Tensor,
    levels: torch.Tensor,
    start: torch.Tensor,
    review: int,
) -> torch.Tensor:
    """The rules of the instance as a plain in-place torch loop: profit per [P, M, N] (node 0 the warehouse).

    ``demand`` [T, P, F, N] at the FCs; ``vendor_lead`` [T, P, N] of a warehouse order placed in t;
    ``transfer_lead`` [T, P, F, N] of a transfer shipped in t; ``levels`` [1 + F, N] (the warehouse's
    echelon level first); ``start`` [1 + F, N] on-hand at period 0. Reviews at 0, review, 2 review, ...
    """
    t_len, p, f, n = demand.shape
    dtype, device = demand.dtype, demand.device
    ring = max(int(vendor_lead.max()), int(transfer_lead.max())) + 1
    wh_due = torch.zeros((ring, p, n), dtype=dtype, device=device)
    fc_due = torch.zeros((ring, p, f, n), dtype=dtype, device=device)
    wh = start[0].expand(p, n).clone()
    fc = start[1:].expand(p, f, n).clone()
    wh_pipe = torch.zeros_like(wh)
    fc_pipe = torch.zeros_like(fc)
    wh_profit = torch.zeros_like(wh)
    fc_profit = torch.zeros_like(fc)
    sales = torch.empty_like(fc)
    level_wh, level_fc = levels[0], levels[1:]
    for t in range(t_len):
        r = t % ring
        arriving = wh_due[r]
        wh.add_(arriving)
        wh_pipe.sub_(arriving)
        wh_profit.sub_(arriving, alpha=UNIT_COST)
        arriving.zero_()
        arriving = fc_due[r]
        fc.add_(arriving)
        fc_pipe.sub_(arriving)
        arriving.zero_()
        if t % review == 0:
            echelon = wh + wh_pipe + fc.sum(1) + fc_pipe.sum(1)
            q = (level_wh - echelon).clamp_(min=0.0)
            wh_profit.sub_((q > 0).to(dtype), alpha=FIXED)
            wh_due.scatter_add_(0, ((vendor_lead[t] + t) % ring).unsqueeze(0), q.unsqueeze(0))
            wh_pipe.add_(q)
            requests = (level_fc - fc - fc_pipe).clamp_(min=0.0)
            fc_profit.sub_((requests > 0).to(dtype), alpha=FIXED)
            total = requests.sum(1)
            share = torch.where(total > wh, wh / total, 1.0)  # pro rata where the warehouse falls short
            shipped = requests.mul_(share.unsqueeze(1))
            wh.sub_(shipped.sum(1))
            fc_due.scatter_add_(0, ((transfer_lead[t] + t) % ring).unsqueeze(0), shipped.unsqueeze(0))
            fc_pipe.add_(shipped)
        d = demand[t]
        torch.minimum(d, fc, out=sales)
        fc.sub_(sales)
        fc_profit.add_(sales, alpha=PRICE + PENALTY).sub_(d, alpha=PENALTY).sub_(fc, alpha=HOLDING)
        wh_profit.sub_(wh, alpha=HOLDING * WAREHOUSE_HOLDING)
    wh_profit.add_(wh, alpha=SALVAGE)
    fc_profit.add_(fc, alpha=SALVAGE)
    return torch.cat([wh_profit.unsqueeze(1), fc_profit], 1)


def bare_inputs(inst: NetworkInstance, dtype: torch.dtype, device: str | torch.device) -> dict[str, Any]:
    """The arguments of :func:`bare_network_loop` for ``inst`` (period-major tensors)."""
    paths = inst.paths

    def tens(a: np.ndarray, dt: torch.dtype = dtype) -> torch.Tensor:
        return torch.as_tensor(np.ascontiguousarray(a), dtype=dt, device=device)

    return {
        "demand": tens(paths.demand[:, :, 1:].transpose(1, 0, 2, 3)),
        "vendor_lead": tens(paths.lead_time[:, :, 0].transpose(1, 0, 2), torch.int64),
        "transfer_lead": tens(paths.lead_time[:, :, 1:].transpose(1, 0, 2, 3), torch.int64),
        "levels": tens(inst.levels),
        "start": tens(inst.world.start_on_hand()),
        "review": inst.world.review_period,
    }


# ---------------------------------------------------------------------------------------- measurements


def measure_network(inst: NetworkInstance, cfg: NetworkBenchConfig) -> dict[str, Any]:
    """The forward, gradient and bare-loop measurements on ``inst`` (see the module docstring)."""
    dtype = resolve_dtype(cfg.dtype)
    world, paths = inst.world, inst.paths
    units = world.n_skus * len(world.network.nodes) * paths.n_paths * world.horizon
    t0 = time.perf_counter()
    engine = NetworkEngine(world, paths, record=False, dtype=dtype, device=cfg.device)
    setup_s = time.perf_counter() - t0
    rule = EchelonBaseStock(inst.levels, inst.subtree)
    fwd_s, fwd_times, fwd_cpu, totals = median_times(lambda: engine.rollout(rule), cfg.repeats)

    args = bare_inputs(inst, dtype, cfg.device)
    bare_s, bare_times, bare_cpu, bare_profit = median_times(lambda: bare_network_loop(**args), cfg.repeats)
    agree = float((bare_profit - totals["reward"]).abs().max() / bare_profit.abs().max())

    grad_engine = NetworkEngine(world, paths, record=False, grad=True, dtype=dtype, device=cfg.device)

    def grad_run() -> torch.Tensor:
        level = torch.as_tensor(inst.levels, dtype=dtype, device=cfg.device).requires_grad_(True)
        profit = grad_engine.rollout(EchelonBaseStock(level, inst.subtree))["reward"].sum()
        profit.backward()
        assert level.grad is not None
        return level.grad

    grad_s, grad_times, grad_cpu, grad = median_times(grad_run, cfg.repeats)
    return {
        "network_sku_node_periods_per_s": units / fwd_s,
        "network_grad_sku_node_periods_per_s": units / grad_s,
        "network_bare_torch_sku_node_periods_per_s": units / bare_s,
        "network_ratio": bare_s / fwd_s,
        "network_grad_ratio": bare_s / grad_s,
        "network_cpu_sku_node_periods_per_s": units / fwd_cpu,
        "network_grad_cpu_sku_node_periods_per_s": units / grad_cpu,
        "network_bare_torch_cpu_sku_node_periods_per_s": units / bare_cpu,
        "network_cpu_ratio": bare_cpu / fwd_cpu,
        "network_grad_cpu_ratio": bare_cpu / grad_cpu,
        "network_seconds": fwd_times,
        "network_grad_seconds": grad_times,
        "network_bare_torch_seconds": bare_times,
        "network_setup_seconds": setup_s,
        "network_vs_bare_profit_rel_diff": agree,
        "network_grad_finite": bool(torch.isfinite(grad).all()),
    }


def run_network_benchmark(
    cfg: NetworkBenchConfig, *, progress: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """All measurements of one network run, as one JSON-ready dict (see the module docstring)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(cfg.threads)
    try:
        result: dict[str, Any] = {
            "config": {
                "skus": cfg.skus,
                "fcs": cfg.fcs,
                "nodes": cfg.fcs + 1,
                "periods": cfg.periods,
                "paths": cfg.paths,
                "repeats": cfg.repeats,
                "dtype": cfg.dtype,
                "device": cfg.device,
                "torch_threads": torch.get_num_threads(),
                "statistic": "median",
            },
            "load_average": {"start": load_average()},
        }
        if progress is not None:
            progress(
                f"network engine forward, bare torch and grad on {cfg.skus} SKUs x {cfg.fcs + 1} nodes x "
                f"{cfg.paths} paths x {cfg.periods} periods"
            )
        inst = network_instance(cfg.skus, cfg.fcs, cfg.periods, cfg.seed, cfg.paths)
        result.update(measure_network(inst, cfg))
        result["peak_rss_bytes"] = peak_rss()
        result["load_average"]["end"] = load_average()
        return result
    finally:
        torch.set_num_threads(threads)


__all__ = [
    "NetworkBenchConfig",
    "NetworkInstance",
    "bare_inputs",
    "bare_network_loop",
    "measure_network",
    "network_instance",
    "run_network_benchmark",
]
