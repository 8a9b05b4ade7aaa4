"""Where two forecasters' mean wQL differ: the same backtest, broken down by group of series.

    nice .venv/bin/python benchmarks/wql_breakdown.py --data m5 --models quantile-forest,mqcnn \
        --set ensemble=3 --set windows_per_series=4 --epochs 20

Runs the rolling-origin backtest of ``benchmarks/mq_accuracy.py`` (same datasets, same protocol) for every
model, then prints JSON with, per model: the mean wQL overall, per static attribute level (store, category,
... as the panel has them) and per volume quintile of the series (by their actuals over the backtest), each
with its share of the model's total loss; and, for the first two models, the series and the items (the
``item`` attribute, when the panel has one) that account for most of the difference in loss, with the mean
wQL of both models without those items. A mean wQL is a volume-weighted sum over series, so a handful of
high-volume series can decide a comparison; this says which.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import numpy as np
import torch
from mq_accuracy import MQ_MODELS, load, overrides_from, parser

from restock.forecasters import make
from restock.forecasters.backtest import BacktestResult, backtest
from restock.forecasters.metrics import mean_wql, series_pinball, wql_by_group


def breakdown(res: BacktestResult, groups: dict[str, np.ndarray]) -> dict[str, Any]:
    pred, q = res.table.per_bucket, res.quantiles
    out: dict[str, Any] = {"mean_wql": res.mean_wql}
    for name, labels in groups.items():
        out[name] = {
            k: {"wql": w, "share": s} for k, (w, s) in wql_by_group(res.actuals, pred, q, labels).items()
        }
    return out


def difference(a: BacktestResult, b: BacktestResult, items: np.ndarray | None, top: int) -> dict[str, Any]:
    """Series and items carrying the difference in loss between ``b`` and ``a`` (positive: b loses more)."""
    gap = series_pinball(b.actuals, b.table.per_bucket, b.quantiles) - series_pinball(
        a.actuals, a.table.per_bucket, a.quantiles
    )
    ids = np.asarray(a.table.series_ids)
    out: dict[str, Any] = {"total_loss_difference": float(gap.sum())}
    order = np.argsort(-gap)[:top]
    out["series"] = [{"series": str(ids[i]), "loss_difference": float(gap[i])} for i in order]
    if items is not None:
        labels = sorted(set(items.tolist()))
        per_item = {k: float(gap[items == k].sum()) for k in labels}
        worst = sorted(per_item, key=lambda k: -per_item[k])[:top]
        out["items"] = [
            {"item": k, "loss_difference": per_item[k], "series": int((items == k).sum())} for k in worst
        ]
        # both models without the items that carry most of the difference (greedily, up to the whole gap)
        dropped, running = [], 0.0
        for k in worst:
            if running >= gap.sum() or per_item[k] <= 0:
                break
            dropped.append(k)
            running += per_item[k]
        keep = ~np.isin(items, dropped)
        q = a.quantiles
        out["without_items"] = {
            "items": dropped,
            "series_kept": int(keep.sum()),
            "mean_wql": [float(mean_wql(r.actuals[:, keep], r.table.per_bucket[:, keep], q)) for r in (a, b)],
            "mean_wql_of_dropped": [
                float(mean_wql(r.actuals[:, ~keep], r.table.per_bucket[:, ~keep], q)) for r in (a, b)
            ]
            if (~keep).any()
            else None,
        }
    return out


def main(argv: list[str] | None = None) -> int:
    ap = parser(__doc__, "quantile-forest,mqcnn")
    ap.add_argument("--top", type=int, default=8, help="series and items listed in the difference")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    panel = load(args.data, args.n_skus, args.seed)
    overrides = overrides_from(args)
    models = args.models.split(",")
    results = []
    for model in models:
        res = backtest(
            make(model, **(overrides if model in MQ_MODELS else {})), panel, args.cutoffs, args.horizon
        )
        print(f"{model}: mean wQL {res.mean_wql:.4f}", file=sys.stderr)
        results.append(res)
    ids = list(results[0].table.series_ids)
    static = panel.static.reindex(ids) if panel.static is not None else None
    groups: dict[str, np.ndarray] = {}
    if static is not None:
        for col in static.columns:
            if 1 < static[col].nunique() <= 50:
                groups[col] = static[col].astype(str).to_numpy()
    volume = np.nansum(np.abs(results[0].actuals), axis=(0, 2))
    rank = np.empty(len(volume), dtype=np.int64)
    rank[np.argsort(volume, kind="stable")] = np.arange(len(volume))
    groups["volume_quintile"] = np.array([f"q{1 + 5 * r // len(volume)}" for r in rank])
    report: dict[str, Any] = {
        "data": args.data,
        "n_series": len(ids),
        "cutoffs": args.cutoffs,
        "horizon": args.horizon,
        "overrides": overrides,
        "models": {m: breakdown(r, groups) for m, r in zip(models, results, strict=True)},
    }
    if len(results) >= 2:
        items = static["item"].astype(str).to_numpy() if static is not None and "item" in static else None
        report["difference"] = {"models": models[:2], **difference(results[0], results[1], items, args.top)}
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
