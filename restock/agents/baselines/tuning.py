"""Choosing the parameters of the baselines by simulation on training paths (never on evaluation paths).

Training paths are the episodes of the scenario at the root seeds ``seed, seed + 1, ...,
seed + train_seeds - 1`` (all below :data:`restock.seeding.EVAL_SEED_OFFSET`, so disjoint from
:func:`restock.agents.evaluate.eval_seeds`), stacked along the path axis.

Search: a full grid over the policy's parameters, one grid per (node, SKU), scaled by the SKU's
forecast scale ``s`` (median demand per review period at the first review, :mod:`restock.envs.features`)
and cover ``c = (E[L] + R) / R`` (review periods of protection). The candidates run in a few rollouts
(:func:`candidate_rewards`: chunks of at most :data:`TUNING_CHUNK_BYTES` of repeated inputs): the
training paths are repeated once per candidate along the path axis (common random numbers across
candidates) and each candidate's parameters are given per path ([P, M, N] parameters,
:mod:`restock.agents.baselines.params`). The candidate with the highest mean profit over the training
paths is picked per SKU — exact for one node, where the SKUs do not interact. In a network the nodes of
a SKU interact (the warehouse earns no revenue of its own), so all nodes of a SKU take the same candidate
(each node's parameters on its own scaled grid), judged on the network's profit: a one-dimensional
search along the scaled grids, not a joint optimum over the nodes. Then ``rounds - 1`` refinements
search a grid of the same size spanning one step of the previous grid on either side of the best value.
Levels are rounded to whole units when demand and initial stock are whole units (the Zipkin family), so
that they are the policies the exact oracle evaluates.

=================  =========================================  =============================================
policy             parameters                                 first grid (per node and SKU)
=================  =========================================  =============================================
newsvendor-tuned   tau                                        the table's levels range, ``grid`` points
base-stock         S                                          ``s x [0, 2c + 2]``, ``grid`` points
capped base-stock  S, cap r                                   S as base-stock (``grid2``), r ``s x [0.25, 3]``
(s, S)             s, d = S - s                               s ``[s_lo, s x (2c + 2)]``, d ``[0, D]``
                                                              (below)
(r, Q)             r, Q                                       r ``s x [0, 2c + 2]``, Q ``s x [0.25, 4]``
constant           Q                                          ``s x [0, 2]``
=================  =========================================  =============================================

**(s, S) and the fixed order cost.** The lot d = S - s scales with the economic order quantity, not
with demand alone: per (node, SKU), with mu = s (demand per review period), H = h R and P = p R the node's
holding and penalty per unit and review period and K the SKU's fixed order cost,
``Q = sqrt(2 K mu / H)``, times ``sqrt((H + P) / P)`` where the node backorders (the EOQ with planned
backorders), at most the demand of the whole horizon. The d axis spans ``[0, D]``, ``D = max(3 s, 3 Q)``
(K = 0: the old ``s x [0, 3]``), and where the node backorders the reorder point goes down to
``s_lo = -D H / (H + P)`` (three times the largest backlog of the deterministic EOQ cycle; unbounded below
in the refinements), else ``s_lo = 0``. On Poisson demand with K up to 2000, checked against the exact
optimum (``restock oracle s-S``, Zheng & Federgruen 1991), the two default rounds of this 10 x 10 grid land
within 0.3% of the optimal cost when the costs are exact (docs/oracle.md); the grid size, and so the time,
is what it was.

**Networks** (base-stock and echelon base-stock): the nodes of a SKU interact, so their levels are searched
jointly, judged on the network's profit per SKU (:func:`network_search`): first a joint grid with one axis
per depth of the tree (the nodes at one depth move together, each on its own scaled grid; at least
``grid`` points per depth and 256 candidates in all), then ``rounds + 1`` sweeps of coordinate search,
node by node, each a grid of ``grid`` points around the node's current level
with the other levels fixed. An echelon level's grid is scaled by the node's forecast scale (the demand of
its subtree) and its echelon cover ``(E[L] + the longest downstream chain of E[L] + R) / R``.

The engine is the batch engine (its network engine for networks), or ``engine`` if set.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from restock import seeding
from restock.agents.baselines.classical import (
    BaseStockPolicy,
    ConstantPolicy,
    EchelonBaseStockPolicy,
    RQPolicy,
    SSPolicy,
)
from restock.agents.baselines.newsvendor import NewsvendorPolicy
from restock.agents.baselines.sourcing import INDEX_POLICIES, DualIndexPolicy
from restock.agents.evaluate import Episode, draw_episode, observers, rollout
from restock.agents.policy import AnyPolicy
from restock.envs.observer import lead_time_stats
from restock.errors import InputError
from restock.simulator.paths import ExogenousPaths
from restock.simulator.topology import layout, node_costs


@dataclass(frozen=True)
class TuningConfig:
    """How the baselines are tuned (see the module docstring)."""

    train_seeds: int = 4
    """Number of training root seeds (episodes) stacked."""
    n_paths: int | None = None
    """Paths per training seed (None: the scenario's ``seeds.n_paths``)."""
    grid: int = 24
    """Points per axis of a one-parameter grid."""
    grid2: int = 10
    """Points per axis of a two-parameter grid (grid2**2 candidates)."""
    rounds: int = 2
    """Grid searches: the first plus refinements around the best."""
    engine: str | None = None
    """``"batch"`` or ``"des"``; None: batch."""

    def __post_init__(self) -> None:
        for key in ("train_seeds", "grid", "grid2", "rounds"):
            v = getattr(self, key)
            if not (isinstance(v, int) and v >= (2 if key.startswith("grid") else 1)):
                raise InputError(
                    f"tuning.{key} must be an integer >= {2 if key.startswith('grid') else 1}, got {v!r}"
                )
        if self.n_paths is not None and not (isinstance(self.n_paths, int) and self.n_paths >= 1):
            raise InputError(f"tuning.n_paths must be None or an integer >= 1, got {self.n_paths!r}")
        if self.engine not in (None, "batch", "des"):
            raise InputError(f"tuning.engine must be 'batch', 'des' or None, got {self.engine!r}")


def training_seeds(seed: int, config: TuningConfig) -> list[int]:
    """The training root seeds ``seed .. seed + train_seeds - 1`` (an InputError if they reach eval seeds)."""
    if seed < 0 or seed + config.train_seeds > seeding.EVAL_SEED_OFFSET:
        raise InputError(
            f"training seed {seed!r}: training seeds must lie in [0, {seeding.EVAL_SEED_OFFSET}) "
            "(evaluation seeds start there)"
        )
    return [seed + k for k in range(config.train_seeds)]


def training_episode(scenario: Any, seed: int, config: TuningConfig) -> Episode:
    """The training episodes of ``scenario`` stacked along the path axis (see the module docstring)."""
    eps = [draw_episode(scenario, s, config.n_paths) for s in training_seeds(seed, config)]
    return Episode(eps[0].world, stack_paths([e.paths for e in eps]), _stack_fc(eps), seed)


def stack_paths(paths: Sequence[ExogenousPaths]) -> ExogenousPaths:
    """Paths of the same world concatenated along the path axis (capacity is shared)."""
    return ExogenousPaths.stack(paths)


def _stack_fc(eps: Sequence[Episode]) -> Any:
    """The forecast table of stacked episodes: a shared path-independent table, or each table broadcast
    to its episode's paths and concatenated along the path axis."""
    tables = [e.forecasts for e in eps]
    first = tables[0]

    def shared(t: Any) -> bool:
        return t is first or (
            t.per_bucket.shape[0] == 1
            and t.cumulative.shape[0] == 1
            and np.array_equal(t.per_bucket, first.per_bucket)
            and np.array_equal(t.cumulative, first.cumulative)
        )

    if first.per_bucket.shape[0] == 1 and first.cumulative.shape[0] == 1 and all(map(shared, tables)):
        return first

    def total(name: str) -> np.ndarray:
        parts = []
        for e in eps:
            arr = getattr(e.forecasts, name)
            parts.append(np.broadcast_to(arr, (e.paths.n_paths, *arr.shape[1:])))
        return np.concatenate(parts)

    return replace(first, per_bucket=total("per_bucket"), cumulative=total("cumulative"))


TUNING_CHUNK_BYTES = 256 * 2**20
"""Most bytes of repeated paths and forecast tables one rollout of :func:`candidate_rewards` holds: the
candidates run in chunks of at most this size (the engine's own tensors come on top, a small multiple)."""


def copy_bytes(ep: Episode) -> int:
    """Bytes that :func:`repeat_episode` adds per copy of ``ep``: its paths, and its forecast tables where
    they differ per path (a table shared by every path is not repeated)."""
    size = sum(
        int(np.asarray(getattr(ep.paths, f)).nbytes) for f in ("demand", "lead_time", "fill_rate", "price")
    )
    fc = ep.forecasts
    if fc.per_bucket.shape[0] > 1 or fc.cumulative.shape[0] > 1:
        p = ep.paths.n_paths
        size += sum(p * int(np.prod(a.shape[1:])) * a.itemsize for a in (fc.per_bucket, fc.cumulative))
    return size


def candidate_rewards(
    build: Callable[[dict[str, np.ndarray]], AnyPolicy],
    values: dict[str, np.ndarray],
    ep: Episode,
    *,
    engine: str,
    chunk_bytes: int = TUNING_CHUNK_BYTES,
) -> np.ndarray:
    """Total reward [C, P, M, N] of each of C candidates (``values``: name -> [C, M, N]) on ``ep``'s paths.

    A chunk of candidates runs as one rollout with the paths repeated once per candidate
    (:func:`repeat_episode`); chunks keep what is repeated under ``chunk_bytes``. The paths of a rollout
    do not interact, so the rewards do not depend on the chunking.
    """
    c = next(iter(values.values())).shape[0]
    p, m, n = ep.paths.n_paths, len(ep.world.network.nodes), ep.world.n_skus
    per_chunk = max(1, min(c, chunk_bytes // max(copy_bytes(ep), 1)))
    out = []
    for start in range(0, c, per_chunk):
        k = min(per_chunk, c - start)
        params = {name: np.repeat(v[start : start + k], p, axis=0) for name, v in values.items()}
        done = rollout(build(params), repeat_episode(ep, k), engine=engine, record=False)
        out.append(np.asarray(done.totals["reward"]).reshape(k, p, m, n))
    return np.concatenate(out)


def repeat_episode(ep: Episode, copies: int) -> Episode:
    """``ep`` with its paths repeated ``copies`` times along the path axis (copy-major: g * P + p)."""
    p = ep.paths
    rep = lambda a: np.tile(a, (copies,) + (1,) * (a.ndim - 1))  # noqa: E731
    paths = p.transform(rep)
    fc = ep.forecasts
    if fc.per_bucket.shape[0] > 1 or fc.cumulative.shape[0] > 1:
        fc = replace(
            fc,
            per_bucket=rep(np.broadcast_to(fc.per_bucket, (p.n_paths, *fc.per_bucket.shape[1:]))),
            cumulative=rep(np.broadcast_to(fc.cumulative, (p.n_paths, *fc.cumulative.shape[1:]))),
        )
    return Episode(ep.world, paths, fc, ep.seed)


@dataclass(frozen=True)
class Axis:
    """One parameter's first grid: ``low + (high - low) * linspace(0, 1, n)`` per (node, SKU) [M, N]."""

    name: str
    low: np.ndarray
    high: np.ndarray
    whole: bool = False
    """Round the values to whole units."""
    floor: float | np.ndarray = 0.0
    """Smallest allowed value (a scalar, or per (node, SKU) [M, N]; -inf: none)."""
    ceil: float = np.inf
    """Largest allowed value."""


@dataclass(frozen=True)
class TuningResult:
    """The chosen parameters [M, N] each and their mean training profit per (node, SKU) [M, N]."""

    params: dict[str, np.ndarray]
    profit: np.ndarray
    candidates: int
    """Candidates simulated (all rounds)."""


def grid_search(
    build: Callable[[dict[str, np.ndarray]], AnyPolicy],
    axes: Sequence[Axis],
    ep: Episode,
    *,
    points: int,
    rounds: int,
    engine: str,
) -> TuningResult:
    """Best parameters per (node, SKU) by simulation (see the module docstring).

    ``build`` gets parameters [G * P, M, N] per axis name and returns the policy to simulate.
    """
    m, n = len(ep.world.network.nodes), ep.world.n_skus
    lows = [np.broadcast_to(a.low, (m, n)).astype(np.float64) for a in axes]
    highs = [np.broadcast_to(a.high, (m, n)).astype(np.float64) for a in axes]
    best: list[np.ndarray] = []
    best_profit = np.full((m, n), -np.inf)
    total = 0
    for _ in range(rounds):
        grids = [
            _snap(a, lo[None] + (hi - lo)[None] * np.linspace(0.0, 1.0, points)[:, None, None])
            for a, lo, hi in zip(axes, lows, highs, strict=True)
        ]  # each [points, M, N]
        combos = list(itertools.product(range(points), repeat=len(axes)))
        values = [np.stack([g[c[i]] for c in combos]) for i, g in enumerate(grids)]  # [C, M, N] each
        c = len(combos)
        total += c
        named = {a.name: v for a, v in zip(axes, values, strict=True)}
        profit = candidate_rewards(build, named, ep, engine=engine).mean(axis=1)  # [C, M, N]
        if m > 1:  # a network: every node of a SKU takes the same candidate, judged on the network's profit
            profit = np.broadcast_to(profit.sum(axis=1, keepdims=True), profit.shape)
        pick = profit.argmax(axis=0)  # [M, N]
        chosen = np.take_along_axis(profit, pick[None], axis=0)[0]
        better = chosen > best_profit
        picked = [np.take_along_axis(v, pick[None], axis=0)[0] for v in values]
        best = picked if not best else [np.where(better, pk, b) for pk, b in zip(picked, best, strict=True)]
        best_profit = np.where(better, chosen, best_profit)
        steps = [(hi - lo) / (points - 1) for lo, hi in zip(lows, highs, strict=True)]
        lows = [np.maximum(b - s, a.floor) for b, s, a in zip(best, steps, axes, strict=True)]
        highs = [np.minimum(b + s, a.ceil) for b, s, a in zip(best, steps, axes, strict=True)]
    return TuningResult({a.name: b for a, b in zip(axes, best, strict=True)}, best_profit, total)


def _better(
    res: TuningResult, plain: TuningResult, key: str, plain_value: float, level: str = "S"
) -> TuningResult:
    """Per (node, SKU), ``res`` or the plain base-stock result (its level as ``level``, with ``key`` =
    ``plain_value``), whichever made more training profit."""
    use_plain = plain.profit > res.profit
    params = {
        k: np.where(use_plain, plain.params["S"], v) if k == level else v for k, v in res.params.items()
    }
    params[key] = np.where(use_plain, plain_value, res.params[key])
    return TuningResult(params, np.maximum(res.profit, plain.profit), res.candidates + plain.candidates)


def _snap(axis: Axis, values: np.ndarray) -> np.ndarray:
    v = np.clip(values, axis.floor, axis.ceil)
    return np.round(v) if axis.whole else v


def scales(ep: Episode) -> tuple[np.ndarray, np.ndarray]:
    """(forecast scale s [M, N] averaged over paths, cover c = (E[L] + R) / R [M, N]) of ``ep``."""
    batches = observers(ep, None)
    p, n = ep.paths.n_paths, ep.world.n_skus
    s = np.stack([b.static.scale.reshape(p, n).mean(axis=0) for b in batches])
    lt_mean, _ = lead_time_stats(ep.world)
    r = ep.world.review_period
    return s, (lt_mean + r) / r


def whole_units(ep: Episode) -> bool:
    """Whether demand and the initial stock come in whole units (then levels are rounded)."""
    d = ep.paths.demand
    init = ep.world.initial_on_hand
    return bool(np.all(d == np.round(d)) and (init is None or np.all(init == np.round(init))))


def lot_scale(ep: Episode, s: np.ndarray) -> np.ndarray:
    """The economic lot per (node, SKU) [M, N] in units (module docstring): the EOQ ``sqrt(2 K mu / H)``,
    times ``sqrt((H + P) / P)`` where the node backorders, at most the horizon's demand; 0 where K = 0."""
    world = ep.world
    r = world.review_period
    costs = node_costs(world)
    holding, penalty = costs.holding * r, costs.penalty * r
    fixed = np.broadcast_to(world.economics.fixed_order_cost[None, :], s.shape)
    backorder = np.asarray(layout(world).backorder, dtype=bool)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        lot = np.sqrt(2.0 * fixed * s / holding) * np.where(
            backorder, np.sqrt((holding + penalty) / penalty), 1.0
        )
    lot = np.where(fixed > 0, np.nan_to_num(lot, nan=np.inf), 0.0)
    return np.minimum(lot, s * world.horizon / r)


def ss_axes(ep: Episode, s: np.ndarray, hi_level: np.ndarray, whole: bool) -> list[Axis]:
    """The (s, S) tuner's axes: the reorder point s and the lot d = S - s (module docstring)."""
    world = ep.world
    costs = node_costs(world)
    backorder = np.asarray(layout(world).backorder, dtype=bool)[:, None]
    span = np.maximum(3.0 * s, np.minimum(3.0 * lot_scale(ep, s), s * world.horizon / world.review_period))
    total = costs.holding + costs.penalty
    share = np.divide(costs.holding, total, out=np.ones_like(total), where=total > 0)  # H / (H + P)
    low = np.where(backorder, -span * share, 0.0)
    floor = np.broadcast_to(np.where(backorder, -np.inf, 0.0), s.shape)
    return [Axis("s", low, hi_level, whole, floor=floor), Axis("d", np.zeros_like(s), span, whole)]


def _engine(ep: Episode, config: TuningConfig) -> str:
    return "batch" if config.engine is None else config.engine


def echelon_cover(ep: Episode) -> np.ndarray:
    """Echelon cover ``(E[L_j] + longest downstream chain of E[L] + R) / R`` per node and SKU [M, N]."""
    lt_mean, _ = lead_time_stats(ep.world)
    net = layout(ep.world)
    down = np.zeros_like(lt_mean)
    for j in sorted(range(net.n_nodes), key=lambda k: -net.levels[k]):  # downstream first
        for c in net.children[j]:
            down[j] = np.maximum(down[j], lt_mean[c] + down[c])
    r = ep.world.review_period
    return (lt_mean + down + r) / r


def network_search(
    build: Callable[[dict[str, np.ndarray]], AnyPolicy],
    axis: Axis,
    ep: Episode,
    *,
    points: int,
    rounds: int,
    engine: str,
) -> TuningResult:
    """The best one-parameter levels [M, N] of a network, judged on the network's profit per SKU (see the
    module docstring): a joint grid over the depths of the tree, then coordinate sweeps node by node."""
    m, n = len(ep.world.network.nodes), ep.world.n_skus
    lo = np.broadcast_to(axis.low, (m, n)).astype(np.float64)
    hi = np.broadcast_to(axis.high, (m, n)).astype(np.float64)
    depth = np.asarray(layout(ep.world).levels)
    depths = sorted(set(depth.tolist()))
    total = 0

    def evaluate(values: np.ndarray) -> np.ndarray:
        """Network profit per SKU [C, N] of candidate levels [C, M, N]."""
        nonlocal total
        total += values.shape[0]
        rewards = candidate_rewards(build, {axis.name: values}, ep, engine=engine)
        return rewards.mean(axis=1).sum(axis=1)

    per_depth = max(points, round(256 ** (1 / len(depths))))  # at least 256 candidates in all
    unit = np.linspace(0.0, 1.0, per_depth)
    combos = list(itertools.product(range(per_depth), repeat=len(depths)))
    frac = np.array([[unit[c[depths.index(d)]] for d in depth] for c in combos])  # [C, M]
    values = _snap(axis, lo[None] + (hi - lo)[None] * frac[:, :, None])
    profit = evaluate(values)  # [C, N]
    pick = profit.argmax(axis=0)
    best = values[pick, :, np.arange(n)].T  # [M, N]
    best_profit = profit[pick, np.arange(n)]
    step = (hi - lo) / (per_depth - 1)
    for _ in range(rounds + 1):
        for j in range(m):
            grid = best[j][None] + step[j][None] * np.linspace(-1.0, 1.0, points)[:, None]  # [G, N]
            values = np.repeat(best[None], points, axis=0)
            values[:, j] = grid
            values = _snap(axis, values)
            profit = evaluate(values)
            pick = profit.argmax(axis=0)
            chosen = profit[pick, np.arange(n)]
            better = chosen > best_profit
            best[j] = np.where(better, values[pick, j, np.arange(n)], best[j])
            best_profit = np.where(better, chosen, best_profit)
        step = step * 2.0 / (points - 1)
    return TuningResult({axis.name: best}, np.broadcast_to(best_profit, (m, n)).copy(), total)


POLICIES: tuple[str, ...] = (
    "newsvendor-tuned",
    "base-stock",
    "echelon-base-stock",
    "capped-base-stock",
    "s-S",
    "r-Q",
    "constant",
    *INDEX_POLICIES,
)
"""The baselines this module tunes (the dual-sourcing ones on nodes with two vendors)."""


def tune(
    kind: str, scenario: Any, *, seed: int = 0, config: TuningConfig | None = None
) -> tuple[AnyPolicy, TuningResult]:
    """Tune the baseline ``kind`` (one of :data:`POLICIES`) on training paths; the policy and the search."""
    cfg = config or TuningConfig()
    if kind not in POLICIES:
        raise InputError(f"cannot tune {kind!r}; tunable baselines: {list(POLICIES)}")
    return tune_episode(kind, training_episode(scenario, seed, cfg), cfg)


def tune_episode(
    kind: str, ep: Episode, config: TuningConfig | None = None
) -> tuple[AnyPolicy, TuningResult]:
    """Tune the baseline ``kind`` on the paths of ``ep`` (training paths, however they were made: a
    scenario's training seeds in :func:`tune`, a replayed sales history in ``restock recommend``)."""
    cfg = config or TuningConfig()
    if kind not in POLICIES:
        raise InputError(f"cannot tune {kind!r}; tunable baselines: {list(POLICIES)}")
    s, c = scales(ep)
    whole = whole_units(ep)
    hi_level = s * (2 * c + 2)
    engine = _engine(ep, cfg)
    g1, g2 = cfg.grid, cfg.grid2

    def search(
        build: Callable[[dict[str, np.ndarray]], AnyPolicy], axes: list[Axis], pts: int
    ) -> TuningResult:
        return grid_search(build, axes, ep, points=pts, rounds=cfg.rounds, engine=engine)

    zero = np.zeros_like(s)
    if kind == "newsvendor-tuned":
        lv = np.asarray(ep.forecasts.quantiles, dtype=np.float64)
        lo, hi = float(lv[0]), float(lv[-1])
        axis = Axis("tau", np.full_like(s, lo), np.full_like(s, hi), floor=lo, ceil=hi)
        res = search(lambda q: NewsvendorPolicy(tau=q["tau"], name=kind), [axis], g1)
        return NewsvendorPolicy(tau=res.params["tau"], name=kind), res
    networked = len(ep.world.network.nodes) > 1
    if kind == "echelon-base-stock" or (kind == "base-stock" and networked):
        policy = EchelonBaseStockPolicy if kind == "echelon-base-stock" else BaseStockPolicy
        high = s * (2 * echelon_cover(ep) + 2) if kind == "echelon-base-stock" else hi_level
        axis = Axis("S", zero, high, whole)
        if networked:
            res = network_search(
                lambda q: policy(q["S"], name=kind), axis, ep, points=g1, rounds=cfg.rounds, engine=engine
            )
        else:
            res = search(lambda q: policy(q["S"], name=kind), [axis], g1)
        return policy(res.params["S"], name=kind), res
    if kind == "base-stock":
        res = search(lambda q: BaseStockPolicy(q["S"], name=kind), [Axis("S", zero, hi_level, whole)], g1)
        return BaseStockPolicy(res.params["S"], name=kind), res
    if kind in ("capped-base-stock", "s-S"):
        # both contain plain base-stock (no cap; s = S): keep it where it does better on training paths
        plain = search(lambda q: BaseStockPolicy(q["S"], name=kind), [Axis("S", zero, hi_level, whole)], g1)
        if kind == "capped-base-stock":
            axes = [Axis("S", zero, hi_level, whole), Axis("cap", 0.25 * s, 3.0 * s, whole, floor=1e-9)]
            res = _better(
                search(lambda q: BaseStockPolicy(q["S"], cap=q["cap"], name=kind), axes, g2),
                plain,
                "cap",
                np.inf,
            )
            return BaseStockPolicy(res.params["S"], cap=res.params["cap"], name=kind), res

        def ss(q: dict[str, np.ndarray]) -> AnyPolicy:  # S >= 0 (an optimal S is at least y* >= 0)
            return SSPolicy(q["s"], np.maximum(q["s"] + q["d"], 0.0), name=kind)

        res = _better(search(ss, ss_axes(ep, s, hi_level, whole), g2), plain, "d", 0.0, level="s")
        res = replace(res, params={**res.params, "S": np.maximum(res.params["s"] + res.params["d"], 0.0)})
        return ss(res.params), res
    if kind in INDEX_POLICIES:
        return _tune_index(kind, ep, zero, hi_level, s, whole, cfg, search)
    if kind == "r-Q":
        axes = [
            Axis("r", zero, hi_level, whole),
            Axis("Q", 0.25 * s, 4.0 * s, whole, floor=1.0 if whole else 1e-9),
        ]
        res = search(lambda q: RQPolicy(q["r"], q["Q"], name=kind), axes, g2)
        return RQPolicy(res.params["r"], res.params["Q"], name=kind), res
    res = search(lambda q: ConstantPolicy(q["Q"], name=kind), [Axis("Q", zero, 2.0 * s, whole)], g1)
    return ConstantPolicy(res.params["Q"], name=kind), res


def _tune_index(
    kind: str,
    ep: Episode,
    zero: np.ndarray,
    high: np.ndarray,
    s: np.ndarray,
    whole: bool,
    cfg: TuningConfig,
    search: Callable[[Callable[[dict[str, np.ndarray]], AnyPolicy], list[Axis], int], TuningResult],
) -> tuple[AnyPolicy, TuningResult]:
    """A dual-sourcing policy (:data:`~restock.agents.baselines.sourcing.INDEX_POLICIES`): the expedited
    level Se, the gap D = Sr - Se >= 0 and, capped, the most units r of a regular order, searched on a
    grid of ``grid2`` points per axis (``grid2 - 2`` with three axes)."""
    index, capped = INDEX_POLICIES[kind]

    def build(q: dict[str, np.ndarray]) -> AnyPolicy:
        cap = q["cap"] if capped else None
        return DualIndexPolicy(q["Se"], q["Se"] + q["D"], cap=cap, index=index, name=kind)

    axes = [Axis("Se", zero, high, whole), Axis("D", zero, high, whole)]
    if capped:
        axes.append(Axis("cap", 0.5 * s, 4.0 * s, whole, floor=1e-9))
    res = search(build, axes, cfg.grid2 - 2 * capped if cfg.grid2 > 4 else cfg.grid2)
    policy = build(res.params)
    return policy, TuningResult(
        {**res.params, "Sr": res.params["Se"] + res.params["D"]}, res.profit, res.candidates
    )
