"""Profile m5-tiny next to the synthetic catalog, and time the data layer.

Prints one JSON object: for days and for W-SAT weeks, the share of zero cells and the share of series in
each Syntetos-Boylan class (smooth / intermittent / erratic / lumpy) of m5-tiny (../shared/data/m5-tiny)
and of the default synthetic catalog, side by side; then medians over ``--repeats`` runs of: loading
m5-tiny, generating the default catalog, aggregating it to weeks, one 8-week true-distribution forecast
(12 quantiles) over a 200-SKU catalog, and a table of 8 consecutive such forecasts (``predict_table``).
``--markdown`` prints the profile table as Markdown instead (the one in docs/data.md).

    nice .venv/bin/python benchmarks/data_profile.py [--repeats 3] [--markdown]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from restock.data import aggregate, load_m5
from restock.data.panel import DemandPanel
from restock.data.profile import CLASSES, summarize
from restock.data.synthetic import SyntheticConfig, generate_catalog
from restock.forecasters.true_distribution import TrueDistributionForecaster

M5_TINY = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "m5-tiny"
MEASURES = ("share_zero", *(f"share_{c}" for c in CLASSES), "mean_demand", "series", "cells")


def _median_seconds(fn: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return round(statistics.median(times), 4)


def profiles(m5: DemandPanel, synthetic: DemandPanel) -> dict[str, dict[str, dict[str, float | int | str]]]:
    out: dict[str, dict[str, dict[str, float | int | str]]] = {}
    for freq in ("D", "W-SAT"):
        pair = {"m5-tiny": m5, "synthetic": synthetic}
        out[freq] = {
            name: {k: v for k, v in summarize(aggregate(p, freq)).items() if k in MEASURES}
            for name, p in pair.items()
        }
    return out


def markdown(table: dict[str, dict[str, dict[str, float | int | str]]]) -> str:
    lines = [
        "| measure | m5-tiny, days | synthetic, days | m5-tiny, weeks | synthetic, weeks |",
        "|---|---:|---:|---:|---:|",
    ]
    for m in MEASURES:
        cells = [table[f][n][m] for f in ("D", "W-SAT") for n in ("m5-tiny", "synthetic")]
        lines.append(
            f"| {m} | " + " | ".join(f"{c:.3f}" if isinstance(c, float) else str(c) for c in cells) + " |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()

    m5 = load_m5(M5_TINY)
    catalog = generate_catalog(SyntheticConfig())
    table = profiles(m5, catalog.panel)
    if args.markdown:
        print(markdown(table))
        return

    small = generate_catalog(SyntheticConfig(n_skus=200))
    weekly_small = aggregate(small.panel)
    model = TrueDistributionForecaster(small.truth).fit(weekly_small)
    cutoff = weekly_small.dates[100]
    timings = {
        "load_m5_tiny": _median_seconds(lambda: load_m5(M5_TINY), args.repeats),
        "generate_default_catalog_2000x1092": _median_seconds(
            lambda: generate_catalog(SyntheticConfig()), args.repeats
        ),
        "aggregate_default_catalog_to_weeks": _median_seconds(lambda: aggregate(catalog.panel), args.repeats),
        "true_distribution_predict_200_skus_h8_q12": _median_seconds(
            lambda: model.predict(weekly_small, cutoff), args.repeats
        ),
        "true_distribution_table_200_skus_8_cutoffs_h8_q12": _median_seconds(
            lambda: model.predict_table(weekly_small, list(weekly_small.dates[100:108])), args.repeats
        ),
    }
    print(json.dumps({"profiles": table, "median_seconds": timings, "repeats": args.repeats}, indent=2))


if __name__ == "__main__":
    main()
