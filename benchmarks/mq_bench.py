"""MQ speed benchmarks, printed as JSON (medians of repeats; run under `nice`, 2 torch threads).

    nice .venv/bin/python benchmarks/mq_bench.py train      # MQ-CNN on m5-tiny weekly: fit time + accuracy
    nice .venv/bin/python benchmarks/mq_bench.py predict    # 30,000 series x 1 cutoff, per model

``train`` fits MQ-CNN exactly as the m5-tiny backtest does (history up to the first of 8 cutoffs, H=8,
weekly W-SAT buckets) and reports the fit seconds, the backtest's mean wQL and the epochs each ensemble
member ran (target: <= 180 s); ``--set KEY=VALUE`` overrides a config field (default: MQConfig's defaults).
``predict`` builds a weekly panel of 30,000 series x 104 weeks with a price and a static category, fits
each model for one epoch on 500 of them (the prediction cost does not depend on the weights) and times
``predict`` over all 30,000 series at one cutoff (target: <= 30 s).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from restock.data import aggregate, load_panel
from restock.data.panel import DemandPanel
from restock.forecasters.backtest import backtest
from restock.forecasters.mq import MQCNN, MQRNN, MQTransformer
from restock.seeding import generator

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"


def bench_train(repeats: int, overrides: dict[str, Any]) -> dict[str, object]:
    panel = aggregate(load_panel(f"m5:{DATA / 'm5-tiny'}"), "W-SAT")
    fits, wqls, epochs_run = [], [], []
    for r in range(repeats):
        model = MQCNN(**{"seed": r, **overrides})
        res = backtest(model, panel, cutoffs=8, horizon=8)
        fits.append(res.fit_seconds)
        wqls.append(res.mean_wql)
        epochs_run.append([m.epochs_run for m in model.member_results_])
    return {
        "benchmark": "mqcnn_train_m5_tiny_weekly",
        "series": len(panel.series_ids),
        "overrides": overrides,
        "repeats": repeats,
        "fit_seconds_median": statistics.median(fits),
        "fit_seconds": fits,
        "mean_wql_median": statistics.median(wqls),
        "mean_wql": wqls,
        "epochs_run": epochs_run,
        "target_seconds": 180,
    }


def big_panel(n_series: int, weeks: int, seed: int = 0) -> DemandPanel:
    rng = generator(seed, "bench-mq-panel")
    dates = pd.date_range("2020-01-04", periods=weeks, freq="W-SAT")
    rates = rng.gamma(1.0, 5.0, n_series)
    demand = rng.poisson(rates[:, None], (n_series, weeks)).astype(float)
    ids = np.array([f"sku{i:06d}" for i in range(n_series)])
    frame = pd.DataFrame(
        {
            "series_id": np.repeat(ids, weeks),
            "date": np.tile(dates, n_series),
            "demand": demand.reshape(-1),
            "price": np.tile(1.0 + 0.1 * (np.arange(weeks) % 4 == 0), n_series),
        }
    )
    static = pd.DataFrame({"category": [f"c{i % 7}" for i in range(n_series)]}, index=ids)
    return DemandPanel.from_frame(frame, freq="W-SAT", static=static, source="bench")


def bench_predict(n_series: int, repeats: int) -> dict[str, object]:
    panel = big_panel(n_series, 104)
    cutoff = panel.dates[-9]
    small = panel.subset(panel.series_ids[:500]).until(cutoff)
    out: dict[str, object] = {
        "benchmark": "mq_predict",
        "series": n_series,
        "cutoffs": 1,
        "target_seconds": 30,
    }
    for cls in (MQRNN, MQCNN, MQTransformer):
        model = cls(epochs=1, windows_per_series=1).fit(small)
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            f = model.predict(panel, cutoff)
            times.append(time.perf_counter() - t0)
        assert f.per_bucket.shape[0] == n_series
        out[f"{cls.name}_seconds_median"] = statistics.median(times)
        out[f"{cls.name}_seconds"] = times
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("which", choices=["train", "predict"])
    ap.add_argument("--repeats", type=int, default=None, help="default: 1 for train, 3 for predict")
    ap.add_argument("--series", type=int, default=30_000)
    ap.add_argument("--epochs", type=int, default=None)
    ap.add_argument("--set", action="append", default=[], help="train: MQ config override KEY=VALUE (JSON)")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.which == "train":
        overrides: dict[str, Any] = {} if args.epochs is None else {"epochs": args.epochs}
        for item in args.set:
            key, _, value = item.partition("=")
            overrides[key] = json.loads(value)
        result = bench_train(args.repeats or 1, overrides)
    else:
        result = bench_predict(args.series, args.repeats or 3)
    result["torch_threads"] = args.threads
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
