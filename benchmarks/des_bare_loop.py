"""The des engine against a bare per-SKU SimPy loop with the same events, measured in the same run.

The instance is the one ``restock bench`` uses (``restock.simulator.batch.bench.instance``): one node, lost
sales, weekly review (base-stock), daily Poisson demand with a mean per SKU, lead times drawn per order from
{1, 2, 3, 4}, one year (364 periods), 1,000 SKUs by default. The measurement is
``restock.simulator.des.bench.measure_des``: medians of ``--repeats`` timed runs of the bare loop, the
engine with records off and the engine with records and event log on (frames built), in SKU-periods per
second, and the ratios bare seconds / engine seconds (target >= 0.6; above 1 the engine is faster).

    nice .venv/bin/python benchmarks/des_bare_loop.py --skus 1000 --repeats 5
"""

from __future__ import annotations

import argparse
import json
from types import SimpleNamespace

from restock.simulator.batch.bench import instance
from restock.simulator.des.bench import measure_des


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--skus", type=int, default=1000)
    ap.add_argument("--periods", type=int, default=364)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    inst = instance(args.skus, args.periods, args.seed)
    out = {"benchmark": "des_bare_loop", **vars(args), "statistic": "median"}
    out.update(measure_des(inst, SimpleNamespace(repeats=args.repeats), with_records=True))
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
