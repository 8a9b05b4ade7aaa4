"""``restock bench``: speed of the simulator engines against bare loops of the same rules."""

from __future__ import annotations

import json

import typer

from restock.errors import InputError

MAX_SKU_PERIODS = 500_000_000
"""Most SKUs x periods of one engine's run (its int64 demand array alone is 4 GB there); every size is also
at most the scenario bounds (1,000,000 SKUs, 100,000 periods) and ``--repeats`` at most 1,000."""


def _check_sizes(sizes: dict[str, int | None], defaults: dict[str, int]) -> None:
    """Each given size in (0, its bound], and SKUs x periods at most :data:`MAX_SKU_PERIODS`."""
    from restock.scenarios.schema import MAX_PERIODS, MAX_SKUS

    bounds = {"des_skus": MAX_SKUS, "batch_skus": MAX_SKUS, "periods": MAX_PERIODS, "repeats": 1000}
    for name, value in sizes.items():
        option = f"--{name.replace('_', '-')}"
        if value is not None and value <= 0:
            raise InputError(f"restock bench: {option} must be > 0, got {value!r}")
        if value is not None and value > bounds[name]:
            raise InputError(f"restock bench: {option} must be at most {bounds[name]:,}, got {value!r}")
    size = {k: v if v is not None else defaults[k] for k, v in sizes.items()}
    for skus in ("des_skus", "batch_skus"):
        if size[skus] * size["periods"] > MAX_SKU_PERIODS:
            raise InputError(
                f"restock bench: --{skus.replace('_', '-')} {size[skus]:,} x --periods {size['periods']:,} "
                f"is more than {MAX_SKU_PERIODS:,} SKU-periods"
            )


def register(app: typer.Typer) -> None:
    app.command("bench")(bench)


def bench(
    json_output: bool = typer.Option(
        False, "--json", help="Print one JSON object (and nothing else on stdout)."
    ),
    quick: bool = typer.Option(
        False, "--quick", help="Small sizes (100 des SKUs, 10,000 batch SKUs): seconds."
    ),
    des_skus: int | None = typer.Option(None, help="SKUs for des and the bare SimPy loop (default 1,000)."),
    batch_skus: int | None = typer.Option(
        None, help="SKUs for the batch engine and bare torch (default 100,000)."
    ),
    periods: int | None = typer.Option(None, help="Periods simulated (default 364: one year of days)."),
    repeats: int | None = typer.Option(
        None, help="Timed runs per measurement; medians are reported (default 3)."
    ),
    dtype: str = typer.Option("float32", help="Batch engine dtype: float32 or float64."),
    threads: int = typer.Option(1, help="torch threads for the batch engine and the bare torch loop alike."),
    device: str = typer.Option(
        "cpu", help="torch device of the batch engine and bare torch loop (cpu, cuda)."
    ),
    compiled: bool | None = typer.Option(
        None,
        "--compile/--no-compile",
        help="Also measure the compiled batch engine (torch.compile) and the compiled bare loop "
        "(default: yes; seconds of warm-up).",
    ),
    network: bool = typer.Option(
        False,
        "--network",
        help="The batch engine on the ten-FC network instead (one warehouse, ten FCs; 10,000 SKUs, "
        "--quick 1,000; --batch-skus sets the SKUs) against a bare torch loop: network_* keys.",
    ),
) -> None:
    """Throughput (SKU-periods/s, medians of repeats) of the des and batch engines, with and without
    gradient, and of bare SimPy and torch loops of the same rules measured in the same run; with
    --network, of the batch engine on the ten-FC network (SKU-node-periods/s)."""
    from dataclasses import replace

    import torch

    from restock.simulator.batch.bench import BenchConfig, run_benchmark
    from restock.simulator.batch.engine import resolve_dtype

    resolve_dtype(dtype)
    cfg = BenchConfig.quick() if quick else BenchConfig()
    sizes = {"des_skus": des_skus, "batch_skus": batch_skus, "periods": periods, "repeats": repeats}
    _check_sizes(sizes, {k: getattr(cfg, k) for k in sizes})
    if threads <= 0:
        raise InputError(f"restock bench: --threads must be > 0, got {threads!r}")
    try:
        torch.device(device)
    except RuntimeError as exc:
        raise InputError(f"restock bench: --device {device!r} is not a torch device ({exc})") from exc
    if network:
        if des_skus is not None:
            raise InputError("restock bench: --des-skus has no meaning with --network (no des run)")
        if compiled is not None:
            raise InputError(
                "restock bench: --compile/--no-compile has no meaning with --network (the network engine "
                "has no compiled path)"
            )
        _network(json_output, quick, batch_skus, periods, repeats, dtype, threads, device)
        return
    cfg = replace(
        cfg,
        dtype=dtype,
        threads=threads,
        device=device,
        compiled=compiled is not False,
        **{k: v for k, v in sizes.items() if v is not None},
    )
    result = run_benchmark(cfg, progress=None if json_output else lambda msg: typer.echo(msg, err=True))
    if json_output:
        typer.echo(json.dumps(result))
        return
    keys = (
        "des_sku_periods_per_s",
        "bare_simpy_sku_periods_per_s",
        "des_ratio",
        "batch_sku_periods_per_s",
        "bare_torch_sku_periods_per_s",
        "batch_ratio",
        "batch_grad_sku_periods_per_s",
        "batch_compiled_sku_periods_per_s",
        "batch_compiled_grad_sku_periods_per_s",
        "bare_compiled_sku_periods_per_s",
        "batch_compiled_ratio",
        "batch_compiled_grad_ratio",
        "bare_compiled_ratio",
        "batch_compiled_warmup_seconds",
        "batch_bytes_per_sku_period",
        "batch_grad_bytes_per_sku_period",
    )
    for key in keys:
        value = result.get(key)
        typer.echo(f"{key:38s} {'n/a' if value is None else f'{value:,.3f}'}")
    typer.echo(f"{'scaling max/min rate':38s} {result['scaling']['max_over_min_rate']:.2f}")


def _network(
    json_output: bool,
    quick: bool,
    skus: int | None,
    periods: int | None,
    repeats: int | None,
    dtype: str,
    threads: int,
    device: str,
) -> None:
    """``restock bench --network``: the batch engine on the ten-FC network against a bare torch loop."""
    from dataclasses import replace

    from restock.simulator.batch.network_bench import NetworkBenchConfig, run_network_benchmark

    cfg = NetworkBenchConfig.quick() if quick else NetworkBenchConfig()
    sizes = {"skus": skus, "periods": periods, "repeats": repeats}
    cfg = replace(
        cfg, dtype=dtype, threads=threads, device=device, **{k: v for k, v in sizes.items() if v is not None}
    )
    progress = None if json_output else lambda msg: typer.echo(msg, err=True)
    result = run_network_benchmark(cfg, progress=progress)
    if json_output:
        typer.echo(json.dumps(result))
        return
    keys = (
        "network_sku_node_periods_per_s",
        "network_grad_sku_node_periods_per_s",
        "network_bare_torch_sku_node_periods_per_s",
        "network_ratio",
        "network_grad_ratio",
        "network_cpu_sku_node_periods_per_s",
        "network_grad_cpu_sku_node_periods_per_s",
        "network_bare_torch_cpu_sku_node_periods_per_s",
        "network_cpu_ratio",
        "network_grad_cpu_ratio",
        "network_vs_bare_profit_rel_diff",
    )
    for key in keys:
        typer.echo(f"{key:46s} {result[key]:,.3f}" if key != keys[-1] else f"{key:46s} {result[key]:.2e}")
    load = result["load_average"]
    typer.echo(f"{'load average (1 min) start / end':46s} {load['start']} / {load['end']}")
