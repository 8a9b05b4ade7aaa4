"""The pooled quantile regression forest (SQRF): one forest across all series, direct multi-horizon.

Training rows are (series, origin) pairs from the training history: the features of
:mod:`restock.forecasters.features` at the origin, and as targets the next H buckets' demand **and** the
cumulative demand over 1..h, all divided by the series' scale (its recent mean demand), so one forest
serves slow and fast movers. The forest is multi-output (2H targets per row, one tree structure, grown
by scikit-learn's ``RandomForestRegressor``), and quantiles are Meinshausen's: training rows are weighted
by how often they share a leaf with the query (every row of a leaf is kept, as ``quantile-forest`` does
with ``max_samples_leaf=None``), and each target's quantile is the weighted quantile of those rows'
values (:mod:`restock.forecasters.forest_quantiles`, which explains why the leaf storage is our own).
A cumulative quantile is therefore a quantile of real cumulative demands of similar (series, origin)
pairs, not a sum of per-bucket quantiles. One multi-output forest instead of 2H single-output
forests (or one forest with the horizon as a feature and H times the rows) keeps a backtest on m5-tiny
within seconds, and keeps per-bucket and cumulative quantiles drawn from the same neighbours.

New products: series launched inside the training window contribute rows with little or no history, and
a share ``cold_start_share`` of training rows is repeated with the history hidden (age 0, scale = the peer
group's median scale), so the forest learns what a product of a given category and store sells at launch
relative to its peers. A series with no history at a cutoff gets exactly that encoding.

Sales, not demand (docs/censoring.md): when the panel carries the availability column ``in_stock``, a
target bucket that was out of stock holds a lower bound of its demand. The in-stock shares of the last 4
and 13 buckets join the features (a split can tell sales depressed by stock-outs from low demand), the
forest is grown as before, and then every censored per-bucket target is **imputed** from its own
neighbourhood (:func:`impute_censored`): the conditional distribution of that bucket given the row's
features is the weighted product-limit (Kaplan-Meier) estimate over the row's leaf neighbours (Beran's
estimator with the forest's weights; a censored neighbour only leaves the risk set), and the imputed
demand is its conditional median above the observed sale. The cumulative targets are the sums of the
imputed buckets, so a cumulative quantile stays a quantile of (imputed) cumulative demands. Why impute
rather than read product-limit quantiles of the cumulative targets directly: a sum with one censored
bucket is censored at a value that depends on the other buckets, so the product-limit estimator's
independent-censoring assumption fails there, and over 2+ buckets most sums are censored (it then runs
out of support below the upper quantiles a newsvendor reads).

Fit once, predict many: ``fit`` learns on the panel it is given; ``predict`` builds features at the cutoff
from rows with ``date <= cutoff`` (and known-in-advance prices and covariates after it) without refitting.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestRegressor

from restock.data.panel import DemandPanel
from restock.errors import InputError
from restock.forecasters.base import (
    DEFAULT_HORIZON,
    DEFAULT_QUANTILES,
    QuantileForecast,
    sort_quantiles,
)
from restock.forecasters.censoring import window_censored
from restock.forecasters.config import build_config
from restock.forecasters.features import (
    FeatureContext,
    origin_features,
    origin_targets,
    season_positions,
)
from restock.forecasters.forest_quantiles import (
    LeafWeights,
    impute_censored,
    target_ranks,
    weighted_quantiles,
)
from restock.forecasters.history import (
    check_request,
    future_dates,
    history_at,
    known_matrix,
    peer_groups,
    season_length,
    span_bounds,
)
from restock.forecasters.registry import register
from restock.seeding import generator, int_seed


@dataclass(frozen=True)
class QuantileForestConfig:
    """Settings of the pooled quantile regression forest."""

    horizon: int = DEFAULT_HORIZON
    """Buckets the forest is trained to forecast (2 x horizon targets); predicting further is an error."""
    n_estimators: int = 40
    """Trees in the forest."""
    min_samples_leaf: int = 10
    """Training rows per leaf at least (the neighbourhood a quantile is read from)."""
    max_features: float = 0.5
    """Share of features tried at each split."""
    max_samples: float | None = 0.5
    """Share of training rows bootstrapped per tree (None: as many as there are rows)."""
    max_origins: int = 104
    """Training origins: the most recent ones with H buckets of actuals after them, at most this many."""
    origin_stride: int = 1
    """Buckets between consecutive training origins."""
    max_train_rows: int = 120_000
    """Cap on training rows (a seeded random subset beyond it)."""
    cold_start_share: float = 0.05
    """Share of training rows repeated with their history hidden, to teach new-product forecasts."""
    scale_window: int = 13
    """Buckets in the recent mean demand that scales a series."""
    n_lags: int = 4
    """Lagged demands used as features."""
    peer_column: str | None = "category"
    """Static column whose median scale stands in for series without history (all series if absent)."""
    max_static_levels: int = 500
    """Static columns with more levels than this are left out of the features (ids carry no signal)."""
    season: int | None = None
    """Season length in buckets; None takes it from the panel's frequency."""
    n_jobs: int = -1
    """Worker threads for the forest (-1: all cores)."""
    seed: int = 0
    """Root seed: tree randomness, row subsampling and the cold-start rows are spawned from it."""

    def __post_init__(self) -> None:
        for name in ("horizon", "n_estimators", "min_samples_leaf", "max_origins", "origin_stride"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise InputError(f"quantile-forest config: {name} must be a positive integer, got {value!r}")
        if not 0.0 < self.max_features <= 1.0:
            raise InputError(
                f"quantile-forest config: max_features must be in (0, 1], got {self.max_features!r}"
            )
        if self.max_samples is not None and not 0.0 < self.max_samples <= 1.0:
            raise InputError(
                f"quantile-forest config: max_samples must be in (0, 1], got {self.max_samples!r}"
            )
        if not 0.0 <= self.cold_start_share < 1.0:
            raise InputError(
                f"quantile-forest config: cold_start_share must be in [0, 1), got {self.cold_start_share!r}"
            )


@register("quantile-forest")
class QuantileForestForecaster:
    """Pooled multi-horizon quantile regression forest (see the module docstring)."""

    name: ClassVar[str]

    def __init__(self, **params: Any) -> None:
        self.config = build_config(QuantileForestConfig, params, "quantile-forest")

    @classmethod
    def get_test_params(cls) -> dict[str, Any]:
        return {"n_estimators": 10, "max_origins": 20, "min_samples_leaf": 5, "n_jobs": 1}

    # ------------------------------------------------------------------ fit
    def fit(self, panel: DemandPanel) -> Self:
        """Train on every (series, origin) of ``panel`` with a full window of H actuals after the origin."""
        cfg = self.config
        self.freq_ = panel.freq
        self.season_ = cfg.season or season_length(panel.freq)
        self.static_levels_ = {
            col: sorted(panel.static[col].astype(str).unique())
            for col in panel.static.columns
            if panel.static[col].nunique() <= cfg.max_static_levels
        }
        self.has_price_ = "price" in panel.frame.columns
        self.covariates_ = tuple(panel.covariates)
        hist = history_at(panel, pd.Timestamp(panel.frame["date"].max()))
        self.censored_ = hist.censored is not None
        ctx = self._context(panel, hist.dates, hist.demand, hist.censored)
        last_origin = hist.demand.shape[1] - 1 - cfg.horizon
        if last_origin < 0:
            raise InputError(
                f"{panel.source}: quantile-forest needs more than horizon={cfg.horizon} buckets to train, "
                f"got {hist.demand.shape[1]}"
            )
        origins = np.arange(last_origin, -1, -cfg.origin_stride)[: cfg.max_origins][::-1]
        rng = generator(cfg.seed, "quantile-forest/rows")
        xs, ys, cs = [], [], []
        for t in origins:
            for masked in (None, rng.random(len(hist.series_ids)) < cfg.cold_start_share):
                if masked is not None and not masked.any():
                    continue
                x, scale = origin_features(ctx, int(t), masked)
                y = origin_targets(hist.demand, int(t), cfg.horizon, scale)
                keep = np.isfinite(y).all(axis=1) & (True if masked is None else masked)
                xs.append(x[keep])
                ys.append(y[keep])
                if hist.censored is not None:
                    per, cum = window_censored(hist.censored, np.array([int(t)]), cfg.horizon)
                    cs.append(np.concatenate([per[:, 0], cum[:, 0]], axis=1)[keep])
        x_train, y_train = np.concatenate(xs), np.concatenate(ys)
        c_train = np.concatenate(cs)[:, : cfg.horizon] if cs else None
        if len(x_train) == 0:
            raise InputError(f"{panel.source}: quantile-forest found no training rows (series too short?)")
        if len(x_train) > cfg.max_train_rows:
            pick = np.sort(rng.choice(len(x_train), cfg.max_train_rows, replace=False))
            x_train, y_train = x_train[pick], y_train[pick]
            c_train = None if c_train is None else c_train[pick]
        self.forest_ = RandomForestRegressor(
            n_estimators=cfg.n_estimators,
            min_samples_leaf=cfg.min_samples_leaf,
            max_features=cfg.max_features,
            max_samples=cfg.max_samples,
            n_jobs=cfg.n_jobs,
            random_state=int_seed(cfg.seed, "quantile-forest/trees"),
        )
        self.forest_.fit(x_train, y_train)
        node_counts = np.array([tree.tree_.node_count for tree in self.forest_.estimators_])
        train_leaves = self.forest_.apply(x_train)
        self.leaf_weights_ = LeafWeights.from_leaves(train_leaves, node_counts)
        if c_train is not None and c_train.any():
            per = impute_censored(self.leaf_weights_, train_leaves, y_train[:, : cfg.horizon], c_train)
            y_train = np.concatenate([per, np.cumsum(per, axis=1)], axis=1)
        self.n_censored_ = 0 if c_train is None else int(c_train.sum())
        self.y_train_ = y_train
        self.ranks_ = target_ranks(y_train)
        self.n_train_rows_ = len(x_train)
        return self

    # ------------------------------------------------------------------ predict
    def predict(
        self,
        panel: DemandPanel,
        cutoff: pd.Timestamp,
        horizon: int = DEFAULT_HORIZON,
        quantiles: Sequence[float] = DEFAULT_QUANTILES,
    ) -> QuantileForecast:
        """Quantiles at ``cutoff`` for every series of ``panel`` (demand up to the cutoff only)."""
        if not hasattr(self, "forest_"):
            raise RuntimeError("quantile-forest: call fit() before predict()")
        check_request(panel, cutoff, horizon)
        if horizon > self.config.horizon:
            raise InputError(
                f"{panel.source}: horizon {horizon} exceeds the quantile forest's trained horizon "
                f"{self.config.horizon}; fit it with horizon >= {horizon}"
            )
        if panel.freq != self.freq_:
            raise InputError(
                f"{panel.source}: panel freq {panel.freq!r} differs from the fitted {self.freq_!r}"
            )
        q = np.asarray(quantiles, dtype=float)
        hist = history_at(panel, pd.Timestamp(cutoff))
        censored = hist.censored
        if self.censored_ and censored is None:  # fitted on sales: a panel without the flags is in stock
            censored = np.zeros(hist.demand.shape, dtype=bool)
        ctx = self._context(panel, hist.dates, hist.demand, censored if self.censored_ else None)
        x, scale = origin_features(ctx, hist.demand.shape[1] - 1)
        leaves = self.forest_.apply(x)
        raw = (
            weighted_quantiles(self.leaf_weights_, leaves, self.y_train_, self.ranks_, q)
            * scale[:, None, None]
        )
        h = self.config.horizon
        return QuantileForecast(
            series_ids=hist.series_ids,
            cutoff=pd.Timestamp(cutoff),
            quantiles=q,
            per_bucket=sort_quantiles(raw[:, :horizon]),
            cumulative=sort_quantiles(raw[:, h : h + horizon]),
        )

    # ------------------------------------------------------------------ helpers
    def _context(
        self,
        panel: DemandPanel,
        dates: pd.DatetimeIndex,
        demand: np.ndarray,
        censored: np.ndarray | None = None,
    ) -> FeatureContext:
        cfg = self.config
        grid = pd.DatetimeIndex(dates.append(future_dates(dates[-1], cfg.horizon, panel.freq)))
        first, _ = span_bounds(demand)
        static = np.column_stack(
            [
                pd.Categorical(panel.static[col].astype(str), categories=levels).codes
                if col in panel.static.columns
                else np.full(len(panel.static), -1)
                for col, levels in self.static_levels_.items()
            ]
            or [np.zeros((len(panel.static), 0))]
        )
        covs = None
        if self.covariates_:
            covs = np.stack(
                [
                    known_matrix(panel, c, grid)
                    if c in panel.frame.columns
                    else np.zeros((len(demand), len(grid)))
                    for c in self.covariates_
                ]
            )
        price = None
        if self.has_price_:
            price = (
                known_matrix(panel, "price", grid)
                if "price" in panel.frame.columns
                else np.full((len(demand), len(grid)), np.nan)
            )
        return FeatureContext(
            demand=demand,
            first=np.where(first >= 0, first, np.iinfo(np.int64).max // 2),
            price=price,
            covariates=covs,
            season_position=season_positions(grid, panel.freq),
            static_codes=static,
            groups=peer_groups(panel.static, cfg.peer_column),
            season=self.season_,
            horizon=cfg.horizon,
            scale_window=cfg.scale_window,
            n_lags=cfg.n_lags,
            in_stock=None if censored is None else np.where(np.isfinite(demand), ~censored, np.nan),
        )
