"""The forecast table of a scenario draw: demand quantiles at every review, as arrays.

At review r (period ``review_periods[r]``) the table holds, per path, node and SKU:

* ``per_bucket[p, r, m, n, h, q]``: the ``quantiles[q]`` quantile of demand in bucket h, the periods
  ``t + h*B .. t + (h+1)*B - 1`` with B = ``bucket_length`` (the review period);
* ``cumulative[p, r, m, n, k, q]``: the quantile of demand summed over the next ``cover[k]`` periods
  ``t .. t + cover[k] - 1`` (what a newsvendor needs over lead time + review period; a sum's quantile is
  not the sum of quantiles).

Demand "at" a node that is not customer-facing is the demand of the customer-facing nodes it feeds.
Arrays whose forecasts do not depend on the path or the review (stationary demand) keep a size-1 axis
there; readers index through :meth:`ScenarioForecast.cumulative_quantiles`, which broadcasts.

Interpolation (documented, used by every reader): between quantile levels, linear in tau; a tau outside
[quantiles[0], quantiles[-1]] is an error (never a silent clip). Between cumulative horizons, linear in
the horizon, with 0 units at horizon 0; a horizon beyond ``cover[-1]`` is an error.

Models:

* ``"true"`` (stationary demand): exact quantiles of the base model, the same at every review and on
  every path (demand is i.i.d.): a sum of k Poisson(mu) is Poisson(k mu); a sum of k negative binomials
  with the same variance-to-mean ratio is negative binomial with k times the size; a sum of censored
  normals is none of these: its quantiles come from a discretized convolution over every period and
  every customer-facing node served (:func:`restock.scenarios.censored_normal.window_quantiles`, exact
  up to a documented grid error of a few 1e-4 standard deviations). The true model does not foresee
  shocks: like any forecaster, it is surprised by them. With ``forecast.foresee = true`` it knows the
  shocked demand rates in advance (a known season, a planned promotion or launch) and gives the exact
  quantiles of the shocked sums at every review (periods past the horizon at the base rate).
* a registered forecaster (data demand): fitted once on the history before period 0 in buckets of
  ``review_period`` periods, then asked rolling-origin at every review (using only demand up to the
  review), see :func:`_forecaster_table`. Its cumulative quantiles are on whole buckets
  (``cover = B, 2B, ...``) and interpolated in between. With ``forecast.history = "sales"`` it reads
  the sales of a reference policy's warm-up run and their stock-out flags instead of the demand
  (:mod:`restock.scenarios.sales`, docs/censoring.md). Replayed data that carries the ``in_stock``
  availability column is read as sales with those flags.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from restock.data.panel import AVAILABILITY_COLUMN, DemandPanel
from restock.errors import InputError
from restock.forecasters import Forecaster, make
from restock.forecasters.base import QuantileForecast
from restock.scenarios import censored_normal
from restock.scenarios.build import ScenarioDraw, catalog_mu, own_shares, served_matrix
from restock.scenarios.cache import ScenarioCache, freeze
from restock.scenarios.catalog import cover_periods
from restock.scenarios.counts import level_quantiles, pmf_sum_quantiles
from restock.scenarios.sales import warmup_sales
from restock.scenarios.schema import Scenario


@dataclass(frozen=True)
class ScenarioForecast:
    """Rolling-origin demand quantiles of one scenario draw (see the module docstring)."""

    model: str
    """The forecaster ("true" or a registered name)."""
    review_periods: np.ndarray
    """[R] the period of each review."""
    quantiles: np.ndarray
    """[Q] quantile levels, strictly increasing."""
    nodes: tuple[str, ...]
    skus: tuple[str, ...]
    bucket_length: int
    """Periods per bucket of ``per_bucket``."""
    per_bucket: np.ndarray
    """[P or 1, R or 1, M, N, H, Q]."""
    cover: np.ndarray
    """[K] cumulative horizons in periods, increasing, >= 1."""
    cumulative: np.ndarray
    """[P or 1, R or 1, M, N, K, Q]."""

    def __post_init__(self) -> None:
        for name in ("per_bucket", "cumulative"):
            arr = getattr(self, name)
            if arr.ndim != 6 or arr.shape[2:4] != (len(self.nodes), len(self.skus)):
                raise ValueError(f"ScenarioForecast.{name} has shape {arr.shape}")
            if arr.shape[1] not in (1, len(self.review_periods)):
                raise ValueError(f"ScenarioForecast.{name} has {arr.shape[1]} reviews")
        if np.any(np.diff(self.cumulative, axis=-1) < -1e-9):
            raise ValueError("ScenarioForecast.cumulative: quantiles cross")

    @property
    def n_reviews(self) -> int:
        return len(self.review_periods)

    def review_index(self, t: int) -> int:
        """The index of the review in period ``t`` (an error if ``t`` is not a review)."""
        idx = np.flatnonzero(self.review_periods == t)
        if idx.size == 0:
            raise InputError(f"forecast table: period {t} is not a review period")
        return int(idx[0])

    def _rows(self, arr: np.ndarray, review: int) -> np.ndarray:
        if not 0 <= review < self.n_reviews:
            raise InputError(f"forecast table: review index {review} outside [0, {self.n_reviews})")
        return arr[:, review if arr.shape[1] > 1 else 0]

    def cumulative_quantiles(
        self, review: int, horizon: float | np.ndarray, tau: float | np.ndarray
    ) -> np.ndarray:
        """Quantile ``tau`` of demand over the next ``horizon`` periods at review index ``review``.

        ``horizon`` and ``tau`` broadcast against [P, M, N] (scalars, [N], [M, N] or [P, M, N]); the
        result has shape [P or 1, M, N] broadcast with them. Cheap: two gathers and a blend per axis.
        """
        rows = self._rows(self.cumulative, review)  # [P', M, N, K, Q]
        tau_arr = np.asarray(tau, dtype=np.float64)
        h = np.asarray(horizon, dtype=np.float64)
        lo, hi = self.quantiles[0], self.quantiles[-1]
        if np.any(tau_arr < lo - 1e-12) or np.any(tau_arr > hi + 1e-12):
            raise InputError(f"forecast table: tau {tau!r} outside the table's levels [{lo}, {hi}]")
        if np.any(h < 0) or np.any(h > self.cover[-1]):
            raise InputError(
                f"forecast table: horizon {horizon!r} outside [0, {int(self.cover[-1])}] periods"
            )
        shape = np.broadcast_shapes(rows.shape[:3], tau_arr.shape, h.shape)
        # quantile axis: position of tau among the levels
        qpos = np.interp(tau_arr, self.quantiles, np.arange(len(self.quantiles)))
        q0 = np.minimum(np.floor(qpos).astype(np.int64), max(len(self.quantiles) - 2, 0))
        qw = qpos - q0
        q1 = np.minimum(q0 + 1, len(self.quantiles) - 1)
        # horizon axis: cover with a 0 prepended
        cover = np.concatenate([[0.0], self.cover.astype(np.float64)])
        kpos = np.interp(h, cover, np.arange(len(cover)))
        k0 = np.minimum(np.floor(kpos).astype(np.int64), len(cover) - 2)
        kw = kpos - k0
        k1 = k0 + 1
        padded = np.concatenate([np.zeros((*rows.shape[:3], 1, rows.shape[4])), rows], axis=3)
        p_i, m_i, n_i = np.indices(shape, sparse=True)
        p_i = p_i if rows.shape[0] > 1 else np.zeros_like(p_i)
        k0b, k1b, kwb = (np.broadcast_to(a, shape) for a in (k0, k1, kw))
        q0b, q1b, qwb = (np.broadcast_to(a, shape) for a in (q0, q1, qw))

        def at(k: np.ndarray) -> np.ndarray:
            v0 = padded[p_i, m_i, n_i, k, q0b]
            v1 = padded[p_i, m_i, n_i, k, q1b]
            return v0 * (1 - qwb) + v1 * qwb

        return at(k0b) * (1 - kwb) + at(k1b) * kwb

    def cumulative_quantile(
        self, path: int, review: int, sku: int, horizon: float, tau: float, node: int = 0
    ) -> float:
        """One value of :meth:`cumulative_quantiles`: (path, review index, SKU, horizon in periods, tau)."""
        out = self.cumulative_quantiles(review, horizon, tau)
        return float(out[path if out.shape[0] > 1 else 0, node, sku])

    def cumulative_by_bucket(self, buckets: int | None = None) -> np.ndarray:
        """[P or 1, R or 1, M, N, H, Q]: quantiles of demand summed over the next h+1 buckets (h < H).

        Read at covers ``B, 2B, .., H*B`` periods (exact where the table stores them, else interpolated
        in the horizon as documented). ``buckets`` defaults to the per-bucket horizon H.
        """
        h = self.per_bucket.shape[4] if buckets is None else buckets
        covers = self.bucket_length * np.arange(1, h + 1)
        if covers[-1] > self.cover[-1]:
            raise InputError(
                f"forecast table: {h} buckets of {self.bucket_length} periods exceed the longest cumulative "
                f"horizon {int(self.cover[-1])} (raise forecast.max_cover)"
            )
        rows = np.concatenate(
            [np.zeros((*self.cumulative.shape[:4], 1, self.cumulative.shape[5])), self.cumulative], 4
        )
        grid = np.concatenate([[0], self.cover])
        j = np.searchsorted(grid, covers)  # grid[j-1] < cover <= grid[j]
        w = (covers - grid[j - 1]) / (grid[j] - grid[j - 1])
        return rows[:, :, :, :, j - 1] * (1 - w[:, None]) + rows[:, :, :, :, j] * w[:, None]

    def realized_buckets(self, demand: np.ndarray) -> np.ndarray:
        """[P, R, M, N, H] demand realized in every bucket of every review's rows: ``demand`` [P, T, M, N]
        (demand at or below each node, :func:`served_rate`) summed over the bucket's periods; NaN for a
        bucket that ends after period T - 1 (past the horizon: not yet realized)."""
        d = np.asarray(demand, dtype=np.float64)
        n_periods, b, h = d.shape[1], self.bucket_length, self.per_bucket.shape[4]
        csum = np.concatenate([np.zeros((d.shape[0], 1, *d.shape[2:])), np.cumsum(d, axis=1)], axis=1)
        starts = self.review_periods[:, None] + b * np.arange(h)[None, :]  # [R, H]
        ends = starts + b
        sums = (
            csum[:, np.minimum(ends, n_periods)] - csum[:, np.minimum(starts, n_periods)]
        )  # [P, R, H, M, N]
        sums = np.where((ends <= n_periods)[None, :, :, None, None], sums, np.nan)
        return np.moveaxis(sums, 2, 4)

    def bucket_quantiles(self, review: int) -> np.ndarray:
        """[P or 1, M, N, H, Q] per-bucket quantiles at review index ``review``."""
        return self._rows(self.per_bucket, review)


def default_cover(draw: ScenarioDraw) -> int:
    """Longest cumulative horizon of the table (see :func:`restock.scenarios.catalog.cover_periods`)."""
    return cover_periods(draw.scenario)


TABLES: ScenarioCache[ScenarioForecast] = ScenarioCache()
"""Forecast tables that do not depend on the paths, of recent scenarios (:mod:`restock.scenarios.cache`)."""


def forecast_table(draw: ScenarioDraw) -> ScenarioForecast:
    """The forecast table of ``draw`` with the scenario's forecaster.

    Tables that do not depend on the draw's paths (replayed data, the exact "true" tables) are computed
    once per scenario and data files and then served from :data:`TABLES` (read-only arrays); tables of a
    registered forecaster on synthetic demand depend on each path and are always computed.
    """
    s = draw.scenario
    if draw.catalog.truth is not None and s.forecast.model in ("true", "true-distribution"):
        model = _truth_model(draw)
        return TABLES.get(s, "truth", lambda: freeze(_forecaster_table(draw, model, reads_demand=False)))
    if s.forecast.model == "true":
        return TABLES.get(s, "true", lambda: freeze(_true_table(draw)))
    if draw.catalog.demand is not None:
        return TABLES.get(s, "data", lambda: freeze(_forecaster_table(draw, make(s.forecast.model))))
    return _forecaster_table(draw, make(s.forecast.model))


def _truth_model(draw: ScenarioDraw) -> Forecaster:
    """The true-distribution forecaster of a synthetic catalog: its truth for the demand summed over the
    customer-facing nodes, with the demand shocks when ``forecast.foresee`` (else the unshocked truth)."""
    s, truth = draw.scenario, draw.catalog.truth
    assert truth is not None
    mu = truth.mu * sum(n.own_share for n in s.nodes)
    if s.forecast.foresee:
        shocked = catalog_mu(s, draw.catalog).sum(axis=1)  # [W + T, N], summed over nodes
        mu[:, : shocked.shape[0]] = shocked.T
    return make("true-distribution", truth=dataclasses.replace(truth, mu=mu))


def sum_quantiles(distribution: str, total: np.ndarray, dispersion: float, levels: np.ndarray) -> np.ndarray:
    """Exact quantiles [..., Q] of a sum of independent periods whose means add up to ``total`` [...].

    Poisson: Poisson(total). Negbin with variance = dispersion x mean: the sizes add (same success
    probability 1 / dispersion), so the sum is negbin with mean ``total`` and the same dispersion. The values
    of ``scipy.stats.<dist>.ppf``, vectorised (:func:`restock.scenarios.counts.level_quantiles`).
    """
    return level_quantiles(distribution, np.asarray(total, dtype=np.float64), levels, dispersion)


def served_rate(scenario: Scenario, rate: np.ndarray) -> np.ndarray:
    """[..., M, N] demand (a rate, or units) at or below each node, from the nodes' own [..., M, N]: what
    node m's rows of a forecast table forecast."""
    return np.einsum("mc,...cn->...mn", served_matrix(scenario), rate)


def true_table(
    draw: ScenarioDraw, cover: np.ndarray, buckets: int, dtype: type[np.floating] = np.float32
) -> ScenarioForecast:
    """The exact "true" table of a stationary poisson or negbin draw without foresight, at the cumulative
    horizons ``cover`` only and ``buckets`` buckets, stored in ``dtype`` (whole units: exact in float32):
    the entries of :func:`forecast_table`'s table there, in a fraction of its memory and time (a reader
    that needs only some horizons, as the newsvendor needs E[L] + R). Other draws: an InputError."""
    s = draw.scenario
    d = s.demand
    if s.forecast.model != "true" or d.distribution not in ("poisson", "negbin") or s.forecast.foresee:
        raise InputError(
            f"scenario {s.source}: a reduced true table needs forecast.model 'true' without foresee on "
            f"poisson or negbin demand, got {s.forecast.model!r} on {d.distribution!r}"
        )
    table = _true_table(draw, np.asarray(cover, dtype=np.int64), buckets)
    return dataclasses.replace(
        table, per_bucket=table.per_bucket.astype(dtype), cumulative=table.cumulative.astype(dtype)
    )


def _true_table(
    draw: ScenarioDraw, cover: np.ndarray | None = None, buckets: int | None = None
) -> ScenarioForecast:
    s = draw.scenario
    cat = draw.catalog
    assert cat.mean is not None and draw.rate is not None
    levels = np.asarray(s.forecast.quantiles, dtype=np.float64)
    b, h = s.review_period, s.forecast.buckets if buckets is None else buckets
    if cover is None:
        cover = np.arange(1, default_cover(draw) + 1)
    k = len(cover)
    reviews = np.asarray(draw.world.review_periods(), dtype=np.int64)
    d = s.demand
    if d.distribution == "pmf":  # one node, no demand shocks (validated): one table for every review
        shape = (1, 1, 1, cat.n_skus)
        cum = np.broadcast_to(
            pmf_sum_quantiles(np.asarray(d.pmf), cover, levels), (*shape, k, len(levels))
        ).copy()
        one = pmf_sum_quantiles(np.asarray(d.pmf), np.array([b]), levels)
        bucket = np.broadcast_to(one, (*shape, h, len(levels))).copy()
    elif d.distribution == "normal":
        bucket, cum = _normal_true_tables(draw, reviews, cover, levels)
    elif not s.forecast.foresee:
        mean = draw.node_share[:, None] * cat.mean[None, :]  # [M, N]
        cum = sum_quantiles(d.distribution, mean[:, :, None] * cover, d.dispersion, levels)[None, None]
        bucket = sum_quantiles(d.distribution, mean[:, :, None] * np.full(h, b), d.dispersion, levels)[
            None, None
        ]
    else:
        # rates of the simulated periods, extended past the horizon with the unshocked rate
        own = draw.rate[s.warmup :]
        tail_len = max(int(cover[-1]), b * h)
        unshocked = own_shares(s)[:, None] * cat.mean
        tail = np.broadcast_to(unshocked, (tail_len, *unshocked.shape))
        rate = served_rate(s, np.concatenate([own, tail]))  # [T + tail, M, N]
        csum = np.concatenate([np.zeros((1, *rate.shape[1:])), np.cumsum(rate, axis=0)])  # csum[t] = sum < t
        totals = csum[reviews[:, None] + cover[None, :]] - csum[reviews][:, None]  # [R, K, M, N]
        cum = sum_quantiles(d.distribution, np.moveaxis(totals, 1, 3), d.dispersion, levels)[None]
        starts = reviews[:, None] + b * np.arange(h)[None, :]
        btot = csum[starts + b] - csum[starts]  # [R, H, M, N]
        bucket = sum_quantiles(d.distribution, np.moveaxis(btot, 1, 3), d.dispersion, levels)[None]
    return ScenarioForecast(
        model="true",
        review_periods=reviews,
        quantiles=levels,
        nodes=tuple(n.name for n in s.nodes),
        skus=cat.skus,
        bucket_length=b,
        per_bucket=bucket,
        cover=cover,
        cumulative=cum,
    )


def _normal_true_tables(
    draw: ScenarioDraw, reviews: np.ndarray, cover: np.ndarray, levels: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(per_bucket, cumulative) of the "true" table for censored normal demand (see the module docstring).

    Demand at or below node m over a window is a sum of independent terms rate x Y, one per period and
    customer-facing node it serves, Y = max(0, 1 + cv Z); :func:`censored_normal.window_quantiles` gives
    its quantiles. They scale with the rate, so SKUs whose rates are the same multiple of their means in
    every period and node (all of them without foresight) share one computation.
    """
    s, cat = draw.scenario, draw.catalog
    cv = s.demand.cv
    assert cat.mean is not None and draw.rate is not None and cv is not None
    b, h = s.review_period, s.forecast.buckets
    served, own = served_matrix(s), own_shares(s)
    n_nodes, n_skus = len(s.nodes), cat.n_skus
    if s.forecast.foresee:
        # rates of the simulated periods per unit of each SKU's mean, then the unshocked rate past the
        # horizon; SKUs with the same such multiples (to 12 decimals) form one group
        tail = np.broadcast_to(own[None, :, None], (max(len(cover), b * h), n_nodes, n_skus))
        unit = np.concatenate([draw.rate[s.warmup :] / cat.mean, tail])  # [T + tail, M, N]
        flat = np.round(unit.reshape(-1, n_skus).T, 12)
        _, first, group = np.unique(flat, axis=0, return_index=True, return_inverse=True)
        unit = unit[:, :, first]  # [T + tail, M, G]
        cum_starts, bucket_starts = reviews, (reviews[:, None] + b * np.arange(h)[None, :]).ravel()
    else:
        unit = np.broadcast_to(own[None, :, None], (max(len(cover), b), n_nodes, 1))
        group = np.zeros(n_skus, dtype=np.int64)
        cum_starts, bucket_starts = np.zeros(1, np.int64), np.zeros(1, np.int64)
    n_rev = len(cum_starts)
    cum = np.zeros((1, n_rev, n_nodes, n_skus, len(cover), len(levels)))
    bucket = np.zeros((1, n_rev, n_nodes, n_skus, h, len(levels)))
    for g in range(unit.shape[2]):
        skus = np.flatnonzero(group.ravel() == g)
        scale = cat.mean[skus][None, :, None, None]
        for m in range(n_nodes):
            terms = np.flatnonzero((served[m] > 0) & (own > 0))  # customer-facing nodes m serves
            if terms.size == 0:
                continue
            scales = unit[:, terms, g]
            per = censored_normal.window_quantiles(scales, cum_starts, cover, cv, levels)  # [R', K, Q]
            one = censored_normal.window_quantiles(scales, bucket_starts, np.array([b]), cv, levels)
            cum[0, :, m][:, skus] = scale * per[:, None]
            bucket[0, :, m][:, skus] = scale * one[:, 0].reshape(n_rev, -1, len(levels))[:, None]
    return bucket, cum


def bucket_panel(
    draw: ScenarioDraw, path: int, sales: tuple[np.ndarray, np.ndarray | None] | None = None
) -> tuple[DemandPanel, np.ndarray]:
    """The demand of ``path`` (history + simulated periods, summed over the customer-facing nodes) in
    buckets of ``review_period`` periods aligned on the reviews, as a DemandPanel; and each bucket's first
    period (negative: history).

    ``sales``: (sales [W + T, N], in-stock flags [W + T, N]) of the path's warm-up run
    (:func:`restock.scenarios.sales.warmup_sales`): the panel then holds the bucket sums of the sales as
    ``demand`` and the share of the bucket's periods in stock as ``in_stock`` (below 1: the bucket's
    sales are a lower bound of its demand); flags None: sales without the availability column.

    Bucket starts are ``review_offset + k * review_period``; a partial bucket at the start of the history
    is dropped. Dates are the data's own (data) or days from 2000-01-01 (synthetic); a 7-period bucket is
    a ``W-<weekday>`` grid, others ``<B>D``.
    """
    s = draw.scenario
    b, w = s.review_period, s.warmup
    if sales is None:
        demand = np.concatenate([draw.history[path], draw.paths.demand[path]]).sum(axis=1)  # [W + T, N]
    else:
        demand = sales[0]
    first = s.review_offset - b * ((s.review_offset + w) // b)  # first bucket start >= -W
    starts = np.arange(first, s.horizon - b + 1, b)
    sums = np.stack([demand[w + a : w + a + b].sum(axis=0) for a in starts])  # [K, N]
    if draw.catalog.dates is not None:
        dates = pd.DatetimeIndex(draw.catalog.dates[w + starts])
    else:
        dates = pd.Timestamp("2000-01-01") + pd.to_timedelta(w + starts, unit="D")
    freq = f"W-{dates[0].day_name()[:3].upper()}" if b == 7 else f"{b}D"
    skus = list(draw.catalog.skus)
    frame = pd.DataFrame(
        {
            "series_id": np.repeat(skus, len(starts)),
            "date": np.tile(dates, len(skus)),
            "demand": sums.T.ravel(),
        }
    )
    if sales is not None and sales[1] is not None:
        share = np.stack([sales[1][w + a : w + a + b].mean(axis=0) for a in starts])  # [K, N]
        frame[AVAILABILITY_COLUMN] = share.T.ravel()
    static = pd.DataFrame({"category": list(draw.catalog.category)}, index=pd.Index(skus, name="series_id"))
    panel = DemandPanel.from_frame(frame, freq=freq, static=static, source=f"scenario {s.name} (path {path})")
    return panel, starts


def forecast_rows(fc: QuantileForecast, skus: Sequence[str], buckets: int) -> tuple[np.ndarray, np.ndarray]:
    """A forecaster's quantiles as rows of a table: (per-bucket [N, <= buckets, Q], cumulative [N, H, Q])
    for ``skus`` in that order (a series may be named more than once), the cumulative quantiles made
    non-decreasing along the levels."""
    order = [fc.series_ids.index(x) for x in skus]
    return fc.per_bucket[order][:, :buckets], np.maximum.accumulate(fc.cumulative[order], axis=-1)


def rolling_rows(
    model: Forecaster,
    panel: DemandPanel,
    cutoffs: Sequence[pd.Timestamp],
    skus: Sequence[str],
    n_buckets: int,
    buckets: int,
    levels: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """A fitted ``model`` asked at every cutoff (rolling origin): per-bucket [R, N, <= buckets, Q] and
    cumulative [R, N, n_buckets, Q] rows of ``skus`` (series of ``panel``; :func:`forecast_rows`)."""
    rows = [forecast_rows(model.predict(panel, c, n_buckets, tuple(levels)), skus, buckets) for c in cutoffs]
    return np.stack([b for b, _ in rows]), np.stack([c for _, c in rows])


def node_table(
    model: str,
    quantiles: np.ndarray,
    per_bucket: np.ndarray,
    cumulative: np.ndarray,
    review_periods: np.ndarray,
    skus: Sequence[str],
    node: str,
    bucket_length: int,
) -> ScenarioForecast:
    """The table of one node from rows of :func:`rolling_rows` at levels ``quantiles`` (one row per review
    in ``review_periods``; cumulative cover ``bucket_length x 1 .. K`` periods), the same on every path."""
    return ScenarioForecast(
        model=model,
        review_periods=np.asarray(review_periods, dtype=np.int64),
        quantiles=np.asarray(quantiles, dtype=np.float64),
        nodes=(node,),
        skus=tuple(skus),
        bucket_length=bucket_length,
        per_bucket=per_bucket[None, :, None],
        cover=bucket_length * np.arange(1, cumulative.shape[2] + 1),
        cumulative=cumulative[None, :, None],
    )


def _forecaster_table(
    draw: ScenarioDraw, model: Forecaster, *, reads_demand: bool = True
) -> ScenarioForecast:
    """Rolling-origin quantiles from a registered forecaster (see the module docstring).

    Per distinct demand path (replayed data: one for every path): fit on the buckets before period 0,
    then at each review t predict with cutoff = the bucket that ends at t (demand up to t - 1 is known
    when ordering in t). Node m's quantiles are those of the summed demand x node m's share of it
    (exact with one customer-facing node).
    """
    s = draw.scenario
    b = s.review_period
    levels = np.asarray(s.forecast.quantiles, dtype=np.float64)
    n_buckets = max(s.forecast.buckets, -(-default_cover(draw) // b))
    reviews = np.asarray(draw.world.review_periods(), dtype=np.int64)
    # replayed data has the same demand on every path; the truth forecaster reads no demand at all
    same = draw.catalog.demand is not None or not reads_demand
    history = s.forecast.history
    sold = warmup_sales(draw) if reads_demand and history != "demand" else None
    per_path_bucket, per_path_cum = [], []
    for p in range(1 if same else draw.paths.n_paths):
        seen = None
        if sold is not None:
            seen = (sold[0][p], sold[1][p] if history == "sales" else None)
        elif draw.catalog.in_stock is not None:  # replayed sales with the data's own stock-out flags
            replayed = np.concatenate([draw.history[p], draw.paths.demand[p]]).sum(axis=1)
            seen = (replayed, draw.catalog.in_stock)
        panel, starts = bucket_panel(draw, p, seen)
        history_end = int(np.searchsorted(starts, 0)) - 1  # the last bucket before period 0
        if history_end + 1 < n_buckets:
            raise InputError(
                f"scenario {s.source}: key 'warmup' ({s.warmup}) gives {history_end + 1} buckets of history, "
                f"fewer than the {n_buckets} buckets forecast ahead; raise warmup"
            )
        model.fit(panel.until(panel.dates[history_end]))
        cutoffs = [panel.dates[int(np.searchsorted(starts, t)) - 1] for t in reviews]
        bucket, cum = rolling_rows(
            model, panel, cutoffs, draw.catalog.skus, n_buckets, s.forecast.buckets, levels
        )
        per_path_bucket.append(bucket)
        per_path_cum.append(cum)
    total = sum(n.own_share for n in s.nodes) or 1.0
    share = (draw.node_share / total)[None, None, :, None, None, None]
    bucket = np.stack(per_path_bucket)[:, :, None] * share  # [P', R, M, N, H, Q]
    cum = np.stack(per_path_cum)[:, :, None] * share
    return ScenarioForecast(
        model=s.forecast.model,
        review_periods=reviews,
        quantiles=levels,
        nodes=tuple(n.name for n in s.nodes),
        skus=draw.catalog.skus,
        bucket_length=b,
        per_bucket=bucket,
        cover=b * np.arange(1, n_buckets + 1),
        cumulative=cum,
    )
