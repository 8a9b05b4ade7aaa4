"""The value of forecast accuracy: one buying policy on each forecaster's quantiles, beside its accuracy
(``restock value-of-accuracy``).

``run_value_of_accuracy(AccuracySpec("steady", ("ets", "quantile-forest"), seeds=10))`` runs, for each
forecaster f, the evaluation ``restock evaluate --scenario steady --set forecast.model=f --policies
newsvendor-tuned`` would run (:func:`evaluation_spec`, :func:`restock.pipelines.evaluation.run_evaluation`:
the same evaluation root seeds, so the same demand paths for every forecaster: common random numbers) and
scores, on each of those episodes, the forecast table the policy reads against the demand that then
happened (:func:`score_episode`). On a synthetic scenario the ``true`` forecaster (the exact quantiles of
the demand model, :mod:`restock.scenarios.forecast`) is added first when it is not named: the same policy
on the true quantiles is the ceiling, and every forecaster's profit is compared with it, paired over the
seeds (:func:`restock.agents.stats.paired_difference`; the true forecaster against itself is exactly 0).
On a data scenario there is no true forecaster: the reference is the first forecaster named.

Accuracy is measured at the rows the policy reads: the per-bucket quantiles issued at every review of the
evaluation horizon (buckets of ``review_period`` periods, ``forecast.buckets`` of them) at every node, on
every path and seed, against the demand realized in each bucket (demand at or below the node,
:meth:`~restock.scenarios.forecast.ScenarioForecast.realized_buckets`); buckets that end after the horizon
are left out. Metrics (:mod:`restock.forecasters.metrics`), pooled over seeds: wQL per quantile and its
mean, coverage per quantile, the calibration error (mean |coverage - level|) and the forecast volatility
of the median (successive reviews are one bucket apart); and the wQL and P90 coverage of the table's
cumulative quantiles over the next 1..H buckets (an order covers lead time + review period, several
buckets: :meth:`~restock.scenarios.forecast.ScenarioForecast.cumulative_by_bucket`) against the realized
sums.

The run folder (:func:`write_accuracy_run`, ``--out DIR``):

=================================  ===========================================================================
``run.json``                       ``kind = "value-of-accuracy"``, the resolved :class:`AccuracySpec`, the
                                   forecasters evaluated and the reference
``per_seed.csv``                   one row per (forecaster, seed): profit and every KPI of the evaluation, the
                                   seed's mean wQL
``calibration.csv``                per forecaster and quantile level: wQL, coverage, coverage - level
``figures/value_of_accuracy.png``  profit gap to the reference (95% CI) and profit against mean wQL
``tensorboard/accuracy/``          scalars ``accuracy/<forecaster>/<metric>`` (:data:`TB_METRICS`)
``tensorboard/_figures/``          the figure as an image, the table as text
``kpis.md``, ``kpis.csv``          the table (:data:`SUMMARY_COLUMNS`), one row per forecaster
``report.html``                    :mod:`restock.reporting.run_report`, written last
=================================  ===========================================================================

Nothing is written before every forecaster has run, so bad input leaves no folder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from restock import io, runs
from restock.errors import InputError
from restock.pipelines.evaluation import EvaluationSpec, run_evaluation
from restock.pipelines.inputs import check_engine, check_paths

if TYPE_CHECKING:
    from restock.agents.evaluate import Episode
    from restock.scenarios.schema import Scenario

CEILING = "true"
"""The forecaster of exact quantiles (synthetic demand): the ceiling."""
POLICIES: tuple[str, ...] = ("newsvendor-tuned", "newsvendor", "myopic", "lagrangian-newsvendor")
"""Policies that read the forecast table (any other buys the same whatever the forecast says)."""
SUMMARY_COLUMNS: tuple[str, ...] = (
    "forecaster",
    "mean_wql",
    "wql_p50",
    "wql_p90",
    "coverage_p90",
    "calibration_error",
    "volatility",
    "cumulative_wql",
    "cumulative_coverage_p90",
    "profit",
    "profit_gap",
    "ci_low",
    "ci_high",
    "gap_pct",
    "fill_rate",
    "n_seeds",
)
"""Columns of ``kpis.csv``: accuracy (of the per-bucket quantiles; ``cumulative_*``: of the quantiles of
demand over the next 1..H buckets, pooled over h), then the policy's mean profit over seeds,
``profit_gap`` = mean paired difference of profit against the reference (the true forecaster on
synthetic scenarios: <= 0 in expectation) with its 95% interval ``ci_low`` .. ``ci_high``,
``gap_pct`` = that relative to |reference profit| in %, the mean fill rate and the number of seeds.
P50 / P90 columns are NaN when the table has no such level."""
TB_METRICS: tuple[str, ...] = (
    "mean_wql",
    "coverage_p90",
    "calibration_error",
    "volatility",
    "profit",
    "profit_gap",
)
"""Summary columns written as TensorBoard scalars ``accuracy/<forecaster>/<metric>`` (``mean_wql`` as
``wql``), at step 0."""
FIGURE = "value_of_accuracy"
"""The figure's file stem under ``figures/``."""


@dataclass(frozen=True)
class AccuracySpec:
    """What to compare (checked on construction; errors name the command-line flag)."""

    scenario: str
    """A built-in scenario name or a scenario TOML file."""
    forecasters: tuple[str, ...]
    """Forecaster names (``restock forecast models``, or ``true`` on synthetic demand), distinct, >= 1."""
    policy: str = "newsvendor-tuned"
    """The buying policy run on each forecaster's quantiles, one of :data:`POLICIES`."""
    seeds: int = 10
    """Evaluation seeds, >= 1 (the paired CIs need >= 2)."""
    engine: str = "des"
    """``des`` or ``batch`` (as ``restock evaluate``)."""
    scenario_overrides: tuple[str, ...] = ()
    """``--set`` overrides of the scenario, before each forecaster's ``forecast.model``."""
    train_seed: int = 0
    """First training root seed of a tuned policy (tuned per forecaster, on its own quantiles)."""
    n_paths: int | None = None
    """Paths per seed (None: the scenario's ``seeds.n_paths``)."""

    def __post_init__(self) -> None:
        check_engine(self.engine)
        check_paths(self.n_paths)
        if self.seeds < 1:
            raise InputError(f"--seeds {self.seeds!r}: must be >= 1")
        if self.train_seed < 0:
            raise InputError(f"--train-seed {self.train_seed!r}: must be >= 0")
        if not self.forecasters or any(not f.strip() for f in self.forecasters):
            raise InputError(f"--forecasters {','.join(self.forecasters)!r}: expected a comma-separated list")
        dup = sorted({f for f in self.forecasters if self.forecasters.count(f) > 1})
        if dup:
            raise InputError(f"--forecasters: forecaster {dup[0]!r} is named twice")
        if self.policy not in POLICIES:
            from restock.agents.specs import check_spec

            check_spec(self.policy)  # an unknown spec: the error lists the known ones
            raise InputError(
                f"--policy {self.policy!r}: it does not read the forecast table (its orders do not depend "
                f"on the forecaster); expected one of {', '.join(POLICIES)}"
            )


def check_forecasters(spec: AccuracySpec, scenario: Scenario) -> tuple[str, ...]:
    """The forecasters evaluated, reference first: ``true`` (added if not named) on synthetic demand,
    else the first named. An unknown name, or ``true`` on a data scenario, is an InputError."""
    from restock.forecasters import available

    known = available()
    for name in spec.forecasters:
        if name != CEILING and name not in known:
            raise InputError(
                f"--forecasters: unknown forecaster {name!r}; known: {CEILING}, {', '.join(known)}"
            )
    if scenario.demand.kind == "data":
        if CEILING in spec.forecasters:
            raise InputError(
                f"--forecasters {CEILING!r}: scenario {scenario.name!r} replays data (demand.kind = 'data'); "
                "the true-quantile ceiling needs synthetic demand"
            )
        return spec.forecasters
    return (CEILING, *(f for f in spec.forecasters if f != CEILING))


def evaluation_spec(spec: AccuracySpec, forecaster: str, scenario: Scenario) -> EvaluationSpec:
    """The evaluation of ``forecaster``'s row: ``restock evaluate --scenario S --set ... --set
    forecast.model="<forecaster>" --policies <policy>`` (and ``--set forecast.foresee=false`` for a
    registered forecaster on a scenario whose true forecaster foresees its shocks: only the true one can)."""
    extra = [f'forecast.model="{forecaster}"']  # quoted: a bare true is a TOML boolean
    if forecaster != CEILING and scenario.forecast.foresee:
        extra.append("forecast.foresee=false")
    return EvaluationSpec(
        spec.scenario,
        (spec.policy,),
        seeds=spec.seeds,
        engine=spec.engine,
        scenario_overrides=(*spec.scenario_overrides, *extra),
        train_seed=spec.train_seed,
        n_paths=spec.n_paths,
    )


@dataclass(frozen=True)
class Scored:
    """wQL and coverage of a set of (realized, forecast) pairs, with the weights that pool them exactly."""

    wql: np.ndarray
    """[Q] wQL per quantile."""
    volume: float
    """Sum of |realized demand| (the wQL's denominator)."""
    coverage: np.ndarray
    """[Q] share of realized values at or below each quantile."""
    n: int
    """Pairs scored."""


def score_pairs(actual: np.ndarray, pred: np.ndarray, levels: np.ndarray) -> Scored:
    """:class:`Scored` of ``actual`` [P, ...] (NaN: not realized, left out) against ``pred`` [P, ..., Q],
    one path at a time (``pred`` may be a broadcast view: [..., Q] at once, never [P, ..., Q])."""
    from restock.forecasters.metrics import coverage, pinball_loss

    pinball, volume, covered, n = np.zeros(levels.size), 0.0, np.zeros(levels.size), 0
    for path in range(actual.shape[0]):
        a = actual[path].reshape(-1)
        ok = np.isfinite(a)
        f = pred[path].reshape(-1, levels.size)[ok]
        pinball += pinball_loss(a[ok], f, levels).sum(axis=0)
        volume += float(np.abs(a[ok]).sum())
        if ok.any():
            covered += coverage(a[ok], f) * int(ok.sum())
        n += int(ok.sum())
    return Scored(2.0 * pinball / volume if volume > 0 else pinball * np.nan, volume, covered / max(n, 1), n)


def pool_scored(parts: list[Scored]) -> Scored:
    """Several :class:`Scored` as one: wQL over the summed volumes, coverage over the summed counts."""
    volume = sum(s.volume for s in parts)
    n = sum(s.n for s in parts)
    wql = np.sum([s.wql * s.volume for s in parts if s.volume > 0], axis=0) / volume
    cov = np.sum([s.coverage * s.n for s in parts], axis=0) / n
    return Scored(wql, volume, cov, n)


@dataclass(frozen=True)
class EpisodeScore:
    """Accuracy of one episode's forecast table."""

    seed: int
    bucket: Scored
    """The per-bucket quantiles against the demand of each bucket."""
    cumulative: Scored
    """The quantiles of demand over the next 1..H buckets (what an order covering several review
    periods reads) against the realized sums."""
    median: np.ndarray
    """[R, S, H] the median per-bucket forecasts (S = paths x nodes x SKUs), for the volatility."""


def score_episode(ep: Episode, scenario: Scenario) -> EpisodeScore:
    """Score the forecast table of ``ep`` against its realized demand (module docstring)."""
    from restock.forecasters.metrics import quantile_at
    from restock.scenarios.forecast import served_rate

    table = ep.forecasts
    actual = table.realized_buckets(served_rate(scenario, ep.paths.demand))  # [P, R, M, N, H]
    p, r = actual.shape[:2]
    levels = table.quantiles
    pred = np.broadcast_to(table.per_bucket, (p, r, *table.per_bucket.shape[2:]))  # [P, R, M, N, H, Q]
    bucket = score_pairs(actual, pred, levels)
    if bucket.volume == 0:
        raise InputError(
            f"scenario {scenario.name!r}: no demand in any forecast bucket of seed {ep.seed}; "
            "wQL is undefined"
        )
    cum = table.cumulative_by_bucket()
    cumulative = score_pairs(np.cumsum(actual, axis=-1), np.broadcast_to(cum, pred.shape), levels)
    if levels[0] <= 0.5 <= levels[-1]:
        median = quantile_at(pred, levels, 0.5)
    else:
        median = np.full(pred.shape[:-1], np.nan)
    median = np.moveaxis(median, 1, 0).reshape(r, -1, median.shape[-1])  # [R, P * M * N, H]
    return EpisodeScore(ep.seed, bucket, cumulative, median)


@dataclass(frozen=True)
class ForecastAccuracy:
    """A forecaster's accuracy pooled over episodes."""

    quantiles: np.ndarray
    bucket: Scored
    cumulative: Scored
    calibration_error: float
    """Of the per-bucket quantiles."""
    volatility: float
    """Of the median; NaN with one review, one bucket, or levels that do not span 0.5."""

    @property
    def mean_wql(self) -> float:
        return float(self.bucket.wql.mean())

    def at(self, values: np.ndarray, level: float) -> float:
        """``values`` [Q] at quantile ``level``; NaN when the table has no such level."""
        hit = np.flatnonzero(np.isclose(self.quantiles, level))
        return float(values[hit[0]]) if hit.size else float("nan")


def pool(scores: list[EpisodeScore], quantiles: np.ndarray) -> ForecastAccuracy:
    """Pool episodes (:func:`pool_scored`) and take the volatility of all medians together
    (:func:`restock.forecasters.metrics.forecast_volatility`)."""
    from restock.forecasters.metrics import calibration_error, forecast_volatility

    bucket = pool_scored([s.bucket for s in scores])
    cumulative = pool_scored([s.cumulative for s in scores])
    median = np.concatenate([s.median for s in scores], axis=1)
    ok = median.shape[0] >= 2 and median.shape[2] >= 2 and np.isfinite(median).any()
    vol = forecast_volatility(median, step=1) if ok else float("nan")
    return ForecastAccuracy(quantiles, bucket, cumulative, calibration_error(bucket.coverage, quantiles), vol)


@dataclass
class AccuracyResult:
    """The outcome of :func:`run_value_of_accuracy`."""

    spec: AccuracySpec
    forecasters: tuple[str, ...]
    """Evaluated, reference first."""
    reference: str
    summary: pd.DataFrame
    """One row per forecaster, :data:`SUMMARY_COLUMNS`."""
    calibration: pd.DataFrame
    """Per forecaster and level: ``forecaster, quantile, wql, coverage, calibration``."""
    per_seed: pd.DataFrame
    """Per forecaster and seed: ``forecaster``, the evaluation's row of the policy, ``mean_wql``."""
    evaluations: dict[str, EvaluationSpec] = field(default_factory=dict)
    """Each forecaster's evaluation (what ``restock evaluate`` would run by hand)."""


def run_value_of_accuracy(
    spec: AccuracySpec, progress: Callable[[str], None] | None = None
) -> AccuracyResult:
    """Each forecaster's evaluation and accuracy, compared with the reference (module docstring)."""
    from restock.agents.stats import paired_difference
    from restock.scenarios import load

    scenario = load(spec.scenario, list(spec.scenario_overrides))
    names = check_forecasters(spec, scenario)
    evals = {f: evaluation_spec(spec, f, scenario) for f in names}
    # every forecaster's scenario, valid before anything runs
    scenarios = {f: load(spec.scenario, list(evals[f].scenario_overrides)) for f in names}
    rows, cal, per_seed = [], [], []
    profits: dict[str, pd.Series] = {}
    for f in names:
        if progress is not None:
            progress(f"{f}: {spec.policy} on {spec.seeds} seeds")
        scores: list[EpisodeScore] = []
        scored = scenarios[f]

        def score(ep: Episode, sc: Scenario = scored, into: list[EpisodeScore] = scores) -> None:
            into.append(score_episode(ep, sc))

        ev = run_evaluation(evals[f], on_episode=score)
        mine = ev.rows[ev.rows["policy"] == spec.policy].drop(columns="policy")
        acc = pool(scores, np.asarray(scored.forecast.quantiles, dtype=float))
        by_seed = {s.seed: float(s.bucket.wql.mean()) for s in scores}
        per_seed.append(mine.assign(mean_wql=mine["seed"].map(by_seed)).assign(forecaster=f))
        profits[f] = mine.set_index("seed")["profit"]
        for q, w, c in zip(acc.quantiles, acc.bucket.wql, acc.bucket.coverage, strict=True):
            cal.append({"forecaster": f, "quantile": float(q), "wql": float(w), "coverage": float(c),
                        "calibration": float(c - q)})  # fmt: skip
        rows.append(
            {
                "forecaster": f,
                "mean_wql": acc.mean_wql,
                "wql_p50": acc.at(acc.bucket.wql, 0.5),
                "wql_p90": acc.at(acc.bucket.wql, 0.9),
                "coverage_p90": acc.at(acc.bucket.coverage, 0.9),
                "calibration_error": acc.calibration_error,
                "volatility": acc.volatility,
                "cumulative_wql": float(acc.cumulative.wql.mean()),
                "cumulative_coverage_p90": acc.at(acc.cumulative.coverage, 0.9),
                "profit": float(mine["profit"].mean()),
                "fill_rate": float(mine["fill_rate"].mean()),
                "n_seeds": len(mine),
            }
        )
    reference = names[0]
    ref = profits[reference]
    for row in rows:
        d = paired_difference(profits[str(row["forecaster"])].loc[ref.index].to_numpy(), ref.to_numpy())
        row.update(profit_gap=d.mean, ci_low=d.ci_low, ci_high=d.ci_high, gap_pct=100.0 * d.relative)
    summary = pd.DataFrame(rows)[list(SUMMARY_COLUMNS)]
    first = ["forecaster", "seed", "seed_index", "profit", "mean_wql"]
    seeds = pd.concat(per_seed, ignore_index=True)
    seeds = seeds[first + [c for c in seeds.columns if c not in first]]
    return AccuracyResult(spec, names, reference, summary, pd.DataFrame(cal), seeds, evals)


def tb_scalars(summary: pd.DataFrame) -> dict[str, float]:
    """``{"accuracy/<forecaster>/<metric>": value}`` for :data:`TB_METRICS` (finite values only)."""
    out = {}
    for row in summary.to_dict(orient="records"):
        for metric in TB_METRICS:
            value = float(row[metric])
            if np.isfinite(value):
                tag = "wql" if metric == "mean_wql" else metric
                out[f"accuracy/{row['forecaster']}/{tag}"] = value
    return out


def write_accuracy_run(run_dir: str | Path, result: AccuracyResult) -> Path:
    """Write ``result`` as the run folder ``run_dir`` (module docstring); ``report.html`` last."""
    from restock.reporting import tensorboard as tb
    from restock.reporting.figures import accuracy_figure, png_bytes
    from restock.reporting.markdown import markdown_table
    from restock.reporting.run_report import write_report

    spec = result.spec
    path = runs.create_run(
        kind="value-of-accuracy",
        scenario=spec.scenario,
        agent=spec.policy,
        seed=0,
        config={"spec": spec, "forecasters": list(result.forecasters), "reference": result.reference},
        run_dir=run_dir,
    )
    io.write_frame(path / "per_seed.csv", result.per_seed)
    io.write_frame(path / "calibration.csv", result.calibration)
    title = f"{spec.policy} on each forecaster's quantiles · {spec.scenario} · {spec.seeds} seeds"
    png = png_bytes(accuracy_figure(result.summary, result.reference, title))
    io.write_bytes(path / "figures" / f"{FIGURE}.png", png)
    table = markdown_table(result.summary)
    tb.write_scalars(path / "tensorboard" / "accuracy", tb_scalars(result.summary))
    tb.write_figures(
        path / "tensorboard" / tb.FIGURES_RUN, {f"accuracy/{FIGURE}": png}, {"accuracy/table": table}
    )
    io.write_text(path / "kpis.md", table + "\n")
    io.write_frame(path / "kpis.csv", result.summary)
    write_report(path)
    return path
