"""DirectBackprop (Madeka et al. 2022, "Deep Inventory Management"; the same idea as HDPO): a policy network
over the env's observation, trained by backpropagating profit through the batch engine over many
exogenous paths at once. See ``docs/directbackprop.md``.

* :mod:`~restock.agents.directbackprop.features` — the env's observation as a torch function of the state;
* :mod:`~restock.agents.directbackprop.network` — the MLP and its order mapping;
* :mod:`~restock.agents.directbackprop.rollout` — differentiable and evaluation rollouts on the batch engine;
* :mod:`~restock.agents.directbackprop.train` — ``train``/``load`` (``restock train --agent directbackprop``);
* :mod:`~restock.agents.directbackprop.policy` — the trained network as a Policy, checkpoints.
"""
