"""Action mapping: known orders for each mode; bad actions are InputErrors, never clipped."""

from __future__ import annotations

import numpy as np
import pytest

from restock.envs.actions import ActionConfig, check_actions, to_orders
from restock.errors import InputError

LEVELS = np.array([0.1, 0.5, 0.9])
CUM = np.array([[80.0, 100.0, 140.0]])


def _orders(cfg: ActionConfig, a: float, position: float = 30.0) -> tuple[float, float]:
    q, target = to_orders(
        np.array([a]),
        config=cfg,
        scale=np.array([10.0]),
        position=np.array([position]),
        cum_lt=CUM,
        levels=LEVELS,
        cover=cfg.cover(np.array([7.0]), 7),
        tau_range=cfg.tau_range(LEVELS),
    )
    return float(q[0]), float(target[0])


def test_order_up_to_maps_the_box_to_a_level_of_cover() -> None:
    cfg = ActionConfig()  # max_cover = 2 (7 + 7) / 7 + 2 = 6 review periods
    assert _orders(cfg, 1.0) == (60.0 - 30.0, 60.0)
    assert _orders(cfg, 0.0) == (0.0, 30.0)  # level 30 = position: nothing to order
    assert _orders(cfg, -1.0) == (0.0, 0.0)
    assert _orders(ActionConfig(max_cover=10.0), 1.0) == (70.0, 100.0)


def test_quantity_mode_orders_a_multiple_of_the_scale() -> None:
    cfg = ActionConfig(mode="quantity", max_multiple=3.0)
    assert _orders(cfg, 1.0)[0] == 30.0
    assert _orders(cfg, 0.0)[0] == 15.0
    assert _orders(cfg, -1.0)[0] == 0.0


def test_service_quantile_orders_up_to_the_interpolated_quantile() -> None:
    cfg = ActionConfig(mode="service_quantile", tau_min=0.5, tau_max=0.9)
    assert _orders(cfg, -1.0) == (70.0, 100.0)  # tau 0.5
    assert _orders(cfg, 0.0) == (90.0, 120.0)  # tau 0.7: halfway between 100 and 140
    assert _orders(cfg, 1.0, position=200.0) == (0.0, 140.0)
    with pytest.raises(InputError, match="tau_min, tau_max"):
        ActionConfig(mode="service_quantile", tau_min=0.05).tau_range(LEVELS)


@pytest.mark.parametrize(
    ("action", "match"),
    [
        ([np.nan], "finite"),
        ([np.inf], "finite"),
        ([1.5], r"in \[-1, 1\]"),
        ([0.1, 0.2], "shape"),
        ([[0.1]], "shape"),
        ("high", "array of numbers"),
    ],
)
def test_bad_actions_are_input_errors(action: object, match: str) -> None:
    with pytest.raises(InputError, match=match):
        check_actions(action, (1,))


def test_unknown_mode_is_an_input_error() -> None:
    with pytest.raises(InputError, match="action_mode"):
        ActionConfig(mode="magic")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "other",
    [ActionConfig(mode="service_quantile"), ActionConfig(max_cover=12.0), ActionConfig(mode="quantity")],
)
def test_an_action_map_maps_with_its_own_config_over_any_observer(other: ActionConfig) -> None:
    from restock.envs.actions import ActionMap
    from restock.envs.core import build_episode, load_scenario, numpy_state
    from restock.envs.features import ObservationConfig
    from restock.envs.observer import Observer
    from restock.simulator.des import DesEngine

    world, paths, forecasts = build_episode(load_scenario("steady", ["horizon=28"]), seed=5, n_paths=2)
    state = numpy_state(DesEngine(world, paths).reset())
    observer = Observer(world, paths.price, forecasts, 0, ObservationConfig())
    fresh = Observer(world, paths.price, forecasts, 0, ObservationConfig())
    own = ActionMap(ActionConfig(), observer)
    actions = np.linspace(-0.9, 0.9, observer.size)
    want, _ = ActionMap(other, fresh).orders(actions, state)
    got, _ = ActionMap(other, observer).orders(actions, state)
    np.testing.assert_array_equal(got, want)
    assert not np.array_equal(own.orders(actions, state)[0], want)  # the config really changes the orders
