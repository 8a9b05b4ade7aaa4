"""The forecaster contract: what every quantile forecaster takes and returns.

A forecaster is fitted on a :class:`~restock.data.panel.DemandPanel` (in the review bucket, e.g. weeks) and
predicts, at a ``cutoff`` (the last bucket whose demand it may see), quantiles of demand for each of the
next ``horizon`` buckets **and** quantiles of cumulative demand over the next 1..``horizon`` buckets (a sum's
quantile is not the sum of quantiles; a newsvendor needs the former over lead time + review period).

``predict`` must use only rows with ``date <= cutoff`` (the generic contract test feeds it a panel whose
future has been scrambled and checks the forecast does not move), quantiles never cross, and a series with
no history at the cutoff still gets a forecast (from similar products, or a documented fallback).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, Self, runtime_checkable

import numpy as np
import pandas as pd

from restock.data.panel import DemandPanel

DEFAULT_QUANTILES: tuple[float, ...] = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98)
"""The forecasters' default quantile grid: the levels ``predict`` and ``backtest`` return by default, the
heads the MQ networks train (``MQConfig.quantiles``) and the levels of the mean wQL (docs/forecasting.md,
benchmarks/m5_real_demand.py). Deliberately not :data:`restock.scenarios.schema.SCENARIO_QUANTILES` (the
default grid of a scenario's forecast table, which adds the far upper tail that newsvendor critical
fractiles need) nor :data:`BAND_QUANTILES` (three levels shown and drawn): a model is trained and scored on
these 12 levels, and a table interpolates or asks for the levels it stores."""
BAND_QUANTILES: tuple[float, float, float] = (0.1, 0.5, 0.9)
"""P10 / P50 / P90: the low, median and high quantiles that env observations show
(``ObservationConfig.obs_quantiles``) and that forecast bands in figures and evaluation traces draw (read
from, or interpolated between, a table's levels); a display grid, not a default of any table or model."""
DEFAULT_HORIZON = 8


@dataclass(frozen=True)
class QuantileForecast:
    """Quantile forecasts for every series at one cutoff."""

    series_ids: list[str]
    cutoff: pd.Timestamp
    """The last bucket the forecaster saw; bucket h=1 is the one after it."""
    quantiles: np.ndarray
    """Quantile levels, increasing, shape [Q]."""
    per_bucket: np.ndarray
    """Quantiles of demand in bucket cutoff+h, shape [S, H, Q], non-decreasing along Q, >= 0."""
    cumulative: np.ndarray
    """Quantiles of demand summed over buckets cutoff+1..cutoff+h, shape [S, H, Q]."""

    def __post_init__(self) -> None:
        s, q = len(self.series_ids), len(self.quantiles)
        for name in ("per_bucket", "cumulative"):
            arr = getattr(self, name)
            if arr.ndim != 3 or arr.shape[0] != s or arr.shape[2] != q:
                raise ValueError(f"QuantileForecast.{name} has shape {arr.shape}, expected [S={s}, H, Q={q}]")
            if not np.isfinite(arr).all():
                raise ValueError(f"QuantileForecast.{name} holds NaN or inf")

    @property
    def horizon(self) -> int:
        return int(self.per_bucket.shape[1])


@dataclass(frozen=True)
class ForecastTable:
    """Rolling-origin forecasts: one :class:`QuantileForecast` per cutoff, stacked.

    This is the data that drives the simulator: envs and policies read rows of it, never a model.
    """

    model: str
    series_ids: list[str]
    cutoffs: pd.DatetimeIndex
    quantiles: np.ndarray
    per_bucket: np.ndarray
    """Shape [C, S, H, Q]."""
    cumulative: np.ndarray
    """Shape [C, S, H, Q]."""

    @classmethod
    def stack(cls, model: str, forecasts: Sequence[QuantileForecast]) -> ForecastTable:
        if not forecasts:
            raise ValueError("ForecastTable.stack needs at least one forecast")
        first = forecasts[0]
        for f in forecasts[1:]:
            if f.series_ids != first.series_ids or not np.array_equal(f.quantiles, first.quantiles):
                raise ValueError("ForecastTable.stack: forecasts disagree on series or quantiles")
        return cls(
            model=model,
            series_ids=list(first.series_ids),
            cutoffs=pd.DatetimeIndex([f.cutoff for f in forecasts]),
            quantiles=first.quantiles,
            per_bucket=np.stack([f.per_bucket for f in forecasts]),
            cumulative=np.stack([f.cumulative for f in forecasts]),
        )

    def at(self, cutoff_index: int) -> QuantileForecast:
        return QuantileForecast(
            series_ids=self.series_ids,
            cutoff=self.cutoffs[cutoff_index],
            quantiles=self.quantiles,
            per_bucket=self.per_bucket[cutoff_index],
            cumulative=self.cumulative[cutoff_index],
        )


@runtime_checkable
class Forecaster(Protocol):
    """What every registered forecaster implements (fitted attributes end in ``_``)."""

    name: ClassVar[str]

    def fit(self, panel: DemandPanel) -> Self:
        """Learn from ``panel`` (the training history); returns self."""
        ...

    def predict(
        self,
        panel: DemandPanel,
        cutoff: pd.Timestamp,
        horizon: int = DEFAULT_HORIZON,
        quantiles: Sequence[float] = DEFAULT_QUANTILES,
    ) -> QuantileForecast:
        """Quantiles for every series of ``panel`` using only its rows with ``date <= cutoff``."""
        ...

    @classmethod
    def get_test_params(cls) -> dict[str, Any]:
        """Constructor arguments that make a small, fast instance for the generic contract test."""
        ...


def sort_quantiles(values: np.ndarray) -> np.ndarray:
    """Enforce non-crossing, non-negative quantiles along the last axis (monotone rearrangement)."""
    return np.maximum(np.sort(values, axis=-1), 0.0)
