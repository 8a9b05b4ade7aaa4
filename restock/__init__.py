import restock.envs  # noqa: F401  (registers the Restock/ Gymnasium env ids)
