"""Gymnasium environments and the SB3 VecEnv over the simulator (importing this registers them).

=========================  =================================================  ==========================
id                         what                                               build with
=========================  =================================================  ==========================
Restock/SingleSKU-v0       one SKU at one node, SimPy, one review per step    gymnasium.make
Restock/Network-v0         warehouse feeding fulfillment centers, SimPy,      gymnasium.make
                           node actions
Restock/Catalog-v0         (SKU, path) pairs on the batch engine, lockstep    gymnasium.make_vec (SB3:
                                                                              make_catalog_vec_env)
Restock/NetworkCatalog-v0  (path, SKU) networks on the batch engine,          gymnasium.make_vec (SB3:
                           lockstep, one action per node                      make_network_catalog_vec_env)
=========================  =================================================  ==========================

Catalog-v0 and NetworkCatalog-v0 are registered with a ``vector_entry_point`` (one core,
:class:`~restock.envs.catalog.CatalogVectorEnv`, a Gymnasium ``VectorEnv``, ``num_envs`` = the number of
(SKU, path) pairs; NetworkCatalog-v0 is its subclass for scenarios of >= 2 nodes,
:class:`~restock.envs.network_catalog.NetworkCatalogVectorEnv`); ``gymnasium.make`` of either is an
:class:`~restock.errors.InputError` that names ``make_vec``. :func:`make` builds any id, the vector ids as
the SB3 ``VecEnv`` that training uses. The observation builder (:mod:`restock.envs.features`) and the action
mapping (:mod:`restock.envs.actions`) are public, so agents acting outside an env see the same features.
See ``docs/envs.md``.
"""

from __future__ import annotations

from typing import Any

import gymnasium

SINGLE_SKU_ID = "Restock/SingleSKU-v0"
NETWORK_ID = "Restock/Network-v0"
CATALOG_ID = "Restock/Catalog-v0"
NETWORK_CATALOG_ID = "Restock/NetworkCatalog-v0"
ENV_IDS: tuple[str, ...] = (SINGLE_SKU_ID, NETWORK_ID, CATALOG_ID, NETWORK_CATALOG_ID)
"""Every registered Restock env id."""
VEC_ENV_IDS: tuple[str, ...] = (CATALOG_ID, NETWORK_CATALOG_ID)
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
    vector = {
        CATALOG_ID: "restock.envs.catalog:CatalogVectorEnv",
        NETWORK_CATALOG_ID: "restock.envs.network_catalog:NetworkCatalogVectorEnv",
    }
    for env_id, entry in vector.items():
        if env_id not in gymnasium.registry:
            module = entry.partition(":")[0]
            gymnasium.register(id=env_id, entry_point=f"{module}:no_single_env", vector_entry_point=entry)


def make(env_id: str, **kwargs: Any) -> Any:
    """Build a Restock env by id: ``gymnasium.make`` for Gymnasium envs, the SB3 VecEnv for vector ids.

    For the vector ids, ``kwargs`` are :func:`make_catalog_vec_env`'s (``n_envs``, ``seed``, ...); their
    Gymnasium ``VectorEnv`` is ``gymnasium.make_vec(env_id, num_envs=N, ...)``.
    """
    from restock.errors import InputError

    if env_id not in ENV_IDS:
        raise InputError(f"unknown env id {env_id!r}; known: {list(ENV_IDS)}")
    if env_id in VEC_ENV_IDS:
        return VEC_FACTORIES[env_id](**kwargs)
    return gymnasium.make(env_id, **kwargs)


def make_catalog_vec_env(*args: Any, **kwargs: Any) -> Any:
    """``Restock/Catalog-v0`` as an SB3 VecEnv (see :class:`restock.envs.catalog.CatalogVecEnv`)."""
    from restock.envs.catalog import make_catalog_vec_env as factory

    return factory(*args, **kwargs)


def make_network_catalog_vec_env(*args: Any, **kwargs: Any) -> Any:
    """``Restock/NetworkCatalog-v0`` as an SB3 VecEnv (see
    :class:`restock.envs.network_catalog.NetworkCatalogVecEnv`)."""
    from restock.envs.network_catalog import make_network_catalog_vec_env as factory

    return factory(*args, **kwargs)


VEC_FACTORIES: dict[str, Any] = {
    CATALOG_ID: make_catalog_vec_env,
    NETWORK_CATALOG_ID: make_network_catalog_vec_env,
}
"""The SB3 VecEnv factory of each vector id (what :func:`make` calls)."""

register_envs()
