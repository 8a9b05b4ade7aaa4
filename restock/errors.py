"""Errors raised on bad input.

Every error that a user can cause with their data, their scenario or their command line is an
:class:`InputError`. Its message names the file (when there is one), the field and the offending value,
so that the CLI can print it as one line and exit with code 2.
"""

from __future__ import annotations

from typing import Any

MAX_UNITS = 1e9
"""Most units of a stock level or order quantity typed on the command line (``restock simulate``'s S and Q,
an ``s-S:s=V:S=W`` policy's levels): beyond it the money KPIs lose their precision or overflow."""


class InputError(ValueError):
    """Bad input: a file, a field or a value that Restock cannot use.

    The message is complete on its own (``"scenario steady.toml: key 'horizon' must be > 0, got -3"``).
    """


def bad_value(field: str, value: Any, expected: str, *, source: str | None = None) -> InputError:
    """Build an :class:`InputError` that names ``source`` (a file), ``field`` and ``value``."""
    where = f"{source}: " if source else ""
    return InputError(f"{where}{field} {expected}, got {value!r}")
