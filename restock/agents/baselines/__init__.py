"""The baselines every comparison is measured against, all implementing :class:`restock.agents.policy.Policy`.

* :class:`NewsvendorPolicy` — order up to a quantile of demand over lead time + review period from the
  forecast table (tau from the economics, or tuned): the reference of every saving;
* :class:`MyopicPolicy` — the one-period newsvendor on the projected stock;
* :class:`BaseStockPolicy` (optionally capped), :class:`SSPolicy`, :class:`RQPolicy`,
  :class:`ConstantPolicy` — classical rules on the inventory position;
* :func:`tune` — their parameters by simulation on training paths (:mod:`.tuning`);
* :class:`OraclePolicy` / :func:`oracle_policy` — the exact optimum where it exists (:mod:`.oracle_policy`).
"""

from restock.agents.baselines.classical import BaseStockPolicy, ConstantPolicy, RQPolicy, SSPolicy
from restock.agents.baselines.newsvendor import MyopicPolicy, NewsvendorPolicy
from restock.agents.baselines.oracle_policy import OraclePolicy, oracle_policy
from restock.agents.baselines.tuning import TuningConfig, tune

__all__ = [
    "BaseStockPolicy",
    "ConstantPolicy",
    "MyopicPolicy",
    "NewsvendorPolicy",
    "OraclePolicy",
    "RQPolicy",
    "SSPolicy",
    "TuningConfig",
    "oracle_policy",
    "tune",
]
