"""`restock forecast train` / `predict`, run folders and checkpoints (round trip and refusals)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from restock.cli import main
from restock.data.panel import DemandPanel
from restock.errors import InputError
from restock.forecasters.mq import MQCNN, MQRNN, MQTransformer, load_checkpoint
from restock.seeding import generator


def _frame(weeks: int = 40, n: int = 12) -> pd.DataFrame:
    rng = generator(0, "test-mq-cli")
    dates = pd.date_range("2022-01-01", periods=weeks, freq="W-SAT")
    parts = []
    for i in range(n):
        parts.append(
            pd.DataFrame(
                {
                    "series_id": f"s{i}",
                    "date": dates,
                    "demand": rng.poisson(2 + i, weeks).astype(float),
                    "price": 1.0 + (np.arange(weeks) % 5 == 0),
                    "category": f"c{i % 2}",
                }
            )
        )
    return pd.concat(parts)


def _run(args: list[str]) -> int:
    try:
        main(args)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


TINY = ["context_length=8", "hidden_size=8", "cnn_channels=8", "global_hidden=16", "local_hidden=8"]


def test_train_writes_a_run_folder_and_predict_reads_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "demand.csv"
    _frame().to_csv(data, index=False)
    run = tmp_path / "run"
    params = [x for p in TINY for x in ("--param", p)]
    rc = _run(
        ["forecast", "train", "--data", f"long:{data}:W-SAT", "--model", "mqcnn", "--run-dir", str(run),
         "--epochs", "3", "--seed", "1", *params]
    )  # fmt: skip
    assert rc == 0, capsys.readouterr().err
    assert {"model.pt", "config.json", "history.csv", "tensorboard"} <= {p.name for p in run.iterdir()}
    history = pd.read_csv(run / "history.csv")
    assert len(history) == 3 and np.isfinite(history["val_loss"]).all()
    acc = EventAccumulator(str(run / "tensorboard"))
    acc.Reload()
    tags = set(acc.Tags()["scalars"])
    assert {"train/loss", "val/loss", "val/mean_wql", "val/wql_q0.50", "val/wql_q0.90"} <= tags
    assert len(acc.Scalars("train/loss")) == 3
    out = tmp_path / "forecast.parquet"
    rc = _run(["forecast", "predict", "--checkpoint", str(run / "model.pt"), "--data", f"long:{data}:W-SAT",
               "--out", str(out), "--horizon", "4"])  # fmt: skip
    assert rc == 0, capsys.readouterr().err
    table = pd.read_parquet(out)
    assert len(table) == 12 * 4 * 12 and set(table["horizon"]) == {1, 2, 3, 4}
    # a data set with another feature set is refused, as one line with exit code 2
    other = tmp_path / "other.csv"
    _frame().assign(promo=0.0).to_csv(other, index=False)
    capsys.readouterr()
    rc = _run(["forecast", "predict", "--checkpoint", str(run / "model.pt"), "--data", f"long:{other}:W-SAT",
               "--out", str(tmp_path / "x.csv")])  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("error: ") and "promo" in err and not (tmp_path / "x.csv").exists()


def _panel(with_promo: bool = False) -> DemandPanel:
    frame = _frame()
    static = frame.groupby("series_id")[["category"]].first()
    frame = frame.drop(columns="category")
    if with_promo:
        frame = frame.assign(promo=0.0)
    return DemandPanel.from_frame(frame, freq="W-SAT", static=static, source="demand.csv")


@pytest.mark.parametrize("cls", [MQRNN, MQTransformer])
def test_checkpoint_round_trip_gives_the_same_forecast(cls: type[MQCNN], tmp_path: Path) -> None:
    panel = _panel()
    model = cls(**cls.get_test_params()).fit(panel)
    path = model.save(tmp_path / "m.pt")
    again = cls.load(path, panel)
    a = model.predict(panel, panel.dates[-3])
    b = again.predict(panel, panel.dates[-3])
    assert np.array_equal(a.per_bucket, b.per_bucket) and np.array_equal(a.cumulative, b.cumulative)
    assert type(load_checkpoint(path)) is cls


def test_wrong_checkpoints_are_input_errors(tmp_path: Path) -> None:
    panel = _panel()
    path = MQCNN(**MQCNN.get_test_params()).fit(panel).save(tmp_path / "cnn.pt")
    with pytest.raises(InputError, match=r"cnn.pt: model is 'mqcnn', expected 'mqrnn'"):
        MQRNN.load(path)
    with pytest.raises(InputError, match=r"cnn.pt: trained on covariates \[\].*\['promo'\]"):
        MQCNN.load(path, _panel(with_promo=True))
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(InputError, match=r"junk\.pt: not a readable torch checkpoint"):
        load_checkpoint(junk)
    with pytest.raises(InputError, match="no such file"):
        load_checkpoint(tmp_path / "missing.pt")
