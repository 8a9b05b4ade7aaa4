"""``restock simulate``: run a simple order rule through a scenario on one engine and print its KPIs.

    restock simulate --scenario steady --policy base-stock:S=30 --engine des --seed 0 --json
    restock simulate --scenario my.toml --policy constant:Q=5 --set horizon=56 --set seeds.n_paths=2

The job is :func:`restock.pipelines.simulation.simulate`; this command parses ``--policy`` into its
:class:`~restock.pipelines.simulation.OrderRule` and prints the KPIs (``--json``: one object, the keys
``scenario``, ``policy``, ``seed``, then the KPIs).

Policies: ``base-stock:S=<level>`` orders up to S on the inventory position at every review;
``constant:Q=<qty>`` orders Q at every review (every node and SKU gets the same S or Q); ``newsvendor``
orders up to the critical fractile of demand over E[L] + R on the scenario's forecast table (the
reference policy of ``restock evaluate``). Tuned and learned policies run through ``restock evaluate``.

KPIs come from totals kept on the fly (``in_stock_rate`` is null: it needs every period's on-hand), or
with ``--records`` from every period's record. The seconds of each stage (paths, forecast table for the
newsvendor, simulation, KPIs) go to stderr. A run that would not fit in memory is refused before anything
is drawn (exit code 2), with the estimate and what helps. ``--compile auto`` (or ``on``) runs the batch
engine's review blocks through ``torch.compile`` (the same KPIs; it pays over many rollouts of one
shape, not over one: docs/performance.md, "Compiled batch engine").
"""

from __future__ import annotations

import math
from typing import Annotated

import typer

from restock.errors import InputError
from restock.io import finite_json
from restock.pipelines.simulation import MAX_ORDER_LEVEL, OrderRule

POLICY_PARAMS: dict[str, str] = {"base-stock": "S", "constant": "Q"}
"""Policy name -> its one parameter."""

ScenarioOption = Annotated[
    str, typer.Option("--scenario", help="A built-in scenario name (restock scenarios list) or a TOML file.")
]
SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a scenario key: --set dotted.key=value (TOML value; repeatable)."),
]

CompileOption = Annotated[
    str,
    typer.Option(
        "--compile",
        help="The batch engine through torch.compile: off, auto (runs of at least 10M SKU-periods, eager "
        "where no compiler works) or on (always; an error where it cannot). The same KPIs either way.",
    ),
]


def parse_policy(text: str) -> OrderRule:
    """Parse ``base-stock:S=30``, ``constant:Q=5`` or ``newsvendor``; anything else is an InputError naming
    it."""
    name, colon, params = text.partition(":")
    usage = "expected base-stock:S=<level>, constant:Q=<quantity> or newsvendor"
    if name == "newsvendor":
        if colon:
            raise InputError(f"--policy {text!r}: newsvendor takes no parameter; {usage}")
        return OrderRule("newsvendor")
    if name not in POLICY_PARAMS:
        raise InputError(f"--policy {text!r}: unknown policy {name!r}; {usage}")
    key, sep, raw = params.partition("=")
    want = POLICY_PARAMS[name]
    if not sep or key.strip() != want:
        raise InputError(f"--policy {text!r}: {name} takes one parameter {want}=<number>; {usage}")
    try:
        value = float(raw)
    except ValueError:
        raise InputError(f"--policy {text!r}: {want} must be a number, got {raw!r}") from None
    if not (math.isfinite(value) and value >= 0):
        raise InputError(f"--policy {text!r}: {want} must be finite and >= 0, got {raw!r}")
    if value > MAX_ORDER_LEVEL:
        raise InputError(f"--policy {text!r}: {want} must be at most {MAX_ORDER_LEVEL:g} units, got {raw!r}")
    return OrderRule(name, value)  # type: ignore[arg-type]


def register(app: typer.Typer) -> None:
    """Attach ``restock simulate``."""

    @app.command("simulate")
    def simulate(
        scenario: ScenarioOption,
        policy: Annotated[
            str, typer.Option("--policy", help="base-stock:S=<level>, constant:Q=<quantity> or newsvendor.")
        ] = "base-stock:S=30",
        engine: Annotated[
            str, typer.Option("--engine", help="des (SimPy reference) or batch (torch).")
        ] = "des",
        seed: Annotated[
            int | None, typer.Option("--seed", help="Root seed of the paths (default: the scenario's).")
        ] = None,
        paths: Annotated[
            int | None, typer.Option("--paths", help="Number of paths (default: the scenario's).")
        ] = None,
        set_: SetOption = None,
        records: Annotated[
            bool,
            typer.Option(
                "--records",
                help="Keep every period's record and compute the KPIs from them (memory grows with SKUs x "
                "periods x paths; default: KPIs from totals kept on the fly, in_stock_rate null).",
            ),
        ] = False,
        compile_mode: CompileOption = "off",
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    ) -> None:
        """Simulate a scenario with a simple order rule and print its KPIs."""
        from restock.pipelines.simulation import SimulationSpec
        from restock.pipelines.simulation import simulate as run_simulation

        rule = parse_policy(policy)
        spec = SimulationSpec(
            scenario,
            rule,
            engine=engine,
            seed=seed,
            n_paths=paths,
            scenario_overrides=tuple(set_ or ()),
            records=records,
            compile=compile_mode,
        )
        result = run_simulation(spec)
        kpis = {"scenario": result.scenario, "policy": policy, "seed": result.seed, **result.kpis}
        split = ", ".join(f"{k} {v:.2f} s" for k, v in result.timings.items())
        if as_json:
            typer.echo(finite_json(kpis, "KPI"))
            typer.echo(f"time: {split}", err=True)
            return
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"{kpis['scenario']} · {policy} · {engine} · seed {kpis['seed']}")
        table.add_column("KPI")
        table.add_column("value", justify="right")
        for key, value in kpis.items():
            if key in ("scenario", "policy", "seed"):
                continue
            shown = "(needs --records)" if value is None else str(value)
            table.add_row(key, f"{value:,.4f}" if isinstance(value, float) else shown)
        Console().print(table)
        typer.echo(f"time: {split}", err=True)
