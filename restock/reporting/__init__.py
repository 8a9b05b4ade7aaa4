"""Reports of runs: per-period series, figures (matplotlib, Agg), TensorBoard runs and self-contained HTML.

This package reads and writes DataFrames, figures and files only; it runs no simulation and trains
nothing, so any run kind (replay, training, evaluation) can be reported the same way.

* :mod:`restock.reporting.series` — per-period series of a run's records (what the figures and
  TensorBoard show), the phases before / during / after a shock window, and KPIs by phase;
* :mod:`restock.reporting.figures` — the replay figures (inventory, orders, demand against the forecast
  bands, cumulative profit, with the shock window shaded) as matplotlib figures and PNG bytes;
* :mod:`restock.reporting.tensorboard` — one SummaryWriter run per policy (so TensorBoard overlays them),
  figures as images, and reading scalars back;
* :mod:`restock.reporting.html` — a self-contained HTML page (tables, figures as base64 PNG, no script,
  no external resource);
* :mod:`restock.reporting.run_report` — the report of a run folder (``restock report RUN_DIR``).
"""
