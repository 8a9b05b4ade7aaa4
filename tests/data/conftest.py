"""Shared fixtures of the data tests: the real m5-tiny files (tests using them are marked ``needs_data``)
and small synthetic catalogs."""

from __future__ import annotations

import pytest
from shared_data import M5_TINY

from restock.data import load_m5
from restock.data.panel import DemandPanel
from restock.data.synthetic import SyntheticCatalog, SyntheticConfig, generate_catalog


@pytest.fixture(scope="session")
def m5_tiny() -> DemandPanel:
    return load_m5(M5_TINY)


@pytest.fixture(scope="session")
def small_catalog() -> SyntheticCatalog:
    return generate_catalog(SyntheticConfig(n_skus=60, n_days=364, seed=3))
