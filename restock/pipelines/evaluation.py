"""Evaluation: policies side by side on the same paths, savings against the newsvendor (``restock evaluate``).

``run_evaluation(EvaluationSpec("steady", ("newsvendor", "base-stock"), seeds=10))`` loads the scenario,
resolves every policy spec (:func:`restock.agents.specs.resolve_policy`; tuned baselines are tuned on the
training root seeds from ``train_seed``, on the scenario with ``train_overrides`` added, if any) and calls
:func:`restock.agents.evaluate.evaluate` on the evaluation root seeds ``EVAL_SEED_OFFSET + 0 .. seeds - 1``.
Nothing is written to disk.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from restock.errors import InputError
from restock.pipelines.inputs import check_paths

if TYPE_CHECKING:
    from restock.agents.evaluate import Evaluation

ENGINES: tuple[str, ...] = ("des", "batch")
"""The engines an evaluation can run on."""


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

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise InputError(f"--engine {self.engine!r}: expected des or batch")
        if self.seeds < 1:
            raise InputError(f"--seeds {self.seeds!r}: must be >= 1")
        check_paths(self.n_paths)
        dup = sorted({p for p in self.policies if self.policies.count(p) > 1})
        if dup:
            raise InputError(f"--policies: policy {dup[0]!r} is named twice")


def run_evaluation(spec: EvaluationSpec) -> Evaluation:
    """Load the scenario, resolve the policies, evaluate: the :class:`~restock.agents.evaluate.Evaluation`."""
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
    return evaluate(named, scenario, spec.seeds, engine=spec.engine, n_paths=spec.n_paths)
