"""Restock: an inventory-decision lab.

Importing the package is cheap (the ``restock`` command starts from it); ``import restock.envs`` registers
the ``Restock/`` Gymnasium env ids (so does importing any of its modules). The functions here are the
Python face of the end-to-end jobs; each imports its job (and the heavy libraries) when called.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["recommend"]


def recommend(
    snapshot: str | Path,
    history: str | Path,
    policy: str = "newsvendor",
    *,
    out: str | Path | None = None,
    **options: Any,
) -> pd.DataFrame:
    """Today's orders per SKU of ``snapshot`` (a CSV, :mod:`restock.data.snapshot`) from the daily demand
    ``history`` (a long CSV or a ``--data`` spec), as ``restock recommend`` gives them: one row per
    snapshot row with the order quantity, the target level, the forecast quantiles over the cover, the
    expected fill rate and the reason for a zero order (:mod:`restock.pipelines.recommend`).

    ``policy``: one of ``restock.pipelines.recommend.POLICIES`` or a training run folder; ``options``: the
    other fields of :class:`~restock.pipelines.recommend.RecommendSpec` (``forecaster``, ``today``,
    ``lead_time``, ``quantiles``, ``whole_units``, ``tune_weeks``; another name is an InputError); ``out``:
    also write the orders there (CSV or Parquet). Bad input is an
    :class:`~restock.errors.InputError`.
    """
    import dataclasses

    from restock.errors import InputError
    from restock.pipelines.recommend import RecommendSpec, recommend_to

    known = {f.name for f in dataclasses.fields(RecommendSpec)} - {"snapshot", "history", "policy"}
    unknown = sorted(set(options) - known)
    if unknown:
        raise InputError(
            f"restock.recommend: unknown option {unknown[0]!r}; known: {', '.join(sorted(known))}"
        )
    spec = RecommendSpec(str(snapshot), str(history), policy, **options)
    return recommend_to(spec, out)
