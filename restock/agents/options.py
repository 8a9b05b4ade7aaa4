"""Agent options that nest another config: ``agent.<name>.<field>`` items build a frozen dataclass.

``SB3Options.action`` (:class:`~restock.envs.actions.ActionConfig`) and ``DirectBackpropConfig.observation``
(:class:`~restock.envs.features.ObservationConfig`) are read this way, so a nested config is set with the
same keys everywhere and its own ``__post_init__`` checks the values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any, TypeVar

from restock.errors import InputError

T = TypeVar("T")


def split_nested(
    options: Mapping[str, Any], name: str, legacy: Mapping[str, str] | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the other items, the items of the nested config ``name`` by field) of ``options``.

    The nested config's items are ``<name>.<field>`` keys, a ``<name>`` mapping of fields (a TOML inline
    table) and the flat spellings of ``legacy`` (old key -> field, so that older run folders load); later
    items win.
    """
    prefix = f"{name}."
    rest: dict[str, Any] = {}
    nested: dict[str, Any] = {}
    for key, value in options.items():
        if key == name:
            if not isinstance(value, dict):
                raise InputError(f"agent.{name} must be a table of {name} fields, got {value!r}")
            nested.update(value)
        elif key.startswith(prefix):
            nested[key[len(prefix) :]] = value
        elif legacy and key in legacy:
            nested[legacy[key]] = value
        else:
            rest[key] = value
    return rest, nested


def nested_config(cls: type[T], name: str, items: dict[str, Any]) -> T:
    """``cls`` built from ``items`` (its field names, without the ``<name>.`` prefix).

    An unknown field is an :class:`InputError` naming ``agent.<name>.<field>``; an integer given for a float
    field becomes a float, a list for a tuple field a tuple; the dataclass's own errors are prefixed with
    ``agent.<name>``.
    """
    known = {f.name: f for f in fields(cls)}  # type: ignore[arg-type]
    values: dict[str, Any] = {}
    for key, value in items.items():
        f = known.get(key)
        if f is None:
            raise InputError(f"unknown option agent.{name}.{key}; known: {sorted(known)}")
        kind = str(f.type)
        if isinstance(value, list) and kind.startswith("tuple"):
            value = tuple(_number(v, kind) for v in value)
        elif not kind.startswith("tuple"):
            value = _number(value, kind)
        values[key] = value
    try:
        return cls(**values)
    except InputError as exc:
        raise InputError(f"agent.{name}: {exc}") from None
    except TypeError as exc:  # a value of the wrong kind (a number for a list, ...)
        raise InputError(f"agent.{name}: bad value in {values!r} ({exc})") from None


def _number(value: Any, kind: str) -> Any:
    """An integer as a float where the field (or its elements) holds floats; anything else unchanged."""
    if isinstance(value, int) and not isinstance(value, bool) and "float" in kind:
        return float(value)
    return value


def check_device(device: str) -> None:
    """A torch device that exists here (SB3 would silently fall back to the CPU for a missing GPU; torch
    itself raises a RuntimeError at the first tensor) — else an InputError naming it."""
    import torch

    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise InputError(f"device {device!r} is not a torch device ({exc})") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise InputError(f"device {device!r}: CUDA is not available on this machine (use --device cpu)")
