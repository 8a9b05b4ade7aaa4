"""The end-to-end jobs of Restock, one module each, callable as library functions.

Each job takes one typed, documented spec (a frozen dataclass) and returns a typed result; it never prints
to stdout nor reads ``sys.argv`` (progress, where a job has any, goes through a callback). The ``restock``
command (:mod:`restock.cli`, :mod:`restock.commands`) builds the spec from its flags, calls the job and
prints the result.

==========================  ================================================================================
module                      job
==========================  ================================================================================
:mod:`.demo`                ``restock demo``: catalog, backtest, newsvendor, trainings, replay, report
:mod:`.evaluation`          ``restock evaluate``: policies side by side on common random numbers
:mod:`.forecast_training`   ``restock forecast train`` / ``predict``: an MQ network trained into a run
                            folder; its quantile forecasts from the checkpoint, as a long table
:mod:`.replay`              ``restock replay``: policies on common paths, written as a replay run folder
:mod:`.recommend`           ``restock recommend``: today's orders per SKU from a stock snapshot and a sales
                            history (``restock.recommend``)
:mod:`.simulation`          ``restock simulate``: one simple order rule through a scenario, its KPIs
:mod:`.sweep`               ``restock sweep``: a grid of evaluations as Ray tasks, merged, resumable
:mod:`.cluster`             the one module that imports Ray: an embedded local Ray or a cluster, tasks
:mod:`.inputs`              what the commands share: ``--policies`` lists
==========================  ================================================================================

Pipelines may import every library layer; no library layer imports them (``tests/test_layering.py``).
"""
