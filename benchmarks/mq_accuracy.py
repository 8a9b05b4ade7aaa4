"""Rolling-origin accuracy of MQ-RNN, MQ-CNN and MQTransformer next to baselines, as JSON.

    nice .venv/bin/python benchmarks/mq_accuracy.py --data m5 --models mqcnn,seasonal-naive
    nice .venv/bin/python benchmarks/mq_accuracy.py --data carparts
    nice .venv/bin/python benchmarks/mq_accuracy.py --data synthetic --n-skus 2000

Datasets (found relative to the repository root as ``../shared/data``): ``m5`` = m5-tiny aggregated to
weeks (W-SAT, M5's own weeks), ``carparts`` = monthly car parts, ``synthetic`` = the built-in synthetic
catalog aggregated to weeks. Every model is fitted once on the history up to the first of ``--cutoffs``
cutoffs and predicts at every cutoff (``restock.forecasters.backtest``); per model the JSON holds mean wQL,
P50/P90 wQL, coverage of P10/P50/P90, the cumulative mean wQL, forecast volatility of the median, and the
fit/predict seconds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from restock.data import aggregate, load_panel
from restock.data.panel import DemandPanel
from restock.forecasters import make
from restock.forecasters.backtest import backtest

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
MQ_MODELS = ("mqrnn", "mqcnn", "mqtransformer")


def load(name: str, n_skus: int, seed: int) -> DemandPanel:
    if name == "m5":
        return aggregate(load_panel(f"m5:{DATA / 'm5-tiny'}"), "W-SAT")
    if name == "carparts":
        return load_panel(f"carparts:{DATA / 'carparts' / 'carparts.csv'}")
    if name == "synthetic":
        return aggregate(load_panel(f"synthetic:{n_skus}:{seed}"), "W-SAT")
    raise SystemExit(f"unknown --data {name!r}")


def score(
    model: str, panel: DemandPanel, cutoffs: int, horizon: int, params: dict[str, Any]
) -> dict[str, Any]:
    forecaster = make(model, **params)
    t0 = time.perf_counter()
    res = backtest(forecaster, panel, cutoffs=cutoffs, horizon=horizon)
    q = list(np.round(res.quantiles, 4))

    def at(arr: np.ndarray, level: float) -> float:
        return float(arr[q.index(level)])

    out: dict[str, Any] = {
        "model": model,
        "mean_wql": res.mean_wql,
        "wql_p50": at(res.wql, 0.5),
        "wql_p90": at(res.wql, 0.9),
        "coverage_p10": at(res.coverage, 0.1),
        "coverage_p50": at(res.coverage, 0.5),
        "coverage_p90": at(res.coverage, 0.9),
        "mean_abs_coverage_error": res.mean_abs_coverage_error,
        "cumulative_mean_wql": float(res.cumulative_wql.mean()),
        "volatility_p50": res.volatility,
        "fit_seconds": res.fit_seconds,
        "predict_seconds": res.predict_seconds,
        "total_seconds": time.perf_counter() - t0,
    }
    if hasattr(forecaster, "member_results_"):  # one entry per ensemble member
        out["best_epoch"] = [r.best_epoch for r in forecaster.member_results_]
        out["epochs_run"] = [r.epochs_run for r in forecaster.member_results_]
    return out


def parser(doc: str | None, models: str) -> argparse.ArgumentParser:
    """The command line shared by the accuracy benchmarks (data set, models, backtest, MQ overrides)."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="m5", choices=["m5", "carparts", "synthetic"])
    ap.add_argument("--models", default=models)
    ap.add_argument("--cutoffs", type=int, default=8)
    ap.add_argument("--horizon", type=int, default=8)
    ap.add_argument("--n-skus", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=None, help="MQ models: override the epochs")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--set", action="append", default=[], help="MQ config override KEY=VALUE (JSON value)")
    return ap


def overrides_from(args: argparse.Namespace) -> dict[str, Any]:
    """MQ config overrides: the seed, ``--epochs`` and every ``--set KEY=VALUE`` (JSON values)."""
    overrides: dict[str, Any] = {"seed": args.seed}
    if args.epochs is not None:
        overrides["epochs"] = args.epochs
    for item in args.set:
        key, _, value = item.partition("=")
        overrides[key] = json.loads(value)
    return overrides


def main(argv: list[str] | None = None) -> int:
    args = parser(__doc__, ",".join(MQ_MODELS)).parse_args(argv)
    torch.set_num_threads(args.threads)
    panel = load(args.data, args.n_skus, args.seed)
    overrides = overrides_from(args)
    results = []
    for model in args.models.split(","):
        params = overrides if model in MQ_MODELS else {}
        row = score(model, panel, args.cutoffs, args.horizon, params)
        print(json.dumps(row), file=sys.stderr)
        results.append(row)
    report = {
        "data": args.data,
        "freq": panel.freq,
        "n_series": len(panel.series_ids),
        "cutoffs": args.cutoffs,
        "horizon": args.horizon,
        "overrides": overrides,
        "results": results,
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
