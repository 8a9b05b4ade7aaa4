"""``restock.pipelines.inputs``: the one parser of ``--policies``."""

from __future__ import annotations

import pytest

from restock.errors import InputError
from restock.pipelines.inputs import parse_policies


def test_parse_policies_strips_and_keeps_the_order() -> None:
    assert parse_policies(" newsvendor, base-stock,runs/x ") == ("newsvendor", "base-stock", "runs/x")


@pytest.mark.parametrize("text", ["", " ", "newsvendor,", "a,,b"])
def test_empty_policy_lists_and_items_are_input_errors(text: str) -> None:
    with pytest.raises(InputError, match=r"--policies .*expected a comma-separated list"):
        parse_policies(text)
