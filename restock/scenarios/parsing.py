"""Turning a TOML table into typed section dataclasses, with errors that name the file, key and value.

Each section of a scenario is a frozen dataclass (see :mod:`restock.scenarios.schema`). :func:`parse_section`
reads a raw TOML table into one: unknown keys, missing required keys and wrong types are
:class:`~restock.errors.InputError` s naming the source, the dotted key and the value. Field types are read
from the dataclass annotations; the supported ones are ``int``, ``float``, ``str``, ``bool``, ``X | None``,
``tuple[int | float | str, ...]``, a nested section dataclass, ``tuple[Section, ...]`` (an array of
tables), and any field whose metadata holds a ``parse`` function (a custom scalar such as an
:class:`~restock.scenarios.amounts.Amount`).

A ``float`` must be finite: ``nan`` is always an error, and so is ``inf`` / ``-inf`` unless the field's
metadata opts in with :func:`infinite` (a capacity, where ``inf`` means unlimited).
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import types
import typing
from collections.abc import Callable
from dataclasses import MISSING, dataclass
from typing import Any, TypeVar, get_args, get_origin

from restock.errors import InputError

S = TypeVar("S")


@dataclass(frozen=True)
class Where:
    """The place of a value: the source (a file name or "--set") and the dotted key."""

    source: str
    key: str = ""
    what: str = "scenario"
    """What the source is, for messages (``scenario``; ``sweep spec`` for a sweep's SPEC.toml)."""

    def child(self, name: str | int) -> Where:
        return Where(self.source, f"{self.key}.{name}" if self.key else str(name), self.what)

    def error(self, value: Any, expected: str) -> KeyValueError:
        """An error naming the source, this key and ``value``: ``key 'horizon' must be > 0, got 0``."""
        return KeyValueError(self.source, self.key, f" {expected}, got {value!r}", what=self.what)

    def refuse(self, reason: str) -> KeyValueError:
        """An error naming the source and this key, for a reason that names the values itself:
        ``key 'vendors.0.lead_time': lead_time.mean must be >= shift (2), got 1.0``."""
        return KeyValueError(self.source, self.key, f": {reason}", what=self.what)


class KeyValueError(InputError):
    """A scenario key whose value is refused: ``scenario steady.toml: key 'horizon' must be > 0, got 0``.

    The source, the key and what is said about it are kept apart so that
    :func:`restock.scenarios.loader.from_raw` can blame the ``--set`` override that put the value there
    (:meth:`from_override`: ``--set 'horizon=0' on scenario steady.toml: key 'horizon' ...``), not the file.
    ``what`` names the kind of source (``scenario``; ``sweep spec`` for a sweep's SPEC.toml).
    """

    def __init__(
        self, source: str, key: str, detail: str, override: str | None = None, what: str = "scenario"
    ):
        self.source, self.key, self.detail, self.override, self.what = source, key, detail, override, what
        where = f"--set {override!r} on {what} {source}" if override else f"{what} {source}"
        super().__init__(f"{where}: key {key!r}{detail}")

    def from_override(self, override: str) -> KeyValueError:
        """The same error, naming the ``--set`` item ``override`` as where the value came from."""
        return KeyValueError(self.source, self.key, self.detail, override, self.what)


def parser(fn: Callable[[Any, Where], Any]) -> dict[str, Any]:
    """Field metadata marking a custom parser: ``field(metadata=parser(fn))``."""
    return {"parse": fn}


def infinite() -> dict[str, Any]:
    """Field metadata letting a ``float`` field be ``inf`` (unlimited): ``field(metadata=infinite())``."""
    return {"infinite": True}


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def is_section(tp: Any) -> bool:
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def section_fields(cls: type) -> dict[str, Any]:
    """Field name -> annotated type of a section dataclass."""
    hints = _hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls) if _public(f)}


def _public(f: dataclasses.Field[Any]) -> bool:
    """A field read from TOML (not an internal one such as the source file name)."""
    return f.init and not f.metadata.get("internal", False)


def parse_section(cls: type[S], raw: Any, where: Where) -> S:
    """Read the TOML table ``raw`` into the dataclass ``cls`` (defaults fill absent keys)."""
    if not isinstance(raw, dict):
        raise where.error(raw, "must be a table")
    fields = {f.name: f for f in dataclasses.fields(cls) if _public(f)}  # type: ignore[arg-type]
    hints = _hints(cls)
    unknown = [k for k in raw if k not in fields]
    if unknown:
        w = where.child(unknown[0])
        raise InputError(
            f"{w.what} {w.source}: unknown key {w.key!r} (value {raw[unknown[0]]!r}; "
            f"known here: {', '.join(fields)})"
        )
    values: dict[str, Any] = {}
    for name, f in fields.items():
        w = where.child(name)
        if name not in raw:
            if f.default is MISSING and f.default_factory is MISSING:
                raise InputError(f"{w.what} {w.source}: key {w.key!r} is required")
            continue
        custom = f.metadata.get("parse")
        if custom:
            values[name] = custom(raw[name], w)
        else:
            values[name] = convert(hints[name], raw[name], w, infinite=f.metadata.get("infinite", False))
    return cls(**values)


def convert(tp: Any, value: Any, where: Where, infinite: bool = False) -> Any:
    """Check and convert one TOML value to the annotated type ``tp`` (``infinite``: a float may be inf)."""
    origin = get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        args = [a for a in get_args(tp) if a is not type(None)]
        if value is None:
            return None
        if len(args) == 1:
            return convert(args[0], value, where, infinite)
        sections = [a for a in args if is_section(a)]
        if len(sections) == 1 and len(args) == 2:  # a scalar or a table: each with its own errors
            if isinstance(value, dict):
                return parse_section(sections[0], value, where)
            return convert(next(a for a in args if not is_section(a)), value, where, infinite)
        for a in args:
            try:
                return convert(a, value, where, infinite)
            except InputError:
                continue
        raise where.error(value, f"must be one of {' or '.join(_name(a) for a in args)}")
    if origin is tuple:
        item = get_args(tp)[0]
        if not isinstance(value, list):
            raise where.error(value, f"must be an array of {_name(item)}")
        return tuple(convert(item, v, where.child(i), infinite) for i, v in enumerate(value))
    if is_section(tp):
        return parse_section(tp, value, where)
    if tp is bool:
        if not isinstance(value, bool):
            raise where.error(value, "must be true or false")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise where.error(value, "must be an integer")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise where.error(value, "must be a number")
        if math.isnan(value):
            raise where.error(value, "must be a number, not nan")
        if not infinite and not math.isfinite(value):
            raise where.error(value, "must be finite (inf is allowed only for capacities)")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise where.error(value, "must be a string")
        return value
    if get_origin(tp) is typing.Literal:
        allowed = get_args(tp)
        if value not in allowed:
            raise where.error(value, f"must be one of {', '.join(map(repr, allowed))}")
        return value
    raise TypeError(f"parsing: unsupported field type {tp!r} at {where.key}")  # a bug in a schema


def _name(tp: Any) -> str:
    if is_section(tp):
        return "table"
    if get_origin(tp) is typing.Literal:
        return "one of " + ", ".join(map(repr, get_args(tp)))
    return getattr(tp, "__name__", str(tp))


def field_type(cls: type, path: list[str], where: Where) -> Any:
    """The annotated type at ``path`` (names and list indices) below section ``cls``.

    Raises an InputError naming the full dotted key when a name is not a field of its section: the check
    that makes ``--set`` reject keys that do not exist.
    """
    tp: Any = cls
    for i, part in enumerate(path):
        key = ".".join(path[: i + 1])
        if get_origin(tp) in (types.UnionType, typing.Union):
            inner = [a for a in get_args(tp) if is_section(a) or get_origin(a) is tuple]
            tp = inner[0] if inner else tp
        if is_section(tp):
            fields = section_fields(tp)
            if part not in fields:
                raise InputError(
                    f"scenario {where.source}: key {key!r} does not exist (known in "
                    f"{'.'.join(path[:i]) or 'the top level'}: {', '.join(fields)})"
                )
            tp = fields[part]
        elif get_origin(tp) is tuple and part.isdigit():
            tp = get_args(tp)[0]
        else:
            raise InputError(
                f"scenario {where.source}: key {key!r} does not exist ({path[i - 1]!r} has no parts)"
            )
    return tp


def toml_literal(value: Any, where: Where) -> str:
    """``value`` (a TOML scalar, an array or an inline table of them) written as TOML, as ``--set
    key=VALUE`` and ``tomllib`` read it back; nan is an error naming ``where``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            raise where.error(value, "must not be nan")
        return ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_literal(v, where) for v in value) + "]"
    if isinstance(value, dict):
        items = (f"{toml_key(k)} = {toml_literal(v, where.child(k))}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    raise where.error(value, "must be a number, a string, a boolean or an array of them")


_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def toml_key(key: str) -> str:
    """``key`` as a TOML key: bare where it may be, else quoted (a dotted option name stays one key)."""
    return key if _BARE_KEY.match(key) else json.dumps(key)
