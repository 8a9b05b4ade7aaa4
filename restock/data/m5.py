"""Loader for the M5 competition file format (Walmart unit sales, Makridakis et al. 2022).

A folder holds three files, read unchanged from the competition's layout:

``sales_train_evaluation.csv`` (or ``sales_train_validation.csv``)
    one row per series: ``id, item_id, dept_id, cat_id, store_id, state_id, d_1 .. d_N`` (daily units sold).
``calendar.csv``
    one row per day: ``date, wm_yr_wk, d, event_name_1, event_type_1, event_name_2, event_type_2,
    snap_CA, snap_TX, snap_WI`` (and a few columns Restock does not use).
``sell_prices.csv``
    ``store_id, item_id, wm_yr_wk, sell_price``: the weekly price, absent while an item is not on sale.

The panel is daily (``freq="D"``). Per series:

* ``series_id`` is the M5 ``id`` without its ``_evaluation`` / ``_validation`` suffix
  (``FOODS_1_033_CA_1`` = item ``FOODS_1_033`` in store ``CA_1``).
* **The span starts at the first non-zero sale.** M5 pads every series with zeros back to 2011-01-29; the
  leading zeros of an item that was launched later are "not on sale yet", not zero demand, so they are
  dropped. A series that never sells has no span and is left out (with a warning naming how many).
* Covariates: ``event_<type>`` (0/1, one column per event type found in the calendar, e.g.
  ``event_sporting``; a day with two events of one type counts once) and ``snap`` (the SNAP flag of the
  series' own state).
* ``price``: the weekly sell price of the item in the store, spread over the days of its ``wm_yr_wk``
  week (Saturday to Friday); NaN where the item was not on sale.
* Static attributes: ``item, dept, category, store, state``.
* ``in_stock`` (with ``infer_availability=True``): M5 records sales, not demand, and has no stock
  column; :func:`zero_run_stockouts` infers likely stock-outs from runs of zero sales that a seller of
  the series' rate would very unlikely make (docs/censoring.md).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from restock.data.panel import DemandPanel
from restock.errors import InputError

SALES_FILES = ("sales_train_evaluation.csv", "sales_train_validation.csv")
ID_COLUMNS = ("id", "item_id", "dept_id", "cat_id", "store_id", "state_id")
CALENDAR_COLUMNS = ("date", "wm_yr_wk", "d")
PRICE_COLUMNS = ("store_id", "item_id", "wm_yr_wk", "sell_price")
_DAY = re.compile(r"^d_(\d+)$")


ZERO_RUN_ALPHA = 1e-3
"""Default ``alpha`` of :func:`zero_run_stockouts`: a zero run is a stock-out when a Poisson seller of the
series' rate would make a run that long with probability below it."""


def zero_run_stockouts(sales: np.ndarray, *, alpha: float = ZERO_RUN_ALPHA, min_run: int = 2) -> np.ndarray:
    """Likely stock-out days [S, T] (bool) of daily ``sales`` [S, T] (NaN outside a series' span).

    The rule: let ``rate`` be a series' mean daily sales over its span. Under Poisson(rate) demand, a given
    run of k days without a sale has probability exp(-rate k); a run of zero-sale days is flagged as a
    stock-out when that probability is below ``alpha``, i.e. when k >= max(``min_run``,
    ceil(ln(1 / alpha) / rate)). A fast seller's short gap counts, a slow seller's long one does not. The
    sales mean understates the in-stock rate (it includes the stock-outs), so the threshold errs long
    (conservative). A run that reaches the end of the data is flagged alike (a discontinued item looks the
    same). A series that never sells flags nothing.
    """
    if not 0 < alpha < 1:
        raise InputError(f"zero_run_stockouts: alpha must be in (0, 1), got {alpha!r}")
    y = np.asarray(sales, dtype=np.float64)
    in_span = np.isfinite(y)
    zero = in_span & (y == 0)
    n = in_span.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(n > 0, np.where(in_span, y, 0.0).sum(axis=1) / np.maximum(n, 1), 0.0)
        need = np.where(rate > 0, np.ceil(np.log(1.0 / alpha) / rate), np.inf)
    need = np.maximum(need, min_run)
    length = _zero_run_length(zero)
    return zero & (length >= need[:, None])


def _zero_run_length(zero: np.ndarray) -> np.ndarray:
    """[S, T]: the length of the run of True that each True cell belongs to (0 elsewhere)."""

    def run_so_far(z: np.ndarray) -> np.ndarray:
        c = np.cumsum(z, axis=1)
        return c - np.maximum.accumulate(np.where(z, 0, c), axis=1)

    forward = run_so_far(zero)
    backward = run_so_far(zero[:, ::-1])[:, ::-1]
    return np.where(zero, forward + backward - 1, 0)


def load_m5(folder: str | Path, *, fill_gaps: bool = False, infer_availability: bool = False) -> DemandPanel:
    """Read an M5-format folder into a daily :class:`DemandPanel` (see the module docstring).

    ``fill_gaps`` is accepted for symmetry with the other loaders; an M5 file has no gaps by construction.
    ``infer_availability``: add the ``in_stock`` column from :func:`zero_run_stockouts`.
    Raises :class:`InputError` naming the file, series and row of any problem.
    """
    root = Path(folder)
    if not root.is_dir():
        raise InputError(f"{root}: M5 data folder not found")
    sales_path = next((root / f for f in SALES_FILES if (root / f).is_file()), None)
    if sales_path is None:
        raise InputError(f"{root}: no M5 sales file (expected one of {', '.join(SALES_FILES)})")
    for name in ("calendar.csv", "sell_prices.csv"):
        if not (root / name).is_file():
            raise InputError(f"{root / name}: missing M5 file (the folder needs it beside {sales_path.name})")

    sales = _read_csv(sales_path, dtype={c: str for c in ID_COLUMNS})
    _require(sales, ID_COLUMNS, sales_path)
    day_cols = [c for c in sales.columns if c not in ID_COLUMNS]
    bad_cols = [c for c in day_cols if not _DAY.match(c)]
    if bad_cols:
        raise InputError(f"{sales_path}: column {bad_cols[0]!r} is neither an id column nor a day d_<n>")
    if not day_cols:
        raise InputError(f"{sales_path}: no day columns d_1 .. d_N")
    dup = sales["id"].duplicated()
    if dup.any():
        row = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError(f"{sales_path}: duplicate series id {sales['id'].iloc[row]!r} (line {row + 2})")

    values = _demand_matrix(sales, day_cols, sales_path)
    calendar = _read_calendar(root / "calendar.csv", day_cols)
    series_ids = sales["id"].str.replace(r"_(evaluation|validation)$", "", regex=True).to_numpy()

    # Span: from the first non-zero sale to the last day of the file.
    nonzero = values > 0
    launched = nonzero.any(axis=1)
    if not launched.all():
        warnings.warn(
            f"{sales_path}: {int((~launched).sum())} series never sell and are left out",
            stacklevel=2,
        )
    first = np.where(launched, nonzero.argmax(axis=1), values.shape[1])
    in_span = np.arange(values.shape[1])[None, :] >= first[:, None]
    rows, cols = np.nonzero(in_span)

    dates = calendar["date"].to_numpy()
    frame = pd.DataFrame(
        {"series_id": series_ids[rows], "date": dates[cols], "demand": values[rows, cols]},
        index=pd.RangeIndex(len(rows)),
    )
    frame["price"] = _daily_prices(root / "sell_prices.csv", sales, calendar, rows, cols)
    for col in sorted(c for c in calendar.columns if c.startswith("event_")):
        frame[col] = calendar[col].to_numpy()[cols]
    states = sales["state_id"].to_numpy()
    snap = np.zeros(values.shape, dtype="float64")
    for state in np.unique(states):
        col = f"snap_{state}"
        if col not in calendar.columns:
            raise InputError(f"{root / 'calendar.csv'}: no SNAP column {col!r} for state {state!r}")
        snap[states == state] = calendar[col].to_numpy(dtype="float64")[None, :]
    frame["snap"] = snap[rows, cols]
    if infer_availability:
        spanned = np.where(in_span, values, np.nan)
        frame["in_stock"] = (~zero_run_stockouts(spanned))[rows, cols].astype("float64")

    static = pd.DataFrame(
        {
            "item": sales["item_id"].to_numpy(),
            "dept": sales["dept_id"].to_numpy(),
            "category": sales["cat_id"].to_numpy(),
            "store": sales["store_id"].to_numpy(),
            "state": sales["state_id"].to_numpy(),
        },
        index=pd.Index(series_ids, name="series_id"),
    ).iloc[np.flatnonzero(launched)]
    return DemandPanel.from_frame(frame, freq="D", static=static, source=str(sales_path), fill_gaps=fill_gaps)


def _read_csv(path: Path, **kwargs: object) -> pd.DataFrame:
    try:
        return pd.read_csv(path, **kwargs)  # type: ignore[call-overload]
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a readable CSV file ({exc})") from exc


def _require(frame: pd.DataFrame, columns: tuple[str, ...], path: Path) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(f"{path}: missing column(s) {missing}")


def _demand_matrix(sales: pd.DataFrame, day_cols: list[str], path: Path) -> np.ndarray:
    raw = sales[day_cols]
    values = raw.apply(pd.to_numeric, errors="coerce").to_numpy(dtype="float64")
    for problem, mask in (
        ("non-numeric or missing", np.isnan(values)),
        ("negative", np.nan_to_num(values) < 0),
    ):
        if mask.any():
            r, c = (int(i[0]) for i in np.nonzero(mask))
            raise InputError(
                f"{path}: {problem} demand {str(raw.iat[r, c])!r} for series {sales['id'].iloc[r]!r}, "
                f"column {day_cols[c]} (line {r + 2})"
            )
    return values


def _read_calendar(path: Path, day_cols: list[str]) -> pd.DataFrame:
    cal = _read_csv(path, dtype={"d": str})
    _require(cal, CALENDAR_COLUMNS, path)
    dates = pd.to_datetime(cal["date"], errors="coerce", format="%Y-%m-%d")
    if dates.isna().any():
        row = int(np.flatnonzero(dates.isna().to_numpy())[0])
        raise InputError(f"{path}: unparseable date {cal['date'].iloc[row]!r} (line {row + 2})")
    cal["date"] = dates
    cal = cal.set_index("d")
    missing = [c for c in day_cols if c not in cal.index]
    if missing:
        raise InputError(
            f"{path}: the calendar does not cover sales column {missing[0]!r} "
            f"({len(missing)} sales day(s) missing; the calendar ends at {cal.index[-1]!r})"
        )
    cal = cal.loc[day_cols]
    step = np.diff(cal["date"].to_numpy()).astype("timedelta64[D]").astype(int)
    if (step != 1).any():
        i = int(np.flatnonzero(step != 1)[0])
        raise InputError(
            f"{path}: days {day_cols[i]} and {day_cols[i + 1]} are not consecutive dates "
            f"({cal['date'].iloc[i].date()}, {cal['date'].iloc[i + 1].date()})"
        )
    out = pd.DataFrame({"date": cal["date"].to_numpy(), "wm_yr_wk": cal["wm_yr_wk"].to_numpy()})
    types = pd.concat(
        [cal.get("event_type_1", pd.Series(dtype=str)), cal.get("event_type_2", pd.Series(dtype=str))]
    )
    for etype in sorted(types.dropna().unique()):
        flag = np.zeros(len(cal), dtype="float64")
        for col in ("event_type_1", "event_type_2"):
            if col in cal.columns:
                flag = np.maximum(flag, (cal[col] == etype).to_numpy(dtype="float64"))
        out[f"event_{str(etype).lower()}"] = flag
    for col in cal.columns:
        if col.startswith("snap_"):
            out[col] = pd.to_numeric(cal[col], errors="coerce").fillna(0.0).to_numpy(dtype="float64")
    return out


def _daily_prices(
    path: Path, sales: pd.DataFrame, calendar: pd.DataFrame, rows: np.ndarray, cols: np.ndarray
) -> np.ndarray:
    prices = _read_csv(path, dtype={"store_id": str, "item_id": str})
    _require(prices, PRICE_COLUMNS, path)
    price = pd.to_numeric(prices["sell_price"], errors="coerce")
    bad = (price.isna() & prices["sell_price"].notna()) | (price <= 0)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"{path}: sell_price {prices['sell_price'].iloc[row]!r} is not a positive number "
            f"(item {prices['item_id'].iloc[row]!r}, store {prices['store_id'].iloc[row]!r}, line {row + 2})"
        )
    key = prices["item_id"] + "|" + prices["store_id"] + "|" + prices["wm_yr_wk"].astype(str)
    dup = key.duplicated()
    if dup.any():
        row = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError(
            f"{path}: duplicate price for item {prices['item_id'].iloc[row]!r}, store "
            f"{prices['store_id'].iloc[row]!r}, week {prices['wm_yr_wk'].iloc[row]} (line {row + 2})"
        )
    lookup = pd.Series(price.to_numpy(dtype="float64"), index=key.to_numpy())
    series_key = (sales["item_id"] + "|" + sales["store_id"] + "|").to_numpy()
    weeks = calendar["wm_yr_wk"].astype(str).to_numpy()
    wanted = pd.Index(np.char.add(series_key[rows].astype(str), weeks[cols].astype(str)))
    return lookup.reindex(wanted).to_numpy(dtype="float64")
