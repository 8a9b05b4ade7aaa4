"""``restock bench``: speed of the simulator engines against bare loops of the same rules."""

from __future__ import annotations

import json

import typer

from restock.errors import InputError


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
) -> None:
    """Throughput (SKU-periods/s, medians of repeats) of the des and batch engines, with and without
    gradient, and of bare SimPy and torch loops of the same rules measured in the same run."""
    from dataclasses import replace

    import torch

    from restock.simulator.batch.bench import BenchConfig, run_benchmark
    from restock.simulator.batch.engine import resolve_dtype

    resolve_dtype(dtype)
    cfg = BenchConfig.quick() if quick else BenchConfig()
    sizes = {"des_skus": des_skus, "batch_skus": batch_skus, "periods": periods, "repeats": repeats}
    for name, value in sizes.items():
        if value is not None and value <= 0:
            raise InputError(f"restock bench: --{name.replace('_', '-')} must be > 0, got {value!r}")
    if threads <= 0:
        raise InputError(f"restock bench: --threads must be > 0, got {threads!r}")
    try:
        torch.device(device)
    except RuntimeError as exc:
        raise InputError(f"restock bench: --device {device!r} is not a torch device ({exc})") from exc
    cfg = replace(
        cfg, dtype=dtype, threads=threads, device=device, **{k: v for k, v in sizes.items() if v is not None}
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
        "batch_bytes_per_sku_period",
        "batch_grad_bytes_per_sku_period",
    )
    for key in keys:
        value = result.get(key)
        typer.echo(f"{key:34s} {'n/a' if value is None else f'{value:,.3f}'}")
    typer.echo(f"{'scaling max/min rate':34s} {result['scaling']['max_over_min_rate']:.2f}")
