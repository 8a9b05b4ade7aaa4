"""The exact optimum of small shared-capacity instances against the Lagrangian newsvendor (docs/sourcing.md).

One node, K SKUs sharing an inbound capacity C per period, lost sales, lead time 0, Poisson demand
(:mod:`restock.agents.oracle.shared_capacity`). Per instance and C: the optimal average profit, the exact
profit and gap of the Lagrangian newsvendor (plain and slack-filled) and of the newsvendor cut pro rata,
how often each takes in all of C, and how often the optimum holds more than the capacity-blind newsvendor
level. Each row is also one ``restock oracle shared-capacity ... --json`` (printed with ``--commands``).

Usage::

    nice .venv/bin/python benchmarks/shared_capacity_oracle.py --markdown
"""

from __future__ import annotations

import argparse
import json
import sys

from restock.agents.oracle import SharedCapacityConfig, solve_shared_capacity

INSTANCES: dict[str, dict[str, tuple[object, ...]]] = {
    # two SKUs, different margins and holding costs; mean total demand 5
    "A": {
        "demand": ("poisson:3", "poisson:2"),
        "price": (10.0, 8.0),
        "unit_cost": (5.0, 4.0),
        "holding": (1.0, 0.5),
        "penalty": (2.0, 2.0),
    },
    # a fat-margin, cheap-to-hold SKU and a thin-margin, dear-to-hold one; mean total demand 10
    "B": {
        "demand": ("poisson:6", "poisson:4"),
        "price": (20.0, 6.0),
        "unit_cost": (8.0, 4.0),
        "holding": (0.5, 1.0),
        "penalty": (5.0, 0.0),
    },
    # three SKUs, the first two identical; mean total demand 5
    "C": {
        "demand": ("poisson:2", "poisson:2", "poisson:1"),
        "price": (10.0, 10.0, 12.0),
        "unit_cost": (5.0, 5.0, 4.0),
        "holding": (1.0, 1.0, 2.0),
        "penalty": (2.0, 2.0, 1.0),
    },
}
SHARES = (0.8, 1.0, 1.2)
"""Capacity as a share of the mean total demand."""


def command(fields: dict[str, tuple[object, ...]], capacity: int) -> str:
    lists = {k: ",".join(f"{v:g}" if isinstance(v, float) else str(v) for v in fields[k]) for k in fields}
    return (
        f"restock oracle shared-capacity --demand {lists['demand']} --price {lists['price']} "
        f"--unit-cost {lists['unit_cost']} --holding {lists['holding']} --penalty {lists['penalty']} "
        f"--capacity {capacity} --json"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--markdown", action="store_true", help="print a markdown table")
    parser.add_argument("--commands", action="store_true", help="print the equivalent CLI commands")
    parser.add_argument("--instances", default=",".join(INSTANCES), help="comma list of A, B, C")
    args = parser.parse_args(argv)
    rows = []
    for name in args.instances.split(","):
        fields = INSTANCES[name]
        mean = sum(float(str(spec).split(":")[1]) for spec in fields["demand"])
        for share in SHARES:
            capacity = round(share * mean)
            if args.commands:
                print(command(fields, capacity))
                continue
            config = SharedCapacityConfig(**fields, capacity=capacity)  # type: ignore[arg-type]
            sol = solve_shared_capacity(config)
            s = sol.summary()
            rows.append({"instance": name, **s})
            if not args.markdown:
                print(json.dumps({"instance": name, **s}))
    if args.markdown and rows:
        print(
            "| instance | C (share of mean demand) | optimum | Lagrangian | Lagrangian, slack filled | "
            "newsvendor cut pro rata | all of C used: optimum / Lagrangian | optimum above S | "
            "levels from empty: optimum (S) | seconds |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|")
        for r in rows:
            pol = r["policies"]

            def cell(key: str, pol: dict[str, dict[str, float]] = pol) -> str:
                return f"{pol[key]['average_profit']:.4f} ({-pol[key]['gap_percent']:+.3f}%)"

            print(
                f"| {r['instance']} | {r['capacity']} ({r['capacity_share_of_mean_demand']:.0%}) | "
                f"{r['average_profit']:.4f} | {cell('lagrangian')} | {cell('lagrangian-filled')} | "
                f"{cell('newsvendor')} | {pol['optimal']['capacity_used']:.1%} / "
                f"{pol['lagrangian']['capacity_used']:.1%} | {pol['optimal']['above_newsvendor']:.1%} | "
                f"{tuple(r['optimal_levels_from_empty'])} ({tuple(r['newsvendor_levels'])}) | "
                f"{r['seconds']:.2f} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
