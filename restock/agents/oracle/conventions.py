"""Lead-time conventions: ours and Zipkin (2008)'s, and how to convert between them.

**Ours** (DESIGN.md, both engines): within period t, (1) shipments due arrive, (2) the review places an
order, which arrives at the start of period t+L (L >= 0; L = 0 serves this period's demand), (3) demand
is served from on-hand, the rest lost (or backordered), (4) holding is charged on the end-of-period
on-hand and the penalty on the units short.

**Zipkin (2008)**, "Old and new methods for lost-sales inventory systems", Operations Research 56(5):
the state is (x_0, ..., x_{L-1}) — on-hand x_0 and the L-1 orders still to arrive — an order is placed,
demand is served from x_0 and the order x_1 then joins the leftover stock; an order placed now is on hand
for the demand L periods later. That is exactly our timing with the same L: solving our model with
L = 1, 2, 3, 4 reproduces his optimal costs (e.g. 4.04, 4.40, 4.60, 4.73 at p = 4; see
``tests/agents/test_oracle_zipkin.py``), while our L + 1 does not (our L = 2 gives 4.40 where his L = 1
gives 4.04). DESIGN.md's remark that "its lead time L means our L+1" is therefore not right for this
table: the mapping is the identity. The helpers below make the conversion explicit anyway, so that a
number quoted from either side says which convention it uses.
"""

from __future__ import annotations

from restock.errors import InputError

RESTOCK_CONVENTION = "restock"
"""Name of our convention in reports: an order placed in period t arrives at the start of t+L."""

CONVENTION_NOTE = (
    "restock: an order placed in period t arrives at the start of period t+L, before that period's "
    "demand (L=0 serves the same period); identical to Zipkin (2008)'s L"
)
"""One line that reports print next to every lead time."""

ZIPKIN_OFFSET = 0
"""Our L minus Zipkin (2008)'s L for the same system (found by reproducing his table: 0)."""


def zipkin_to_restock(lead_time_zipkin: int) -> int:
    """Our lead time for a system that Zipkin (2008) describes with lead time ``lead_time_zipkin`` (>= 1)."""
    if lead_time_zipkin < 1:
        raise InputError(f"zipkin lead time must be >= 1, got {lead_time_zipkin!r}")
    return lead_time_zipkin + ZIPKIN_OFFSET


def restock_to_zipkin(lead_time: int) -> int:
    """Zipkin (2008)'s lead time for our lead time ``lead_time`` (his model needs at least one period)."""
    converted = lead_time - ZIPKIN_OFFSET
    if converted < 1:
        raise InputError(f"lead time {lead_time!r} has no Zipkin (2008) equivalent (his lead times are >= 1)")
    return converted
