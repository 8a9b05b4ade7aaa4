"""The batch engine's ``compile`` setting: compiled and eager agree (forward, records, gradient) on random
worlds; a handful of graphs per engine; the fallback where ``torch.compile`` is unavailable or fails; bad
values refused.

The compiled cases really compile (seconds of warm-up each on a CPU): few, grouped on one xdist worker,
and marked slow; the setting's checks and fallbacks run without compiling."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import torch
from torch._dynamo.utils import counters

from restock.errors import InputError
from restock.simulator.batch import NetworkEngine, batch_engine, compiled
from restock.simulator.batch.engine import BatchEngine
from restock.simulator.engines import rollout
from restock.simulator.flows import TOTAL_KEYS
from restock.simulator.policy import BaseStock, OrderSchedule
from tests.simulator.test_network_parity import as_numpy, drive
from tests.simulator.test_network_parity import random_case as random_network_case
from tests.simulator.test_parity import NUMERIC, Case, random_case

COMPILED = pytest.mark.xdist_group("torch-compile")


def _schedule(case: Case, grad: bool = False) -> tuple[OrderSchedule, torch.Tensor]:
    orders = torch.tensor(case.schedule, dtype=torch.float64, requires_grad=grad)
    w = case.world
    return OrderSchedule(orders, w.review_period, w.review_offset), orders


def _graphs() -> int:
    return int(counters["stats"]["unique_graphs"])


@pytest.fixture
def fresh_dynamo() -> Iterator[None]:
    """Each compiled case from an empty TorchDynamo cache (the recompile limit counts per function)."""
    torch.compiler.reset()
    yield
    torch.compiler.reset()


def _assert_same_run(case: Case, rule_of: Any, *, record: bool) -> tuple[BatchEngine, int]:
    """The compiled engine's states, step flows (and records) equal the eager engine's (1e-6); the
    compiled engine and the graphs it compiled."""
    eager = BatchEngine(case.world, case.paths, record=record)
    on = BatchEngine(case.world, case.paths, record=record, compile="on")
    want_states, want_flows, want_end = drive(eager, rule_of())
    before = _graphs()
    got_states, got_flows, got_end = drive(on, rule_of())
    assert on._run_block.compiled and _graphs() > before  # it really ran compiled
    for mine, theirs in zip([*got_states, got_end], [*want_states, want_end], strict=True):
        for field in ("on_hand", "backlog", "pipeline", "inventory_position"):
            np.testing.assert_allclose(
                as_numpy(getattr(mine, field)), as_numpy(getattr(theirs, field)), rtol=1e-6, atol=1e-9
            )
    for mine_f, theirs_f in zip(got_flows, want_flows, strict=True):
        for k in theirs_f:
            np.testing.assert_allclose(
                as_numpy(mine_f[k]), as_numpy(theirs_f[k]), rtol=1e-6, atol=1e-9, err_msg=k
            )
    if record:
        got, want = on.result().records, eager.result().records
        for c in NUMERIC:
            np.testing.assert_allclose(got[c].to_numpy(), want[c].to_numpy(), rtol=1e-6, atol=1e-9, err_msg=c)
    return on, _graphs() - before


@COMPILED
@pytest.mark.slow
@pytest.mark.usefixtures("fresh_dynamo")
@pytest.mark.parametrize(("seed", "backorder"), [(3, False), (8, True)])
def test_compiled_matches_eager_on_random_worlds(seed: int, backorder: bool) -> None:
    case = random_case(seed, backorder=backorder)
    engine, graphs = _assert_same_run(case, lambda: _schedule(case)[0], record=False)
    # a few graphs per engine (first block, the others, the last), none more on the next rollouts:
    # nothing that varies from block to block is a Python value
    assert 1 <= graphs <= 3
    # a rollout steps without the step flows (the running totals summed in the compiled block): the
    # reviews' graphs once more without the flows as outputs, then none
    rule = BaseStock(case.levels)
    want = rollout(BatchEngine(case.world, case.paths, record=False), rule).totals
    before = _graphs()
    got = rollout(engine, rule)
    assert 1 <= _graphs() - before <= 2
    before = _graphs()
    hooked = rollout(engine, rule, on_step=lambda *_: None)  # step(): flows and the running totals
    assert _graphs() == before
    # the engine's own rollout of a base-stock rule: the rule inside the graph, REVIEWS_PER_CALL blocks
    # a call (a graph per run of block lengths: the first calls, the last), none more the next time
    fused = BatchEngine(case.world, case.paths, record=False, compile="on")
    again = fused.rollout(rule)
    assert 1 <= _graphs() - before <= 3
    before = _graphs()
    assert fused._review == len(case.world.review_periods())
    for totals in (got.totals, hooked.totals, again, fused.rollout(rule)):
        assert set(totals) == set(TOTAL_KEYS)
        for k in TOTAL_KEYS:
            np.testing.assert_allclose(totals[k].numpy(), want[k].numpy(), rtol=1e-6, atol=1e-9, err_msg=k)


@COMPILED
@pytest.mark.slow
@pytest.mark.usefixtures("fresh_dynamo")
def test_compiled_records_and_gradient_match_eager() -> None:
    case = random_case(7, backorder=False)
    # every case of the block: before the first review, lead time 0, a storage limit, capacity, fill
    assert case.world.review_offset > 0 and case.world.network.nodes[0].storage_capacity < np.inf
    assert (case.paths.lead_time == 0).any() and (case.paths.fill_rate < 1).any()
    assert np.isfinite(case.paths.capacity).any()
    _assert_same_run(case, lambda: BaseStock(case.levels), record=True)
    rule = BaseStock(case.levels)
    want = BatchEngine(case.world, case.paths, record=False).rollout(rule)
    got = BatchEngine(case.world, case.paths, record=False, compile="on").rollout(rule)  # fused
    for k in TOTAL_KEYS:
        np.testing.assert_allclose(got[k].numpy(), want[k].numpy(), rtol=1e-6, atol=1e-9, err_msg=k)
    # an invalid order in a fused call: the same error as eager, at the same review, the state there
    bad = np.array(case.levels, dtype=float)
    bad[..., 0] = np.nan
    errors = []
    for mode in ("off", "on"):
        engine = BatchEngine(case.world, case.paths, record=False, compile=mode)
        with pytest.raises(InputError, match="order") as caught:
            engine.rollout(BaseStock(bad))
        errors.append((str(caught.value), engine._t))
    assert errors[0] == errors[1]
    grads = []
    for mode in ("off", "on"):
        rule, orders = _schedule(case, grad=True)
        engine = BatchEngine(case.world, case.paths, record=False, grad=True, compile=mode)
        engine.rollout(rule)["reward"].sum().backward()
        assert engine._run_block.compiled is (mode == "on")
        assert orders.grad is not None
        grads.append(orders.grad)
    eager, on = grads
    assert float(eager.abs().max()) > 0
    np.testing.assert_allclose(on.numpy(), eager.numpy(), rtol=1e-6, atol=1e-9 * float(eager.abs().max()))


# ------------------------------------------------------------------ without compiling


def test_a_bad_compile_value_is_refused_naming_the_setting() -> None:
    case = random_case(0)
    for bad in ("yes", True, None, "ON"):
        with pytest.raises(InputError, match="compile must be one of"):
            BatchEngine(case.world, case.paths, compile=bad)  # type: ignore[arg-type]


def test_the_network_engine_refuses_on_and_runs_auto_eager() -> None:
    world, paths, _, _ = random_network_case(0)
    with pytest.raises(InputError, match="compile='on' is not available for the network engine"):
        NetworkEngine(world, paths, compile="on")
    with pytest.raises(InputError, match="compile must be one of"):
        batch_engine(world, paths, compile="always")
    engine = batch_engine(world, paths, compile="auto")
    assert isinstance(engine, NetworkEngine) and engine.compile == "auto"


def _failing_compiler(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("inductor: no C++ compiler found\nsecond line")


@pytest.fixture
def broken_compiler(monkeypatch: pytest.MonkeyPatch) -> None:
    """torch.compile 'works' at the probe but every compiled block fails (as where the C++ compiler is
    missing); 'auto' compiles any size."""
    monkeypatch.setattr(compiled, "compiler_available", lambda device="cpu": None)
    monkeypatch.setattr(compiled, "_compiled_block", lambda *key: _failing_compiler)
    monkeypatch.setattr(compiled, "_compiled_reviews", lambda *key: _failing_compiler)
    monkeypatch.setattr(compiled, "AUTO_MIN_SKU_PERIODS", 0)


@pytest.mark.usefixtures("broken_compiler")
def test_auto_falls_back_to_eager_with_one_warning() -> None:
    case = random_case(4)
    want = BatchEngine(case.world, case.paths, record=False).rollout(BaseStock(case.levels))
    engine = BatchEngine(case.world, case.paths, record=False, compile="auto")
    assert engine._run_block.compiled  # it means to compile
    with pytest.warns(RuntimeWarning, match="torch.compile is not available") as caught:
        got = engine.rollout(BaseStock(case.levels))
    assert len(caught) == 1 and "\n" not in str(caught[0].message)
    assert "no C++ compiler found" in str(caught[0].message)
    assert not engine._run_block.compiled
    for k in want:
        torch.testing.assert_close(got[k], want[k], rtol=0, atol=0)
    with warnings.catch_warnings():  # eager from then on: no more warnings
        warnings.simplefilter("error")
        engine.rollout(BaseStock(case.levels))


@pytest.mark.usefixtures("broken_compiler")
def test_on_raises_a_named_error_where_compiling_fails() -> None:
    case = random_case(4)
    engine = BatchEngine(case.world, case.paths, record=False, compile="on")
    with pytest.raises(InputError, match=r"compile=.on. but torch.compile is not available.*no C\+\+"):
        engine.rollout(BaseStock(case.levels))


def test_unavailable_compiler_at_construction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compiled, "compiler_available", lambda device="cpu": "ImportError: no dynamo")
    monkeypatch.setattr(compiled, "AUTO_MIN_SKU_PERIODS", 0)
    case = random_case(2)
    with pytest.raises(InputError, match=r"compile=.on..*ImportError: no dynamo"):
        BatchEngine(case.world, case.paths, compile="on")
    with pytest.warns(RuntimeWarning, match="compile='auto' runs eager"):
        engine = BatchEngine(case.world, case.paths, compile="auto")
    assert not engine._run_block.compiled


def test_auto_stays_eager_for_small_runs_and_gradients(monkeypatch: pytest.MonkeyPatch) -> None:
    def never(device: str = "cpu") -> str | None:
        raise AssertionError("the compiler was probed")

    monkeypatch.setattr(compiled, "compiler_available", never)
    case = random_case(1)
    assert not BatchEngine(case.world, case.paths, compile="auto")._run_block.compiled  # small
    monkeypatch.setattr(compiled, "AUTO_MIN_SKU_PERIODS", 0)
    assert not BatchEngine(case.world, case.paths, grad=True, compile="auto")._run_block.compiled


def test_the_state_position_is_the_inventory_position_of_its_fields() -> None:
    case = random_case(8, backorder=True)
    engine = BatchEngine(case.world, case.paths, record=False)
    states, _, end = drive(engine, _schedule(case)[0])
    for s in [*states, end]:
        assert s.position is not None
        formula = s.on_hand - s.backlog + s.pipeline.sum(-1)
        torch.testing.assert_close(s.inventory_position, formula, rtol=1e-12, atol=1e-12)
    assert any(float(s.backlog.abs().max()) > 0 for s in states)  # the backlog term is exercised
