"""Meinshausen weights and weighted quantiles: against the definition, computed the slow way."""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import RandomForestRegressor

from restock.forecasters.forest_quantiles import LeafWeights, target_ranks, weighted_quantiles

Q = np.array([0.05, 0.1, 0.3, 0.5, 0.9, 0.98])


def _reference(
    train_leaves: np.ndarray, query_leaves: np.ndarray, y: np.ndarray, q: np.ndarray
) -> np.ndarray:
    """Meinshausen (2006) eq. 4-6 literally: loops over queries, trees and targets."""
    n, t = train_leaves.shape
    out = np.empty((len(query_leaves), y.shape[1], len(q)))
    for i, leaves in enumerate(query_leaves):
        w = np.zeros(n)
        for tree in range(t):
            same = train_leaves[:, tree] == leaves[tree]
            w[same] += 1.0 / same.sum() / t
        for k in range(y.shape[1]):
            order = np.argsort(y[:, k], kind="stable")
            cum = np.cumsum(w[order])
            for j, level in enumerate(q):
                out[i, k, j] = y[order[np.searchsorted(cum, level * cum[-1] - 1e-12)], k]
    return out


def _forest(x: np.ndarray, y: np.ndarray, **kw: object) -> tuple[RandomForestRegressor, LeafWeights]:
    forest = RandomForestRegressor(random_state=0, **kw).fit(x, y)  # type: ignore[arg-type]
    counts = np.array([e.tree_.node_count for e in forest.estimators_])
    return forest, LeafWeights.from_leaves(forest.apply(x), counts)


def test_matches_the_definition_on_a_multi_output_forest() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 3))
    y = np.column_stack([x[:, 0] + rng.normal(size=300), np.round(rng.exponential(3.0, size=300))])  # ties
    forest, lw = _forest(x, y, n_estimators=15, min_samples_leaf=6, max_samples=0.5)
    xq = rng.normal(size=(40, 3))
    got = weighted_quantiles(lw, forest.apply(xq), y, target_ranks(y), Q)
    want = _reference(forest.apply(x), forest.apply(xq), y, Q)
    np.testing.assert_array_equal(got, want)


def test_weights_sum_to_one_and_a_single_leaf_gives_the_empirical_quantiles() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(200, 2))
    y = rng.poisson(4.0, size=(200, 2)).astype(float)
    forest, lw = _forest(x, y, n_estimators=3, min_samples_leaf=101)  # no split can keep 101 rows a side
    weights = lw.weights(forest.apply(x[:5]))
    np.testing.assert_allclose(np.asarray(weights.sum(axis=1)).ravel(), 1.0)
    got = weighted_quantiles(lw, forest.apply(x[:5]), y, target_ranks(y), Q)
    for k in range(2):
        np.testing.assert_array_equal(
            got[:, k], np.tile(np.quantile(y[:, k], Q, method="inverted_cdf"), (5, 1))
        )


def test_quantiles_are_monotone_in_the_level() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(500, 4))
    y = np.abs(rng.normal(size=(500, 3))) * (1 + x[:, :1])
    forest, lw = _forest(x, y, n_estimators=10, min_samples_leaf=5)
    got = weighted_quantiles(lw, forest.apply(rng.normal(size=(300, 4))), y, target_ranks(y), Q)
    assert (np.diff(got, axis=-1) >= 0).all()
