"""Script form of ``restock bench``: simulator throughput against bare loops, one JSON object on stdout.

python benchmarks/bench_simulator.py            # full sizes (1,000 des SKUs; 100,000 batch SKUs; 364 days)
python benchmarks/bench_simulator.py --quick     # small sizes
"""

from __future__ import annotations

import sys

from restock.cli import main

if __name__ == "__main__":
    main(["bench", "--json", *sys.argv[1:]])
