"""Command groups of the ``restock`` CLI, one module each; :func:`register_all` attaches them."""

from __future__ import annotations

import importlib
import weakref

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
    "tune",
    "recommend",
    "value_of_accuracy",
)


_ATTACHED: weakref.WeakKeyDictionary[typer.Typer, set[str]] = weakref.WeakKeyDictionary()
"""The modules already attached to each app: attaching twice would list every command twice (and make
each in-process call of the CLI slower than the one before)."""


def register_all(app: typer.Typer) -> None:
    attached = _ATTACHED.setdefault(app, set())
    for name in COMMAND_MODULES:
        if name not in attached:
            importlib.import_module(f"restock.commands.{name}").register(app)
            attached.add(name)
