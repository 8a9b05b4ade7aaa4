"""What several jobs read from a user: the engine, the number of paths, lists of policy specs.

A policy spec itself (``newsvendor``, ``base-stock``, ``runs/<dir>``, ...) is resolved by
:func:`restock.agents.specs.resolve_policy`. A data spec (``m5:PATH``, ``long:PATH``, ``synthetic``, ...)
is read by :func:`restock.data.load_panel`, in ``--freq`` buckets by :func:`restock.data.load_buckets`.
"""

from __future__ import annotations

from restock.errors import InputError

ENGINES: tuple[str, ...] = ("des", "batch")
"""The engines a job (simulate, evaluate, replay) can run on."""


def check_engine(engine: str, job: str = "") -> None:
    """``--engine``: one of :data:`ENGINES`; else an InputError naming it (and ``job``, when given)."""
    if engine not in ENGINES:
        prefix = f"{job}: " if job else ""
        raise InputError(f"{prefix}--engine {engine!r}: expected {' or '.join(ENGINES)}")


COMPILE_MODES: tuple[str, ...] = ("off", "auto", "on")
"""The values of ``--compile`` (the batch engine's setting, :mod:`restock.simulator.batch.compiled`, whose
``COMPILE_MODES`` a test keeps equal to these: this module does not import torch)."""


def check_compile(mode: str, engine: str, job: str = "") -> None:
    """``--compile``: one of :data:`COMPILE_MODES`, and ``on`` only with ``--engine batch`` (des has
    nothing to compile); else an InputError naming it (and ``job``, when given)."""
    prefix = f"{job}: " if job else ""
    if mode not in COMPILE_MODES:
        raise InputError(f"{prefix}--compile {mode!r}: expected {', '.join(COMPILE_MODES)}")
    if mode == "on" and engine != "batch":
        raise InputError(
            f"{prefix}--compile on: only the batch engine has a compiled path (--engine {engine})"
        )


def check_paths(n_paths: int | None) -> None:
    """``--paths``: None (the scenario's ``seeds.n_paths``) or in [1, MAX_PATHS], the bound of
    ``seeds.n_paths`` (:data:`restock.scenarios.schema.MAX_PATHS`); else an InputError naming it."""
    from restock.scenarios.schema import MAX_PATHS

    if n_paths is not None and n_paths < 1:
        raise InputError(f"--paths {n_paths!r}: must be >= 1")
    if n_paths is not None and n_paths > MAX_PATHS:
        raise InputError(f"--paths {n_paths!r}: must be at most {MAX_PATHS:,} (as seeds.n_paths)")


def parse_policies(text: str) -> tuple[str, ...]:
    """``"a, b,c"`` -> ``("a", "b", "c")``; an empty list or item is an InputError naming ``--policies``.

    Whether a spec may be named twice is the job's call (its spec refuses it, naming the spec).
    """
    specs = tuple(s.strip() for s in text.split(","))
    if not text.strip() or any(not s for s in specs):
        raise InputError(
            f"--policies {text!r}: expected a comma-separated list of policy specs or run folders"
        )
    return specs
