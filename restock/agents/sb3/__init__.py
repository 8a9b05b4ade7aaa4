"""Stable-Baselines3 agents (PPO, A2C, SAC, TD3) trained on ``Restock/Catalog-v0`` (one node) or
``Restock/NetworkCatalog-v0`` (a network; see docs/training.md).

:mod:`~restock.agents.sb3.train` (the trainer of :mod:`restock.agents.training`),
:mod:`~restock.agents.sb3.config` (typed options), :mod:`~restock.agents.sb3.callbacks` (KPI evaluation,
checkpoints), :mod:`~restock.agents.sb3.evaluation` (held-out KPIs), :mod:`~restock.agents.sb3.figures`.
"""
