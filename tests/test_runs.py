from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from restock.errors import InputError
from restock.io import check_writable
from restock.runs import check_new_run, create_run, discard_unstarted, is_run, load_run, run_name


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


def test_an_output_location_that_cannot_be_a_folder_is_refused_before_any_work(tmp_path: Path) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    for run_dir, said in ((a_file, "is an existing file"), (a_file / "sub", "is a file, so no folder")):
        with pytest.raises(InputError, match=f"--run-dir {run_dir}: .*{said}"):
            check_new_run(tmp_path, run_dir)
        with pytest.raises(InputError, match=f"--run-dir {run_dir}: "):
            create_run(kind="train", scenario="s", agent="a", seed=0, config=_Cfg(), run_dir=run_dir)
    with pytest.raises(InputError, match=f"--root {a_file}: is an existing file"):
        create_run(kind="train", scenario="s", agent="a", seed=0, config=_Cfg(), root=a_file)
    check_new_run(tmp_path / "new" / "deeper", None)  # a folder that can be made is fine, and not made
    assert not (tmp_path / "new").exists()
    with pytest.raises(InputError, match=f"--out {a_file / 'x.csv'}: cannot be written"):
        check_writable(a_file / "x.csv", "--out")
    with pytest.raises(InputError, match=f"--out {tmp_path}: is a folder"):
        check_writable(tmp_path, "--out")


def test_a_run_json_that_is_not_utf8_json_is_named(tmp_path: Path) -> None:
    (tmp_path / "run.json").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(InputError, match=r"run\.json: not UTF-8 JSON text"):
        load_run(tmp_path)
    (tmp_path / "run.json").write_text("[1, 2]")
    with pytest.raises(InputError, match=r"run\.json: must hold a JSON object, got list"):
        load_run(tmp_path)


def test_a_run_stopped_before_its_output_is_discarded_only_if_nothing_else_was_written(
    tmp_path: Path,
) -> None:
    made = create_run(kind="train", scenario="s", agent="a", seed=0, config=_Cfg(), run_dir=tmp_path / "r")
    assert discard_unstarted(made, remove_folder=True) and not made.exists()
    given = tmp_path / "given"
    given.mkdir()
    create_run(kind="train", scenario="s", agent="a", seed=0, config=_Cfg(), run_dir=given)
    assert discard_unstarted(given, remove_folder=False) and given.is_dir() and not any(given.iterdir())
    started = create_run(kind="train", scenario="s", agent="a", seed=0, config=_Cfg(), run_dir=tmp_path / "s")
    (started / "tb").mkdir()
    assert not discard_unstarted(started, remove_folder=True) and (started / "run.json").is_file()
