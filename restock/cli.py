"""The ``restock`` command: parses, calls the packages, prints.

Each group of commands lives in ``restock/commands/<group>.py`` and is attached here, so this file stays a
table of contents. Bad input (:class:`restock.errors.InputError`, and what the command line itself refuses:
an unknown option, a value of the wrong type) becomes one line on stderr and exit code 2.
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
    try:  # the typer pinned in constraints.txt vendors click; earlier releases raise click's own errors
        from typer._click.exceptions import NoArgsIsHelpError, UsageError
    except ImportError:  # pragma: no cover
        from click.exceptions import NoArgsIsHelpError, UsageError  # type: ignore[assignment]

    _attach()
    try:
        code = app(args=argv, standalone_mode=False)
    except InputError as exc:
        _fail(str(exc))
    except NoArgsIsHelpError as exc:  # the help (typer's rich help prints itself and leaves no message)
        if exc.format_message().strip():
            typer.echo(exc.format_message(), err=True)
        sys.exit(exc.exit_code)
    except UsageError as exc:
        # one line, as for bad values: "error: Invalid value for '--seeds': 'abc' is not a valid integer."
        command = exc.ctx.command_path if exc.ctx is not None else "restock"
        given = _given(getattr(exc, "param", None), sys.argv[1:] if argv is None else argv)
        _fail(f"{exc.format_message()}{given} (see {command} --help)")
    except typer.Abort:
        typer.echo("Aborted!", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


def _given(param: object, args: list[str]) -> str:
    """``", got 'abc'"``: what the command line gave the option ``param`` that click refused ("" if none)."""
    for opt in getattr(param, "opts", ()):
        for i, arg in enumerate(args):
            if arg == opt and i + 1 < len(args):
                return f", got {args[i + 1]!r}"
            if arg.startswith(opt + "="):
                return f", got {arg[len(opt) + 1 :]!r}"
    return ""


def _fail(message: str) -> None:
    """Print ``message`` as one error line on stderr and exit with code 2."""
    typer.echo("error: " + " ".join(message.split()), err=True)
    sys.exit(2)


if __name__ == "__main__":
    main()
