"""A battery of bad inputs across every ``restock`` command, and how each one is answered.

Each :class:`Case` is one command line that a user could type by mistake (a bad value, a file that is not
what it claims, a run folder from someone else, an output location that cannot be written) and the words
its error must hold: the key, file or column at fault and the offending value. :func:`run_case` runs it
in-process through the real entry point (:func:`restock.cli.main`, every command attached) and
:func:`classify` files the outcome as one of :data:`KINDS`:

* ``named``: exit code 2, one line ``error: ...`` on stderr holding every expected word, no traceback (lines
  of progress before it are allowed; the error is the last line);
* ``vague``: exit code 2 without a traceback, but the error is not one last line or misses a word;
* ``traceback``: an exception escaped the CLI (or another exit code with a traceback);
* ``hang``: still running after the time limit;
* ``accepted``: exit code 0: the bad input was taken as good.

``tests/test_bad_inputs.py`` asserts that every case is ``named``. Run as a script, it prints the counts
and every case that is not named::

    python tests/bad_inputs.py            # from the repository root

The cases read and write only a workspace folder (:func:`make_workspace`: tiny scenario and data files,
a PPO and a DirectBackprop run folder and damaged copies of them); ``{W}`` in a case's arguments stands
for it.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import signal
import sys
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

KINDS = ("named", "vague", "traceback", "hang", "accepted")
"""The outcomes of a case, best first."""
TIMEOUT_S = 30
"""Seconds a case may run before it counts as a hang."""

TINY = ("--set", "catalog.n_skus=2", "--set", "horizon=28")
"""Overrides that keep a scenario small (2 SKUs x 28 days)."""
TRAIN_TINY = (
    "--timesteps", "512", "--no-progress", "--set", "agent.n_envs=64", "--set", "agent.n_steps=8",
    "--set", "agent.torch_threads=1", "--set", "agent.figure_skus=0", "--set", "agent.eval_paths=1",
    "--set", "catalog.n_skus=2", "--set", "horizon=84",
)  # fmt: skip
"""A PPO run of a few seconds."""


@dataclass(frozen=True)
class Case:
    """One bad command line and the words its error must name."""

    id: str
    args: tuple[str, ...]
    """The command line after ``restock``; ``{W}`` is the workspace folder."""
    names: tuple[str, ...]
    """Words the one error line must hold (the key, file or column, and the value); ``{W}`` as above."""


@dataclass
class Outcome:
    """What one case did."""

    kind: str
    code: int | str
    stderr: str
    seconds: float
    error: str = ""
    """The escaped exception (a traceback's last line), if any."""


@dataclass
class _Cases:
    items: list[Case] = field(default_factory=list)

    def add(self, id_: str, args: tuple[str, ...] | list[str], *names: str) -> None:
        self.items.append(Case(id_, tuple(args), tuple(names)))


def _sets(*items: str) -> tuple[str, ...]:
    return tuple(a for item in items for a in ("--set", item))


# ----------------------------------------------------------------------------------------- the workspace
TINY_TOML = (
    'name = "tiny"\ndescription = "Two SKUs for a month."\nhorizon = 28\nreview_period = 7\nwarmup = 28\n'
    "[seeds]\nn_paths = 1\n[catalog]\nn_skus = 2\n"
    '[demand]\nkind = "stationary"\ndistribution = "negbin"\nmean_range = [1.0, 20.0]\ndispersion = 2.0\n'
    '[economics]\nprice_range = [5.0, 50.0]\nunit_cost = "0.6 * price"\n'
    '[[vendors]]\nname = "vendor"\nlead_time = { kind = "deterministic", value = 2 }\n'
    '[[nodes]]\nname = "store"\nsource = "vendor"\n'
)
"""A valid scenario file that the file cases damage one key at a time."""

LONG_CSV = "series_id,date,demand,price\n" + "".join(
    f"{s},2024-01-{d:02d},{(d * 7 + len(s)) % 5},2.5\n" for s in ("a", "b") for d in range(1, 29)
)
"""A valid long demand file (two series, 28 days) that the data cases damage one cell at a time."""


def _bad_csv(row: int, column: str, value: str) -> str:
    """:data:`LONG_CSV` with ``column`` of data row ``row`` (0-based, line ``row + 2``) set to ``value``."""
    lines = LONG_CSV.splitlines()
    header = lines[0].split(",")
    cells = lines[row + 1].split(",")
    cells[header.index(column)] = value
    lines[row + 1] = ",".join(cells)
    return "\n".join(lines) + "\n"


def _bad_in_stock(row: int, value: str) -> str:
    """:data:`LONG_CSV` with an ``in_stock`` column (1 everywhere) whose data row ``row`` is ``value``."""
    lines = LONG_CSV.splitlines()
    out = [lines[0] + ",in_stock"] + [
        line + (f",{value}" if i == row else ",1") for i, line in enumerate(lines[1:])
    ]
    return "\n".join(out) + "\n"


SCENARIO_FILES: dict[str, str] = {
    "neg-horizon.toml": TINY_TOML.replace("horizon = 28", "horizon = -3"),
    "huge-horizon.toml": TINY_TOML.replace("horizon = 28", "horizon = 2000000000"),
    "float-horizon.toml": TINY_TOML.replace("horizon = 28", "horizon = 28.5"),
    "inf-dispersion.toml": TINY_TOML.replace("dispersion = 2.0", "dispersion = inf"),
    "nan-dispersion.toml": TINY_TOML.replace("dispersion = 2.0", "dispersion = nan"),
    "low-dispersion.toml": TINY_TOML.replace("dispersion = 2.0", "dispersion = 0.5"),
    "unknown-key.toml": TINY_TOML.replace("warmup = 28", "warmup = 28\nhorizn = 5"),
    "unknown-section.toml": TINY_TOML + "[wat]\nx = 1\n",
    "bad-distribution.toml": TINY_TOML.replace('"negbin"', '"weibull"'),
    "bad-lead-time.toml": TINY_TOML.replace("value = 2 }", "value = 100000000 }"),
    "inf-lead-mean.toml": TINY_TOML.replace(
        '{ kind = "deterministic", value = 2 }', '{ kind = "shifted_poisson", shift = 2, mean = inf }'
    ),
    "bad-price.toml": TINY_TOML.replace("[5.0, 50.0]", "[50.0, 5.0]"),
    "string-n-skus.toml": TINY_TOML.replace("n_skus = 2", 'n_skus = "two"'),
    "huge-n-skus.toml": TINY_TOML.replace("n_skus = 2", "n_skus = 10000000000"),
    "bad-source.toml": TINY_TOML.replace('source = "vendor"', 'source = "nobody"'),
    "huge-shock.toml": TINY_TOML
    + '[[shocks]]\nkind = "demand_multiplier"\nstart = 5\nend = 7\nfactor = 1e300\n',
    "lead-shock.toml": TINY_TOML
    + '[[shocks]]\nkind = "lead_time_multiplier"\nstart = 5\nend = 7\nfactor = 1e12\n',
    "curve-shock.toml": TINY_TOML
    + '[[shocks]]\nkind = "demand_curve"\nstart = 5\nend = 7\ncurve = [1.0, 1e308, 1.0]\n',
    "no-name.toml": TINY_TOML.replace('name = "tiny"', 'name = ""'),
}
"""Scenario files, each with one bad key (the id names it)."""

DATA_FILES: dict[str, str] = {
    "inf-demand.csv": _bad_csv(3, "demand", "inf"),
    "huge-demand.csv": _bad_csv(4, "demand", "1e300"),
    "neg-demand.csv": _bad_csv(5, "demand", "-2"),
    "text-demand.csv": _bad_csv(6, "demand", "lots"),
    "minus-inf-demand.csv": _bad_csv(7, "demand", "-inf"),
    "inf-price.csv": _bad_csv(8, "price", "inf"),
    "zero-price.csv": _bad_csv(9, "price", "0"),
    "bad-date.csv": _bad_csv(10, "date", "2024-13-45"),
    "no-demand.csv": LONG_CSV.replace("series_id,date,demand,price", "series_id,date,sales,price"),
    "duplicate.csv": LONG_CSV + "a,2024-01-03,1,2.5\n",
    "gap.csv": "".join(line + "\n" for line in LONG_CSV.splitlines() if ",2024-01-10," not in line),
    "empty.csv": "",
    "inf-covariate.csv": "".join(
        line + (",promo" if i == 0 else ",inf" if i == 5 else ",0") + "\n"
        for i, line in enumerate(LONG_CSV.splitlines())
    ),
    "wide-inf.csv": "series,2024-01-01,2024-01-02,2024-01-03\nx,1,inf,2\ny,0,1,1\n",
    "range-in-stock.csv": _bad_in_stock(4, "2"),
    "text-in-stock.csv": _bad_in_stock(5, "yes"),
    "nan-in-stock.csv": _bad_in_stock(6, "nan"),
    "inf-in-stock.csv": _bad_in_stock(7, "inf"),
}
"""Demand files, each with one bad cell or shape."""

SNAPSHOT_FILES: dict[str, tuple[str, tuple[str, ...]]] = {
    "snap-unknown-sku.csv": ("sku,on_hand\na,1\nzzz,2\n", ("row 3", "'sku'", "zzz", "long.csv")),
    "snap-neg-on-hand.csv": ("sku,on_hand\na,-3\n", ("row 2", "'on_hand'", "-3")),
    "snap-nan-on-hand.csv": ("sku,on_hand\na,nan\n", ("row 2", "'on_hand'", "nan")),
    "snap-inf-price.csv": ("sku,on_hand,price\na,1,inf\n", ("row 2", "'price'", "inf")),
    "snap-inf-lead-time.csv": ("sku,on_hand,lead_time\na,1,inf\n", ("row 2", "'lead_time'", "inf")),
    "snap-half-lead-time.csv": ("sku,on_hand,lead_time\na,1,2.5\n", ("row 2", "'lead_time'", "2.5")),
    "snap-huge-lead-time.csv": ("sku,on_hand,lead_time\na,1,1e9\n", ("row 2", "'lead_time'", "1e+09")),
    "snap-far-order.csv": ('sku,on_hand,open_orders\na,1,"5@2999-01-01"\n', ("row 2", "open_orders",
                                                                            "2999-01-01")),
    "snap-past-order.csv": ('sku,on_hand,open_orders\na,1,"5@2024-01-20"\n', ("row 2", "'open_orders'",
                                                                              "2024-01-20", "2024-01-29")),
    "snap-bad-order.csv": ('sku,on_hand,open_orders\na,1,"five@2024-02-01"\n', ("row 2", "open_orders",
                                                                            "five")),
    "snap-order-date.csv": ('sku,on_hand,open_orders\na,1,"5@2024-02-31"\n', ("row 2", "open_orders",
                                                                              "2024-02-31")),
    "snap-duplicate.csv": ("sku,on_hand\na,1\nb,1\na,2\n", ("row 4", "duplicate", "'a'")),
    "snap-duplicate-node.csv": ("node,sku,on_hand\nx,a,1\nx,a,2\n", ("row 3", "duplicate", "'x'", "'a'")),
    "snap-no-on-hand.csv": ("sku,stock\na,1\n", ("on_hand",)),
    "snap-unknown-column.csv": ("sku,on_hand,onhand\na,1,1\n", ("onhand",)),
    "snap-blank-sku.csv": ("sku,on_hand\n,1\n", ("row 2", "'sku'", "blank")),
    "snap-text-on-hand.csv": ("sku,on_hand\na,lots\n", ("row 2", "'on_hand'", "lots")),
    "snap-huge-on-hand.csv": ("sku,on_hand\na,1e300\n", ("row 2", "'on_hand'", "1e300")),
    "snap-zero-price.csv": ("sku,on_hand,price\na,1,0\n", ("row 2", "'price'", "0")),
    "snap-empty.csv": ("", ()),
    "snap-header-only.csv": ("sku,on_hand\n", ("no rows",)),
}  # fmt: skip
"""Stock snapshots of ``restock recommend`` (history: :data:`LONG_CSV`, so today is 2024-01-29), each with
one bad cell or shape, and the words (besides the file's name) its error must hold."""


def make_workspace(root: Path) -> Path:
    """Write the files the cases read into ``root``, a PPO and a DirectBackprop run folder and damaged
    copies of them; ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "tiny.toml").write_text(TINY_TOML, encoding="utf-8")
    for name, text in {**SCENARIO_FILES, **DATA_FILES, **TUNE_FILES}.items():
        (root / name).write_text(text, encoding="utf-8")
    for name, (text, _) in SNAPSHOT_FILES.items():
        (root / name).write_text(text, encoding="utf-8")
    (root / "snapshot.csv").write_text("sku,on_hand\na,1\nb,2\n", encoding="utf-8")
    (root / "long.csv").write_text(LONG_CSV, encoding="utf-8")
    (root / "binary.toml").write_bytes(bytes(range(256)) * 8)
    (root / "latin1.toml").write_bytes(TINY_TOML.replace("Two SKUs", "Deux SKUs à").encode("latin-1"))
    (root / "not-toml.toml").write_text("horizon = = 3\n", encoding="utf-8")
    (root / "binary.csv").write_bytes(b"\x00\xff\xfe" * 100)
    (root / "a-file").write_text("not a folder\n", encoding="utf-8")
    (root / "plain-folder").mkdir(exist_ok=True)
    (root / "folder.csv").mkdir(exist_ok=True)
    (root / "garbage.pt").write_bytes(b"not a checkpoint")
    _fake_run(root, "ppo")
    _fake_run(root, "directbackprop")
    _damage(root)
    return root


def _fake_run(root: Path, agent: str) -> None:
    """A finished training run folder of ``agent`` laid out as the trainers leave it: ``run.json`` from
    :func:`restock.runs.create_run`, the checkpoint files and (SB3) their ``state.json``. The checkpoints
    are stand-ins (an archive with SB3's ``data`` entry, a torch file): no case loads a good one, and
    training two real runs took longer than all the cases together."""
    import zipfile

    import torch

    from restock import runs
    from restock.agents.training import TrainSpec

    spec = TrainSpec(agent, "steady", 512, scenario_overrides=("catalog.n_skus=2", "horizon=84"))
    run = runs.create_run(
        kind="train", scenario="steady", agent=agent, seed=0, config=spec, run_dir=root / agent
    )
    ck = run / "checkpoints"
    ck.mkdir()
    if agent == "directbackprop":
        for name in ("best.pt", "last.pt"):
            torch.save({"state_dict": {"w": torch.zeros(4, 4)}, "iteration": 1}, ck / name)
        return
    with zipfile.ZipFile(ck / "best.zip", "w") as archive:
        archive.writestr("data", json.dumps({"policy_class": "MlpPolicy"}) + " " * 4096)
        archive.writestr("policy.pth", b"\0" * 4096)
    shutil.copyfile(ck / "best.zip", ck / "step_000000000512.zip")
    state = {"last": "step_000000000512.zip", "timesteps": 512, "finished": True}
    (ck / "state.json").write_text(json.dumps(state), encoding="utf-8")


def _copy(root: Path, src: str, dst: str) -> Path:
    shutil.copytree(root / src, root / dst, dirs_exist_ok=True)
    return root / dst


def _damage(root: Path) -> None:
    ck = "checkpoints"
    state = json.loads((root / "ppo" / ck / "state.json").read_text())
    _copy(root, "ppo", "ppo-bad-state")
    (root / "ppo-bad-state" / ck / "state.json").write_text("{not json", encoding="utf-8")
    _copy(root, "ppo", "ppo-escape")
    (root / "ppo-escape" / ck / "state.json").write_text(
        json.dumps({**state, "last": "../../../../../etc/passwd", "finished": False}), encoding="utf-8"
    )
    _copy(root, "ppo", "ppo-unfinished")
    (root / "ppo-unfinished" / ck / "state.json").write_text(
        json.dumps({**state, "finished": False}), encoding="utf-8"
    )
    best = root / "ppo" / ck / "best.zip"
    _copy(root, "ppo", "ppo-truncated")
    (root / "ppo-truncated" / ck / "best.zip").write_bytes(best.read_bytes()[: best.stat().st_size // 2])
    _copy(root, "ppo", "ppo-bad-runjson")
    (root / "ppo-bad-runjson" / "run.json").write_text("{", encoding="utf-8")
    _copy(root, "ppo", "ppo-no-kind")
    (root / "ppo-no-kind" / "run.json").write_text('{"scenario": "steady"}', encoding="utf-8")
    _copy(root, "ppo", "ppo-binary-runjson")
    (root / "ppo-binary-runjson" / "run.json").write_bytes(b"\xff\xfe\x00garbage")
    _copy(root, "ppo", "ppo-bad-seed")
    meta = json.loads((root / "ppo" / "run.json").read_text())
    meta["config"]["seed"] = -1
    (root / "ppo-bad-seed" / "run.json").write_text(json.dumps(meta), encoding="utf-8")
    pt = root / "directbackprop" / ck / "best.pt"
    _copy(root, "directbackprop", "dbp-truncated")
    (root / "dbp-truncated" / ck / "best.pt").write_bytes(pt.read_bytes()[: pt.stat().st_size // 2])
    _copy(root, "directbackprop", "dbp-garbage")
    (root / "dbp-garbage" / ck / "best.pt").write_bytes(b"\x80\x04garbage")


# ------------------------------------------------------------------------------------------ the cases
def cases() -> list[Case]:
    """Every case of the battery (ids unique)."""
    c = _Cases()
    _scenario_cases(c)
    _scenario_file_cases(c)
    _simulate_cases(c)
    _evaluate_cases(c)
    _replay_cases(c)
    _train_cases(c)
    _tune_cases(c)
    _report_cases(c)
    _data_cases(c)
    _forecast_cases(c)
    _oracle_cases(c)
    _bench_demo_cases(c)
    _recommend_cases(c)
    _accuracy_cases(c)
    _usage_cases(c)
    ids = [x.id for x in c.items]
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]
    return c.items


BAD_SETS: tuple[str, ...] = (
    "horizon=0",
    "horizon=-3",
    "horizon=2000000000",
    "horizon=1.5",
    "horizon=abc",
    "review_period=0",
    "review_offset=9",
    "warmup=-1",
    "periods_per_year=0",
    "catalog.n_skus=0",
    "catalog.n_skus=10000000000",
    "demand.mean_range=[-1.0, 2.0]",
    "demand.mean_range=[1.0, inf]",
    "demand.mean_range=[1.0, 1e12]",
    "demand.dispersion=inf",
    "demand.dispersion=nan",
    "demand.dispersion=0.5",
    "demand.dispersion=1e300",
    "demand.distribution=weibull",
    "vendors.0.lead_time.mean=inf",
    "vendors.0.lead_time.mean=-1.0",
    "vendors.0.lead_time.mean=1e8",
    "vendors.0.lead_time.shift=-2",
    "vendors.0.lead_time.kind=random",
    "vendors.0.fill_rate.concentration=inf",
    "vendors.0.fill_rate.mean=1.5",
    "vendors.0.fill_rate.mean=nan",
    "economics.price_range=[5.0, inf]",
    "economics.price_range=[5.0, 1e12]",
    "economics.discount=0",
    "economics.discount=1.5",
    "economics.unit_cost=cheap",
    "catalog.default_elasticity=-inf",
    "catalog.default_elasticity=1.0",
    "catalog.default_elasticity=-100.0",
    "nodes.0.demand_share=inf",
    "nodes.0.initial_cover=-1.0",
    "nodes.0.initial_cover=1e9",
    "nodes.0.source=nobody",
    "forecast.quantiles=[0.9, 0.1]",
    "forecast.quantiles=[0.1, 1.5]",
    "forecast.model=crystal-ball",
    "forecast.buckets=0",
    "forecast.history=stock",
    "forecast.history=sales",
    "forecast.history_cover=5.0",
    "seeds.n_paths=0",
    "seeds.n_paths=1000000",
    "seeds.root=-1",
    "ordering.case_pack=0",
    "ordering.minimum_order=inf",
    "nodes.0.storage_volume=-5.0",
    "nodes.0.inbound_capacity=[5.0, 6.0]",
    "nodes.0.inbound_capacity=nan",
    "catalog.unit_volume=-1.0",
    "catalog.unit_volume=inf",
    "catalog.unit_volume=1e300",
    "catalog.unit_volume_range=[1.0, 1e300]",
    "nodes.0.storage_volume=[1.0, nan]",
    "catalog.unit_volume_range=[2.0, 1.0]",
    'shocks=[{kind="storage_cut",start=5,end=7,node="store",factor=0.5}]',
    'shocks=[{kind="demand_multiplier",start=5,end=7,factor=1e300}]',
    'shocks=[{kind="demand_multiplier",start=5,end=7,factor=1e7}]',
    'shocks=[{kind="lead_time_multiplier",start=5,end=7,factor=1e12}]',
    'shocks=[{kind="demand_curve",start=5,end=7,curve=[1.0,1e308,1.0]}]',
    'shocks=[{kind="price_change",start=5,end=7,factor=1e9}]',
    'shocks=[{kind="demand_multiplier",start=9,end=3,factor=2.0}]',
    'shocks=[{kind="earthquake",start=5,end=7,factor=2.0}]',
)
"""``--set`` items, each refused for its value; the error must name the override."""

BAD_KEYS: tuple[tuple[str, str], ...] = (
    ("nope=1", "nope"),
    ("catalog.nope=1", "catalog.nope"),
    ("horizon", "horizon"),
    ("=5", "=5"),
    ("shocks.5.factor=2", "shocks.5"),
    ("vendors.3.lead_time.value=2", "vendors.3"),
)
"""``--set`` items with a key that is not there, and the word the error must hold."""


def _override_names(item: str) -> tuple[str, ...]:
    """What an error about ``--set item`` must hold: the override as typed."""
    return ("--set", item)


def _scenario_cases(c: _Cases) -> None:
    for i, item in enumerate(BAD_SETS):
        c.add(f"validate-set-{i}-{item[:40]}", ["scenarios", "validate", "steady", "--set", item],
              *_override_names(item))  # fmt: skip
    # the same values through the other commands that load a scenario
    for i, item in enumerate(BAD_SETS[::4]):
        names = _override_names(item)
        c.add(f"show-set-{i}", ["scenarios", "show", "steady", "--set", item], *names)
        c.add(f"simulate-set-{i}", ["simulate", "--scenario", "steady", *TINY, "--set", item], *names)
        c.add(f"evaluate-set-{i}", ["evaluate", "--scenario", "steady", *TINY, "--set", item,
                                    "--policies", "newsvendor", "--seeds", "1"], *names)  # fmt: skip
        c.add(f"replay-set-{i}", ["replay", "steady", *TINY, "--set", item, "--seeds", "1",
                                  "--policies", "newsvendor", "--root", "{W}/replays"], *names)  # fmt: skip
        c.add(f"train-set-{i}", ["train", "--agent", "ppo", "--scenario", "steady", *TRAIN_TINY,
                                 "--set", item, "--root", "{W}/runs"], *names)  # fmt: skip
    for item, word in BAD_KEYS:
        c.add(f"validate-key-{item}", ["scenarios", "validate", "steady", "--set", item], "--set", word)
        c.add(f"simulate-key-{item}", ["simulate", "--scenario", "steady", "--set", item], "--set", word)
    c.add("show-unknown", ["scenarios", "show", "no-such-scenario"], "no-such-scenario")
    c.add("validate-unknown", ["scenarios", "validate", "no-such-scenario"], "no-such-scenario")


SCENARIO_FILE_NAMES: dict[str, tuple[str, ...]] = {
    "neg-horizon.toml": ("horizon", "-3"),
    "huge-horizon.toml": ("horizon", "2000000000"),
    "float-horizon.toml": ("horizon", "28.5"),
    "inf-dispersion.toml": ("demand.dispersion", "inf"),
    "nan-dispersion.toml": ("demand.dispersion", "nan"),
    "low-dispersion.toml": ("demand.dispersion", "0.5"),
    "unknown-key.toml": ("horizn",),
    "unknown-section.toml": ("wat",),
    "bad-distribution.toml": ("demand.distribution", "weibull"),
    "bad-lead-time.toml": ("vendors.0.lead_time.value", "100000000"),
    "inf-lead-mean.toml": ("vendors.0.lead_time.mean", "inf"),
    "bad-price.toml": ("economics.price_range", "50.0"),
    "string-n-skus.toml": ("catalog.n_skus", "two"),
    "huge-n-skus.toml": ("catalog.n_skus", "10000000000"),
    "bad-source.toml": ("nodes.0.source", "nobody"),
    "huge-shock.toml": ("shocks.0.factor", "1e+300"),
    "lead-shock.toml": ("shocks.0.factor", "1000000000000"),
    "curve-shock.toml": ("shocks.0.curve", "1e+308"),
    "no-name.toml": ("name",),
    "binary.toml": ("binary.toml", "UTF-8"),
    "latin1.toml": ("latin1.toml", "UTF-8"),
    "not-toml.toml": ("not-toml.toml", "TOML"),
}
"""Scenario file -> the words its error must hold (besides the file's name)."""


def _scenario_file_cases(c: _Cases) -> None:
    for name, words in SCENARIO_FILE_NAMES.items():
        f = "{W}/" + name
        c.add(f"file-validate-{name}", ["scenarios", "validate", f], name, *words)
    for name in ("huge-shock.toml", "binary.toml", "latin1.toml", "inf-lead-mean.toml", "huge-horizon.toml"):
        f = "{W}/" + name
        words = SCENARIO_FILE_NAMES[name]
        c.add(f"file-simulate-{name}", ["simulate", "--scenario", f], name, *words)
        c.add(f"file-evaluate-{name}", ["evaluate", "--scenario", f, "--seeds", "1"], name, *words)
        c.add(f"file-replay-{name}", ["replay", f, "--seeds", "1", "--root", "{W}/replays"], name, *words)
        c.add(f"file-train-{name}", ["train", "--agent", "directbackprop", "--scenario", f,
                                     "--timesteps", "100", "--root", "{W}/runs"], name, *words)  # fmt: skip
    c.add("file-validate-folder", ["scenarios", "validate", "{W}/plain-folder"], "plain-folder")
    c.add("file-validate-missing", ["scenarios", "validate", "{W}/missing.toml"], "missing.toml")


def _simulate_cases(c: _Cases) -> None:
    sim = ("simulate", "--scenario", "steady", *TINY)
    for policy, words in (
        ("base-stock:S=1e308", ("S", "1e308")),
        ("base-stock:S=inf", ("S", "inf")),
        ("base-stock:S=nan", ("S", "nan")),
        ("base-stock:S=-1", ("S", "-1")),
        ("base-stock:S=lots", ("S", "lots")),
        ("constant:Q=1e300", ("Q", "1e300")),
        ("constant:Q=-inf", ("Q", "-inf")),
        ("base-stock:Q=5", ("base-stock:Q=5",)),
        ("reorder:S=5", ("reorder",)),
        ("base-stock", ("base-stock",)),
        ("newsvendor:tau=0.9", ("newsvendor", "no parameter")),
    ):
        c.add(f"simulate-policy-{policy}", [*sim, "--policy", policy], "--policy", *words)
    c.add("simulate-engine", [*sim, "--engine", "gpu"], "--engine", "gpu")
    c.add("simulate-compile", [*sim, "--engine", "batch", "--compile", "fast"], "--compile", "fast")
    c.add("simulate-compile-des", [*sim, "--engine", "des", "--compile", "on"], "--compile", "des")
    for paths in ("0", "-1", "1000000"):
        c.add(f"simulate-paths-{paths}", [*sim, "--paths", paths], "--paths", paths)
    c.add("simulate-seed", [*sim, "--seed", "-1"], "--seed", "-1")
    c.add("simulate-json-inf", [*sim, "--json", "--policy", "base-stock:S=1e308"], "S", "1e308")


def _evaluate_cases(c: _Cases) -> None:
    ev = ("evaluate", "--scenario", "steady", *TINY, "--seeds", "1")
    for policies, words in (
        ("", ("--policies",)),
        ("newsvendor,,myopic", ("--policies",)),
        ("wat", ("wat",)),
        ("newsvendor,newsvendor", ("newsvendor", "twice")),
        ("s-S:s=inf:S=5", ("s-S:s=inf:S=5", "inf")),
        ("s-S:s=5:S=1e308", ("s-S:s=5:S=1e308", "1e308")),
        ("s-S:s=9:S=5", ("s-S:s=9:S=5",)),
        ("s-S:s=-3:S=5", ("s-S:s=-3:S=5", "-3")),
        ("s-S:s=x:S=5", ("s-S:s=x:S=5", "x")),
        ("runs/does-not-exist", ("runs/does-not-exist",)),
        ("{W}/plain-folder/", ("plain-folder",)),
        ("base-stock:S=-4", ("base-stock:S=-4", "-4")),
        ("base-stock:S=nan", ("base-stock:S=nan", "nan")),
        ("base-stock:Q=5", ("base-stock:Q=5", "Q=5")),
        ("base-stock:S=1e308", ("base-stock:S=1e308", "1e308")),
    ):
        c.add(f"evaluate-policies-{policies or 'empty'}", [*ev, "--policies", policies], *words)
    c.add("evaluate-shard-skus-0", [*ev, "--shard-skus", "0"], "--shard-skus", "0")
    c.add("evaluate-workers-without-shards", [*ev, "--workers", "2"], "--workers", "--shard-skus")
    c.add("evaluate-shards-of-shared-capacity", ["evaluate", "--scenario", "capacitated-catalog", "--seeds",
          "1", "--shard-skus", "10"], "catalog.shard", "inbound_capacity")  # fmt: skip
    c.add("evaluate-shard-out-of-range", [*ev, "--set", "catalog.shard=[0, 99]"], "catalog.shard", "99")
    for run, words in (
        ("ppo-bad-state", ("state.json",)),
        ("ppo-escape", ("state.json", "last", "etc/passwd")),
        ("ppo-truncated", ("best.zip",)),
        ("ppo-bad-runjson", ("run.json",)),
        ("ppo-no-kind", ("run.json", "kind")),
        ("ppo-binary-runjson", ("run.json", "UTF-8")),
        ("dbp-truncated", ("best.pt",)),
        ("dbp-garbage", ("best.pt",)),
    ):
        c.add(f"evaluate-run-{run}", [*ev, "--policies", f"newsvendor,{{W}}/{run}"], run, *words)
    c.add("evaluate-seeds-0", ["evaluate", "--scenario", "steady", *TINY, "--seeds", "0"], "--seeds", "0")
    c.add("evaluate-seeds-neg", ["evaluate", "--scenario", "steady", *TINY, "--seeds", "-2"], "--seeds", "-2")
    c.add("evaluate-engine", [*ev, "--engine", "gpu"], "--engine", "gpu")
    c.add("evaluate-compile", [*ev, "--engine", "batch", "--compile", "1"], "--compile", "'1'")
    c.add("evaluate-paths", [*ev, "--paths", "0"], "--paths", "0")
    c.add("evaluate-train-seed", [*ev, "--policies", "base-stock", "--train-seed", "-1"], "seed", "-1")
    c.add("evaluate-train-set", [*ev, "--policies", "base-stock", "--train-set", "horizon=-1"],
          "horizon=-1")  # fmt: skip


def _replay_cases(c: _Cases) -> None:
    rp = ("replay", "steady", *TINY, "--seeds", "1", "--policies", "newsvendor")
    c.add("replay-run-dir-file", [*rp, "--run-dir", "{W}/a-file"], "--run-dir", "a-file")
    c.add("replay-run-dir-under-file", [*rp, "--run-dir", "{W}/a-file/sub"], "--run-dir", "a-file/sub")
    c.add("replay-root-file", [*rp, "--root", "{W}/a-file"], "--root", "a-file")
    c.add("replay-run-dir-run", [*rp, "--run-dir", "{W}/ppo"], "ppo", "already holds a run")
    c.add("replay-seeds-0", ["replay", "steady", *TINY, "--seeds", "0", "--root", "{W}/replays"],
          "--seeds", "0")  # fmt: skip
    c.add("replay-engine", [*rp, "--engine", "gpu", "--root", "{W}/replays"], "--engine", "gpu")
    c.add("replay-policies", ["replay", "steady", *TINY, "--policies", "wat", "--root", "{W}/replays"], "wat")
    c.add("replay-bad-run", [*rp, "--policies", "{W}/ppo-truncated", "--root", "{W}/replays"], "best.zip")
    c.add("replay-scenario", ["replay", "no-such-scenario", "--root", "{W}/replays"], "no-such-scenario")


def _train_cases(c: _Cases) -> None:
    tr = ("train", "--agent", "ppo", "--scenario", "steady", *TRAIN_TINY)
    root = ("--root", "{W}/runs")
    c.add("train-agent", ["train", "--agent", "dqn", "--scenario", "steady", "--timesteps", "10"], "dqn")
    c.add("train-no-timesteps", ["train", "--agent", "ppo", "--scenario", "steady"], "--timesteps")
    c.add("train-timesteps-0", ["train", "--agent", "ppo", "--scenario", "steady", "--timesteps", "0"],
          "timesteps", "0")  # fmt: skip
    c.add("train-timesteps-neg", ["train", "--agent", "ppo", "--scenario", "steady", "--timesteps", "-5"],
          "timesteps", "-5")  # fmt: skip
    c.add("train-seed-neg", [*tr, "--seed", "-1", "--run-dir", "{W}/seed-neg"], "--seed", "-1")
    c.add("train-seed-huge", [*tr, "--seed", str(2**40), "--run-dir", "{W}/seed-huge"], "--seed", str(2**40))
    c.add("train-device", [*tr, "--device", "gpu0", *root], "device", "gpu0")
    c.add("train-device-cuda", [*tr, "--device", "cuda:7", *root], "cuda:7")
    for opt, words in (
        ("agent.lr=1", ("agent.lr",)),
        ("agent.gamma=2.0", ("agent.gamma", "2.0")),
        ("agent.gamma=inf", ("agent.gamma", "inf")),
        ("agent.n_envs=0", ("agent.n_envs", "0")),
        ("agent.learning_rate=-1.0", ("agent.learning_rate", "-1.0")),
        ("agent.learning_rate=nan", ("agent.learning_rate", "nan")),
        ("agent.eval_paths=0", ("agent.eval_paths", "0")),
        ("agent.action.mode=wat", ("agent.action",)),
    ):
        c.add(f"train-option-{opt}", [*tr, "--set", opt, *root], *words)
    dbp = ("train", "--agent", "directbackprop", "--scenario", "steady", "--timesteps", "100", *TINY, *root)
    for opt, words in (
        ("agent.no_such_option=1", ("no_such_option",)),
        ("agent.lr=-1.0", ("lr", "-1.0")),
        ("agent.lr=inf", ("lr", "inf")),
        ("agent.hidden=[0]", ("hidden", "0")),
        ("agent.n_paths=0", ("n_paths", "0")),
        ("agent.expedite_start=sometimes", ("expedite_start", "sometimes")),
        ("agent.expedite_start=1", ("expedite_start", "1")),
    ):
        c.add(f"train-dbp-option-{opt}", [*dbp, "--set", opt], *words)
    c.add("train-run-dir-file", [*tr, "--run-dir", "{W}/a-file"], "--run-dir", "a-file")
    c.add("train-run-dir-under-file", [*tr, "--run-dir", "{W}/a-file/sub"], "--run-dir", "a-file/sub")
    c.add("train-root-file", [*tr, "--root", "{W}/a-file"], "--root", "a-file")
    c.add("train-run-dir-run", [*tr, "--run-dir", "{W}/ppo"], "ppo", "already holds a run")
    for run, words in (
        ("missing-run", ("missing-run",)),
        ("a-file", ("a-file",)),
        ("plain-folder", ("plain-folder", "run.json")),
        ("ppo", ("ppo", "finished")),
        ("ppo-bad-state", ("state.json",)),
        ("ppo-escape", ("state.json", "etc/passwd")),
        ("ppo-bad-runjson", ("run.json",)),
        ("ppo-binary-runjson", ("run.json", "UTF-8")),
        ("ppo-bad-seed", ("seed", "-1")),
    ):
        c.add(f"train-resume-{run}", ["train", "--resume", f"{{W}}/{run}"], *words)
    c.add("train-resume-and-agent", ["train", "--resume", "{W}/ppo", "--agent", "ppo"], "--agent")
    c.add("train-resume-and-device", ["train", "--resume", "{W}/ppo", "--device", "cpu"], "--device")


TUNE_SET = '["catalog.n_skus=2", "horizon=28", "agent.n_paths=4"]'
TUNE_FILES: dict[str, str] = {
    "space-unknown.toml": 'timesteps = 100\nwat = 1\n[space]\n"agent.lr" = {choice = [0.01]}\n',
    "space-empty.toml": "timesteps = 100\n[space]\n",
    "space-option.toml": 'timesteps = 100\n[space]\n"agent.no_such" = {choice = [1]}\n',
    "space-value.toml": 'timesteps = 100\n[space]\n"agent.lr" = {uniform = [-1.0, 0.1]}\n',
    "space-log.toml": 'timesteps = 100\n[space]\n"agent.lr" = {loguniform = [0.0, 0.1]}\n',
    "space-nan.toml": 'timesteps = 100\n[space]\n"agent.lr" = {uniform = [nan, 0.1]}\n',
    "space-dist.toml": 'timesteps = 100\n[space]\n"agent.lr" = {normal = [0.0, 1.0]}\n',
    "space-path.toml": 'timesteps = 100\n[space]\n"scenario.horizon" = {choice = [28]}\n',
    "space-budget.toml": '[space]\n"agent.lr" = {choice = [0.01]}\n',
    "space-grace.toml": 'timesteps = 100\ngrace = 100\n[space]\n"agent.lr" = {choice = [0.01]}\n',
    "space-trial.toml": (
        f"timesteps = 100\nset = {TUNE_SET}\n[space]\n"
        '"agent.rollout_periods" = {choice = [100, 10]}\n"agent.burn_in" = {choice = [0, 50]}\n'
    ),
    "space-blame.toml": (
        'timesteps = 100\n[space]\n"agent.hidden" = {choice = [[8]]}\n"agent.lr" = {choice = [-1.0]}\n'
    ),
    "space-final-seeds.toml": (
        'timesteps = 100\nfinal_seeds = 2000000\n[space]\n"agent.lr" = {choice = [0.01]}\n'
    ),
    "space-eval-seeds.toml": 'timesteps = 100\neval_seeds = 0\n[space]\n"agent.lr" = {choice = [0.01]}\n',
    "space-factor.toml": 'timesteps = 100\nreduction_factor = 1.0\n[space]\n"agent.lr" = {choice = [0.01]}\n',
    "space-good.toml": f'timesteps = 100\nset = {TUNE_SET}\n[space]\n"agent.lr" = {{choice = [0.01]}}\n',
    "config-unknown.toml": '[train]\nagent = "ppo"\nscenario = "steady"\ntimesteps = 10\nwat = 1\n',
    "config-no-train.toml": "[agent]\nlr = 0.1\n",
    "config-option.toml": (
        '[train]\nagent = "directbackprop"\nscenario = "steady"\ntimesteps = 10\n[agent]\nlr = -1.0\n'
    ),
}
"""Space files of ``restock tune`` and training config files of ``restock train --config``, each bad."""


def _tune_cases(c: _Cases) -> None:
    tune = ("tune", "--agent", "directbackprop", "--scenario", "steady", "--trials", "8")
    out = ("--out", "{W}/tune-out")
    for name, words in (
        ("space-unknown", ("space-unknown.toml", "wat")),
        ("space-empty", ("space-empty.toml", "space", "empty")),
        ("space-option", ("space-option.toml", "agent.no_such")),
        ("space-value", ("space-value.toml", "space.agent.lr", "-1.0")),
        ("space-log", ("space-log.toml", "space.agent.lr", "0.0")),
        ("space-nan", ("space-nan.toml", "space.agent.lr", "nan")),
        ("space-dist", ("space-dist.toml", "space.agent.lr", "normal")),
        ("space-path", ("space-path.toml", "scenario.horizon")),
        ("space-budget", ("space-budget.toml", "--timesteps")),
        ("space-grace", ("space-grace.toml", "grace", "100")),
        ("space-trial", ("space-trial.toml", "trial t0", "burn_in", "50")),
        ("space-blame", ("space-blame.toml", "space.agent.lr", "-1.0")),
        ("space-final-seeds", ("space-final-seeds.toml", "final_seeds", "2000000")),
        ("space-eval-seeds", ("space-eval-seeds.toml", "eval_seeds", "0")),
        ("space-factor", ("space-factor.toml", "reduction_factor", "1.0")),
        ("space-missing", ("space-missing.toml",)),
    ):
        c.add(f"tune-{name}", [*tune, "--space", f"{{W}}/{name}.toml", *out], *words)
    good = (*tune, "--space", "{W}/space-good.toml")
    c.add("tune-address", [*good, *out, "--address", "127.0.0.1:9"], "--address", "127.0.0.1:9")
    c.add("tune-agent", ["tune", "--agent", "sac", "--scenario", "steady", "--space", "{W}/space-good.toml"],
          "--agent", "sac")  # fmt: skip
    c.add("tune-trials", [*good, "--trials", "0", *out], "--trials", "0")
    c.add("tune-timesteps", [*good, "--timesteps", "0", *out], "--timesteps", "0")
    c.add("tune-device", [*good, "--device", "cuda:1", *out], "--device", "cuda:1")
    c.add("tune-scenario", [*good, "--set", "horizon=0", *out], "horizon", "0")
    c.add("tune-out-run", [*good, "--out", "{W}/ppo"], "{W}/ppo", "not empty")
    for name, words in (
        ("config-unknown", ("config-unknown.toml", "train.wat")),
        ("config-no-train", ("config-no-train.toml", "train")),
        ("config-option", ("config-option.toml", "lr", "-1.0")),
        ("config-missing", ("config-missing.toml",)),
    ):
        c.add(f"train-{name}", ["train", "--config", f"{{W}}/{name}.toml", "--root", "{W}/runs"], *words)


def _report_cases(c: _Cases) -> None:
    for run, words in (
        ("missing-run", ("missing-run",)),
        ("a-file", ("a-file",)),
        ("plain-folder", ("plain-folder", "run.json")),
        ("ppo-bad-runjson", ("run.json",)),
        ("ppo-binary-runjson", ("run.json", "UTF-8")),
    ):
        c.add(f"report-{run}", ["report", f"{{W}}/{run}"], *words)


DATA_FILE_NAMES: dict[str, tuple[str, ...]] = {
    "inf-demand.csv": ("demand", "inf", "row 5"),
    "huge-demand.csv": ("demand", "1e+300", "row 6"),
    "neg-demand.csv": ("demand", "-2", "row 7"),
    "text-demand.csv": ("demand", "lots", "row 8"),
    "minus-inf-demand.csv": ("demand", "-inf", "row 9"),
    "inf-price.csv": ("price", "inf", "row 10"),
    "zero-price.csv": ("price", "0", "row 11"),
    "bad-date.csv": ("date", "2024-13-45", "row 12"),
    "no-demand.csv": ("demand",),
    "duplicate.csv": ("duplicate", "2024-01-03"),
    "gap.csv": ("gap", "2024-01-10"),
    "empty.csv": ("empty.csv",),
    "inf-covariate.csv": ("promo", "inf", "row 6"),
    "wide-inf.csv": ("inf", "2024-01-02", "line 2"),
    "range-in-stock.csv": ("in_stock", "2", "row 6"),
    "text-in-stock.csv": ("in_stock", "yes", "row 7"),
    "nan-in-stock.csv": ("in_stock", "nan", "row 8"),
    "inf-in-stock.csv": ("in_stock", "inf", "row 9"),
    "binary.csv": ("binary.csv",),
}
"""Data file -> the words its error must hold (besides the file's name)."""


def _data_cases(c: _Cases) -> None:
    for name, words in DATA_FILE_NAMES.items():
        kind = "wide" if name.startswith("wide") else "long"
        spec = f"{kind}:{{W}}/{name}"
        c.add(f"profile-{name}", ["data", "profile", "--data", spec], name, *words)
        c.add(f"export-{name}", ["data", "export", "{W}/out.csv", "--data", spec], name, *words)
    for name in ("inf-demand.csv", "huge-demand.csv", "inf-price.csv", "text-demand.csv"):
        spec = f"long:{{W}}/{name}"
        words = DATA_FILE_NAMES[name]
        c.add(f"backtest-{name}", ["forecast", "backtest", "--data", spec, "--freq", "D", "--horizon", "2",
                                   "--cutoffs", "1", "--model", "seasonal-naive"], name, *words)  # fmt: skip
        c.add(f"forecast-train-{name}", ["forecast", "train", "--data", spec, "--run-dir", "{W}/mq",
                                         "--epochs", "1", "--freq", "D"], name, *words)  # fmt: skip
        c.add(f"replay-data-{name}", ["replay", "m5-tiny-replay", "--set", "catalog.skus=[]",
                                      "--set", f"demand.source=\"{spec}:D\"",
                                      *_sets("horizon=14", "warmup=14"),
                                      "--seeds", "1", "--root", "{W}/replays"], name, *words)  # fmt: skip
    for spec, words in (
        ("nope:x", ("nope:x",)),
        ("long:{W}/missing.csv", ("missing.csv",)),
        ("long:{W}/long.txt", ("long.txt",)),
        ("synthetic:abc", ("synthetic:abc",)),
        ("synthetic:0", ("synthetic:0",)),
        ("synthetic:-3", ("synthetic:-3",)),
        ("m5:{W}/plain-folder", ("plain-folder",)),
    ):
        c.add(f"profile-spec-{spec}", ["data", "profile", "--data", spec], *words)
    c.add("profile-freq", ["data", "profile", "--data", "long:{W}/long.csv", "--freq", "XYZ"], "XYZ")
    c.add("export-suffix", ["data", "export", "{W}/out.txt", "--data", "long:{W}/long.csv"], "out.txt")
    c.add("export-folder", ["data", "export", "{W}/folder.csv", "--data", "long:{W}/long.csv"], "folder.csv")
    c.add("export-under-file", ["data", "export", "{W}/a-file/out.csv", "--data", "long:{W}/long.csv"],
          "a-file/out.csv")  # fmt: skip


def _forecast_cases(c: _Cases) -> None:
    bt = ("forecast", "backtest", "--data", "long:{W}/long.csv", "--freq", "D")
    c.add("backtest-model", [*bt, "--model", "crystal-ball"], "crystal-ball")
    c.add("backtest-horizon", [*bt, "--horizon", "0"], "horizon", "0")
    c.add("backtest-cutoffs", [*bt, "--cutoffs", "0"], "cutoffs", "0")
    c.add("backtest-cutoffs-many", [*bt, "--cutoffs", "1000"], "cutoffs", "1000")
    c.add("backtest-freq", ["forecast", "backtest", "--data", "long:{W}/long.csv", "--freq", "XYZ"], "XYZ")
    c.add("backtest-param", [*bt, "--model", "seasonal-naive", "--param", "nope=1"], "nope")
    c.add("backtest-param-syntax", [*bt, "--param", "nope"], "--param", "nope")
    ft = ("forecast", "train", "--data", "long:{W}/long.csv", "--freq", "D", "--epochs", "1")
    c.add("forecast-train-run-dir-file", [*ft, "--run-dir", "{W}/a-file"], "--run-dir", "a-file")
    c.add(
        "forecast-train-run-dir-under-file", [*ft, "--run-dir", "{W}/a-file/sub"], "--run-dir", "a-file/sub"
    )
    c.add("forecast-train-run-dir-run", [*ft, "--run-dir", "{W}/ppo"], "ppo")
    c.add("forecast-train-model", [*ft, "--run-dir", "{W}/mq", "--model", "gpt"], "gpt")
    c.add("forecast-train-epochs", [*ft[:-2], "--epochs", "0", "--run-dir", "{W}/mq"], "epochs", "0")
    c.add(
        "forecast-train-param", [*ft, "--run-dir", "{W}/mq", "--param", "hidden_size=-4"], "hidden_size", "-4"
    )
    c.add("forecast-train-param-unknown", [*ft, "--run-dir", "{W}/mq", "--param", "wat=1"], "wat")
    c.add("forecast-train-until", [*ft, "--run-dir", "{W}/mq", "--until", "someday"], "--until", "someday")
    c.add("forecast-train-device", [*ft, "--run-dir", "{W}/mq", "--device", "gpu0"], "gpu0")
    pr = ("forecast", "predict", "--data", "long:{W}/long.csv", "--freq", "D")
    c.add("predict-missing", [*pr, "--checkpoint", "{W}/missing.pt", "--out", "{W}/p.csv"], "missing.pt")
    c.add("predict-garbage", [*pr, "--checkpoint", "{W}/garbage.pt", "--out", "{W}/p.csv"], "garbage.pt")
    dbp_pt = "{W}/directbackprop/checkpoints/best.pt"
    c.add("predict-dbp", [*pr, "--checkpoint", dbp_pt, "--out", "{W}/p.csv"],
          "best.pt")  # fmt: skip
    c.add("predict-out", [*pr, "--checkpoint", "{W}/garbage.pt", "--out", "{W}/p.txt"], "p.txt")


def _oracle_cases(c: _Cases) -> None:
    ls = ("oracle", "lost-sales", "--lead-time", "1", "--penalty", "4")
    for demand, words in (
        ("poisson:-1", ("poisson:-1",)),
        ("poisson:inf", ("poisson:inf",)),
        ("poisson:1e300", ("poisson:1e300",)),
        ("poisson:abc", ("poisson:abc",)),
        ("zipf:3", ("zipf",)),
        ("negbin:2:1", ("negbin:2:1",)),
        ("pmf:0.5,0.6", ("pmf:0.5,0.6",)),
        ("pmf:", ("pmf:",)),
        ("geometric:-2", ("geometric:-2",)),
    ):
        c.add(f"oracle-ls-demand-{demand}", [*ls, "--demand", demand], "demand", *words)
    ls_d = ("oracle", "lost-sales", "--demand", "poisson:2")
    for args, words in (
        (("--lead-time", "-1", "--penalty", "4"), ("lead", "-1")),
        (("--lead-time", "1000000", "--penalty", "4"), ("lead", "1000000")),
        (("--lead-time", "1", "--penalty", "-4"), ("penalty", "-4")),
        (("--lead-time", "1", "--penalty", "inf"), ("penalty", "inf")),
        (("--lead-time", "1", "--penalty", "nan"), ("penalty", "nan")),
        (("--lead-time", "1", "--penalty", "4", "--holding", "inf"), ("holding", "inf")),
        (("--lead-time", "1", "--penalty", "4", "--holding", "-1"), ("holding", "-1")),
        (("--lead-time", "1", "--penalty", "4", "--position-cap", "-1"), ("position", "-1")),
        (
            ("--lead-time", "1", "--penalty", "4", "--position-cap", "100000000000"),
            ("position", "100000000000"),
        ),
    ):
        c.add(f"oracle-ls-{'-'.join(args)}", [*ls_d, *args], *words)
    bo = ("oracle", "backorder", "--demand", "poisson:2")
    for args, words in (
        (("--lead-time", "-1", "--penalty", "4"), ("lead", "-1")),
        (("--lead-time", "1", "--penalty", "0"), ("penalty", "0")),
        (("--lead-time", "1", "--penalty", "inf"), ("penalty", "inf")),
        (("--lead-time", "1", "--penalty", "4", "--holding", "nan"), ("holding", "nan")),
        (("--lead-time", "100000000", "--penalty", "4"), ("lead", "100000000")),
    ):
        c.add(f"oracle-bo-{'-'.join(args)}", [*bo, *args], *words)
    c.add("oracle-bo-demand", ["oracle", "backorder", "--demand", "poisson:nan", "--lead-time", "1",
                               "--penalty", "4"], "poisson:nan")  # fmt: skip
    se = ("oracle", "serial", "--demand", "poisson:5")
    good = {"--lead-times": "1,1", "--echelon-holding": "1,0.5", "--penalty": "10"}
    for key, value, words in (
        ("--lead-times", "1,a", ("--lead-times", "a")),
        ("--lead-times", "1,-1", ("--lead-times", "-1")),
        ("--lead-times", "1", ("--lead-times",)),
        ("--echelon-holding", "1,-0.5", ("--echelon-holding", "-0.5")),
        ("--echelon-holding", "1,inf", ("--echelon-holding", "inf")),
        ("--penalty", "0", ("--penalty", "0")),
        ("--penalty", "nan", ("--penalty", "nan")),
    ):
        args = [a for k, v in {**good, key: value}.items() for a in (k, v)]
        c.add(f"oracle-serial-{key}-{value}", [*se, *args], *words)
    c.add("oracle-serial-demand", ["oracle", "serial", "--demand", "normal:5:-1",
                                   *[a for kv in good.items() for a in kv]], "normal:5:-1")  # fmt: skip
    c.add("oracle-serial-grid", [*se, *[a for kv in good.items() for a in kv], "--grid-step", "0"],
          "--grid-step", "0")  # fmt: skip
    ds_good = {
        "--demand": "pmf:0.3,0.4,0.3", "--regular-lead-time": "2", "--regular-cost": "0",
        "--expedited-cost": "5", "--holding": "1", "--backorder": "10",
    }  # fmt: skip
    for key, value in (
        ("--regular-lead-time", "0"),
        ("--regular-lead-time", "x"),
        ("--regular-cost", "inf"),
        ("--expedited-cost", "-1"),
        ("--holding", "0"),
        ("--backorder", "nan"),
        ("--demand", "pmf:0.3,0.3"),
        ("--expedited-lead-time", "5"),
        ("--max-regular-order", "-2"),
        ("--regular-lead-time", "100000000"),
    ):
        args = [a for k, v in {**ds_good, key: value}.items() for a in (k, v)]
        # the option's first word: "--regular-lead-time" or the config's "regular_lead_time"
        word = key.strip("-").split("-")[0]
        c.add(f"oracle-ds-{key}-{value}", ["oracle", "dual-sourcing", *args], word, value)
    ss_good = {"--demand": "poisson:3", "--fixed-cost": "10", "--backorder": "9"}
    for key, value in (
        ("--fixed-cost", "-1"),
        ("--fixed-cost", "inf"),
        ("--backorder", "0"),
        ("--holding", "-2"),
        ("--lead-time", "-1"),
        ("--lead-time", "1.5"),
        ("--lead-time", "100000000"),
        ("--demand", "poisson:0"),
    ):
        args = [a for k, v in {**ss_good, key: value}.items() for a in (k, v)]
        c.add(f"oracle-ss-{key}-{value}", ["oracle", "s-S", *args], key.strip("-").split("-")[0], value)


def _bench_demo_cases(c: _Cases) -> None:
    for key, value in (
        ("--des-skus", "0"),
        ("--batch-skus", "-1"),
        ("--batch-skus", "10000000000000"),
        ("--periods", "0"),
        ("--periods", "2000000000"),
        ("--repeats", "0"),
        ("--dtype", "float16"),
        ("--threads", "0"),
        ("--device", "gpu0"),
    ):
        c.add(f"bench-{key}-{value}", ["bench", "--quick", key, value], key.strip("-"), value)
    c.add("demo-root-file", ["demo", "--quick", "--root", "{W}/a-file"], "--root", "a-file")
    c.add("demo-root-under-file", ["demo", "--quick", "--root", "{W}/a-file/runs"], "--root", "a-file/runs")
    c.add("demo-scenario", ["demo", "--quick", "--root", "{W}/demo", "--scenario", "no-such"], "no-such")


def _recommend_cases(c: _Cases) -> None:
    rec = ("recommend", "--history", "{W}/long.csv", "--forecaster", "seasonal-naive")
    for name, (_, words) in SNAPSHOT_FILES.items():
        c.add(f"recommend-{name}", [*rec, "--snapshot", f"{{W}}/{name}"], name, *words)
    good = (*rec, "--snapshot", "{W}/snapshot.csv")
    c.add("recommend-snapshot-missing", [*rec, "--snapshot", "{W}/missing.csv"], "--snapshot", "missing.csv")
    c.add("recommend-snapshot-binary", [*rec, "--snapshot", "{W}/binary.csv"], "binary.csv")
    c.add("recommend-snapshot-folder", [*rec, "--snapshot", "{W}/plain-folder"], "plain-folder")
    c.add("recommend-today-text", [*good, "--today", "someday"], "--today", "someday")
    c.add("recommend-today-late", [*good, "--today", "2024-03-01"], "--today", "2024-03-01", "2024-01-28")
    c.add("recommend-today-early", [*good, "--today", "2024-01-05"], "--today", "2024-01-05")
    c.add("recommend-lead-time", [*good, "--lead-time", "-1"], "--lead-time", "-1")
    c.add("recommend-lead-time-huge", [*good, "--lead-time", "100000"], "--lead-time", "100000")
    c.add(
        "recommend-tune-weeks-huge", [*good, "--tune-weeks", "1000000000000"], "--tune-weeks", "1000000000000"
    )
    c.add("recommend-out-under-file", [*good, "--out", "{W}/a-file/orders.csv"], "--out", "a-file/orders.csv")
    c.add("recommend-out-folder", [*good, "--out", "{W}/folder.csv"], "--out", "folder.csv")
    c.add("recommend-out-suffix", [*good, "--out", "{W}/orders.txt"], "--out", "orders.txt")
    c.add("recommend-policy", [*good, "--policy", "wat"], "wat")
    c.add(
        "recommend-policy-echelon",
        [*good, "--policy", "echelon-base-stock"],
        "--policy",
        "echelon-base-stock",
    )
    c.add("recommend-tune-weeks", [*good, "--policy", "base-stock", "--tune-weeks", "0"], "--tune-weeks", "0")
    c.add("recommend-tune-weeks-long", [*good, "--policy", "newsvendor-tuned", "--tune-weeks", "3"],
          "--tune-weeks", "3", "2024-01-01")  # fmt: skip
    c.add("recommend-policy-missing-run", [*good, "--policy", "runs/does-not-exist"], "runs/does-not-exist")
    for run, words in (("dbp-garbage", ("best.pt",)), ("ppo-escape", ("state.json", "etc/passwd"))):
        c.add(f"recommend-run-{run}", [*good, "--policy", f"{{W}}/{run}"], run, *words)
    c.add("recommend-forecaster", [*good, "--forecaster", "crystal-ball"], "crystal-ball")
    history = ("recommend", "--snapshot", "{W}/snapshot.csv", "--history")
    c.add("recommend-history-missing", [*history, "{W}/missing.csv"], "missing.csv")
    c.add("recommend-history-inf", [*history, "{W}/inf-demand.csv"], "inf-demand.csv", "inf")
    c.add("recommend-history-spec", [*history, "m5:{W}/plain-folder"], "plain-folder")


def _accuracy_cases(c: _Cases) -> None:
    """``value-of-accuracy``: each with ``--out``, so that a case taken as good would leave a folder."""
    va = ("value-of-accuracy", "--scenario", "steady", *TINY, "--seeds", "1", "--out", "{W}/accuracy")
    for forecasters, words in (
        ("", ("--forecasters",)),
        ("ets,,tsb", ("--forecasters", "ets,,tsb")),
        ("ets,wat", ("wat",)),
        ("ets,ets", ("ets", "twice")),
        ("true,true", ("true", "twice")),
    ):
        c.add(f"accuracy-forecasters-{forecasters or 'empty'}", [*va, "--forecasters", forecasters], *words)
    fc = ("--forecasters", "ets")
    c.add("accuracy-policy-unknown", [*va, *fc, "--policy", "wat"], "wat")
    c.add("accuracy-policy-blind", [*va, *fc, "--policy", "base-stock"], "--policy", "base-stock")
    c.add("accuracy-true-on-data", ["value-of-accuracy", "--scenario", "m5-tiny-replay", "--forecasters",
          "true,ets", "--out", "{W}/accuracy"], "true", "m5-tiny-replay", "demand.kind")  # fmt: skip
    c.add("accuracy-scenario", ["value-of-accuracy", "--scenario", "no-such", *fc], "no-such")
    c.add("accuracy-set", [*va, *fc, "--set", "horizon=0"], "horizon", "0")
    c.add("accuracy-seeds-0", [*va, *fc, "--seeds", "0"], "--seeds", "0")
    c.add("accuracy-engine", [*va, *fc, "--engine", "gpu"], "--engine", "gpu")
    c.add("accuracy-paths", [*va, *fc, "--paths", "0"], "--paths", "0")
    c.add("accuracy-train-seed", [*va, *fc, "--train-seed", "-1"], "--train-seed", "-1")
    c.add("accuracy-out-file", [*va, *fc, "--out", "{W}/a-file"], "--out", "a-file")
    c.add("accuracy-out-under-file", [*va, *fc, "--out", "{W}/a-file/sub"], "--out", "a-file/sub")
    c.add("accuracy-out-a-run", [*va, *fc, "--out", "{W}/ppo"], "--out", "ppo")
    # found only once the true ceiling has run: still nothing written
    c.add("accuracy-warmup", [*va, *fc, "--set", "warmup=7"], "warmup", "7")


def _usage_cases(c: _Cases) -> None:
    """Values the command line itself refuses (wrong types, unknown options)."""
    c.add("usage-seeds-type", ["evaluate", "--scenario", "steady", "--seeds", "abc"], "--seeds", "abc")
    c.add("usage-timesteps-type", ["train", "--agent", "ppo", "--scenario", "steady", "--timesteps", "1e5"],
          "--timesteps", "1e5")  # fmt: skip
    c.add("usage-unknown-option", ["simulate", "--scenario", "steady", "--polcy", "x"], "--polcy")
    c.add("usage-missing-scenario", ["simulate"], "--scenario")
    c.add("usage-unknown-command", ["simulat"], "simulat")
    c.add("usage-lead-time-type", ["oracle", "lost-sales", "--demand", "poisson:2", "--lead-time", "two",
                                   "--penalty", "4"], "--lead-time", "two")  # fmt: skip


# ------------------------------------------------------------------------------------------ running
class _Hang(Exception):
    pass


def _alarm(_signum: int, _frame: FrameType | None) -> None:
    raise _Hang


@contextlib.contextmanager
def _time_limit(seconds: int) -> Iterator[None]:
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


_COMMANDS: dict[int, Any] = {}


@contextlib.contextmanager
def _commands_built_once() -> Iterator[None]:
    """Typer builds the click command tree from every command's annotations on each call (0.3 to 1 s here,
    paid once per process by the real CLI); the battery builds it once, with every command attached."""
    import typer.main

    import restock.cli
    import restock.commands

    restock.commands.register_all(restock.cli.app)
    real = typer.main.get_command

    def built(app: Any) -> Any:
        if id(app) not in _COMMANDS:
            _COMMANDS[id(app)] = real(app)
        return _COMMANDS[id(app)]

    typer.main.get_command = built
    try:
        yield
    finally:
        typer.main.get_command = real


def _fill(text: str, root: Path) -> str:
    return text.replace("{W}", str(root))


def run_case(case: Case, root: Path, timeout: int = TIMEOUT_S) -> Outcome:
    """Run ``case`` in this process with the workspace ``root`` and classify it (:func:`classify`)."""
    from restock.cli import main

    out, err = io.StringIO(), io.StringIO()
    code: int | str = 0
    error = ""
    started = time.perf_counter()
    try:
        with (
            _commands_built_once(),
            _time_limit(timeout),
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
        ):
            main([_fill(a, root) for a in case.args])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except _Hang:
        code = "hang"
    except Exception as exc:  # an escaped exception is what the battery looks for
        code = "exception"
        error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    seconds = time.perf_counter() - started
    names = tuple(_fill(n, root) for n in case.names)
    kind = classify(code, err.getvalue(), names)
    return Outcome(kind, code, err.getvalue(), seconds, error)


def classify(code: int | str, stderr: str, names: tuple[str, ...]) -> str:
    """One of :data:`KINDS` for an exit ``code`` and ``stderr`` (see the module docstring)."""
    if code == "hang":
        return "hang"
    if code == "exception" or "Traceback (most recent call last)" in stderr:
        return "traceback"
    if code == 0:
        return "accepted"
    lines = stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("error")]
    if code == 2 and len(errors) == 1 and lines[-1] == errors[0] and errors[0].startswith("error: "):
        low = errors[0].lower()
        if all(n.lower() in low for n in names):
            return "named"
    return "vague" if code == 2 else "traceback"


def main(argv: list[str] | None = None) -> int:
    """Run the whole battery in a fresh workspace; print the counts and the cases that are not named."""
    import argparse
    import tempfile

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="", help="run only the cases whose id contains this text")
    ap.add_argument("--json", action="store_true", help="print the counts as one JSON object")
    ap.add_argument("--timeout", type=int, default=TIMEOUT_S, help="seconds before a case counts as a hang")
    ap.add_argument("--verbose", action="store_true", help="print each case's outcome as it ends")
    args = ap.parse_args(argv)
    selected = [c for c in cases() if args.only in c.id]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        root = make_workspace(Path(tmp) / "w")
        outcomes = []
        for case in selected:
            outcome = run_case(case, root, args.timeout)
            outcomes.append((case, outcome))
            if args.verbose:
                print(f"{outcome.kind:9s} {outcome.seconds:6.1f}s {case.id}", file=sys.stderr, flush=True)
    counts = Counter(o.kind for _, o in outcomes)
    summary = {kind: counts.get(kind, 0) for kind in KINDS}
    for case, o in outcomes:
        if o.kind != "named":
            detail = o.error or o.stderr.strip().replace("\n", " | ")[:300]
            print(f"{o.kind:9s} {case.id}: rc={o.code} {detail}", file=sys.stderr)
    total = sum(summary.values())
    seconds = round(time.perf_counter() - started, 1)
    if args.json:
        print(json.dumps({"cases": total, **summary, "seconds": seconds}))
    else:
        print(f"{total} cases in {seconds} s: " + ", ".join(f"{k} {v}" for k, v in summary.items()))
    return 0 if summary["named"] == total else 1


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    sys.exit(main())
