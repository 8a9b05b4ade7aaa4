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
from restock.scenarios.overrides import Override, Overrides, apply_overrides, as_overrides
from restock.scenarios.parsing import KeyValueError, Where, parse_section
from restock.scenarios.schema import Scenario
from restock.scenarios.validate import validate

__all__ = ["BUILTIN_FOLDER", "from_raw", "list_builtin", "load", "read_raw"]


def from_raw(raw: dict[str, Any], source: str, overrides: Overrides = ()) -> Scenario:
    """Validate a raw TOML table (after ``overrides``) into a :class:`Scenario`; an error about a key that
    an override set (or a key inside it) names the override, not ``source``."""
    items = as_overrides(overrides)
    if items:
        raw = apply_overrides(raw, items, Scenario)
    try:
        raw = apply_family(raw, source)
        scenario = parse_section(Scenario, raw, Where(source))
        return validate(replace(scenario, source=source))
    except KeyValueError as exc:
        blamed = _override_of(exc.key, items)
        if blamed is None or exc.override is not None:
            raise
        raise exc.from_override(blamed.text) from None


def _override_of(key: str, overrides: list[Override]) -> Override | None:
    """The last override that set ``key``, a table or list holding it, or a key inside it."""
    parts = key.split(".")
    for ov in reversed(overrides):
        mine = ov.key.split(".")
        n = min(len(mine), len(parts))
        if mine[:n] == parts[:n]:
            return ov
    return None


def load(name_or_path: str, overrides: Overrides = ()) -> Scenario:
    """Load a built-in scenario by name, or a scenario TOML file by path, with ``--set`` overrides."""
    raw, source = read_raw(name_or_path)
    return from_raw(raw, source, overrides)
