"""Fixtures every test directory shares."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

import restock.commands
from restock.cli import main


@dataclass
class CliResult:
    """What one ``restock ...`` call did: its exit code and what it printed."""

    returncode: int
    stdout: str
    stderr: str


CliRun = Callable[..., CliResult]


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
