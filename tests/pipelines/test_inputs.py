"""``restock.pipelines.inputs``: the one parser of ``--policies``, the one reader of ``--data`` in buckets."""

from __future__ import annotations

import pytest

from restock.data import aggregate, load_panel
from restock.errors import InputError
from restock.pipelines.inputs import load_buckets, parse_policies


def test_parse_policies_strips_and_keeps_the_order() -> None:
    assert parse_policies(" newsvendor, base-stock,runs/x ") == ("newsvendor", "base-stock", "runs/x")


@pytest.mark.parametrize("text", ["", " ", "newsvendor,", "a,,b"])
def test_empty_policy_lists_and_items_are_input_errors(text: str) -> None:
    with pytest.raises(InputError, match=r"--policies .*expected a comma-separated list"):
        parse_policies(text)


def test_load_buckets_sums_days_to_weeks_and_keeps_days_on_request() -> None:
    daily = load_panel("synthetic:3")
    assert daily.freq == "D"
    assert load_buckets("synthetic:3", "D").frame.equals(daily.frame)
    weekly = load_buckets("synthetic:3", "W-SAT")
    assert weekly.freq == "W-SAT" and weekly.series_ids == daily.series_ids
    assert weekly.frame.equals(aggregate(daily, "W-SAT").frame) and len(weekly.frame) < len(daily.frame)
