"""``restock sweep SPEC.toml``: a grid of evaluations (scenario x overrides x seeds) as Ray tasks.

    restock sweep examples/sweep.toml                      # embedded local Ray, one worker per core
    restock sweep examples/sweep.toml --workers 2 --out runs/my-sweep
    restock sweep examples/sweep.toml --address auto       # the Ray cluster this machine belongs to

The job is :func:`restock.pipelines.sweep.run_sweep` (the folder it writes, resuming, retries); the spec's
schema is in docs/scale.md. A progress bar (cells done / total, ETA) goes to stderr; the merged KPI table
(per scenario, grid setting and policy, savings against the newsvendor with 95% CIs) to stdout, or one
JSON object with ``--json``. Rerunning the same command skips the finished cells.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Attach ``restock sweep``."""

    @app.command("sweep")
    def sweep_command(
        spec_file: Annotated[str, typer.Argument(help="The sweep spec (TOML; schema in docs/scale.md).")],
        out: Annotated[
            str | None,
            typer.Option(
                "--out", help="The sweep folder (default runs/<spec name>__sweep); rerun to resume."
            ),
        ] = None,
        workers: Annotated[
            int | None,
            typer.Option(
                "--workers", help="CPUs of the embedded local Ray (cells at a time); default: cores."
            ),
        ] = None,
        address: Annotated[
            str | None,
            typer.Option("--address", help="Join a running Ray cluster: auto or HOST:PORT of its head."),
        ] = None,
        retries: Annotated[
            int, typer.Option("--retries", help="Times Ray reruns a cell whose worker process died.")
        ] = 3,
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    ) -> None:
        """Run a grid of evaluations on Ray; merged KPIs with paired CIs against the newsvendor."""
        from tqdm import tqdm

        from restock.pipelines.cluster import ClusterSpec
        from restock.pipelines.sweep import SweepSpec, run_sweep

        spec = SweepSpec(spec_file, out, ClusterSpec(address, workers), max_retries=retries)
        bar: tqdm | None = None

        def progress(done: int, total: int) -> None:
            nonlocal bar
            if bar is None:
                bar = tqdm(total=total, initial=done, desc="cells", unit="cell", file=sys.stderr)
            else:
                bar.update(done - bar.n)

        try:
            result = run_sweep(spec, progress)
        finally:
            if bar is not None:
                bar.close()
        if as_json:
            summary = json.loads(result.summary.to_json(orient="records"))
            typer.echo(
                json.dumps({"folder": str(result.folder), "ran": list(result.ran), "summary": summary})
            )
            return
        typer.echo((result.folder / "kpis.md").read_text(encoding="utf-8"))
        typer.echo(
            f"sweep folder: {result.folder} ({len(result.ran)} cells run, "
            f"{len(result.summary['policy'].unique()) if len(result.summary) else 0} policies)"
        )
