"""``Restock/NetworkCatalog-v0``: the batch engine over many (path, SKU) networks, one action per node.

The core of ``Restock/Catalog-v0`` (:class:`~restock.envs.catalog.CatalogVectorEnv`) on a multi-node
scenario: :class:`NetworkCatalogVectorEnv` is its Gymnasium ``VectorEnv`` (the id's
``vector_entry_point``), :class:`NetworkCatalogVecEnv` its SB3 ``VecEnv`` adapter
(``make_network_catalog_vec_env``, ``restock.envs.make``), which SB3 training uses on networks. Only the
defaults, the node check and the spec below differ from Catalog-v0; the dynamics, seeds, autoreset and
info are the same code.
"""

from __future__ import annotations

from typing import Any, NoReturn

from restock.envs.catalog import CatalogVecEnv, CatalogVectorEnv
from restock.envs.network import DEFAULT_SCENARIO
from restock.errors import InputError

NETWORK_SOURCE = "Restock/NetworkCatalog-v0"


class NetworkCatalogVectorEnv(CatalogVectorEnv):
    """Buy and distribute a catalog across a network: many (path, SKU) networks stepped together.

    ## Description

    A Gymnasium 1.x ``VectorEnv`` (``gymnasium.make_vec("Restock/NetworkCatalog-v0", num_envs=N, ...)``)
    over a scenario with M >= 2 nodes (by default the built-in ``warehouse-3fc``: a warehouse ``dc`` fed
    by a vendor, feeding fulfillment centers ``fc1..fc3`` that face customers). Sub-environment ``i`` is
    SKU ``i % S`` of the scenario's S SKUs on exogenous path ``i // S``, over the whole network: the env
    simulates ceil(num_envs / S) paths of the whole catalog and network in lockstep on the batch engine
    (:class:`~restock.simulator.batch.NetworkEngine`; sub-environments past ``num_envs`` are simulated
    with the smallest action at every node and never shown). Every sub-environment is exactly a
    ``Restock/Network-v0`` problem (one SKU on one path): the same order of events, observation, action
    mapping and reward, built by the same code; a parity test checks that returns agree with Network-v0
    on the des engine on the same paths.

    ## Order of events (each period t; a step runs from one review to the next)

    As Network-v0: 1. shipments and transfers due in t arrive; 2. at a review, every node's order from
    its action is placed (vendor-fed nodes order from the vendor, the others request a transfer from
    their source, which rations when it cannot fill every request); 3. customer demand at the
    customer-facing nodes is served, the rest lost (or backordered); 4. revenue and costs of every node
    are booked.

    ## Action space

    ``single_action_space``: ``Box(-1, 1, (M,), float32)``, entry m node m's action in
    ``world.network.nodes`` order (:attr:`node_names`); ``action_space``: ``Box(-1, 1, (num_envs, M))``.
    Entry m maps to node m's order exactly as in Network-v0, by node m's
    :class:`~restock.envs.actions.ActionMap` (its forecast scale and inventory position; a warehouse's
    forecast is the demand of the nodes it feeds). NaN, inf, out-of-range values or another shape raise
    :class:`~restock.errors.InputError` (never clipped).

    ## Observation space

    ``single_observation_space``: ``Box(float32, (M x F,))``, node m's SingleSKU-v0 features (F = 30 by
    default) at positions m F .. (m + 1) F - 1, each node scaled by its own forecast scale (Network-v0's
    layout; names in :attr:`feature_names`, ``<node>/<feature>``); observations come as
    [num_envs, M x F].

    ## Rewards

    Per sub-environment, the network's profit of the review period (summed over nodes) for that (path,
    SKU), divided by ``reward_scale``, by default p_ref x s_net with s_net the summed forecast scale of
    the customer-facing nodes (:func:`~restock.envs.observer.network_reward_divisor`, as Network-v0).
    float32 [num_envs]. :attr:`last_cash` holds the unscaled components summed over nodes, and
    :attr:`last_orders` the orders [P, M, S].

    ## Starting state, episode end, autoreset, info

    As Catalog-v0 (:class:`~restock.envs.catalog.CatalogVectorEnv`): ``reset(seed=k)`` makes ``k`` the
    root seed, the e-th episode's paths are drawn from ``seeding.int_seed(k, "catalog/episode", e)``
    (:attr:`episode_seed`); truncated (never terminated) at the horizon, all sub-environments together;
    ``autoreset_mode`` NextStep (default), SameStep or Disabled; ``info_costs=True`` puts the cost
    components (summed over nodes) in ``info``.

    ## Arguments

    ``num_envs``: the number of (path, SKU) networks. ``scenario``: None (``warehouse-3fc``), or a
    scenario name or object with >= 2 nodes (a one-node scenario is an
    :class:`~restock.errors.InputError` that names Catalog-v0). ``action``, ``overrides``,
    ``reward_scale``, ``observation``, ``engine`` (``"batch"``), ``engine_options``, ``info_costs``,
    ``autoreset_mode``: as Catalog-v0.

    ``gymnasium.make("Restock/NetworkCatalog-v0")`` raises an :class:`~restock.errors.InputError` that
    names ``make_vec``; one (path, SKU) network is ``gymnasium.make("Restock/Network-v0")``.

    ## Speed

    ``warehouse-3fc`` (4 nodes, one SKU), 1,024 sub-environments, float64: see docs/envs.md
    ("NetworkCatalog-v0 speed"; ``benchmarks/bench_envs.py --only network_catalog``).

    ## Version History

    * v0: initial version.
    """

    env_id = NETWORK_SOURCE
    default_scenario = DEFAULT_SCENARIO
    network = True


def no_single_env(**kwargs: Any) -> NoReturn:
    """The single-env entry point of ``Restock/NetworkCatalog-v0``: an error that says how to build it."""
    raise InputError(
        f"{NETWORK_SOURCE} is a vector env over (path, SKU) networks: build it with "
        f"gymnasium.make_vec({NETWORK_SOURCE!r}, num_envs=N, ...) (or "
        "restock.envs.make_network_catalog_vec_env for SB3); one (path, SKU) network is "
        "gymnasium.make('Restock/Network-v0')"
    )


class NetworkCatalogVecEnv(CatalogVecEnv):
    """``Restock/NetworkCatalog-v0`` as an SB3 ``VecEnv``: :class:`~restock.envs.catalog.CatalogVecEnv`
    over :class:`NetworkCatalogVectorEnv` (actions [n_envs, M], observations [n_envs, M x F]; everything
    else as Catalog-v0's adapter)."""

    core = NetworkCatalogVectorEnv


def make_network_catalog_vec_env(
    scenario: Any = None, n_envs: int = 1024, seed: int = 0, **kwargs: Any
) -> NetworkCatalogVecEnv:
    """``Restock/NetworkCatalog-v0`` as an SB3 ``VecEnv`` (:class:`NetworkCatalogVecEnv`)."""
    return NetworkCatalogVecEnv(scenario=scenario, n_envs=n_envs, seed=seed, **kwargs)
