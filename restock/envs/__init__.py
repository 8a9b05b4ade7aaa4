"""Gymnasium environments and the SB3 VecEnv over the simulator (importing this registers them).

======================  =============================================================  ====================
id                      what                                                           build with
======================  =============================================================  ====================
Restock/SingleSKU-v0    one SKU at one node, SimPy engine, a review period per step    gymnasium.make
Restock/Network-v0      warehouse feeding fulfillment centers, SimPy, node actions     gymnasium.make
Restock/Catalog-v0      (SKU, path) pairs on the batch engine, an SB3 VecEnv           make_catalog_vec_env
======================  =============================================================  ====================

:func:`make` builds any of them by id. The observation builder (:mod:`restock.envs.features`) and the
action mapping (:mod:`restock.envs.actions`) are public, so agents acting outside an env see the same
features. See ``docs/envs.md``.
"""

from __future__ import annotations

from typing import Any

import gymnasium

SINGLE_SKU_ID = "Restock/SingleSKU-v0"
NETWORK_ID = "Restock/Network-v0"
CATALOG_ID = "Restock/Catalog-v0"
ENV_IDS: tuple[str, ...] = (SINGLE_SKU_ID, NETWORK_ID, CATALOG_ID)
"""Every registered Restock env id."""
VEC_ENV_IDS: tuple[str, ...] = (CATALOG_ID,)
"""Ids whose entry point returns an SB3 VecEnv (not buildable by ``gymnasium.make``)."""


def register_envs() -> None:
    """Register the Restock ids with Gymnasium (idempotent; runs on import)."""
    entries = {
        SINGLE_SKU_ID: "restock.envs.single_sku:SingleSkuEnv",
        NETWORK_ID: "restock.envs.network:NetworkEnv",
        CATALOG_ID: "restock.envs.catalog:make_catalog_vec_env",
    }
    for env_id, entry in entries.items():
        if env_id not in gymnasium.registry:
            gymnasium.register(id=env_id, entry_point=entry, disable_env_checker=env_id in VEC_ENV_IDS)


def make(env_id: str, **kwargs: Any) -> Any:
    """Build a Restock env by id: ``gymnasium.make`` for Gymnasium envs, the factory for VecEnv ids."""
    from restock.errors import InputError

    if env_id not in ENV_IDS:
        raise InputError(f"unknown env id {env_id!r}; known: {list(ENV_IDS)}")
    if env_id in VEC_ENV_IDS:
        from restock.envs.catalog import make_catalog_vec_env

        return make_catalog_vec_env(**kwargs)
    return gymnasium.make(env_id, **kwargs)


def make_catalog_vec_env(*args: Any, **kwargs: Any) -> Any:
    """Build ``Restock/Catalog-v0`` (see :class:`restock.envs.catalog.CatalogVecEnv`)."""
    from restock.envs.catalog import make_catalog_vec_env as factory

    return factory(*args, **kwargs)


register_envs()
