"""``restock sweep``: cells on Ray equal the serial evaluation exactly, resume, survive a killed worker.

Ray starts once for the module (2 CPUs; the module's tests run in one pytest-xdist worker, see
``pytestmark``); the sweeps are tiny (2 SKUs, 8 weeks, one path per seed).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from restock.pipelines.cluster import ClusterSpec
from restock.pipelines.evaluation import EvaluationSpec, read_per_seed, run_evaluation
from restock.pipelines.sweep import CELLS, TASK_NAME, SweepResult, SweepSpec, check, run_sweep

ray = pytest.importorskip("ray")

# one Ray for the module: under `pytest -n 2 --dist loadgroup` (make test) its tests share one worker
pytestmark = pytest.mark.xdist_group("ray")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SMALL = ("catalog.n_skus=2", "horizon=56", "seeds.n_paths=1")
POLICIES = ("newsvendor", "base-stock")
SPEC = f"""
policies = {list(POLICIES)!r}
seeds = 2
set = {list(SMALL)!r}

[[scenarios]]
name = "steady"
""".replace("'", '"')


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    """One embedded Ray (2 CPUs) for the module; run_sweep uses it and leaves it running."""
    ray.init(
        address="local", num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False
    )
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def spec_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("spec") / "tiny.toml"
    path.write_text(SPEC, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def first(local_ray: None, spec_file: Path, tmp_path_factory: pytest.TempPathFactory) -> SweepResult:
    calls: list[tuple[int, int]] = []
    out = tmp_path_factory.mktemp("sweeps") / "first"
    result = run_sweep(SweepSpec(str(spec_file), str(out)), lambda d, t: calls.append((d, t)))
    assert calls == [(0, 2), (1, 2), (2, 2)]
    return result


def test_a_sweep_equals_the_serial_evaluation_exactly(first: SweepResult) -> None:
    serial = run_evaluation(EvaluationSpec("steady", POLICIES, seeds=2, scenario_overrides=SMALL))
    assert first.ran == ("steady__g0__s0", "steady__g0__s1")
    rows = first.rows.drop(columns=["scenario", "grid", "cell"])
    pd.testing.assert_frame_equal(rows, serial.rows, check_exact=True)
    summary = first.summary.drop(columns=["scenario", "grid"])
    pd.testing.assert_frame_equal(summary, serial.summary, check_exact=True)
    # each cell alone is the evaluation of its seed
    one = run_evaluation(EvaluationSpec("steady", POLICIES, seeds=1, scenario_overrides=SMALL, first_seed=1))
    pd.testing.assert_frame_equal(
        read_per_seed(first.folder / CELLS / "steady__g0__s1"), one.rows, check_exact=True
    )
    assert (first.folder / "sweep.json").is_file() and (first.folder / "kpis.md").is_file()
    boards = sorted(
        p.relative_to(first.folder / "tensorboard").as_posix()
        for p in (first.folder / "tensorboard").glob("*/*")
    )
    assert boards == [f"steady__g0__s{s}/{p}" for s in (0, 1) for p in sorted(POLICIES)]


def test_a_rerun_skips_finished_cells_and_redoes_unfinished_ones(first: SweepResult, spec_file: Path) -> None:
    spec = SweepSpec(str(spec_file), str(first.folder))
    again = run_sweep(spec)
    assert again.ran == ()
    pd.testing.assert_frame_equal(again.summary, first.summary, check_exact=True)
    (first.folder / CELLS / "steady__g0__s0" / "kpis.csv").unlink()  # as a killed run leaves it
    redone = run_sweep(spec)
    assert redone.ran == ("steady__g0__s0",)
    pd.testing.assert_frame_equal(redone.rows, first.rows, check_exact=True)


def _cell_workers() -> list[int]:
    """Pids of the Ray workers running a sweep cell now (their process title is ``ray::sweep_cell``)."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().split(b"\0")[0]
        except OSError:
            continue
        if title.startswith(f"ray::{TASK_NAME}".encode()):
            out.append(int(entry.name))
    return out


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds the worker through /proc")
def test_a_worker_killed_mid_cell_is_retried_and_nothing_is_lost(
    first: SweepResult, spec_file: Path, tmp_path: Path
) -> None:
    killed: list[int] = []
    stop = threading.Event()

    def killer() -> None:
        while not stop.is_set() and not killed:
            for pid in _cell_workers():
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                break
            time.sleep(0.002)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    try:
        result = run_sweep(SweepSpec(str(spec_file), str(tmp_path / "killed"), max_retries=2))
    finally:
        stop.set()
        thread.join()
    assert len(killed) == 1, "no cell worker was seen running"
    pd.testing.assert_frame_equal(result.rows, first.rows, check_exact=True)
    assert len(result.rows) == 2 * len(POLICIES)


def test_the_example_spec_plans_two_scenarios_three_policies_two_seeds() -> None:
    sweep, cells = check(SweepSpec(str(EXAMPLES / "sweep.toml")))
    assert len(sweep.scenarios) == 2 and len(sweep.policies) == 3 and sweep.seeds == 2
    assert len(cells) == 4 and len({c.group for c in cells}) == 2


def test_a_grid_makes_every_combination_of_its_overrides_a_setting_of_every_scenario(tmp_path: Path) -> None:
    spec = tmp_path / "grid.toml"
    grid = (
        '\n[grid]\n"economics.lost_sale_penalty" = ["0.05 * price", "0.5 * price"]\n'
        '"demand.dispersion" = [1.5, 3]\n'
    )
    spec.write_text(SPEC + grid, encoding="utf-8")
    _, cells = check(SweepSpec(str(spec)))
    assert len(cells) == 2 * 2 * 2 and len({c.group for c in cells}) == 4
    assert [c.id for c in cells[:3]] == ["steady__g0__s0", "steady__g0__s1", "steady__g1__s0"]
    assert cells[2].grid == ('economics.lost_sale_penalty="0.05 * price"', "demand.dispersion=3")
    assert cells[2].evaluation.scenario_overrides == (*SMALL, *cells[2].grid)
    assert cells[2].evaluation.first_seed == 0 and cells[1].evaluation.first_seed == 1


BAD: list[tuple[str, str]] = [
    ("colour = 1\n" + SPEC, "unknown key 'colour'"),
    (SPEC.replace('name = "steady"', 'name = "steady"\nhorizon = 3'), "unknown key 'scenarios.0.horizon'"),
    ('policies = ["newsvendor"]\nscenarios = []\n', "the grid is empty"),
    (SPEC.replace('"base-stock"', '"base-stok"'), "unknown policy 'base-stok'"),
    (
        SPEC + '\n[grid]\n"economics.holding_cost" = []\n',
        "key 'grid.economics.holding_cost' must be a non-empty",
    ),
    (SPEC.replace('name = "steady"', 'name = "steady"\nset = ["horizon=-5"]'), "cell steady__g0__s0"),
    ("seeds_per_cell = 0\n" + SPEC, "key 'seeds_per_cell' must be >= 1"),
    ("shard_skus = -3\n" + SPEC, "key 'shard_skus' must be >= 1, got -3"),
    ("shard_skus = 1.5\n" + SPEC, "key 'shard_skus' must be an integer"),
    (
        'shard_skus = 10\npolicies = ["newsvendor"]\n[[scenarios]]\nname = "capacitated-catalog"\n',
        "cell capacitated-catalog__g0__s0 (capacitated-catalog, []): --set 'catalog.shard=[0, 10]'",
    ),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_bad_specs_exit_2_naming_the_problem_and_leave_no_folder(
    run_cli, tmp_path: Path, text: str, message: str
) -> None:  # type: ignore[no-untyped-def]
    spec = tmp_path / "bad.toml"
    spec.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    res = run_cli("sweep")("sweep", str(spec), "--out", str(out))
    assert res.returncode == 2 and message in res.stderr, res.stderr
    assert "Traceback" not in res.stderr and not out.exists()


def test_a_spec_that_is_not_utf8_text_or_not_toml_is_named(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    spec = tmp_path / "bad.toml"
    for data, message in (
        (b"policies = [\xff]\n", "not a UTF-8 text file (byte 0xff"),
        (b"policies = [", "not valid TOML"),
    ):
        spec.write_bytes(data)
        res = run_cli("sweep")("sweep", str(spec), "--out", str(tmp_path / "out"))
        assert res.returncode == 2 and f"sweep spec {spec}: {message}" in res.stderr, res.stderr
        assert "Traceback" not in res.stderr and not (tmp_path / "out").exists()


def test_an_unreachable_address_exits_2_and_leaves_no_folder(
    run_cli, spec_file: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    res = run_cli("sweep")("sweep", str(spec_file), "--out", str(out), "--address", "127.0.0.1:9")
    assert res.returncode == 2 and "--address 127.0.0.1:9: no Ray cluster reachable" in res.stderr, res.stderr
    assert not out.exists()


def test_cluster_flags_are_checked() -> None:
    from restock.errors import InputError

    with pytest.raises(InputError, match="--workers 0: must be >= 1"):
        ClusterSpec(workers=0)
    with pytest.raises(InputError, match="expected auto or HOST:PORT"):
        ClusterSpec(address="nowhere")


def test_a_sweep_in_shards_equals_the_whole_catalogs_sweep(first: SweepResult, tmp_path: Path) -> None:
    """``shard_skus = 1``: every cell evaluates its 2 SKUs one shard after the other and merges the sums:
    the KPIs of the whole-catalog sweep (``in_stock_rate`` aside, which needs records)."""
    spec = tmp_path / "shards.toml"
    spec.write_text(SPEC.replace("seeds = 2", "seeds = 2\nshard_skus = 1"), encoding="utf-8")
    sharded = run_sweep(SweepSpec(str(spec), str(tmp_path / "out")))
    a = sharded.rows.drop(columns=["in_stock_rate"])
    b = first.rows.drop(columns=["in_stock_rate"])
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9, atol=1e-9)
    assert sharded.rows["in_stock_rate"].isna().all()
    cell = sharded.folder / CELLS / "steady__g0__s0"
    assert sorted(p.name for p in (cell / "tensorboard").iterdir()) == ["base-stock", "newsvendor"]
