"""Where the team's demand data lives for the tests, and how a test says it reads it.

The data is not part of the repository: it lies in ``../shared/data`` relative to the repository root, or
in the folder that the environment variable ``RESTOCK_TEST_DATA`` names. A test that reads it carries the
marker ``@pytest.mark.needs_data`` (a module: ``pytestmark = pytest.mark.needs_data``); ``tests/conftest.py``
skips those tests with one reason (:data:`MISSING`) when the folder is missing, as on a fresh clone
without the team's data, and runs them when it is there (as in CI).

Built-in data scenarios (``m5-tiny-replay``) name the folder relative to the current directory;
:func:`data_overrides` points them at :data:`DATA` instead, and :func:`scenario_params` marks them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from restock.scenarios.loader import read_raw

ROOT = Path(__file__).resolve().parents[1]
"""The repository root."""
ENV = "RESTOCK_TEST_DATA"
"""The environment variable that moves the data folder (empty or unset: ``../shared/data``)."""
DEFAULT = "../shared/data"
"""The data folder relative to the repository root, as the built-in scenarios and benchmarks name it."""
DATA = Path(os.environ[ENV]) if os.environ.get(ENV) else ROOT.parent / "shared" / "data"
M5_TINY = DATA / "m5-tiny"
CARPARTS = DATA / "carparts" / "carparts.csv"
MISSING = (
    f"needs the team's demand data, which is not at {DATA} "
    f"({DEFAULT} from the repository root, or the folder ${ENV} names)"
)
"""The one reason given for every test skipped without the data."""


def have_data() -> bool:
    """Whether the data folder is there."""
    return DATA.is_dir()


def reads_data(scenario: str) -> bool:
    """Whether built-in ``scenario`` replays data files (``demand.kind = "data"``), read without
    validating (validation needs the files)."""
    raw, _ = read_raw(scenario)
    demand = raw.get("demand", {})
    return isinstance(demand, dict) and demand.get("kind") == "data"


def data_overrides(scenario: str) -> tuple[str, ...]:
    """``--set`` items that point a built-in data scenario at :data:`DATA` (none for other scenarios)."""
    if not reads_data(scenario):
        return ()
    source = str(read_raw(scenario)[0]["demand"]["source"])
    kind, _, path = source.partition(":")
    prefix = DEFAULT + "/"
    if not path.startswith(prefix):
        return ()
    return (f"demand.source={kind}:{DATA / path[len(prefix) :]}",)


def scenario_params(names: list[str], *marks: Any) -> list[Any]:
    """``pytest.param(name)`` for each scenario, data scenarios marked ``needs_data`` (plus ``marks``)."""
    return [
        pytest.param(n, marks=[*marks, pytest.mark.needs_data] if reads_data(n) else list(marks), id=n)
        for n in names
    ]
