"""One root seed, spawned per role.

A run has one integer root seed. Every component that draws random numbers gets its own child
:class:`numpy.random.SeedSequence`, addressed by a role name, so that adding a new consumer never shifts
the numbers of another one, and training and evaluation never share a stream::

    >>> rng_a = generator(0, "demand")
    >>> rng_b = generator(0, "demand")
    >>> bool((rng_a.integers(0, 1000, 5) == rng_b.integers(0, 1000, 5)).all())
    True

Root seeds are split into three ranges, one per role of the paths they draw:

* training: below ``2**32`` (:func:`int_seed` gives 32-bit seeds, the envs' episodes use them;
  DirectBackprop's episodes and the tuned baselines' seeds stay below :data:`EVAL_SEED_OFFSET`);
* evaluation: ``EVAL_SEED_OFFSET + k`` for ``0 <= k <= MAX_EVAL_INDEX`` (:func:`eval_seed`);
* selection: ``SELECTION_SEED_OFFSET + k``, at and above ``2**32`` (:func:`selection_seed`).

Evaluation seeds lie apart from the training seeds that the trainers number themselves (below
:data:`EVAL_SEED_OFFSET`), so the paths a policy is judged on were not seen while it learned (the envs'
32-bit episode seeds can land on one of a thousand evaluation seeds by a chance of about 1 in 4 million
per episode). Selection seeds lie above every seed of both ranges: the paths a trainer
chooses its best checkpoint on are neither trained on nor judged on, so an evaluation does not flatter
the checkpoint picked for doing well on its own paths (an evaluation refuses them,
:func:`restock.agents.evaluate.eval_seeds`). A selection seed is wider than 32 bits, which a
:class:`numpy.random.SeedSequence` takes as it takes any other root seed of a path draw.
"""

from __future__ import annotations

import hashlib

import numpy as np

EVAL_SEED_OFFSET = 1_000_003
"""Evaluation root seed ``k`` maps to ``EVAL_SEED_OFFSET + k``: disjoint from any training seed below it."""

SELECTION_SEED_OFFSET = 2**32
"""Selection root seed ``k`` maps to ``SELECTION_SEED_OFFSET + k``: above every 32-bit seed (every training
seed, :func:`int_seed`) and every evaluation seed."""

MAX_EVAL_INDEX = SELECTION_SEED_OFFSET - EVAL_SEED_OFFSET - 1
"""The largest evaluation index ``k`` (its root seed stays below the selection range)."""


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
    if not 0 <= k <= MAX_EVAL_INDEX:
        raise ValueError(f"evaluation index must be in [0, {MAX_EVAL_INDEX}], got {k}")
    return EVAL_SEED_OFFSET + k


def selection_seed(k: int = 0) -> int:
    """The root seed of the ``k``-th selection draw: the held-out paths a trainer evaluates its checkpoints
    on to choose the best one (disjoint from every training and evaluation seed)."""
    if k < 0:
        raise ValueError(f"selection index must be >= 0, got {k}")
    return SELECTION_SEED_OFFSET + k


def is_selection_seed(seed: int) -> bool:
    """Whether root ``seed`` lies in the selection range (:func:`selection_seed`)."""
    return seed >= SELECTION_SEED_OFFSET


TUNE_EVAL_INDEX = 1_000_000
"""First evaluation index of ``restock tune``'s trial metric: the trials are compared on the evaluation
root seeds ``eval_seed(TUNE_EVAL_INDEX + k)``, apart from the training and selection seeds and from the
evaluation seeds ``eval_seed(0 ..)`` that ``restock evaluate`` (and tune's final evaluation of the best
configuration) judge on, so the configuration chosen for doing well on its paths is judged on others."""
