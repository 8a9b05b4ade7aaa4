"""``restock simulate``: run a simple order rule through a scenario on one engine and print its KPIs.

    restock simulate --scenario steady --policy base-stock:S=30 --engine des --seed 0 --json
    restock simulate --scenario my.toml --policy constant:Q=5 --set horizon=56 --set seeds.n_paths=2

Policies (the simulator's minimal rules; learned and newsvendor policies run through ``restock.agents``):
``base-stock:S=<level>`` orders up to S on the inventory position at every review; ``constant:Q=<qty>``
orders Q at every review. Every node and SKU gets the same S or Q.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import typer

from restock.errors import InputError

POLICY_PARAMS: dict[str, str] = {"base-stock": "S", "constant": "Q"}
"""Policy name -> its one parameter."""

ScenarioOption = Annotated[
    str, typer.Option("--scenario", help="A built-in scenario name (restock scenarios list) or a TOML file.")
]
SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a scenario key: --set dotted.key=value (TOML value; repeatable)."),
]


@dataclass(frozen=True)
class PolicySpec:
    """A parsed ``--policy`` value."""

    name: Literal["base-stock", "constant"]
    """Which rule."""
    value: float
    """Its parameter: the base-stock level S or the constant quantity Q (finite, >= 0)."""

    def rule(self) -> Any:
        from restock.simulator.policy import BaseStock, ConstantOrder

        return BaseStock(self.value) if self.name == "base-stock" else ConstantOrder(self.value)


def parse_policy(text: str) -> PolicySpec:
    """Parse ``base-stock:S=30`` or ``constant:Q=5``; anything else is an InputError naming it."""
    name, _, params = text.partition(":")
    usage = "expected base-stock:S=<level> or constant:Q=<quantity>"
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
    return PolicySpec(name, value)  # type: ignore[arg-type]


def simulate_kpis(
    scenario: str,
    policy: str,
    *,
    engine: str = "des",
    seed: int | None = None,
    n_paths: int | None = None,
    overrides: list[str] | None = None,
) -> dict[str, Any]:
    """Load, build, run and summarize: the KPI table of one simulation (what the command prints)."""
    from restock.scenarios import build_world, load
    from restock.simulator.kpis import kpi_table

    spec = parse_policy(policy)
    if engine not in ("des", "batch"):
        raise InputError(f"--engine {engine!r}: expected des or batch")
    if seed is not None and seed < 0:
        raise InputError(f"--seed {seed!r}: must be >= 0")
    if n_paths is not None and n_paths < 1:
        raise InputError(f"--paths {n_paths!r}: must be >= 1")
    sc = load(scenario, overrides or [])
    root = sc.seeds.root if seed is None else seed
    world, paths = build_world(sc, root, n_paths or sc.seeds.n_paths)
    if engine == "des":
        from restock.simulator import des

        result = des.run(world, paths, spec.rule())
    else:
        from restock.simulator import batch

        result = batch.run(world, paths, spec.rule())
    table = kpi_table(result, review_period=world.review_period, review_offset=world.review_offset)
    return {"scenario": sc.name, "policy": policy, "seed": root, **table}


def register(app: typer.Typer) -> None:
    """Attach ``restock simulate``."""

    @app.command("simulate")
    def simulate(
        scenario: ScenarioOption,
        policy: Annotated[
            str, typer.Option("--policy", help="base-stock:S=<level> or constant:Q=<quantity>.")
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
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    ) -> None:
        """Simulate a scenario with a simple order rule and print its KPIs."""
        kpis = simulate_kpis(scenario, policy, engine=engine, seed=seed, n_paths=paths, overrides=set_)
        if as_json:
            typer.echo(json.dumps(kpis))
            return
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"{kpis['scenario']} · {policy} · {engine} · seed {kpis['seed']}")
        table.add_column("KPI")
        table.add_column("value", justify="right")
        for key, value in kpis.items():
            if key in ("scenario", "policy", "seed"):
                continue
            table.add_row(key, f"{value:,.4f}" if isinstance(value, float) else str(value))
        Console().print(table)
