from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from restock.errors import InputError
from restock.runs import create_run, is_run, load_run, run_name


@dataclass
class _Cfg:
    lr: float = 3e-4
    """learning rate"""


def test_run_name_format() -> None:
    ts = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert run_name("covid-shock", "ppo", 3, ts) == "covid-shock__ppo__s3__20260102-030405"
    assert run_name("my scenarios/x y.toml", "ppo", 0, ts).startswith("x-y__ppo__s0__")


def test_create_and_load_run_round_trip(tmp_path: Path) -> None:
    path = create_run(kind="train", scenario="steady", agent="ppo", seed=1, config=_Cfg(), root=tmp_path)
    meta = load_run(path)
    assert meta["config"] == {"lr": 3e-4} and meta["agent"] == "ppo" and meta["seed"] == 1
    assert is_run(path)
    with pytest.raises(InputError, match="already holds a run"):
        create_run(kind="train", scenario="steady", agent="ppo", seed=1, config=_Cfg(), run_dir=path)


def test_not_a_run_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a run folder"):
        load_run(tmp_path)
    with pytest.raises(InputError, match="does not exist"):
        load_run(tmp_path / "nope")
    (tmp_path / "run.json").write_text("{broken")
    with pytest.raises(InputError, match="not valid JSON"):
        load_run(tmp_path)
    assert not is_run(tmp_path)
