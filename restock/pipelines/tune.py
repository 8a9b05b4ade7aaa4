"""Tune: a random search over agent hyperparameters, each trial one ``restock train`` run, scheduled by
Ray Tune with ASHA early stopping (``restock tune``).

``run_tune(TuneSpec("directbackprop", "steady", "examples/tune.toml", trials=4))`` reads the space file
(:class:`SpaceFile`; the schema is in docs/scale.md), checks every option path of its space against the
agent's typed options (every choice and both ends of every range), draws the trials' configurations from
the root seed (``seeding.generator(seed, "tune/search")``; trial i trains with root seed
``seeding.int_seed(seed, "tune/trial", i)``) and checks each of them, all before Ray starts or anything is
written. Then every trial runs as one Ray Tune trial (:func:`restock.pipelines.cluster.run_trials`):
:func:`restock.agents.training.train` into ``trials/<id>/``, which calls back after each of its
evaluations; at each ASHA milestone of the trial's budget (and at its end) the trial's best checkpoint so
far is evaluated with :func:`restock.pipelines.evaluation.run_evaluation` on the tune seeds
``eval_seed(seeding.TUNE_EVAL_INDEX + k)`` (apart from training, selection and ``restock evaluate``'s seeds)
and its mean profit is reported; ASHA stops the trials that fall behind. The best finished trial (highest
last profit) is written as ``best.toml`` and evaluated once more on the evaluation seeds ``eval_seed(0 ..)``
(what ``restock evaluate`` judges on), against the newsvendor.

The tune folder (``runs/<scenario>__<agent>__tune/`` unless told):

=============================  =====================================================================
``tune.json``                  the spec, the parsed space, every trial (id, seed, config, status:
                               finished | stopped (by ASHA) | error, the metric at every report), the
                               best trial and its final evaluation
``trials.csv``                 one row per trial: id, status, seed, the sampled values, last profit
``best.toml``                  the best trial as a training config (``restock train --config``)
``final.csv``                  the final evaluation of the best trial (per policy: profit, saving and CI)
``trials/<id>/``               each trial's training run folder (``run.json``, checkpoints, TensorBoard)
=============================  =====================================================================
"""

from __future__ import annotations

import math
import shutil
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from restock import io, runs, seeding
from restock.agents import training
from restock.errors import InputError
from restock.pipelines.cluster import (
    AshaSpec,
    ClusterSpec,
    Report,
    TrialOutcome,
    ray_session,
    run_trials,
)
from restock.pipelines.evaluation import EvaluationSpec, run_evaluation
from restock.scenarios.library import read_toml
from restock.scenarios.parsing import Where, parse_section, parser

TUNE_FILE = "tune.json"
TRIALS = "trials"
METRIC = "profit"
"""The reported metric: the trial policy's mean profit over the tune seeds."""
BUDGET = "budget"
"""The reported budget spent, in percent of the trial's training steps."""
DISTRIBUTIONS = ("loguniform", "uniform", "randint", "choice")
AGENTS = ("directbackprop", "ppo")
TIMESTEPS = "train.timesteps"
"""The one ``train.`` option path a space may hold; every other one is ``agent.<option>``."""


@dataclass(frozen=True)
class Distribution:
    """One entry of the space: ``{loguniform = [a, b]}`` (``0 < a < b``), ``{uniform = [a, b]}``
    (``a < b``), ``{randint = [a, b]}`` (integers ``a <= x < b``) or ``{choice = [v, ...]}``."""

    kind: Literal["loguniform", "uniform", "randint", "choice"]
    values: tuple[Any, ...]

    def probes(self) -> tuple[Any, ...]:
        """The values checked before the search starts: every choice, both ends of a range."""
        if self.kind == "choice":
            return self.values
        if self.kind == "randint":
            return (self.values[0], self.values[1] - 1)
        return (float(self.values[0]), float(self.values[1]))

    def draw(self, rng: Any) -> Any:
        """One value drawn with the numpy generator ``rng``."""
        a, b = self.values[0], self.values[-1]
        if self.kind == "loguniform":
            return float(math.exp(rng.uniform(math.log(a), math.log(b))))
        if self.kind == "uniform":
            return float(rng.uniform(a, b))
        if self.kind == "randint":
            return int(rng.integers(a, b))
        return self.values[int(rng.integers(len(self.values)))]


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _distribution(raw: Any, where: Where) -> Distribution:
    if not (isinstance(raw, dict) and len(raw) == 1 and next(iter(raw)) in DISTRIBUTIONS):
        raise where.error(raw, f"must be a table of one distribution: {', '.join(DISTRIBUTIONS)}")
    kind, values = next(iter(raw.items()))
    w = where.child(kind)
    if not isinstance(values, list) or not values:
        raise w.error(values, "must be a non-empty array")
    if kind == "choice":
        if any(isinstance(v, float) and not math.isfinite(v) for v in values):
            raise w.error(values, "must hold finite values")
        return Distribution(kind, tuple(values))
    if len(values) != 2 or not all(_finite(v) for v in values):
        raise w.error(values, "must be [low, high], two finite numbers")
    low, high = values
    if not low < high:
        raise w.error(values, "must have low < high")
    if kind == "loguniform" and low <= 0:
        raise w.error(values, "must have low > 0 (a log scale)")
    if kind == "randint" and not all(isinstance(v, int) for v in values):
        raise w.error(values, "must be two integers (low inclusive, high exclusive)")
    return Distribution(kind, (low, high))


def _is_distribution(raw: Any) -> bool:
    return isinstance(raw, dict) and len(raw) == 1 and next(iter(raw)) in DISTRIBUTIONS


def _space(raw: Any, where: Where) -> tuple[tuple[str, Distribution], ...]:
    """``[space]``: option paths (dotted keys, quoted or nested tables) -> distributions."""
    if not isinstance(raw, dict):
        raise where.error(raw, "must be a table of option.path = {distribution = [...]}")
    out: list[tuple[str, Distribution]] = []

    def walk(table: dict[str, Any], prefix: str) -> None:
        for key, value in table.items():
            path = f"{prefix}{key}"
            if (
                isinstance(value, dict)
                and not _is_distribution(value)
                and not set(value) & set(DISTRIBUTIONS)
            ):
                walk(value, f"{path}.")
                continue
            w = Where(where.source, f"{where.key}.{path}", where.what)
            if path != TIMESTEPS and not path.startswith(training.AGENT_PREFIX):
                raise w.refuse(f"an option path is agent.<option> or {TIMESTEPS}, got {path!r}")
            out.append((path, _distribution(value, w)))

    walk(raw, "")
    return tuple(out)


@dataclass(frozen=True)
class SpaceFile:
    """A space file (``SPACE.toml``), as read: field by field, the schema docs/scale.md documents."""

    space: tuple[tuple[str, Distribution], ...] = field(default=(), metadata=parser(_space))
    """``[space]``: option path (``agent.<option>``, ``agent.observation.<field>``, ``train.timesteps``)
    -> distribution; every trial draws one value of each."""
    timesteps: int | None = None
    """Training budget of every trial (``restock train --timesteps``) unless the space draws it;
    ``--timesteps`` replaces it."""
    set: tuple[str, ...] = ()
    """``--set`` items of every trial (scenario overrides and ``agent.KEY=VALUE`` options), before the
    command line's own ``--set`` items."""
    grace: int = 25
    """ASHA's first milestone, in percent of a trial's budget (1-99)."""
    reduction_factor: float = 2.0
    """ASHA's milestone spacing (milestones ``grace x reduction_factor**k`` below 100), and 1 / the share
    of trials that go on at each; > 1."""
    eval_seeds: int = 4
    """Tune seeds of each report (``eval_seed(TUNE_EVAL_INDEX + k)``, k < eval_seeds)."""
    final_seeds: int = 10
    """Evaluation seeds (``eval_seed(0 .. final_seeds - 1)``) of the best trial's final evaluation."""
    paths: int | None = None
    """Paths per seed of the evaluations (absent: the scenario's ``seeds.n_paths``)."""
    engine: Literal["des", "batch"] = "des"
    """Engine of the evaluations (``batch``: one node only, much faster)."""


def read_space(path: str | Path) -> SpaceFile:
    """Read and check a space file; errors name the file and the key."""
    path = Path(path)
    where = Where(str(path), what="space file")
    space = parse_section(SpaceFile, read_toml(path, "space file"), where)
    if not space.space:
        raise where.child("space").error({}, "must name at least one option path: the space is empty")
    paths = [p for p, _ in space.space]
    dup = sorted({p for p in paths if paths.count(p) > 1})
    if dup:
        raise where.child("space").error(paths, f"names {dup[0]!r} twice")
    for key, value in (("eval_seeds", space.eval_seeds), ("final_seeds", space.final_seeds)):
        if value < 1:
            raise where.child(key).error(value, "must be >= 1")
    if (
        space.final_seeds > seeding.TUNE_EVAL_INDEX
    ):  # the final seeds eval_seed(0..) stay below the tune seeds
        raise where.child("final_seeds").error(
            space.final_seeds, f"must be at most {seeding.TUNE_EVAL_INDEX}"
        )
    most = seeding.MAX_EVAL_INDEX - seeding.TUNE_EVAL_INDEX + 1
    if space.eval_seeds > most:
        raise where.child("eval_seeds").error(space.eval_seeds, f"must be at most {most}")
    if space.paths is not None and space.paths < 1:
        raise where.child("paths").error(space.paths, "must be >= 1")
    if space.timesteps is not None and space.timesteps < 1:
        raise where.child("timesteps").error(space.timesteps, "must be >= 1")
    if not 1 <= space.grace <= 99:
        raise where.child("grace").error(space.grace, "must be a percent of the budget in [1, 99]")
    if not space.reduction_factor > 1:
        raise where.child("reduction_factor").error(space.reduction_factor, "must be > 1")
    return space


@dataclass(frozen=True)
class TuneSpec:
    """What ``restock tune`` runs."""

    agent: str
    """``directbackprop`` or ``ppo``."""
    scenario: str
    """A built-in scenario name or a scenario TOML file."""
    space_file: str
    """The space file (SPACE.toml)."""
    trials: int = 8
    """Trials (configurations drawn from the space)."""
    seed: int = 0
    """Root seed: of the search and, spawned, of every trial's training."""
    timesteps: int | None = None
    """Training budget of every trial (None: the space file's ``timesteps``)."""
    sets: tuple[str, ...] = ()
    """``--set`` items of every trial, after the space file's ``set``."""
    device: str = "cpu"
    """Torch device of the trials: ``cpu``, or ``cuda`` (each trial asks Ray for one GPU of its own)."""
    out: str | None = None
    """The tune folder (None: ``runs/<scenario>__<agent>__tune``)."""
    cluster: ClusterSpec = field(default_factory=ClusterSpec)
    """Where the trials run: an embedded local Ray (``workers``) or a cluster (``address``)."""

    def __post_init__(self) -> None:
        if self.agent not in AGENTS:
            raise InputError(f"--agent {self.agent!r}: restock tune tunes one of {', '.join(AGENTS)}")
        if self.trials < 1:
            raise InputError(f"--trials {self.trials!r}: must be >= 1")
        if self.timesteps is not None and self.timesteps < 1:
            raise InputError(f"--timesteps {self.timesteps!r}: must be >= 1")
        if isinstance(self.seed, bool) or not 0 <= self.seed < training.MAX_SEED:
            raise InputError(f"--seed {self.seed!r}: must be an integer in [0, 2**32)")
        if self.device not in ("cpu", "cuda"):
            raise InputError(
                f"--device {self.device!r}: a trial runs on cpu or on cuda (one GPU that Ray gives it)"
            )

    def folder(self) -> Path:
        default = Path("runs") / f"{runs.slug(Path(self.scenario).stem)}__{self.agent}__tune"
        return Path(self.out) if self.out is not None else default


@dataclass(frozen=True)
class Trial:
    """One configuration of the search."""

    id: str
    """``t<index>``: the trial's folder under ``trials/``."""
    values: dict[str, Any]
    """The drawn value of each option path of the space."""
    spec: training.TrainSpec
    """The training run (its seed: ``int_seed(root seed, "tune/trial", index)``)."""


def _apply(base: training.TrainSpec, values: dict[str, Any]) -> training.TrainSpec:
    """``base`` with the option paths of ``values`` set."""
    options = dict(base.options)
    timesteps = base.timesteps
    for path, value in values.items():
        if path == TIMESTEPS:
            timesteps = value
        else:
            options[path.removeprefix(training.AGENT_PREFIX)] = value
    return replace(base, options=options, timesteps=timesteps)


def plan(spec: TuneSpec, space: SpaceFile) -> list[Trial]:
    """Every trial of the search, checked (module docstring); bad input is an InputError naming the space
    file and the option path, or the trial and its configuration."""
    source = f"space file {spec.space_file}"
    scenario = spec.scenario
    if Path(scenario).suffix == ".toml" and Path(scenario).is_file():
        scenario = str(Path(scenario).absolute())  # a trial's process may run elsewhere
    overrides, options = training.split_sets([*space.set, *spec.sets])
    timesteps = spec.timesteps if spec.timesteps is not None else space.timesteps
    draws_budget = any(p == TIMESTEPS for p, _ in space.space)
    if timesteps is None and not draws_budget:
        raise InputError(f"{source}: no training budget: give --timesteps, timesteps = N or {TIMESTEPS}")
    first = {p: d.probes()[0] for p, d in space.space}
    base = training.TrainSpec(
        agent=spec.agent,
        scenario=scenario,
        timesteps=int(timesteps or first.get(TIMESTEPS, 1)),
        seed=spec.seed,
        scenario_overrides=overrides,
        options=options,
        device=spec.device,
    )
    try:
        training.check(base)
    except InputError as exc:
        raise InputError(f"{source}: the trials' scenario: {exc}") from None
    checked: dict[str, Any] = {}  # each value with the first values of the paths already checked only,
    for path, dist in space.space:  # so that an error names the path at fault
        for value in dist.probes():
            try:
                probe = _apply(base, {**checked, path: value})
                training.parse_options(probe)
            except InputError as exc:
                raise InputError(f"{source}: key 'space.{path}' value {value!r}: {exc}") from None
        checked[path] = first[path]
    rng = seeding.generator(spec.seed, "tune/search")
    trials = []
    for i in range(spec.trials):
        values = {p: d.draw(rng) for p, d in space.space}
        trial_id = f"t{i:03d}"
        try:
            train_spec = replace(_apply(base, values), seed=seeding.int_seed(spec.seed, "tune/trial", i))
            training.parse_options(train_spec)
        except InputError as exc:
            raise InputError(f"{source}: trial {trial_id} ({values}): {exc}") from None
        trials.append(Trial(trial_id, values, train_spec))
    return trials


@dataclass(frozen=True)
class Scoring:
    """How a trial's reports are scored: its policy on the tune seeds."""

    eval_seeds: int
    paths: int | None
    engine: str
    report_at: tuple[int, ...]
    """Budgets (percent) to report at: the ASHA milestones and 100."""


@dataclass(frozen=True)
class TrialTask:
    """A trial and where to write it (what one Tune trial receives)."""

    trial: Trial
    folder: str
    scoring: Scoring


def score(spec: training.TrainSpec, run_dir: str | Path, scoring: Scoring) -> dict[str, float]:
    """The held-out profit of the training run ``run_dir``'s best checkpoint: its mean profit on the tune
    seeds (``eval_seed(TUNE_EVAL_INDEX + k)``), and the saving against the newsvendor on the same paths."""
    policy = str(Path(run_dir).absolute())
    evaluation = run_evaluation(
        EvaluationSpec(
            spec.scenario,
            (policy,),
            seeds=scoring.eval_seeds,
            engine=scoring.engine,
            scenario_overrides=spec.scenario_overrides,
            n_paths=scoring.paths,
            first_seed=seeding.TUNE_EVAL_INDEX,
        )
    )
    row = evaluation.summary.set_index("policy").loc[policy]
    return {METRIC: float(row["profit"]), "saving_vs_newsvendor": float(row["saving_vs_newsvendor"])}


def run_trial(task: TrialTask, report: Report) -> None:
    """Train one trial into its folder, reporting its score at each budget of ``task.scoring.report_at``
    (at the first evaluation at or past it). Runs in a Tune trial's process."""
    folder = Path(task.folder)
    if folder.exists():
        shutil.rmtree(folder)
    points = list(task.scoring.report_at)

    def on_evaluation(step: int, total: int) -> None:
        budget = 100 if step >= total else 100 * step // total
        if not points or budget < points[0]:
            return
        while points and points[0] <= budget:
            points.pop(0)
        report({**score(task.trial.spec, folder, task.scoring), BUDGET: budget, "step": step})

    spec = task.trial.spec
    training.train(
        spec,
        config=training.parse_options(spec),
        run_dir=folder,
        progress=False,
        on_evaluation=on_evaluation,
    )


@dataclass(frozen=True)
class TuneResult:
    """Where the search was written and what it found."""

    folder: Path
    trials: pd.DataFrame
    """``trials.csv``."""
    best: str
    """The best trial's id."""
    final: pd.DataFrame
    """``final.csv``: the best trial's final evaluation (per policy)."""


def check(spec: TuneSpec) -> tuple[SpaceFile, list[Trial]]:
    """Read the space and plan the trials (every one checked) without starting anything."""
    space = read_space(spec.space_file)
    return space, plan(spec, space)


def run_tune(spec: TuneSpec) -> TuneResult:
    """Check the search, run its trials on Ray Tune with ASHA, write the tune folder (module docstring).

    Bad input (the space, a trial's configuration, an unreachable ``--address``, a folder that exists
    and is not empty) is an InputError raised before the tune folder is created."""
    space, trials = check(spec)
    folder = spec.folder()
    io.check_folder(folder, "--out")
    if folder.exists() and any(folder.iterdir()):
        raise InputError(f"tune folder {folder} exists and is not empty; choose another --out")
    asha = AshaSpec(METRIC, BUDGET, space.grace, space.reduction_factor)
    scoring = Scoring(space.eval_seeds, space.paths, space.engine, (*asha.milestones(), 100))
    tasks = [TrialTask(t, str((folder / TRIALS / t.id).absolute()), scoring) for t in trials]
    with ray_session(spec.cluster) as ray:
        (folder / TRIALS).mkdir(parents=True, exist_ok=True)
        storage = Path(tempfile.mkdtemp(prefix="restock-tune-"))
        try:
            gpus = 1.0 if spec.device == "cuda" else 0.0
            outcomes = run_trials(ray, run_trial, tasks, asha, storage, gpus=gpus)
        finally:
            shutil.rmtree(storage, ignore_errors=True)
    records = [_record(t, task, o) for t, task, o in zip(trials, tasks, outcomes, strict=True)]
    done = [r for r in records if r.status == "finished" and r.history]
    summary = {
        "spec": runs.plain(spec),
        "space": [{"path": p, d.kind: list(d.values)} for p, d in space.space],
        "settings": runs.plain(replace(space, space=())),
        "asha": {**runs.plain(asha), "milestones": list(asha.milestones())},
        "tune_seeds": [seeding.eval_seed(seeding.TUNE_EVAL_INDEX + k) for k in range(space.eval_seeds)],
        "trials": [r.to_dict() for r in records],
    }
    table = pd.DataFrame([r.row() for r in records])
    io.write_frame(folder / "trials.csv", table)
    if not done:
        io.write_json(folder / TUNE_FILE, {**summary, "best": None})
        errors = [f"{r.trial.id}: {r.error}" for r in records if r.error]
        raise InputError(
            f"tune folder {folder}: no trial finished its budget" + (f" ({errors[0]})" if errors else "")
        )
    best = max(done, key=lambda r: r.last(METRIC))
    best_trial = best.trial
    final = run_evaluation(
        EvaluationSpec(
            best_trial.spec.scenario,
            (str((folder / TRIALS / best_trial.id).absolute()),),
            seeds=space.final_seeds,
            engine=space.engine,
            scenario_overrides=best_trial.spec.scenario_overrides,
            n_paths=space.paths,
        )
    ).summary
    final["policy"] = [
        p if p == "newsvendor" else f"{TRIALS}/{best_trial.id}" for p in final["policy"].astype(str)
    ]
    io.write_frame(folder / "final.csv", final)
    comment = (
        f"restock tune: trial {best_trial.id} of {len(trials)} (space {spec.space_file}, seed {spec.seed}), "
        f"held-out profit {best.last(METRIC):.6g} on {space.eval_seeds} tune seeds"
    )
    io.write_text(folder / "best.toml", training.config_toml(best_trial.spec, comment))
    summary["best"] = {
        "trial": best_trial.id,
        "values": best_trial.values,
        METRIC: best.last(METRIC),
        "final": final.to_dict(orient="records"),
    }
    io.write_json(folder / TUNE_FILE, summary)
    return TuneResult(folder, table, best_trial.id, final)


@dataclass(frozen=True)
class TrialRecord:
    """A trial as it ended: its reports (budget, step, profit, saving) and status."""

    trial: Trial
    history: list[dict[str, Any]]
    status: Literal["finished", "stopped", "error"]
    """finished (its whole budget), stopped (by ASHA), error (the trial raised)."""
    error: str | None

    def last(self, key: str) -> Any:
        return self.history[-1][key] if self.history else math.nan

    def to_dict(self) -> dict[str, Any]:
        """The trial's entry in ``tune.json``."""
        return {
            "id": self.trial.id,
            "folder": f"{TRIALS}/{self.trial.id}",
            "status": self.status,
            "seed": self.trial.spec.seed,
            "values": self.trial.values,
            "spec": runs.plain(self.trial.spec),
            "history": self.history,
            "error": self.error,
        }

    def row(self) -> dict[str, Any]:
        """The trial's row of ``trials.csv``."""
        return {
            "trial": self.trial.id,
            "status": self.status,
            "seed": self.trial.spec.seed,
            **{p: _cell(v) for p, v in self.trial.values.items()},
            BUDGET: self.last(BUDGET) if self.history else 0,
            METRIC: self.last(METRIC),
            "reports": len(self.history),
        }


def _record(trial: Trial, task: TrialTask, outcome: TrialOutcome) -> TrialRecord:
    keys = (BUDGET, "step", METRIC, "saving_vs_newsvendor")
    history = [{k: row[k] for k in keys if k in row} for row in outcome.history]
    finished = (Path(task.folder) / "kpis.csv").is_file()
    status: Literal["finished", "stopped", "error"] = (
        "error" if outcome.error else ("finished" if finished else "stopped")
    )
    return TrialRecord(trial, history, status, outcome.error)


def _cell(value: Any) -> Any:
    """A drawn value as one CSV cell (a list as its TOML text)."""
    return str(list(value)) if isinstance(value, list | tuple) else value
