"""DirectBackprop: the torch observation equals the env's, gradients are finite, a short training on Zipkin
p4-L1 (through the ``restock train`` entry point) lands near the exact optimum, layouts are checked."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from restock import seeding
from restock.agents.directbackprop.config import DirectBackpropConfig
from restock.agents.directbackprop.features import TorchObserver, bucket_matrix
from restock.agents.directbackprop.network import PolicyNetwork
from restock.agents.directbackprop.policy import DirectBackpropPolicy
from restock.agents.directbackprop.rollout import Episode, RolloutResult, make_episode, rollout
from restock.agents.training import TrainSpec, load_policy, train
from restock.envs.core import load_scenario, numpy_state
from restock.envs.features import ObservationConfig, feature_names, pipeline_buckets
from restock.envs.observer import Observer
from restock.errors import InputError
from restock.simulator import kpis
from restock.simulator.batch import BatchEngine

P4_L1_OPTIMAL = 4.0407  # restock.agents.oracle, Zipkin (2008) 4.04
FAST = {
    "n_paths": 128,
    "rollout_periods": 60,
    "burn_in": 10,
    "hidden": [16, 16],
    "time_features": False,
    "lr": 0.02,
    "lr_final": 0.002,
    "eval_every": 10,
    "eval_periods": 100,
    "eval_paths": 64,
    "final_eval_paths": 128,
    "train_episodes": 4,
    "threads": 1,
}


def per_sku_period(result: RolloutResult) -> np.ndarray:
    """Mean reward per period of each decision point (one SKU: a point is a path)."""
    reward = result.totals["reward"]
    return kpis.totals_path_rates(result.totals, "reward", reward.numel(), result.periods)


ZIPKIN = ("family.instance=p4-L1", "horizon=300")


def random_states(scenario: str, overrides: list[str], reviews: int) -> tuple[Observer, list]:
    """An observer and the engine states at its first reviews under random orders (pipelines filled)."""
    sc = load_scenario(scenario, overrides)
    ep = make_episode(sc, 3, 4, ObservationConfig(), "cpu")
    rng = np.random.default_rng(0)
    engine = BatchEngine(ep.world, ep.paths, record=False)
    state = engine.reset()
    states = []
    for _ in range(reviews):
        states.append(state)
        state, _ = engine.step(rng.uniform(0, 40, (ep.observer.n_paths, 1, ep.observer.n_skus)))
    return ep.observer, states


@pytest.mark.parametrize(
    ("scenario", "overrides"),
    [("zipkin-lost-sales", ["family.instance=p9-L4"]), ("steady", ["horizon=140"])],
)
def test_torch_observation_equals_the_env_observation(scenario: str, overrides: list[str]) -> None:
    batch, states = random_states(scenario, overrides, 12)
    observer = TorchObserver(batch)
    assert observer.names == feature_names(batch.obs_config)
    nonzero_pipeline = False
    for state in states:
        expected = batch.observe(numpy_state(state))
        got = observer.observe(state)
        assert got.dtype == torch.float64
        np.testing.assert_array_equal(got.float().numpy(), expected)
        nonzero_pipeline |= bool((expected[:, 1:5] > 0).any())
    assert nonzero_pipeline  # the pipeline columns were exercised


def test_bucket_matrix_sums_like_the_env() -> None:
    pipe = np.random.default_rng(1).uniform(0, 5, (3, 17))
    for review, buckets in ((1, 4), (7, 4), (7, 2), (5, 6)):
        np.testing.assert_allclose(
            pipe @ bucket_matrix(17, review, buckets), pipeline_buckets(pipe, review, buckets), rtol=1e-12
        )


def test_gradient_of_profit_is_finite_and_reaches_every_layer() -> None:
    sc = load_scenario("zipkin-lost-sales", list(ZIPKIN))
    ep = make_episode(sc, 5, 32, ObservationConfig(), "cpu", periods=40)
    torch.manual_seed(0)
    net = PolicyNetwork(feature_names(ObservationConfig()), (8, 8))
    net.set_level(2.0)
    res = rollout(net, ep, skip=5, grad=True)
    (-res.totals["reward"].mean()).backward()
    grads = [p.grad for p in net.parameters()]
    assert all(g is not None and bool(torch.isfinite(g).all()) for g in grads)
    assert all(float(g.abs().sum()) > 0 for g in grads if g is not None)
    # the state dependence is differentiated too: the order-up-to output gets a gradient from later periods
    assert res.periods == 35


def constant_cost(episode: Episode, quantity: float, skip: int) -> float:
    """Average cost per period of ordering ``quantity`` every period."""

    class Constant(torch.nn.Module):
        price = None  # no capacity price (PolicyNetwork.price)

        def forward(self, obs: torch.Tensor, scale: torch.Tensor, capacity: object = None) -> torch.Tensor:
            return torch.full_like(scale, quantity)

    return -float(per_sku_period(rollout(Constant(), episode, skip=skip, grad=False)).mean())  # type: ignore[arg-type]


def test_short_training_lands_near_the_zipkin_optimum(tmp_path: Path) -> None:
    spec = TrainSpec(
        agent="directbackprop",
        scenario="zipkin-lost-sales",
        timesteps=30 * 128 * 60,  # 30 iterations
        seed=0,
        scenario_overrides=ZIPKIN,
        options=FAST,
    )
    run_dir = train(spec, root=tmp_path, progress=False)
    kpis = pd.read_csv(run_dir / "kpis.csv").iloc[0]
    assert kpis["iterations"] == 30
    assert (run_dir / "checkpoints" / "best.pt").is_file() and (run_dir / "checkpoints" / "last.pt").is_file()
    assert any((run_dir / "tensorboard").iterdir())
    policy = load_policy(run_dir)
    # held-out paths, apart from every training and evaluation draw of the run
    sc = load_scenario("zipkin-lost-sales", list(ZIPKIN))
    ep = make_episode(sc, seeding.eval_seed(5), 512, ObservationConfig(), "cpu")
    cost = -float(per_sku_period(rollout(policy.net, ep, skip=30, grad=False)).mean())
    print(f"p4-L1 after 30 iterations: {cost:.4f} (optimal {P4_L1_OPTIMAL})")
    assert cost < P4_L1_OPTIMAL * 1.02, cost
    assert cost > P4_L1_OPTIMAL * 0.98, cost  # a simulation of a feasible policy cannot beat it by much
    assert cost < constant_cost(ep, 5.0, skip=30) - 1.0
    # the policy acts through the Policy protocol on the env's Observer
    engine = BatchEngine(ep.world, ep.paths, record=False)
    orders = policy.act(ep.observer, numpy_state(engine.reset()))
    assert orders.shape == (512,) and (orders >= 0).all()
    rounded = DirectBackpropPolicy(policy.net, policy.obs_config, round_orders=True)
    assert np.array_equal(rounded.act(ep.observer, numpy_state(engine.reset())), np.rint(orders))
    # a checkpoint trained for another observation layout is a clear error
    meta_file = run_dir / "run.json"
    meta = json.loads(meta_file.read_text())
    meta["config"]["options"]["n_pipeline_buckets"] = 2
    meta_file.write_text(json.dumps(meta))
    with pytest.raises(InputError, match="observation layout"):
        load_policy(run_dir)
    other = Observer(ep.world, ep.paths.price, ep.forecasts, 0, ObservationConfig(n_pipeline_buckets=2))
    with pytest.raises(InputError, match="trained on observations"):
        policy.act(other, numpy_state(engine.reset()))


def test_training_is_deterministic_for_a_seed(tmp_path: Path) -> None:
    options = {**FAST, "eval_every": 2, "train_episodes": 1, "final_eval_paths": 8, "eval_periods": 30}
    spec = TrainSpec(
        agent="directbackprop",
        scenario="zipkin-lost-sales",
        timesteps=2 * 128 * 60,
        seed=4,
        scenario_overrides=("family.instance=p4-L1", "horizon=60"),
        options=options,
    )
    a = train(spec, root=tmp_path / "a", progress=False)
    b = train(spec, root=tmp_path / "b", progress=False)
    sa = torch.load(a / "checkpoints" / "last.pt", weights_only=False)["state_dict"]
    sb = torch.load(b / "checkpoints" / "last.pt", weights_only=False)["state_dict"]
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    ka, kb = pd.read_csv(a / "kpis.csv").iloc[0], pd.read_csv(b / "kpis.csv").iloc[0]
    assert ka["profit"] == kb["profit"] and ka["profit_per_period"] == kb["profit_per_period"]
    # the trained policy runs in the generic paired evaluation, on either engine, with the same result
    from restock.agents.evaluate import evaluate

    policy = load_policy(a)
    scenario = load_scenario("zipkin-lost-sales", ["family.instance=p4-L1", "horizon=60"])
    profits = [
        evaluate({"db": policy}, scenario, 1, engine=engine, n_paths=3).summary.set_index("policy")
        for engine in ("des", "batch")
    ]
    assert profits[0].loc["db", "profit"] == pytest.approx(profits[1].loc["db", "profit"], rel=1e-9)


def test_bad_options_and_layouts_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown directbackprop option"):
        DirectBackpropConfig.from_options({"learning_rate": 0.1})
    with pytest.raises(InputError, match="burn_in"):
        DirectBackpropConfig.from_options({"burn_in": 10, "rollout_periods": 10})
    with pytest.raises(InputError, match="'lr'"):
        DirectBackpropConfig.from_options({"lr": math.nan})
    assert DirectBackpropConfig.from_options({"hidden": 8}).hidden == (8,)
    # weights of another width do not load into the stored layout
    from restock.agents.directbackprop.policy import load_checkpoint, network_meta, save_checkpoint

    names = feature_names(ObservationConfig())
    net = PolicyNetwork(names, (4,))
    meta = network_meta(net, ObservationConfig(), (4,), time_features=True, smoothing=0.05)
    path = tmp_path / "x.pt"
    save_checkpoint(
        path, PolicyNetwork(feature_names(ObservationConfig(n_pipeline_buckets=2)), (4,)), meta, {}
    )
    with pytest.raises(InputError, match="another observation layout"):
        load_checkpoint(path)
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(InputError, match="not a readable checkpoint"):
        load_checkpoint(tmp_path / "junk.pt")


class Killed(Exception):
    """Stands for the process being killed mid-training."""


def _scalar_steps(log_dir: Path) -> dict[str, list[int]]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(log_dir), size_guidance={"scalars": 0})
    acc.Reload()
    return {tag: [e.step for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}


def test_a_resumed_run_has_one_tensorboard_value_per_tag_and_iteration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from restock.agents.directbackprop import train as db_train

    options = {**FAST, "n_paths": 16, "eval_paths": 16, "hidden": [8], "train_episodes": 1}
    options |= {"eval_every": 1, "checkpoint_every": 2, "final_eval_paths": 8, "eval_periods": 30}
    spec = TrainSpec(
        agent="directbackprop",
        scenario="zipkin-lost-sales",
        timesteps=5 * 16 * 60,  # 5 iterations
        seed=1,
        scenario_overrides=("family.instance=p4-L1", "horizon=60"),
        options=options,
    )
    lr = db_train._lr

    def dying(cfg: DirectBackpropConfig, i: int, iterations: int) -> float:
        if i == 3:  # killed in the 4th iteration: the 3rd was logged after the checkpoint of iteration 2
            raise Killed
        return lr(cfg, i, iterations)

    monkeypatch.setattr(db_train, "_lr", dying)
    run_dir = tmp_path / "run"
    with pytest.raises(Killed):
        train(spec, run_dir=run_dir, progress=False)
    assert torch.load(run_dir / "checkpoints" / "last.pt", weights_only=False)["iteration"] == 2
    killed = _scalar_steps(run_dir / "tensorboard")
    assert killed["train/loss"] == [1, 2, 3] and killed["eval/profit_per_period"] == [1, 2, 3]
    monkeypatch.setattr(db_train, "_lr", lr)
    time.sleep(1.0)  # event files sort by their second of creation; a real resume comes later still
    train(spec, resume=run_dir, progress=False)
    steps = _scalar_steps(run_dir / "tensorboard")
    assert set(steps) == {"train/loss", "train/profit_per_period", "train/grad_norm", "train/lr"} | {
        "eval/profit_per_period",
        "eval/best_profit_per_period",
    }
    assert all(s == [1, 2, 3, 4, 5] for s in steps.values()), steps


@pytest.mark.slow
def test_resume_continues_from_the_last_checkpoint(tmp_path: Path) -> None:
    options = {**FAST, "eval_every": 1, "checkpoint_every": 1, "final_eval_paths": 8, "eval_periods": 30}
    spec = TrainSpec(
        agent="directbackprop",
        scenario="zipkin-lost-sales",
        timesteps=2 * 128 * 60,
        seed=1,
        scenario_overrides=("family.instance=p4-L1", "horizon=60"),
        options=options,
    )
    run_dir = train(spec, root=tmp_path, progress=False)
    first = torch.load(run_dir / "checkpoints" / "last.pt", weights_only=False)
    assert first["iteration"] == 2
    meta = json.loads((run_dir / "run.json").read_text())
    meta["config"]["timesteps"] = 4 * 128 * 60  # as if the run had been killed after 2 of 4 iterations
    (run_dir / "run.json").write_text(json.dumps(meta))
    train(spec, resume=run_dir, progress=False)
    last = torch.load(run_dir / "checkpoints" / "last.pt", weights_only=False)
    assert last["iteration"] == 4
    assert [h["iteration"] for h in last["history"]] == [1, 2, 3, 4]
    assert any(not torch.equal(first["state_dict"][k], last["state_dict"][k]) for k in first["state_dict"])


def test_the_observation_layout_is_a_nested_config_read_from_nested_flat_or_table_keys() -> None:
    nested = DirectBackpropConfig.from_options(
        {"observation.n_pipeline_buckets": 2, "observation.obs_quantiles": [0.25, 0.5, 0.75]}
    )
    assert nested.observation == ObservationConfig(n_pipeline_buckets=2, obs_quantiles=(0.25, 0.5, 0.75))
    # the flat spellings of older run folders' run.json, and a TOML inline table, give the same config
    assert DirectBackpropConfig.from_options(
        {"n_pipeline_buckets": 2, "n_forecast_buckets": 3}
    ).observation == (ObservationConfig(n_pipeline_buckets=2, n_forecast_buckets=3))
    table = DirectBackpropConfig.from_options({"observation": {"n_forecast_buckets": 3, "scale_floor": 2}})
    assert table.observation == ObservationConfig(n_forecast_buckets=3, scale_floor=2.0)
    assert DirectBackpropConfig().observation == ObservationConfig()
    cfg = DirectBackpropConfig.from_options({"hidden": [8, 4], "observation.n_forecast_buckets": 2})
    assert DirectBackpropConfig.from_options(json.loads(json.dumps(cfg.to_dict()))) == cfg
    with pytest.raises(InputError, match=r"unknown option agent.observation.n_buckets"):
        DirectBackpropConfig.from_options({"observation.n_buckets": 2})
    with pytest.raises(InputError, match=r"'observation.n_pipeline_buckets' must be an integer >= 1"):
        DirectBackpropConfig.from_options({"observation.n_pipeline_buckets": 2.5})
    with pytest.raises(InputError, match=r"agent.observation: observation.n_forecast_buckets must be >= 1"):
        DirectBackpropConfig.from_options({"n_forecast_buckets": 0})
    with pytest.raises(InputError, match=r"agent\.observation must be a table"):
        DirectBackpropConfig.from_options({"observation": 3})
