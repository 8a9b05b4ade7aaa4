"""Run folders that explain themselves.

Every training, evaluation or replay writes one folder ``runs/<scenario>__<agent>__s<seed>__<timestamp>/``
holding ``run.json`` (what ran: kind, scenario, agent, seed, the resolved typed config, package versions),
then whatever the run produces (KPIs, TensorBoard event files, checkpoints, a report). ``run.json`` is
written first and atomically, so a folder without it is not a run (and is never resumed from).
"""

from __future__ import annotations

import json
import platform
import re
from dataclasses import asdict, is_dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from restock import io
from restock.errors import InputError

RUN_FILE = "run.json"
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def slug(text: str) -> str:
    """``text`` made file-system safe (runs of other characters become ``-``)."""
    return _SAFE.sub("-", text).strip("-") or "x"


def run_name(scenario: str, agent: str, seed: int, timestamp: datetime | None = None) -> str:
    """``<scenario>__<agent>__s<seed>__<YYYYmmdd-HHMMSS>`` (names made file-system safe)."""
    ts = (timestamp or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    return f"{slug(Path(scenario).stem)}__{slug(agent)}__s{seed}__{ts}"


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("restock", "numpy", "torch", "gymnasium", "stable-baselines3", "simpy"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    return out


def plain(obj: Any) -> Any:
    """``obj`` (dataclasses, mappings, sequences, paths) as plain JSON data."""
    if is_dataclass(obj) and not isinstance(obj, type):
        return {k: plain(v) for k, v in asdict(obj).items()}
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [plain(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    return obj


def check_new_run(root: str | Path, run_dir: str | Path | None) -> None:
    """What :func:`create_run` would refuse, checked before any work: an output location that cannot be
    written (naming ``--run-dir`` or ``--root``), a ``run_dir`` that already holds a run."""
    if run_dir is None:
        io.check_folder(root, "--root")
        return
    io.check_folder(run_dir, "--run-dir")
    if (Path(run_dir) / RUN_FILE).exists():
        raise InputError(
            f"run folder {run_dir} already holds a run; choose another --run-dir or use --resume"
        )


def create_run(
    *,
    kind: str,
    scenario: str,
    agent: str,
    seed: int,
    config: Any,
    root: str | Path = "runs",
    run_dir: str | Path | None = None,
) -> Path:
    """Create a new run folder and write its ``run.json``; an existing run folder is never overwritten."""
    check_new_run(root, run_dir)
    path = Path(run_dir) if run_dir is not None else Path(root) / run_name(scenario, agent, seed)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        option = "--run-dir" if run_dir is not None else "--root"
        raise InputError(f"{option} {path}: cannot make the run folder ({exc.strerror})") from None
    meta = {
        "kind": kind,
        "scenario": scenario,
        "agent": agent,
        "seed": seed,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": plain(config),
        "versions": _versions(),
    }
    io.write_json(path / RUN_FILE, meta)
    return path


def discard_unstarted(path: str | Path, *, remove_folder: bool) -> bool:
    """Undo :func:`create_run` for a run that stopped before writing anything besides ``run.json`` (bad
    input found by the job itself): remove ``run.json``, and the folder too if ``remove_folder`` (it was
    made for the run). A folder holding more is left as it is (``--resume`` continues or restarts it).
    Whether the run was discarded."""
    path = Path(path)
    if sorted(p.name for p in path.iterdir()) != [RUN_FILE]:
        return False
    (path / RUN_FILE).unlink()
    if remove_folder:
        path.rmdir()
    return True


def load_run(path: str | Path) -> dict[str, Any]:
    """The ``run.json`` of a run folder; a folder that is not a run is an :class:`InputError`."""
    path = Path(path)
    file = path / RUN_FILE
    if not path.is_dir():
        raise InputError(f"run folder {path} does not exist")
    if not file.is_file():
        raise InputError(f"{path} is not a run folder (no {RUN_FILE})")
    try:
        meta = json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{file}: not valid JSON ({exc.msg} at line {exc.lineno})") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{file}: not UTF-8 JSON text (a byte {exc.object[exc.start]:#04x})") from None
    except OSError as exc:
        raise InputError(f"{file}: cannot be read ({exc.strerror})") from None
    if not isinstance(meta, dict):
        raise InputError(f"{file}: must hold a JSON object, got {type(meta).__name__}; not a Restock run")
    for key in ("kind", "scenario", "agent", "seed", "config"):
        if key not in meta:
            raise InputError(f"{file}: missing key {key!r}; not a Restock run")
    return dict(meta)


def is_run(path: str | Path) -> bool:
    """Whether ``path`` is a run folder (holds a readable ``run.json``)."""
    try:
        load_run(path)
    except InputError:
        return False
    return True
