"""Meinshausen's quantile regression forest weights over a fitted scikit-learn forest, stored compactly.

Meinshausen (2006): a forest of T trees defines, for a query x, weights over the n training rows,
``w_j(x) = (1/T) * sum_t 1[row j shares x's leaf in tree t] / (rows in that leaf)``, and the conditional
distribution of each target is the weighted empirical distribution of the training targets. Every training
row counts (not only a tree's bootstrap sample), as in the paper.

Why not ``quantile-forest``'s own storage: it keeps leaf members in a dense array [trees, nodes, outputs,
largest leaf]. Intermittent demand makes huge pure leaves (thousands of rows whose next H buckets are all
zero, which no split can separate), and with 2H outputs that array outgrows memory: on carparts 4 trees
already took 5.3 GB (60 trees would need about 80 GB). Here the leaf membership is one sparse matrix
[all leaves, n] (T x n entries), the weights of a block of queries are a sparse product, and quantiles are
read from the non-zero weights only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from restock.forecasters.censoring import product_limit

_BLOCK_QUERIES = 256  # queries whose sparse weights are processed together


@dataclass(frozen=True)
class LeafWeights:
    """Leaf membership of the training rows of a fitted forest, for Meinshausen weights."""

    members: sp.csr_matrix
    """[total leaves, n_train]: 1 / leaf size where a training row is in a leaf (leaves of all trees)."""
    offsets: np.ndarray
    """[T]: first global leaf id of each tree."""
    n_leaves: np.ndarray
    """[T]: node ids of each tree are in 0..n_leaves[t]-1 (sklearn node ids; internal nodes stay empty)."""

    @classmethod
    def from_leaves(cls, train_leaves: np.ndarray, node_counts: np.ndarray) -> LeafWeights:
        """``train_leaves`` [n_train, T] from ``forest.apply(X_train)``; ``node_counts`` [T] per tree."""
        n, t = train_leaves.shape
        offsets = np.concatenate([[0], np.cumsum(node_counts)[:-1]]).astype(np.int64)
        rows = (train_leaves + offsets[None, :]).ravel()
        cols = np.repeat(np.arange(n), t)
        total = int(node_counts.sum())
        sizes = np.bincount(rows, minlength=total).astype(np.float64)
        vals = 1.0 / sizes[rows]
        members = sp.csr_matrix((vals, (rows, cols)), shape=(total, n))
        return cls(members=members, offsets=offsets, n_leaves=np.asarray(node_counts))

    @property
    def n_trees(self) -> int:
        return len(self.offsets)

    def weights(self, query_leaves: np.ndarray) -> sp.csr_matrix:
        """[n_query, n_train] sparse weights (rows sum to 1) of queries with leaves [n_query, T]."""
        b, t = query_leaves.shape
        cols = (query_leaves + self.offsets[None, :]).ravel()
        rows = np.repeat(np.arange(b), t)
        pick = sp.csr_matrix((np.full(b * t, 1.0 / t), (rows, cols)), shape=(b, self.members.shape[0]))
        return (pick @ self.members).tocsr()


def target_ranks(y: np.ndarray, censored: np.ndarray | None = None) -> np.ndarray:
    """[n, K]: the rank of each training row's value within each target column (ties by row order; with
    ``censored`` [n, K], exact values before censored ones at ties, as the product-limit estimator needs)."""
    ranks = np.empty(y.shape, dtype=np.int64)
    if censored is None:
        order = np.argsort(y, axis=0, kind="stable")
    else:
        order = np.lexsort((censored, y), axis=0)
    np.put_along_axis(ranks, order, np.arange(len(y))[:, None], axis=0)
    return ranks


def weighted_quantiles(
    leaf_weights: LeafWeights,
    query_leaves: np.ndarray,
    y: np.ndarray,
    ranks: np.ndarray,
    quantiles: np.ndarray,
    censored: np.ndarray | None = None,
    unreached: float | None = None,
) -> np.ndarray:
    """Quantiles [n_query, K, Q] of each target column of ``y`` [n, K] under each query's weights.

    ``censored`` [n, K] (bool; None: none) marks training targets that are lower bounds (sales in a
    stock-out): the weighted distribution is then the product-limit one
    (:func:`restock.forecasters.censoring.product_limit`, Beran's conditional Kaplan-Meier estimator), and a
    level it never reaches gives the largest neighbour's value (``unreached``, e.g. NaN, if given).

    ``query_leaves`` is [n_query, T] from ``forest.apply``, ``ranks`` from :func:`target_ranks`. The
    q-quantile is the smallest training value whose cumulative weight (in value order) reaches q: the
    inverse of the weighted empirical distribution function. Only rows with a non-zero weight are touched,
    all queries of a block at once (sorted by (query, value rank) with one integer sort).
    """
    q = np.asarray(quantiles, dtype=np.float64)
    n_query = query_leaves.shape[0]
    n, k_out = y.shape
    out = np.empty((n_query, k_out, len(q)))
    for lo in range(0, n_query, _BLOCK_QUERIES):
        w = leaf_weights.weights(query_leaves[lo : lo + _BLOCK_QUERIES])
        b = w.shape[0]
        counts = np.diff(w.indptr)
        row = np.repeat(np.arange(b), counts)
        ends = w.indptr[1:] - 1  # last entry of each query's segment
        for k in range(k_out):
            order = np.argsort(row * n + ranks[w.indices, k])  # unique keys; rows keep their CSR segments
            if censored is None:
                cum = np.cumsum(w.data[order])
                before = np.concatenate([[0.0], cum[ends[:-1]]])
                local = (cum - np.repeat(before, counts)) / np.repeat(cum[ends] - before, counts)
            else:
                exact = ~censored[w.indices[order], k]
                local = product_limit(w.data[order], exact, counts)
            # the segments stacked into one increasing sequence: query i lives in (i, i+1]
            pos = np.searchsorted(local + row, (np.arange(b)[:, None] + q[None, :] - 1e-12).ravel())
            pos = np.minimum(pos.reshape(b, len(q)), ends[:, None])
            out[lo : lo + b, k, :] = y[w.indices[order[pos]], k]
            if censored is not None and unreached is not None:
                beyond = q[None, :] > local[ends][:, None] + 1e-12
                out[lo : lo + b, k, :][beyond] = unreached
    return out


IMPUTE_GRID = np.linspace(0.025, 0.975, 39)
"""Levels at which :func:`impute_censored` tabulates each row's conditional distribution."""


def impute_censored(
    leaf_weights: LeafWeights,
    train_leaves: np.ndarray,
    y: np.ndarray,
    censored: np.ndarray,
) -> np.ndarray:
    """``y`` [n, K] with every ``censored`` value (a lower bound) replaced by demand imputed above it.

    Row i's conditional distribution of column k is the product-limit estimate over its forest neighbours
    (:func:`weighted_quantiles` with ``censored``, queried with the row's own leaves ``train_leaves``),
    tabulated at :data:`IMPUTE_GRID`. A censored value v at estimated level F(v) is replaced by the
    quantile at level (F(v) + 1) / 2, and never by less than v: the conditional median of demand given
    demand >= v. Levels beyond the estimate's reach (its largest neighbours censored) or the grid read the
    highest level tabulated: the tail beyond what any neighbour sold is not invented. (A random draw from
    the same conditional distribution, tried first, over-covered: a forest neighbourhood is wider than
    the row's own distribution, and the draws carried that width into the targets; docs/censoring.md.)
    """
    ranks = target_ranks(y, censored)
    curves = weighted_quantiles(
        leaf_weights, train_leaves, y, ranks, IMPUTE_GRID, censored, unreached=np.nan
    )  # [n, K, G]
    rows, cols = np.nonzero(censored)
    out = np.array(y, dtype=np.float64, copy=True)
    if rows.size == 0:
        return out
    curve = curves[rows, cols]  # [C, G]
    reach = np.isfinite(curve).sum(axis=1)  # levels tabulated (a prefix of the grid)
    top = np.where(reach > 0, IMPUTE_GRID[np.maximum(reach - 1, 0)], 0.0)
    curve = np.where(
        np.isfinite(curve), curve, np.nanmax(np.where(reach[:, None] > 0, curve, 0.0), axis=1)[:, None]
    )
    v = y[rows, cols]
    below = (curve <= v[:, None]).sum(axis=1)
    level = np.where(below > 0, IMPUTE_GRID[np.maximum(below - 1, 0)], 0.0)
    u = np.minimum(level + 0.5 * (1.0 - level), top)
    pos = np.interp(u, IMPUTE_GRID, np.arange(len(IMPUTE_GRID)))
    lo = np.minimum(np.floor(pos).astype(np.int64), len(IMPUTE_GRID) - 2)
    frac = pos - lo
    take = lambda j: np.take_along_axis(curve, j[:, None], axis=1)[:, 0]  # noqa: E731
    drawn = take(lo) * (1.0 - frac) + take(lo + 1) * frac
    out[rows, cols] = np.maximum(v, drawn)
    return out
