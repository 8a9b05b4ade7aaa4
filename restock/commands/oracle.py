"""``restock oracle``: exact optimal costs and policies of single-node lost-sales and backorder systems,
of dual sourcing with backorders, of the (s, S) policy with a fixed order cost, of serial systems with
backorders, and of SKUs sharing an inbound capacity.

``lost-sales``, ``backorder`` and ``s-S`` take lead times in our convention (an order placed in period t
arrives at the start of period t+L, before that period's demand), which equals Zipkin (2008)'s L; so does
``dual-sourcing`` for both sources (as Gijsbrechts et al. 2022 count them); ``shared-capacity`` has lead
time 0 (an order serves the same period's demand). ``serial`` takes the
textbook's (Snyder & Shen ch. 6: stage j's echelon sees L_j periods of demand) and prints Restock's
equivalent beside it. Every output says which.
"""

from __future__ import annotations

import json
import math
from typing import Annotated, Any

import typer

from restock.errors import InputError

oracle_app = typer.Typer(
    name="oracle",
    help="Exact optimum of single-node lost-sales / backorder / dual-sourcing inventory, (s, S) with a fixed "
    "order cost, serial backorder systems, and SKUs sharing an inbound capacity.",
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
    baselines: Annotated[
        bool,
        typer.Option(
            "--baselines/--no-baselines",
            help="Also search the best base-stock and capped base-stock policies (exact costs).",
        ),
    ] = True,
    as_json: JsonOption = False,
) -> None:
    """Optimal average cost and policy, plus the best base-stock and capped base-stock policies."""
    from restock.agents.oracle import LostSalesConfig, lost_sales_report, solve_lost_sales

    config = LostSalesConfig(
        demand=demand, lead_time=lead_time, penalty=penalty, holding=holding, position_cap=position_cap
    )
    if baselines:
        _, report = lost_sales_report(config)
    else:
        report = solve_lost_sales(config).summary()
    if as_json:
        typer.echo(json.dumps(report))
        return
    rows: list[tuple[str, Any]] = [
        ("lead-time convention", report["lead_time_convention"]),
        ("optimal average cost", report["average_cost"]),
        ("convergence gap", report["gap"]),
        ("iterations", report["iterations"]),
        ("states", report["states"]),
        ("position cap", report["position_cap"]),
        ("seconds (optimum)", report["seconds"]),
    ]
    if baselines:
        base, capped = report["best_base_stock"], report["best_capped_base_stock"]
        rows.insert(-1, (f"best base-stock S={base['level']}", base["average_cost"]))
        rows.insert(
            -1, (f"best capped base-stock S={capped['level']} r={capped['cap']}", capped["average_cost"])
        )
    _print_table(f"lost sales: demand {demand}, L={lead_time}, p={penalty:g}, h={holding:g}", rows)


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


def _number(option: str, text: str, *, positive: bool) -> float:
    """``text`` as a finite number (> 0 or >= 0), else an :class:`InputError` naming ``option``."""
    bound = "> 0" if positive else ">= 0"
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{option} must be a finite number {bound}, got {text!r}") from None
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        raise InputError(f"{option} must be a finite number {bound}, got {text!r}")
    return value


def _list(option: str, text: str, kind: str) -> list[str]:
    items = [item.strip() for item in text.split(",")]
    if not text.strip() or any(not item for item in items):
        raise InputError(f"{option} must be a comma-separated list of {kind}, stage 1 first, got {text!r}")
    return items


def _lead_times(option: str, text: str) -> tuple[int, ...]:
    out = []
    for j, item in enumerate(_list(option, text, "integers >= 0"), start=1):
        try:
            value = int(item)
        except ValueError:
            value = -1
        if value < 0:
            raise InputError(
                f"{option}: stage {j}'s lead time must be an integer >= 0, got {item!r} in {text!r}"
            )
        out.append(value)
    return tuple(out)


def _costs(option: str, text: str) -> tuple[float, ...]:
    out = []
    for j, item in enumerate(_list(option, text, "finite numbers >= 0"), start=1):
        try:
            out.append(_number(option, item, positive=False))
        except InputError:
            raise InputError(
                f"{option}: stage {j}'s cost must be a finite number >= 0, got {item!r} in {text!r}"
            ) from None
    return tuple(out)


@oracle_app.command("serial")
def serial_command(
    demand: Annotated[
        str, typer.Option("--demand", help="Demand per period at stage 1: poisson:MEAN or normal:MEAN:SD.")
    ],
    lead_times: Annotated[
        str,
        typer.Option(
            "--lead-times",
            help="L_1,...,L_N, stage 1 (customer) first; textbook convention: stage j's echelon sees L_j "
            "periods of demand (Restock's l_1 = L_1 - 1, l_j = L_j).",
        ),
    ],
    echelon_holding: Annotated[
        str,
        typer.Option("--echelon-holding", help="h_1,...,h_N >= 0, stage 1 first: h_j = h'_j - h'_{j+1}."),
    ],
    penalty: Annotated[
        str, typer.Option("--penalty", help="p > 0 per unit backordered at stage 1, per period.")
    ],
    grid_step: Annotated[
        str | None, typer.Option("--grid-step", help="Grid step for normal demand (default SD/100).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Optimal echelon base-stock levels and cost of an N-stage serial system (Chen & Zheng 1994)."""
    from restock.agents.oracle import SerialConfig, solve_serial

    leads = _lead_times("--lead-times", lead_times)
    holding = _costs("--echelon-holding", echelon_holding)
    if len(leads) != len(holding):
        raise InputError(
            f"--lead-times and --echelon-holding must list one value per stage, got {len(leads)} lead "
            f"times {lead_times!r} and {len(holding)} holding costs {echelon_holding!r}"
        )
    step = None if grid_step is None else _number("--grid-step", grid_step, positive=True)
    config = SerialConfig(
        demand=demand,
        lead_times=leads,
        echelon_holding=holding,
        penalty=_number("--penalty", penalty, positive=True),
        grid_step=step,
    )
    report = solve_serial(config).summary()
    if as_json:
        typer.echo(json.dumps(report))
        return
    rows: list[tuple[str, Any]] = [("lead-time convention", report["lead_time_convention"])]
    for j in range(config.stages):
        rows.append(
            (
                f"stage {j + 1}: L={report['lead_times'][j]}, h={report['echelon_holding'][j]:g}, "
                f"h'={report['installation_holding'][j]:g}",
                f"echelon S={report['echelon_levels'][j]:.6g}, local s={report['local_levels'][j]:.6g}",
            )
        )
    rows.append(("optimal expected cost per period", report["average_cost"]))
    restock = report["restock"]
    if restock is None:
        rows.append(("restock equivalent", "none (L_1 = 0)"))
    else:
        rows.append(("restock lead times l_1..l_N", ",".join(str(v) for v in restock["lead_times"])))
        rows.append(("restock cost (on-hand holding + backlog)", restock["average_cost"]))
    rows.append(("grid step, points", f"{report['grid_step']:g}, {report['grid_points']:,}"))
    _print_table(
        f"serial system: demand {demand}, L={lead_times}, h={echelon_holding}, p={report['penalty']:g}", rows
    )


def _integer(option: str, text: str, minimum: int) -> int:
    """``text`` as an integer >= ``minimum``, else an :class:`InputError` naming ``option``."""
    try:
        value = int(text.strip())
    except ValueError:
        raise InputError(f"{option} must be an integer >= {minimum}, got {text!r}") from None
    if value < minimum:
        raise InputError(f"{option} must be an integer >= {minimum}, got {text!r}")
    return value


def _optional_integer(option: str, text: str | None, minimum: int | None = None) -> int | None:
    if text is None:
        return None
    if minimum is not None:
        return _integer(option, text, minimum)
    try:
        return int(text.strip())
    except ValueError:
        raise InputError(f"{option} must be an integer, got {text!r}") from None


def _opt(name: str, help_text: str) -> Any:
    return typer.Option(name, help=help_text)


@oracle_app.command("dual-sourcing")
def dual_sourcing_command(
    demand: Annotated[
        str,
        typer.Option("--demand", help="Demand per period: pmf:P0,P1,... (or poisson:, geometric:, negbin:)."),
    ],
    regular_lead_time: Annotated[
        str,
        _opt(
            "--regular-lead-time",
            "L_R >= 1, our convention: a regular order in t arrives at the start of t+L_R.",
        ),
    ],
    regular_cost: Annotated[
        str, _opt("--regular-cost", "c_R >= 0 per unit ordered from the regular source.")
    ],
    expedited_cost: Annotated[str, _opt("--expedited-cost", "c_E > c_R per unit ordered expedited.")],
    holding: Annotated[
        str, _opt("--holding", "h > 0 per unit of positive net inventory at the end of a period.")
    ],
    backorder: Annotated[str, _opt("--backorder", "b > 0 per unit backordered at the end of a period.")],
    expedited_lead_time: Annotated[
        str, _opt("--expedited-lead-time", "0 <= L_E < L_R (0: the expedited order serves this period).")
    ] = "0",
    max_regular_order: Annotated[
        str | None, _opt("--max-regular-order", "Largest regular order on the grid (default 2 x max demand).")
    ] = None,
    min_position: Annotated[
        str | None, _opt("--min-position", "Lowest expedited position on the grid (default -(L_E+2) max D).")
    ] = None,
    max_position: Annotated[
        str | None,
        _opt("--max-position", "Highest expedited position (default: single-source base stock + max D)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Optimal average cost of dual sourcing with backorders, and the best capped dual index policy."""
    from restock.agents.oracle import DualSourcingConfig, dual_sourcing_report

    config = DualSourcingConfig(
        demand=demand,
        regular_lead_time=_integer("--regular-lead-time", regular_lead_time, 1),
        expedited_lead_time=_integer("--expedited-lead-time", expedited_lead_time, 0),
        regular_cost=_number("--regular-cost", regular_cost, positive=False),
        expedited_cost=_number("--expedited-cost", expedited_cost, positive=True),
        holding=_number("--holding", holding, positive=True),
        backorder=_number("--backorder", backorder, positive=True),
        max_regular_order=_optional_integer("--max-regular-order", max_regular_order, 1),
        min_position=_optional_integer("--min-position", min_position),
        max_position=_optional_integer("--max-position", max_position),
    )
    _, _, report = dual_sourcing_report(config)
    if as_json:
        typer.echo(json.dumps(report))
        return
    rows: list[tuple[str, Any]] = [
        ("lead-time convention", report["lead_time_convention"]),
        ("optimal average cost", report["average_cost"]),
        ("convergence gap", report["gap"]),
        ("iterations", report["iterations"]),
        ("states", report["states"]),
        (
            "grid (positions; regular orders)",
            f"{report['grid']['min_position']}..{report['grid']['max_position']}; "
            f"0..{report['grid']['max_regular_order']}",
        ),
        ("stationary mass at the grid's edges", report["boundary_mass"]),
        ("expedited share (optimal)", report["expedited_share"]),
    ]
    for key, label in (("capped_dual_index", "capped dual index"), ("dual_index", "dual index"),
                       ("single_index", "single index")):  # fmt: skip
        best = report[key]
        cap = "inf" if best["regular_cap"] is None else best["regular_cap"]
        rows.append(
            (
                f"{label} S_e={best['expedite_level']} S_r={best['regular_level']} q_r={cap}",
                f"{best['average_cost']:.6g} (+{best['gap_percent']:.3f}%)"
                if best["gap_percent"] is not None
                else f"{best['average_cost']:.6g} (+{best['excess_cost']:.3g})",
            )
        )
    rows.append(
        ("seconds (solve, index search)", f"{report['solve_seconds']}, {report['index_search']['seconds']}")
    )
    _print_table(
        f"dual sourcing: demand {demand}, L_R={config.regular_lead_time}, L_E={config.expedited_lead_time}, "
        f"c_R={config.regular_cost:g}, c_E={config.expedited_cost:g}, h={config.holding:g}, "
        f"b={config.backorder:g}",
        rows,
    )


@oracle_app.command("s-S")
def ss_command(
    demand: Annotated[
        str,
        typer.Option(
            "--demand", help="Demand per period: poisson:MEAN, geometric:MEAN, negbin:MEAN:VAR, pmf:..."
        ),
    ],
    fixed_cost: Annotated[str, typer.Option("--fixed-cost", help="K >= 0: cost per order placed.")],
    backorder: Annotated[
        str, typer.Option("--backorder", help="p > 0 per unit backordered at the end of a period.")
    ],
    holding: Annotated[
        str, typer.Option("--holding", help="h > 0 per unit on hand at the end of a period.")
    ] = "1",
    lead_time: Annotated[
        str,
        typer.Option(
            "--lead-time", help="L >= 0, our convention: an order placed in t arrives at the start of t+L."
        ),
    ] = "0",
    as_json: JsonOption = False,
) -> None:
    """Optimal (s, S) policy with a fixed order cost under backorders (Zheng & Federgruen 1991)."""
    from restock.agents.oracle import SSConfig, solve_ss

    config = SSConfig(
        demand=demand,
        fixed_cost=_number("--fixed-cost", fixed_cost, positive=False),
        backorder=_number("--backorder", backorder, positive=True),
        holding=_number("--holding", holding, positive=True),
        lead_time=_integer("--lead-time", lead_time, 0),
    )
    report = solve_ss(config).summary()
    if as_json:
        typer.echo(json.dumps(report))
        return
    _print_table(
        f"(s, S) with backorders: demand {demand}, K={config.fixed_cost:g}, h={config.holding:g}, "
        f"p={config.backorder:g}, L={config.lead_time}",
        [
            ("lead-time convention", report["lead_time_convention"]),
            ("reorder point s (order at position <= s)", report["s"]),
            ("order-up-to level S", report["S"]),
            ("optimal average cost", report["average_cost"]),
            ("periods between orders", report["cycle_length"]),
            ("base-stock level y* (K = 0)", report["base_stock_level"]),
            ("G(y*): cost without the fixed cost", report["base_stock_cost"]),
            ("cost evaluations", report["evaluations"]),
            ("seconds", report["seconds"]),
        ],
    )


def _demand_specs(text: str) -> tuple[str, ...]:
    """``poisson:3,pmf:0.5,0.5`` -> ("poisson:3", "pmf:0.5,0.5"): a comma starts a new SKU's spec where
    the next piece names a distribution (has a colon); otherwise the piece continues a pmf's
    probabilities."""
    specs: list[str] = []
    for piece in (p.strip() for p in text.split(",")):
        if not piece:
            raise InputError(f"--demand must list one spec per SKU, e.g. 'poisson:3,poisson:2', got {text!r}")
        if ":" in piece:
            specs.append(piece)
        elif specs and specs[-1].lower().startswith("pmf:"):
            specs[-1] = f"{specs[-1]},{piece}"
        else:
            raise InputError(
                f"--demand: {piece!r} is not a demand spec (poisson:MEAN, geometric:MEAN, negbin:MEAN:VAR, "
                f"pmf:P0,P1,...) in {text!r}"
            )
    return tuple(specs)


def _per_sku(option: str, text: str, skus: int, *, positive: bool) -> tuple[float, ...]:
    """One number for every SKU, or ``skus`` comma-separated numbers, else an :class:`InputError`."""
    items = [item.strip() for item in text.split(",")]
    bound = "> 0" if positive else ">= 0"
    if len(items) not in (1, skus):
        raise InputError(
            f"{option} must give one value or one per SKU ({skus}, as --demand), got {len(items)} in {text!r}"
        )
    out = []
    for k, item in enumerate(items, start=1):
        try:
            out.append(_number(option, item, positive=positive))
        except InputError:
            raise InputError(
                f"{option}: SKU {k}'s value must be a finite number {bound}, got {item!r} in {text!r}"
            ) from None
    return tuple(out * skus if len(out) == 1 else out)


@oracle_app.command("shared-capacity")
def shared_capacity_command(
    demand: Annotated[
        str,
        typer.Option(
            "--demand",
            help="One demand spec per SKU, comma-separated: 'poisson:3,poisson:2' (a pmf's probabilities "
            "continue it: 'pmf:0.5,0.5,poisson:2').",
        ),
    ],
    price: Annotated[str, _opt("--price", "p >= 0 per unit sold: one value or one per SKU (comma list).")],
    unit_cost: Annotated[str, _opt("--unit-cost", "c >= 0 per unit ordered: one value or one per SKU.")],
    capacity: Annotated[str, _opt("--capacity", "C >= 0: the most units ordered per period over all SKUs.")],
    holding: Annotated[
        str, _opt("--holding", "h > 0 per unit on hand at the end of a period: one value or one per SKU.")
    ] = "1",
    penalty: Annotated[
        str,
        _opt("--penalty", "b >= 0 per unit of demand lost (beyond the margin): one value or one per SKU."),
    ] = "0",
    max_on_hand: Annotated[
        str | None,
        _opt(
            "--max-on-hand", "Top of the grid per SKU, comma list (default: sized and widened automatically)."
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Optimal average profit of K SKUs sharing an inbound capacity (lost sales, lead time 0), and the exact
    gap of the Lagrangian newsvendor and of the newsvendor cut pro rata."""
    from restock.agents.oracle import SharedCapacityConfig, solve_shared_capacity

    specs = _demand_specs(demand)
    k = len(specs)
    tops = None
    if max_on_hand is not None:
        items = [item.strip() for item in max_on_hand.split(",")]
        if len(items) != k:
            raise InputError(f"--max-on-hand must give one integer per SKU ({k}), got {max_on_hand!r}")
        tops = tuple(_integer("--max-on-hand", item, 0) for item in items)
    config = SharedCapacityConfig(
        demand=specs,
        price=_per_sku("--price", price, k, positive=False),
        unit_cost=_per_sku("--unit-cost", unit_cost, k, positive=False),
        holding=_per_sku("--holding", holding, k, positive=True),
        penalty=_per_sku("--penalty", penalty, k, positive=False),
        capacity=_integer("--capacity", capacity, 0),
        max_on_hand=tops,
    )
    report = solve_shared_capacity(config).summary()
    if as_json:
        typer.echo(json.dumps(report))
        return
    rows: list[tuple[str, Any]] = [
        ("lead-time convention", report["lead_time_convention"]),
        ("objective", report["objective"]),
        ("capacity / mean total demand", report["capacity_share_of_mean_demand"]),
        ("newsvendor levels S", ",".join(str(v) for v in report["newsvendor_levels"])),
        ("optimal average profit", report["average_profit"]),
        ("convergence gap", report["gap"]),
        ("optimal levels from empty shelves", ",".join(str(v) for v in report["optimal_levels_from_empty"])),
    ]
    labels = {
        "optimal": "optimal",
        "lagrangian": "Lagrangian newsvendor",
        "lagrangian-filled": "Lagrangian newsvendor, slack filled",
        "newsvendor": "newsvendor cut pro rata",
    }
    for name, label in labels.items():
        p = report["policies"][name]
        gap = "" if p["gap_percent"] is None or name == "optimal" else f" (-{p['gap_percent']:.3f}%)"
        rows.append(
            (
                f"{label}: profit; P(uses all of C), P(above S)",
                f"{p['average_profit']:.6g}{gap}; {p['capacity_used']:.3f}, {p['above_newsvendor']:.3f}",
            )
        )
    rows.append(
        (
            "grid (max on-hand per SKU; states)",
            f"{report['grid']['max_on_hand']}; {report['grid']['states']:,}",
        )
    )
    rows.append(("stationary mass at the grid's top", report["boundary_mass"]))
    rows.append(("seconds", report["seconds"]))
    _print_table(
        f"shared capacity: demand {','.join(specs)}, C={config.capacity}, p={price}, c={unit_cost}, "
        f"h={holding}, b={penalty}",
        rows,
    )
