"""Fixtures every test directory shares, and the skip of tests that need the team's data.

A test marked ``needs_data`` reads the team's demand data (:mod:`shared_data`: ``../shared/data`` from the
repository root, or ``$RESTOCK_TEST_DATA``); without that folder it is skipped, with one reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from shared_data import MISSING, have_data

import restock.commands
from restock.cli import main


@dataclass
class CliResult:
    """What one ``restock ...`` call did: its exit code and what it printed."""

    returncode: int
    stdout: str
    stderr: str


CliRun = Callable[..., CliResult]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the tests marked ``needs_data`` when the data folder is missing."""
    if have_data():
        return
    skip = pytest.mark.skip(reason=MISSING)
    for item in items:
        if item.get_closest_marker("needs_data") is not None:
            item.add_marker(skip)


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[..., CliRun]:
    """``run_cli("train", ...)``: the real entry point (:func:`restock.cli.main`) in-process with only the
    named command modules attached; the returned callable takes the command line and gives a
    :class:`CliResult`."""

    def attach(*modules: str) -> CliRun:
        monkeypatch.setattr(restock.commands, "COMMAND_MODULES", modules)

        def run(*args: str) -> CliResult:
            code = 0
            try:
                main(list(args))
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 0
            out = capsys.readouterr()
            return CliResult(code, out.out, out.err)

        return run

    return attach
