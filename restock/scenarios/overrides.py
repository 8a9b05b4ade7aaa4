"""``--set dotted.key=value`` overrides, applied to the raw TOML table before validation.

The value is parsed as a TOML scalar (``3``, ``0.5``, ``true``, ``"text"``, ``inf``, ``[1, 2]``); a bare
word that is not valid TOML (``--set demand.distribution=negbin``) is taken as a string. Keys are dotted
paths into the schema; array-of-table entries are addressed by index (``shocks.0.factor=4``). A key that
is not in the schema is an InputError naming it, before anything is applied.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from restock.errors import InputError
from restock.scenarios.parsing import Where, field_type


@dataclass(frozen=True)
class Override:
    """One ``key=value`` override."""

    key: str
    """Dotted key (``economics.unit_cost``, ``shocks.0.factor``)."""
    value: Any
    """The parsed TOML value."""
    text: str
    """The override as the user wrote it."""


def parse_override(text: str) -> Override:
    """Parse ``"dotted.key=value"``."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key or any(not part for part in key.split(".")):
        raise InputError(f"--set {text!r}: expected dotted.key=value (e.g. --set horizon=56)")
    return Override(key, _scalar(raw.strip()), text)


def _scalar(raw: str) -> Any:
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


Overrides = Sequence[str | Override] | Mapping[str, Any]
"""``["key=value", ...]`` as typed on the command line, or ``{"key": value}`` from code."""


def as_overrides(overrides: Overrides) -> list[Override]:
    """Normalize command-line strings or a ``{dotted key: value}`` mapping to :class:`Override` s."""
    if isinstance(overrides, Mapping):
        return [Override(str(k), v, f"{k}={v!r}") for k, v in overrides.items()]
    return [o if isinstance(o, Override) else parse_override(o) for o in overrides]


def apply_overrides(raw: dict[str, Any], overrides: Overrides, scenario_cls: type) -> dict[str, Any]:
    """A copy of ``raw`` with every override applied (each key checked against the schema first)."""
    out = copy.deepcopy(raw)
    for ov in as_overrides(overrides):
        if any(not part for part in ov.key.split(".")):
            raise InputError(f"--set {ov.text!r}: expected dotted.key=value (e.g. --set horizon=56)")
        parts = ov.key.split(".")
        field_type(scenario_cls, parts, Where(f"--set {ov.text!r}"))
        node: Any = out
        for i, part in enumerate(parts[:-1]):
            nxt = parts[i + 1]
            if isinstance(node, list):
                idx = int(part)
                if idx >= len(node):
                    raise InputError(
                        f"--set {ov.text!r}: key {'.'.join(parts[: i + 1])!r} does not exist "
                        f"(the scenario has {len(node)} entries there)"
                    )
                node = node[idx]
                continue
            if part not in node:
                if nxt.isdigit():
                    raise InputError(
                        f"--set {ov.text!r}: key {'.'.join(parts[: i + 2])!r} does not exist "
                        f"({part!r} has no entries in this scenario)"
                    )
                node[part] = {}
            node = node[part]
        last = parts[-1]
        if isinstance(node, list):
            idx = int(last)
            if idx >= len(node):
                raise InputError(
                    f"--set {ov.text!r}: key {ov.key!r} does not exist (only {len(node)} entries)"
                )
            node[idx] = ov.value
        else:
            node[last] = ov.value
    return out
