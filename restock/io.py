"""Atomic file output: nothing is ever left half-written.

Every file Restock writes goes to a temporary file in the destination folder and is renamed into place
(``os.replace`` is atomic on POSIX and Windows when both paths are on one file system).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from restock.errors import InputError

if TYPE_CHECKING:
    import pandas as pd


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it to ``path``, on error delete it."""
    dest = Path(path)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    except OSError as exc:
        raise InputError(f"{dest}: cannot be written ({exc.strerror}: {exc.filename})") from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, dest)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def _write_with(path: str | os.PathLike[str], writer: Callable[[Path], object]) -> Path:
    with atomic_path(path) as tmp:
        writer(tmp)
    return Path(path)


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return _write_with(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    return _write_with(path, lambda tmp: tmp.write_bytes(data))


def write_json(path: str | os.PathLike[str], obj: Any) -> Path:
    """Write ``obj`` as indented JSON to ``path`` atomically."""
    return write_text(path, json.dumps(obj, indent=2, sort_keys=False, default=str) + "\n")


def finite_json(obj: Any, what: str) -> str:
    """``obj`` as JSON without ``NaN`` or ``Infinity`` (not JSON): a non-finite number is an
    :class:`~restock.errors.InputError` naming ``what`` and its key, e.g. ``KPI 'profit' is not finite``."""
    _check_finite(obj, what, "")
    return json.dumps(obj, allow_nan=False, default=str)


def _check_finite(obj: Any, what: str, key: str) -> None:
    if isinstance(obj, dict):
        for k, v in obj.items():
            _check_finite(v, what, f"{key}.{k}" if key else str(k))
    elif isinstance(obj, list | tuple):
        for i, v in enumerate(obj):
            _check_finite(v, what, f"{key}.{i}" if key else str(i))
    elif isinstance(obj, float) and not math.isfinite(obj):
        raise InputError(
            f"{what} {key!r} is not finite ({obj!r}): "
            "an input is too large for the computation to stay finite"
        )


def check_folder(path: str | os.PathLike[str], option: str) -> Path:
    """``path`` if it is, or can be made, a folder this process may write in; else an
    :class:`~restock.errors.InputError` naming ``option`` and the path. Nothing is created: call it before
    the work whose output goes there."""
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{option} {folder}: is an existing file, not a folder")
    existing = folder
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    if not existing.is_dir():
        raise InputError(f"{option} {folder}: {existing} is a file, so no folder can be made under it")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise InputError(f"{option} {folder}: {existing} is not writable")
    return folder


def check_writable(path: str | os.PathLike[str], option: str) -> Path:
    """``path`` if a file could be written there (not a folder, in a folder :func:`check_folder` accepts),
    else an :class:`~restock.errors.InputError` naming ``option`` and the path. Nothing is created."""
    dest = Path(path)
    if dest.is_dir():
        raise InputError(f"{option} {dest}: is a folder; give a file name")
    try:
        check_folder(dest.parent, "its folder")
    except InputError as exc:
        raise InputError(f"{option} {dest}: cannot be written ({exc})") from None
    return dest


def write_frame(path: str | os.PathLike[str], frame: pd.DataFrame) -> Path:
    """Write a DataFrame atomically; the format follows the suffix (.csv or .parquet)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        return _write_with(path, lambda tmp: frame.to_csv(tmp, index=False))
    if suffix == ".parquet":
        return _write_with(path, lambda tmp: frame.to_parquet(tmp, index=False))
    raise ValueError(f"write_frame: unsupported file type {suffix!r} for {path}; use .csv or .parquet")
