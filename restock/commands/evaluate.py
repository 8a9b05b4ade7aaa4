"""``restock evaluate``: policies side by side on the same paths, savings against the newsvendor.

    restock evaluate --scenario steady --policies newsvendor,base-stock,myopic --seeds 10
    restock evaluate --scenario zipkin-lost-sales --set family.instance=p9-L2 \\
        --policies newsvendor,base-stock,capped-base-stock,oracle --seeds 5 --engine batch --json

Policy specs: see :mod:`restock.agents.specs`. The job is :func:`restock.pipelines.evaluation.run_evaluation`:
tuned baselines are tuned on training seeds starting at ``--train-seed`` (on the scenario with
``--train-set`` overrides added, if any: a data replay replays the same demand on every seed, so tune it on
earlier dates); evaluation uses the root seeds ``EVAL_SEED_OFFSET + 0 .. seeds - 1``.
``--shard-skus N`` evaluates the catalog in shards of N SKUs as Ray tasks (an embedded local Ray with
``--workers`` CPUs, or the cluster of ``--address``) and merges their sums exactly
(:func:`restock.pipelines.evaluation.run_sharded`; docs/scale.md).
``--json`` prints ``{"rows": [...], "summary": [...], "reference": "newsvendor"}``; without it, a markdown
table of the summary. ``--out DIR`` also writes the evaluation as a run folder
(:func:`restock.pipelines.evaluation.write_evaluation_run`: KPIs, per-seed KPIs, TensorBoard); every cell
of ``restock sweep`` is such a folder.
"""

from __future__ import annotations

import json
import math
from typing import Annotated, Any

import typer

from restock.commands.simulate import CompileOption

MARKDOWN_COLUMNS: tuple[str, ...] = (
    "policy",
    "profit",
    "saving_vs_newsvendor",
    "ci_low",
    "ci_high",
    "saving_pct",
    "fill_rate",
    "cycle_service_level",
    "avg_on_hand",
    "n_seeds",
)


def markdown_table(summary: list[dict[str, Any]]) -> str:
    """The summary rows as a markdown table (money to 2 decimals, ratios to 4)."""

    def fmt(v: Any) -> str:
        if isinstance(v, float):
            if not math.isfinite(v):
                return str(v)
            return f"{v:,.4f}" if abs(v) < 10 else f"{v:,.2f}"
        return "" if v is None else str(v)

    lines = ["| " + " | ".join(MARKDOWN_COLUMNS) + " |", "|" + "---|" * len(MARKDOWN_COLUMNS)]
    for row in summary:
        lines.append("| " + " | ".join(fmt(row.get(c)) for c in MARKDOWN_COLUMNS) + " |")
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    """Attach ``restock evaluate``."""

    @app.command("evaluate")
    def evaluate_command(
        scenario: Annotated[
            str, typer.Option("--scenario", help="A built-in scenario name or a scenario TOML file.")
        ],
        policies: Annotated[
            str,
            typer.Option(
                "--policies",
                help="Comma-separated: newsvendor, newsvendor-tuned, true-newsvendor, myopic, "
                "lagrangian-newsvendor (shared inbound capacity), base-stock, "
                "echelon-base-stock, capped-base-stock, s-S, r-Q, constant, single-index, dual-index, "
                "capped-dual-index (nodes with two vendors), oracle, runs/<dir>.",
            ),
        ] = "newsvendor,base-stock",
        seeds: Annotated[int, typer.Option("--seeds", help="Evaluation seeds (episodes).")] = 10,
        engine: Annotated[
            str, typer.Option("--engine", help="des (reference) or batch (faster; any network).")
        ] = "des",
        set_: Annotated[
            list[str] | None,
            typer.Option("--set", help="Override a scenario key: --set dotted.key=value (repeatable)."),
        ] = None,
        train_seed: Annotated[
            int, typer.Option("--train-seed", help="First training seed of the tuned baselines.")
        ] = 0,
        paths: Annotated[
            int | None, typer.Option("--paths", help="Paths per seed (default: the scenario's).")
        ] = None,
        train_set: Annotated[
            list[str] | None,
            typer.Option(
                "--train-set",
                help="Override a key of the scenario the tuned baselines train on (after --set), e.g. "
                "'demand.start=\"2014-05-25\"' to tune a data replay on earlier dates, 'shocks=[]' to tune "
                "without the scenario's shocks (repeatable).",
            ),
        ] = None,
        out_dir: Annotated[
            str | None,
            typer.Option(
                "--out", help="Also write the evaluation as a run folder DIR (must not hold a run)."
            ),
        ] = None,
        shard_skus: Annotated[
            int | None,
            typer.Option(
                "--shard-skus",
                help="Evaluate the catalog in shards of this many SKUs, each a Ray task, and merge their "
                "sums exactly (KPIs from totals: no in_stock_rate, no per-period TensorBoard series).",
            ),
        ] = None,
        workers: Annotated[
            int | None,
            typer.Option(
                "--workers", help="With --shard-skus: CPUs of the embedded local Ray (default: cores)."
            ),
        ] = None,
        address: Annotated[
            str | None,
            typer.Option(
                "--address", help="With --shard-skus: join a running Ray cluster (auto or HOST:PORT)."
            ),
        ] = None,
        compile_mode: CompileOption = "off",
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    ) -> None:
        """Evaluate policies on common random numbers; savings against the newsvendor with 95% CIs."""
        from restock import runs
        from restock.errors import InputError
        from restock.pipelines.evaluation import EvaluationSpec, run_evaluation, write_evaluation_run
        from restock.pipelines.inputs import parse_policies

        spec = EvaluationSpec(
            scenario,
            parse_policies(policies),
            seeds=seeds,
            engine=engine,
            scenario_overrides=tuple(set_ or ()),
            train_seed=train_seed,
            n_paths=paths,
            train_overrides=tuple(train_set or ()),
            shard_skus=shard_skus,
            compile=compile_mode,
        )
        cluster = None
        if shard_skus is not None:
            from restock.pipelines.cluster import ClusterSpec

            cluster = ClusterSpec(address, workers)
        elif workers is not None or address is not None:
            raise InputError("--workers and --address run the shards of --shard-skus; give --shard-skus")
        if out_dir is not None and runs.is_run(out_dir):
            raise InputError(f"--out {out_dir}: the folder already holds a run; choose another")
        result = run_evaluation(
            spec, keep_records=out_dir is not None and shard_skus is None, cluster=cluster
        )
        if out_dir is not None:
            write_evaluation_run(out_dir, spec, result)
        out = result.to_dict()
        if as_json:
            typer.echo(json.dumps(out))
            return
        typer.echo(markdown_table(out["summary"]))
