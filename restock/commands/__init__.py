"""Command groups of the ``restock`` CLI, one module each; :func:`register_all` attaches them."""

from __future__ import annotations

import importlib

import typer

# Each module defines ``register(app: typer.Typer) -> None``. Add a module here to add commands.
COMMAND_MODULES: tuple[str, ...] = (
    "forecast",
    "forecast_train",
    "oracle",
    "simulate",
    "scenarios",
    "data",
    "bench",
    "replay",
    "report",
    "demo",
    "evaluate",
    "train",
    "sweep",
)


def register_all(app: typer.Typer) -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(f"restock.commands.{name}").register(app)
