"""The observer shows what is known at a review (forecast rows issued then, the period's price) and no
demand; bad prices are a named error."""

from __future__ import annotations

import numpy as np
import pytest

from restock.envs.core import build_episode, load_scenario
from restock.envs.features import ObservationConfig
from restock.envs.observer import Observer, review_index
from restock.errors import InputError


def _episode():  # type: ignore[no-untyped-def]
    return build_episode(load_scenario("steady", ["horizon=28"]), seed=5, n_paths=2)


def test_rows_and_price_are_those_of_the_review_asked_about_and_no_demand_is_held() -> None:
    world, paths, fc = _episode()
    obs = Observer(world, paths.price, fc, 0, ObservationConfig())
    for t in world.review_periods():
        r = review_index(world, t)
        want = np.broadcast_to(
            fc.cumulative[:, min(r, fc.cumulative.shape[1] - 1), 0],
            (2, world.n_skus, *fc.cumulative.shape[-2:]),
        )
        np.testing.assert_array_equal(obs.cumulative(t), want.reshape(obs.size, *want.shape[2:]))
        np.testing.assert_array_equal(obs.price(t), paths.price[:, t, :].reshape(-1))
    np.testing.assert_array_equal(obs.price(world.horizon), paths.price[:, -1, :].reshape(-1))
    held = [v for v in vars(obs).values() if isinstance(v, np.ndarray)]
    assert not any(v is paths.demand or np.shares_memory(v, paths.demand) for v in held)
    assert not hasattr(obs, "paths")


@pytest.mark.parametrize("bad", ["short", "2d"])
def test_prices_of_the_wrong_shape_are_a_named_error(bad: str) -> None:
    world, paths, fc = _episode()
    price = paths.price[:, :-1] if bad == "short" else paths.price[0]
    with pytest.raises(InputError, match=r"observer: prices must have shape \[paths, 28, 20\], got"):
        Observer(world, price, fc, 0, ObservationConfig())


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_prices_that_are_not_finite_are_a_named_error(value: float) -> None:
    world, paths, fc = _episode()
    price = paths.price.copy()
    price[1, 3, 4] = value
    with pytest.raises(InputError, match=r"observer: prices\[1, 3, 4\] must be finite, got (nan|inf)"):
        Observer(world, price, fc, 0, ObservationConfig())
