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
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

from restock.data.panel import DemandPanel
from restock.data.synthetic import SyntheticConfig, SyntheticTruth, day_moments, generate_catalog
from restock.errors import InputError
from restock.forecasters.base import DEFAULT_HORIZON, DEFAULT_QUANTILES, QuantileForecast, register
from restock.forecasters.config import build_config
from restock.forecasters.history import check_request

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

    ``make("true-distribution", truth=catalog.truth)``. ``fit`` only checks that the panel's series are in
    the truth (there is nothing to learn); ``predict`` never reads demand, so it cannot look ahead.
    """

    name: ClassVar[str]

    def __init__(self, truth: SyntheticTruth | None = None, **params: Any) -> None:
        if truth is None:
            raise InputError(
                "forecaster 'true-distribution' needs the synthetic truth (truth=catalog.truth); "
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
        cutoff = pd.Timestamp(cutoff)
        check_request(panel, cutoff, horizon)  # the shared contract: grid, positive horizon, enough history
        q = np.asarray(quantiles, dtype=float)
        if q.ndim != 1 or len(q) == 0 or (q <= 0).any() or (q >= 1).any() or (np.diff(q) <= 0).any():
            raise InputError(f"quantiles must be increasing levels in (0, 1), got {list(quantiles)}")
        rows = self.rows_for(panel.series_ids, panel.source)
        edges = pd.date_range(cutoff, periods=horizon + 2, freq=panel.freq)[1:]
        days = pd.date_range(edges[0], edges[-1] - pd.Timedelta(days=1), freq="D")
        day_idx = self.truth.day_index(days)
        bucket_of_day = np.searchsorted(edges.to_numpy(), days.to_numpy(), side="right") - 1
        per_bucket, cumulative = bucket_quantiles(
            self.truth.mu[rows][:, day_idx],
            bucket_of_day,
            horizon,
            self.truth.size[rows],
            self.truth.zero_prob[rows],
            self.truth.spike_prob[rows],
            self.truth.spike_scale[rows],
            self.truth.spike_size,
            q,
            self.config,
        )
        return QuantileForecast(
            series_ids=list(panel.series_ids),
            cutoff=cutoff,
            quantiles=q,
            per_bucket=per_bucket,
            cumulative=cumulative,
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


def sum_moments(
    mu: np.ndarray,
    size: np.ndarray,
    zero_prob: np.ndarray,
    spike_prob: np.ndarray,
    spike_scale: np.ndarray,
    spike_size: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of the sum over days of ``mu`` [S, D] (independent days)."""
    mean, var = day_moments(mu, size, zero_prob, spike_prob, spike_scale, spike_size)
    return mean.sum(axis=1), var.sum(axis=1)


def grid_length(
    mu: np.ndarray,
    size: np.ndarray,
    zero_prob: np.ndarray,
    spike_prob: np.ndarray,
    spike_scale: np.ndarray,
    spike_size: float,
    config: TrueDistributionConfig,
) -> np.ndarray:
    """FFT grid length per series [S] (a power of two) covering all but a negligible tail of the sum."""
    mean, var = sum_moments(mu, size, zero_prob, spike_prob, spike_scale, spike_size)
    r = np.where(np.isfinite(size), size, np.inf)
    scale = np.max(mu, axis=1) / r + 1.0  # NB pmf decays like (m / (m + r)) ** k: scale ~ m / r
    scale = np.maximum(
        scale, np.where(spike_prob > 0, spike_scale * np.max(mu, axis=1) / spike_size + 1.0, 0.0)
    )
    upper = mean + config.tail_sds * np.sqrt(var) + config.tail_scales * scale + 1.0
    return np.maximum(config.min_grid, 2 ** np.ceil(np.log2(upper))).astype(int)


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
    k = np.arange(n // 2 + 1)
    w = 1.0 - np.exp(-2j * np.pi * k / n)
    s = mu.shape[0]
    g = np.ones((s, n_groups, len(k)), dtype=complex)
    for d in range(mu.shape[1]):
        g[:, groups[d]] *= day_pgf(w, mu[:, d], size, zero_prob, spike_prob, spike_scale, spike_size)
    per = np.fft.irfft(g, n=n, axis=-1)
    cum = np.fft.irfft(np.cumprod(g, axis=1), n=n, axis=-1)
    return per, cum


def pmf_quantiles(pmf: np.ndarray, quantiles: np.ndarray) -> np.ndarray:
    """q-quantiles min{k : F(k) >= q - QUANTILE_TOL} of pmfs on 0..n-1 along the last axis -> [..., Q]."""
    cdf = np.cumsum(pmf, axis=-1)
    out = np.empty((*pmf.shape[:-1], len(quantiles)))
    for j, q in enumerate(quantiles):
        out[..., j] = np.sum(cdf < q - QUANTILE_TOL, axis=-1)
    return out


def bucket_quantiles(
    mu: np.ndarray,
    bucket_of_day: np.ndarray,
    horizon: int,
    size: np.ndarray,
    zero_prob: np.ndarray,
    spike_prob: np.ndarray,
    spike_scale: np.ndarray,
    spike_size: float,
    quantiles: np.ndarray,
    config: TrueDistributionConfig,
) -> tuple[np.ndarray, np.ndarray]:
    """Exact per-bucket and cumulative quantiles [S, H, Q] for daily means ``mu`` [S, D]."""
    n_per = grid_length(mu, size, zero_prob, spike_prob, spike_scale, spike_size, config)
    per_bucket = np.zeros((mu.shape[0], horizon, len(quantiles)))
    cumulative = np.zeros_like(per_bucket)
    for n in np.unique(n_per):
        # Series sharing a grid length are done together, in chunks that bound memory (~ 2**24 cells).
        same = np.flatnonzero(n_per == n)
        chunk = max(1, config.max_cells // (int(n) * horizon))
        for lo in range(0, len(same), chunk):
            sel = same[lo : lo + chunk]
            per, cum = sum_pmfs(
                mu[sel],
                bucket_of_day,
                horizon,
                size[sel],
                zero_prob[sel],
                spike_prob[sel],
                spike_scale[sel],
                spike_size,
                int(n),
            )
            per_bucket[sel] = pmf_quantiles(per, quantiles)
            cumulative[sel] = pmf_quantiles(cum, quantiles)
    return per_bucket, cumulative
