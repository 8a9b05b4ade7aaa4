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

Issue 15's pooled run (docs/real-demand.md, "Pooled learning on all of the real data")::

    PYTHONPATH=. nice .venv/bin/python benchmarks/m5_real_demand.py --all-stores --pooled --capped-base-stock

``--all-stores``: every series of the data (280: the 28 items in the 10 stores of m5-tiny) instead of the
scenario's 28 items of CA_1; ``--pooled``: DirectBackprop trains one network on every training year
(``agent.train_scenarios``: training draw j is of year ``j mod years``, each year with its own items); the
checkpoints are still chosen on held-out lead times of the latest training year; ``--capped-base-stock``:
also the capped base-stock tuned by :func:`restock.agents.baselines.tuning.tune` on the latest training
year. Without these flags the run is issue 6's, unchanged. Besides the table the JSON holds
``directbackprop_against``: DirectBackprop against the best baseline (the highest evaluation profit), the
horizon-aware tuned newsvendor and the capped base-stock, over the year, over each quarter (13 weeks;
the stock on hand at its first review and at the next quarter's valued at unit cost, so that the quarters
add up to the year minus the initial stock), over the window cut after three quarters (period 273, the
stock then valued at cost, ``cut-cost``, or at its salvage value, ``cut-salvage``), each paired over seeds
and over items, and the decomposition of the year's difference into the money flows and the stock left.

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
    end_offset: int = 0
    """Days between the evaluation window's last day and the data's: every window moves back by this much
    (0: the evaluation year ends with the data)."""
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
    all_stores: bool = False
    """Every series of the data (m5-tiny: 280, the 28 items in all 10 stores) instead of the scenario's
    ``catalog.skus`` (the 28 items of CA_1)."""
    pooled: bool = False
    """DirectBackprop trains on every training window (``agent.train_scenarios``, one per year, each with
    its own items) instead of the latest one only."""
    capped_base_stock: bool = False
    """Also evaluate the capped base-stock tuned by :func:`restock.agents.baselines.tuning.tune` on the
    latest training window (``capped-base-stock``)."""
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


def stores(cfg: ExperimentConfig) -> tuple[str, ...]:
    """The overrides that select every series of the data (``all_stores``), else none."""
    if not cfg.all_stores:
        return ()
    from restock.data import load_panel

    n = len(load_panel(cfg.data).series_ids)
    return ("catalog.skus=[]", f"catalog.n_skus={n}")


def windows(cfg: ExperimentConfig) -> tuple[Window, list[Window]]:
    """(evaluation window, training windows oldest first): consecutive ``horizon``-long windows.

    A training window keeps only the items that are on sale (have a price) before its end, the evaluation
    window those on sale before it starts.
    """
    base = (f"forecast.model={cfg.forecaster}", f'demand.source="{cfg.data}"', *stores(cfg), *cfg.overrides)
    default = load(cfg.scenario, list(base))
    catalog = draw(default, 0, 1).catalog
    dates, panel = catalog.dates, catalog.panel
    assert dates is not None and panel is not None
    eval_start = pd.Timestamp(dates[default.warmup]) - pd.Timedelta(days=cfg.end_offset)
    out = []
    for k in range(cfg.train_years, -1, -1):
        start = eval_start - pd.Timedelta(days=k * default.horizon)
        overrides = (*base, f'demand.start="{start.date().isoformat()}"')
        # a training window keeps the items on sale before it ends, the evaluation those on sale before it
        # starts (so that every policy was tuned on them: m5-tiny's FOODS_2_096_CA_2 is first sold later)
        end = start + pd.Timedelta(days=default.horizon if k else 0)
        items = priced_items(panel, catalog.skus, end)
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
QUARTERS = 4
"""The evaluation year cut into this many equal parts (13 weeks each of 364 days) for the rolling view."""


def quarter_of(t: int, horizon: int) -> int:
    """The quarter (0 .. QUARTERS - 1) that period ``t`` of a ``horizon``-long window falls in."""
    return min(t * QUARTERS // horizon, QUARTERS - 1)


def valued_quarters(flows: np.ndarray, stock_value: np.ndarray) -> np.ndarray:
    """[Q, ...] profit of each quarter with the stock valued at cost at both ends: the quarter's reward
    ``flows`` [Q, ...] plus the value of the stock on hand at its end minus that at its start
    (``stock_value`` [Q + 1, ...]; the last quarter's end stock is salvaged inside its flows, so its end
    value counts 0). The quarters add up to the year's profit minus the value of the initial stock."""
    end = stock_value[1:].copy()
    end[-1] = 0.0
    return flows + end - stock_value[:-1]


def rollout(policy: Any, ep: Episode) -> dict[str, np.ndarray]:
    """Run ``policy`` over the episode with the batch engine; totals [P, N] of every KPI key, the flows of
    each quarter ``q_<key>`` [Q, P, N] of every money key, ``stock_value`` [Q + 1, P, N] (on hand at the
    first review of each quarter and the stock salvaged at the end, valued at unit cost; ``stock_salvage``
    the same at the salvage value) and ``end_stock`` [P, N] the units salvaged at the end (on hand after
    the last period's demand; 0 where the salvage value is 0)."""
    if isinstance(policy, CoverBaseStock):
        policy = policy.for_episode(ep)
    obs = (
        getattr(policy, "observation_config", None)
        or getattr(policy, "obs_config", None)
        or ObservationConfig()
    )
    observer = Observer(ep.world, ep.paths.price, ep.forecasts, 0, obs)
    engine = BatchEngine(ep.world, ep.paths, record=False)
    horizon, cost = ep.world.horizon, ep.world.economics.unit_cost
    p, n = ep.paths.demand.shape[0], ep.world.n_skus
    quarters = {k: np.zeros((QUARTERS, p, n)) for k in CASH_KEYS}
    stock = np.zeros((QUARTERS + 1, p, n))
    first = [True]

    def on_step(state: ReviewState, orders: Any, flows: dict[str, Any], nxt: ReviewState) -> None:
        q = quarter_of(state.t, horizon)
        if first.pop() if first else False:
            stock[0] = to_numpy(state.on_hand)[:, 0] * cost  # at the first review
        for k in CASH_KEYS:
            quarters[k][q] += to_numpy(flows[k])[:, 0]
        if not nxt.terminal and quarter_of(nxt.t, horizon) > q:
            stock[q + 1] = to_numpy(nxt.on_hand)[:, 0] * cost

    out = run_engine(engine, engine_rule(policy, [observer]), keys=KPI_KEYS, on_step=on_step)
    totals = {k: to_numpy(out.totals[k])[:, 0] for k in KPI_KEYS}
    for k in CASH_KEYS:  # the periods before the first review (none with review_offset 0) are quarter 0's
        if k in engine.initial_totals:
            quarters[k][0] += to_numpy(engine.initial_totals[k])[:, 0]
    salvage = ep.world.economics.salvage_value
    end = np.divide(totals["salvage"], salvage, out=np.zeros_like(totals["salvage"]), where=salvage > 0)
    stock[-1] = end * cost
    return {
        **totals,
        **{f"q_{k}": v for k, v in quarters.items()},
        "stock_value": stock,
        "stock_salvage": stock * (salvage / np.maximum(cost, 1e-300)),
        "end_stock": end,
    }


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
    """Train DirectBackprop with ``restock.agents.training`` on the latest training window, or with
    ``pooled`` on every training window (``agent.train_scenarios``; checkpoints still chosen on held-out
    lead times of the latest window); (its policy, its run folder)."""
    from restock.agents.training import TrainSpec, load_policy
    from restock.agents.training import train as train_agent

    window = train[-1]
    options = dict(cfg.dbp_options)
    if cfg.pooled:
        options["train_scenarios"] = [list(w.overrides) for w in train]
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
        options=options,
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
            "penalty_cost": total("penalty_cost"),
            "salvage": total("salvage"),
            "end_stock_at_cost": float(np.mean([t["stock_value"][-1].mean(0).sum() for t in runs])),
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


def capped_base_stock(
    cfg: ExperimentConfig, window: Window, items: Sequence[str], say: Callable[[str], None]
) -> BaseStockPolicy:
    """The capped base-stock (level S and cap r per item) tuned by
    :func:`restock.agents.baselines.tuning.tune` on the latest training window (its training seeds 0 and
    1, ``tune_paths / 4`` paths each: its grid runs every candidate at once)."""
    from restock.agents.baselines.tuning import TuningConfig
    from restock.agents.baselines.tuning import tune as tune_baseline

    t0 = time.perf_counter()
    config = TuningConfig(train_seeds=2, n_paths=max(1, cfg.tune_paths // 4))
    policy, _ = tune_baseline("capped-base-stock", window.scenario, seed=0, config=config)
    skus = list(draw(window.scenario, 0, 1).world.skus)
    if skus != list(items):
        raise SystemExit("capped-base-stock: the training window's items differ from the evaluation's")
    say(f"capped-base-stock tuned on {window.start} ({time.perf_counter() - t0:.0f} s)")
    return policy


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
    out = dict(zip(names, policies, strict=True))
    if cfg.capped_base_stock and not suffix:  # it reads no forecast: the same policy for every forecaster
        out[f"capped-base-stock{suffix}"] = capped_base_stock(cfg, train[-1], items, say)
    return ev, train, tuned, out


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
    profits = {k: np.mean([t["reward"].mean(0).sum() for t in v]) for k, v in per_seed.items()}
    best = max((k for k in profits if k != "directbackprop"), key=lambda k: profits[k])
    compare = list(
        dict.fromkeys([best, "newsvendor-tuned-horizon", *(["capped-base-stock"] * cfg.capped_base_stock)])
    )
    return {
        "config": asdict(cfg),
        "best_baseline": best,
        "directbackprop_against": against(per_seed, "directbackprop", compare),
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


Runs = list[dict[str, np.ndarray]]
Measure = Callable[[dict[str, np.ndarray]], np.ndarray]
"""A figure of one evaluation draw per path and item [P, N] (e.g. its profit)."""


def paired(mine: Runs, other: Runs, measure: Measure) -> dict[str, float]:
    """``measure`` of ``mine`` minus ``other``: the mean (a year, summed over items), paired over the
    evaluation seeds (per seed: mean over paths, summed over items) and over the items (per item: mean
    over paths and seeds; the CI scaled to the total), with Student-t 95% CIs."""
    a = np.array([measure(t).mean(0) for t in mine])  # [seeds, N]
    b = np.array([measure(t).mean(0) for t in other])
    d = paired_difference(a.sum(1), b.sum(1))
    di = paired_difference(a.mean(0), b.mean(0))
    n = a.shape[1]
    return {
        "mean": d.mean,
        "pct": 100.0 * d.relative,
        "ci_low": d.ci_low,
        "ci_high": d.ci_high,
        "item_ci_low": di.ci_low * n,
        "item_ci_high": di.ci_high * n,
        "items_better": int((a.mean(0) > b.mean(0) + 1e-9).sum()),
        "items": n,
    }


DECOMPOSITION = ("revenue", "purchase_cost", "holding_cost", "penalty_cost", "fixed_order_cost", "salvage")


def decomposition(mine: Runs, other: Runs) -> dict[str, float]:
    """Mean difference (a year, summed over items) of every money flow, and of the stock on hand at the
    horizon in units and at cost; profit = revenue + salvage - the costs."""

    def mean(runs: Runs, key: str) -> float:
        return float(np.mean([t[key].mean(0).sum() for t in runs]))

    out = {k: mean(mine, k) - mean(other, k) for k in (*DECOMPOSITION, "reward")}
    out["end_stock_units"] = mean(mine, "end_stock") - mean(other, "end_stock")
    out["end_stock_at_cost"] = float(
        np.mean([t["stock_value"][-1].mean(0).sum() for t in mine])
        - np.mean([t["stock_value"][-1].mean(0).sum() for t in other])
    )
    return out


def quarter_measures(cut: int) -> dict[str, Measure]:
    """Each quarter's profit with its stock valued at cost at both ends (:func:`valued_quarters`), and the
    window cut after ``cut`` quarters with the stock then valued at cost (``cut-cost``) or at its salvage
    value (``cut-salvage``) instead of running to the horizon."""

    def quarter(q: int) -> Measure:
        return lambda t: valued_quarters(t["q_reward"], t["stock_value"])[q]

    out = {f"q{q + 1}": quarter(q) for q in range(QUARTERS)}
    out["cut-cost"] = lambda t: t["q_reward"][:cut].sum(0) + t["stock_value"][cut] - t["stock_value"][0]
    out["cut-salvage"] = lambda t: t["q_reward"][:cut].sum(0) + t["stock_salvage"][cut] - t["stock_value"][0]
    return out


def against(per_seed: dict[str, Runs], policy: str, baselines: Sequence[str]) -> dict[str, Any]:
    """``policy`` against each of ``baselines``: the year, each valued quarter, the window cut after three
    quarters, and the decomposition of the year's difference."""
    measures = {"year": lambda t: t["reward"], **quarter_measures(QUARTERS - 1)}
    return {
        b: {
            **{m: paired(per_seed[policy], per_seed[b], f) for m, f in measures.items()},
            "decomposition": decomposition(per_seed[policy], per_seed[b]),
        }
        for b in baselines
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


def against_markdown(result: dict[str, Any]) -> str:
    """DirectBackprop against the strongest baselines: the year, its quarters, the cut window, and the
    decomposition of the year's difference, as markdown tables."""
    lines = [
        "| baseline | window | DirectBackprop minus baseline | 95% CI (seeds) | 95% CI (items) "
        "| items better |",
        "|---|---|---:|---|---|---:|",
    ]
    for b, res in result["directbackprop_against"].items():
        for m, r in res.items():
            if m == "decomposition":
                continue
            ci = f"[{r['ci_low']:+,.0f}, {r['ci_high']:+,.0f}]"
            ci_items = f"[{r['item_ci_low']:+,.0f}, {r['item_ci_high']:+,.0f}]"
            lines.append(
                f"| {b} | {m} | {r['mean']:+,.0f} ({r['pct']:+.2f}%) | {ci} | {ci_items} "
                f"| {r['items_better']}/{r['items']} |"
            )
    keys = (*DECOMPOSITION, "reward", "end_stock_units", "end_stock_at_cost")
    lines += ["", "| baseline | " + " | ".join(keys) + " |", "|---|" + "---:|" * len(keys)]
    for b, res in result["directbackprop_against"].items():
        d = res["decomposition"]
        lines.append(f"| {b} | " + " | ".join(f"{d[k]:+,.0f}" for k in keys) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train-years", type=int, default=2)
    ap.add_argument("--end-offset", type=int, default=0, help="days from the evaluation's end to the data's")
    ap.add_argument("--eval-seeds", type=int, default=10)
    ap.add_argument("--paths", type=int, default=8)
    ap.add_argument("--tune-paths", type=int, default=16)
    ap.add_argument("--forecaster", default="quantile-forest")
    ap.add_argument("--set", action="append", default=[], help="scenario override for every window")
    ap.add_argument("--dbp", action="append", default=[], help="DirectBackprop option KEY=VALUE")
    ap.add_argument("--dbp-iterations", type=int, default=600)
    ap.add_argument("--dbp-run", default=None, help="evaluate this DirectBackprop run instead of training")
    ap.add_argument("--all-stores", action="store_true", help="every series of the data (280), not CA_1's 28")
    ap.add_argument("--pooled", action="store_true", help="DirectBackprop trains on every training window")
    ap.add_argument("--capped-base-stock", action="store_true", help="also the tuned capped base-stock")
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
        end_offset=args.end_offset,
        tune_paths=args.tune_paths,
        eval_seeds=args.eval_seeds,
        paths=args.paths,
        dbp_options=options,
        dbp_iterations=args.dbp_iterations,
        dbp_run=args.dbp_run,
        all_stores=args.all_stores,
        pooled=args.pooled,
        capped_base_stock=args.capped_base_stock,
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
    print(against_markdown(result), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
