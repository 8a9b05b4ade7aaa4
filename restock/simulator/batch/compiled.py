"""The batch engine's compiled path: :func:`~restock.simulator.batch.block.simulate_block` under
``torch.compile``, with a fallback to the same function run eager.

The setting ``compile`` of :class:`~restock.simulator.batch.engine.BatchEngine` takes one of
:data:`COMPILE_MODES`:

* ``"off"`` (the default): every block runs eager. No warm-up; the right choice for short runs, tests,
  and small worlds, where compiling costs more than it saves.
* ``"auto"``: compile where it pays and works: a forward engine (``grad=False``; the compiled grad path
  is 2x eager on a CPU but its warm-up is about 7.5 s) whose rollout is at least
  :data:`AUTO_MIN_SKU_PERIODS` (paths x SKUs x periods), where :func:`compiler_available` holds; anything
  else runs eager, and where compiling fails (no C++ compiler, no TorchDynamo for this Python, an
  inductor error) the engine warns in one line and goes on eager, with the same results.
* ``"on"``: always compile; where it cannot, an :class:`~restock.errors.InputError` naming the setting.

What is compiled is one function of tensors (the periods of one review block), the same one the eager
path calls: the rules are written once (:mod:`restock.simulator.rules`). Every Python value it branches on
(the block length, whether orders are placed, the service model, the storage, capacity and fill-rate
cases, records, the last block) is fixed per engine or takes a few values, and everything that changes
from block to block (the review's lead times, the period's demand) is a tensor argument: an engine
compiles a handful of graphs (``dynamic=False``; a test counts them), once per process and shape.
Warm-up is seconds on a CPU (inductor and the system C++ compiler; less where inductor's on-disk cache
holds the kernels; ``restock bench`` reports it), repaid after 4-20 forward rollouts of 100,000 SKUs
(docs/performance.md, "Compiled batch engine").
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

import torch

from restock.errors import InputError
from restock.simulator.batch.block import BlockResult, simulate_block, simulate_reviews

COMPILE_MODES: tuple[str, ...] = ("off", "auto", "on")
"""The values of the batch engine's ``compile`` setting (see the module docstring)."""

AUTO_MIN_SKU_PERIODS = 10_000_000
"""``compile="auto"`` compiles a forward rollout of at least this many paths x SKUs x periods (27,500 SKUs
over a year of days). Measured on a CPU (docs/performance.md, "Compiled batch engine"; 100,000 SKUs, one
thread, float32): the compiled forward saves about 5 ns per SKU-period (7.8 -> 2.9 ns), so a rollout this
size saves about 0.05 s against a warm-up of 3.3 s (0.7 s where inductor's on-disk cache holds the
kernels): repaid after 15-70 rollouts, which training, evaluation and sweeps run; smaller rollouts save
too little per run (and a few hundred SKUs run slower compiled: the per-call overhead dominates)."""


def check_compile(value: Any) -> str:
    """``value`` if it is one of :data:`COMPILE_MODES`, else an :class:`InputError` naming the setting."""
    if not isinstance(value, str) or value not in COMPILE_MODES:
        raise InputError(f"batch engine: compile must be one of {list(COMPILE_MODES)}, got {value!r}")
    return value


GRAD_OPTIONS: dict[str, Any] = {"cpp.simdlen": 1}
"""Inductor options of the block compiled for ``grad=True`` on a CPU: scalar C++ loops. The forward graph
under autograd saves the masks of ``minimum`` as bool tensors, and inductor's vectorized bool stores were
ten times slower than scalar code here (torch 2.13: a 7-period ``minimum`` chain over 100,000 SKUs took
11.9 ms vectorized, 1.2 ms scalar; without grad 0.25 ms vectorized): docs/performance.md."""


RECOMPILE_LIMIT = 64
"""Graphs TorchDynamo keeps per compiled function in one process (its ``recompile_limit``, 8 by default,
raised to this where lower). Each engine compiles a handful of graphs (``dynamic=False``: one per shape and
engine-wide case), so a process that builds engines of several shapes (an evaluation in shards of unequal
size, with and without records; a sweep) needs more than 8; past the limit ``"on"`` is an error and
``"auto"`` runs eager with a warning."""


def _compile(fn: Callable[..., Any], grad: bool, device: str) -> Callable[..., Any]:
    """``fn`` under ``torch.compile`` (``dynamic=False``, one graph; :data:`GRAD_OPTIONS` for a CPU grad
    graph), with TorchDynamo's recompile limit at least :data:`RECOMPILE_LIMIT`."""
    limits = torch._dynamo.config
    limits.recompile_limit = max(int(limits.recompile_limit), RECOMPILE_LIMIT)
    options = GRAD_OPTIONS if grad and device == "cpu" else None
    return torch.compile(fn, dynamic=False, fullgraph=True, options=options)  # type: ignore[no-any-return]


@functools.cache
def _compiled_block(grad: bool = False, device: str = "cpu") -> Callable[..., BlockResult]:
    return _compile(simulate_block, grad, device)


@functools.cache
def _compiled_reviews(grad: bool = False, device: str = "cpu") -> Callable[..., Any]:
    return _compile(simulate_reviews, grad, device)


def _probe(x: torch.Tensor) -> torch.Tensor:
    return (x * 2.0).sin().sum()


@functools.cache
def compiler_available(device: str = "cpu") -> str | None:
    """None where ``torch.compile`` builds and runs a small function with its gradient on ``device``
    (``"cpu"``, ``"cuda"``...; checked once per process), else why not, in one line."""
    try:
        x = torch.ones(8, device=device, requires_grad=True)
        torch.compile(_probe, dynamic=False, fullgraph=True)(x).backward()
        if x.grad is None or not bool(torch.isfinite(x.grad).all()):
            return "the compiled probe gave no gradient"
    except Exception as exc:  # any failure means: no compiler here
        return _one_line(exc)
    return None


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:300]


class BlockRunner:
    """Runs :func:`simulate_block` compiled or eager, for one engine (its ``compile`` setting resolved).

    ``compiled``: whether blocks go through ``torch.compile`` now. A failure of the compiled call turns it
    off (``"auto"``: one warning, then the same block eager; the block is a pure function, so running it
    again is safe) or raises an :class:`InputError` (``"on"``).
    """

    def __init__(self, mode: str, sku_periods: int, device: torch.device, *, grad: bool) -> None:
        self.mode = check_compile(mode)
        self.compiled = False
        self._key = (grad, device.type)
        if mode == "off" or (mode == "auto" and (grad or sku_periods < AUTO_MIN_SKU_PERIODS)):
            return
        why = compiler_available(device.type)
        if why is None:
            self.compiled = True
        else:
            self._give_up(why)

    def __call__(self, *args: Any, **kwargs: Any) -> BlockResult:
        if self.compiled:
            try:
                return _compiled_block(*self._key)(*args, **kwargs)
            except Exception as exc:  # the compiler's failure, whatever it is
                self._give_up(_one_line(exc))
        return simulate_block(*args, **kwargs)

    def reviews(self, *args: Any, **kwargs: Any) -> Any:
        """:func:`simulate_reviews` compiled (eager where compiling fails, as :meth:`__call__`)."""
        if self.compiled:
            try:
                return _compiled_reviews(*self._key)(*args, **kwargs)
            except Exception as exc:  # the compiler's failure, whatever it is
                self._give_up(_one_line(exc))
        return simulate_reviews(*args, **kwargs)

    def _give_up(self, why: str) -> None:
        self.compiled = False
        if self.mode == "on":
            raise InputError(f"batch engine: compile='on' but torch.compile is not available here ({why})")
        warnings.warn(
            f"batch engine: torch.compile is not available ({why}); compile='auto' runs eager",
            RuntimeWarning,
            stacklevel=3,
        )
