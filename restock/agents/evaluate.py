"""Paired evaluation: every policy on the same exogenous paths, per-seed KPIs, savings against newsvendor.

``evaluate(policies, scenario, seeds)`` draws, for each evaluation root seed, one episode of the scenario
(world, ``n_paths`` exogenous paths, forecast table: :func:`restock.envs.core.build_episode`) and runs
every policy on it with the chosen engine (common random numbers: the paths do not depend on the
orders). Seeds: an integer ``k`` means the evaluation root seeds ``seeding.eval_seed(0..k-1)``
(``EVAL_SEED_OFFSET + i``), disjoint from every training seed; an explicit sequence is used as given.

At every review the engine's state goes to each node's :class:`~restock.envs.observer.Observer` (one
per node, B = P x N points; :func:`engine_rule`, the one adapter); the policy's orders [B] per node (or
[M, B] at once from a :class:`~restock.agents.policy.NetworkPolicy`) are checked
(:func:`restock.agents.policy.checked_orders`: NaN, inf or negative orders are an InputError naming the
policy and the period) and stacked into the engine's [P, M, N].

:class:`Evaluation`
-------------------
``rows``     DataFrame, one row per (policy, seed): ``policy``, ``seed`` (the root seed), ``seed_index``,
             then every KPI of :func:`restock.simulator.kpis.kpi_table` (profit, discounted_profit, revenue,
             salvage, purchase/holding/penalty/fixed order costs, fill_rate, cycle_service_level,
             in_stock_rate, lost_units, demand/sales/disposed units, avg_on_hand, inventory_turns, ...);
             money and units per path (averaged over the episode's paths), ratios pooled.
``summary``  DataFrame, one row per policy: ``policy``, ``profit`` (mean over seeds),
             ``saving_vs_newsvendor`` (mean paired difference of profit against the reference policy),
             ``ci_low``, ``ci_high`` (its Student-t 95% interval over seeds, :mod:`restock.agents.stats`),
             ``saving_pct`` (relative to |reference profit|, in %), ``n_seeds``, and the means of
             ``revenue``, ``holding_cost``, ``penalty_cost``, ``fill_rate``, ``cycle_service_level``,
             ``in_stock_rate``, ``avg_on_hand``, ``inventory_turns``, ``lost_units``.
``records``  with ``keep_records=True``: ``{(policy, seed): per-period records}`` — the engine's
             DataFrame of :data:`restock.simulator.records.RECORD_COLUMNS` (one row per path, period,
             node, SKU), ``attrs`` holding review_period, review_offset, horizon, discount,
             demand_nodes and unit_cost on both engines; ``seed`` is the root seed as in ``rows``.
             Empty otherwise. This mapping is a stable interface (the replay command reads it).
``reference``  the name of the reference policy (``"newsvendor"`` unless told otherwise).

The reference policy (by default the newsvendor on forecast quantiles, the name ``"newsvendor"``) is
added to the policies when none of them bears its name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from restock import seeding
from restock.agents.policy import AnyPolicy, NetworkPolicy, SourcingPolicy, checked_orders
from restock.agents.stats import paired_difference
from restock.envs.core import build_episode, load_scenario, numpy_state, to_numpy
from restock.envs.features import ObservationConfig
from restock.envs.observer import Observer
from restock.errors import InputError
from restock.scenarios.forecast import ScenarioForecast
from restock.simulator.engines import Decide, check_engine, make_engine
from restock.simulator.engines import rollout as run_engine
from restock.simulator.kpis import CycleCounter, RunSums, kpi_table, rollout_sums
from restock.simulator.paths import ExogenousPaths
from restock.simulator.records import SimulationResult
from restock.simulator.state import ReviewState
from restock.simulator.world import World

REFERENCE = "newsvendor"
"""Name of the default reference policy of every saving."""
SUMMARY_KPIS: tuple[str, ...] = (
    "revenue",
    "holding_cost",
    "penalty_cost",
    "fill_rate",
    "cycle_service_level",
    "in_stock_rate",
    "avg_on_hand",
    "inventory_turns",
    "lost_units",
)
"""KPIs whose means over seeds the summary shows beside profit and saving."""


@dataclass(frozen=True)
class Episode:
    """One draw of a scenario: the world, its exogenous paths [P, T, M, N] and the forecast table."""

    world: World
    paths: ExogenousPaths
    forecasts: ScenarioForecast
    seed: int
    """The root seed it was drawn from."""


def draw_episode(scenario: Any, seed: int, n_paths: int | None = None) -> Episode:
    """The episode of ``scenario`` (a Scenario or a name) at root ``seed`` with ``n_paths`` paths.

    ``n_paths`` None: the scenario's ``seeds.n_paths``.
    """
    sc = load_scenario(scenario, None)
    if n_paths is None:
        n_paths = int(getattr(getattr(sc, "seeds", None), "n_paths", 1))
    world, paths, fc = build_episode(sc, int(seed), int(n_paths))
    return Episode(world, paths, fc, int(seed))


@dataclass(frozen=True)
class Rollout:
    """What one policy did on one episode: flows summed over the horizon [P, M, N] and the records."""

    totals: dict[str, np.ndarray]
    """Money and units per [P, M, N] (the engine's step keys: revenue, ..., reward, sales, lost, ...)."""
    result: SimulationResult | None
    """The engine's records (``record=True`` only)."""


def observers(ep: Episode, policy: Any) -> list[Observer]:
    """One :class:`~restock.envs.observer.Observer` per node of ``ep`` with the policy's observation
    settings (a learned policy carries the ``observation_config`` it was trained with; defaults otherwise)."""
    obs = getattr(policy, "observation_config", None) or ObservationConfig()
    return [
        Observer(ep.world, ep.paths.price, ep.forecasts, m, obs) for m in range(len(ep.world.network.nodes))
    ]


def engine_rule(policy: AnyPolicy, observers: Sequence[Observer]) -> Decide:
    """The one adapter from a policy to an engine's decision rule: at every review, each node's observer
    shows the policy the (numpy) state, its orders [B] are checked
    (:func:`~restock.agents.policy.checked_orders`) and stacked into the engine's orders [P, A, N] (one
    per arc; A = M unless nodes have extra vendors). A :class:`~restock.agents.policy.NetworkPolicy` is
    asked once per review for every node's orders [M, B] (``act_network(observers, state)``); a
    :class:`~restock.agents.policy.SourcingPolicy` once per node for the orders of each of its sources
    [S, B] (``act_sources``); any other policy once per node (``act``), for its own source."""
    name = str(getattr(policy, "name", type(policy).__name__))
    first = observers[0]
    p, n, m = first.n_paths, first.n_skus, len(observers)
    n_arcs = len(first.world.network.arcs())

    def decide(state: ReviewState) -> np.ndarray:
        st = numpy_state(state)
        orders = np.zeros((p, n_arcs, n), dtype=np.float64)
        if isinstance(policy, NetworkPolicy):
            q = np.asarray(policy.act_network(observers, st), dtype=np.float64)
            if q.ndim != 2 or q.shape[0] not in (m, n_arcs):
                raise InputError(
                    f"policy {name!r} returned network orders of shape {q.shape} in period {st.t}, "
                    f"expected ({m}, {first.size}) or one row per arc ({n_arcs}, {first.size})"
                )
            if q.shape[0] == n_arcs and n_arcs != m:  # one row per arc (extra vendors)
                for a in range(n_arcs):
                    orders[:, a, :] = checked_orders(name, q[a], first.size, st.t).reshape(p, n)
                return orders
            for k, o in enumerate(observers):
                orders[:, o.node, :] = checked_orders(name, q[k], o.size, st.t).reshape(p, n)
            return orders
        for o in observers:
            if isinstance(policy, SourcingPolicy):
                q = np.asarray(policy.act_sources(o, st), dtype=np.float64)
                if q.ndim != 2 or q.shape[0] != len(o.arcs):
                    raise InputError(
                        f"policy {name!r} returned orders of shape {q.shape} for node "
                        f"{o.world.network.nodes[o.node].name!r} in period {st.t}, expected "
                        f"({len(o.arcs)}, {o.size}): one row per source {list(o.sources)}"
                    )
                for arc, row in zip(o.arcs, q, strict=True):
                    orders[:, arc, :] = checked_orders(name, row, o.size, st.t).reshape(p, n)
                continue
            q = checked_orders(name, policy.act(o, st), o.size, st.t)
            orders[:, o.node, :] = q.reshape(p, n)
        return orders

    return decide


def rollout(
    policy: AnyPolicy, ep: Episode, *, engine: str = "des", record: bool = True, compile: str = "off"
) -> Rollout:
    """Run ``policy`` over the whole horizon of ``ep`` on ``engine`` (``"des"`` or ``"batch"``; ``compile``:
    the batch engine's setting, :func:`restock.simulator.engines.make_engine`)."""
    eng = make_engine(check_engine(engine), ep.world, ep.paths, record=record, compile=compile)
    decide = engine_rule(policy, observers(ep, policy))
    totals = {k: to_numpy(v) for k, v in run_engine(eng, decide).totals.items()}
    result = None
    if record:
        result = eng.result()
        _complete_attrs(result.records, ep.world)
    return Rollout(totals, result)


def policy_sums(policy: AnyPolicy, ep: Episode, *, engine: str = "des", compile: str = "off") -> RunSums:
    """Run ``policy`` over the whole horizon of ``ep`` without records: the :class:`RunSums` its KPIs
    come from (:meth:`RunSums.kpis`; mergeable with another shard of SKUs on the same paths)."""
    eng = make_engine(check_engine(engine), ep.world, ep.paths, record=False, compile=compile)
    counter = CycleCounter([n.customer_facing for n in ep.world.network.nodes])
    done = run_engine(eng, engine_rule(policy, observers(ep, policy)), on_step=counter)
    return rollout_sums(ep.world, ep.paths.n_paths, eng, done, counter)


def _complete_attrs(records: pd.DataFrame, world: World) -> None:
    """Give batch-engine records the attrs the des engine writes (KPIs read them)."""
    e = world.economics
    defaults = {
        "review_period": world.review_period,
        "review_offset": world.review_offset,
        "horizon": world.horizon,
        "discount": e.discount,
        "demand_nodes": [n.name for n in world.network.nodes if n.customer_facing],
        "unit_cost": dict(zip(world.skus, np.asarray(e.unit_cost, dtype=float).tolist(), strict=True)),
    }
    for key, value in defaults.items():
        records.attrs.setdefault(key, value)


@dataclass
class Evaluation:
    """The outcome of :func:`evaluate` (see the module docstring)."""

    rows: pd.DataFrame
    summary: pd.DataFrame
    records: dict[tuple[str, int], pd.DataFrame] = field(default_factory=dict)
    reference: str = REFERENCE

    def to_dict(self) -> dict[str, Any]:
        """``{"rows": [...], "summary": [...]}`` with plain Python values (what ``--json`` prints)."""
        return {"rows": _records(self.rows), "summary": _records(self.summary), "reference": self.reference}


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for row in df.to_dict(orient="records"):
        out.append({str(k): _plain(v) for k, v in row.items()})
    return out


def _plain(v: Any) -> Any:
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating | float):
        f = float(v)
        return f if np.isfinite(f) else None
    return v


def eval_seeds(seeds: int | Sequence[int]) -> list[int]:
    """Root seeds of an evaluation: ``k`` -> ``eval_seed(0..k-1)``; a sequence as given (>= 0, distinct,
    none a selection seed: the paths trainers choose checkpoints on are not judged on)."""
    if isinstance(seeds, bool):
        raise InputError(f"seeds must be a count or a sequence of root seeds, got {seeds!r}")
    if isinstance(seeds, int | np.integer):
        if not 1 <= seeds <= seeding.MAX_EVAL_INDEX + 1:
            raise InputError(f"seeds must be in [1, {seeding.MAX_EVAL_INDEX + 1}], got {seeds!r}")
        return [seeding.eval_seed(k) for k in range(int(seeds))]
    out = [int(s) for s in seeds]
    if not out or any(s < 0 for s in out) or len(set(out)) != len(out):
        raise InputError(f"seeds must be distinct integers >= 0, got {list(seeds)!r}")
    chosen = [s for s in out if seeding.is_selection_seed(s)]
    if chosen:
        raise InputError(
            f"seed {chosen[0]} is a selection seed (>= {seeding.SELECTION_SEED_OFFSET}): trainers choose "
            "their best checkpoint on those paths, so an evaluation must not use them"
        )
    return out


def _named(
    policies: Mapping[str, AnyPolicy] | Sequence[AnyPolicy],
) -> dict[str, AnyPolicy]:
    if isinstance(policies, Mapping):
        named = {str(k): v for k, v in policies.items()}
    else:
        named = {}
        for pol in policies:
            key = str(getattr(pol, "name", type(pol).__name__))
            if key in named:
                raise InputError(f"two policies are named {key!r}; pass a mapping name -> policy")
            named[key] = pol
    if not named:
        raise InputError("evaluate needs at least one policy")
    for key, pol in named.items():
        if not any(callable(getattr(pol, m, None)) for m in ("act", "act_network", "act_sources")):
            raise InputError(
                f"policy {key!r} has no act(batch, state), act_network(observers, state) or "
                f"act_sources(batch, state) method: {pol!r}"
            )
    return named


def evaluate(
    policies: Mapping[str, AnyPolicy] | Sequence[AnyPolicy],
    scenario: Any,
    seeds: int | Sequence[int],
    *,
    engine: str = "des",
    keep_records: bool = False,
    n_paths: int | None = None,
    reference: str = REFERENCE,
    confidence: float = 0.95,
    on_episode: Callable[[Episode], None] | None = None,
    compile: str = "off",
) -> Evaluation:
    """Every policy on the same episodes; per-seed KPIs and paired savings (see the module docstring).

    ``scenario``: a Scenario or a built-in name/file; ``n_paths``: paths per seed (None: the scenario's).
    ``on_episode``: called with each episode once it is drawn, before the policies run on it (a caller
    that scores the forecasts reads the very table and paths the policies read, without drawing again).
    Without records (a catalog too large for them, or a shard of one): :func:`evaluate_sums` and
    :func:`evaluation_of`. ``compile``: the batch engine's setting
    (:func:`restock.simulator.engines.make_engine`).
    """
    check_engine(engine)
    named = with_reference(policies, reference)
    rows: list[dict[str, Any]] = []
    kept: dict[tuple[str, int], pd.DataFrame] = {}
    for i, root, ep in _episodes(scenario, seeds, n_paths, on_episode):
        for key, pol in named.items():
            res = rollout(pol, ep, engine=engine, record=True, compile=compile).result
            assert res is not None
            kpis = kpi_table(res, review_period=ep.world.review_period, review_offset=ep.world.review_offset)
            rows.append({"policy": key, "seed": root, "seed_index": i, **kpis})
            if keep_records:
                kept[(key, root)] = res.records
    frame = pd.DataFrame(rows)
    return Evaluation(frame, summarize(frame, reference, confidence), kept, reference)


def with_reference(
    policies: Mapping[str, AnyPolicy] | Sequence[AnyPolicy], reference: str = REFERENCE
) -> dict[str, AnyPolicy]:
    """The named policies, the newsvendor first when ``reference`` is the default and none bears its name
    (another missing reference is an InputError)."""
    named = _named(policies)
    if reference not in named:
        if reference != REFERENCE:
            raise InputError(f"reference policy {reference!r} is not among the policies {list(named)}")
        from restock.agents.baselines.newsvendor import NewsvendorPolicy

        named = {REFERENCE: NewsvendorPolicy(), **named}
    return named


def evaluate_sums(
    policies: Mapping[str, AnyPolicy],
    scenario: Any,
    seeds: int | Sequence[int],
    *,
    engine: str = "des",
    n_paths: int | None = None,
    on_episode: Callable[[Episode], None] | None = None,
    compile: str = "off",
) -> dict[tuple[str, int], RunSums]:
    """Every policy on the same episodes without records: ``{(policy, root seed): RunSums}`` (a shard of
    a catalog's SKUs gives sums that :meth:`RunSums.merge` adds to the other shards'; ``compile`` as in
    :func:`evaluate`)."""
    out: dict[tuple[str, int], RunSums] = {}
    for _, root, ep in _episodes(scenario, seeds, n_paths, on_episode):
        for key, pol in policies.items():
            out[(key, root)] = policy_sums(pol, ep, engine=engine, compile=compile)
    return out


def _episodes(
    scenario: Any,
    seeds: int | Sequence[int],
    n_paths: int | None,
    on_episode: Callable[[Episode], None] | None,
) -> Iterator[tuple[int, int, Episode]]:
    """(seed index, root seed, episode) of every evaluation seed, each episode shown to ``on_episode``
    once it is drawn."""
    sc = load_scenario(scenario, None)
    for i, root in enumerate(eval_seeds(seeds)):
        ep = draw_episode(sc, root, n_paths)
        if on_episode is not None:
            on_episode(ep)
        yield i, root, ep


def merge_sums(parts: Sequence[Mapping[tuple[str, int], RunSums]]) -> dict[tuple[str, int], RunSums]:
    """The sums of shards of one evaluation (the same policies and seeds; disjoint SKUs) added up."""
    first, *rest = parts
    out = dict(first)
    for part in rest:
        if set(part) != set(out):
            raise ValueError("the shards of an evaluation hold different (policy, seed) pairs")
        out = {key: out[key].merge(part[key]) for key in out}
    return out


def evaluation_of(
    sums: Mapping[tuple[str, int], RunSums],
    roots: Sequence[int],
    reference: str = REFERENCE,
    confidence: float = 0.95,
) -> Evaluation:
    """The :class:`Evaluation` (rows and summary, no records) of sums per (policy, root seed); the rows in
    the order of ``roots``, then of the policies as the sums hold them."""
    policies = list(dict.fromkeys(key for key, _ in sums))
    rows = [
        {"policy": key, "seed": root, "seed_index": i, **sums[(key, root)].kpis()}
        for i, root in enumerate(roots)
        for key in policies
    ]
    frame = pd.DataFrame(rows)
    return Evaluation(frame, summarize(frame, reference, confidence), {}, reference)


def summarize(rows: pd.DataFrame, reference: str = REFERENCE, confidence: float = 0.95) -> pd.DataFrame:
    """One row per policy: mean profit, paired saving vs ``reference`` with its CI, KPI means."""
    ref = rows[rows["policy"] == reference].set_index("seed")["profit"]
    out = []
    for key, g in rows.groupby("policy", sort=False):
        g = g.set_index("seed").loc[ref.index]
        diff = paired_difference(g["profit"].to_numpy(), ref.to_numpy(), confidence)
        entry: dict[str, Any] = {
            "policy": key,
            "profit": float(g["profit"].mean()),
            "saving_vs_newsvendor": diff.mean,
            "ci_low": diff.ci_low,
            "ci_high": diff.ci_high,
            "saving_pct": 100.0 * diff.relative,
            "n_seeds": diff.n,
        }
        for k in SUMMARY_KPIS:  # a KPI a run without records lacks (None) has a NaN mean
            entry[k] = float(pd.to_numeric(g[k], errors="coerce").mean())
        out.append(entry)
    return pd.DataFrame(out)
