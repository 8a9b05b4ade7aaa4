"""``restock oracle``: exact optimal costs and policies of single-node lost-sales and backorder systems.

Lead times are in our convention (an order placed in period t arrives at the start of period t+L, before
that period's demand), which equals Zipkin (2008)'s L; every output says so.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

oracle_app = typer.Typer(
    name="oracle",
    help="Exact optimum (relative value iteration) of single-node lost-sales / backorder inventory.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DemandOption = Annotated[
    str,
    typer.Option(
        "--demand", help="Demand per period: poisson:MEAN, geometric:MEAN, negbin:MEAN:VAR, pmf:P0,P1,..."
    ),
]
LeadOption = Annotated[
    int,
    typer.Option(
        "--lead-time", help="L, our convention (= Zipkin 2008's L): order in t arrives at start of t+L."
    ),
]
PenaltyOption = Annotated[
    float, typer.Option("--penalty", help="Cost per unit lost (lost sales) or backordered.")
]
HoldingOption = Annotated[
    float, typer.Option("--holding", help="Cost per unit on hand at the end of a period.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a table.")]


def register(app: typer.Typer) -> None:
    """Attach ``restock oracle ...`` to the root app."""
    app.add_typer(oracle_app, name="oracle")


def _print_table(title: str, rows: list[tuple[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    table.add_column("quantity")
    table.add_column("value", justify="right")
    for name, value in rows:
        text = f"{value:.6g}" if isinstance(value, float) else str(value)
        table.add_row(name, text)
    Console().print(table)


@oracle_app.command("lost-sales")
def lost_sales_command(
    demand: DemandOption,
    lead_time: LeadOption,
    penalty: PenaltyOption,
    holding: HoldingOption = 1.0,
    position_cap: Annotated[
        int | None,
        typer.Option("--position-cap", help="Largest position after ordering (default: Morton's bound)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Optimal average cost and policy, plus the best base-stock and capped base-stock policies."""
    from restock.agents.oracle import LostSalesConfig, lost_sales_report

    config = LostSalesConfig(
        demand=demand, lead_time=lead_time, penalty=penalty, holding=holding, position_cap=position_cap
    )
    _, report = lost_sales_report(config)
    if as_json:
        typer.echo(json.dumps(report))
        return
    base, capped = report["best_base_stock"], report["best_capped_base_stock"]
    _print_table(
        f"lost sales: demand {demand}, L={lead_time}, p={penalty:g}, h={holding:g}",
        [
            ("lead-time convention", report["lead_time_convention"]),
            ("optimal average cost", report["average_cost"]),
            ("convergence gap", report["gap"]),
            ("iterations", report["iterations"]),
            ("states", report["states"]),
            ("position cap", report["position_cap"]),
            (f"best base-stock S={base['level']}", base["average_cost"]),
            (f"best capped base-stock S={capped['level']} r={capped['cap']}", capped["average_cost"]),
            ("seconds", report["seconds"]),
        ],
    )


@oracle_app.command("backorder")
def backorder_command(
    demand: DemandOption,
    lead_time: LeadOption,
    penalty: PenaltyOption,
    holding: HoldingOption = 1.0,
    as_json: JsonOption = False,
) -> None:
    """Optimal average cost with backorders (value iteration), beside the closed-form base-stock level."""
    from restock.agents.oracle import BackorderConfig, solve_backorder

    solution = solve_backorder(
        BackorderConfig(demand=demand, lead_time=lead_time, penalty=penalty, holding=holding)
    )
    report = solution.summary()
    report["best_base_stock"] = {"level": solution.base_stock_level, "average_cost": solution.average_cost}
    if as_json:
        typer.echo(json.dumps(report))
        return
    _print_table(
        f"backorders: demand {demand}, L={lead_time}, p={penalty:g}, h={holding:g}",
        [
            ("lead-time convention", report["lead_time_convention"]),
            ("optimal average cost", report["average_cost"]),
            ("convergence gap", report["gap"]),
            ("iterations", report["iterations"]),
            ("states (positions)", report["states"]),
            ("base-stock level (value iteration)", report["base_stock_level"]),
            ("closed-form level", solution.closed_form_level),
            ("closed-form cost", solution.closed_form_cost),
        ],
    )
