"""Wall time of the ``restock`` command's start: ``restock --help`` and ``restock scenarios list``.

Each command runs ``--repeats`` times in a fresh interpreter through the real entry point
(``restock.cli.main``, the function the ``restock`` script calls), from the repository root so that its
``restock`` is imported. Target: median under 0.5 s for both (issue 16). CPU time (user + system of the
child) is printed beside the wall time: on a shared machine the wall time includes waiting for a core.

    .venv/bin/python benchmarks/cli_startup.py [--repeats 9]

Prints one JSON object: per command, the median wall and CPU seconds, and the load average at the start.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMANDS: dict[str, list[str]] = {
    "restock --help": ["--help"],
    "restock scenarios list": ["scenarios", "list"],
}
ENTRY = "import sys; from restock.cli import main; main(sys.argv[1:])"


def _one(argv: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one fresh run of the command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", ENTRY, *argv], cwd=ROOT, capture_output=True, check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    out: dict[str, object] = {"load_average": list(os.getloadavg()), "repeats": args.repeats}
    for name, argv in COMMANDS.items():
        _one(argv)  # warm the file cache
        runs = [_one(argv) for _ in range(args.repeats)]
        out[name] = {
            "wall_s": statistics.median(w for w, _ in runs),
            "cpu_s": statistics.median(c for _, c in runs),
        }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
