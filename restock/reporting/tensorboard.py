"""TensorBoard output of a replay: one run (SummaryWriter folder) per policy, figures as images.

``tensorboard --logdir RUN_DIR/tensorboard`` then shows every policy as its own run with the same tags,
so TensorBoard overlays them on one chart per tag, the period as the step:

==========================  ==============================================================
tag                         per-period value (summed over nodes and SKUs, mean over paths)
==========================  ==============================================================
``profit/period``           reward of the period
``profit/cumulative``       running profit
``profit/revenue``          revenue
``cost/purchase``           purchase cost
``cost/holding``            holding cost
``cost/penalty``            lost-sale (or backlog) penalty
``cost/fixed_order``        fixed order cost
``service/fill_rate``       units sold / units demanded in the period
``service/lost_units``      units of demand lost
``inventory/on_hand``       on-hand at the end of the period
``inventory/ordered``       units ordered
``inventory/received``      units received
``inventory/in_transit``    units accepted and not yet arrived
``demand/units``            customer demand
==========================  ==============================================================

A policy's KPIs go in as ``kpi/<name>`` at step 0 and its KPI table as text; figures go into a run
of their own (:data:`FIGURES_RUN`) as images. Other jobs write their own namespaced scalars with
:func:`write_scalars` (``restock value-of-accuracy``: ``accuracy/<forecaster>/<metric>``).
"""

from __future__ import annotations

import io as _io
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

SERIES_TAGS: dict[str, str] = {
    "reward": "profit/period",
    "cumulative_profit": "profit/cumulative",
    "revenue": "profit/revenue",
    "purchase_cost": "cost/purchase",
    "holding_cost": "cost/holding",
    "penalty_cost": "cost/penalty",
    "fixed_order_cost": "cost/fixed_order",
    "fill_rate": "service/fill_rate",
    "lost": "service/lost_units",
    "on_hand": "inventory/on_hand",
    "ordered": "inventory/ordered",
    "received": "inventory/received",
    "in_transit": "inventory/in_transit",
    "demand": "demand/units",
}
"""Series column -> TensorBoard tag (see the module docstring)."""

FIGURES_RUN = "_figures"
"""The run that holds the comparison figures (sorted first, apart from the policies)."""

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def run_label(policy: str) -> str:
    """A file-system safe run name for a policy spec (``runs/a__ppo__s0`` -> ``runs-a__ppo__s0``)."""
    return _SAFE.sub("-", policy.rstrip("/")).strip("-.") or "policy"


def _writer(log_dir: Path):  # type: ignore[no-untyped-def]
    from torch.utils.tensorboard import SummaryWriter

    return SummaryWriter(log_dir=str(log_dir))


def write_policy_run(
    log_dir: str | Path,
    series: pd.DataFrame,
    kpis: Mapping[str, float] | None = None,
    kpi_text: str | None = None,
) -> Path:
    """Write one policy's per-period series (and KPIs) as a TensorBoard run in ``log_dir``."""
    log_dir = Path(log_dir)
    writer = _writer(log_dir)
    try:
        periods = series["period"].to_numpy(dtype=np.int64)
        for column, tag in SERIES_TAGS.items():
            if column not in series.columns:
                continue
            values = series[column].to_numpy(dtype=np.float64)
            for step, value in zip(periods, values, strict=True):
                writer.add_scalar(tag, float(value), int(step))
        for name, value in (kpis or {}).items():
            if isinstance(value, int | float | np.floating | np.integer) and np.isfinite(value):
                writer.add_scalar(f"kpi/{name}", float(value), 0)
        if kpi_text:
            writer.add_text("kpi/table", kpi_text, 0)
    finally:
        writer.close()
    return log_dir


def write_scalars(log_dir: str | Path, scalars: Mapping[str, float], step: int = 0) -> Path:
    """Write ``{tag: value}`` scalars at ``step`` as one TensorBoard run in ``log_dir`` (tags namespaced by
    the caller, e.g. ``accuracy/<forecaster>/wql``)."""
    log_dir = Path(log_dir)
    writer = _writer(log_dir)
    try:
        for tag, value in scalars.items():
            writer.add_scalar(tag, float(value), int(step))
    finally:
        writer.close()
    return log_dir


def write_figures(
    log_dir: str | Path, figures: Mapping[str, bytes], text: Mapping[str, str] | None = None
) -> Path:
    """Add PNG figures (``{tag: png bytes}``) as images (and optional markdown texts) to a run."""
    from matplotlib import image

    log_dir = Path(log_dir)
    writer = _writer(log_dir)
    try:
        for tag, png in figures.items():
            pixels = image.imread(_io.BytesIO(png), format="png")  # [H, W, 3|4] floats in [0, 1]
            writer.add_image(tag, np.ascontiguousarray(pixels[..., :3]), 0, dataformats="HWC")
        for tag, body in (text or {}).items():
            writer.add_text(tag, body, 0)
    finally:
        writer.close()
    return log_dir


def purge_from(writer: Any, step: int) -> None:
    """Discard, when the folder is read, every event at ``step`` or later that earlier sessions wrote into
    ``writer``'s folder.

    A training run resumed from its checkpoint at step C calls it with C + 1: the points that the killed
    run wrote after its checkpoint go, the resumed run's own points take their place, and every tag keeps
    one value per step. It writes what ``SummaryWriter(purge_step=step)`` writes when it starts (a
    file-version event and a ``SessionLog.START`` at ``step``), for a writer that exists already (SB3's
    logger makes its own). TensorBoard's ``EventAccumulator`` (and so :func:`read_scalars`) drops the
    earlier events from ``step`` on; the event files themselves are left as they are.
    """
    from tensorboard.compat.proto.event_pb2 import Event, SessionLog

    if step < 0:
        raise ValueError(f"purge step must be >= 0, got {step}")
    file_writer = writer.file_writer
    if file_writer is None:
        raise ValueError("purge_from: the writer is closed")
    file_writer.add_event(Event(step=step, file_version="brain.Event:2"))
    file_writer.add_event(Event(step=step, session_log=SessionLog(status=SessionLog.START)))
    writer.flush()


def read_scalars(log_dir: str | Path) -> dict[str, pd.DataFrame]:
    """Every scalar tag of one TensorBoard run folder: ``{tag: DataFrame(step, value)}``."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(log_dir), size_guidance={"scalars": 0, "images": 0, "tensors": 0})
    acc.Reload()
    out: dict[str, pd.DataFrame] = {}
    for tag in acc.Tags().get("scalars", []):
        events = acc.Scalars(tag)
        out[tag] = pd.DataFrame({"step": [e.step for e in events], "value": [e.value for e in events]})
    return out


def event_runs(root: str | Path) -> list[Path]:
    """Folders under ``root`` (itself included) that hold TensorBoard event files, sorted."""
    root = Path(root)
    if not root.is_dir():
        return []
    return sorted({p.parent for p in root.rglob("events.out.tfevents.*")})
