"""The ``restock`` command starts without the heavy libraries: building every parser, ``--help`` and
``scenarios list`` import none of them (each in a fresh interpreter, so that no other test's import counts).

A behaviour test, not a timing test: ``benchmarks/cli_startup.py`` measures the wall time.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY: tuple[str, ...] = (
    "torch",
    "sklearn",
    "statsforecast",
    "stable_baselines3",
    "gymnasium",
    "scipy",
    "pandas",
    "numpy",
)
"""Libraries the command's start must not import (each costs from 0.1 s to seconds)."""

SCRIPT = """
import json, sys
{extra}
from restock.cli import app, main
import typer.main
try:
    main({argv!r})
except SystemExit as exc:
    assert exc.code in (0, None), exc.code
typer.main.get_command(app)  # every command's parser, the sub-groups' included
print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))
"""


def _heavy_after(argv: list[str], extra: str = "") -> list[str]:
    code = SCRIPT.format(argv=argv, heavy=HEAVY, extra=extra)
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["scenarios", "list"], ["scenarios", "list", "--json"], ["simulate", "--help"]],
    ids=" ".join,
)
def test_the_command_starts_without_heavy_libraries(argv: list[str]) -> None:
    assert _heavy_after(argv) == []


def test_the_check_sees_a_heavy_import() -> None:
    assert _heavy_after(["--help"], extra="import numpy") == ["numpy"]


def test_every_scenarios_name_resolves() -> None:
    import restock.scenarios as scenarios

    assert sorted(scenarios._EXPORTS) == scenarios.__all__
    for name in scenarios.__all__:
        assert getattr(scenarios, name).__name__ == name
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = scenarios.no_such_name
