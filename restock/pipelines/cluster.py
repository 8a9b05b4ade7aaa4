"""The one module that imports Ray: an embedded local Ray or a cluster, and tasks run on it.

``with ray_session(ClusterSpec(workers=2)) as ray: ...`` starts a local Ray in this process with 2 CPUs
(at most 2 one-CPU tasks at a time) and shuts it down on leaving; ``ClusterSpec(address="auto")`` or
``"HOST:PORT"`` joins a running cluster instead (``ray start --head``) and leaves it running. A Ray that
the caller started already is used as it is and left running. Ray is an install extra
(``pip install 'restock[ray]'``); without it, this module is an InputError saying so, not an ImportError.

:func:`run_tasks` maps a function over items as Ray tasks (one CPU each), retried by Ray when their worker
process dies (``max_retries``), and reports each result as it comes in. :func:`run_trials` runs a function
over items as Ray Tune trials (one CPU each) under an ASHA early-stopping scheduler
(:class:`AshaSpec`): each trial reports metrics as it goes, and ASHA stops the trials that fall behind.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

from restock.errors import InputError

T = TypeVar("T")
R = TypeVar("R")

_HOST_PORT = re.compile(r"^(?:ray://)?[A-Za-z0-9._-]+:\d{1,5}$")


@dataclass(frozen=True)
class ClusterSpec:
    """Where tasks run (checked on construction; errors name the command-line flag)."""

    address: str | None = None
    """None: an embedded local Ray started in this process; ``auto`` (the cluster this machine belongs
    to) or ``HOST:PORT`` (its head node): join a running cluster (``--address``)."""
    workers: int | None = None
    """CPUs of the embedded Ray, so tasks at a time (``--workers``); None: every core. Ignored (and
    refused) with ``address``: the cluster has its own."""

    def __post_init__(self) -> None:
        if self.workers is not None and self.workers < 1:
            raise InputError(f"--workers {self.workers!r}: must be >= 1")
        if self.address is not None:
            if self.workers is not None:
                raise InputError("--workers sets the CPUs of the embedded Ray; with --address, the cluster's")
            if self.address != "auto" and not _HOST_PORT.match(self.address):
                raise InputError(f"--address {self.address!r}: expected auto or HOST:PORT")


def probe(address: str, timeout_s: float = 5.0) -> None:
    """An InputError naming ``address`` (``HOST:PORT``) when nothing accepts a connection there within
    ``timeout_s`` (``ray.init`` itself would wait much longer)."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout_s):
            pass
    except OSError as exc:
        raise InputError(f"--address {address}: no Ray cluster reachable there ({exc})") from None


def import_ray() -> ModuleType:
    """The ``ray`` module, or an InputError telling how to install it."""
    try:
        import ray
    except ImportError:
        raise InputError(
            "this command runs on Ray, which is not installed: pip install 'restock[ray]'"
        ) from None
    return ray


@contextmanager
def ray_session(spec: ClusterSpec) -> Iterator[ModuleType]:
    """Ray, started or joined as ``spec`` says, for the block (module docstring); an unreachable
    ``--address`` is an InputError naming it."""
    ray = import_ray()
    if spec.address not in (None, "auto"):
        probe(spec.address)  # first: an unreachable address is an error even where Ray already runs here
    if ray.is_initialized():
        yield ray
        return
    try:
        if spec.address is None:
            ray.init(  # "local": a new Ray, never a cluster that `ray start` left on this machine
                address="local",
                num_cpus=spec.workers or os.cpu_count() or 1,
                include_dashboard=False,
                log_to_driver=False,
                configure_logging=False,
            )
        else:
            ray.init(address=spec.address, log_to_driver=False, configure_logging=False)
    except (ConnectionError, RuntimeError, ValueError, TimeoutError) as exc:
        ray.shutdown()
        where = "an embedded Ray" if spec.address is None else f"--address {spec.address}"
        raise InputError(f"{where}: cannot start or reach Ray ({str(exc).splitlines()[0]})") from None
    try:
        yield ray
    finally:
        ray.shutdown()


def run_tasks(
    ray: ModuleType,
    fn: Callable[[T], R],
    items: Sequence[T],
    *,
    max_retries: int = 3,
    name: str | None = None,
    on_result: Callable[[int, R], None] | None = None,
) -> list[R]:
    """``[fn(item) for item in items]``, each call a one-CPU Ray task (in the order the results come in,
    reported to ``on_result(index, result)``), returned in the order of ``items``.

    A task whose worker process dies (killed, out of memory) is run again, up to ``max_retries`` times;
    an exception raised by ``fn`` itself is not retried and is raised here (``ray.get`` re-raises it).
    ``name``: the tasks' name (the worker's process title is ``ray::<name>`` while it runs one).
    """
    remote = ray.remote(num_cpus=1, max_retries=max_retries, retry_exceptions=False)(fn)
    if name is not None:
        remote = remote.options(name=name)
    refs = [remote.remote(item) for item in items]
    index = {ref: i for i, ref in enumerate(refs)}
    out: dict[int, R] = {}
    pending = list(refs)
    while pending:
        done, pending = ray.wait(pending, num_returns=1)
        for ref in done:
            i = index[ref]
            try:
                out[i] = ray.get(ref)
            except ray.exceptions.RayTaskError as exc:
                for other in pending:
                    ray.cancel(other)
                raise exc.as_instanceof_cause() from None
            if on_result is not None:
                on_result(i, out[i])
    return [out[i] for i in range(len(refs))]


Report = Callable[[dict[str, float]], None]
"""``report(metrics)``: a trial's intermediate result, handed to Tune (``ray.tune.report``)."""


@dataclass(frozen=True)
class AshaSpec:
    """ASHA (asynchronous successive halving, ``ray.tune.schedulers.ASHAScheduler``) over a trial's
    budget in percent: at each milestone ``grace x reduction_factor**k`` (below 100) a trial whose metric
    is below the ``1 - 1/reduction_factor`` quantile of the trials that reached it before is stopped."""

    metric: str
    """The reported metric ASHA compares (larger is better)."""
    time_attr: str
    """The reported key holding the budget spent, in percent (0-100)."""
    grace: int = 25
    """First milestone, in percent of the budget (1-99)."""
    reduction_factor: float = 2.0
    """Milestone spacing, and 1 / the share of trials kept at each (> 1)."""

    def milestones(self) -> tuple[int, ...]:
        """The budgets (percent, < 100) at which ASHA may stop a trial, ascending."""
        out, k = [], 0
        while (m := self.grace * self.reduction_factor**k) < 100:
            out.append(int(m))
            k += 1
        return tuple(out)


@dataclass(frozen=True)
class TrialOutcome:
    """What Tune saw of one trial."""

    index: int
    """The item's index."""
    history: list[dict[str, Any]]
    """Every reported result, in order."""
    error: str | None
    """The first line of the trial's exception (None: it finished, or ASHA stopped it)."""


def run_trials(
    ray: ModuleType,
    fn: Callable[[T, Report], None],
    items: Sequence[T],
    asha: AshaSpec,
    storage: Path,
    *,
    name: str = "tune",
    gpus: float = 0.0,
) -> list[TrialOutcome]:
    """``fn(item, report)`` for every item, each a one-CPU Ray Tune trial (at most as many at a time as
    the cluster has CPUs), scheduled by ASHA on the reported ``asha.metric`` (:class:`AshaSpec`).
    ``gpus``: GPUs each trial asks for (Ray then shows a trial only its own, as ``cuda``).

    Trials start in the order of ``items``. A stopped trial's process ends at its report (``fn`` does
    not return); a trial that finishes its budget is never stopped at 100% (``max_t`` lies just below).
    Tune's own experiment files go to ``storage/name``. Returns one outcome per item, in order.
    """
    del ray  # Tune runs on the Ray of ray_session (initialized); the argument says so
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler

    chosen = list(items)

    def trainable(config: dict[str, Any]) -> None:
        fn(chosen[int(config["trial"])], lambda metrics: tune.report(dict(metrics)))

    scheduler = ASHAScheduler(
        time_attr=asha.time_attr,
        max_t=99,
        grace_period=asha.grace,
        reduction_factor=asha.reduction_factor,
        stop_last_trials=False,
    )
    tuner = tune.Tuner(
        tune.with_resources(trainable, {"cpu": 1, "gpu": gpus}),
        param_space={"trial": tune.grid_search(list(range(len(chosen))))},
        tune_config=tune.TuneConfig(metric=asha.metric, mode="max", scheduler=scheduler, num_samples=1),
        run_config=tune.RunConfig(
            name=name,
            storage_path=str(Path(storage).absolute()),
            verbose=0,
            failure_config=tune.FailureConfig(max_failures=0),
        ),
    )
    with contextlib.redirect_stdout(sys.stderr):  # Tune's tables are progress, not the command's output
        grid = tuner.fit()
    out: dict[int, TrialOutcome] = {}
    for i in range(len(grid)):
        result = grid[i]
        index = int((result.config or {})["trial"])
        frame = result.metrics_dataframe
        history = (
            [] if frame is None else [{str(k): v for k, v in r.items()} for r in frame.to_dict("records")]
        )
        error = None if result.error is None else (str(result.error).strip().splitlines() or [""])[-1]
        out[index] = TrialOutcome(index, history, error)
    return [out[i] for i in range(len(chosen))]
