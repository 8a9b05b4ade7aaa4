"""SB3 callbacks of a training run: domain-KPI evaluation on held-out paths, and atomic checkpoints.

Layout they maintain inside the run folder::

    kpis.csv                 one row per evaluation (timesteps, then the eval/ KPIs)
    tb/                      TensorBoard event files (SB3's train/, rollout/, time/ and our eval/)
    checkpoints/
      step_<timesteps>.zip   periodic checkpoints (the newest ``keep`` are kept)
      replay_buffer.npz      off-policy algorithms: the replay buffer of the newest checkpoint (arrays)
      best.zip, best.json    the model with the best evaluation profit so far, and that evaluation
      state.json             the newest checkpoint, its timesteps, whether training finished

Every file is written atomically (a temporary file renamed into place), so a run killed at any moment
leaves a consistent folder that :func:`restock.agents.sb3.train.train` can resume.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.logger import Figure, Logger

from restock import io as rio
from restock.agents.sb3.evaluation import EvalView, Trace, kpis, model_rule, rollout
from restock.agents.sb3.figures import trajectories_figure
from restock.agents.sb3.models import save_replay_buffer
from restock.errors import InputError

CHECKPOINTS = "checkpoints"
STATE_FILE = "state.json"
BEST_MODEL = "best.zip"
BEST_FILE = "best.json"
REPLAY_FILE = "replay_buffer.npz"
"""The replay buffer of an off-policy run, as plain arrays
(:func:`~restock.agents.sb3.models.save_replay_buffer`)."""
KPI_FILE = "kpis.csv"
NOT_SCALAR = ("stdout", "log", "json", "csv")


def save_model(model: Any, path: Path) -> None:
    """``model.save`` into ``path`` atomically."""
    buf = io.BytesIO()
    model.save(buf)
    rio.write_bytes(path, buf.getvalue())


def read_state(run_dir: Path) -> dict[str, Any] | None:
    """The checkpoint state of a run folder, None if it has no checkpoint yet.

    The folder may come from a stranger: ``last`` must name a checkpoint file of this folder
    (``step_<12 digits>.zip``, no path), ``timesteps`` a whole number >= 0 and ``finished`` a bool."""
    file = run_dir / CHECKPOINTS / STATE_FILE
    if not file.is_file():
        return None
    try:
        state = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"{file}: not readable JSON ({exc})") from exc
    if not isinstance(state, dict):
        raise InputError(f"{file}: must be a table, got {state!r}")
    last = state.get("last")
    if not (isinstance(last, str) and re.fullmatch(r"step_\d{12}\.zip", last)):
        raise InputError(
            f"{file}: last must name a checkpoint step_<12 digits>.zip of the folder, got {last!r}"
        )
    steps = state.get("timesteps")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise InputError(f"{file}: timesteps must be a whole number >= 0, got {steps!r}")
    if not isinstance(state.get("finished", False), bool):
        raise InputError(f"{file}: finished must be true or false, got {state.get('finished')!r}")
    return dict(state)


def read_kpis(run_dir: Path, up_to: int | None = None) -> list[dict[str, float]]:
    """Rows of ``kpis.csv`` (those with timesteps <= ``up_to`` when given)."""
    file = run_dir / KPI_FILE
    if not file.is_file():
        return []
    rows = [{str(k): float(v) for k, v in r.items()} for r in pd.read_csv(file).to_dict("records")]
    return [r for r in rows if up_to is None or r["timesteps"] <= up_to]


def _due(num_timesteps: int, last: int, freq: int) -> bool:
    return num_timesteps // freq > last // freq


class KpiEvalCallback(BaseCallback):
    """Every ``eval_freq`` timesteps (checked between rollouts, i.e. after an update): held-out KPIs.

    The deterministic policy runs on the held-out paths beside the newsvendor (same paths).

    Logs ``eval/<kpi>`` scalars (see :func:`restock.agents.sb3.evaluation.kpis`), histograms
    ``eval/orders_cover`` and ``eval/inventory_cover`` (orders and on-hand at reviews, in review periods
    of forecast demand, so SKUs of every size share one axis), and the figure ``eval/trajectories``
    to SB3's output formats; appends a row to ``kpis.csv``; saves ``best.zip`` when the profit is the best
    so far; then calls ``on_evaluation(timesteps)``, if given. Also evaluates before the first update
    (timesteps 0) and at the end of training.

    The ``eval/`` values go out through a logger of their own on the model's output formats: dumping the
    model's logger would also write the ``train/`` values SB3 has recorded but not yet dumped, at this
    step, and SB3 writes them again at its next dump (two values of every ``train/`` tag per evaluation).
    """

    def __init__(
        self,
        view: EvalView,
        newsvendor: Trace,
        run_dir: Path,
        eval_freq: int,
        figure_skus: int = 3,
        rows: list[dict[str, float]] | None = None,
        best: float = -np.inf,
        on_evaluation: Callable[[int], None] | None = None,
    ) -> None:
        super().__init__()
        self.view = view
        self.newsvendor = newsvendor
        self.run_dir = run_dir
        self.eval_freq = eval_freq
        self.figure_skus = figure_skus
        self.rows: list[dict[str, float]] = list(rows or [])
        self.best = best
        self.on_evaluation = on_evaluation
        self.last_eval = int(self.rows[-1]["timesteps"]) if self.rows else -1
        self.last_kpis: dict[str, float] = {}
        self._out: Logger | None = None

    def _on_training_start(self) -> None:
        if self.last_eval < 0:
            self.evaluate()

    @property
    def out(self) -> Logger:
        """The logger of the ``eval/`` values: the model's output formats, its own pending values."""
        if self._out is None or self._out.output_formats is not self.logger.output_formats:
            self._out = Logger(self.logger.dir, self.logger.output_formats)
        return self._out

    def _on_rollout_start(self) -> None:
        if _due(self.num_timesteps, max(self.last_eval, 0), self.eval_freq):
            self.evaluate()

    def _on_step(self) -> bool:
        return True

    def _on_training_end(self) -> None:
        if self.last_eval != self.num_timesteps:
            self.evaluate()

    def evaluate(self) -> dict[str, float]:
        """Evaluate now, log, write ``kpis.csv`` and maybe ``best.zip``; returns the KPIs."""
        trace = rollout(self.view, model_rule(self.model, self.view.action_maps))
        values = kpis(trace, self.newsvendor)
        step = self.num_timesteps
        out = self.out
        for name, value in values.items():
            out.record(f"eval/{name}", value)
        cover = trace.scale[None, :]
        out.record("eval/orders_cover", (trace.orders / cover).ravel(), exclude=NOT_SCALAR)
        out.record("eval/inventory_cover", (trace.on_hand / cover).ravel(), exclude=NOT_SCALAR)
        if self.figure_skus > 0:
            fig = trajectories_figure(trace, self.figure_skus, title=f"held-out path 0, timesteps {step}")
            out.record("eval/trajectories", Figure(fig, close=False), exclude=NOT_SCALAR)
        out.dump(step)
        self.rows.append({"timesteps": float(step), **values})
        rio.write_frame(self.run_dir / KPI_FILE, pd.DataFrame(self.rows))
        if values["profit"] > self.best:
            self.best = values["profit"]
            save_model(self.model, self.run_dir / CHECKPOINTS / BEST_MODEL)
            rio.write_json(self.run_dir / CHECKPOINTS / BEST_FILE, {"timesteps": step, **values})
        self.last_eval = step
        self.last_kpis = values
        if self.on_evaluation is not None:
            self.on_evaluation(step)
        return values


class CheckpointCallback(BaseCallback):
    """Every ``save_freq`` timesteps (checked between rollouts) and at the end: a checkpoint, state.json.

    Off-policy models also save their replay buffer, so a resumed run continues with it.
    """

    def __init__(self, run_dir: Path, save_freq: int, keep: int = 3, save_replay: bool = False) -> None:
        super().__init__()
        self.dir = run_dir / CHECKPOINTS
        self.save_freq = save_freq
        self.keep = keep
        self.save_replay = save_replay
        self.last_save = -1

    def _on_training_start(self) -> None:
        self.last_save = self.num_timesteps

    def _on_rollout_start(self) -> None:
        if _due(self.num_timesteps, self.last_save, self.save_freq):
            self.save(finished=False)

    def _on_step(self) -> bool:
        return True

    def save(self, *, finished: bool) -> Path:
        """Write a checkpoint of the model now; ``finished`` marks the run complete."""
        step = self.num_timesteps
        path = self.dir / f"step_{step:012d}.zip"
        save_model(self.model, path)
        if self.save_replay:
            rio.write_bytes(self.dir / REPLAY_FILE, save_replay_buffer(self.model))
        rio.write_json(self.dir / STATE_FILE, {"last": path.name, "timesteps": step, "finished": finished})
        for old in sorted(self.dir.glob("step_*.zip"))[: -self.keep]:
            old.unlink(missing_ok=True)
        self.last_save = step
        return path
