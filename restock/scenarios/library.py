"""The scenario library on disk: the built-in scenario names and the raw TOML of a name or a file.

Reading needs only the standard library, so that ``restock scenarios list`` starts fast; parsing and
validating a table is :mod:`restock.scenarios.loader`'s work.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from restock.errors import InputError

BUILTIN_FOLDER = "builtin"
"""Folder of the built-in scenarios inside the restock.scenarios package (package data)."""


def _builtin_folder() -> Traversable:
    return resources.files("restock.scenarios").joinpath(BUILTIN_FOLDER)


def list_builtin() -> list[str]:
    """Names of the built-in scenarios (the stems of ``restock/scenarios/builtin/*.toml``), sorted."""
    folder = _builtin_folder()
    return sorted(p.name[: -len(".toml")] for p in folder.iterdir() if p.name.endswith(".toml"))


def read_toml(path: Path, what: str = "scenario") -> dict[str, Any]:
    """The TOML table in the file ``path``; a missing, unreadable, non-UTF-8 or invalid file is an
    InputError naming ``what`` (``scenario``, ``sweep spec``) and the file."""
    if not path.is_file():
        raise InputError(f"{what} {path}: no such file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{what} {path}: not a UTF-8 text file (byte {exc.object[exc.start]:#04x} at offset "
            f"{exc.start}); a {what} is a TOML file written in UTF-8"
        ) from None
    except OSError as exc:
        raise InputError(f"{what} {path}: cannot be read ({exc.strerror})") from None
    return _parse(text, f"{what} {path}")


def _parse(text: str, named: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{named}: not valid TOML: {exc}") from None


def read_raw(name_or_path: str) -> tuple[dict[str, Any], str]:
    """The raw TOML table of a built-in name or a file path, and the source name used in errors."""
    if name_or_path in list_builtin():
        source = f"{name_or_path}.toml"
        return _parse(
            _builtin_folder().joinpath(source).read_text(encoding="utf-8"), f"scenario {source}"
        ), source
    if not Path(name_or_path).is_file():
        raise InputError(
            f"scenario {name_or_path!r}: neither a built-in scenario ({', '.join(list_builtin())}) "
            "nor an existing TOML file"
        )
    return read_toml(Path(name_or_path)), str(name_or_path)
