"""Evaluation: policies side by side on the same paths, savings against the newsvendor (``restock evaluate``).

``run_evaluation(EvaluationSpec("steady", ("newsvendor", "base-stock"), seeds=10))`` loads the scenario,
resolves every policy spec (:func:`restock.agents.specs.resolve_policy`; tuned baselines are tuned on the
training root seeds from ``train_seed``, on the scenario with ``train_overrides`` added, if any) and calls
:func:`restock.agents.evaluate.evaluate` on the evaluation root seeds
``eval_seed(first_seed + 0 .. seeds - 1)``
(``EVAL_SEED_OFFSET + k``). Nothing is written to disk; :func:`write_evaluation_run` writes an evaluation
as a run folder (``restock evaluate --out DIR``, and every cell of a sweep):

=============================  =====================================================================
``run.json``                   ``kind = "evaluate"``, the resolved :class:`EvaluationSpec`, versions
``per_seed.csv``               one row per (policy, seed): every KPI, the paired samples behind the CIs
``tensorboard/<p>/``           one TensorBoard run per policy, the tags of a replay
                               (:mod:`restock.reporting.tensorboard`)
``kpis.md``                    the summary as a markdown table
``kpis.csv``                   the summary: per policy, profit, saving vs newsvendor and its 95% CI, ...;
                               written last: a folder holding it is a finished evaluation
=============================  =====================================================================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from restock import io, runs, seeding
from restock.errors import InputError
from restock.pipelines.inputs import check_engine, check_paths
from restock.reporting import tensorboard as tb
from restock.reporting.markdown import markdown_table
from restock.reporting.series import period_series, stacked_records

if TYPE_CHECKING:
    from restock.agents.evaluate import Episode, Evaluation

KPIS_FILE = "kpis.csv"
"""The summary of an evaluation run folder, written last (:func:`is_finished`)."""
PER_SEED_FILE = "per_seed.csv"
"""The per-(policy, seed) KPIs of an evaluation run folder."""


@dataclass(frozen=True)
class EvaluationSpec:
    """What to evaluate (checked on construction; errors name the command-line flag)."""

    scenario: str
    """A built-in scenario name or a scenario TOML file."""
    policies: tuple[str, ...]
    """Policy specs (:mod:`restock.agents.specs`), distinct; the newsvendor is the reference of savings."""
    seeds: int = 10
    """Evaluation seeds (episodes), >= 1."""
    engine: str = "des"
    """``des`` (the SimPy reference) or ``batch`` (one node)."""
    scenario_overrides: tuple[str, ...] = ()
    """``dotted.key=value`` overrides of the scenario (``--set``)."""
    train_seed: int = 0
    """First training root seed of the tuned baselines."""
    n_paths: int | None = None
    """Paths per seed (None: the scenario's ``seeds.n_paths``)."""
    train_overrides: tuple[str, ...] = ()
    """Extra overrides (after ``scenario_overrides``) of the scenario the tuned baselines are tuned on
    (``--train-set``); empty: they are tuned on the evaluated scenario itself."""
    first_seed: int = 0
    """Index of the first evaluation seed: the root seeds are ``eval_seed(first_seed + k)``,
    k < ``seeds`` (a sweep cell evaluates a slice of the seeds an evaluation of them all would)."""

    def __post_init__(self) -> None:
        check_engine(self.engine)
        if self.seeds < 1:
            raise InputError(f"--seeds {self.seeds!r}: must be >= 1")
        if self.first_seed < 0 or self.first_seed + self.seeds > seeding.MAX_EVAL_INDEX + 1:
            raise InputError(
                f"first seed {self.first_seed!r} with {self.seeds} seeds: the seed indices must lie in "
                f"[0, {seeding.MAX_EVAL_INDEX}]"
            )
        check_paths(self.n_paths)
        dup = sorted({p for p in self.policies if self.policies.count(p) > 1})
        if dup:
            raise InputError(f"--policies: policy {dup[0]!r} is named twice")


def root_seeds(spec: EvaluationSpec) -> list[int]:
    """The evaluation root seeds of ``spec``: ``eval_seed(first_seed + k)`` for k < ``seeds``."""
    return [seeding.eval_seed(spec.first_seed + k) for k in range(spec.seeds)]


def run_evaluation(
    spec: EvaluationSpec,
    *,
    keep_records: bool = False,
    on_episode: Callable[[Episode], None] | None = None,
) -> Evaluation:
    """Load the scenario, resolve the policies, evaluate: the :class:`~restock.agents.evaluate.Evaluation`
    (``keep_records``: with every rollout's per-period records, which :func:`write_evaluation_run` needs;
    ``on_episode``: called with each evaluation episode, :func:`restock.agents.evaluate.evaluate`).

    ``rows["seed_index"]`` is the index of the seed among all evaluation seeds (``first_seed + k``)."""
    from restock.agents.evaluate import evaluate
    from restock.agents.specs import resolve_policy
    from restock.scenarios import load

    scenario = load(spec.scenario, list(spec.scenario_overrides))
    train = (
        load(spec.scenario, [*spec.scenario_overrides, *spec.train_overrides])
        if spec.train_overrides
        else None
    )
    named = {
        name: resolve_policy(name, scenario, seed=spec.train_seed, train_scenario=train)
        for name in spec.policies
    }
    out = evaluate(
        named,
        scenario,
        root_seeds(spec),
        engine=spec.engine,
        n_paths=spec.n_paths,
        keep_records=keep_records,
        on_episode=on_episode,
    )
    out.rows["seed_index"] = out.rows["seed_index"] + spec.first_seed
    return out


def is_finished(run_dir: str | Path) -> bool:
    """Whether ``run_dir`` holds a finished evaluation (its ``kpis.csv``, written last and atomically)."""
    return (Path(run_dir) / KPIS_FILE).is_file()


def read_per_seed(run_dir: str | Path) -> pd.DataFrame:
    """The per-(policy, seed) KPIs of a finished evaluation run folder, floats exactly as computed."""
    return pd.read_csv(Path(run_dir) / PER_SEED_FILE, float_precision="round_trip")


def write_evaluation_run(run_dir: str | Path, spec: EvaluationSpec, evaluation: Evaluation) -> Path:
    """Write ``evaluation`` (of ``spec``, with its records) as the run folder ``run_dir`` (module docstring).

    ``kpis.csv`` comes last, so that a folder without it is an unfinished evaluation."""
    if not evaluation.records:
        raise ValueError("write_evaluation_run: the evaluation kept no records (keep_records=True)")
    path = runs.create_run(
        kind="evaluate",
        scenario=spec.scenario,
        agent="evaluate",
        seed=spec.first_seed,
        config=spec,
        run_dir=run_dir,
    )
    io.write_frame(path / PER_SEED_FILE, evaluation.rows)
    summary = evaluation.to_dict()["summary"]
    by_policy = {str(row["policy"]): row for row in summary}
    for policy in by_policy:
        series = period_series(stacked_records(evaluation.records, policy))
        tb.write_policy_run(path / "tensorboard" / tb.run_label(policy), series, by_policy[policy])
    io.write_text(path / "kpis.md", markdown_table(evaluation.summary) + "\n")
    io.write_frame(path / KPIS_FILE, evaluation.summary)
    return path
