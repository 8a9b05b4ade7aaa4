"""``restock scenarios list | show NAME | validate PATH``: the scenario library and file checks."""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Annotated, Any

import typer

scenarios_app = typer.Typer(
    name="scenarios",
    help="The built-in scenario library; show and validate scenario files.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a scenario key: --set dotted.key=value (TOML value; repeatable)."),
]


def register(app: typer.Typer) -> None:
    """Attach ``restock scenarios ...``."""
    app.add_typer(scenarios_app, name="scenarios")


def _plain(value: Any) -> Any:
    """A scenario as JSON-ready data (amounts as their TOML strings, inf as "inf")."""
    from restock.scenarios.amounts import Amount

    if isinstance(value, Amount):
        return value.value if value.basis == "absolute" else str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, float) and math.isinf(value):
        return "inf"
    return value


def _summary(description: str) -> str:
    text = " ".join(description.split())
    return text.split(". ")[0].rstrip(".") + "."


@scenarios_app.command("list")
def list_cmd(as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False) -> None:
    """List the built-in scenarios with the first sentence of each description."""
    from restock.scenarios.library import list_builtin, read_raw

    # read, not validated: listing must work from any directory (a data scenario's path is relative)
    rows = [(name, _summary(str(read_raw(name)[0].get("description", "")))) for name in list_builtin()]
    if as_json:
        typer.echo(json.dumps([{"name": n, "summary": s} for n, s in rows]))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="built-in scenarios")
    table.add_column("name")
    table.add_column("what it models")
    for name, summary in rows:
        table.add_row(name, summary)
    Console().print(table)


@scenarios_app.command("show")
def show_cmd(
    name: Annotated[str, typer.Argument(help="A built-in scenario name or a TOML file.")],
    set_: SetOption = None,
) -> None:
    """Print a scenario's description and its resolved settings (defaults filled in) as JSON."""
    from restock.scenarios import load

    scenario = load(name, set_ or [])
    typer.echo(f"{scenario.name} ({scenario.source})")
    typer.echo(" ".join(scenario.description.split()))
    settings = _plain(scenario)
    for key in ("name", "description", "source"):
        settings.pop(key)
    typer.echo(json.dumps(settings, indent=2))


@scenarios_app.command("validate")
def validate_cmd(
    path: Annotated[str, typer.Argument(help="A scenario TOML file (or a built-in name).")],
    set_: SetOption = None,
) -> None:
    """Check a scenario file: schema, values, data, shock targets (builds one path of it)."""
    from restock.scenarios import build_world, load

    scenario = load(path, set_ or [])
    world, _ = build_world(scenario, scenario.seeds.root, 1)
    typer.echo(
        f"ok: {scenario.name} ({scenario.source}): {world.n_skus} SKUs, {len(world.network.nodes)} node(s), "
        f"{world.horizon} periods, review every {world.review_period}, {len(scenario.shocks)} shock(s)"
    )
