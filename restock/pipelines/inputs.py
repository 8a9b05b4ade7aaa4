"""What several jobs read from a user: lists of policy specs and demand data in buckets.

A policy spec itself (``newsvendor``, ``base-stock``, ``runs/<dir>``, ...) is resolved by
:func:`restock.agents.specs.resolve_policy`; a data spec (``m5:PATH``, ``long:PATH``, ``synthetic``, ...)
by :func:`restock.data.load_panel`.
"""

from __future__ import annotations

from restock.data import DemandPanel, aggregate, load_panel
from restock.errors import InputError


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


def load_buckets(data: str, freq: str, *, fill_gaps: bool = False) -> DemandPanel:
    """Load ``data`` (a ``--data`` spec) and sum a daily panel to ``freq`` buckets ("D" keeps days).

    A panel that is not daily is returned as it was read.
    """
    panel = load_panel(data, fill_gaps=fill_gaps)
    if panel.freq == "D" and freq != "D":
        panel = aggregate(panel, freq)
    return panel
