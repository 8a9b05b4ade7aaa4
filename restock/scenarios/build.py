"""From a validated Scenario to a World and ExogenousPaths (with shocks) — and the demand history.

:func:`draw` gives the whole draw (world, paths, history, catalog, demand rates); :func:`build_world` its
world and paths; :func:`build_eval` those of the k-th evaluation draw. Randomness: the catalog comes
from ``seeds.catalog`` (fixed per scenario); the paths from the root ``seed`` through
:func:`restock.simulator.paths.sample_paths`, which spawns one child generator per role ("demand",
"price", "lead_time/<node>", "fill_rate/<node>"). The demand role draws the warm-up history and the
simulated periods in one go, so the history belongs to the same path as the demand that follows it.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from restock.data.synthetic import sample_demand
from restock.scenarios import censored_normal
from restock.scenarios.catalog import Catalog, resolve_catalog, unit_volumes
from restock.scenarios.counts import level_quantiles
from restock.scenarios.network import scenario_network
from restock.scenarios.schema import Scenario
from restock.scenarios.shocks import (
    DEMAND_KINDS,
    check_targets,
    demand_factors,
    launched,
    price_factors,
    shared_limit,
    transfer_delays,
    vendor_disruptions,
)
from restock.seeding import eval_seed
from restock.simulator.paths import ExogenousPaths, sample_paths
from restock.simulator.world import Economics, Ordering, World


@dataclass(frozen=True)
class ScenarioDraw:
    """One draw of a scenario: the world, its exogenous paths and the demand history before period 0."""

    scenario: Scenario
    seed: int
    """The root seed the paths were drawn from."""
    world: World
    paths: ExogenousPaths
    """Shocks applied."""
    warmup_demand: np.ndarray | Callable[[], np.ndarray]
    """The demand of the warm-up periods, or what draws it when first read (:attr:`history`)."""
    rate: np.ndarray | None
    """[W + T, M, N] mean rate per period with every demand shock applied (stationary; None for data): the
    mean demand of poisson and negbin, the mean of the normal before censoring at 0."""
    catalog: Catalog
    node_share: np.ndarray
    """[M] multiple of a SKU's base demand model seen at (or below) each node: a customer-facing node's own
    ``demand_share`` plus those of the customer-facing nodes it feeds, directly or not."""

    @functools.cached_property
    def history(self) -> np.ndarray:
        """[P, W, M, N] demand of the ``warmup`` periods before period 0 (never shocked; 0 for launched
        SKUs), float64. Stationary demand draws it on first read, from the same stream as the paths (the
        same numbers as when drawn with them): a run whose forecaster never reads it never holds it."""
        src = self.warmup_demand
        return src() if callable(src) else src


def own_shares(scenario: Scenario) -> np.ndarray:
    """[M] the multiple of a SKU's base demand model arriving at each node itself (``own_share``: its
    ``demand_share`` at a customer-facing node, 0 elsewhere)."""
    return np.array([n.own_share for n in scenario.nodes], dtype=np.float64)


def served_matrix(scenario: Scenario) -> np.ndarray:
    """[M, M] 1.0 where node c (column) is node m (row) or is fed by m, directly or not: the nodes whose
    customers a node's stock ends up serving."""
    names = [n.name for n in scenario.nodes]
    out = np.eye(len(names))
    for c, node in enumerate(scenario.nodes):
        up, seen = node.source, {node.name}
        while up in names and up not in seen:  # a validated network has no cycle
            out[names.index(up), c] = 1.0
            seen.add(up)
            up = scenario.nodes[names.index(up)].source
    return out


def node_shares(scenario: Scenario) -> np.ndarray:
    """[M] the demand share at or below each node (see :attr:`ScenarioDraw.node_share`)."""
    return served_matrix(scenario) @ own_shares(scenario)


TAIL = 1e-15
"""Upper-tail mass beyond the largest demand tabulated for inversion (folded into that value)."""
MAX_TABLE = 20_000
"""Longest CDF table of a demand rate; a rate whose table would be longer is drawn by ``ppf`` itself."""
MAX_PPF_RATE = 1e10
"""Largest rate drawn by ``scipy.stats.<dist>.ppf``; larger rates use a normal expansion."""


def stationary_demand(
    distribution: str, rate: np.ndarray, dispersion: float, uniforms: np.ndarray
) -> np.ndarray:
    """Whole units of demand by inversion: the ``uniforms`` quantile of Poisson(rate) or of the negbin with
    mean ``rate`` and variance ``dispersion * rate`` (0 where the rate is 0).

    Drawing by inversion keeps common random numbers across scenarios: the same seed gives the same
    uniforms, so a shock changes demand only where it changes the rate, and monotonically. Each distinct
    rate's CDF is tabulated once (up to a tail of :data:`TAIL`) and the uniforms are looked up in it:
    the values of ``scipy.stats.<dist>.ppf`` (up to float rounding at a CDF step), much faster.
    """
    # The rate is usually stretched over leading axes (paths) and constant along others (the periods of a
    # stationary catalog): find its distinct values on the axes where it varies (the "core"), and look the
    # uniforms of every cell that shares a core cell up together, as one row of ``flat_u``.
    rate = np.asarray(rate, dtype=np.float64)
    padded = rate.reshape((1,) * (uniforms.ndim - rate.ndim) + rate.shape)
    varying = [ax for ax in range(uniforms.ndim) if padded.shape[ax] > 1 and not _constant_along(padded, ax)]
    core = padded[tuple(slice(None) if ax in varying else slice(0, 1) for ax in range(uniforms.ndim))]
    values, inverse = np.unique(core.reshape(-1), return_inverse=True)
    inverse = inverse.reshape(-1)
    others = [ax for ax in range(uniforms.ndim) if ax not in varying]
    perm = (*varying, *others)
    moved = uniforms.transpose(perm)
    flat_u = moved.reshape(inverse.size, -1)  # [cells of the core, copies of each] (a copy)
    out = np.zeros(flat_u.shape)
    positive = values > 0

    def restored(flat: np.ndarray) -> np.ndarray:
        return flat.reshape(moved.shape).transpose(np.argsort(perm))

    if not positive.any():
        return np.zeros(uniforms.shape)
    mus = values[positive]
    small = mus <= MAX_TABLE  # scipy's ppf does not finish on very large sizes
    tops = np.full(len(mus), np.inf)
    tops[small] = level_quantiles(distribution, mus[small], np.array([1.0 - TAIL]), dispersion)[:, 0]
    if distribution == "poisson":
        firsts = np.exp(-mus)
    else:
        firsts = np.power(1.0 / dispersion, mus / (dispersion - 1.0))
    # a rate whose table would be long (or whose first pmf term underflows) is drawn by scipy's ppf itself
    tabulated = (tops <= MAX_TABLE) & (firsts > 1e-280)
    row = np.full(len(values), -1)
    row[np.flatnonzero(positive)[tabulated]] = np.arange(int(tabulated.sum()))
    cdf = _cdf_table(distribution, mus[tabulated], dispersion, tops[tabulated], firsts[tabulated])
    _lookup(cdf, row[inverse], flat_u, out)  # row -1: a rate of 0 (out stays 0) or untabulated
    for i in np.flatnonzero(positive & (row < 0)):  # untabulated: scipy's ppf, one rate at a time
        cells = np.flatnonzero(inverse == i)
        out[cells] = _large_rate_quantile(distribution, float(values[i]), dispersion, flat_u[cells])
    return np.ascontiguousarray(restored(out))


LOOKUP_ELEMENTS = 1 << 22
"""Table and uniform elements one batched CDF lookup of :func:`stationary_demand` holds (a block of core
cells at a time)."""


def _lookup(cdf: np.ndarray, cell_row: np.ndarray, flat_u: np.ndarray, out: np.ndarray) -> None:
    """``out[c] = searchsorted(cdf[cell_row[c]], flat_u[c], side="left")`` for every core cell c with a
    table row (``cell_row >= 0``): one batched search per block of cells (``torch.searchsorted``, exactly
    numpy's left search on each row), instead of one numpy call per distinct rate."""
    import torch  # here: the scenarios load without torch

    cells = np.flatnonzero(cell_row >= 0)
    if cells.size == 0:
        return
    block = max(1, LOOKUP_ELEMENTS // (cdf.shape[1] + flat_u.shape[1]))
    for start in range(0, cells.size, block):
        idx = cells[start : start + block]
        table = torch.from_numpy(np.ascontiguousarray(cdf[cell_row[idx]]))
        found = torch.searchsorted(table, torch.from_numpy(np.ascontiguousarray(flat_u[idx])), side="left")
        out[idx] = found.numpy()


def pmf_demand(pmf: tuple[float, ...], uniforms: np.ndarray) -> np.ndarray:
    """Whole units by inversion: the smallest k with P(D <= k) >= u, for each of ``uniforms`` (the
    convention of :func:`stationary_demand`; the CDF's last value is 1, so every u < 1 finds a k)."""
    cdf = np.cumsum(np.asarray(pmf, dtype=np.float64))
    cdf[-1] = 1.0
    return np.searchsorted(cdf, uniforms, side="left").astype(np.float64)


def _constant_along(arr: np.ndarray, axis: int) -> bool:
    """Whether ``arr`` takes the same values at every index of ``axis``."""
    first = np.take(arr, [0], axis=axis)
    return bool((arr == first).all())


def _large_rate_quantile(distribution: str, mu: float, dispersion: float, u: np.ndarray) -> np.ndarray:
    """The ``u`` quantiles of a rate too large to tabulate: ``scipy.stats.<dist>.ppf`` up to
    :data:`MAX_PPF_RATE` (beyond it scipy returns nan or does not finish), else the Cornish-Fisher
    expansion around the normal (there the relative spread is below 1e-2 and the skewness below 0.02)."""
    if distribution == "poisson":
        if mu <= MAX_PPF_RATE:
            return np.asarray(stats.poisson.ppf(u, mu), dtype=np.float64)
        var, skew = mu, 1.0 / math.sqrt(mu)
    else:
        size, prob = mu / (dispersion - 1.0), 1.0 / dispersion
        if mu <= MAX_PPF_RATE:
            return np.asarray(stats.nbinom.ppf(u, size, prob), dtype=np.float64)
        var, skew = dispersion * mu, (2.0 - prob) / math.sqrt(size * (1.0 - prob))
    z = special.ndtri(np.clip(u, 1e-300, 1.0 - 1e-16))
    return np.maximum(0.0, np.ceil(mu + math.sqrt(var) * (z + skew * (z * z - 1.0) / 6.0)))


def _cdf_table(
    distribution: str, mus: np.ndarray, dispersion: float, tops: np.ndarray, firsts: np.ndarray
) -> np.ndarray:
    """[rates, top + 1] CDFs up to the largest of ``tops`` (the last column 1: the tail folded in)."""
    top = int(tops.max()) if len(mus) else 0
    # pmf by recurrence, all rates at once: Poisson p(k) = p(k-1) mu / k; negbin (size n, success
    # probability q) p(k) = p(k-1) (k - 1 + n) / k (1 - q)
    if distribution == "poisson":
        grow, shift, scale = mus, 0.0, 1.0
    else:
        grow, shift, scale = mus / (dispersion - 1.0), 1.0, 1.0 - 1.0 / dispersion
    pmf = np.empty((len(mus), top + 1))
    pmf[:, 0] = firsts
    for k in range(1, top + 1):
        pmf[:, k] = pmf[:, k - 1] * (grow + shift * (k - 1)) / k * scale
    cdf = np.cumsum(pmf, axis=1)
    cdf[:, -1] = 1.0
    return cdf


def demand_rate(scenario: Scenario, catalog: Catalog) -> np.ndarray:
    """[W + T, M, N] mean demand per period of a stationary catalog with every demand shock applied.

    A customer-facing node's rate is its ``demand_share`` x the SKU's mean; other nodes have none. Without
    demand shocks a read-only broadcast view of the [M, N] rates (no memory per period).
    """
    return _block_rate(scenario, catalog, _factors(scenario, catalog), (0, catalog.n_skus), full=True)


def _factors(scenario: Scenario, catalog: Catalog) -> np.ndarray | None:
    """:func:`~restock.scenarios.shocks.demand_factors` [T, M, N], None without demand shocks (all 1)."""
    if not any(s.kind in DEMAND_KINDS for s in scenario.shocks):
        return None
    return demand_factors(scenario, catalog)


def _block_rate(
    scenario: Scenario, catalog: Catalog, factors: np.ndarray | None, skus: tuple[int, int], full: bool
) -> np.ndarray:
    """[W + T, M, b - a] rates of the SKUs [a, b) (:func:`demand_rate`); without shocks (``factors``
    None) [1, M, b - a] unless ``full`` (then a broadcast view over the periods)."""
    assert catalog.mean is not None
    a, b = skus
    w, t_len = scenario.warmup, scenario.horizon
    base = (own_shares(scenario)[:, None] * catalog.mean[None, a:b])[None]
    if factors is None:
        return np.broadcast_to(base, (w + t_len, *base.shape[1:])) if full else base
    rate = np.broadcast_to(base, (w + t_len, *base.shape[1:])).copy()
    rate[w:] *= factors[..., a:b]
    rate[:w, :, launched(scenario, catalog)[a:b]] = 0.0
    return rate


DEMAND_BLOCK = 65_536
"""SKUs whose stationary demand is drawn together (every path and period of a block of SKUs at once): the
memory of drawing grows with this block, not with the catalog. The numbers do not depend on it: a block
reads its uniforms at their own places in the one "demand" stream of ``rng.random((P, W + T, M, N))``
(a copy of the PCG64 generator jumps there with ``advance``, :func:`uniform_block`), so the blocks
together are the one draw of the whole catalog, and one block (a shard of SKUs) can be drawn alone."""
FLOAT32_EXACT = 2**24
"""Whole units below this are exact in float32: stationary demand of whole units is kept in float32
unless a draw reaches it (then float64)."""


def uniform_block(
    rng: np.random.Generator,
    shape: tuple[int, int, int, int],
    periods: tuple[int, int],
    skus: tuple[int, int],
) -> np.ndarray:
    """The uniforms [P, t1 - t0, M, b - a] that ``rng.random(shape)`` (``shape`` [P, W + T, M, N]) would put
    at the periods [t0, t1) and SKUs [a, b), drawn alone: a copy of ``rng``'s PCG64 jumps to each run of
    them (one 64-bit step per double); ``rng`` itself does not move."""
    if not isinstance(rng.bit_generator, np.random.PCG64):
        raise TypeError(f"uniform_block needs a PCG64 generator, got {type(rng.bit_generator).__name__}")
    p_len, t_all, m_len, n = shape
    (t0, t1), (a, b) = periods, skus
    bits = np.random.PCG64()
    bits.state = rng.bit_generator.state
    gen = np.random.Generator(bits)
    out = np.empty((p_len, t1 - t0, m_len, b - a))
    pos = 0
    for p in range(p_len):
        if a == 0 and b == n:  # whole rows: one contiguous run per path
            start = (p * t_all + t0) * m_len * n
            bits.advance(start - pos)
            gen.random(out=out[p])
            pos = start + out[p].size
            continue
        for t in range(t0, t1):
            for m in range(m_len):
                start = ((p * t_all + t) * m_len + m) * n + a
                bits.advance(start - pos)
                gen.random(out=out[p, t - t0, m])
                pos = start + b - a
    return out


def _stationary_demand(
    scenario: Scenario,
    catalog: Catalog,
    rng: np.random.Generator,
    n_paths: int,
    periods: tuple[int, int],
    skus: tuple[int, int] | None = None,
) -> np.ndarray:
    """[P, t1 - t0, M, b - a] stationary demand of the periods [t0, t1) of -W .. T - 1 (0: period -W) and
    the catalog's SKUs [a, b) (``skus``; None: all), drawn in blocks of :data:`DEMAND_BLOCK` SKUs; whole
    units in float32 (see :data:`FLOAT32_EXACT`), the censored normal in float64."""
    w, t_len = scenario.warmup, scenario.horizon
    m, n = len(scenario.nodes), catalog.n_skus
    first, stop = (0, n) if skus is None else skus
    d = scenario.demand
    factors = _factors(scenario, catalog)
    t0, t1 = periods
    out = np.zeros(
        (n_paths, t1 - t0, m, stop - first), dtype=np.float64 if d.distribution == "normal" else np.float32
    )
    for a in range(first, stop, DEMAND_BLOCK):
        b = min(stop, a + DEMAND_BLOCK)
        u = uniform_block(rng, (n_paths, w + t_len, m, n), periods, (a, b))
        rate = _block_rate(scenario, catalog, factors, (a, b), full=False)
        rate = rate[t0:t1] if rate.shape[0] > 1 else rate
        if d.distribution == "pmf":
            block = pmf_demand(d.pmf, u)
        elif d.distribution == "normal":
            assert d.cv is not None
            block = censored_normal.draw(rate[None], d.cv, u)
        else:
            block = stationary_demand(d.distribution, rate[None], d.dispersion, u)
        if out.dtype == np.float32 and block.size and block.max() >= FLOAT32_EXACT:
            out = out.astype(np.float64)
        out[..., a - first : b - first] = block
    return out


def _demand(scenario: Scenario, catalog: Catalog, rng: np.random.Generator, n_paths: int) -> np.ndarray:
    """[P, W + T, M, N] demand with shocks: the data x factors, or draws from the catalog's truth
    (stationary catalogs: :func:`_stationary_demand`)."""
    w, t_len = scenario.warmup, scenario.horizon
    m, n = len(scenario.nodes), catalog.n_skus
    if catalog.demand is not None:
        own = own_shares(scenario)
        out = own[None, None, :, None] * catalog.demand[None, :, None, :]
        out = np.broadcast_to(out, (n_paths, w + t_len, m, n)).copy()
        out[:, w:] *= demand_factors(scenario, catalog)[None]
        out[:, :w, :, launched(scenario, catalog)] = 0.0
        return out
    if catalog.truth is not None:
        return _catalog_demand(scenario, catalog, rng, n_paths)
    return _stationary_demand(scenario, catalog, rng, n_paths, (0, w + t_len)).astype(np.float64)


def catalog_mu(scenario: Scenario, catalog: Catalog) -> np.ndarray:
    """[W + T, M, N] the synthetic catalog's daily NB mean at each node, with every demand shock applied
    (a shock scales the truth's mean: demand stays whole units, and the truth of the shocked catalog stays
    exact)."""
    assert catalog.truth is not None
    w = scenario.warmup
    base = catalog.truth.mu[:, : w + scenario.horizon].T  # [W + T, N]
    own = own_shares(scenario)
    mu = own[None, :, None] * base[:, None, :]
    mu[w:] *= demand_factors(scenario, catalog)
    mu[:w, :, launched(scenario, catalog)] = 0.0
    return mu


def _catalog_demand(
    scenario: Scenario, catalog: Catalog, rng: np.random.Generator, n_paths: int
) -> np.ndarray:
    """[P, W + T, M, N] fresh draws from the synthetic catalog's truth (shocks scale its mean)."""
    truth = catalog.truth
    assert truth is not None
    mu = catalog_mu(scenario, catalog)
    out = np.zeros((n_paths, *mu.shape))
    for p in range(n_paths):
        for j, node in enumerate(scenario.nodes):
            if node.customer_facing:
                out[p, :, j, :] = sample_demand(
                    mu[:, j, :].T, truth.size, truth.zero_prob, truth.spike_prob, truth.spike_scale,
                    truth.spike_size, rng,
                ).T  # fmt: skip
    return out


def _economics(scenario: Scenario, catalog: Catalog) -> tuple[Economics, np.ndarray]:
    e = scenario.economics
    ref = catalog.price[scenario.warmup :].mean(axis=0)
    ppy = scenario.periods_per_year
    cost = e.unit_cost.resolve(ref, None, ppy)
    econ = Economics(
        unit_cost=cost,
        holding_cost=e.holding_cost.resolve(ref, cost, ppy),
        lost_sale_penalty=e.lost_sale_penalty.resolve(ref, cost, ppy),
        fixed_order_cost=e.fixed_order_cost.resolve(ref, cost, ppy),
        salvage_value=e.salvage_value.resolve(ref, cost, ppy),
        discount=e.discount,
    )
    return econ, ref


def _initial_on_hand(scenario: Scenario, catalog: Catalog, shares: np.ndarray) -> np.ndarray:
    """[M, N] whole units: initial_cover x mean demand per period at or below each node."""
    if catalog.mean is not None:
        cv = scenario.demand.cv
        # the censored normal's mean demand is above the mean of X (censored_normal.unit_moments)
        mean = catalog.mean * (censored_normal.unit_moments(cv)[0] if cv is not None else 1.0)
    elif catalog.truth is not None:
        expected = catalog.truth.mean()[:, : scenario.warmup + scenario.horizon]
        mean = expected[:, : scenario.warmup].mean(axis=1) if scenario.warmup else expected.mean(axis=1)
    else:
        assert catalog.demand is not None
        w = scenario.warmup
        mean = catalog.demand[:w].mean(axis=0) if w > 0 else catalog.demand.mean(axis=0)
    cover = np.array([n.initial_cover for n in scenario.nodes])
    start = np.rint(cover[:, None] * shares[:, None] * mean[None, :])
    start[:, launched(scenario, catalog)] = 0.0
    return start


def _ordering(scenario: Scenario, n_skus: int) -> Ordering | None:
    """The world's case packs and minimum orders (``[ordering]``, the same for every SKU)."""
    o = scenario.ordering
    if o.case_pack is None and o.minimum_order is None:
        return None
    full = lambda v: None if v is None else np.full(n_skus, float(v))  # noqa: E731
    return Ordering(case_pack=full(o.case_pack), minimum_order=full(o.minimum_order))


def draw(scenario: Scenario, seed: int | None = None, n_paths: int | None = None) -> ScenarioDraw:
    """The world, ``n_paths`` paths from root ``seed`` with every shock applied, and the history
    (defaults: ``seeds.root`` and ``seeds.n_paths``)."""
    seed = scenario.seeds.root if seed is None else seed
    n_paths = n_paths or scenario.seeds.n_paths
    catalog = resolve_catalog(scenario)
    check_targets(scenario, catalog)
    shares = node_shares(scenario)
    economics, _ = _economics(scenario, catalog)
    world = World(
        skus=catalog.skus,
        economics=economics,
        network=scenario_network(scenario, vendor_disruptions(scenario)),
        horizon=scenario.horizon,
        review_period=scenario.review_period,
        review_offset=scenario.review_offset,
        initial_on_hand=_initial_on_hand(scenario, catalog, shares),
        ordering=_ordering(scenario, catalog.n_skus),
        inbound_capacity=shared_limit(scenario, "inbound_capacity"),
        storage_volume=(volume := shared_limit(scenario, "storage_volume")),
        unit_volume=None if volume is None else unit_volumes(scenario, catalog.n_skus),
    )
    w, t_len = scenario.warmup, scenario.horizon
    stationary = catalog.demand is None and catalog.truth is None
    # a shard (catalog.shard, validated: stationary demand): its SKUs' part of the whole catalog's draw
    a, b = scenario.catalog.shard or (0, catalog.n_skus)
    shard = None if (a, b) == (0, catalog.n_skus) else (a, b)
    if shard is not None:
        world = world.take_skus(np.arange(a, b))
    full: dict[str, np.ndarray] = {}
    history: list[np.ndarray | Callable[[], np.ndarray]] = []

    def demand(rng: np.random.Generator, n: int) -> np.ndarray:
        if stationary:  # the warm-up from the same stream, only when read
            history.append(
                lambda: _stationary_demand(scenario, catalog, rng, n, (0, w), shard).astype(np.float64)
            )
            return _stationary_demand(scenario, catalog, rng, n, (w, w + t_len), shard)
        full["demand"] = _demand(scenario, catalog, rng, n)
        history.append(full["demand"][:, :w].copy())
        return full["demand"][:, w:]

    def price(rng: np.random.Generator, n: int) -> np.ndarray:
        base = catalog.price[w:, a:b]
        return np.broadcast_to(base, (n, *base.shape))  # a read-only view

    raw = sample_paths(
        world, demand, price, n_paths=n_paths, seed=seed, shard=None if shard is None else (catalog.skus, a)
    )
    price_shocked = any(s.kind == "price_change" for s in scenario.shocks)
    paths = ExogenousPaths(
        demand=raw.demand,
        lead_time=transfer_delays(scenario, raw.lead_time)
        if any(s.kind == "transfer_delay" for s in scenario.shocks)
        else raw.lead_time,
        fill_rate=raw.fill_rate,
        capacity=raw.capacity,
        price=raw.price * price_factors(scenario, catalog)[None, :, a:b] if price_shocked else raw.price,
    )
    full.clear()
    rate = (  # the shard's SKUs only
        _block_rate(scenario, catalog, _factors(scenario, catalog), (a, b), full=True)
        if catalog.mean is not None
        else None
    )
    return ScenarioDraw(
        scenario=scenario,
        seed=seed,
        world=world,
        paths=paths,
        warmup_demand=history[0],
        rate=rate,
        catalog=catalog if shard is None else _catalog_skus(catalog, a, b),
        node_share=shares,
    )


def _catalog_skus(c: Catalog, first: int, stop: int) -> Catalog:
    """The stationary catalog ``c`` of its SKUs ``first .. stop - 1``."""
    return dataclasses.replace(
        c,
        skus=c.skus[first:stop],
        category=c.category[first:stop],
        elasticity=c.elasticity[first:stop],
        price=c.price[:, first:stop],
        mean=None if c.mean is None else c.mean[first:stop],
    )


def build_world(scenario: Scenario, seed: int, n_paths: int) -> tuple[World, ExogenousPaths]:
    """The world and ``n_paths`` exogenous paths from root ``seed`` (shocks applied).

    Training runs use seeds below :data:`restock.seeding.EVAL_SEED_OFFSET`; evaluation runs use
    :func:`build_eval`, whose seeds are disjoint from them.
    """
    d = draw(scenario, seed, n_paths)
    return d.world, d.paths


def build_eval(scenario: Scenario, k: int, n_paths: int) -> tuple[World, ExogenousPaths]:
    """The ``k``-th evaluation draw (root seed :func:`restock.seeding.eval_seed` (k))."""
    return build_world(scenario, eval_seed(k), n_paths)
