"""Speed of the simulator engines against bare loops of the same rules, measured in the same run.

The instance (one node, lost sales, weekly review, daily demand, one year = 364 periods): Poisson demand
with a mean per SKU, lead times drawn per order from {1, 2, 3, 4}, full fills, no capacity limits, a
base-stock rule at 1.5 weeks of demand plus the lead time. Every measurement is the median of
``repeats`` timed runs; throughput is SKU-periods per second (SKUs x paths x periods / seconds).

* des: the SimPy reference engine (``restock.simulator.des``) on ``des_skus`` SKUs, records off.
* bare SimPy: a per-SKU SimPy loop with the same events (arrivals, review, demand each period) and the
  same arithmetic, on the same SKUs: what the des engine is compared with (``des_ratio``).
* batch: the batch engine forward (no grad, no records) on ``batch_skus`` SKUs in ``dtype``.
* bare torch: a plain torch loop of the same rules (an arrival schedule with ``scatter_add_``, in-place
  updates) on the same tensors: what the batch engine is compared with (``batch_ratio``).
* batch grad: the batch engine with ``grad=True`` plus ``backward()`` of the total profit to the base-stock
  levels.
* compiled (``compiled=True``): the same two with ``compile="on"`` (:mod:`restock.simulator.batch.compiled`),
  their ratios to the bare torch loop (``batch_compiled_ratio``, ``batch_compiled_grad_ratio``), the
  warm-up (the first, compiling, run of each: ``batch_compiled_warmup_seconds``) and how far the compiled
  totals and gradient are from the eager ones; and the bare torch loop with each review block compiled
  (:func:`bare_compiled_loop`, ``bare_compiled_ratio``): the ceiling of a compiled engine. Where
  ``torch.compile`` is not available they are None and ``batch_compiled_unavailable`` says why.

Wall clock and CPU time: every rate is wall-clock (``time.perf_counter``); the batch and bare torch
measurements also report ``*_cpu_sku_periods_per_s`` from the process's CPU time (``time.process_time``)
of the same runs. With one torch thread (the default) the CPU rate is what the code does on a core of its
own; on a machine shared with other work the wall rate falls with the share of a core the process gets,
the CPU rate much less. ``load_average`` (1-minute, at the start and the end of the run) says how busy
the machine was. A wall rate far below its CPU rate means a busy machine, not slower code.

Memory: ``batch_bytes_per_sku_period`` is the bytes of the tensors the engine holds for the run (its
exogenous inputs and window state) per SKU-period; ``batch_grad_bytes_per_sku_period`` adds the tensors
autograd saved for the backward pass (counted with ``torch.autograd.graph.saved_tensors_hooks``). The
process peak RSS is reported too (``peak_rss_bytes``, for the whole benchmark process).
"""

from __future__ import annotations

import functools
import gc
import math
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch

from restock import seeding
from restock.simulator.batch.compiled import compiler_available
from restock.simulator.batch.engine import BatchEngine, resolve_dtype
from restock.simulator.des.bench import measure_des
from restock.simulator.paths import ExogenousPaths
from restock.simulator.policy import BaseStock
from restock.simulator.world import Economics, Network, World

PRICE, UNIT_COST, HOLDING, PENALTY = 2.0, 1.0, 0.02, 0.5
LEADS = (1, 2, 3, 4)


@dataclass(frozen=True)
class BenchConfig:
    """Sizes of one benchmark run."""

    des_skus: int = 1_000
    """SKUs for the des engine and the bare SimPy loop."""
    batch_skus: int = 100_000
    """SKUs for the batch engine and the bare torch loop."""
    periods: int = 364
    """Periods (days) simulated: one year."""
    repeats: int = 3
    """Timed runs per measurement; the median is reported."""
    dtype: str = "float32"
    """dtype of the batch engine and the bare torch loop."""
    threads: int = 1
    """torch intra-op threads for the batch engine and the bare torch loop alike. 1 by default: on a small
    machine shared with other work, torch's parallel kernels stall waiting for busy cores, and a single
    thread gives the steadier (and here faster) number."""
    device: str = "cpu"
    """torch device of the batch engine and the bare torch loop (the same code runs on a GPU)."""
    compiled: bool = True
    """Measure the compiled engine and the compiled bare loop too (seconds of warm-up)."""
    seed: int = 0

    @classmethod
    def quick(cls, **changes: Any) -> BenchConfig:
        """Small sizes for a smoke run (seconds)."""
        return replace(cls(des_skus=100, batch_skus=10_000, periods=364, repeats=3), **changes)


@dataclass(frozen=True)
class Instance:
    world: World
    paths: ExogenousPaths
    levels: np.ndarray
    """[1, N] base-stock levels."""


def instance(n_skus: int, periods: int, seed: int) -> Instance:
    """The benchmark instance (see the module docstring); memory-light paths (broadcast views)."""
    rng = seeding.generator(seed, "bench/demand")
    mean = rng.uniform(1.0, 20.0, n_skus)
    demand = rng.poisson(mean, (1, periods, 1, n_skus)).astype(np.float32)
    lead = seeding.generator(seed, "bench/lead_time").integers(
        LEADS[0], LEADS[-1] + 1, (1, periods, 1, n_skus)
    )
    shape = (1, periods, 1, n_skus)
    paths = ExogenousPaths(
        demand=demand,
        lead_time=lead.astype(np.int8),
        fill_rate=np.broadcast_to(np.float32(1.0), shape),
        capacity=np.broadcast_to(np.float32(math.inf), (periods, 1, n_skus)),
        price=np.broadcast_to(np.float32(PRICE), (1, periods, n_skus)),
    )
    world = World(
        skus=tuple(f"s{i}" for i in range(n_skus)),
        economics=Economics.uniform(
            n_skus, unit_cost=UNIT_COST, holding_cost=HOLDING, lost_sale_penalty=PENALTY
        ),
        network=Network.single(),
        horizon=periods,
        review_period=7,
    )
    levels = np.round(mean * (7 * 1.5 + LEADS[-1]))[None, :]
    return Instance(world, paths, levels)


def _median_time(fn: Callable[[], Any], repeats: int) -> tuple[float, list[float], Any]:
    sec, times, _, out = median_times(fn, repeats)
    return sec, times, out


def median_times(fn: Callable[[], Any], repeats: int) -> tuple[float, list[float], float, Any]:
    """(median wall seconds, wall seconds of each run, median CPU seconds, the last result)."""
    times, cpu, out = [], [], None
    for _ in range(repeats):
        gc.collect()
        _sync()
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        _sync()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(times), times, statistics.median(cpu), out


# ---------------------------------------------------------------------------------------- bare loops


def bare_torch_loop(
    demand: torch.Tensor, lead: torch.Tensor, levels: torch.Tensor, review: int
) -> torch.Tensor:
    """The same rules as a plain torch loop: profit per SKU. ``demand`` [T, N], ``lead`` [n_reviews, N]."""
    t_len, n = demand.shape
    dtype, device = demand.dtype, demand.device
    schedule = torch.zeros((t_len + int(lead.max()) + 1, n), dtype=dtype, device=device)
    on_hand = torch.zeros(n, dtype=dtype, device=device)
    pipeline = torch.zeros(n, dtype=dtype, device=device)
    profit = torch.zeros(n, dtype=dtype, device=device)
    sales = torch.empty(n, dtype=dtype, device=device)
    steps = torch.arange(t_len, device=demand.device).unsqueeze(1)
    for t in range(t_len):
        arriving = schedule[t]
        on_hand.add_(arriving)
        pipeline.sub_(arriving)
        profit.sub_(arriving, alpha=UNIT_COST)
        if t % review == 0:
            q = (levels - on_hand - pipeline).clamp_(min=0.0)
            schedule.scatter_add_(0, (steps[t] + lead[t // review]).unsqueeze(0), q.unsqueeze(0))
            pipeline.add_(q)
        d = demand[t]
        torch.minimum(d, on_hand, out=sales)
        on_hand.sub_(sales)
        profit.add_(sales, alpha=PRICE + PENALTY).sub_(d, alpha=PENALTY).sub_(on_hand, alpha=HOLDING)
    return profit


def _bare_block(
    on_hand: torch.Tensor,
    pipeline: torch.Tensor,
    profit: torch.Tensor,
    window: torch.Tensor,
    demand: torch.Tensor,
    lead: torch.Tensor,
    levels: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """One review block of :func:`bare_torch_loop` out of place (what ``torch.compile`` takes): ``window``
    [K + 1, N] the units due in the block's periods, ``demand`` [n, N]; lead times >= 1."""
    for j in range(demand.shape[0]):
        if j < window.shape[0]:
            arriving = window[j]
            on_hand, pipeline, profit = on_hand + arriving, pipeline - arriving, profit - arriving * UNIT_COST
        if j == 0:
            q = (levels - on_hand - pipeline).clamp(min=0.0)
            window = window.scatter_add(0, lead.unsqueeze(0), q.unsqueeze(0))
            pipeline = pipeline + q
        d = demand[j]
        sales = torch.minimum(d, on_hand)
        on_hand = on_hand - sales
        profit = profit + sales * (PRICE + PENALTY) - d * PENALTY - on_hand * HOLDING
    r = demand.shape[0]
    moved = (
        torch.zeros_like(window)
        if r >= window.shape[0]
        else torch.cat([window[r:], window.new_zeros((r, window.shape[1]))])
    )
    return on_hand, pipeline, profit, moved


@functools.cache
def _compiled_bare_block() -> Callable[..., tuple[torch.Tensor, ...]]:
    return torch.compile(_bare_block, dynamic=False, fullgraph=True)  # type: ignore[no-any-return]


def bare_compiled_loop(
    demand: torch.Tensor, lead: torch.Tensor, levels: torch.Tensor, review: int
) -> torch.Tensor:
    """:func:`bare_torch_loop` with each review block compiled (``torch.compile``): the ceiling of the
    compiled batch engine. Profit per SKU."""
    n = demand.shape[1]
    on_hand, pipeline, profit = (torch.zeros(n, dtype=demand.dtype, device=demand.device) for _ in range(3))
    window = torch.zeros((int(lead.max()) + 1, n), dtype=demand.dtype, device=demand.device)
    for i, t in enumerate(range(0, demand.shape[0], review)):
        on_hand, pipeline, profit, window = _compiled_bare_block()(
            on_hand, pipeline, profit, window, demand[t : t + review], lead[i], levels
        )
    return profit


# ---------------------------------------------------------------------------------------- measurements


def _tensor_bytes(engine: BatchEngine) -> int:
    seen: set[int] = set()
    total = 0
    for value in vars(engine).values():
        for x in value.values() if isinstance(value, dict) else [value]:  # buffers, block demand sums
            if isinstance(x, torch.Tensor) and x.untyped_storage().data_ptr() not in seen:
                seen.add(x.untyped_storage().data_ptr())
                total += x.untyped_storage().nbytes()
    return total


def measure_batch(inst: Instance, cfg: BenchConfig) -> dict[str, Any]:
    dtype = resolve_dtype(cfg.dtype)
    sku_periods = inst.world.n_skus * inst.paths.n_paths * inst.world.horizon
    t0 = time.perf_counter()
    engine = BatchEngine(inst.world, inst.paths, record=False, dtype=dtype, device=cfg.device)
    setup_s = time.perf_counter() - t0
    rule = BaseStock(torch.as_tensor(inst.levels, dtype=dtype, device=cfg.device))
    fwd_s, fwd_times, fwd_cpu, totals = median_times(lambda: engine.rollout(rule), cfg.repeats)
    engine_bytes = _tensor_bytes(engine)

    # the bare loop on the same tensors
    demand = engine._demand[:, 0, :]
    lead = engine._lead[:, 0, :]
    levels = torch.as_tensor(inst.levels[0], dtype=dtype, device=cfg.device)
    bare_s, bare_times, bare_cpu, bare_profit = median_times(
        lambda: bare_torch_loop(demand, lead, levels, inst.world.review_period), cfg.repeats
    )
    agree = float((bare_profit - totals["reward"][0, 0]).abs().max() / bare_profit.abs().max())

    grad_engine = BatchEngine(inst.world, inst.paths, record=False, grad=True, dtype=dtype, device=cfg.device)
    saved = [0]

    def pack(x: torch.Tensor) -> torch.Tensor:
        saved[0] += x.numel() * x.element_size()
        return x

    def grad_run() -> torch.Tensor:
        level = torch.as_tensor(inst.levels, dtype=dtype, device=cfg.device).requires_grad_(True)
        saved[0] = 0
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda x: x):
            profit = grad_engine.rollout(BaseStock(level))["reward"].sum()
        profit.backward()
        assert level.grad is not None
        return level.grad

    grad_s, grad_times, grad_cpu, grad = median_times(grad_run, cfg.repeats)
    compiled = (
        _measure_compiled(inst, cfg, totals, grad, (demand, lead, levels), (bare_s, bare_cpu), sku_periods)
        if cfg.compiled
        else {}
    )
    return {
        "batch_sku_periods_per_s": sku_periods / fwd_s,
        "batch_grad_sku_periods_per_s": sku_periods / grad_s,
        "bare_torch_sku_periods_per_s": sku_periods / bare_s,
        "batch_ratio": bare_s / fwd_s,
        "batch_cpu_sku_periods_per_s": sku_periods / fwd_cpu,
        "batch_grad_cpu_sku_periods_per_s": sku_periods / grad_cpu,
        "bare_torch_cpu_sku_periods_per_s": sku_periods / bare_cpu,
        "batch_cpu_ratio": bare_cpu / fwd_cpu,
        "batch_bytes_per_sku_period": engine_bytes / sku_periods,
        "batch_bytes_measure": "tensor bytes held by the engine (inputs, windows, buffers) / SKU-periods",
        "batch_grad_bytes_per_sku_period": (engine_bytes + saved[0]) / sku_periods,
        "batch_grad_bytes_measure": "engine tensor bytes + bytes autograd saved for backward / SKU-periods",
        "batch_seconds": fwd_times,
        "batch_grad_seconds": grad_times,
        "bare_torch_seconds": bare_times,
        "batch_setup_seconds": setup_s,
        "batch_vs_bare_profit_rel_diff": agree,
        "batch_grad_finite": bool(torch.isfinite(grad).all()),
        **compiled,
    }


COMPILED_KEYS: tuple[str, ...] = (
    "batch_compiled_sku_periods_per_s",
    "batch_compiled_grad_sku_periods_per_s",
    "bare_compiled_sku_periods_per_s",
    "batch_compiled_ratio",
    "batch_compiled_grad_ratio",
    "bare_compiled_ratio",
    "batch_compiled_cpu_ratio",
    "batch_compiled_grad_cpu_ratio",
    "bare_compiled_cpu_ratio",
    "batch_compiled_seconds",
    "batch_compiled_grad_seconds",
    "bare_compiled_seconds",
    "batch_compiled_warmup_seconds",
    "batch_compiled_grad_warmup_seconds",
    "bare_compiled_warmup_seconds",
    "batch_compiled_max_abs_diff",
    "batch_compiled_max_rel_diff",
    "batch_compiled_grad_max_rel_diff",
    "batch_compiled_graphs",
)
"""The keys of the compiled measurements (None where ``torch.compile`` is not available)."""


def _measure_compiled(
    inst: Instance,
    cfg: BenchConfig,
    totals: dict[str, torch.Tensor],
    grad: torch.Tensor,
    bare_inputs: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    bare: tuple[float, float],
    sku_periods: int,
) -> dict[str, Any]:
    """The compiled engine (forward and grad) and the compiled bare loop, against the eager results."""
    why = compiler_available(torch.device(cfg.device).type)
    if why is not None:
        return dict.fromkeys(COMPILED_KEYS) | {"batch_compiled_unavailable": why}
    dtype = resolve_dtype(cfg.dtype)
    options: dict[str, Any] = {"record": False, "dtype": dtype, "device": cfg.device, "compile": "on"}
    graphs_before = _graph_count()
    engine = BatchEngine(inst.world, inst.paths, **options)
    rule = BaseStock(torch.as_tensor(inst.levels, dtype=dtype, device=cfg.device))
    warm, _, _, _ = median_times(lambda: engine.rollout(rule), 1)
    fwd_s, fwd_times, fwd_cpu, got = median_times(lambda: engine.rollout(rule), cfg.repeats)
    abs_diff = max(float((got[k] - totals[k]).abs().max()) for k in totals)
    rel_diff = max(
        float((got[k] - totals[k]).abs().max() / totals[k].abs().max().clamp(min=1e-30)) for k in totals
    )

    grad_engine = BatchEngine(inst.world, inst.paths, **(options | {"grad": True}))

    def grad_run() -> torch.Tensor:
        level = torch.as_tensor(inst.levels, dtype=dtype, device=cfg.device).requires_grad_(True)
        grad_engine.rollout(BaseStock(level))["reward"].sum().backward()
        assert level.grad is not None
        return level.grad

    grad_warm, _, _, _ = median_times(grad_run, 1)
    grad_s, grad_times, grad_cpu, got_grad = median_times(grad_run, cfg.repeats)
    grad_diff = float((got_grad - grad).abs().max() / grad.abs().max().clamp(min=1e-30))
    graphs = _graph_count() - graphs_before

    demand, lead, levels = bare_inputs
    review = inst.world.review_period
    bare_warm, _, _, _ = median_times(lambda: bare_compiled_loop(demand, lead, levels, review), 1)
    ceil_s, ceil_times, ceil_cpu, _ = median_times(
        lambda: bare_compiled_loop(demand, lead, levels, review), cfg.repeats
    )
    bare_s, bare_cpu = bare
    return {
        "batch_compiled_sku_periods_per_s": sku_periods / fwd_s,
        "batch_compiled_grad_sku_periods_per_s": sku_periods / grad_s,
        "bare_compiled_sku_periods_per_s": sku_periods / ceil_s,
        "batch_compiled_ratio": bare_s / fwd_s,
        "batch_compiled_grad_ratio": bare_s / grad_s,
        "bare_compiled_ratio": bare_s / ceil_s,
        "batch_compiled_cpu_ratio": bare_cpu / fwd_cpu,
        "batch_compiled_grad_cpu_ratio": bare_cpu / grad_cpu,
        "bare_compiled_cpu_ratio": bare_cpu / ceil_cpu,
        "batch_compiled_seconds": fwd_times,
        "batch_compiled_grad_seconds": grad_times,
        "bare_compiled_seconds": ceil_times,
        "batch_compiled_warmup_seconds": warm,
        "batch_compiled_grad_warmup_seconds": grad_warm,
        "bare_compiled_warmup_seconds": bare_warm,
        "batch_compiled_max_abs_diff": abs_diff,
        "batch_compiled_max_rel_diff": rel_diff,
        "batch_compiled_grad_max_rel_diff": grad_diff,
        "batch_compiled_graphs": graphs,
        "batch_compiled_unavailable": None,
    }


def _graph_count() -> int:
    """Graphs TorchDynamo has compiled in this process so far."""
    from torch._dynamo.utils import counters

    return int(counters["stats"]["unique_graphs"])


def run_benchmark(cfg: BenchConfig, *, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """All measurements of one run, as one JSON-ready dict (see the module docstring)."""

    def say(msg: str) -> None:
        if progress is not None:
            progress(msg)

    threads = torch.get_num_threads()
    torch.set_num_threads(cfg.threads)
    try:
        return _run(cfg, say)
    finally:
        torch.set_num_threads(threads)


def _run(cfg: BenchConfig, say: Callable[[str], None]) -> dict[str, Any]:

    say(f"des and bare SimPy on {cfg.des_skus} SKUs x {cfg.periods} periods")
    result: dict[str, Any] = {
        "config": {
            "des_skus": cfg.des_skus,
            "batch_skus": cfg.batch_skus,
            "periods": cfg.periods,
            "repeats": cfg.repeats,
            "dtype": cfg.dtype,
            "device": cfg.device,
            "torch_threads": torch.get_num_threads(),
            "compiled": cfg.compiled,
            "statistic": "median",
        },
        "load_average": {"start": load_average()},
    }
    result.update(measure_des(instance(cfg.des_skus, cfg.periods, cfg.seed), cfg))
    say(f"batch forward, bare torch and batch grad on {cfg.batch_skus} SKUs x {cfg.periods} periods")
    inst = instance(cfg.batch_skus, cfg.periods, cfg.seed)
    result.update(measure_batch(inst, cfg))
    del inst
    gc.collect()
    # linearity: the forward pass at a quarter of the SKUs and at half the periods
    small = replace(cfg, batch_skus=max(cfg.batch_skus // 4, 1))
    short = replace(cfg, periods=max(cfg.periods // 2, 7))
    say("linearity: a quarter of the SKUs, half the periods")
    result["scaling"] = {
        "batch_sku_periods_per_s": {f"{c.batch_skus}x{c.periods}": _forward_rate(c) for c in (small, short)}
        | {f"{cfg.batch_skus}x{cfg.periods}": result["batch_sku_periods_per_s"]},
    }
    rates = list(result["scaling"]["batch_sku_periods_per_s"].values())
    result["scaling"]["max_over_min_rate"] = max(rates) / min(rates)
    result["peak_rss_bytes"] = peak_rss()
    result["load_average"]["end"] = load_average()
    result["targets"] = {
        "des_ratio": 0.6,
        "batch_ratio": 0.3,
        "batch_grad_sku_periods_per_s": 15e6,
        "batch_compiled_ratio": 2.0,
        "batch_compiled_grad_ratio": 1.0,
    }
    return result


def _forward_rate(cfg: BenchConfig) -> float:
    inst = instance(cfg.batch_skus, cfg.periods, cfg.seed)
    engine = BatchEngine(
        inst.world, inst.paths, record=False, dtype=resolve_dtype(cfg.dtype), device=cfg.device
    )
    rule = BaseStock(torch.as_tensor(inst.levels, dtype=resolve_dtype(cfg.dtype), device=cfg.device))
    sec, _, _ = _median_time(lambda: engine.rollout(rule), cfg.repeats)
    return inst.world.n_skus * inst.world.horizon / sec


def _sync() -> None:
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.synchronize()


def load_average() -> float | None:
    """The 1-minute load average of the machine (None where the OS does not report it)."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def peak_rss() -> int:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(rss if sys.platform == "darwin" else rss * 1024)
