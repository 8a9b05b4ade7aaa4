"""Finding, reading and validating scenarios: ``load(name_or_path, overrides=...)`` and ``list_builtin()``.

Order of work: read the TOML (a built-in name or a file path) -> apply ``--set`` overrides (each key
checked against the schema) -> expand a ``[family]`` -> parse into typed sections (unknown keys, wrong
types) -> :func:`restock.scenarios.validate.validate` (impossible values). Every failure is an InputError
naming the file, the dotted key and the value.
"""

from __future__ import annotations

import tomllib
from dataclasses import replace
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from restock.errors import InputError
from restock.scenarios.families import apply_family
from restock.scenarios.overrides import Override, Overrides, apply_overrides, as_overrides
from restock.scenarios.parsing import KeyValueError, Where, parse_section
from restock.scenarios.schema import Scenario
from restock.scenarios.validate import validate

BUILTIN_FOLDER = "builtin"
"""Folder of the built-in scenarios inside the restock.scenarios package (package data)."""


def _builtin_folder() -> Traversable:
    return resources.files("restock.scenarios").joinpath(BUILTIN_FOLDER)


def list_builtin() -> list[str]:
    """Names of the built-in scenarios (the stems of ``restock/scenarios/builtin/*.toml``), sorted."""
    folder = _builtin_folder()
    return sorted(p.name[: -len(".toml")] for p in folder.iterdir() if p.name.endswith(".toml"))


def read_raw(name_or_path: str) -> tuple[dict[str, Any], str]:
    """The raw TOML table of a built-in name or a file path, and the source name used in errors."""
    if name_or_path in list_builtin():
        source = f"{name_or_path}.toml"
        text = _builtin_folder().joinpath(source).read_text(encoding="utf-8")
    else:
        path = Path(name_or_path)
        if not path.is_file():
            raise InputError(
                f"scenario {name_or_path!r}: neither a built-in scenario ({', '.join(list_builtin())}) "
                "nor an existing TOML file"
            )
        source = str(name_or_path)
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"scenario {source}: not a UTF-8 text file (byte {exc.object[exc.start]:#04x} at offset "
                f"{exc.start}); a scenario is a TOML file written in UTF-8"
            ) from None
        except OSError as exc:
            raise InputError(f"scenario {source}: cannot be read ({exc.strerror})") from None
    try:
        return tomllib.loads(text), source
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"scenario {source}: not valid TOML: {exc}") from None


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
