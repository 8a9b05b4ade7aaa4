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

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from restock import io, runs, seeding
from restock.errors import InputError
from restock.pipelines.inputs import check_compile, check_engine, check_paths
from restock.reporting import tensorboard as tb
from restock.reporting.markdown import markdown_table
from restock.reporting.series import period_series, stacked_records

if TYPE_CHECKING:
    from restock.agents.evaluate import Episode, Evaluation
    from restock.pipelines.cluster import ClusterSpec
    from restock.simulator.kpis import RunSums

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
    shard_skus: int | None = None
    """Evaluate the catalog in shards of this many SKUs (``--shard-skus``): each shard is the scenario with
    ``catalog.shard`` set, its policies resolved (tuned) and evaluated on it without records, and the
    shards' sums merged (:func:`run_sharded`); None: the whole catalog at once, with records."""
    compile: str = "off"
    """The batch engine's ``compile`` setting for the evaluation rollouts (``--compile``; as
    :attr:`restock.pipelines.simulation.SimulationSpec.compile`; tuning runs eager)."""

    def __post_init__(self) -> None:
        check_engine(self.engine)
        check_compile(self.compile, self.engine)
        if self.seeds < 1:
            raise InputError(f"--seeds {self.seeds!r}: must be >= 1")
        if self.first_seed < 0 or self.first_seed + self.seeds > seeding.MAX_EVAL_INDEX + 1:
            raise InputError(
                f"first seed {self.first_seed!r} with {self.seeds} seeds: the seed indices must lie in "
                f"[0, {seeding.MAX_EVAL_INDEX}]"
            )
        check_paths(self.n_paths)
        if self.shard_skus is not None and self.shard_skus < 1:
            raise InputError(f"--shard-skus {self.shard_skus!r}: must be >= 1")
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
    cluster: ClusterSpec | None = None,
) -> Evaluation:
    """Load the scenario, resolve the policies, evaluate: the :class:`~restock.agents.evaluate.Evaluation`
    (``keep_records``: with every rollout's per-period records, which :func:`write_evaluation_run` needs;
    ``on_episode``: called with each evaluation episode, :func:`restock.agents.evaluate.evaluate`).
    With ``spec.shard_skus``: :func:`run_sharded` (no records; ``cluster``: where the shards run).

    ``rows["seed_index"]`` is the index of the seed among all evaluation seeds (``first_seed + k``)."""
    from restock.agents.evaluate import evaluate

    if spec.shard_skus is not None:
        if on_episode is not None:
            raise InputError("an evaluation in shards calls no on_episode (each shard draws its own)")
        return run_sharded(spec, cluster)
    _check_memory(spec, keep_records)
    scenario, named = _resolved(spec)
    out = evaluate(
        named,
        scenario,
        root_seeds(spec),
        engine=spec.engine,
        n_paths=spec.n_paths,
        keep_records=keep_records,
        on_episode=on_episode,
        compile=spec.compile,
    )
    out.rows["seed_index"] = out.rows["seed_index"] + spec.first_seed
    return out


def _check_memory(spec: EvaluationSpec, keep_records: bool) -> None:
    """An InputError before anything is tuned or drawn when the whole catalog's rollouts (with every
    period's record, which the KPIs of an evaluation in one piece come from) would not fit in memory;
    shards (``--shard-skus``) keep no records."""
    from restock.pipelines.simulation import check_memory
    from restock.scenarios import load

    sc = load(spec.scenario, list(spec.scenario_overrides))
    n_paths = spec.n_paths or sc.seeds.n_paths
    from restock.agents.evaluate import REFERENCE

    kept = len({*spec.policies, REFERENCE}) * spec.seeds - 1 if keep_records else 0
    helps = ["shards of the catalog (--shard-skus N: KPIs from totals, no records)", "fewer paths (--paths)"]
    if keep_records:
        helps.append("no --out (records of every policy and seed kept for the run folder)")
    check_memory(sc, n_paths, True, job="evaluate", helps=helps, kept_runs=kept)


def _resolved(spec: EvaluationSpec, extra: Sequence[str] = ()) -> tuple[Any, dict[str, Any]]:
    """The scenario of ``spec`` (with ``extra`` overrides after its own) and its resolved policies."""
    from restock.agents.specs import resolve_policy
    from restock.scenarios import load

    scenario = load(spec.scenario, [*spec.scenario_overrides, *extra])
    train = (
        load(spec.scenario, [*spec.scenario_overrides, *spec.train_overrides, *extra])
        if spec.train_overrides
        else None
    )
    named = {
        name: resolve_policy(name, scenario, seed=spec.train_seed, train_scenario=train)
        for name in spec.policies
    }
    return scenario, named


@dataclass(frozen=True)
class ShardTask:
    """One shard of an evaluation in shards (what one Ray task receives)."""

    spec: EvaluationSpec
    first: int
    """The shard's SKUs are ``first .. stop - 1`` of the catalog."""
    stop: int

    @property
    def override(self) -> str:
        return f"catalog.shard=[{self.first}, {self.stop}]"


def shards(spec: EvaluationSpec) -> list[ShardTask]:
    """The shards of ``spec`` (``shard_skus`` SKUs each, the last one the rest), checked: a scenario whose
    SKUs cannot be sharded (shared limits, demand that is not stationary) is an InputError naming the key,
    raised before any shard runs."""
    from restock.scenarios import load
    from restock.scenarios.catalog import resolve_catalog

    assert spec.shard_skus is not None
    n = resolve_catalog(load(spec.scenario, list(spec.scenario_overrides))).n_skus
    tasks = [ShardTask(spec, a, min(a + spec.shard_skus, n)) for a in range(0, n, spec.shard_skus)]
    load(spec.scenario, [*spec.scenario_overrides, tasks[0].override])  # validates the shard
    return tasks


def evaluate_shard(task: ShardTask) -> dict[tuple[str, int], RunSums]:
    """One shard: its scenario (``catalog.shard``), its policies resolved on it (tuned baselines tuned on
    the shard's SKUs: the per-SKU search of the whole catalog), every policy without records on its
    episodes: the sums per (policy, root seed). Runs in a Ray worker, or here."""
    from restock.agents.evaluate import evaluate_sums, with_reference

    spec = task.spec
    scenario, named = _resolved(spec, [task.override])
    policies = with_reference(named)
    return evaluate_sums(
        policies, scenario, root_seeds(spec), engine=spec.engine, n_paths=spec.n_paths, compile=spec.compile
    )


def run_sharded(spec: EvaluationSpec, cluster: ClusterSpec | None = None) -> Evaluation:
    """``spec`` evaluated in shards of ``spec.shard_skus`` SKUs, merged exactly: each shard's flows are
    added up (:meth:`~restock.simulator.kpis.RunSums.merge`) before any KPI is computed, so the KPIs are
    the whole catalog's (a test compares them with the evaluation of the whole catalog at once).

    ``cluster`` None: the shards one after the other in this process; else each shard is a Ray task
    (:func:`restock.pipelines.cluster.run_tasks`) on the embedded Ray or cluster it names."""
    from restock.agents.evaluate import evaluation_of, merge_sums

    tasks = shards(spec)
    if cluster is None:
        parts = [evaluate_shard(t) for t in tasks]
    else:
        from restock.pipelines.cluster import ray_session, run_tasks

        with ray_session(cluster) as ray:
            parts = run_tasks(ray, evaluate_shard, tasks, name="restock-shard")
    out = evaluation_of(merge_sums(parts), root_seeds(spec))
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
    if not evaluation.records and spec.shard_skus is None:
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
        series = (  # in shards: no records, the KPIs only
            period_series(stacked_records(evaluation.records, policy))
            if evaluation.records
            else pd.DataFrame({"period": []})
        )
        tb.write_policy_run(path / "tensorboard" / tb.run_label(policy), series, by_policy[policy])
    io.write_text(path / "kpis.md", markdown_table(evaluation.summary) + "\n")
    io.write_frame(path / KPIS_FILE, evaluation.summary)
    return path
