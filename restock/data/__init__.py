"""Demand data: the DemandPanel, loaders (M5, long, wide files), aggregation, the synthetic catalog, profiles.

The one entry point the CLI's ``--data`` option uses is :func:`load_panel`::

    m5:PATH               an M5-format folder (sales_train_evaluation.csv, calendar.csv, sell_prices.csv)
    m5:PATH:zero-runs     the same with the availability column ``in_stock`` inferred from zero runs
                          (:func:`restock.data.m5.zero_run_stockouts`; docs/censoring.md)
    long:PATH[:FREQ]      a long CSV/Parquet table (series_id, date, demand[, price, covariates...])
    wide:PATH[:FREQ]      a wide CSV/Parquet table (series column, then one column per period)
    carparts:PATH         the carparts file (a wide monthly file; same as wide:PATH:MS)
    synthetic             the built-in synthetic catalog with its default config (seed 0)
    synthetic:N[:SEED]    the synthetic catalog with N SKUs (and a root seed)

:func:`load_catalog` gives a synthetic spec's panel together with its truth.
Real data loads at its own frequency (M5: days; carparts: months); use :func:`aggregate` to go to weeks,
or :func:`load_buckets`, which sums a daily panel to the commands' ``--freq`` bucket.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from restock.data.aggregate import aggregate, bucket_start
from restock.data.files import load_long, load_wide
from restock.data.m5 import load_m5
from restock.data.panel import DemandPanel
from restock.errors import InputError

if TYPE_CHECKING:
    from restock.data.synthetic import SyntheticCatalog

__all__ = [
    "DemandPanel",
    "aggregate",
    "bucket_start",
    "load_buckets",
    "load_catalog",
    "load_long",
    "load_m5",
    "load_panel",
    "load_wide",
]

SPEC_KINDS = ("m5", "long", "wide", "carparts", "synthetic")
ZERO_RUNS = "zero-runs"
"""The ``m5:PATH:zero-runs`` option: infer stock-outs from zero runs
(:func:`restock.data.m5.zero_run_stockouts`)."""


def load_panel(spec: str, *, fill_gaps: bool = False) -> DemandPanel:
    """Load the demand panel named by ``spec`` (see the module docstring); bad specs are InputErrors."""
    kind, _, rest = spec.partition(":")
    if kind == "synthetic":
        return load_catalog(spec).panel
    if kind not in SPEC_KINDS or not rest:
        raise InputError(
            f"--data {spec!r}: expected one of m5:PATH[:zero-runs], long:PATH[:FREQ], wide:PATH[:FREQ], "
            "carparts:PATH, synthetic[:N_SKUS[:SEED]]"
        )
    if kind == "m5":
        path, option = _split_option(rest)
        if option not in (None, ZERO_RUNS):
            raise InputError(
                f"--data {spec!r}: unknown m5 option {option!r} (expected m5:PATH[:{ZERO_RUNS}])"
            )
        return load_m5(path, fill_gaps=fill_gaps, infer_availability=option == ZERO_RUNS)
    if kind == "carparts":
        return load_wide(rest, freq="MS", fill_gaps=fill_gaps)
    path, freq = _split_freq(rest, spec)
    loader = load_long if kind == "long" else load_wide
    return loader(path, freq=freq, fill_gaps=fill_gaps)


def load_buckets(spec: str, freq: str, *, fill_gaps: bool = False) -> DemandPanel:
    """Load ``spec`` (a ``--data`` spec, :func:`load_panel`) and sum a daily panel to ``freq`` buckets
    (:func:`aggregate`; ``"D"`` keeps days). A panel that is not daily is returned as it was read."""
    panel = load_panel(spec, fill_gaps=fill_gaps)
    if panel.freq == "D" and freq != "D":
        panel = aggregate(panel, freq)
    return panel


def _split_option(rest: str) -> tuple[str, str | None]:
    """ "PATH:OPTION" unless PATH itself exists (a path may contain ':'): (PATH, OPTION or None)."""
    if Path(rest).exists() or ":" not in rest:
        return rest, None
    path, option = rest.rsplit(":", 1)
    return path, option


def _split_freq(rest: str, spec: str) -> tuple[str, str | None]:
    path, freq = _split_option(rest)
    if freq is None:
        return path, None
    try:
        pd.tseries.frequencies.to_offset(freq)
    except ValueError as exc:
        raise InputError(f"--data {spec!r}: {freq!r} is not a pandas frequency (e.g. D, W-SAT, MS)") from exc
    return path, freq


def load_catalog(spec: str) -> SyntheticCatalog:
    """The synthetic catalog (panel **and** truth) named by a ``synthetic[:N_SKUS[:SEED]]`` spec.

    ``load_catalog(spec).panel`` is ``load_panel(spec)``; its ``truth`` builds the true-distribution
    forecaster (``make("true-distribution", truth=load_catalog(spec).truth)``).
    """
    from restock.data.synthetic import SyntheticConfig, generate_catalog

    kind, _, rest = spec.partition(":")
    if kind != "synthetic":
        raise InputError(
            f"--data {spec!r}: only a synthetic spec has a known truth (synthetic[:N_SKUS[:SEED]])"
        )
    parts = rest.split(":") if rest else []
    try:
        numbers = [int(p) for p in parts]
    except ValueError as exc:
        raise InputError(f"--data {spec!r}: synthetic takes integers, synthetic:N_SKUS[:SEED]") from exc
    if len(numbers) > 2 or any(n < 0 for n in numbers) or (numbers and numbers[0] < 1):
        raise InputError(f"--data {spec!r}: expected synthetic:N_SKUS[:SEED] with N_SKUS >= 1 and SEED >= 0")
    config = SyntheticConfig()
    if numbers:
        config = SyntheticConfig(n_skus=numbers[0], seed=numbers[1] if len(numbers) > 1 else config.seed)
    return generate_catalog(config)
