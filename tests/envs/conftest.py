"""Shared fixtures for the env tests: short scenarios keep the default test set fast."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # env_fakes

SHORT = {"horizon": 56}
"""Scenario override: eight weekly reviews."""
