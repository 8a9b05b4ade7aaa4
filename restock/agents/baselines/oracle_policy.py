"""The exact lost-sales optimum (:mod:`restock.agents.oracle`) as a Policy, for the instances it solves.

Which scenarios: one node with lost sales, a review every period, a deterministic vendor lead time L,
stationary Poisson or negative-binomial demand without shocks, fill rate 1, no vendor capacity, no fixed
order cost, and one constant price per SKU (the Zipkin (2008) family, ``zipkin-lost-sales``, is the
canonical case). Each SKU gets its own optimal order table (relative value iteration; a state space too
large for the oracle's memory limit is the oracle's InputError, naming the state count).

Costs: in our model a unit is paid on receipt and sells at the price, so in the long run profit =
(price - c) E[D] - [(price - c + b) E[lost] + h E[on-hand]]; maximising profit is Zipkin's average-cost
problem with penalty ``p = price - unit_cost + lost_sale_penalty`` and holding ``h``. End-of-horizon
effects (salvage, the empty start) are outside the average-cost criterion.

State mapping: the engines' :class:`~restock.simulator.policy.ReviewState` pipeline ``[P, M, N, K]`` has
index k = units due at the start of period t+1+k; the oracle's pipeline entry i is the order arriving at
the start of t+1+i, i = 0 .. L-2 (:mod:`restock.agents.oracle.policy`), the same convention
(:mod:`restock.agents.oracle.conventions`: our L is Zipkin's L). So the oracle sees ``on_hand`` and
``pipeline[..., :L-1]``; units due later than t+L-1 cannot exist with lead time L, and a fractional
stock (which integer orders on integer demand never make) is an InputError, as is anything else the
table was not solved for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from restock.agents.oracle import LostSalesConfig, OrderTable, solve_lost_sales
from restock.agents.policy import checked_orders
from restock.errors import InputError

if TYPE_CHECKING:
    from restock.envs.observer import Observer
    from restock.simulator.policy import ReviewState


@dataclass
class OraclePolicy:
    """Orders from the optimal tables, one per SKU (single node)."""

    tables: tuple[OrderTable, ...]
    """The optimal order table of each SKU, in the scenario's SKU order."""
    average_costs: tuple[float, ...] = ()
    """The optimal average cost per period of each SKU (Zipkin's criterion), for reports."""
    name: str = "oracle"
    instances: tuple[dict[str, Any], ...] = field(default=(), repr=False)
    """The oracle instance of each SKU (demand spec, lead time, penalty, holding)."""

    def act(self, batch: Observer, state: ReviewState) -> np.ndarray:
        n = batch.n_skus
        if batch.node != 0 or len(self.tables) != n:
            raise InputError(
                f"policy {self.name!r}: solved for {len(self.tables)} SKU(s) at one node, asked for node "
                f"{batch.node} with {n} SKU(s)"
            )
        on_hand = batch.flat(state.on_hand).reshape(batch.n_paths, n)
        pipe = batch.flat(state.pipeline).reshape(batch.n_paths, n, -1)
        q = np.zeros((batch.n_paths, n))
        for j, table in enumerate(self.tables):
            keep = max(table.lead_time - 1, 0)
            later = pipe[:, j, keep:]
            if later.size and np.any(later != 0):
                raise InputError(
                    f"policy {self.name!r}: units due beyond t+{keep} in period {state.t}; the oracle was "
                    f"solved for a deterministic lead time {table.lead_time}"
                )
            coords = np.column_stack([on_hand[:, j], pipe[:, j, :keep]])
            whole = np.round(coords)
            if np.any(np.abs(coords - whole) > 1e-6):
                raise InputError(
                    f"policy {self.name!r}: fractional stock {coords[np.abs(coords - whole) > 1e-6][0]!r} in "
                    f"period {state.t}; the oracle's states are whole units"
                )
            whole = whole.astype(np.int64)
            q[:, j] = table.orders(whole[:, 0], whole[:, 1:])
        return checked_orders(self.name, q.reshape(batch.size), batch.size, state.t)


def oracle_instances(scenario: Any) -> list[dict[str, Any]]:
    """The oracle instance of each SKU of ``scenario`` (module docstring), or an InputError saying why not."""
    from restock.scenarios.build import draw

    name = getattr(scenario, "name", "?")

    def refuse(why: str) -> InputError:
        return InputError(f"policy 'oracle' on scenario {name!r}: {why}")

    d = scenario.demand
    if d.kind != "stationary":
        raise refuse(f"needs stationary demand, the scenario has demand.kind = {d.kind!r}")
    if d.distribution not in ("poisson", "negbin", "pmf"):
        raise refuse(f"needs whole-unit demand (poisson, negbin or pmf), the scenario has {d.distribution!r}")
    if scenario.shocks:
        raise refuse(f"needs a scenario without shocks, it has {len(scenario.shocks)}")
    dr = draw(scenario, 0, 1)
    world, paths = dr.world, dr.paths
    nodes = world.network.nodes
    if len(nodes) != 1:
        raise refuse(f"needs one node, the network has {len(nodes)}")
    if nodes[0].backorder:
        raise refuse("solves lost sales; the node backorders")
    if world.review_period != 1:
        raise refuse(f"needs a review every period, review_period = {world.review_period}")
    e = world.economics
    if np.any(np.asarray(e.fixed_order_cost) != 0):
        raise refuse("needs no fixed order cost")
    if np.any(paths.fill_rate != 1) or np.any(np.isfinite(paths.capacity)):
        raise refuse("needs fill rate 1 and no vendor capacity")
    price = paths.price
    if np.any(price != price[:1, :1]):
        raise refuse("needs one constant price per SKU")
    assert dr.catalog.mean is not None
    mean = dr.catalog.mean * float(dr.node_share[0])
    out = []
    for j, sku in enumerate(world.skus):
        vendor = world.network.vendor(nodes[0].source)
        lt = vendor.lead_time_by_sku.get(sku, vendor.lead_time)
        if lt.kind != "deterministic":
            raise refuse(f"needs a deterministic lead time, SKU {sku!r} has {lt.kind!r}")
        penalty = float(price[0, 0, j] - e.unit_cost[j] + e.lost_sale_penalty[j])
        mu = float(mean[j])
        if d.distribution == "pmf":
            spec = "pmf:" + ",".join(repr(float(v)) for v in d.pmf)
        elif d.distribution == "poisson":
            spec = f"poisson:{mu!r}"
        else:
            spec = f"negbin:{mu!r}:{mu * d.dispersion!r}"
        out.append(
            {
                "sku": sku,
                "demand": spec,
                "lead_time": int(lt.value),
                "penalty": penalty,
                "holding": float(e.holding_cost[j]),
            }
        )
    return out


def oracle_policy(scenario: Any, *, name: str = "oracle") -> OraclePolicy:
    """Solve every SKU of ``scenario`` exactly and return the optimal policy (see the module docstring)."""
    instances = oracle_instances(scenario)
    tables, costs = [], []
    for inst in instances:
        sol = solve_lost_sales(
            LostSalesConfig(
                demand=inst["demand"],
                lead_time=inst["lead_time"],
                penalty=inst["penalty"],
                holding=inst["holding"],
            )
        )
        tables.append(sol.policy)
        costs.append(sol.average_cost)
    return OraclePolicy(tuple(tables), tuple(costs), name=name, instances=tuple(instances))
