"""``restock.pipelines.evaluation`` called as a library function: the figures ``restock evaluate`` prints."""

from __future__ import annotations

import json

import pytest

from restock.errors import InputError
from restock.pipelines.evaluation import EvaluationSpec, run_evaluation

SMALL = ("horizon=28", "seeds.n_paths=1")


def test_run_evaluation_gives_what_the_cli_prints(run_cli) -> None:  # type: ignore[no-untyped-def]
    spec = EvaluationSpec("steady", ("newsvendor", "myopic"), seeds=2, scenario_overrides=SMALL)
    result = run_evaluation(spec).to_dict()
    assert [r["policy"] for r in result["summary"]] == ["newsvendor", "myopic"]
    assert result["summary"][0]["saving_vs_newsvendor"] == 0.0 and len(result["rows"]) == 4
    sets = [x for o in SMALL for x in ("--set", o)]
    out = run_cli("evaluate")(
        "evaluate", "--scenario", "steady", "--policies", "newsvendor,myopic", "--seeds", "2", *sets, "--json"
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == json.loads(json.dumps(result))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"engine": "gpu"}, "--engine 'gpu': expected des or batch"),
        ({"seeds": 0}, "--seeds 0: must be >= 1"),
        ({"n_paths": 0}, "--paths 0: must be >= 1"),
        ({"policies": ("newsvendor", "newsvendor")}, "policy 'newsvendor' is named twice"),
        ({"compile": "always"}, "--compile 'always': expected off, auto, on"),
        ({"compile": "on"}, "--compile on: only the batch engine has a compiled path"),
    ],
)
def test_bad_specs_are_refused_on_construction(change: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"scenario": "steady", "policies": ("newsvendor",), **change}
    with pytest.raises(InputError, match=message):
        EvaluationSpec(**args)  # type: ignore[arg-type]


def test_evaluate_out_writes_a_run_folder_with_kpis_last(run_cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import pandas as pd

    from restock.pipelines.evaluation import is_finished, read_per_seed
    from restock.runs import load_run

    out = tmp_path / "ev"
    sets = [x for o in SMALL for x in ("--set", o)]
    args = ("evaluate", "--scenario", "steady", "--policies", "newsvendor,myopic", "--seeds", "2", *sets)
    res = run_cli("evaluate")(*args, "--json", "--out", str(out))
    assert res.returncode == 0, res.stderr
    printed = json.loads(res.stdout)
    assert is_finished(out) and load_run(out)["kind"] == "evaluate"
    per_seed = read_per_seed(out)
    assert per_seed["profit"].tolist() == [r["profit"] for r in printed["rows"]]
    kpis = pd.read_csv(out / "kpis.csv", float_precision="round_trip")
    assert kpis["policy"].tolist() == ["newsvendor", "myopic"]
    assert sorted(p.name for p in (out / "tensorboard").iterdir()) == ["myopic", "newsvendor"]
    again = run_cli("evaluate")(*args, "--out", str(out))
    assert again.returncode == 2 and "already holds a run" in again.stderr


def test_the_compiled_batch_engine_evaluates_as_the_eager_one() -> None:
    from dataclasses import replace

    import numpy as np

    spec = EvaluationSpec(
        "steady",
        ("newsvendor", "base-stock"),
        seeds=2,
        engine="batch",
        scenario_overrides=SMALL,
        compile="off",
    )
    for shard_skus in (None, 4):  # with records (rollout), and in shards without them (policy_sums)
        eager = run_evaluation(replace(spec, shard_skus=shard_skus)).rows
        compiled = run_evaluation(replace(spec, shard_skus=shard_skus, compile="on")).rows
        assert eager["profit"].abs().min() > 0
        for column in ("profit", "revenue", "fill_rate", "avg_on_hand"):
            np.testing.assert_allclose(compiled[column], eager[column], rtol=1e-6, err_msg=column)


def test_an_evaluation_too_large_for_its_records_is_refused_before_tuning(run_cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from restock.pipelines import simulation
    from restock.scenarios import load

    need = simulation.memory_estimate(load("steady"), 1, True)
    monkeypatch.setattr(simulation, "available_memory", lambda: need - 1)
    args = ("evaluate", "--scenario", "steady", "--policies", "newsvendor-tuned", "--paths", "1", "--json")
    out = run_cli("evaluate")(*args)
    assert out.returncode == 2 and "Traceback" not in out.stderr and out.stdout == ""
    assert "evaluate 'steady'" in out.stderr and "--shard-skus" in out.stderr and "--paths" in out.stderr
    monkeypatch.setattr(simulation, "available_memory", lambda: need)  # the estimate fits: it runs
    spec = EvaluationSpec("steady", ("newsvendor",), seeds=1, n_paths=1, scenario_overrides=SMALL)
    assert len(run_evaluation(spec).rows) == 1
    monkeypatch.setattr(simulation, "available_memory", lambda: 2 * need)  # --out keeps 2 x 2 runs' records
    with pytest.raises(InputError, match=r"x 4 runs kept.*no --out"):
        run_evaluation(
            EvaluationSpec("steady", ("newsvendor", "myopic"), seeds=2, n_paths=1), keep_records=True
        )
