"""Issue 6's real-demand result: DirectBackprop against the tuned newsvendor on replayed M5 demand.

    nice .venv/bin/python benchmarks/m5_real_demand.py --json runs/real-demand/result.json

The world is the built-in ``m5-tiny-replay`` scenario (28 items of store CA_1, weekly review, lead times
of 7, 14 or 21 days with probabilities 0.3/0.5/0.2, each item's own weekly M5 prices, unit cost 60% of
its mean price, holding 25% of cost a year, lost sales, leftover stock salvaged at 50% of cost) with the
forecast table from the ``quantile-forest`` forecaster (the best on m5-tiny, docs/forecasting.md).

Time split (scenarios express a window by ``demand.start`` = period 0, with ``warmup`` periods of history
before it): the **evaluation window** is the last ``horizon`` (364) days of the data; the **training
windows** are the ``--train-years`` years before it, one scenario per year (``demand.start`` moved back by
364 days each). Each window's forecaster is fitted on the ``warmup`` (two years) before the window and asked
rolling-origin inside it, so training sees forecasts exactly as good as the ones it meets in evaluation.

Policies (every one acts through :class:`restock.agents.policy.Policy` on a
:class:`restock.envs.observer.Observer`, simulated by the batch engine):

* ``newsvendor``: order up to the critical-fractile quantile tau* = (p - c + b) / (p - c + b + h R) of
  demand over E[L] + R from the forecast table;
* ``newsvendor-tuned``: the same with one tau for all items, chosen on the training windows from a grid;
* ``newsvendor-tuned-horizon``: the tuned newsvendor that knows where the year ends: the quantile of
  demand over min(E[L] + R, periods left) (stock left at the horizon is only salvaged at half its cost);
* ``base-stock``: order up to S_n = k_n x (history mean daily demand) x (E[L] + R), k_n per item chosen on
  the training windows from a grid;
* ``directbackprop``: the policy network trained by backpropagating profit through the batch engine
  (``restock.agents.training.train``, agent ``directbackprop``) on the latest training window (the
  trainer takes one scenario): the replayed year with fresh lead-time draws at every step.

Evaluation: ``--eval-seeds`` evaluation draws (:meth:`Scenario.build_eval` seeds, disjoint from training
seeds) of ``--paths`` paths each; the demand is the same replayed year on every path, the lead times are
drawn. Every policy runs on the same paths. Per seed the profit is the mean over paths of the total over
items; the saving of a policy is its paired per-seed difference to ``newsvendor-tuned`` with a Student-t
95% CI (:func:`restock.agents.stats.paired_difference`). Because demand is one replayed year, that CI
covers the lead-time randomness only; the JSON also holds a CI over the 28 items (per-item paired
differences, averaged over every path), which covers how the saving varies across demand patterns.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from restock.agents.baselines.classical import BaseStockPolicy
from restock.agents.baselines.newsvendor import NewsvendorPolicy
from restock.agents.evaluate import engine_rule
from restock.agents.policy import checked_orders
from restock.agents.stats import paired_difference
from restock.data.panel import DemandPanel
from restock.envs.core import CASH_KEYS, UNIT_KEYS, to_numpy
from restock.envs.features import ObservationConfig
from restock.envs.observer import Observer, lead_time_stats
from restock.forecasters.base import DEFAULT_QUANTILES
from restock.scenarios import Scenario, draw, load
from restock.scenarios.forecast import ScenarioForecast, forecast_table
from restock.seeding import eval_seed
from restock.simulator.batch import BatchEngine
from restock.simulator.engines import rollout as run_engine
from restock.simulator.paths import ExogenousPaths
from restock.simulator.policy import ReviewState
from restock.simulator.world import World

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "data" / "m5-tiny"
REFERENCE = "newsvendor-tuned"
TAU_GRID: tuple[float, ...] = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99, 0.995, 0.999)
COVER_GRID: tuple[float, ...] = (0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 4.0)
DBP_OPTIONS: dict[str, Any] = {
    "n_paths": 32,
    "rollout_periods": 364,
    "eval_every": 25,
    "eval_paths": 32,
    "final_eval_paths": 64,
    "checkpoint_every": 100,
}
"""DirectBackprop's options here: the whole year per rollout (the salvage at its end included); 32 paths
per step (demand is the same replayed year on every path, only the lead times differ)."""


@dataclass(frozen=True)
class ExperimentConfig:
    """Everything the experiment depends on (written into the result JSON)."""

    scenario: str = "m5-tiny-replay"
    """Built-in scenario (or TOML file) of the replayed world."""
    forecaster: str = "quantile-forest"
    """Registered forecaster that fills every window's forecast table."""
    data: str = f"m5:{DATA}"
    """``demand.source`` of the scenario (the repository's ``../shared/data/m5-tiny``)."""
    overrides: tuple[str, ...] = ()
    """Further scenario overrides for every window (e.g. a subset of ``catalog.skus`` for a smoke test)."""
    train_years: int = 2
    """Training windows: this many ``horizon``-long windows right before the evaluation window."""
    tune_paths: int = 16
    """Paths per training window for tuning tau and the base-stock covers (training seed 0)."""
    eval_seeds: int = 10
    """Evaluation draws (seeds ``eval_seed(0..k-1)``)."""
    paths: int = 8
    """Paths per evaluation draw."""
    tau_grid: tuple[float, ...] = TAU_GRID
    cover_grid: tuple[float, ...] = COVER_GRID
    dbp_options: dict[str, Any] = field(default_factory=lambda: dict(DBP_OPTIONS))
    """Options of the DirectBackprop trainer (``agent.KEY`` of ``restock train``)."""
    dbp_iterations: int = 600
    """Gradient steps of DirectBackprop (``TrainSpec.timesteps`` = iterations x paths x items x reviews)."""
    extra_forecasters: tuple[str, ...] = ()
    """Further forecasters whose (tuned) newsvendors and base-stock are evaluated on the same paths."""
    dbp_run: str | None = None
    """A DirectBackprop training run folder to evaluate instead of training a new one."""
    seed: int = 0
    """Training seed (DirectBackprop initialization and training paths)."""
    device: str = "cpu"


# ---------------------------------------------------------------------------------------------- windows


@dataclass(frozen=True)
class Window:
    """One time window of the replayed data as a scenario (period 0 = ``start``)."""

    name: str
    start: str
    """ISO date of period 0 (``demand.start``)."""
    overrides: tuple[str, ...]
    scenario: Scenario


def priced_items(panel: DemandPanel, items: Sequence[str], end: pd.Timestamp) -> list[str]:
    """The ``items`` (in order) with a price in ``panel`` before ``end``: an item not yet on sale in a
    window has no price there, so the window cannot replay it."""
    frame = panel.frame
    first = frame.dropna(subset=["price"]).groupby("series_id")["date"].min()
    return [s for s in items if s in first.index and first[s] < end]


def windows(cfg: ExperimentConfig) -> tuple[Window, list[Window]]:
    """(evaluation window, training windows oldest first): consecutive ``horizon``-long windows.

    A training window keeps only the items that are on sale (have a price) before its end.
    """
    base = (f"forecast.model={cfg.forecaster}", f'demand.source="{cfg.data}"', *cfg.overrides)
    default = load(cfg.scenario, list(base))
    catalog = draw(default, 0, 1).catalog
    dates, panel = catalog.dates, catalog.panel
    assert dates is not None and panel is not None
    eval_start = pd.Timestamp(dates[default.warmup])
    out = []
    for k in range(cfg.train_years, -1, -1):
        start = eval_start - pd.Timedelta(days=k * default.horizon)
        overrides = (*base, f'demand.start="{start.date().isoformat()}"')
        items = priced_items(panel, catalog.skus, start + pd.Timedelta(days=default.horizon))
        if list(items) != list(catalog.skus):
            overrides = (*overrides, "catalog.skus=[" + ", ".join(f'"{s}"' for s in items) + "]")
        name = "eval" if k == 0 else f"train-{cfg.train_years - k + 1}"
        out.append(Window(name, start.date().isoformat(), overrides, load(cfg.scenario, list(overrides))))
    return out[-1], out[:-1]


@dataclass(frozen=True)
class Episode:
    """World, paths and forecast table of one draw of a window."""

    world: World
    paths: ExogenousPaths
    forecasts: ScenarioForecast
    history_mean: np.ndarray
    """[N] mean demand per period over the window's warm-up history."""


def episode(window: Window, seed: int, n_paths: int) -> Episode:
    d = draw(window.scenario, seed, n_paths)
    mean = d.history[0].sum(axis=1).mean(axis=0)
    return Episode(d.world, d.paths, forecast_table(d), mean)


WQL_LEVELS: tuple[float, ...] = DEFAULT_QUANTILES
"""Quantile levels of the mean wQL: the forecasters' default grid (those of docs/forecasting.md)."""


def forecast_wql(ep: Episode) -> dict[str, float]:
    """Mean wQL of the episode's forecast table against the replayed demand of the window.

    ``week1``: the first review bucket (the week after each review); ``cover3``: the cumulative demand
    over the next 21 days (about E[L] + R) at the reviews whose 21 days end inside the window.
    """
    from restock.forecasters.metrics import mean_wql

    fc, demand = ep.forecasts, ep.paths.demand[0, :, 0, :]  # [T, N], the same on every path
    levels = np.asarray(fc.quantiles)
    pick = [int(np.flatnonzero(np.isclose(levels, q))[0]) for q in WQL_LEVELS]
    b = fc.bucket_length
    k3 = int(np.flatnonzero(fc.cover == 3 * b)[0])
    week, cover = [], []
    for r, t in enumerate(np.asarray(fc.review_periods)):
        if t + b <= len(demand):
            week.append((demand[t : t + b].sum(0), fc.per_bucket[0, r, 0, :, 0][:, pick]))
        if t + 3 * b <= len(demand):
            cover.append((demand[t : t + 3 * b].sum(0), fc.cumulative[0, r, 0, :, k3][:, pick]))

    def score(pairs: list[tuple[np.ndarray, np.ndarray]]) -> float:
        actual = np.concatenate([a for a, _ in pairs])
        pred = np.concatenate([p for _, p in pairs])
        return mean_wql(actual, pred, np.asarray(WQL_LEVELS))

    return {"week1": score(week), "cover3": score(cover)}


# ---------------------------------------------------------------------------------------------- policies


def cover_levels(ep: Episode, cover: np.ndarray) -> np.ndarray:
    """[N] base-stock levels: ``cover`` x the history's mean demand per period x (E[L] + R), whole units."""
    lt_mean, _ = lead_time_stats(ep.world)
    return np.rint(np.asarray(cover) * ep.history_mean * (lt_mean[0] + ep.world.review_period))


@dataclass
class HorizonNewsvendor:
    """The newsvendor that knows where the year ends: order up to the ``tau`` quantile of demand over
    min(E[L] + R, periods left), so it stops stocking for demand after the horizon (whose stock is only
    salvaged). ``tau``: a scalar or one per item [N]."""

    tau: Any
    name: str = "newsvendor-tuned-horizon"

    def act(self, batch: Observer, state: ReviewState) -> np.ndarray:
        w, n = batch.world, batch.n_skus
        cover = np.minimum(batch.lt_periods[:n], w.horizon - state.t)  # [N], the same on every path
        tau = np.broadcast_to(np.asarray(self.tau, dtype=np.float64), (n,))
        level = batch.demand_quantiles(state.t, cover, tau)
        orders = np.maximum(level - batch.position(state), 0.0)
        return checked_orders(self.name, orders, batch.size, state.t)


@dataclass
class CoverBaseStock:
    """Base-stock with the level S_n = cover_n x history mean demand_n x (E[L] + R), per item."""

    cover: np.ndarray
    """[N] multiples of the mean demand over E[L] + R."""
    name: str = "base-stock"

    def for_episode(self, ep: Episode) -> BaseStockPolicy:
        return BaseStockPolicy(level=cover_levels(ep, self.cover), name=self.name)


# ---------------------------------------------------------------------------------------------- rollouts

KPI_KEYS = (*CASH_KEYS, *UNIT_KEYS)


def rollout(policy: Any, ep: Episode) -> dict[str, np.ndarray]:
    """Run ``policy`` over the episode with the batch engine; totals [P, N] of every KPI key."""
    if isinstance(policy, CoverBaseStock):
        policy = policy.for_episode(ep)
    obs = (
        getattr(policy, "observation_config", None)
        or getattr(policy, "obs_config", None)
        or ObservationConfig()
    )
    observer = Observer(ep.world, ep.paths.price, ep.forecasts, 0, obs)
    engine = BatchEngine(ep.world, ep.paths, record=False)
    out = run_engine(engine, engine_rule(policy, [observer]), keys=KPI_KEYS)
    return {k: to_numpy(out.totals[k])[:, 0] for k in KPI_KEYS}


def item_profit_grid(
    episodes: Sequence[Episode], items: Sequence[str], make: Callable[[float], Any], grid: Sequence[float]
) -> np.ndarray:
    """[G, len(items)] training profit (mean over paths, summed over episodes) of each grid value."""
    out = np.zeros((len(grid), len(items)))
    for g, value in enumerate(grid):
        for ep in episodes:
            profit = rollout(make(value), ep)["reward"].mean(0)
            idx = [items.index(s) for s in ep.world.skus]
            out[g, idx] += profit
    return out


@dataclass(frozen=True)
class Tuned:
    """Parameters chosen on the training windows."""

    tau: float
    """The one tau of ``newsvendor-tuned-global``."""
    tau_items: dict[str, float]
    """Per item tau of ``newsvendor-tuned``."""
    tau_horizon: dict[str, float]
    """Per item tau of ``newsvendor-tuned-horizon``."""
    covers: dict[str, float]
    """Per item cover multiple of ``base-stock``."""
    tau_profit: dict[float, float]
    """Training profit of each global tau."""


def tune(episodes: Sequence[Episode], items: Sequence[str], cfg: ExperimentConfig) -> Tuned:
    """Grid search of tau (global and per item) and of the base-stock covers on the training episodes."""
    taus = list(cfg.tau_grid)
    nv = item_profit_grid(episodes, items, lambda t: NewsvendorPolicy(tau=t, name="tune"), taus)
    hz = item_profit_grid(episodes, items, lambda t: HorizonNewsvendor(t, name="tune"), taus)
    bs = item_profit_grid(episodes, items, lambda c: CoverBaseStock(np.asarray(c)), list(cfg.cover_grid))
    totals = nv.sum(1)
    per_item = nv.argmax(0)
    return Tuned(
        tau=taus[int(totals.argmax())],
        tau_items={s: taus[int(per_item[i])] for i, s in enumerate(items)},
        tau_horizon={s: taus[int(hz[:, i].argmax())] for i, s in enumerate(items)},
        covers={s: float(cfg.cover_grid[int(bs[:, i].argmax())]) for i, s in enumerate(items)},
        tau_profit={t: float(v) for t, v in zip(taus, totals, strict=True)},
    )


# ---------------------------------------------------------------------------------------- DirectBackprop


def train_directbackprop(
    cfg: ExperimentConfig, train: Sequence[Window], run_root: Path, *, progress: bool = False
) -> tuple[Any, Path]:
    """Train DirectBackprop on the latest training window with ``restock.agents.training`` (the trainer
    takes one scenario); (its policy, its run folder)."""
    from restock.agents.training import TrainSpec, load_policy
    from restock.agents.training import train as train_agent

    window = train[-1]
    world = draw(window.scenario, 0, 1).world
    periods = min(int(cfg.dbp_options.get("rollout_periods", 200)), world.horizon)
    reviews = sum(1 for t in world.review_periods() if t < periods)
    paths = int(cfg.dbp_options.get("n_paths", 1024))
    spec = TrainSpec(
        agent="directbackprop",
        scenario=cfg.scenario,
        timesteps=cfg.dbp_iterations * paths * world.n_skus * reviews,
        seed=cfg.seed,
        scenario_overrides=window.overrides,
        options=dict(cfg.dbp_options),
        device=cfg.device,
    )
    run_dir = train_agent(spec, root=run_root, progress=progress)
    policy = load_policy(run_dir)
    return policy, run_dir


# ---------------------------------------------------------------------------------------------- evaluation


def summarize(
    per_seed: dict[str, list[dict[str, np.ndarray]]], reference: str = REFERENCE
) -> list[dict[str, Any]]:
    """One row per policy: mean profit per seed, KPIs, the paired saving vs ``reference`` with CIs."""
    ref_seed = np.array([t["reward"].mean(0).sum() for t in per_seed[reference]])
    ref_item = np.mean([t["reward"].mean(0) for t in per_seed[reference]], axis=0)
    rows = []
    for name, runs in per_seed.items():
        profit = np.array([t["reward"].mean(0).sum() for t in runs])
        item = np.mean([t["reward"].mean(0) for t in runs], axis=0)

        def total(key: str, runs: list[dict[str, np.ndarray]] = runs) -> float:
            return float(np.mean([t[key].mean(0).sum() for t in runs]))

        row: dict[str, Any] = {
            "policy": name,
            "profit": float(profit.mean()),
            "revenue": total("revenue"),
            "purchase_cost": total("purchase_cost"),
            "holding_cost": total("holding_cost"),
            "salvage": total("salvage"),
            "fill_rate": total("sales") / max(total("demand"), 1e-12),
        }
        if name != reference:
            d = paired_difference(profit, ref_seed)
            di = paired_difference(item, ref_item)
            row |= {
                "saving_vs_" + reference: d.mean,
                "saving_pct": 100.0 * d.relative,
                "ci_low": d.ci_low,
                "ci_high": d.ci_high,
                "item_ci_low": di.ci_low * len(item),
                "item_ci_high": di.ci_high * len(item),
                "items_better": int((item > ref_item + 1e-9).sum()),
            }
        rows.append(row)
    return rows


def baselines(
    cfg: ExperimentConfig, say: Callable[[str], None], suffix: str = ""
) -> tuple[Window, list[Window], Tuned, dict[str, Any]]:
    """The windows of ``cfg.forecaster``, the parameters tuned on its training windows, and the baseline
    policies (names end with ``suffix``)."""
    t0 = time.perf_counter()
    ev, train = windows(cfg)
    items = list(draw(ev.scenario, 0, 1).world.skus)
    tuned = tune([episode(w, 0, cfg.tune_paths) for w in train], items, cfg)
    say(
        f"{cfg.forecaster}: tuned tau {tuned.tau}; per item {sorted(tuned.tau_items.values())} "
        f"({time.perf_counter() - t0:.0f} s)"
    )
    names = [
        f"{n}{suffix}"
        for n in (
            "newsvendor",
            REFERENCE,
            "newsvendor-tuned-global",
            "newsvendor-tuned-horizon",
            "base-stock",
        )
    ]
    policies = [
        NewsvendorPolicy(None, name=names[0]),
        NewsvendorPolicy(np.array([tuned.tau_items[s] for s in items]), name=names[1]),
        NewsvendorPolicy(tuned.tau, name=names[2]),
        HorizonNewsvendor(np.array([tuned.tau_horizon[s] for s in items]), name=names[3]),
        CoverBaseStock(np.array([tuned.covers[s] for s in items]), name=names[4]),
    ]
    return ev, train, tuned, dict(zip(names, policies, strict=True))


def versus(per_seed: dict[str, list[dict[str, np.ndarray]]], policy: str) -> dict[str, dict[str, float]]:
    """``policy``'s paired profit difference to every other policy: mean, CI over seeds, CI over items."""
    out = {}
    mine = np.array([t["reward"].mean(0).sum() for t in per_seed[policy]])
    mine_item = np.mean([t["reward"].mean(0) for t in per_seed[policy]], axis=0)
    for name, runs in per_seed.items():
        if name == policy:
            continue
        d = paired_difference(mine, np.array([t["reward"].mean(0).sum() for t in runs]))
        item = np.mean([t["reward"].mean(0) for t in runs], axis=0)
        di = paired_difference(mine_item, item)
        out[name] = {
            "mean": d.mean,
            "pct": 100.0 * d.relative,
            "ci_low": d.ci_low,
            "ci_high": d.ci_high,
            "item_ci_low": di.ci_low * len(item),
            "item_ci_high": di.ci_high * len(item),
        }
    return out


def run(
    cfg: ExperimentConfig, *, run_root: Path, say: Callable[[str], None] = print, progress: bool = False
) -> dict[str, Any]:
    """The whole experiment; the result as a JSON-ready dict."""
    t0 = time.perf_counter()
    ev, train, tuned, policies = baselines(cfg, say)
    say(f"windows: train {[w.start for w in train]}, eval {ev.start}")
    evals = {name: ev for name in policies}
    extra_tuned = {}
    for f in cfg.extra_forecasters:
        ev_f, _, extra_tuned[f], more = baselines(replace(cfg, forecaster=f), say, suffix=f"@{f}")
        policies |= more
        evals |= dict.fromkeys(more, ev_f)
    t_train = time.perf_counter()
    if cfg.dbp_run is None:
        policies["directbackprop"], dbp_run = train_directbackprop(cfg, train, run_root, progress=progress)
    else:
        from restock.agents.training import load_policy

        policies["directbackprop"], dbp_run = load_policy(cfg.dbp_run), Path(cfg.dbp_run)
    evals["directbackprop"] = ev
    train_s = time.perf_counter() - t_train
    say(f"directbackprop: {dbp_run} ({train_s:.0f} s)")
    per_seed: dict[str, list[dict[str, np.ndarray]]] = {k: [] for k in policies}
    wql: dict[str, dict[str, float]] = {}
    by_key = {w.overrides: w for w in evals.values()}
    for k in range(cfg.eval_seeds):
        eps = {key: episode(w, eval_seed(k), cfg.paths) for key, w in by_key.items()}
        lead = [e.paths.lead_time for e in eps.values()]
        assert all(np.array_equal(lead[0], x) for x in lead), "the forecasters' episodes differ in lead times"
        for name, policy in policies.items():
            ep = eps[evals[name].overrides]
            per_seed[name].append(rollout(policy, ep))
            forecaster = ep.forecasts.model
            if forecaster not in wql:
                wql[forecaster] = forecast_wql(ep)
    return {
        "config": asdict(cfg),
        "windows": {"train": [w.start for w in train], "eval": ev.start, "horizon": ev.scenario.horizon},
        "items": list(tuned.tau_items),
        "tuned": asdict(tuned),
        "tuned_extra": {f: asdict(t) for f, t in extra_tuned.items()},
        "forecast_wql": wql,
        "directbackprop_run": str(dbp_run),
        "train_seconds": train_s,
        "seconds": time.perf_counter() - t0,
        "summary": summarize(per_seed),
        "directbackprop_vs": versus(per_seed, "directbackprop"),
        "per_seed_profit": {k: [float(t["reward"].mean(0).sum()) for t in v] for k, v in per_seed.items()},
    }


def markdown(result: dict[str, Any]) -> str:
    """The summary as a markdown table."""
    lines = [
        "| policy | profit | saving vs tuned newsvendor | 95% CI (seeds) | 95% CI (items) | fill rate |",
        "|---|---:|---:|---|---|---:|",
    ]
    for r in result["summary"]:
        if r["policy"] == REFERENCE:
            saving, ci, ci_items = "-", "-", "-"
        else:
            saving = f"{r['saving_vs_' + REFERENCE]:+,.0f} ({r['saving_pct']:+.2f}%)"
            ci = f"[{r['ci_low']:+,.0f}, {r['ci_high']:+,.0f}]"
            ci_items = f"[{r['item_ci_low']:+,.0f}, {r['item_ci_high']:+,.0f}]"
        lines.append(
            f"| {r['policy']} | {r['profit']:,.0f} | {saving} | {ci} | {ci_items} | {r['fill_rate']:.3f} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train-years", type=int, default=2)
    ap.add_argument("--eval-seeds", type=int, default=10)
    ap.add_argument("--paths", type=int, default=8)
    ap.add_argument("--tune-paths", type=int, default=16)
    ap.add_argument("--forecaster", default="quantile-forest")
    ap.add_argument("--set", action="append", default=[], help="scenario override for every window")
    ap.add_argument("--dbp", action="append", default=[], help="DirectBackprop option KEY=VALUE")
    ap.add_argument("--dbp-iterations", type=int, default=600)
    ap.add_argument("--dbp-run", default=None, help="evaluate this DirectBackprop run instead of training")
    ap.add_argument("--extra-forecasters", default="", help="comma-separated, e.g. ets")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--runs", default=str(ROOT / "runs" / "real-demand"))
    ap.add_argument("--json", default=None, help="also write the result JSON here")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (1: the rollouts are small)")
    ap.add_argument("--progress", action="store_true", help="DirectBackprop's progress lines")
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    from restock.scenarios.overrides import parse_override

    options = DBP_OPTIONS | {o.key: o.value for o in map(parse_override, args.dbp)}
    cfg = ExperimentConfig(
        forecaster=args.forecaster,
        overrides=tuple(args.set),
        train_years=args.train_years,
        tune_paths=args.tune_paths,
        eval_seeds=args.eval_seeds,
        paths=args.paths,
        dbp_options=options,
        dbp_iterations=args.dbp_iterations,
        dbp_run=args.dbp_run,
        extra_forecasters=tuple(f for f in args.extra_forecasters.split(",") if f),
        seed=args.seed,
        device=args.device,
    )
    result = run(
        cfg,
        run_root=Path(args.runs),
        say=lambda m: print(m, file=sys.stderr, flush=True),
        progress=args.progress,
    )
    text = json.dumps(result, indent=2, default=str)
    if args.json:
        from restock.io import write_text

        write_text(args.json, text)
    print(text)
    print(markdown(result), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
