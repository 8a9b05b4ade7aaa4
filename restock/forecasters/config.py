"""Building a model's typed config from keyword arguments (``make(name, **params)``, the CLI)."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from restock.errors import InputError

C = TypeVar("C")


def build_config(cls: type[C], params: dict[str, Any], model: str) -> C:
    """``cls(**params)``; an unknown parameter is an :class:`InputError` listing the known ones."""
    known = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise InputError(f"forecaster {model!r}: unknown parameter(s) {unknown}; known: {', '.join(known)}")
    return cls(**params)
