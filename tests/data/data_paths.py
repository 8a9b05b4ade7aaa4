"""Where the real data lives, relative to the repository root (../shared/data)."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
M5_TINY = DATA / "m5-tiny"
CARPARTS = DATA / "carparts" / "carparts.csv"
