"""Write a stock snapshot and a sales history for a few m5-tiny items, as of the last week of the data.

    python examples/recommend/make_inputs.py                  # writes examples/recommend/out/
    restock recommend --snapshot examples/recommend/out/snapshot.csv \\
        --history examples/recommend/out/sales.csv --out examples/recommend/out/orders.csv

"Today" is the first day of the data's last week (2016-04-18 on m5-tiny): ``sales.csv`` holds the daily
sales of the chosen items (store CA_1) for the year before today, as a long CSV (series_id, date, demand,
price), and ``snapshot.csv`` a made-up stock position for each: on hand about ``--cover`` days of its mean
demand (``FOODS_2_360_CA_1`` is overstocked with 60 days of it: nothing to order), one open
order due in three days for every other item, a lead time of 7 or 14 days. Prices are
left blank (the job takes each item's last price in the history). The last week itself is printed, the
demand that the recommended orders will meet.

The data is found as ``../shared/data/m5-tiny`` from the repository root, or under the folder that
``$RESTOCK_TEST_DATA`` names (``--data`` overrides both). The files are generated, never committed.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
import pandas as pd

from restock.data import load_m5

ROOT = Path(__file__).resolve().parents[2]
ITEMS = (
    "FOODS_3_080_CA_1",
    "FOODS_3_586_CA_1",
    "FOODS_2_360_CA_1",
    "HOBBIES_1_115_CA_1",
    "HOUSEHOLD_1_521_CA_1",
)
"""Smooth, intermittent and lumpy items of store CA_1."""
OVERSTOCKED = "FOODS_2_360_CA_1"
"""The item given 60 days of demand on hand."""


def data_folder() -> Path:
    """m5-tiny under ``$RESTOCK_TEST_DATA``, else ``../shared/data`` from the repository root."""
    base = os.environ.get("RESTOCK_TEST_DATA")
    return (Path(base) if base else ROOT.parent / "shared" / "data") / "m5-tiny"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None, help="The m5-tiny folder (default: found).")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out")
    parser.add_argument("--items", type=int, default=len(ITEMS), help=f"How many items (1..{len(ITEMS)}).")
    parser.add_argument("--days", type=int, default=365, help="Days of sales history before today.")
    parser.add_argument("--cover", type=float, default=10.0, help="Days of mean demand on hand.")
    args = parser.parse_args(argv)
    if not 1 <= args.items <= len(ITEMS):
        parser.error(f"--items must be in 1..{len(ITEMS)}")
    folder = args.data or data_folder()
    panel = load_m5(folder).subset(list(ITEMS[: args.items]))
    frame = panel.frame[["series_id", "date", "demand", "price"]]
    today = panel.dates.max() - pd.Timedelta(days=6)
    known = frame[(frame["date"] < today) & (frame["date"] >= today - pd.Timedelta(days=args.days))]
    last_week = frame[frame["date"] >= today]

    rows = []
    for i, (item, sales) in enumerate(known.groupby("series_id", sort=False)):
        mean = float(sales["demand"].tail(28).mean())
        order = f"{max(round(mean * 7), 1)}@{(today + pd.Timedelta(days=3)).date()}" if i % 2 else ""
        days = 60.0 if item == OVERSTOCKED else args.cover
        rows.append(
            {"sku": item, "on_hand": round(mean * days), "open_orders": order, "lead_time": 7 * (1 + i % 2)}
        )
    args.out.mkdir(parents=True, exist_ok=True)
    known.to_csv(args.out / "sales.csv", index=False, date_format="%Y-%m-%d")
    pd.DataFrame(rows).to_csv(args.out / "snapshot.csv", index=False)
    shown = Path(os.path.relpath(args.out))  # as the user would type it
    print(f"today: {today.date()}; wrote {shown / 'snapshot.csv'} and {shown / 'sales.csv'}")
    week = last_week.pivot_table(index="series_id", columns="date", values="demand", aggfunc="sum")
    week.columns = [d.strftime("%a %m-%d") for d in week.columns]
    print("the demand of the week from today (not in sales.csv):")
    print(week.assign(total=week.sum(axis=1)).astype(np.int64).to_string())


if __name__ == "__main__":
    main()
