"""Replay: every policy through one scenario on the same paths (SimPy engine), written as a run folder
(``restock replay``).

``replay(ReplaySpec(scenario="covid-shock", policies=("newsvendor", "base-stock", "runs/<ppo run>"),
seeds=5))`` resolves the policy specs (:func:`restock.agents.specs.resolve_policy`), calls
:func:`restock.agents.evaluate.evaluate` (common random numbers: every policy on the
same exogenous paths of each evaluation seed, paired savings against the newsvendor with 95% CIs) and
writes ``runs/<scenario>__replay__s<seeds>__<timestamp>/`` (:mod:`restock.runs`, ``kind = "replay"``):

=============================  =====================================================================
``run.json``                   the resolved :class:`ReplaySpec`, versions
``kpis.csv`` / ``kpis.md``     the KPI table: per policy, profit, saving vs newsvendor and its 95% CI,
                               fill rate, ...; the markdown also holds the KPIs by phase
``per_seed.csv``               one row per (policy, seed): the paired samples behind the CIs
``phases.csv``                 per policy, KPIs before / during / after the shock window
``trajectories/<p>.parquet``   per policy, the per-period records of every seed (column ``seed``)
``series.csv``                 per policy and period, the series the figures and TensorBoard show
``forecast_bands.csv``         demand per review cycle against the forecast band (first seed, path 0)
``figures/*.png``              inventory, orders, demand vs forecast band, cumulative profit
``tensorboard/<p>/``           one TensorBoard run per policy (tags: :mod:`restock.reporting.tensorboard`)
``tensorboard/_figures/``      the figures as images and the KPI table as text
=============================  =====================================================================

Nothing is written before every policy has run, so a bad policy spec or scenario leaves no folder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from restock import io, runs
from restock.agents import specs as policy_specs
from restock.agents.evaluate import draw_episode, evaluate
from restock.errors import InputError
from restock.forecasters.base import BAND_QUANTILES
from restock.pipelines.inputs import check_engine
from restock.reporting import figures as figs
from restock.reporting import tensorboard as tb
from restock.reporting.markdown import markdown_table
from restock.reporting.series import Phases, period_series, phase_kpis, shock_phases, stacked_records
from restock.scenarios import Scenario, draw, load

BAND = BAND_QUANTILES
"""Quantile levels of the forecast band figure: low, median, high."""


@dataclass(frozen=True)
class ReplaySpec:
    """What to replay: the typed config written into the run folder's ``run.json``."""

    scenario: str
    """A built-in scenario name or a TOML file."""
    policies: tuple[str, ...]
    """Policy specs as :func:`restock.agents.specs.resolve_policy` reads them (``newsvendor``,
    ``base-stock``, ``runs/<training run>``, ...); the newsvendor is the reference of every saving."""
    seeds: int = 5
    """Evaluation seeds (each one draw of the scenario's ``seeds.n_paths`` paths)."""
    scenario_overrides: tuple[str, ...] = ()
    """``key=value`` overrides of the scenario, as ``restock simulate --set`` takes them."""
    engine: str = "des"
    """The engine the policies run on (the SimPy reference by default)."""
    train_overrides: tuple[str, ...] = ()
    """Extra overrides of the scenario that tuned baselines are tuned on (``shocks=[]``: tuned on the world
    before the shock, as a buyer would have been; empty: tuned on the replayed scenario itself, shocks
    included, which lets tuning see the shock's dates)."""
    figure_skus: int = 3
    """SKUs shown in the demand-vs-forecast figure (the first SKU of each category first)."""

    def __post_init__(self) -> None:
        if not self.policies:
            raise InputError("replay: --policies names no policy")
        dup = sorted({p for p in self.policies if self.policies.count(p) > 1})
        if dup:
            raise InputError(f"replay: policy {dup[0]!r} is listed twice in --policies")
        if isinstance(self.seeds, bool) or not isinstance(self.seeds, int) or self.seeds < 1:
            raise InputError(f"replay: --seeds must be a positive integer, got {self.seeds!r}")
        if self.figure_skus < 1:
            raise InputError(f"replay: figure_skus must be >= 1, got {self.figure_skus!r}")
        check_engine(self.engine, "replay")


@dataclass(frozen=True)
class ReplayResult:
    """Where the replay was written and its KPI table."""

    run_dir: Path
    summary: pd.DataFrame
    """One row per policy (``kpis.csv``)."""
    phases: pd.DataFrame
    """One row per (policy, phase) (``phases.csv``)."""


def _frame(obj: Any) -> pd.DataFrame:
    return obj.copy() if isinstance(obj, pd.DataFrame) else pd.DataFrame(list(obj))


def scenario_phases(scenario: Any) -> Phases | None:
    """The phases around the scenario's shock window (first shock start to last shock end)."""
    return shock_phases(((s.start, s.end) for s in scenario.shocks), int(scenario.horizon))


def _figure_skus(scenario: Any, skus: tuple[str, ...], n: int) -> list[int]:
    """Indices of the SKUs to plot: one per category first (the catalog order), then the next ones."""
    chosen: list[int] = []
    cats: list[str] = []
    if isinstance(scenario, Scenario):
        try:
            cats = [str(c) for c in draw(scenario, int(scenario.seeds.root), 1).catalog.category]
        except (InputError, ValueError):  # a catalog without categories: plain order
            cats = []
    if len(cats) == len(skus):
        seen: set[str] = set()
        for i, c in enumerate(cats):
            if c not in seen:
                seen.add(str(c))
                chosen.append(i)
    for i in range(len(skus)):
        if i not in chosen:
            chosen.append(i)
    return chosen[:n]


def forecast_bands(
    table: Any,
    records: pd.DataFrame,
    sku_index: list[int],
    levels: tuple[float, float, float] = BAND,
    demand_nodes: list[str] | None = None,
) -> pd.DataFrame:
    """Demand of each review cycle (path 0) against the forecast band issued at the cycle's review.

    ``table`` is the draw's :class:`~restock.scenarios.forecast.ScenarioForecast`; ``records`` one seed's
    records. Forecast quantiles are those of the first bucket (one review period) issued at each review
    for path 0; demand and quantiles are summed over ``demand_nodes`` (the customer-facing nodes; None:
    every node). With one such node, as in every built-in scenario, the band is exact; with several it is
    the sum of the nodes' quantiles (a sum's quantile is not the sum of quantiles: an approximation).
    Quantile levels are interpolated linearly.
    """
    rows = records[records["path"] == records["path"].min()]
    nodes = list(table.nodes) if demand_nodes is None else list(demand_nodes)
    rows = rows[rows["node"].isin(nodes)]
    node_idx = [list(table.nodes).index(n) for n in nodes]
    skus = list(table.skus)
    out = []
    for r, t in enumerate(np.asarray(table.review_periods).tolist()):
        per = table.bucket_quantiles(r)[0]  # [M, N, H, Q] of path 0
        first = per[node_idx, :, 0, :].sum(axis=0)  # [N, Q] summed over the demand nodes
        b = table.bucket_length
        window = rows[(rows["period"] >= t) & (rows["period"] < t + b)]
        demand = window.groupby("sku", sort=False)["demand"].sum()
        for j in sku_index:
            q = np.interp(levels, table.quantiles, first[j])
            out.append(
                {
                    "sku": skus[j],
                    "period": int(t),
                    "demand": float(demand.get(skus[j], 0.0)),
                    "low": float(q[0]),
                    "median": float(q[1]),
                    "high": float(q[2]),
                }
            )
    frame = pd.DataFrame(out)
    horizon_end = int(records["period"].max()) + 1
    return frame[frame["period"] + int(table.bucket_length) <= horizon_end].reset_index(drop=True)


def _band_table(scenario: Any, seed: int, n_paths: int) -> Any:
    """The forecast table of the episode ``evaluate`` drew at root ``seed`` (the same draw, rebuilt)."""
    return draw_episode(scenario, int(seed), int(n_paths)).forecasts


def _kpi_markdown(scenario: str, summary: pd.DataFrame, phases: pd.DataFrame, spec: ReplaySpec) -> str:
    parts = [
        f"# Replay of {scenario}",
        "",
        f"{len(spec.policies)} policies on the same paths of {spec.seeds} evaluation seeds "
        f"({spec.engine} engine).",
        "Savings are paired differences of profit against the newsvendor on the same paths (95% t-interval).",
        "",
        markdown_table(summary),
    ]
    if not phases.empty:
        parts += ["", "## Before / during / after the shock window", "", markdown_table(phases)]
    return "\n".join(parts) + "\n"


Progress = Callable[[str], None]


def policy_labels(specs: tuple[str, ...]) -> dict[str, str]:
    """``{spec: label}``: a short unique name per policy for tables, file names and TensorBoard runs.

    A run folder is labelled by its agent (``runs/covid-shock__ppo__s0__2026...`` -> ``ppo``), or by the
    folder's name when two listed runs share an agent; any other spec is its own label.
    """
    labels: dict[str, str] = {}
    for spec in specs:
        label = spec
        if runs.is_run(spec):
            label = str(runs.load_run(spec)["agent"])
        labels[spec] = label
    shared = {label for label in labels.values() if list(labels.values()).count(label) > 1}
    for spec, label in list(labels.items()):
        if label in shared and label != spec:
            labels[spec] = Path(spec).name
    if len(set(labels.values())) != len(labels):
        raise InputError(f"replay: policies {sorted(labels)} do not have distinct names")
    return labels


def resolve_policies(spec: ReplaySpec, scenario: Any) -> dict[str, Any]:
    """``{spec: Policy}`` for every policy spec (:func:`restock.agents.specs.resolve_policy`, tuned
    policies on the scenario's root training seed); a spec that names no known policy or run is an
    :class:`InputError` raised here, before anything runs or is written."""
    root = int(scenario.seeds.root)
    train = (
        load(spec.scenario, [*spec.scenario_overrides, *spec.train_overrides])
        if spec.train_overrides
        else None
    )
    return {p: policy_specs.resolve_policy(p, scenario, root, train_scenario=train) for p in spec.policies}


def _evaluate(spec: ReplaySpec, scenario: Any) -> Any:
    labels = policy_labels(spec.policies)
    policies = {labels[k]: v for k, v in resolve_policies(spec, scenario).items()}
    return evaluate(policies, scenario, spec.seeds, engine=spec.engine, keep_records=True)


def replay(
    spec: ReplaySpec,
    *,
    root: str | Path = "runs",
    run_dir: str | Path | None = None,
    progress: Progress | None = None,
) -> ReplayResult:
    """Evaluate ``spec``'s policies on common paths and write the replay run folder (module docstring)."""
    say = progress or (lambda _msg: None)
    runs.check_new_run(root, run_dir)  # before the evaluation, not after it
    scenario = load(spec.scenario, list(spec.scenario_overrides))
    say(f"evaluating {len(spec.policies)} policies x {spec.seeds} seeds on {scenario.name} ({spec.engine})")
    evaluation = _evaluate(spec, scenario)
    summary = _frame(evaluation.summary)
    specs = {label: spec_ for spec_, label in policy_labels(spec.policies).items()}
    summary["spec"] = [specs.get(str(p), str(p)) for p in summary["policy"]]
    per_seed = _frame(evaluation.rows)
    names = [str(p) for p in summary["policy"]] if "policy" in summary.columns else list(spec.policies)

    say("per-period series and phases")
    records = {p: stacked_records(evaluation.records, p) for p in names}
    series = {p: period_series(r) for p, r in records.items()}
    phases = scenario_phases(scenario)
    phase_rows = []
    if phases is not None:
        for p, r in records.items():
            k = phase_kpis(r, phases)
            phase_rows.append(k.assign(policy=p)[["policy", *k.columns]])
    phase_table = pd.concat(phase_rows, ignore_index=True) if phase_rows else pd.DataFrame()

    say("figures")
    world_rp, world_ro = int(scenario.review_period), int(getattr(scenario, "review_offset", 0))
    title = scenario.name
    pngs: dict[str, bytes] = {
        "inventory": figs.png_bytes(figs.inventory_figure(series, phases, f"{title}: inventory")),
        "orders": figs.png_bytes(figs.orders_figure(series, phases, world_rp, world_ro, f"{title}: orders")),
        "cumulative_profit": figs.png_bytes(
            figs.profit_figure(series, phases, f"{title}: cumulative profit")
        ),
    }
    first = records[names[0]]
    first_seed = first["seed"].iloc[0]
    one_seed = first[first["seed"] == first_seed].drop(columns="seed")
    table = _band_table(scenario, int(first_seed), int(one_seed["path"].nunique()))
    idx = _figure_skus(scenario, tuple(table.skus), spec.figure_skus)
    facing = [n.name for n in scenario.nodes if n.customer_facing]
    bands = forecast_bands(table, one_seed, idx, demand_nodes=facing)
    fig = figs.forecast_figure(bands, phases, title=f"{title}: demand against the forecast P10-P90 band")
    pngs["demand_forecast"] = figs.png_bytes(fig)

    say("writing the run folder")
    path = runs.create_run(
        kind="replay",
        scenario=spec.scenario,
        agent="replay",
        seed=spec.seeds,
        config=spec,
        root=root,
        run_dir=run_dir,
    )
    io.write_frame(path / "kpis.csv", summary)
    io.write_frame(path / "per_seed.csv", per_seed)
    if not phase_table.empty:
        io.write_frame(path / "phases.csv", phase_table)
    md = _kpi_markdown(scenario.name, summary, phase_table, spec)
    io.write_text(path / "kpis.md", md)
    io.write_frame(
        path / "series.csv", pd.concat([s.assign(policy=p) for p, s in series.items()], ignore_index=True)
    )
    io.write_frame(path / "forecast_bands.csv", bands)
    for p, r in records.items():
        io.write_frame(path / "trajectories" / f"{tb.run_label(p)}.parquet", r)
    for name, png in pngs.items():
        io.write_bytes(path / "figures" / f"{name}.png", png)

    say("TensorBoard runs")
    kpi_by_policy: dict[str, dict[str, Any]] = {}
    if "policy" in summary.columns:
        kpi_by_policy = {
            str(k): {str(c): v for c, v in row.items()} for k, row in summary.set_index("policy").iterrows()
        }
    for p, s in series.items():
        tb.write_policy_run(path / "tensorboard" / tb.run_label(p), s, kpi_by_policy.get(p, {}))
    tb.write_figures(
        path / "tensorboard" / tb.FIGURES_RUN,
        {f"replay/{k}": v for k, v in pngs.items()},
        {"replay/kpis": md},
    )
    return ReplayResult(path, summary, phase_table)
