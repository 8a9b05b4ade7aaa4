"""A small scenario object outside the library: i.i.d. Poisson demand at one store, exact forecasts.

It exercises the envs' scenario protocol (``build`` + ``forecast_table_for``) and lets a test hand the env
a forecast table that does not fit.
"""

from __future__ import annotations

import numpy as np

from restock.envs.forecasts import poisson_table
from restock.scenarios.forecast import ScenarioForecast
from restock.simulator.paths import ExogenousPaths, sample_paths
from restock.simulator.world import Economics, LeadTime, Network, Vendor, World


class PoissonScenario:
    def __init__(self, rates: tuple[float, ...] = (0.5, 4.0, 20.0), horizon: int = 56, lead: int = 3,
                 price: float = 10.0, table_skus: tuple[str, ...] | None = None) -> None:  # fmt: skip
        self.rates = np.asarray(rates)
        self.horizon, self.lead, self.price = horizon, lead, price
        self.table_skus = table_skus
        self.name = "poisson"

    def world(self) -> World:
        n = len(self.rates)
        econ = Economics.uniform(
            n, unit_cost=6.0, holding_cost=0.02, lost_sale_penalty=1.0, salvage_value=3.0
        )
        net = Network.single(Vendor("v", lead_time=LeadTime("deterministic", value=self.lead)))
        return World(tuple(f"sku{i}" for i in range(n)), econ, net, horizon=self.horizon)

    def build(self, seed: int, n_paths: int) -> tuple[World, ExogenousPaths]:
        w = self.world()
        rates, price = self.rates, self.price

        def demand(rng: np.random.Generator, p: int) -> np.ndarray:
            return rng.poisson(rates, size=(p, w.horizon, 1, len(rates))).astype(float)

        def prices(rng: np.random.Generator, p: int) -> np.ndarray:
            return np.full((p, w.horizon, len(rates)), price)

        return w, sample_paths(w, demand, prices, n_paths=n_paths, seed=seed)

    def forecast_table_for(self, world: World, paths: ExogenousPaths, seed: int) -> ScenarioForecast:
        table = poisson_table(world, self.rates[None, :])
        if self.table_skus is not None:  # a table made for another catalog
            n = len(self.table_skus)
            return ScenarioForecast(
                model=table.model, review_periods=table.review_periods, quantiles=table.quantiles,
                nodes=table.nodes, skus=self.table_skus, bucket_length=table.bucket_length,
                per_bucket=np.repeat(table.per_bucket[:, :, :, :1], n, axis=3), cover=table.cover,
                cumulative=np.repeat(table.cumulative[:, :, :, :1], n, axis=3),
            )  # fmt: skip
        return table
