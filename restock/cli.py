"""The ``restock`` command: parses, calls the packages, prints.

Each group of commands lives in ``restock/commands/<group>.py`` and is attached here, so this file stays a
table of contents. Bad input (:class:`restock.errors.InputError`) becomes one line on stderr and exit code 2.
"""

from __future__ import annotations

import sys

import typer

from restock.errors import InputError

app = typer.Typer(
    name="restock",
    help="Restock: an inventory-decision lab (simulator, quantile forecasters, Gymnasium envs, RL agents).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _attach() -> None:
    from restock.commands import register_all

    register_all(app)


@app.callback()
def _root() -> None:
    """Restock: an inventory-decision lab (simulator, quantile forecasters, Gymnasium envs, RL agents)."""


@app.command()
def version() -> None:
    """Print the installed Restock version."""
    from importlib.metadata import version as _version

    typer.echo(_version("restock"))


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``restock`` script."""
    _attach()
    try:
        app(args=argv)
    except InputError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
