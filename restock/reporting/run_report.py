"""The report of a run folder: ``RUN_DIR/report.html``, self-contained (:mod:`restock.reporting.html`).

Works on any run folder (:mod:`restock.runs`), whatever its kind, from the files the run left:

1. *KPIs*: the KPI table (``kpis.csv``) and ``phases.csv`` (KPIs before / during / after the shock
   window of a replay); a run kind of :data:`HEADLINES` gives this section its own title and a paragraph
   saying how to read the table (``value-of-accuracy``: *Value of forecast accuracy*).
2. *Figures*: every PNG under ``figures/`` (a replay's cumulative profit, inventory, orders and demand vs
   forecast band, in that order, then the others by name); or, for runs without figures of their own
   (training runs), *Training curves*: every scalar tag of the TensorBoard event files under the folder,
   grouped by namespace (``eval/``, ``train/``, ``rollout/``, ...), one figure per namespace and run,
   at most :data:`MAX_TAGS` tags each (:data:`FIRST_TAGS` first).
3. *More tables*: every other CSV at the top of the folder except the per-period ones drawn as figures
   (:data:`SKIP_TABLES`); at most :data:`MAX_ROWS` rows each, the caption says when rows were left out.
4. *Run*: kind, scenario, agent, seed, creation time, the resolved config (``run.json``, flattened into
   ``key = value`` rows) and package versions.

A folder that is not a run is an :class:`~restock.errors.InputError`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from restock import io, runs
from restock.reporting import tensorboard as tb
from restock.reporting.figures import png_bytes
from restock.reporting.html import Image, Section, Table, render

REPORT_FILE = "report.html"
MAX_ROWS = 60
"""Rows of one table shown in the report."""
MAX_TAGS = 12
"""Scalar tags in one training-curve figure (tags naming profit, saving, reward or loss first)."""
FIRST_TAGS: tuple[str, ...] = ("profit", "saving", "reward", "loss")
FIGURE_ORDER: tuple[str, ...] = ("cumulative_profit", "inventory", "orders", "demand_forecast")
HEADLINE_TABLES: tuple[str, ...] = ("kpis.csv", "phases.csv")
"""Tables shown first, before the figures."""
SKIP_TABLES: tuple[str, ...] = ("series.csv", "forecast_bands.csv")
"""Long per-period tables already drawn as figures."""
HEADLINES: dict[str, tuple[str, str]] = {
    "value-of-accuracy": (
        "Value of forecast accuracy",
        "The policy {agent} on each forecaster's quantiles, on the same demand paths: the accuracy of the "
        "forecast rows it read (mean wQL, P50/P90 wQL, P90 coverage, calibration error = mean |coverage - "
        "level|, volatility = the revision of the median between reviews) beside its profit. profit_gap is "
        "the mean paired difference of profit against {reference}, with its 95% CI (ci_low, ci_high) over "
        "seeds; calibration.csv holds every quantile level.",
    ),
}
"""Run kind -> (title of the KPI section, a paragraph; ``{agent}`` and ``{reference}`` (of the config)
filled in)."""


def _flatten(obj: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Nested dicts as ``("a.b.c", value)`` rows; non-string values as JSON."""
    if isinstance(obj, dict):
        out: list[tuple[str, str]] = []
        for k, v in obj.items():
            out += _flatten(v, f"{prefix}{k}.")
        return out
    return [(prefix.rstrip("."), obj if isinstance(obj, str) else json.dumps(obj, default=str))]


def run_section(meta: dict[str, Any]) -> Section:
    """Kind, scenario, agent, seed, creation time, then the config and versions as key/value rows."""
    head = pd.DataFrame(
        [{"key": k, "value": str(meta.get(k, ""))} for k in ("kind", "scenario", "agent", "seed", "created")]
    )
    config = pd.DataFrame(_flatten(meta.get("config", {})), columns=["key", "value"])
    versions = pd.DataFrame(_flatten(meta.get("versions", {})), columns=["package", "version"])
    tables = [Table("What ran", head), Table("Resolved config (run.json)", config)]
    if not versions.empty:
        tables.append(Table("Versions", versions))
    return Section("Run", tables=tables)


def _table(path: Path) -> Table:
    frame = pd.read_csv(path)
    caption = path.name
    if len(frame) > MAX_ROWS:
        caption += f" (first {MAX_ROWS} of {len(frame)} rows)"
        frame = frame.head(MAX_ROWS)
    return Table(caption, frame)


def table_sections(run_dir: Path) -> tuple[Section | None, Section | None]:
    """(headline KPI tables, the other CSV tables) of the run; None where there are none."""
    files = {p.name: p for p in sorted(run_dir.glob("*.csv")) if p.name not in SKIP_TABLES}
    head = [_table(files.pop(n)) for n in HEADLINE_TABLES if n in files]
    rest = [_table(p) for p in files.values()]
    return (
        Section("KPIs", tables=head) if head else None,
        Section("More tables", tables=rest) if rest else None,
    )


def figure_files(run_dir: Path) -> list[Path]:
    """PNG files under ``figures/``: :data:`FIGURE_ORDER` first, then by name."""
    files = {p.stem: p for p in sorted((run_dir / "figures").glob("*.png"))}
    first = [files.pop(n) for n in FIGURE_ORDER if n in files]
    return first + list(files.values())


def curves_figure(title: str, scalars: dict[str, pd.DataFrame]) -> Figure:
    """One panel per scalar tag (value against step)."""
    tags = sorted(scalars, key=lambda t: (not any(w in t for w in FIRST_TAGS), t))[:MAX_TAGS]
    cols = 2 if len(tags) > 1 else 1
    rows = (len(tags) + cols - 1) // cols
    fig = Figure(figsize=(10, 2.6 * rows))
    for i, tag in enumerate(tags):
        ax = fig.add_subplot(rows, cols, i + 1)
        s = scalars[tag]
        ax.plot(s["step"], s["value"], lw=1.2, marker="." if len(s) < 30 else None)
        ax.set_title(tag, fontsize=9)
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def curve_images(run_dir: Path) -> list[Image]:
    """Training curves of every TensorBoard run under ``run_dir``, one figure per namespace and run."""
    images = []
    for log_dir in tb.event_runs(run_dir):
        groups: dict[str, dict[str, pd.DataFrame]] = defaultdict(dict)
        for tag, frame in tb.read_scalars(log_dir).items():
            if not frame.empty:
                groups[tag.split("/")[0] if "/" in tag else "scalars"][tag] = frame
        rel = log_dir.relative_to(run_dir).as_posix()
        for ns in sorted(groups):
            title = f"{ns}/ ({rel})" if rel != "." else f"{ns}/"
            images.append(Image(f"TensorBoard scalars {title}", png_bytes(curves_figure(title, groups[ns]))))
    return images


def build_report(run_dir: str | Path) -> str:
    """The HTML report of a run folder (see the module docstring)."""
    path = Path(run_dir)
    meta = runs.load_run(path)
    head, rest = table_sections(path)
    if head is not None and meta["kind"] in HEADLINES:
        title, text = HEADLINES[meta["kind"]]
        config = meta["config"] if isinstance(meta.get("config"), dict) else {}
        head.title = title
        head.paragraphs.append(text.format(agent=meta["agent"], reference=config.get("reference", "?")))
    sections = [head] if head is not None else []
    pngs = figure_files(path)
    if pngs:
        sections.append(
            Section("Figures", images=[Image(p.stem.replace("_", " "), p.read_bytes()) for p in pngs])
        )
    else:
        curves = curve_images(path)
        if curves:
            sections.append(Section("Training curves", images=curves))
    if not sections:
        sections.append(Section("Results", paragraphs=["This run folder holds no table and no figure yet."]))
    if rest is not None:
        sections.append(rest)
    sections.append(run_section(meta))
    seeds = f"{meta['seed']} seeds" if meta["kind"] == "replay" else f"seed {meta['seed']}"
    title = f"Restock {meta['kind']}: {meta['scenario']} · {meta['agent']} · {seeds}"
    return render(title, sections, subtitle=f"{path.name} · created {meta.get('created', '')}")


def write_report(run_dir: str | Path) -> Path:
    """Write ``RUN_DIR/report.html`` atomically; returns its path."""
    html = build_report(run_dir)
    return io.write_text(Path(run_dir) / REPORT_FILE, html)
