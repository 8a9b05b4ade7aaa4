"""``restock.pipelines.inputs``: the one parser of ``--policies``."""

from __future__ import annotations

import pytest

from restock.errors import InputError
from restock.pipelines.inputs import COMPILE_MODES, check_compile, parse_policies


def test_parse_policies_strips_and_keeps_the_order() -> None:
    assert parse_policies(" newsvendor, base-stock,runs/x ") == ("newsvendor", "base-stock", "runs/x")


@pytest.mark.parametrize("text", ["", " ", "newsvendor,", "a,,b"])
def test_empty_policy_lists_and_items_are_input_errors(text: str) -> None:
    with pytest.raises(InputError, match=r"--policies .*expected a comma-separated list"):
        parse_policies(text)


def test_the_compile_modes_are_the_batch_engines() -> None:
    from restock.simulator.batch.compiled import COMPILE_MODES as ENGINE_MODES

    assert COMPILE_MODES == ENGINE_MODES


def test_compile_on_needs_the_batch_engine_and_a_known_mode() -> None:
    check_compile("on", "batch")
    check_compile("auto", "des")  # nothing to compile: des runs as it is
    with pytest.raises(InputError, match=r"simulate: --compile on: only the batch engine .*--engine des"):
        check_compile("on", "des", "simulate")
    with pytest.raises(InputError, match=r"--compile 'yes': expected off, auto, on"):
        check_compile("yes", "batch")
