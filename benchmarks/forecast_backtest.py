"""Rolling-origin backtests of the classical forecasters: speed and accuracy, printed as JSON.

    nice .venv/bin/python benchmarks/forecast_backtest.py                       # quantile forest, m5-tiny
    nice .venv/bin/python benchmarks/forecast_backtest.py --data carparts --models all --repeats 1
    nice .venv/bin/python benchmarks/forecast_backtest.py --data scale --n-skus 30000 --models all \\
        --repeats 1                                                            # 30,000 series

Datasets (relative to the repository root as ``../shared/data``): ``m5`` = m5-tiny (280 series) summed to
M5's own weeks (W-SAT), ``carparts`` = 2,674 monthly car-part series, ``synthetic`` = the built-in
catalog (``--n-skus``) in weeks, ``scale`` = ``--n-skus`` negative-binomial weekly series (156 weeks) for
speed at size. Every model is fitted once on the history up to the first cutoff and
predicts at each of ``--cutoffs`` cutoffs (``restock.forecasters.backtest``), horizon ``--horizon``.

Per model the JSON holds the accuracy of the last repeat (mean wQL, wQL of P50 and P90, coverage of
P10/P50/P90, calibration error, cumulative mean wQL) and the **medians over repeats** of the wall-clock
seconds (fit, predict, total) and of the process CPU seconds (all threads). The speed target of the
quantile forest is a total of at most 60 s on m5-tiny (8 cutoffs, H=8) on 2 cores: ``meets_60s_target``.
``--markdown`` also prints the rows of the comparison table in docs/forecasting.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from restock.data import aggregate, load_panel
from restock.data.panel import DemandPanel
from restock.forecasters import available, make
from restock.forecasters.backtest import BacktestResult, backtest
from restock.seeding import generator

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
CLASSICAL = ("seasonal-naive", "ets", "croston", "tsb", "quantile-forest")
TARGET_SECONDS = 60.0


def load(name: str, n_skus: int, seed: int) -> DemandPanel:
    if name == "m5":
        return aggregate(load_panel(f"m5:{DATA / 'm5-tiny'}"), "W-SAT")
    if name == "carparts":
        return load_panel(f"carparts:{DATA / 'carparts' / 'carparts.csv'}")
    if name == "synthetic":
        return aggregate(load_panel(f"synthetic:{n_skus}:{seed}"), "W-SAT")
    if name == "scale":
        return scale_panel(n_skus, seed)
    raise SystemExit(f"unknown --data {name!r}; use m5, carparts, synthetic or scale")


def scale_panel(n_skus: int, seed: int, weeks: int = 156) -> DemandPanel:
    """``n_skus`` weekly negative-binomial series (rates 0.2 to 50 a week, 5 categories): a size test."""
    rng = generator(seed, "benchmark-forecast-scale")
    rate = np.exp(rng.uniform(np.log(0.2), np.log(50.0), n_skus))
    demand = rng.negative_binomial(2.0, 2.0 / (2.0 + rate[:, None]), size=(n_skus, weeks)).astype(float)
    dates = pd.date_range("2021-01-02", periods=weeks, freq="W-SAT")
    ids = np.array([f"sku{i:06d}" for i in range(n_skus)])
    frame = pd.DataFrame(
        {"series_id": np.repeat(ids, weeks), "date": np.tile(dates, n_skus), "demand": demand.ravel()}
    )
    static = pd.DataFrame(
        {"category": [f"c{i % 5}" for i in range(n_skus)]}, index=pd.Index(ids, name="series_id")
    )
    return DemandPanel.from_frame(frame, freq="W-SAT", static=static, source="benchmark:scale")


def run(model: str, panel: DemandPanel, args: argparse.Namespace) -> dict[str, Any]:
    walls, cpus, fits, predicts = [], [], [], []
    result: BacktestResult | None = None
    for _ in range(args.repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        result = backtest(make(model), panel, cutoffs=args.cutoffs, horizon=args.horizon)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        fits.append(result.fit_seconds)
        predicts.append(result.predict_seconds)
    assert result is not None
    s = result.summary()
    return {
        "model": model,
        "mean_wql": round(result.mean_wql, 4),
        "wql_p50": round(s["wql"]["0.5"], 4),
        "wql_p90": round(s["wql"]["0.9"], 4),
        "coverage_p10": round(s["coverage"]["0.1"], 4),
        "coverage_p50": round(s["coverage"]["0.5"], 4),
        "coverage_p90": round(s["coverage"]["0.9"], 4),
        "mean_abs_coverage_error": round(result.mean_abs_coverage_error, 4),
        "cumulative_mean_wql": round(float(result.cumulative_wql.mean()), 4),
        "volatility": round(result.volatility, 4),
        "median_total_s": round(statistics.median(walls), 2),
        "median_fit_s": round(statistics.median(fits), 2),
        "median_predict_s": round(statistics.median(predicts), 2),
        "median_cpu_s": round(statistics.median(cpus), 2),
        "repeats": args.repeats,
        "series": s["series"],
        "cutoffs": s["cutoffs"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", default="m5", help="m5, carparts, synthetic or scale")
    parser.add_argument("--models", default="quantile-forest", help="comma-separated names, or 'all'")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cutoffs", type=int, default=8)
    parser.add_argument("--horizon", type=int, default=8)
    parser.add_argument("--n-skus", type=int, default=2000, help="synthetic and scale only")
    parser.add_argument("--seed", type=int, default=0, help="synthetic only")
    parser.add_argument("--markdown", action="store_true", help="also print the docs table rows")
    args = parser.parse_args()
    models = [m for m in CLASSICAL if m in available()] if args.models == "all" else args.models.split(",")
    load_start = time.perf_counter()
    panel = load(args.data, args.n_skus, args.seed)
    load_s = time.perf_counter() - load_start
    rows = [run(m, panel, args) for m in models]
    forest = next((r for r in rows if r["model"] == "quantile-forest"), None)
    out = {
        "benchmark": "forecast_backtest",
        "data": args.data,
        "freq": panel.freq,
        "horizon": args.horizon,
        "cpu_count": os.cpu_count(),
        "load_s": round(load_s, 2),
        "models": rows,
    }
    if forest is not None and args.data == "m5" and args.cutoffs == 8 and args.horizon == 8:
        out["target_s"] = TARGET_SECONDS
        out["meets_60s_target"] = forest["median_total_s"] <= TARGET_SECONDS
    print(json.dumps(out, indent=2))
    if args.markdown:
        print("| model | mean wQL | P50 wQL | P90 wQL | cov P10 | cov P50 | cov P90 | cumulative mean wQL |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for r in rows:
            print(
                f"| {r['model']} | {r['mean_wql']:.4f} | {r['wql_p50']:.4f} | {r['wql_p90']:.4f} | "
                f"{r['coverage_p10']:.3f} | {r['coverage_p50']:.3f} | {r['coverage_p90']:.3f} | "
                f"{r['cumulative_mean_wql']:.4f} |"
            )


if __name__ == "__main__":
    main()
