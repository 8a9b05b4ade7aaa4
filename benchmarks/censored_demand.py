"""Sales are not demand: forecasters fitted on censored sales, scored against the true demand.

    nice .venv/bin/python benchmarks/censored_demand.py      # docs/censoring.md (forest, ETS, MQ-CNN)
    nice .venv/bin/python benchmarks/censored_demand.py --models quantile-forest --n-skus 8 --horizon 84

The world is the built-in ``steady`` scenario (negative-binomial daily demand, means 1 .. 20 a day,
weekly reviews, a 2 + Poisson-day lead time) cut to ``--n-skus`` SKUs, ``--horizon`` simulated days and a
``--warmup`` of history. Its stock-outs come from a known under-stocking policy, the warm-up run of
:mod:`restock.scenarios.sales`: base-stock at ``--cover`` periods of mean demand (default: the mean lead
time + the review period, 11 days: about one cycle in two ends short). For every forecaster and every
``forecast.history``:

* ``demand``           fitted on the true demand (the ceiling),
* ``sales-as-demand``  fitted on the policy's sales read as demand (what a retailer does without flags),
* ``sales``            fitted on the same sales with the stock-out flags (censoring-aware),

the scenario's rolling-origin forecast table (on the forecasters' own grid of levels, 0.05 .. 0.98, which
the MQ networks are trained on; the newsvendor's critical fractile, 0.994 here, is then read at 0.98) is
scored against the **true** demand of the next week
after every review (mean wQL over P10 .. P90, P90 coverage) and the newsvendor on the table's quantiles
is run on the same paths (batch engine; profit per path, summed over the SKUs). The first row is the exact
("true") table on the same grid: the ceiling. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from restock.agents.baselines import NewsvendorPolicy
from restock.agents.evaluate import Episode, rollout
from restock.forecasters.base import DEFAULT_QUANTILES
from restock.forecasters.metrics import coverage, mean_wql
from restock.scenarios import draw, forecast_table, load
from restock.scenarios.forecast import served_rate

HISTORIES = ("demand", "sales-as-demand", "sales")
LEVELS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
"""Levels of the mean wQL (all in the scenario table's default grid)."""


def compare(
    model: str, history: str, *, n_skus: int, horizon: int, warmup: int, n_paths: int, seed: int,
    cover: float | None = None,
) -> dict[str, float]:  # fmt: skip
    """One row: the table of ``model`` learning from ``history``, scored against the true demand."""
    overrides = [
        f"horizon={horizon}",
        f"warmup={warmup}",
        f"catalog.n_skus={n_skus}",
        f'forecast.model="{model}"',
        f'forecast.history="{history}"',
        f"forecast.quantiles={list(DEFAULT_QUANTILES)}",
    ]
    if cover is not None and history != "demand":
        overrides.append(f"forecast.history_cover={cover}")
    scenario = load("steady", overrides=overrides)
    d = draw(scenario, seed, n_paths)
    start = time.perf_counter()
    table = forecast_table(d)
    seconds = time.perf_counter() - start
    levels = np.asarray(table.quantiles)
    pick = [int(np.argmin(np.abs(levels - x))) for x in LEVELS]
    actual = table.realized_buckets(served_rate(d.scenario, d.paths.demand))[:, :, 0, :, 0]  # [P, R, N]
    pred = np.broadcast_to(table.per_bucket[:, :, 0, :, 0], (*actual.shape, len(levels)))
    ok = np.isfinite(actual)
    a, p = actual[ok], pred[ok]
    p90 = int(np.argmin(np.abs(levels - 0.9)))
    newsvendor = rollout(
        NewsvendorPolicy(), Episode(d.world, d.paths, table, seed), engine="batch", record=False
    )
    return {
        "mean_wql": float(mean_wql(a, p[:, pick], levels[pick])),
        "p90_coverage": float(coverage(a, p[:, [p90]])[0]),
        "profit_per_path": float(newsvendor.totals["reward"].sum() / n_paths),
        "table_seconds": seconds,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="quantile-forest,ets,mqcnn", help="comma-separated forecasters")
    ap.add_argument("--n-skus", type=int, default=12)
    ap.add_argument("--horizon", type=int, default=364, help="simulated days")
    ap.add_argument("--warmup", type=int, default=728, help="days of history before day 0")
    ap.add_argument("--n-paths", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cover", type=float, default=None, help="reference base-stock level, periods of mean")
    args = ap.parse_args()
    print("| forecaster | history | mean wQL (true demand) | P90 coverage | newsvendor profit / path | s |")
    print("|---|---|---|---|---|---|")
    rows = [("true", "demand")] + [(m, h) for m in args.models.split(",") for h in HISTORIES]
    for model, history in rows:
        row = compare(
            model, history, n_skus=args.n_skus, horizon=args.horizon, warmup=args.warmup,
            n_paths=args.n_paths, seed=args.seed, cover=args.cover,
        )  # fmt: skip
        print(
            f"| {model} | {history} | {row['mean_wql']:.4f} | {row['p90_coverage']:.3f} | "
            f"{row['profit_per_path']:,.0f} | {row['table_seconds']:.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
