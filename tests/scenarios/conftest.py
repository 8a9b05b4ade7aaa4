"""Tests of restock.scenarios run from the repository root (data paths are relative to it)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def at_root(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run the test with the repository root as the current directory (``../shared/data`` resolves)."""
    monkeypatch.chdir(ROOT)
    return ROOT
