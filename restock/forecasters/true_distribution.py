"""The true-distribution forecaster: exact quantiles of synthetic demand, from the generator's truth.

For data made by :func:`restock.data.synthetic.generate_catalog` the demand distribution is known: days are
independent given the truth, and day ``t`` of series ``s`` is ``ZINB(mu, size, zero_prob) + spike`` (see
:mod:`restock.data.synthetic`; **the rare heavy spikes are part of that known distribution**, as a
compound component with a small daily probability). A bucket's demand is a sum of independent days, and
so is the cumulative demand over buckets 1..h. Their distributions are computed **exactly** by multiplying
the days' probability generating functions on the unit circle and inverting with an FFT:

    G_day(z) = (zp + (1 - zp) NB(z; mu, size)) * ((1 - sp) + sp NB(z; c mu, r_s)),
    NB(z; m, r) = (1 + m (1 - z) / r) ** -r
    pmf of a sum = irfft( prod_days G_day(exp(-2 pi i k / N)) )

The grid length ``N`` (a power of two) is chosen per series so that the probability beyond it is negligible
(mean + 12 sd + 30 tail scales, where a tail scale is the slowest geometric decay among the day's negative
binomials): the only approximation is that aliased tail mass, far below 1e-9, and float rounding (~1e-13).
The q-quantile is ``min{k : F(k) >= q - 1e-9}`` (the tolerance absorbs rounding where F(k) equals q exactly).

This is the yardstick of DESIGN.md's "value of forecast accuracy": a policy run on these quantiles against
the same policy run on a model's quantiles. It only forecasts series that are in its truth, and buckets the
truth covers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

from restock.data.panel import DemandPanel
from restock.data.synthetic import SyntheticConfig, SyntheticTruth, day_moments, generate_catalog
from restock.errors import InputError
from restock.forecasters.base import (
    DEFAULT_HORIZON,
    DEFAULT_QUANTILES,
    ForecastTable,
    QuantileForecast,
)
from restock.forecasters.config import build_config
from restock.forecasters.history import check_request
from restock.forecasters.registry import register

QUANTILE_TOL = 1e-9
"""Tolerance of the quantile rule F(k) >= q - QUANTILE_TOL."""


@dataclass(frozen=True)
class TrueDistributionConfig:
    """Numerical settings of the exact computation (the distribution itself comes from the truth)."""

    tail_sds: float = 10.0
    """Grid covers mean + tail_sds standard deviations (plus ``tail_scales`` geometric tail scales)."""
    tail_scales: float = 12.0
    """Extra geometric tail scales of the heaviest day covered by the grid (e**-12 ~ 6e-6)."""
    min_grid: int = 64
    """Smallest FFT grid length."""
    max_cells: int = 2**24
    """Series are processed in chunks of at most this many (series x bucket x grid) cells (memory bound)."""


@register("true-distribution")
class TrueDistributionForecaster:
    """Exact quantiles of per-bucket and cumulative demand from a :class:`SyntheticTruth`.

    ``make("true-distribution", truth=catalog.truth)``, or ``make("true-distribution",
    catalog="synthetic:200:0")`` (the truth of that ``--data`` spec; from the CLI
    ``--param catalog=synthetic:200:0``). ``fit`` only checks that the panel's series are in
    the truth (there is nothing to learn); ``predict`` never reads demand, so it cannot look ahead.
    """

    name: ClassVar[str]

    def __init__(
        self, truth: SyntheticTruth | None = None, catalog: str | None = None, **params: Any
    ) -> None:
        if truth is None and catalog is not None:
            from restock.data import load_catalog

            truth = load_catalog(catalog).truth
        if truth is None:
            raise InputError(
                "forecaster 'true-distribution' needs the synthetic truth (truth=catalog.truth, or "
                "catalog='synthetic:N_SKUS:SEED', e.g. --param catalog=synthetic:200:0); "
                "it forecasts synthetic catalogs only"
            )
        self.truth = truth
        self.config = build_config(TrueDistributionConfig, params, "true-distribution")
        self._row = pd.Series(np.arange(len(truth.series_ids)), index=pd.Index(truth.series_ids))

    @classmethod
    def get_test_params(cls) -> dict[str, Any]:
        """The truth of ``load_panel("synthetic:40:0")`` (40 SKUs, seed 0), a small exact instance."""
        return {"truth": generate_catalog(SyntheticConfig(n_skus=40, seed=0)).truth}

    def fit(self, panel: DemandPanel) -> Self:
        """Check that every series of ``panel`` is in the truth; returns self."""
        self.rows_for(panel.series_ids, panel.source)
        self.fitted_ = True
        return self

    def rows_for(self, series_ids: Sequence[str], source: str = "<panel>") -> np.ndarray:
        """Row of each series in the truth arrays; an unknown series is an InputError."""
        idx = self._row.reindex(list(series_ids))
        if idx.isna().any():
            missing = [s for s, i in zip(series_ids, idx, strict=True) if pd.isna(i)]
            raise InputError(
                f"{source}: series {missing[:5]} are not in the synthetic truth; the true-distribution "
                "forecaster only forecasts the catalog it was built from"
            )
        return idx.to_numpy(dtype=int)

    def predict(
        self,
        panel: DemandPanel,
        cutoff: pd.Timestamp,
        horizon: int = DEFAULT_HORIZON,
        quantiles: Sequence[float] = DEFAULT_QUANTILES,
    ) -> QuantileForecast:
        """Exact quantiles for the ``horizon`` buckets (of ``panel.freq``) after ``cutoff``."""
        return self.predict_table(panel, [pd.Timestamp(cutoff)], horizon, quantiles).at(0)

    def predict_table(
        self,
        panel: DemandPanel,
        cutoffs: Sequence[pd.Timestamp],
        horizon: int = DEFAULT_HORIZON,
        quantiles: Sequence[float] = DEFAULT_QUANTILES,
    ) -> ForecastTable:
        """Rolling-origin forecasts at every cutoff at once (a bucket shared by several cutoffs is computed
        once: much faster than one :meth:`predict` per cutoff). Same numbers as :meth:`predict`."""
        stamps = [pd.Timestamp(c) for c in cutoffs]
        if not stamps:
            raise InputError(f"{panel.source}: predict_table needs at least one cutoff")
        for c in stamps:
            check_request(panel, c, horizon)  # the shared contract: grid, positive horizon, enough history
        q = np.asarray(quantiles, dtype=float)
        if q.ndim != 1 or len(q) == 0 or (q <= 0).any() or (q >= 1).any() or (np.diff(q) <= 0).any():
            raise InputError(f"quantiles must be increasing levels in (0, 1), got {list(quantiles)}")
        rows = self.rows_for(panel.series_ids, panel.source)
        layout = _BucketLayout.build(stamps, horizon, panel.freq)
        day_idx = self.truth.day_index(layout.days)
        per_bucket, cumulative = table_quantiles(
            self.truth.mu[rows][:, day_idx],
            layout.bucket_of_day,
            layout.windows,
            self.truth.size[rows],
            self.truth.zero_prob[rows],
            self.truth.spike_prob[rows],
            self.truth.spike_scale[rows],
            self.truth.spike_size,
            q,
            self.config,
        )
        return ForecastTable(
            model=type(self).name,
            series_ids=list(panel.series_ids),
            cutoffs=pd.DatetimeIndex(stamps),
            quantiles=q,
            per_bucket=per_bucket,
            cumulative=cumulative,
        )


@dataclass(frozen=True)
class _BucketLayout:
    """The distinct buckets needed by a set of cutoffs, their days, and each cutoff's window of buckets."""

    days: pd.DatetimeIndex
    """Every day of every needed bucket, bucket by bucket."""
    bucket_of_day: np.ndarray
    """[D] index of the bucket of each day."""
    windows: np.ndarray
    """[C, H] the buckets after each cutoff, in order."""

    @classmethod
    def build(cls, cutoffs: list[pd.Timestamp], horizon: int, freq: str) -> _BucketLayout:
        bounds: dict[pd.Timestamp, pd.Timestamp] = {}
        for c in cutoffs:
            edges = pd.date_range(c, periods=horizon + 2, freq=freq)[1:]
            bounds.update(pairwise(edges))
        starts = sorted(bounds)
        where = {start: b for b, start in enumerate(starts)}
        day_parts = [pd.date_range(b0, bounds[b0] - pd.Timedelta(days=1), freq="D") for b0 in starts]
        windows = np.array(
            [[where[e] for e in pd.date_range(c, periods=horizon + 1, freq=freq)[1:]] for c in cutoffs]
        )
        return cls(
            days=pd.DatetimeIndex(np.concatenate([d.to_numpy() for d in day_parts])),
            bucket_of_day=np.repeat(np.arange(len(starts)), [len(d) for d in day_parts]),
            windows=windows,
        )


# ------------------------------------------------------------------------------------------ pure math
def day_pgf(
    w: np.ndarray,
    mu: np.ndarray,
    size: np.ndarray,
    zero_prob: np.ndarray,
    spike_prob: np.ndarray,
    spike_scale: np.ndarray,
    spike_size: float,
) -> np.ndarray:
    """G(z) of one day for each series, at ``w = 1 - z``: mu and params [S], w [K] -> complex [S, K]."""
    zp = zero_prob[:, None]
    base = zp + (1.0 - zp) * _nb_pgf(w, mu, size)
    if not (spike_prob > 0).any():
        return base
    sp = spike_prob[:, None]
    spike = _nb_pgf(w, spike_scale * mu, np.full_like(mu, spike_size))
    return base * ((1.0 - sp) + sp * spike)


def _nb_pgf(w: np.ndarray, mean: np.ndarray, size: np.ndarray) -> np.ndarray:
    # NB(mean, size): G(z) = (1 + mean (1 - z) / size) ** -size; size = inf is Poisson: exp(-mean (1 - z)).
    m, r = mean[:, None], size[:, None]
    if (r == 1.0).all():
        return 1.0 / (1.0 + m * w[None, :])  # geometric: no transcendental function needed
    finite = np.isfinite(r)
    if finite.all():
        return np.exp(-r * np.log1p(m * w[None, :] / r))
    r_safe = np.where(finite, r, 1.0)
    return np.exp(np.where(finite, -r_safe * np.log1p(m * w[None, :] / r_safe), -m * w[None, :]))


def grid_length(
    mu: np.ndarray,
    bucket_of_day: np.ndarray,
    windows: np.ndarray,
    size: np.ndarray,
    zero_prob: np.ndarray,
    spike_prob: np.ndarray,
    spike_scale: np.ndarray,
    spike_size: float,
    config: TrueDistributionConfig,
) -> np.ndarray:
    """FFT grid length per series [S] (a power of two) covering all but a negligible tail of the largest
    cumulative sum over any window of buckets (``windows`` [C, H] of bucket indices)."""
    mean_d, var_d = day_moments(mu, size, zero_prob, spike_prob, spike_scale, spike_size)
    n_buckets = int(bucket_of_day.max()) + 1
    onehot = np.zeros((mu.shape[1], n_buckets))
    onehot[np.arange(mu.shape[1]), bucket_of_day] = 1.0
    mean_b, var_b = mean_d @ onehot, var_d @ onehot  # [S, B]
    mean_w, var_w = mean_b[:, windows].sum(axis=-1), var_b[:, windows].sum(axis=-1)  # [S, C]
    r = np.where(np.isfinite(size), size, np.inf)
    top = np.max(mu, axis=1)
    scale = top / r + 1.0  # an NB pmf decays like (m / (m + r)) ** k: a geometric scale ~ m / r
    scale = np.maximum(scale, np.where(spike_prob > 0, spike_scale * top / spike_size + 1.0, 0.0))
    upper = np.max(mean_w + config.tail_sds * np.sqrt(var_w), axis=1) + config.tail_scales * scale + 1.0
    return np.maximum(config.min_grid, 2 ** np.ceil(np.log2(upper))).astype(int)


def bucket_pgfs(
    mu: np.ndarray,
    bucket_of_day: np.ndarray,
    n_buckets: int,
    size: np.ndarray,
    zero_prob: np.ndarray,
    spike_prob: np.ndarray,
    spike_scale: np.ndarray,
    spike_size: float,
    n: int,
) -> np.ndarray:
    """[S, B, n//2+1] pgf of each bucket's sum at z_k = exp(-2 pi i k / n) (the product of its days')."""
    k = np.arange(n // 2 + 1)
    w = 1.0 - np.exp(-2j * np.pi * k / n)
    g = np.ones((mu.shape[0], n_buckets, len(k)), dtype=complex)
    for d in range(mu.shape[1]):
        g[:, bucket_of_day[d]] *= day_pgf(w, mu[:, d], size, zero_prob, spike_prob, spike_scale, spike_size)
    return g


def sum_pmfs(
    mu: np.ndarray,
    groups: np.ndarray,
    n_groups: int,
    size: np.ndarray,
    zero_prob: np.ndarray,
    spike_prob: np.ndarray,
    spike_scale: np.ndarray,
    spike_size: float,
    n: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Exact pmfs on 0..n-1 of the per-group sums and the cumulative sums of groups 0..g.

    ``mu`` [S, D] daily means, ``groups`` [D] the group (bucket) of each day in 0..n_groups-1.
    Returns (per_group [S, G, n], cumulative [S, G, n]).
    """
    g = bucket_pgfs(mu, groups, n_groups, size, zero_prob, spike_prob, spike_scale, spike_size, n)
    return np.fft.irfft(g, n=n, axis=-1), np.fft.irfft(np.cumprod(g, axis=1), n=n, axis=-1)


def pmf_quantiles(pmf: np.ndarray, quantiles: np.ndarray) -> np.ndarray:
    """q-quantiles min{k : F(k) >= q - QUANTILE_TOL} of pmfs on 0..n-1 along the last axis -> [..., Q]."""
    cdf = np.cumsum(pmf, axis=-1)
    out = np.empty((*pmf.shape[:-1], len(quantiles)))
    for j, q in enumerate(quantiles):
        out[..., j] = np.sum(cdf < q - QUANTILE_TOL, axis=-1)
    return out


def table_quantiles(
    mu: np.ndarray,
    bucket_of_day: np.ndarray,
    windows: np.ndarray,
    size: np.ndarray,
    zero_prob: np.ndarray,
    spike_prob: np.ndarray,
    spike_scale: np.ndarray,
    spike_size: float,
    quantiles: np.ndarray,
    config: TrueDistributionConfig,
) -> tuple[np.ndarray, np.ndarray]:
    """Exact per-bucket and cumulative quantiles [C, S, H, Q] for daily means ``mu`` [S, D].

    Each distinct bucket's pgf is computed once; a cutoff's cumulative sums are running products over its
    window of buckets (``windows`` [C, H]).
    """
    n_buckets = int(bucket_of_day.max()) + 1
    c, h = windows.shape
    n_per = grid_length(
        mu, bucket_of_day, windows, size, zero_prob, spike_prob, spike_scale, spike_size, config
    )
    per_bucket = np.zeros((c, mu.shape[0], h, len(quantiles)))
    cumulative = np.zeros_like(per_bucket)
    for n in np.unique(n_per):
        # Series sharing a grid length are done together, in chunks that bound memory (max_cells).
        same = np.flatnonzero(n_per == n)
        chunk = max(1, config.max_cells // (int(n) * max(n_buckets, h)))
        for lo in range(0, len(same), chunk):
            sel = same[lo : lo + chunk]
            g = bucket_pgfs(
                mu[sel],
                bucket_of_day,
                n_buckets,
                size[sel],
                zero_prob[sel],
                spike_prob[sel],
                spike_scale[sel],
                spike_size,
                int(n),
            )
            per = pmf_quantiles(np.fft.irfft(g, n=int(n), axis=-1), quantiles)  # [S', B, Q]
            for ci in range(c):
                per_bucket[ci, sel] = per[:, windows[ci]]
                cum = np.fft.irfft(np.cumprod(g[:, windows[ci]], axis=1), n=int(n), axis=-1)
                cumulative[ci, sel] = pmf_quantiles(cum, quantiles)
    return per_bucket, cumulative
