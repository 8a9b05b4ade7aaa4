"""Gymnasium environments and the SB3 VecEnv over the simulator (importing this registers them).

======================  ==========================================================  =======================
id                      what                                                        build with
======================  ==========================================================  =======================
Restock/SingleSKU-v0    one SKU at one node, SimPy engine, one review per step       gymnasium.make
Restock/Network-v0      warehouse feeding fulfillment centers, SimPy, node actions  gymnasium.make
Restock/Catalog-v0      (SKU, path) pairs on the batch engine, stepped in lockstep  gymnasium.make_vec (SB3:
                                                                                    make_catalog_vec_env)
======================  ==========================================================  =======================

Catalog-v0 is registered with a ``vector_entry_point`` (:class:`~restock.envs.catalog.CatalogVectorEnv`,
a Gymnasium ``VectorEnv``, ``num_envs`` = the number of (SKU, path) pairs); ``gymnasium.make`` of it is an
:class:`~restock.errors.InputError` that names ``make_vec``. :func:`make` builds any id, Catalog-v0 as the
SB3 ``VecEnv`` that training uses. The observation builder (:mod:`restock.envs.features`) and the action
mapping (:mod:`restock.envs.actions`) are public, so agents acting outside an env see the same features.
See ``docs/envs.md``.
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
"""Ids registered with a ``vector_entry_point``: ``gymnasium.make_vec`` builds them, :func:`make` gives the
SB3 VecEnv, ``gymnasium.make`` refuses them."""


def register_envs() -> None:
    """Register the Restock ids with Gymnasium (idempotent; runs on import)."""
    single = {
        SINGLE_SKU_ID: "restock.envs.single_sku:SingleSkuEnv",
        NETWORK_ID: "restock.envs.network:NetworkEnv",
    }
    for env_id, entry in single.items():
        if env_id not in gymnasium.registry:
            gymnasium.register(id=env_id, entry_point=entry)
    if CATALOG_ID not in gymnasium.registry:
        gymnasium.register(
            id=CATALOG_ID,
            entry_point="restock.envs.catalog:no_single_env",
            vector_entry_point="restock.envs.catalog:CatalogVectorEnv",
        )


def make(env_id: str, **kwargs: Any) -> Any:
    """Build a Restock env by id: ``gymnasium.make`` for Gymnasium envs, the SB3 VecEnv for vector ids.

    For Catalog-v0, ``kwargs`` are :func:`make_catalog_vec_env`'s (``n_envs``, ``seed``, ...); its
    Gymnasium ``VectorEnv`` is ``gymnasium.make_vec("Restock/Catalog-v0", num_envs=N, ...)``.
    """
    from restock.errors import InputError

    if env_id not in ENV_IDS:
        raise InputError(f"unknown env id {env_id!r}; known: {list(ENV_IDS)}")
    if env_id in VEC_ENV_IDS:
        from restock.envs.catalog import make_catalog_vec_env

        return make_catalog_vec_env(**kwargs)
    return gymnasium.make(env_id, **kwargs)


def make_catalog_vec_env(*args: Any, **kwargs: Any) -> Any:
    """``Restock/Catalog-v0`` as an SB3 VecEnv (see :class:`restock.envs.catalog.CatalogVecEnv`)."""
    from restock.envs.catalog import make_catalog_vec_env as factory

    return factory(*args, **kwargs)


register_envs()
