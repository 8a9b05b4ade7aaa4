"""One root seed, spawned per role.

A run has one integer root seed. Every component that draws random numbers gets its own child
:class:`numpy.random.SeedSequence`, addressed by a role name, so that adding a new consumer never shifts
the numbers of another one, and training and evaluation never share a stream::

    >>> rng_a = generator(0, "demand")
    >>> rng_b = generator(0, "demand")
    >>> bool((rng_a.integers(0, 1000, 5) == rng_b.integers(0, 1000, 5)).all())
    True

Evaluation seeds live in a separate range of root seeds from training seeds (:func:`eval_seed`), so the
paths a policy is judged on were never seen while it learned.
"""

from __future__ import annotations

import hashlib

import numpy as np

EVAL_SEED_OFFSET = 1_000_003
"""Evaluation root seed ``k`` maps to ``EVAL_SEED_OFFSET + k``: disjoint from any training seed below it."""


def _role_key(role: str) -> int:
    # A stable 32-bit key per role name (Python's hash() is salted per process, so not usable).
    return int.from_bytes(hashlib.blake2b(role.encode(), digest_size=4).digest(), "little")


def seed_sequence(root_seed: int, role: str, *index: int) -> np.random.SeedSequence:
    """The child seed sequence of ``root_seed`` for ``role`` (and an optional integer index path)."""
    if root_seed < 0:
        raise ValueError(f"seed must be >= 0, got {root_seed}")
    return np.random.SeedSequence(entropy=root_seed, spawn_key=(_role_key(role), *index))


def generator(root_seed: int, role: str, *index: int) -> np.random.Generator:
    """A fresh PCG64 generator for ``role`` under ``root_seed``."""
    return np.random.default_rng(seed_sequence(root_seed, role, *index))


def int_seed(root_seed: int, role: str, *index: int) -> int:
    """A 32-bit integer seed for libraries that take an int (torch, SB3, scikit-learn)."""
    return int(seed_sequence(root_seed, role, *index).generate_state(1)[0])


def eval_seed(k: int) -> int:
    """The root seed of the ``k``-th evaluation run (disjoint from training seeds < EVAL_SEED_OFFSET)."""
    return EVAL_SEED_OFFSET + k
