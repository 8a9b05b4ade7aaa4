"""The warm-up run: what a reference policy sold, for forecasters learning from sales (history "sales").

A retailer records sales, and on a stock-out sales understate demand. With ``forecast.history = "sales"``
a scenario's forecaster sees the sales of a reference policy instead of the demand: the sales depend on
the orders, so they come from a run of the simulator made before the scenario's own run, and the forecast
table stays data computed before the run (``env.step`` never calls a model).

The run (:func:`warmup_sales`):

* periods: the ``warmup`` history followed by the ``horizon``, W + T periods, on the draw's own demand (the
  history, then each path's demand), so that rolling-origin forecasts at review t read the sales of the
  periods before t. The history periods take period 0's lead times, fill rates, capacities and prices (no
  shock starts before period 0); reviews keep the scenario's weekdays.
* policy: base-stock at level S = ``forecast.history_cover`` periods of each SKU's mean demand (the mean
  of its warm-up history over the draw's paths), by default the vendor's mean lead time + the review
  period (:func:`reference_level`); the run starts with S on hand.
* engine: the batch engine (both engines share :mod:`restock.simulator.rules`: sales = min(demand,
  on-hand) under lost sales).
* the availability signal of a period: ``in_stock`` = 1 when the node ended the period with stock on
  hand, else 0 (then the sale may be below the demand; it is a lower bound of it).

The scenario's policy may stock differently from the reference policy: the table is what a forecaster
trained on that policy's sales would say, the situation of a retailer whose history was made by last
year's buying rule.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from restock.scenarios.build import ScenarioDraw
from restock.scenarios.network import scenario_network
from restock.simulator.engines import make_engine, rollout
from restock.simulator.paths import PATH_FIELDS, ExogenousPaths
from restock.simulator.policy import BaseStock

ENGINE = "batch"
"""The engine of the warm-up run."""


def reference_cover(draw: ScenarioDraw) -> float:
    """``forecast.history_cover``, else the vendor's mean lead time + the review period (periods)."""
    s = draw.scenario
    if s.forecast.history_cover is not None:
        return float(s.forecast.history_cover)
    network = scenario_network(s)
    source = next(v for v in network.vendors if v.name == network.nodes[0].source)
    return float(source.lead_time.expected()) + s.review_period


def reference_level(draw: ScenarioDraw) -> np.ndarray:
    """[1, N] the reference policy's base-stock level: :func:`reference_cover` periods of mean demand."""
    mean = draw.history.mean(axis=(0, 1))  # [M = 1, N]
    return reference_cover(draw) * mean


def warmup_paths(draw: ScenarioDraw) -> ExogenousPaths:
    """The draw's paths over W + T periods: the history's demand, period 0's other values, then the paths."""
    w, paths = draw.scenario.warmup, draw.paths

    def extend(a: np.ndarray, axis: int) -> np.ndarray:
        head = np.repeat(np.take(a, [0], axis=axis), w, axis=axis)
        return np.concatenate([head, a], axis=axis)

    fields = {}
    for f in dataclasses.fields(paths):
        arr = getattr(paths, f.name)
        if f.name == "demand":
            fields[f.name] = np.concatenate([draw.history, arr], axis=1)
        else:
            fields[f.name] = extend(arr, 1 if f.name in PATH_FIELDS else 0)
    return ExogenousPaths(**fields)


def warmup_records(draw: ScenarioDraw, engine: str = ENGINE) -> pd.DataFrame:
    """The per-period records of the warm-up run (see the module docstring); period 0 is period -W."""
    s = draw.scenario
    w, b = s.warmup, s.review_period
    level = reference_level(draw)
    world = draw.world
    cap = world.inbound_capacity
    if cap is not None:
        cap = np.concatenate([np.repeat(cap[:1], w, axis=0), cap])
    world = dataclasses.replace(
        world,
        horizon=w + s.horizon,
        review_offset=(s.review_offset + w) % b,
        initial_on_hand=np.rint(level),
        inbound_capacity=cap,
    )
    sim = make_engine(engine, world, warmup_paths(draw), record=True)
    rollout(sim, BaseStock(level))
    return sim.result().records


def warmup_sales(draw: ScenarioDraw, engine: str = ENGINE) -> tuple[np.ndarray, np.ndarray]:
    """Sales [P, W + T, N] and in-stock flags [P, W + T, N] (1.0 / 0.0) of the warm-up run (see the module
    docstring), period -W first."""
    rec = warmup_records(draw, engine)
    skus = draw.world.skus
    shape = (draw.paths.n_paths, draw.scenario.warmup + draw.scenario.horizon, len(skus))
    order = pd.Categorical(rec["sku"], categories=list(skus)).codes
    rec = rec.assign(_sku=order).sort_values(["path", "period", "_sku"], kind="stable")
    sales = rec["sales"].to_numpy(dtype=np.float64).reshape(shape)
    in_stock = (rec["on_hand"].to_numpy(dtype=np.float64) > 0).astype(np.float64).reshape(shape)
    return sales, in_stock
