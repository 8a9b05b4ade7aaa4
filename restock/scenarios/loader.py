"""Finding, reading and validating scenarios: ``load(name_or_path, overrides=...)`` and ``list_builtin()``.

Order of work: read the TOML (a built-in name or a file path) -> apply ``--set`` overrides (each key
checked against the schema) -> expand a ``[family]`` -> parse into typed sections (unknown keys, wrong
types) -> :func:`restock.scenarios.validate.validate` (impossible values). Every failure is an InputError
naming the file, the dotted key and the value.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from restock.scenarios.families import apply_family
from restock.scenarios.library import BUILTIN_FOLDER, list_builtin, read_raw
from restock.scenarios.overrides import Overrides, apply_overrides
from restock.scenarios.parsing import Where, parse_section
from restock.scenarios.schema import Scenario
from restock.scenarios.validate import validate

__all__ = ["BUILTIN_FOLDER", "from_raw", "list_builtin", "load", "read_raw"]


def from_raw(raw: dict[str, Any], source: str, overrides: Overrides = ()) -> Scenario:
    """Validate a raw TOML table (after ``overrides``) into a :class:`Scenario`."""
    if overrides:
        raw = apply_overrides(raw, overrides, Scenario)
    raw = apply_family(raw, source)
    scenario = parse_section(Scenario, raw, Where(source))
    return validate(replace(scenario, source=source))


def load(name_or_path: str, overrides: Overrides = ()) -> Scenario:
    """Load a built-in scenario by name, or a scenario TOML file by path, with ``--set`` overrides."""
    raw, source = read_raw(name_or_path)
    return from_raw(raw, source, overrides)
