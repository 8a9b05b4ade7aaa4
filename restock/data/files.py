"""Loaders for generic demand files: a long table (CSV or Parquet) and a wide table (one column per period).

Long files (``long:PATH[:FREQ]``)
    One row per (series, period): ``series_id, date, demand`` and optionally ``price`` and ``in_stock`` (the
    availability signal: 1 in stock, 0 a stock-out, or the share of the period in stock; then ``demand``
    holds sales, a lower bound of demand where ``in_stock < 1``; see docs/censoring.md). Other numeric
    columns become covariates (known in advance: events, promotion flags, ...). Other text columns must be
    constant within a series and become static attributes (``category``, ``store``, ...). The grid
    ``FREQ`` (a pandas alias such as ``D``, ``W-SAT``, ``MS``) is inferred from the dates when omitted. A
    missing period inside a series is an error unless ``fill_gaps`` (then it is zero demand). Rows are
    numbered as lines of the file (the header is line 1) for CSV and from 0 for Parquet.

Wide files (``wide:PATH[:FREQ]``, e.g. the carparts data)
    The first column names the series; every other column is one period, its header a date
    (``2011-01-29``, ``2011-01``, ``Jan-98``, ``Jan-1998``). Cells are demand.
    **Blanks**: leading blanks are periods before the series started and trailing blanks periods after it
    ended (or not recorded yet); both are outside the series' span and produce no row. A blank *between*
    two observed values is a gap: an error naming the series, period and line, unless ``fill_gaps``
    (then zero demand). A row with no value at all is an error.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from restock.data.panel import AVAILABILITY_COLUMN, REQUIRED_COLUMNS, DemandPanel
from restock.errors import InputError

WIDE_DATE_FORMATS = ("%Y-%m-%d", "%Y-%m", "%b-%y", "%b-%Y", "%b %Y", "%Y/%m/%d", "%d/%m/%Y")
"""Header formats tried, in order, for the period columns of a wide file (all headers share one)."""


def load_long(path: str | Path, *, freq: str | None = None, fill_gaps: bool = False) -> DemandPanel:
    """Read a long CSV/Parquet demand table into a :class:`DemandPanel` (see the module docstring)."""
    src = Path(path)
    frame = _read_table(src)
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(
            f"{src}: missing column(s) {missing}; a long demand file needs {list(REQUIRED_COLUMNS)}"
        )
    frame["series_id"] = frame["series_id"].astype(str)
    extra = [c for c in frame.columns if c not in (*REQUIRED_COLUMNS, "price", AVAILABILITY_COLUMN)]
    static_cols = [c for c in extra if not pd.api.types.is_numeric_dtype(frame[c])]
    static = None
    if static_cols:
        per_series = frame.groupby("series_id")[static_cols].nunique(dropna=False)
        varying = per_series[(per_series > 1).any(axis=1)]
        if len(varying):
            sid = varying.index[0]
            col = next(c for c in static_cols if per_series.loc[sid, c] > 1)
            raise InputError(
                f"{src}: text column {col!r} changes within series {sid!r}; text columns are static "
                "attributes and must be constant per series (numeric columns are covariates)"
            )
        static = frame.groupby("series_id")[static_cols].first().astype(str)
        frame = frame.drop(columns=static_cols)
    if "price" in frame.columns:
        price = pd.to_numeric(frame["price"], errors="coerce")
        bad = (price.isna() & frame["price"].notna()) | (price <= 0) | np.isinf(price)
        if bad.any():
            row = frame.index[bad.to_numpy()][0]
            raise InputError(
                f"{src}: price {_cell(frame.loc[row, 'price'])!r} in column 'price' is not a positive finite "
                "number "
                f"(series {frame.loc[row, 'series_id']!r}, row {row})"
            )
        frame["price"] = price.astype("float64")
    for col in extra:
        if col not in static_cols:
            frame[col] = frame[col].astype("float64")
            inf = np.isinf(frame[col])
            if inf.any():
                row = frame.index[inf.to_numpy()][0]
                raise InputError(
                    f"{src}: covariate {float(frame.loc[row, col])!r} in column {col!r} is not finite "
                    f"(series {frame.loc[row, 'series_id']!r}, row {row})"
                )
    if freq is None:
        dates = pd.to_datetime(frame["date"], errors="coerce")
        freq = _infer_freq(pd.DatetimeIndex(dates.dropna().unique()), src)
    return DemandPanel.from_frame(frame, freq=freq, static=static, source=str(src), fill_gaps=fill_gaps)


def load_wide(path: str | Path, *, freq: str | None = None, fill_gaps: bool = False) -> DemandPanel:
    """Read a wide demand file (first column = series, one column per period) into a :class:`DemandPanel`."""
    src = Path(path)
    raw = _read_table(src, dtype=str)
    if raw.shape[1] < 2:
        raise InputError(f"{src}: a wide demand file needs a series column and at least one period column")
    id_col, period_cols = raw.columns[0], list(raw.columns[1:])
    periods = _parse_headers(period_cols, src)
    if freq is None:
        freq = _infer_freq(periods, src)
    ids = raw[id_col].astype(str).to_numpy()
    dup = pd.Series(ids).duplicated().to_numpy()
    if dup.any():
        r = int(np.flatnonzero(dup)[0])
        raise InputError(f"{src}: duplicate series {ids[r]!r} in column {id_col!r} (line {r + 2})")

    cells = raw[period_cols]
    blank = cells.isna().to_numpy() | (cells.fillna("").apply(lambda c: c.str.strip()) == "").to_numpy()
    values = cells.apply(pd.to_numeric, errors="coerce").to_numpy(dtype="float64")
    for problem, mask in (
        ("non-numeric", np.isnan(values) & ~blank),
        ("negative", np.nan_to_num(values) < 0),
        ("infinite", np.isinf(values)),
    ):
        if mask.any():
            r, c = (int(i[0]) for i in np.nonzero(mask))
            raise InputError(
                f"{src}: {problem} demand {cells.iat[r, c]!r} for series {ids[r]!r}, "
                f"period {period_cols[c]!r} (line {r + 2})"
            )
    observed = ~blank
    empty = ~observed.any(axis=1)
    if empty.any():
        r = int(np.flatnonzero(empty)[0])
        raise InputError(f"{src}: series {ids[r]!r} has no value in any period (line {r + 2})")
    n = observed.shape[1]
    first = observed.argmax(axis=1)
    last = n - 1 - observed[:, ::-1].argmax(axis=1)
    idx = np.arange(n)[None, :]
    in_span = (idx >= first[:, None]) & (idx <= last[:, None])
    gaps = in_span & ~observed
    if gaps.any() and not fill_gaps:
        r, c = (int(i[0]) for i in np.nonzero(gaps))
        raise InputError(
            f"{src}: series {ids[r]!r} has a blank at period {period_cols[c]!r} between observed values "
            f"(line {r + 2}); pass fill_gaps=True (--fill-gaps) to read interior blanks as zero demand"
        )
    rows, cols = np.nonzero(in_span)
    frame = pd.DataFrame(
        {"series_id": ids[rows], "date": periods[cols], "demand": np.nan_to_num(values[rows, cols])}
    )
    return DemandPanel.from_frame(frame, freq=freq, source=str(src))


def _cell(value: object) -> object:
    """A cell as it is best shown in an error: a float as a plain Python float, anything else as it is."""
    return float(value) if isinstance(value, float) else value  # np.float64 is a float


def _read_table(src: Path, dtype: type | None = None) -> pd.DataFrame:
    if not src.is_file():
        raise InputError(f"{src}: demand file not found")
    suffix = src.suffix.lower()
    try:
        if suffix == ".parquet":
            frame = pd.read_parquet(src)
            # pandas' "string" dtype keeps missing cells missing (astype(str) would turn them into "nan").
            return frame.astype("string") if dtype is str else frame
        if suffix in (".csv", ".txt", ".gz"):
            frame = pd.read_csv(src, dtype=dtype)  # type: ignore[arg-type]
            frame.index = frame.index + 2  # rows are named by their line in the file (header = line 1)
            return frame
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError) as exc:
        raise InputError(f"{src}: not a readable {suffix.lstrip('.')} file ({exc})") from exc
    raise InputError(f"{src}: unsupported file type {suffix!r}; use .csv or .parquet")


def _parse_headers(headers: list[str], src: Path) -> pd.DatetimeIndex:
    cleaned = pd.Series(headers, dtype=str).str.strip()
    best = None
    for fmt in WIDE_DATE_FORMATS:
        parsed = pd.to_datetime(cleaned, format=fmt, errors="coerce")
        if parsed.notna().all():
            return pd.DatetimeIndex(parsed)
        if best is None or parsed.notna().sum() > best.notna().sum():
            best = parsed
    assert best is not None
    bad = headers[int(np.flatnonzero(best.isna().to_numpy())[0])]
    raise InputError(
        f"{src}: period column header {bad!r} is not a date (all headers after the first column must use "
        f"one of the formats {', '.join(WIDE_DATE_FORMATS)})"
    )


_WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


def _infer_freq(dates: pd.DatetimeIndex, src: Path) -> str:
    """pandas' inference, else the grid of the smallest step (a gap shared by all series is allowed)."""
    uniq = pd.DatetimeIndex(dates.sort_values().unique())
    freq = pd.infer_freq(uniq) if len(uniq) >= 3 else None
    if freq is None and len(uniq) >= 2:
        step = int(np.diff(uniq.to_numpy()).astype("timedelta64[D]").astype(int).min())
        if step == 1:
            freq = "D"
        elif step == 7 and uniq.dayofweek.nunique() == 1:
            freq = f"W-{_WEEKDAYS[uniq.dayofweek[0]]}"
        elif 28 <= step <= 31 and (uniq.day == 1).all():
            freq = "MS"
    if freq is None:
        raise InputError(
            f"{src}: cannot infer the period of the dates (from {len(uniq)} distinct dates); "
            "name it in the spec, e.g. 'long:PATH:D' or 'wide:PATH:MS'"
        )
    return str(freq)
