"""Order recommendations for today (``restock recommend``, ``restock.recommend``).

``recommend(RecommendSpec("snapshot.csv", "sales.csv", policy="newsvendor"))`` reads a stock snapshot
(:mod:`restock.data.snapshot`: on-hand, open orders, lead times, prices and costs per SKU) and a daily
demand history (a ``--data`` spec, :func:`restock.data.load_panel`; a bare path is a long CSV), forecasts
demand from today on with a registered forecaster, and asks the policy what to order now. The answer is a
DataFrame, one row per snapshot row, in its order:

=========================  ===========================================================================
column                     meaning
=========================  ===========================================================================
``node``                   the snapshot's node (only when it has a node column)
``sku``                    the SKU (a series of the history)
``on_hand``                units on hand now, open orders due today included (they arrive first)
``open_orders_in_cover``   units of open orders due after today and within the cover (counted)
``open_orders_later``      units of open orders due after the cover (not counted: they arrive after the
                           order placed at the next review would, and count at a later review)
``inventory_position``     on_hand + open_orders_in_cover
``cover_days``             the protection interval: lead time + review period (7 days)
``demand_p10/p50/p90``     quantiles of demand over the cover (the forecaster's cumulative quantiles,
                           linear between whole weeks)
``target_level``           the order-up-to level: the newsvendor's quantile of demand over the cover, a
                           base-stock level; for a policy without one (a trained run, myopic, s-S, r-Q,
                           constant) the position after its order
``order_qty``              units to order today (>= 0; rounded up to whole units unless ``whole_units``
                           is off)
``expected_fill_rate``     expected sales / expected demand over the cover with stock at the position
                           after the order (= the target whenever an order is placed), from the forecast
                           distribution (below)
``reason``                 why nothing is ordered (e.g. ``inventory position 120 >= target 95``); blank
                           for an order
=========================  ===========================================================================

**Today and the history.** Today is ``today`` (``--today``) or, by default, the day after the history's
last date. The history must be daily; it is cut at the day before today (a ``--today`` inside the history
asks what would have been ordered then, from what was known then) and summed into weeks that end the day
before today, which the forecaster is fitted on and predicts from (cutoff: the last full week). A today
more than one day after the history's end is an error (the days between are unknown), and so is an open
order due before today.

**Defaults** of blank or absent snapshot cells (the economics of ``m5-tiny-replay``): ``price`` is the
SKU's last price in the history before today (an error if it has none), ``unit_cost`` 60% of the price,
``holding_cost`` 25% of the unit cost a year (/ 365 per day), ``lost_sale_penalty`` 0, ``lead_time``
:attr:`RecommendSpec.lead_time` days.

**Policies.** The decision is one review of a one-node world built from the snapshot (each snapshot row a
SKU of it; a deterministic lead time per row; review every 7 days) seen through the same
:class:`~restock.envs.observer.Observer` the simulator's policies read, so a policy decides here exactly
as it does in an evaluation:

* ``newsvendor`` (order up to the critical-fractile quantile of demand over the cover), ``myopic``;
* a tuned baseline (:data:`TUNED`: ``newsvendor-tuned``, ``base-stock``, ...), tuned by
  :func:`restock.agents.baselines.tuning.tune_episode`, the tuner of every evaluation, on the history
  itself (:func:`training_episode`: the last ``tune_weeks`` weeks before today replayed with the
  snapshot's lead times, prices and costs, forecasts rolling-origin from a model fitted on the weeks
  before them);
* a training run folder ``runs/<dir>`` (DirectBackprop or SB3: loaded as weights by
  :func:`restock.agents.training.load_policy`, observing through its own :class:`ObservationConfig`;
  period 0 of the world is today, so its ``horizon_left`` feature reads 1 and its seasonal features read
  the start of a year).

**Expected fill rate.** The demand over the cover is the distribution whose quantile function is the
forecast's cumulative quantiles, linear between its levels and flat beyond its lowest and highest levels;
expected sales at stock S are ``integral_0^1 min(Q(u), S) du`` (exact for that piecewise-linear Q,
:func:`expected_sales`), expected demand the same with S = inf. With no expected demand the fill rate is 1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from restock import io
from restock.data.snapshot import Snapshot, check_snapshot, read_snapshot
from restock.errors import InputError
from restock.forecasters.base import BAND_QUANTILES
from restock.scenarios.schema import MAX_LEAD_TIME, MAX_PERIODS, SCENARIO_QUANTILES

if TYPE_CHECKING:
    from restock.data.panel import DemandPanel
    from restock.envs.observer import Observer
    from restock.simulator.state import ReviewState

REVIEW_PERIOD = 7
"""Days between reviews: the cover of an order is its lead time plus this (weekly buying)."""
TUNED: tuple[str, ...] = ("newsvendor-tuned", "base-stock", "capped-base-stock", "s-S", "r-Q", "constant")
"""The tuned baselines :func:`recommend` takes (tuned on the replayed history, module docstring)."""
POLICIES: tuple[str, ...] = ("newsvendor", "myopic", *TUNED, "runs/<dir>")
"""The policy specs :func:`recommend` takes."""
DEFAULT_FORECASTER = "ets"
"""The forecaster of ``--forecaster`` (the best on m5-tiny's evaluation year, docs/real-demand.md)."""
COST_SHARE = 0.6
"""Default unit cost as a share of the price."""
HOLDING_PER_YEAR = 0.25
"""Default holding cost a year as a share of the unit cost (per day: / 365)."""
NODE = "store"
"""The name of the one node of the decision's world."""
DATA_KINDS = ("m5", "long", "wide", "carparts", "synthetic")
"""Prefixes of a ``--data`` spec (:func:`restock.data.load_panel`); a history without one is a long file."""


@dataclass(frozen=True)
class RecommendSpec:
    """What to recommend (checked on construction; errors name the command-line option)."""

    snapshot: str
    """The snapshot CSV (:mod:`restock.data.snapshot`)."""
    history: str
    """The daily demand history: a ``--data`` spec (``m5:DIR``, ``long:FILE``, ...) or a long CSV path."""
    policy: str = "newsvendor"
    """``newsvendor``, ``myopic`` or a training run folder (:data:`POLICIES`)."""
    forecaster: str = DEFAULT_FORECASTER
    """A registered forecaster (:func:`restock.forecasters.make`)."""
    today: str | None = None
    """ISO date of the decision; None: the day after the history's last date."""
    lead_time: int = 7
    """Lead time in days of rows whose ``lead_time`` cell is blank or absent."""
    quantiles: tuple[float, ...] = SCENARIO_QUANTILES
    """Quantile levels asked of the forecaster (strictly increasing in (0, 1))."""
    whole_units: bool = True
    """Round each order up to whole units (the policy's order otherwise, fractions and all)."""
    tune_weeks: int = 26
    """Weeks before today the tuned baselines are tuned on (the replayed history, module docstring)."""

    def __post_init__(self) -> None:
        if isinstance(self.lead_time, bool) or not isinstance(self.lead_time, int) or self.lead_time < 0:
            raise InputError(f"--lead-time {self.lead_time!r}: must be a whole number of days >= 0")
        if self.lead_time > MAX_LEAD_TIME:
            raise InputError(f"--lead-time {self.lead_time!r}: must be at most {MAX_LEAD_TIME} days")
        q = np.asarray(self.quantiles, dtype=np.float64)
        if q.ndim != 1 or len(q) < 2 or not np.all((q > 0) & (q < 1)) or np.any(np.diff(q) <= 0):
            raise InputError(
                f"quantiles {self.quantiles!r}: must be increasing levels in (0, 1), two or more"
            )
        if self.today is not None:
            parse_day(self.today, "--today")
        if isinstance(self.tune_weeks, bool) or not isinstance(self.tune_weeks, int) or self.tune_weeks < 1:
            raise InputError(f"--tune-weeks {self.tune_weeks!r}: must be a whole number of weeks >= 1")
        if self.tune_weeks > MAX_PERIODS // 7:
            raise InputError(f"--tune-weeks {self.tune_weeks!r}: must be at most {MAX_PERIODS // 7} weeks")
        from restock.forecasters.registry import names

        if self.forecaster not in names():
            raise InputError(f"--forecaster {self.forecaster!r}: unknown; known: {', '.join(names())}")


def parse_day(text: str, option: str) -> pd.Timestamp:
    """``YYYY-MM-DD`` as a day; anything else is an InputError naming ``option``."""
    try:
        day = pd.Timestamp(text)
        ok = not pd.isna(day) and day == day.normalize()
    except (ValueError, OverflowError):
        ok = False
    if not ok:
        raise InputError(f"{option} {text!r}: expected a date YYYY-MM-DD")
    return day


def history_spec(text: str) -> str:
    """``text`` as a ``--data`` spec: itself when it names a kind (``m5:``, ``long:``, ...), else a long
    file (``long:PATH``)."""
    kind = text.partition(":")[0]
    return text if kind in DATA_KINDS else f"long:{text}"


# --- the math ---------------------------------------------------------------------------------------
def expected_sales(levels: np.ndarray, values: np.ndarray, stock: np.ndarray) -> np.ndarray:
    """E[min(D, S)] [B] for D with quantiles ``values`` [B, Q] at ``levels`` [Q] and stock ``stock`` [B].

    The quantile function is linear between the levels and flat beyond the end levels (module docstring);
    the integral of its minimum with S is exact for it. ``stock`` = inf gives E[D]."""
    u = np.asarray(levels, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    s = np.asarray(stock, dtype=np.float64)[:, None]
    tails = u[0] * np.minimum(v[:, 0], s[:, 0]) + (1 - u[-1]) * np.minimum(v[:, -1], s[:, 0])
    va, vb, width = v[:, :-1], v[:, 1:], np.diff(u)[None, :]
    rise = vb - va
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(rise > 0, (s - va) / np.where(rise > 0, rise, 1.0), np.where(va <= s, 1.0, 0.0))
    f = np.clip(f, 0.0, 1.0)
    split = va + f * rise
    inner = width * (f * (va + split) / 2 + (1 - f) * np.where(np.isinf(s), 0.0, s))
    return tails + inner.sum(axis=1)


def fill_rate(levels: np.ndarray, values: np.ndarray, stock: np.ndarray) -> np.ndarray:
    """Expected sales / expected demand [B] at stock ``stock`` (1 where no demand is expected)."""
    sales = expected_sales(levels, values, stock)
    demand = expected_sales(levels, values, np.full(len(stock), np.inf))
    return np.where(demand > 0, sales / np.where(demand > 0, demand, 1.0), 1.0)


# --- the job ----------------------------------------------------------------------------------------
def resolve(policy: str) -> Any:
    """The policy named ``policy`` (:data:`POLICIES`), or the name of a tuned baseline (tuned later, on the
    history); anything else is an InputError naming it."""
    from restock.agents.baselines.newsvendor import MyopicPolicy, NewsvendorPolicy
    from restock.agents.specs import check_spec, is_run_spec

    spec = check_spec(policy)
    if spec == "newsvendor":
        return NewsvendorPolicy()
    if spec == "myopic":
        return MyopicPolicy()
    if spec in TUNED:
        return spec
    if is_run_spec(spec):
        from restock.agents.training import load_policy

        return load_policy(spec)
    raise InputError(f"--policy {spec!r}: recommend takes {', '.join(POLICIES)}")


def _history(spec: RecommendSpec, snapshot: Snapshot) -> tuple[DemandPanel, pd.Timestamp]:
    """The daily history of the snapshot's SKUs before today, and today (checked against each other)."""
    from restock.data import load_panel

    panel = load_panel(history_spec(spec.history))
    source = spec.history
    if panel.freq != "D":
        raise InputError(f"--history {source}: must be daily demand, got periods of {panel.freq!r}")
    last = pd.Timestamp(panel.dates.max())
    today = last + pd.Timedelta(days=1) if spec.today is None else parse_day(spec.today, "--today")
    if today > last + pd.Timedelta(days=1):
        raise InputError(
            f"--today {today.date()}: the history {source} ends on {last.date()}; today must be at most the "
            "day after it (the demand of the days between is unknown)"
        )
    check_snapshot(snapshot, set(panel.series_ids), today, source, MAX_LEAD_TIME)
    first = pd.Timestamp(panel.dates.min())
    if today - first < pd.Timedelta(days=2 * REVIEW_PERIOD):
        raise InputError(
            f"--today {today.date()}: the history {source} starts on {first.date()}; at least two weeks of "
            "history before today are needed"
        )
    cut = panel.until(today - pd.Timedelta(days=1)).subset(sorted(set(snapshot.sku)))
    return cut, today


def _economics(snapshot: Snapshot, history: DemandPanel, default_lead: int) -> dict[str, np.ndarray]:
    """Per row: price, unit_cost, holding_cost, lost_sale_penalty, lead_time (defaults filled in)."""
    out = {k: v.copy() for k, v in snapshot.numbers.items()}
    price = out["price"]
    if np.isnan(price).any():
        frame = history.frame
        last: dict[str, float] = {}
        if "price" in frame.columns:
            known = frame.dropna(subset=["price"]).sort_values("date")
            last = {str(k): float(v) for k, v in known.groupby("series_id")["price"].last().items()}
        for r in np.flatnonzero(np.isnan(price)):
            sku = snapshot.sku[r]
            if sku not in last:
                raise InputError(
                    f"{snapshot.where(int(r), 'price')}: blank, and the history has no price of {sku!r} "
                    "before today; give the price"
                )
            price[r] = float(last[sku])
    cost = np.where(np.isnan(out["unit_cost"]), COST_SHARE * price, out["unit_cost"])
    out["unit_cost"] = cost
    out["holding_cost"] = np.where(
        np.isnan(out["holding_cost"]), HOLDING_PER_YEAR * cost / 365.0, out["holding_cost"]
    )
    out["lost_sale_penalty"] = np.nan_to_num(out["lost_sale_penalty"], nan=0.0)
    out["lead_time"] = np.where(np.isnan(out["lead_time"]), float(default_lead), out["lead_time"])
    return out


def _state(snapshot: Snapshot, today: pd.Timestamp, cover: np.ndarray) -> tuple[Any, np.ndarray, np.ndarray]:
    """(ReviewState at period 0, units due in the cover [N], units due after it [N]).

    An open order due d days from today is pipeline index d - 1 if d < cover (d = 0: on hand)."""
    from restock.simulator.state import ReviewState

    n = snapshot.n_rows
    due = [[(int((o.arrival - today).days), o.quantity) for o in orders] for orders in snapshot.open_orders]
    k = max(int(np.max(cover, initial=0)) - 1, 1)  # only orders due within the cover enter the pipeline
    on_hand = snapshot.on_hand.astype(np.float64).copy()
    pipeline = np.zeros((n, k))
    later = np.zeros(n)
    for r, row in enumerate(due):
        for d, q in row:
            if d == 0:
                on_hand[r] += q
            elif d < cover[r]:
                pipeline[r, d - 1] += q
            else:
                later[r] += q
    state = ReviewState(
        t=0, on_hand=on_hand[None, None], backlog=np.zeros((1, 1, n)), pipeline=pipeline[None, None]
    )
    return state, pipeline.sum(axis=1), later


@dataclass(frozen=True)
class _Inputs:
    """What the decision and the tuning share: the snapshot's rows, economics, weekly history, model."""

    spec: RecommendSpec
    snapshot: Snapshot
    today: pd.Timestamp
    econ: dict[str, np.ndarray]
    daily: DemandPanel
    """The history of the snapshot's SKUs before today."""
    weekly: DemandPanel
    """The history in weeks that start on today's weekday (the last one ends yesterday)."""
    buckets: int
    """Weeks forecast ahead."""

    @property
    def lead(self) -> np.ndarray:
        return self.econ["lead_time"].astype(np.int64)

    def world(self, horizon: int, salvage: np.ndarray, initial: np.ndarray | None = None) -> Any:
        """The one-node world of the snapshot's rows (a deterministic lead time per row)."""
        from restock.simulator.world import Economics, LeadTime, Network, Node, Vendor, World

        keys, n, e = self.snapshot.keys, self.snapshot.n_rows, self.econ
        vendor = Vendor(
            "vendor",
            lead_time=LeadTime(value=int(self.lead[0])),
            lead_time_by_sku={k: LeadTime(value=int(v)) for k, v in zip(keys, self.lead, strict=True)},
        )
        economics = Economics(
            unit_cost=e["unit_cost"],
            holding_cost=e["holding_cost"],
            lost_sale_penalty=e["lost_sale_penalty"],
            fixed_order_cost=np.zeros(n),
            salvage_value=salvage,
        )
        return World(
            skus=keys,
            economics=economics,
            network=Network(vendors=(vendor,), nodes=(Node(NODE, "vendor"),)),
            horizon=horizon,
            review_period=REVIEW_PERIOD,
            initial_on_hand=initial,
        )

    def table(self, model: Any, starts: Sequence[pd.Timestamp]) -> Any:
        """The forecast table of reviews on the days ``starts`` (every 7 days), from the fitted ``model``
        asked at the week before each."""
        from restock.scenarios.forecast import node_table, rolling_rows

        week = pd.Timedelta(days=REVIEW_PERIOD)
        levels = np.asarray(self.spec.quantiles, dtype=np.float64)
        cutoffs = [d - week for d in starts]
        rows = rolling_rows(
            model, self.weekly, cutoffs, self.snapshot.sku, self.buckets, self.buckets, levels
        )
        reviews = REVIEW_PERIOD * np.arange(len(starts))
        return node_table(
            self.spec.forecaster, levels, *rows, reviews, self.snapshot.keys, NODE, REVIEW_PERIOD
        )


def _inputs(spec: RecommendSpec, snapshot: Snapshot, obs_config: Any) -> _Inputs:
    """The history, today and the economics of ``spec``'s snapshot (checked against each other)."""
    from restock.data import aggregate

    history, today = _history(spec, snapshot)
    econ = _economics(snapshot, history, spec.lead_time)
    weekly = aggregate(history, f"W-{today.day_name()[:3].upper()}")
    missing = sorted(set(snapshot.sku) - set(weekly.series_ids))
    if missing:
        raise InputError(
            f"--history {spec.history}: series {missing[:5]} have no full week of history before today "
            f"({today.date()})"
        )
    longest = int(econ["lead_time"].max()) + REVIEW_PERIOD
    buckets = max(math.ceil(longest / REVIEW_PERIOD), obs_config.n_forecast_buckets)
    return _Inputs(spec, snapshot, today, econ, history, weekly, buckets)


def _observer(inputs: _Inputs, obs_config: Any) -> Observer:
    """The observer of the snapshot's world at period 0 = today (module docstring)."""
    from restock.envs.observer import Observer
    from restock.forecasters import make

    model = make(inputs.spec.forecaster).fit(inputs.weekly)
    table = inputs.table(model, [inputs.today])
    n = inputs.snapshot.n_rows
    world = inputs.world(REVIEW_PERIOD, np.zeros(n))
    price = np.broadcast_to(inputs.econ["price"], (1, REVIEW_PERIOD, n))
    return Observer(world, price, table, 0, obs_config)


def training_episode(inputs: _Inputs) -> Any:
    """The episode a tuned baseline is tuned on: the last ``tune_weeks`` weeks before today replayed (the
    history's demand, the snapshot's lead times and prices, one path), reviews weekly from its first day,
    forecasts rolling-origin from a model fitted on the weeks before it; the stock at its start is the mean
    demand of its 4 weeks before over each row's cover, the stock at its end is worth its unit cost (a
    business that goes on: no run-down at the end)."""
    from restock.agents.evaluate import Episode
    from restock.forecasters import make
    from restock.simulator.paths import ExogenousPaths

    spec, snap = inputs.spec, inputs.snapshot
    week = pd.Timedelta(days=REVIEW_PERIOD)
    start = inputs.today - spec.tune_weeks * week
    if start - 4 * week < inputs.weekly.dates.min():
        raise InputError(
            f"--tune-weeks {spec.tune_weeks}: the tuned baseline replays the {spec.tune_weeks} weeks before "
            f"{inputs.today.date()} and needs 4 weeks of history before them (from "
            f"{(start - 4 * week).date()}); the history {spec.history} starts on "
            f"{inputs.weekly.dates.min().date()}"
        )
    before = inputs.weekly.until(start - week)
    model = make(spec.forecaster).fit(before)
    starts = [start + k * week for k in range(spec.tune_weeks)]
    table = inputs.table(model, starts)
    days = pd.date_range(start, inputs.today - pd.Timedelta(days=1), freq="D")
    daily = (
        inputs.daily.frame.pivot_table(index="date", columns="series_id", values="demand", aggfunc="sum")
        .reindex(index=days, columns=sorted(set(snap.sku)))
        .fillna(0.0)
    )
    demand = daily[list(snap.sku)].to_numpy(dtype=np.float64)  # [T, N]
    t, n = demand.shape
    weekly_mean = before.frame[before.frame["date"] >= start - 4 * week].groupby("series_id")["demand"].mean()
    cover = inputs.lead + REVIEW_PERIOD
    initial = (weekly_mean.reindex(list(snap.sku)).fillna(0.0).to_numpy() / REVIEW_PERIOD) * cover
    world = inputs.world(t, inputs.econ["unit_cost"], initial[None, :])
    paths = ExogenousPaths(
        demand=demand[None, :, None, :],
        lead_time=np.broadcast_to(inputs.lead, (1, t, 1, n)).astype(np.int64),
        fill_rate=np.ones((1, t, 1, n)),
        capacity=np.full((t, 1, n), np.inf),
        price=np.broadcast_to(inputs.econ["price"], (1, t, n)).astype(np.float64),
    )
    return Episode(world, paths, table, 0)


def _decide(policy: Any, observer: Observer, state: ReviewState) -> tuple[np.ndarray, np.ndarray]:
    """(orders [N], order-up-to levels [N]) of ``policy`` at ``state``."""
    from restock.agents.policy import NetworkPolicy, Policy, SourcingPolicy, checked_orders

    name = str(getattr(policy, "name", "policy"))
    if isinstance(policy, Policy):
        orders = checked_orders(name, policy.act(observer, state), observer.size, 0)
    elif isinstance(policy, NetworkPolicy) and not isinstance(policy, SourcingPolicy):
        orders = checked_orders(name, policy.act_network([observer], state)[0], observer.size, 0)
    else:
        raise InputError(f"--policy {name!r} orders from several vendors; a snapshot has one per SKU")
    levels = getattr(policy, "levels", None)
    if callable(levels):
        return orders, np.asarray(levels(observer, state), dtype=np.float64)
    return orders, observer.position(state) + orders


def _reason(order: float, position: float, target: float, has_level: bool) -> str:
    if order > 0:
        return ""
    if has_level:
        return f"inventory position {position:g} >= target {target:.4g}"
    return f"the policy orders nothing at inventory position {position:g}"


def recommend(spec: RecommendSpec) -> pd.DataFrame:
    """Today's orders for every row of the snapshot (see the module docstring)."""
    from restock.envs.features import ObservationConfig, interp_quantiles

    snapshot = read_snapshot(spec.snapshot)
    policy = resolve(spec.policy)
    obs_config = getattr(policy, "observation_config", None) or ObservationConfig()
    inputs = _inputs(spec, snapshot, obs_config)
    if isinstance(policy, str):
        from restock.agents.baselines.tuning import tune_episode

        policy, _ = tune_episode(policy, training_episode(inputs))
    observer = _observer(inputs, obs_config)
    state, in_cover, later = _state(snapshot, inputs.today, observer.lt_periods)
    orders, target = _decide(policy, observer, state)
    if spec.whole_units:
        orders = np.maximum(np.ceil(orders - 1e-9), 0.0) + 0.0  # + 0.0: no -0
    position = observer.position(state)
    _, cum = observer.forecast_rows(0)  # [N, Q] over lead time + review period
    band = np.stack([interp_quantiles(observer.levels, cum, q) for q in BAND_QUANTILES], axis=1)
    fill = fill_rate(observer.levels, cum, position + orders)
    has_level = callable(getattr(policy, "levels", None))
    columns: dict[str, Any] = {}
    if snapshot.node is not None:
        columns["node"] = list(snapshot.node)
    columns |= {
        "sku": list(snapshot.sku),
        "on_hand": state.on_hand[0, 0],
        "open_orders_in_cover": in_cover,
        "open_orders_later": later,
        "inventory_position": position,
        "cover_days": observer.lt_periods,
        **{f"demand_p{round(q * 100)}": band[:, i] for i, q in enumerate(BAND_QUANTILES)},
        "target_level": target,
        "order_qty": orders,
        "expected_fill_rate": fill,
        "reason": [
            _reason(float(o), float(p), float(t), has_level)
            for o, p, t in zip(orders, position, target, strict=True)
        ],
    }
    return pd.DataFrame(columns)


def recommend_to(spec: RecommendSpec, out: str | Path | None = None) -> pd.DataFrame:
    """:func:`recommend`, and the orders written to ``out`` (CSV or Parquet, atomically) when given; an
    ``out`` that cannot be written is refused before any work."""
    if out is not None:
        dest = io.check_writable(out, "--out")
        if dest.suffix.lower() not in (".csv", ".parquet"):
            raise InputError(f"--out {dest}: expected a .csv or .parquet file")
    frame = recommend(spec)
    if out is not None:
        io.write_frame(out, frame)
    return frame
