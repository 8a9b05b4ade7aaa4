"""The batch engine: many SKUs and paths at once as torch tensors, differentiable (see :mod:`.engine`)."""

from restock.simulator.batch.engine import FLOW_KEYS, BatchEngine, resolve_dtype, rollout_totals, run

__all__ = ["FLOW_KEYS", "BatchEngine", "resolve_dtype", "rollout_totals", "run"]
