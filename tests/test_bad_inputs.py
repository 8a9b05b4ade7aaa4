"""The bad-input battery (:mod:`bad_inputs`): every case is a one-line error naming the key, file or column
and the value, with exit code 2 — no traceback, no hang, nothing silently accepted.

The cases run in this process through :func:`restock.cli.main` with every command attached, in one
workspace (tiny scenario and data files, a PPO and a DirectBackprop run folder and damaged copies).
``python tests/bad_inputs.py`` prints the counts of each outcome.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from bad_inputs import KINDS, cases, classify, make_workspace, run_case

pytestmark = pytest.mark.filterwarnings("ignore")  # warnings of the libraries the commands import

CASES = cases()


def test_the_battery_holds_at_least_200_cases_across_every_command() -> None:
    assert len(CASES) >= 200
    commands = {c.args[0] if c.args[0] not in ("scenarios", "data", "forecast", "oracle") else
                " ".join(c.args[:2]) for c in CASES}  # fmt: skip
    for command in ("simulate", "evaluate", "train", "tune", "replay", "report", "bench", "demo",
                    "scenarios validate", "scenarios show", "data profile", "data export",
                    "forecast backtest", "forecast train", "forecast predict", "oracle lost-sales",
                    "oracle backorder", "oracle serial", "oracle dual-sourcing", "oracle s-S",
                    "recommend", "value-of-accuracy"):  # fmt: skip
        assert command in commands, command


@pytest.mark.parametrize(
    ("code", "stderr", "kind"),
    [
        (2, "error: scenario x.toml: key 'horizon' must be > 0, got 0\n", "named"),
        (2, "· evaluating\nerror: scenario x.toml: key 'horizon' must be > 0, got 0\n", "named"),
        (2, "error: something is wrong\n", "vague"),
        (2, "error: key 'horizon' must be > 0, got 0\nmore\n", "vague"),
        (1, "Traceback (most recent call last):\n  ...\nValueError: x\n", "traceback"),
        ("exception", "", "traceback"),
        ("hang", "", "hang"),
        (0, "", "accepted"),
    ],
)
def test_the_classifier_files_each_outcome(code: int | str, stderr: str, kind: str) -> None:
    assert kind in KINDS
    assert classify(code, stderr, ("horizon", "0")) == kind


def test_every_bad_input_is_a_named_one_line_error(tmp_path: Path) -> None:
    """All cases in one test, so that one workspace serves them on one worker (pytest-xdist would make one
    per worker); a failure lists every case that is not named, with what it printed."""
    workspace = make_workspace(tmp_path / "w")
    failed = []
    for case in CASES:
        outcome = run_case(case, workspace)
        if outcome.kind != "named":
            said = outcome.error or outcome.stderr.strip().replace("\n", " | ")
            failed.append(f"{outcome.kind} {case.id} (rc {outcome.code}, wants {case.names}): {said[:400]}")
    assert not failed, f"{len(failed)} of {len(CASES)} cases:\n" + "\n".join(failed)
